"""The node daemon: the node core driven by trio over UDP (a thin driver).

Datagrams from the socket and timer ticks go into the sans-I/O ``NodeCore``;
what it queues goes out, unicast to a neighbour's address or, for beacons, to
every configured peer and the broadcast address.
"""
from __future__ import annotations

import json
import logging
import math
import os
import signal
import socket
import struct
import time
from dataclasses import dataclass, field

import trio

import tagspace

from . import statecodec, wire
from .errors import CompileError, RemoteInputError, SourceError
from .journal import Journal
from .limits import MAX_LOG_LINE_CHARS, MAX_SHOWN_CHARS, safe_repr, truncate
from .node import BROADCAST, NodeConfig, NodeCore
from .node import compile_bounded
from .node import events as ev
from .node.provenance import NodeTrust
from .trust import KnownNodes, NodeKey, parse_trust_file

log = logging.getLogger("smvm.node")

#: Longest the timer loop sleeps, so retransmissions stay timely.
TICK = 0.05
#: Datagrams the receive loop takes in after the one it waited for, before it
#: lets the node run and send.
_DRAIN = 64
#: Keys first seen from other nodes, kept in the state directory (known-nodes format).
LEARNED_KEYS = "known_nodes"
#: The journal of admitted SMs, in the state directory.
JOURNAL = "journal"
#: SM ids are reserved in blocks, journaled, so a restarted node never reuses one.
ID_BLOCK, ID_BLOCK_KEY = 1024, "ids"


@dataclass
class DaemonConfig:
    node_id: str
    host: str = "0.0.0.0"
    port: int = wire.DEFAULT_PORT
    peers: list[tuple[str, int]] = field(default_factory=list)
    broadcast: str | None = None
    location: tuple[float, float] | None = None
    tags: dict[str, object] = field(default_factory=dict)
    #: I/O tags every SM may read and write (devices such as a sprinkler valve);
    #: the initial value is the tag of the same name in ``tags``, else None
    actuators: list[str] = field(default_factory=list)
    #: tags of ``tags`` every SM may also write and delete (a free cab's
    #: ``Taxi`` sign, which the SM that books the cab takes down)
    shared_tags: list[str] = field(default_factory=list)
    node: NodeConfig = field(default_factory=NodeConfig)
    seed: int | None = None
    #: SM slices run in this many worker processes (sandbox layer 3);
    #: 0 runs them in the daemon's own process.
    workers: int = 2
    #: wall-clock seconds a slice may take before its worker is killed
    slice_seconds: float = 30.0
    #: advertise the node with zeroconf (``_smvm._udp.local.``) on these
    #: interface addresses (None: all); False: do not advertise
    advertise: bool = True
    interfaces: list[str] | None = None
    #: NMEA source for the location tags: tcp:HOST:PORT, serial:DEVICE[@BAUD]
    #: or file:PATH (replayed at its recorded pace)
    gps: str | None = None
    #: where the code cache, the node's key and the keys it learned are kept
    #: across restarts (None: memory only, and a new key each run)
    state_dir: str | None = None
    #: sign births, hops and results, and verify what arrives (see docs/security.md)
    signed: bool = True
    #: known-nodes file pinning node ids to public keys (others: trust on first use)
    trust_file: str | None = None
    #: with a state directory, SMs are journaled before their hop is acknowledged:
    #: "always" fsyncs each record (survives power loss), "never" only writes
    #: it to the operating system (survives the daemon being killed)
    journal_sync: str = "always"
    #: write trace records (``smvm.trace``: SM starts, hops, ends, tag writes,
    #: place and neighbours) to this file, for ``smvm view``
    trace: str | None = None
    #: seconds between samples of the place and neighbours in the trace
    trace_period: float = 1.0


