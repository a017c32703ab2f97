"""The node daemon: the node core driven by trio over UDP (a thin driver).

Datagrams from the socket and timer ticks go into the sans-I/O ``NodeCore``;
what it queues goes out, unicast to a neighbour's address or, for beacons, to
every configured peer and the broadcast address. SM slices run in worker
processes (``smvm.workers``); with a state directory, what must survive a
crash is journaled (``durability``) and bricks are kept (``bricks``).
"""
from __future__ import annotations

import logging
import math
import os
import signal
import socket
import time

import trio

import tagspace

from ..errors import CompileError, SourceError
from ..node import BROADCAST, NodeCore, compile_bounded
from .bricks import BrickStore
from .config import DaemonConfig, node_trust
from .durability import NodeJournal
from .logs import log_datagram, log_event

log = logging.getLogger("smvm.node")

#: Longest the timer loop sleeps, so retransmissions stay timely.
TICK = 0.05
#: Datagrams the receive loop takes in after the one it waited for, before it
#: lets the node run and send.
_DRAIN = 64


class NodeDaemon:
    def __init__(self, config: DaemonConfig):
        self.config = config
        seed = config.seed if config.seed is not None else hash(config.node_id) & 0xFFFF
        self.core = NodeCore(config.node_id, config.node, seed=seed, position=config.location,
                             trust=node_trust(config) if config.signed else None,
                             durable=bool(config.state_dir))
        self.journal: NodeJournal | None = None
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
        if config.state_dir:  # bricks kept by an earlier run, and each new one from now on
            BrickStore(os.path.join(config.state_dir, "bricks")).load_into(self.core.cache)
        owner = self.core.tagspace.node_principal
        tags = dict(config.tags)
        for name in config.actuators:
            self.core.tagspace.register_io(name, tagspace.MockActuator(tags.pop(name, None)))
        for name, value in tags.items():
            access = "rw" if name in config.shared_tags else "r"
            self.core.tagspace.create(owner, name, value, access={"others": access}, now=0.0)
        if config.state_dir:
            self.journal = NodeJournal(self.core, config.state_dir, config.journal_sync)
            self.journal.recover(time.time())
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
                "journaled": None if self.journal is None else len(self.journal)}

    def _start_trace(self, path: str) -> None:
        from .. import trace
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
                        from ..workers.pool import WorkerPool
                        self.pool = WorkerPool(self.core, self.config.workers,
                                               wall_seconds=self.config.slice_seconds)
                    nursery.start_soon(self._receive_loop)
                    nursery.start_soon(self._timer_loop)
                    if self.config.gps:
                        from ..drivers.gps_loop import follow_gps
                        nursery.start_soon(follow_gps, self.config.gps, self.core, self.clock)
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
        from ..discovery import advertise_node
        key = self.core.trust.key.fingerprint if self.core.trust else ""
        try:
            return await trio.to_thread.run_sync(advertise_node, self.config.node_id,
                                                 self.address, self.config.interfaces, key)
        except Exception as exc:  # noqa: BLE001 - a LAN without multicast still serves
            log.warning("zeroconf advertisement unavailable: %s", exc)
            return None

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
                log_datagram("got", data, address)
            self.core.receive(data, address, now)
            # whatever else already arrived goes in before one flush (the
            # fragments of a transfer, an ACK with the next hop...)
            for _ in range(_DRAIN):
                try:
                    data, address = raw.recvfrom(65536)
                except OSError:  # BlockingIOError: nothing more now
                    break
                if self._tracing:
                    log_datagram("got", data, address)
                self.core.receive(data, address, now)
            await self._flush()

    async def _timer_loop(self) -> None:
        while True:
            now = self.clock()
            self.core.handle_timer(now)
            if self._tracer is not None:
                for record in self._tracer.sample(now, self.core.position,
                                                  self.core.neighbor_table.ids(now)):
                    self._trace_file.write(record)
                self._trace_file.flush()  # a killed daemon leaves its trace up to the last tick
            await self._flush()
            deadline = self.core.next_deadline()
            wake = min(deadline if deadline is not None else math.inf, now + TICK)
            await trio.sleep_until(wake - self._clock_offset)

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
        for item in self.core.take_ready():
            self._nursery.start_soon(self._run_in_worker, item.record, item.step)

    async def _run_in_worker(self, record, step) -> None:
        outcome = await self.pool.run(record, step)
        if outcome is None:  # lost with a worker another SM brought down
            self.core.restart(record, self.clock())
        else:
            self.core.settle(record, outcome, self.clock())
        await self._flush()

    async def _flush(self) -> None:
        self._start_compiles()
        self._dispatch()
        events = self.core.events()
        if self.journal is not None:
            self.journal.record(events, self.clock())
        raw = self._raw
        if self._tracing:
            self._trace_neighbors()
        for link, datagram in self.core.datagrams_to_send():
            if self._tracing:
                log_datagram("sent", datagram, "all peers" if link == BROADCAST else link)
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
            log_event(event)
        if self._tracer is not None:
            for record in self._tracer.events(events):
                self._trace_file.write(record)
            self._trace_file.flush()
        self._changed.unpark_all()


def _compile_quietly(source: str, name: str, limits) -> object:
    """A brick, or the ``CompileError`` saying why not (in a thread)."""
    try:
        return compile_bounded(source, name, limits)
    except CompileError as exc:
        return exc
    except (RecursionError, MemoryError, ValueError) as exc:
        return CompileError([SourceError(name, 0, f"cannot compile: {type(exc).__name__}")])


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