class NodeDaemon:
    def __init__(self, config: DaemonConfig):
        self.config = config
        seed = config.seed if config.seed is not None else hash(config.node_id) & 0xFFFF
        self.core = NodeCore(config.node_id, config.node, seed=seed, position=config.location,
                             trust=_node_trust(config) if config.signed else None,
                             durable=bool(config.state_dir))
        self.journal: Journal | None = None
        self.peers: list[tuple[str, int]] = list(config.peers)
        self.address: tuple[str, int] | None = None
        self._sock = None
        self._clock_offset = 0.0  # set when serving starts, see clock()
        self._raw = None  # the same socket, for sends that need no waiting
        self._changed = trio.lowlevel.ParkingLot()
        self._nursery = None
        self.pool = None
        if config.location is not None:
            lat, lon = config.location
            self.core.tagspace.register_io("location", tagspace.StaticValue(
                {"lat": lat, "lon": lon}), replace=True)
        self._saved: set[str] = set()
        if config.state_dir:
            self._load_bricks()
        owner = self.core.tagspace.node_principal
        tags = dict(config.tags)
        for name in config.actuators:
            self.core.tagspace.register_io(name, tagspace.MockActuator(tags.pop(name, None)))
        for name, value in tags.items():
            access = "rw" if name in config.shared_tags else "r"
            self.core.tagspace.create(owner, name, value, access={"others": access}, now=0.0)
        self._dirty_tags: set[str] = set()
        if config.state_dir:
            self.journal = Journal(os.path.join(config.state_dir, JOURNAL), sync=config.journal_sync)
            self._recover()
            self.core.tagspace.add_observer(self._tag_changed)
            # SM ids are never reused across restarts: they name owners of tags
            self._ids_reserved = int(self.journal.live.get(ID_BLOCK_KEY, b"0"))
            self.core.continue_ids_after(self._ids_reserved)
            self._reserve_ids()
        # Untrusted input: bricks are compiled off the loop (in a thread, one
        # at a time), and with workers an arriving SM's values are decoded
        # only in the worker that runs it.
        self.core.cache.deferred = True
        self.core.screen_arrivals = bool(config.workers)
        self._compiling = False
        self.core.driver_info = self._describe
        self._tracer = self._trace_file = None
        if config.trace:
            self._start_trace(config.trace)
        #: --log-level debug: every datagram in and out, and neighbour changes
        self._tracing = log.isEnabledFor(logging.DEBUG)
        self._neighbors_seen: dict[str, object] = {}

    def _trace_neighbors(self) -> None:
        now = {nb.node_id: nb.position for nb in self.core.neighbor_table.entries(self.clock())}
        for node_id in sorted(now.keys() - self._neighbors_seen.keys()):
            log.debug("neighbour %s appeared (position %s)", node_id, now[node_id])
        for node_id in sorted(self._neighbors_seen.keys() - now.keys()):
            log.debug("neighbour %s is gone (no beacon for %g s)", node_id,
                      self.config.node.neighbor_timeout)
        self._neighbors_seen = now

    def _describe(self) -> dict:
        """What the daemon adds to the node's status (``smvm status``)."""
        return {"address": None if self.address is None else "%s:%d" % self.address[:2],
                "peers": ["%s:%d" % peer for peer in self.peers],
                "broadcast": self.config.broadcast, "workers": self.config.workers,
                "journaled": None if self.journal is None else len(self.journal.live)}

    def _start_trace(self, path: str) -> None:
        from . import trace
        space = self.core.tagspace
        initial = trace.readable_tags(space, 0.0)  # the tags it was configured with
        for name in self.config.actuators:
            initial.setdefault(name, None)
        world = {"tags": {self.config.node_id: initial}}
        self._trace_file = trace.TraceWriter(path, trace.header(
            "daemon", time.time(), node=self.config.node_id, world=world))
        self._tracer = trace.NodeTracer(self.config.node_id, self.config.trace_period)
        node = self.config.node_id
        space.add_observer(lambda event: self._trace(trace.observe_tag(node, space, event)))

    def _trace(self, record: dict | None) -> None:
        if record is not None:
            self._trace_file.write(record)

    def _reserve_ids(self) -> None:
        self._ids_reserved = self.core.ids_issued + ID_BLOCK
        self.journal.put(ID_BLOCK_KEY, str(self._ids_reserved).encode("ascii"))

    def _tag_changed(self, event) -> None:
        """Tags SMs create are the node's memory: note which to journal."""
        if isinstance(event, (tagspace.TagCreated, tagspace.TagDeleted, tagspace.TagExpired)) or (
                isinstance(event, tagspace.TagWritten) and not event.io):
            self._dirty_tags.add(event.name)

    def _recover(self) -> None:
        """Take back the SMs the journal holds (a restart after a crash)."""
        now = time.time()
        forget = now - self.config.node.remember_hops
        records = sorted(self.journal.live.items(), key=lambda kv: not kv[0].startswith("tag/"))
        for key, value in records:  # tags first: recovered SMs may wait on them
            kind, _, name = key.partition("/")
            if key == ID_BLOCK_KEY:
                continue
            try:
                if kind == "tag":
                    if not tagspace.restore_tag(self.core.tagspace, statecodec.loads(value), now):
                        self.journal.delete(key)  # its lifetime passed while the node was down
                elif kind == "seen":
                    when = float(value.decode("ascii"))
                    if when < forget:
                        self.journal.delete(key)
                    else:
                        self.core.remember_hop(bytes.fromhex(name), when)
                elif kind == "sm":
                    log.info("node %s recovered SM %s from its journal", self.config.node_id,
                             self.core.recover(value, now))
                elif kind == "result":
                    log.info("node %s recovered the result of SM %s from its journal",
                             self.config.node_id, self.core.recover_result(value, now))
            except (RemoteInputError, ValueError, KeyError, TypeError,
                    tagspace.TagSpaceError) as exc:
                log.warning("dropping journal record %s: %s", key, exc)
                self.journal.delete(key)

    def _journal(self, events: list) -> None:
        """Make SM states durable before anything the node queued is sent (an
        ACK among it), and forget SMs that left or ended."""
        with self.journal.batch():  # one disk flush for all of it
            for event in events:
                if isinstance(event, ev.SMDurable):
                    self._save_bricks()
                    self.journal.put("sm/" + event.sm_id, event.snapshot)
                elif isinstance(event, ev.ResultHeld):
                    self.journal.put("result/" + event.sm_id, event.record)
                elif isinstance(event, ev.ResultReleased):
                    self.journal.delete("result/" + event.sm_id)
                elif isinstance(event, ev.SMReleased):
                    self.journal.delete("sm/" + event.sm_id)
                    if event.arrived_by:  # its retransmissions stay duplicates after a restart
                        self.journal.put("seen/" + event.arrived_by.hex(),
                                         repr(event.time).encode("ascii"))
            self._journal_tags()
            if self.core.ids_issued >= self._ids_reserved - ID_BLOCK // 2:
                self._reserve_ids()

    def _journal_tags(self) -> None:
        now, space = self.clock(), self.core.tagspace
        node = space.node_principal.sm_id
        for name in self._dirty_tags:
            record = tagspace.export_tag(space, name, now)
            if record is not None and record["owner"][0] == node:
                continue  # the node's own tags come from its command line
            if record is None:
                self.journal.delete("tag/" + name)
            else:
                self.journal.put("tag/" + name, statecodec.dumps(record))
        self._dirty_tags.clear()

    def clock(self) -> float:
        """The node's time: seconds of the Unix epoch, moving with trio's
        monotonic clock. SMs carry times from node to node (a deadline set on
        one is checked on the next), so nodes must share a time base: the
        system clock, kept in step by NTP or GPS on real devices."""
        return trio.current_time() + self._clock_offset

    # ---- running ----------------------------------------------------------------
    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self._clock_offset = time.time() - trio.current_time()
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        raw.setblocking(False)
        sock = trio.socket.from_stdlib_socket(raw)
        with sock:
            if self.config.broadcast:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            await sock.bind((self.config.host, self.config.port))
            self._sock, self._raw = sock, raw
            self.address = sock.getsockname()
            log.info("node %s listening on %s:%d", self.config.node_id, *self.address)
            advert = await self._advertise()
            try:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    if self.config.workers:
                        from .workers.pool import WorkerPool
                        self.pool = WorkerPool(self.core, self.config.workers,
                                               wall_seconds=self.config.slice_seconds)
                    nursery.start_soon(self._receive_loop)
                    nursery.start_soon(self._timer_loop)
                    if self.config.gps:
                        nursery.start_soon(self._gps_loop, self.config.gps)
                    task_status.started(self.address)
            finally:
                if self._trace_file is not None:
                    self._trace_file.close()
                if self.pool is not None:
                    await self.pool.aclose()
                if advert is not None:
                    with trio.CancelScope(shield=True):
                        await trio.to_thread.run_sync(advert.close)

    async def _advertise(self):
        if not self.config.advertise:
            return None
        from .discovery import Advertisement
        host = self.address[0]
        addresses = self.config.interfaces or ([host] if host != "0.0.0.0" else _local_addresses())
        try:
            key = self.core.trust.key.fingerprint if self.core.trust else ""
            return await trio.to_thread.run_sync(
                Advertisement, self.config.node_id, self.address[1], addresses,
                self.config.interfaces, key)
        except Exception as exc:  # noqa: BLE001 - a LAN without multicast still serves
            log.warning("zeroconf advertisement unavailable: %s", exc)
            return None

    async def _gps_loop(self, spec: str) -> None:
        """Feed NMEA lines from the source to the location I/O tags."""
        from .drivers.gps import GpsFeed, NmeaTracker, read_serial, read_tcp, replay_file
        tracker = NmeaTracker()
        feed = GpsFeed(tracker, self.core.tagspace)

        def take(line) -> None:
            now = self.clock()
            self.core.woken(feed.feed(line, now))
            fix = tracker.location(now)
            if fix is not None:
                self.core.position = (fix.lat, fix.lon)

        kind, _, where = spec.partition(":")
        if kind == "file":
            start = trio.current_time()
            for offset, line in replay_file(where):
                await trio.sleep_until(start + offset)
                take(line)
            return

        def pump_lines() -> None:
            if kind == "tcp":
                host, _, port = where.rpartition(":")
                lines = read_tcp(host, int(port))
            else:
                device, _, baud = where.partition("@")
                lines = read_serial(device, int(baud or 4800))
            for line in lines:
                trio.from_thread.run_sync(take, line)

        try:
            await trio.to_thread.run_sync(pump_lines, abandon_on_cancel=True)
        except (OSError, ValueError) as exc:
            log.warning("GPS source %s stopped: %s", spec, exc)

    def add_peer(self, address: tuple[str, int]) -> None:
        if address not in self.peers:
            self.peers.append(address)

    async def wait_until(self, predicate, timeout: float = 10.0) -> None:
        """Wait (bounded) until ``predicate()`` holds after some datagram or tick."""
        with trio.fail_after(timeout):
            while not predicate():
                await self._changed.park()

    async def _receive_loop(self) -> None:
        raw = self._raw
        while True:
            try:
                data, address = await self._sock.recvfrom(65536)
            except OSError as exc:  # e.g. ICMP port unreachable on some systems
                log.debug("receive error: %s", exc)
                continue
            now = self.clock()
            if self._tracing:
                _log_datagram("got", data, address)
            self.core.receive(data, address, now)
            # whatever else already arrived goes in before one flush (the
            # fragments of a transfer, an ACK with the next hop...)
            for _ in range(_DRAIN):
                try:
                    data, address = raw.recvfrom(65536)
                except OSError:  # BlockingIOError: nothing more now
                    break
                if self._tracing:
                    _log_datagram("got", data, address)
                self.core.receive(data, address, now)
            await self._flush()

    async def _timer_loop(self) -> None:
        while True:
            now = self.clock()
            self.core.handle_timer(now, run=False)
            if self._tracer is not None:
                for record in self._tracer.sample(now, self.core.position,
                                                  self.core.neighbor_table.ids(now)):
                    self._trace_file.write(record)
                self._trace_file.flush()  # a killed daemon leaves its trace up to the last tick
            await self._flush()
            deadline = self.core.next_deadline()
            wake = min(deadline if deadline is not None else math.inf, now + TICK)
            await trio.sleep_until(wake - self._clock_offset)

    def _brick_dir(self) -> str:
        return os.path.join(self.config.state_dir, "bricks")

    def _load_bricks(self) -> None:
        """Bricks kept by an earlier run; each is checked against its hash."""
        folder = self._brick_dir()
        os.makedirs(folder, exist_ok=True)
        for entry in sorted(os.listdir(folder)):
            brick_id, ext = os.path.splitext(entry)
            if ext != ".py":
                continue
            try:
                with open(os.path.join(folder, entry), encoding="utf-8") as f:
                    self.core.cache.add_remote(brick_id, f.read())
                self._saved.add(brick_id)
            except (OSError, UnicodeDecodeError, RemoteInputError) as exc:
                log.warning("ignoring stored brick %s: %s", entry, exc)

    def _save_bricks(self) -> None:
        for brick in self.core.cache.bricks():
            if brick.hash in self._saved:
                continue
            path = os.path.join(self._brick_dir(), brick.hash + ".py")
            try:
                with open(path + ".tmp", "w", encoding="utf-8") as f:
                    f.write(brick.source)
                os.replace(path + ".tmp", path)
                self._saved.add(brick.hash)
            except OSError as exc:
                log.warning("cannot store brick %s: %s", brick.hash[:12], exc)
                return

    def _start_compiles(self) -> None:
        if not self._compiling and self.core.cache.pending:
            self._compiling = True
            self._nursery.start_soon(self._compile_pending)

    async def _compile_pending(self) -> None:
        """Compile the bricks that arrived, one at a time, in a thread: the
        loop keeps serving meanwhile. A frame that brought a brick was
        dropped; its sender's resend finds the brick compiled."""
        try:
            while self.core.cache.pending:
                brick_id, source, name = self.core.cache.take_pending()[0]
                outcome = await trio.to_thread.run_sync(_compile_quietly, source, name,
                                                        self.core.config.limits)
                self.core.finish_compile(brick_id, outcome, self.clock())
                await self._flush()
        finally:
            self._compiling = False

    def _dispatch(self) -> None:
        """Start every due SM slice: in a worker, or here without workers."""
        if self.pool is None:
            self.core.run_ready()
            return
        for record, kind, payload in self.core.take_ready():
            self._nursery.start_soon(self._run_in_worker, record, kind, payload)

    async def _run_in_worker(self, record, kind, payload) -> None:
        outcome = await self.pool.run(record, kind, payload)
        if outcome is None:  # lost with a worker another SM brought down
            self.core.restart(record, self.clock())
        else:
            self.core.settle(record, outcome, self.clock())
        await self._flush()

    async def _flush(self) -> None:
        self._start_compiles()
        self._dispatch()
        if self.config.state_dir:
            self._save_bricks()
        events = self.core.events()
        if self.journal is not None:
            self._journal(events)
        raw = self._raw
        if self._tracing:
            self._trace_neighbors()
        for link, datagram in self.core.datagrams_to_send():
            if self._tracing:
                _log_datagram("sent", datagram, "all peers" if link == BROADCAST else link)
            targets = list(self.peers) if link == BROADCAST else [link]
            if link == BROADCAST and self.config.broadcast:
                targets.append((self.config.broadcast, self.config.port))
            for target in targets:
                try:
                    try:  # a datagram socket seldom has to wait: send at once
                        raw.sendto(datagram, target)
                    except BlockingIOError:
                        await self._sock.sendto(datagram, target)
                except OSError as exc:
                    log.debug("send to %s failed: %s", target, exc)
        for event in events:
            _log_event(event)
        if self._tracer is not None:
            for record in self._tracer.events(events):
                self._trace_file.write(record)
            self._trace_file.flush()
        self._changed.unpark_all()


def _node_trust(config: DaemonConfig) -> NodeTrust:
    """The daemon's key (kept in its state directory) and the keys it trusts."""
    pinned = parse_trust_file(config.trust_file) if config.trust_file else None
    if config.state_dir:
        os.makedirs(config.state_dir, exist_ok=True)
        key = NodeKey.load_or_create(config.state_dir)
        learned = os.path.join(config.state_dir, LEARNED_KEYS)
    else:
        key, learned = NodeKey.generate(), None
        log.info("no --state-dir: node %s signs with a new key for this run", config.node_id)
    log.info("node %s key %s", config.node_id, key.fingerprint)
    return NodeTrust(config.node_id, key, KnownNodes(pinned, learned_file=learned))


def _log_datagram(verb: str, datagram: bytes, peer: object) -> None:
    """One DEBUG line for a datagram in or out: its frame, or which fragment."""
    from .wire.summary import summarize
    if wire.is_fragment(datagram) and len(datagram) >= wire.FRAGMENT_HEADER_LEN:
        msg_id, index, count = struct.unpack_from(">IHH", datagram, 2)
        what = f"fragment {index + 1}/{count} of message {msg_id} ({len(datagram)} bytes)"
    else:
        try:
            what = summarize(wire.decode(datagram))
        except wire.WireError as exc:
            what = f"a malformed datagram ({truncate(str(exc), 80)})"
    if type(peer) is tuple and len(peer) == 2:
        peer = "%s:%s" % peer
    log.debug("%s %s %s: %s", verb, "to" if verb == "sent" else "from", peer, what)


def _compile_quietly(source: str, name: str, limits) -> object:
    """A brick, or the ``CompileError`` saying why not (in a thread)."""
    try:
        return compile_bounded(source, name, limits)
    except CompileError as exc:
        return exc
    except (RecursionError, MemoryError, ValueError) as exc:
        return CompileError([SourceError(name, 0, f"cannot compile: {type(exc).__name__}")])


def _log_event(event: ev.Event) -> None:
    if isinstance(event, ev.FrameRefused):
        log.warning("refused %s from %s: %s", event.kind, event.source,
                    truncate(str(event.reason), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.SMFinished):
        log.info("SM %s finished on %s: %s", event.sm_id, event.node, safe_repr(event.value))
    elif isinstance(event, ev.SMFailed):
        log.warning("SM %s failed on %s: %s: %s", event.sm_id, event.node,
                    truncate(str(event.error.get("type")), 80),
                    truncate(str(event.error.get("message")), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.HopFailed):
        log.warning("hop of %s to %s failed: %s", event.sm_id, event.target,
                    truncate(str(event.reason), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.LogLine):
        log.info("[%s] %s", event.sm_id, truncate(event.text, MAX_LOG_LINE_CHARS))
    elif isinstance(event, ev.SMDurable):
        log.debug("SM %s journaled (%d bytes)", event.sm_id, len(event.snapshot))
    else:
        log.debug("%s", truncate(str(event), MAX_SHOWN_CHARS))


async def run_daemon(config: DaemonConfig) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    daemon = NodeDaemon(config)
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(daemon.serve)

            async def stop_on_signal():
                async for signum in signals:
                    log.info("node %s stopping (%s)", config.node_id, signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()
                    return
            nursery.start_soon(stop_on_signal)


# ---- the inject client ----------------------------------------------------------

@dataclass
class InjectOutcome:
    sm_id: str
    ok: bool
    value: object
    error: dict | None
    trip: dict = field(default_factory=dict)  # node, hops, bytes, fuel (with --wait)

    def to_json(self) -> dict:
        """The shape of ``smvm exec --json``, plus the SM's id."""
        shown = {"result": self.value, "error": self.error,
                 **{k: self.trip.get(k) for k in ("node", "hops", "bytes", "fuel")},
                 "sm": self.sm_id}
        if "path" in self.trip:  # the path the SM's signed chain proves
            shown["path"] = self.trip["path"]
        return shown


async def inject(address: tuple[str, int], source: str, args: list, *, wait: bool,
                 timeout: float) -> InjectOutcome:
    """Ask the node at ``address`` to start an SM; with ``wait``, its end.
    The request is repeated until the node answers (it starts the SM once per
    request id); ``smvm.client.NodeUnreachable`` at once when nothing listens,
    ``trio.TooSlowError`` after ``timeout`` seconds of silence."""
    from .client import exchange
    request_id = os.urandom(16)
    frame = wire.Inject(request_id, source, statecodec.dumps(list(args)), wait)
    datagrams = wire.fragment(wire.encode(frame), 1, 1200)

    def answer(reply) -> InjectOutcome | None:
        if not (isinstance(reply, wire.InjectReply) and reply.request_id == request_id):
            return None
        try:
            envelope = statecodec.loads(reply.value) if reply.value else {}
        except RemoteInputError:
            envelope = None
        if type(envelope) is not dict:
            envelope = {}
        return InjectOutcome(reply.sm_id, reply.ok, envelope.get("value"), reply.error,
                             {k: v for k, v in envelope.items() if k != "value"})

    with trio.fail_after(timeout):
        outcome = await exchange(address, datagrams, answer, timeout=math.inf)
        token = _withheld_token(outcome)
        if token is not None:
            # a reply too big to be sent unasked: the request again, under its
            # id followed by the node's token (we receive at this address)
            fetch = wire.Inject(request_id + token, source, frame.args, wait)
            datagrams = wire.fragment(wire.encode(fetch), 2, 1200)
            outcome = await exchange(address, datagrams, answer, timeout=math.inf)
        return outcome


def _withheld_token(outcome: InjectOutcome) -> bytes | None:
    """The token of a reply the node withheld (too big to send unasked)."""
    error = outcome.error or {}
    if outcome.ok or error.get("type") != "ReplyWithheld":
        return None
    try:
        return bytes.fromhex(str(error.get("token")))
    except ValueError:
        return None


def _local_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        addresses = sorted({info[4][0] for info in infos})
    except OSError:
        addresses = []
    return addresses or ["127.0.0.1"]


def parse_peers(text: str) -> list[tuple[str, int]]:
    peers = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad peer {item!r}: expected HOST:PORT")
        peers.append((host, int(port)))
    return peers


def parse_tag(text: str) -> tuple[str, object]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ValueError(f"bad tag {text!r}: expected NAME=VALUE")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw
