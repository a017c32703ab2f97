"""The node core: a synchronous, sans-I/O state machine (no sockets, no
clock, no threads). Drivers — the daemon, the simulator — feed it datagrams
and timer ticks with the current time, and send what it queues.

It owns the tag space, the code cache, admission control, the ready queue of
SMs, blocked SMs, the neighbour table and the per-hop migration state
machines, and counts everything.
"""
from __future__ import annotations

import dataclasses
import random
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Hashable

import tagspace

from .. import statecodec, wire
from ..compiler import Brick, brick_hash
from ..errors import CompileError, MigrationError, RemoteInputError, TagError, TagTimeout
from ..limits import (
    DEFAULT_NODE_LIMITS, MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS, MAX_RESULT_BYTES, NodeLimits, truncate,
)
from ..trust import TrustError, open_sealed, pack_chain, unpack_chain
from ..vm import (
    DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB, ErrorRecord, Failed, Finished, Paused,
    SMInstance, Suspended, continuation_brick,
)
from . import events as ev
from ._admission import FamilyBudgets
from ._cache import CodeCache
from ._replies import InjectReplies
from ._screen import screen_continuation
from ._hops import HopState, OutgoingHop, RetryPolicy
from ._neighbors import NeighborTable
from ._results import HeldResult, ack_id
from ._results import pack as pack_result
from ._results import unpack as unpack_result
from ._rtt import RttEstimator
from .durable import Snapshot
from .durable import loads as load_snapshot
from .provenance import NodeTrust
from .status import MAX_STATUS_BYTES, MIN_STATUS_QUERY, fit_status, node_status

BROADCAST = "*"
MISSING_BRICK = "missing brick"
#: About 20-50 ms of a busy loop on a desktop CPU.
DEFAULT_FUEL_SLICE = 1_000_000


@dataclass(frozen=True)
class NodeConfig:
    fuel_per_sm: int = DEFAULT_FUEL
    memory_mb: float | None = DEFAULT_MEMORY_MB
    cpu_seconds: float | None = DEFAULT_CPU_SECONDS
    max_sms: int = 64
    tag_memory: int = 1 << 20
    tag_memory_per_sm: int = 64 << 10
    code_cache: int = 64
    retry: RetryPolicy = RetryPolicy()
    beacon_interval: float | None = 1.0
    neighbor_timeout: float = 3.5
    mtu: int = 1200
    remember_hops: float = 300.0  # how long admitted hop ids suppress duplicates
    #: fuel units an SM runs before the other ready SMs get a turn (it is then
    #: requeued at the back of the ready queue); None: run each SM until it
    #: migrates, blocks or ends
    fuel_slice: int | None = DEFAULT_FUEL_SLICE
    #: bounds on untrusted work, per family and per origin (``smvm.limits``)
    limits: NodeLimits = DEFAULT_NODE_LIMITS


@dataclass
class _SM:
    sm_id: str
    brick: Brick
    principal: tagspace.Principal
    fuel: int = 0
    waiting: tuple | None = None  # (state, tag) while blocked
    hops: int = 0  # travelled so far, and the bytes its transfers took
    bytes: int = 0
    chain: list | None = None  # its signed provenance, on a signing node
    arrived_by: bytes = b""  # the hop id that brought it here (journaled nodes)
    client: Hashable | None = None  # the inject client that started it here
    #: the last state it was handed out from (kind, payload, fuel): where it
    #: starts again if the process holding it dies through another SM's fault
    accepted: tuple | None = None
    restarts: int = 0


#: SMs whose way back a node remembers (oldest forgotten first)
_MAX_CAME_FROM = 4096
#: times an SM starts again after losing its worker to another SM's fault
_MAX_RESTARTS = 3


def _trip(record: _SM, node: str) -> dict:
    """How an SM ended: where, after how many hops, bytes and fuel units, and
    (signed) the verified path it took."""
    trip = {"node": node, "hops": record.hops, "bytes": record.bytes, "fuel": record.fuel}
    if record.chain is not None:
        trip["path"] = _chain_path(record.chain)
    return trip


def _chain_path(chain: list) -> list[str]:
    """The nodes of a chain this node already verified (births and hops as sent)."""
    records = [open_sealed(sealed) for sealed in chain]
    return [records[0].signer, *(r.receiver for r in records[1:])]


class NodeCore:
    """One node's protocol and execution state."""

    def __init__(self, node_id: str, config: NodeConfig = NodeConfig(), *, seed: int = 0,
                 position: tuple[float, float] | None = None, trust: NodeTrust | None = None,
                 durable: bool = False):
        self.node_id = node_id
        #: report each SM's durable states (``SMDurable``/``SMReleased`` events)
        #: for a driver that journals them (see ``smvm.node.durable``)
        self.durable = durable
        #: signs what this node vouches for and verifies what arrives (None: unsigned)
        self.trust = trust
        self.config = config
        self.position = position
        self.tagspace = tagspace.TagSpace(node_id, config.tag_memory, config.tag_memory_per_sm)
        self.cache = CodeCache(config.code_cache, config.limits)
        self.budgets = FamilyBudgets(config.limits, config.fuel_per_sm)
        #: arriving SMs are only screened here (their values are decoded
        #: where they run: a driver running SMs in sandboxed workers sets it)
        self.screen_arrivals = False
        self.neighbor_table = NeighborTable(config.neighbor_timeout)
        self.tagspace.register_io("neighbors", _NeighborsTag(self), replace=True)
        self.tagspace.register_io("position", _PositionTag(self), replace=True)
        self.tagspace.register_io("neighbor_positions", _NeighborPositionsTag(self), replace=True)
        self.tagspace.register_io("hop_rtt", _HopRttTag(self), replace=True)
        self.tagspace.register_io("hop_rtt_least", _HopRttTag(self, least=True), replace=True)
        self.tagspace.register_io("provenance", _ProvenanceTag(self), replace=True)
        self.counters: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._jitter = random.Random(seed ^ 0x5EED)  # own stream: hop ids stay as they were
        self._now = 0.0
        self._out: list[tuple[Hashable, bytes]] = []
        self._events: list[ev.Event] = []
        self._ready: deque = deque()
        self._sms: dict[str, _SM] = {}
        self._hops: dict[bytes, OutgoingHop] = {}
        self._admitted: dict[bytes, float] = {}
        # sm id -> (link it first came in by, when): the way back for its result
        self._came_from: OrderedDict[str, tuple[Hashable, float]] = OrderedDict()
        self._peer_bricks: dict[str, set[str]] = {}
        self._rtt = RttEstimator()
        self._timeouts: dict[str, float] = {}
        self._reassembler = wire.Reassembler()
        self._msg_ids = 0
        self._ids = 0
        self._next_beacon = 0.0
        self._beacon_seq = 0
        self._inject_waits: dict[str, tuple[bytes, Hashable]] = {}
        # requests seen and replies sent: clients resend their request until
        # answered; each starts one SM only
        self._inject_replies = InjectReplies(config.limits)
        self._message_size = 0  # of the message being handled
        # SM ids whose result this node took or passed on (each once)
        self._results_seen: OrderedDict[str, None] = OrderedDict()
        # ack id -> a RESULT in this node's custody until the next node acknowledges it
        self._held_results: dict[bytes, HeldResult] = {}
        # sm id -> links it left here by: where its result may come back from
        self._sent_to: OrderedDict[str, set] = OrderedDict()
        # brick id -> frames that brought it, while it is being compiled
        self._held: dict[str, list] = {}
        #: when the node first ran (its first timer tick), for its uptime
        self.started_at: float | None = None
        #: what the driver adds to the node's status (address, peers...)
        self.driver_info: Callable[[], dict] | None = None

    # ---- driver side: inputs ------------------------------------------------------
    def receive(self, datagram: bytes, link: Hashable, now: float) -> None:
        """A datagram arrived from ``link``; malformed input is counted, never raised."""
        self._now = now
        self.counters["datagrams_in"] += 1
        self.counters["bytes_in"] += len(datagram)
        try:
            message = self._reassembler.feed(datagram, link, now)
            if message is None:
                return
            frame = _decode_small(message) if len(message) <= _SMALL else wire.decode(message)
        except wire.WireError:
            self.counters["malformed"] += 1
            return
        kind = type(frame).__name__
        self.counters[f"frames_in.{kind}"] += 1
        handler = _HANDLERS.get(type(frame))
        if handler is not None:
            self._message_size = len(message)
            handler(self, frame, link)

    def handle_timer(self, now: float, *, run: bool = True) -> None:
        """Retransmit, time out waits and neighbours, beacon, and (unless a
        driver runs SMs elsewhere, ``run=False``) run the ready SMs."""
        self._now = now
        if self.started_at is None:
            self.started_at = now
        for hop in list(self._hops.values()):
            if hop.deadline <= now:
                self._retry(hop)
        for key, held in list(self._held_results.items()):
            if held.deadline <= now:
                self._retry_result(key, held)
        for event in self.tagspace.timeouts(now):
            self._wait_timed_out(event.token, event.name)
        for gone in self.neighbor_table.expire(now):
            self._rtt.forget(gone)  # if it comes back, it starts afresh
        self._reassembler.expire(now)
        for hop_id, when in list(self._admitted.items()):
            if now - when > self.config.remember_hops:
                del self._admitted[hop_id]
        while self._came_from and now - next(iter(self._came_from.values()))[1] > self.config.remember_hops:
            self._came_from.popitem(last=False)
        if self.config.beacon_interval is not None and now >= self._next_beacon:
            # stored tags only: every node has the same I/O tags
            key = self.trust.key.public if self.trust else b""
            self._send(BROADCAST, wire.Beacon(self.node_id, self._beacon_seq, self.position,
                                              tuple(self.tagspace.stored_names(now)[:32]), key))
            self._beacon_seq += 1
            self._next_beacon = now + self.config.beacon_interval
        if run:
            self.run_ready()

    def inject(self, source: str, args: list | tuple = (), now: float = 0.0, *,
               entry: str = "main", name: str = "<injected>") -> str:
        """Start a new SM here (a new family originating on this node)."""
        self._now = now
        brick = self.cache.add_source(source, name)  # CompileError for a bad brick
        sm_id = self._new_id()
        principal = tagspace.Principal(sm_id, sm_id, self.node_id, brick.code_ids)
        record = _SM(sm_id, brick, principal)
        blob = _args_blob(args)
        record.chain = self._birth(principal, brick, blob)
        self._enter(record)
        self._events.append(ev.SMStarted(sm_id, self.node_id, now, brick.name))
        self._ready.append((record, "start", (entry, args if type(args) is bytes else list(args))))
        self._durable(record, "start", entry=entry, args=blob)
        return sm_id

    def hear_neighbor(self, node_id: str, link: Hashable, now: float,
                      position: tuple[float, float] | None = None, *, static: bool = True) -> None:
        """Tell the core about a neighbour directly (configured peers, tests);
        such links do not expire unless ``static`` is False."""
        self.neighbor_table.heard(node_id, link, position, now, static)

    # ---- driver side: outputs -----------------------------------------------------
    def datagrams_to_send(self) -> list[tuple[Hashable, bytes]]:
        out, self._out = self._out, []
        return out

    def events(self) -> list[ev.Event]:
        out, self._events = self._events, []
        return out

    @property
    def has_ready(self) -> bool:
        """SM slices are due now."""
        return bool(self._ready)

    @property
    def quiet(self) -> bool:
        """Nothing due, nothing to send, nothing to report."""
        return not (self._ready or self._out or self._events)

    def woken(self, events: tuple) -> None:
        """Tag waits that ended (``Woken`` events from the tag space): resume those SMs."""
        for event in events:
            self._wake(event.token, event.name)

    def next_deadline(self) -> float | None:
        times = [h.deadline for h in self._hops.values()]
        times.extend(held.deadline for held in self._held_results.values())
        if self._ready:
            times.append(self._now)
        for t in (self.tagspace.next_deadline(), self.neighbor_table.next_expiry(),
                  self._next_beacon if self.config.beacon_interval is not None else None):
            if t is not None:
                times.append(t)
        return min(times) if times else None

    def status(self, now: float) -> dict:
        """What this node holds and has done, as plain data (``smvm status``;
        see ``smvm.node.status``)."""
        return node_status(self, now)

    # ---- running SMs ------------------------------------------------------------
    def take_ready(self) -> list[tuple]:
        """The SM slices due now, for a driver that runs them elsewhere (in
        worker processes); it hands each outcome back with ``settle``. An
        entry of kind "continue" carries the ``handle`` of the ``Paused``
        outcome the driver settled earlier. (An SM that came in by a hop is
        handed over as a "resume" from its continuation: where it runs, it is
        decoded again.)"""
        items = []
        while self._ready:
            item = self._ready.popleft()
            record, kind, payload = item
            if self._sms.get(record.sm_id) is not record:
                if kind == "continue":
                    self._abandon(payload)
            elif kind == "arrived":  # checked here; decoded again where it runs
                record.accepted = ("resume", (payload[0], None, None), record.fuel)
                items.append((record, "resume", (payload[0], None, None)))
            else:
                if kind != "continue":
                    record.accepted = (kind, payload, record.fuel)
                items.append(item)
        return items

    def restart(self, record: _SM, now: float) -> None:
        """The SM's state in memory was lost with a worker process that
        another SM brought down: it starts again from the last state it was
        handed out from (what it did since then may be done again), at most
        ``_MAX_RESTARTS`` times."""
        self._now = now
        if self._sms.get(record.sm_id) is not record:
            return
        if record.accepted is None or record.restarts >= _MAX_RESTARTS:
            self._settle(record, Failed(ErrorRecord(
                "WorkerKilled", "the SM was stopped: its worker process died"), record.fuel))
            return
        record.restarts += 1
        kind, payload, fuel = record.accepted
        record.fuel = fuel
        self.counters["sms_restarted"] += 1
        self._ready.append((record, kind, payload))

    def host_for(self, record: _SM) -> "_Host":
        """The node as the SM of ``record`` sees it (for a worker's calls)."""
        return _Host(self, record)

    def settle(self, record: _SM, outcome, now: float) -> None:
        """Take the outcome of a slice run elsewhere."""
        self._now = now
        if self._sms.get(record.sm_id) is record:
            self._settle(record, outcome)
        elif isinstance(outcome, Paused):
            self._abandon(outcome.handle)

    def run_ready(self) -> None:
        """Run the due SM slices here, in this process. Each SM gets at most
        one fuel slice per call: one that spends it waits at the back of the
        queue (``has_ready`` stays true) for the next call."""
        sliced: set[int] = set()
        ready = self._ready
        while ready:
            record, kind, payload = ready[0]
            if kind == "continue" and id(record) in sliced:
                break  # its next turn is the next call's
            ready.popleft()
            if self._sms.get(record.sm_id) is not record:
                if kind == "continue":
                    self._abandon(payload)
                continue  # it left (or a newer visit of the same SM replaced it)
            if kind == "continue":
                outcome = payload.proceed()
            elif kind == "arrived":
                outcome = payload[1].resume_decoded(payload[2])
            else:
                instance = self._instance(record)
                if kind == "start":
                    entry, args = payload
                    outcome = instance.start(entry, args)
                else:
                    state, value, error = payload
                    try:
                        outcome = instance.resume(state, value, error)
                    except RemoteInputError as exc:
                        outcome = Failed(ErrorRecord("ContinuationError", str(exc)), record.fuel)
            if type(outcome) is Paused:
                sliced.add(id(record))
            self._settle(record, outcome)

    def _instance(self, record: _SM) -> SMInstance:
        """A fresh activation of the SM of ``record`` on this node."""
        config = self.config
        return SMInstance(record.brick, _Host(self, record), sm_id=record.sm_id,
                          fuel_limit=config.fuel_per_sm, memory_mb=config.memory_mb,
                          fuel_used=record.fuel, principal=record.principal,
                          cpu_seconds=config.cpu_seconds, slice_fuel=config.fuel_slice)

    def _abandon(self, handle: object) -> None:
        abandon = getattr(handle, "abandon", None)
        if abandon is not None:
            abandon()

    def _enter(self, record: _SM, *, spawned: bool = False) -> None:
        """``record``'s SM lives here now (a newer visit replaces an older one)."""
        old = self._sms.get(record.sm_id)
        if old is not None:
            self.budgets.left(old.principal, old.client)
        self._sms[record.sm_id] = record
        self.budgets.entered(record.principal, spawned=spawned, client=record.client)

    def _leave(self, record: _SM) -> None:
        if self._sms.get(record.sm_id) is record:
            del self._sms[record.sm_id]
            self.budgets.left(record.principal, record.client)
            self._released(record)

    def _settle(self, record: _SM, outcome) -> None:
        # fuel spent here: the simulator turns it into virtual execution time
        spent = max(0, outcome.fuel - record.fuel)
        self.counters["fuel_used"] += spent
        self.counters["slices"] += 1
        record.fuel = outcome.fuel
        now = self._now
        overrun = self.budgets.spend(record.principal, spent, record.client)
        if overrun and isinstance(outcome, (Paused, Suspended)):
            # its family (or client) spent the fuel it may use here: the SM ends
            if isinstance(outcome, Paused):
                self._abandon(outcome.handle)
            outcome = Failed(ErrorRecord("FuelExhausted", (
                f"{overrun} on node {self.node_id} exhausted")), outcome.fuel)
        if isinstance(outcome, Paused):
            # its slice is spent: the other ready SMs go first
            self.counters["requeues"] += 1
            self._ready.append((record, "continue", outcome.handle))
        elif isinstance(outcome, Finished):
            self.counters["sms_finished"] += 1
            self._events.append(ev.SMFinished(record.sm_id, self.node_id, outcome.value, now))
            self._report(record, True, outcome.value, None)
            self._answer_inject(record.sm_id, True, outcome.value, None, _trip(record, self.node_id))
            self._leave(record)
        elif isinstance(outcome, Failed):
            self.counters["sms_failed"] += 1
            error = outcome.error.to_json()
            self._events.append(ev.SMFailed(record.sm_id, self.node_id, error, now))
            self._report(record, False, None, error)
            self._answer_inject(record.sm_id, False, None, error, _trip(record, self.node_id))
            self._leave(record)
        elif outcome.request["kind"] == "migrate":
            self._start_hop(record, outcome)
        else:
            self._block(record, outcome)

    def _report(self, record: _SM, ok: bool, value: object, error: dict | None) -> None:
        """Carry an SM's end back to the node it was injected on (the value
        travels with where the SM ended and what the trip cost)."""
        origin = record.principal.origin
        if origin == self.node_id or record.principal.sm_id != record.principal.family:
            return  # spawned SMs' ends interest nobody at the origin
        envelope = {"value": value, **_trip(record, self.node_id)}
        try:
            blob = statecodec.dumps(envelope)
        except Exception:  # noqa: BLE001 - already checked by the VM; be safe
            blob = statecodec.dumps({**envelope, "value": None})
            ok, error = False, {"type": "ResultError", "message": "unencodable", "line": None}
        seal = b""
        if self.trust is not None and record.chain is not None:
            seal = pack_chain(self.trust.result_proof(record.sm_id, origin, ok, blob,
                                                      record.chain))
        self._send_result(wire.Result(record.sm_id, origin, ok, blob, error, seal), None)

    def _send_result(self, frame: wire.Result, arrived_by: Hashable | None) -> None:
        """Take custody of ``frame`` and send it toward the origin; it is resent
        until the next node acknowledges it (and journaled meanwhile)."""
        back = self._came_from.get(frame.sm_id)
        held = HeldResult(frame, None if back is None else back[0], arrived_by)
        key = ack_id(frame.sm_id)
        self._held_results[key] = held
        if self.durable:
            self._events.append(ev.ResultHeld(frame.sm_id, pack_result(held)))
        self._transmit_result(held)

    def _transmit_result(self, held: HeldResult) -> None:
        """Straight to the origin when it is a neighbour, else back the way the
        SM first came here (hop by hop, reverse-path forwarding)."""
        link = self.neighbor_table.link(held.frame.origin) or held.back
        if link is None or link == held.arrived_by:
            self.counters["unroutable"] += 1
        else:
            self._send(link, held.frame)
        held.arm(self._now, self.config.retry, self._jitter.random())

    def _retry_result(self, key: bytes, held: HeldResult) -> None:
        if held.tries_left(self.config.retry):
            self.counters["result_retransmissions"] += 1
            self._transmit_result(held)
            return
        self.counters["results_lost"] += 1
        self._release_result(key, held)

    def _release_result(self, key: bytes, held: HeldResult) -> None:
        del self._held_results[key]
        if self.durable:
            self._events.append(ev.ResultReleased(held.frame.sm_id))

    # ---- blocking on tags ----------------------------------------------------------
    def _block(self, record: _SM, outcome: Suspended) -> None:
        request = outcome.request
        if not self.budgets.may_block(record.principal):
            error = TagError(f"too many SMs of this family wait on tags on node {self.node_id} "
                             f"(limit {self.config.limits.max_blocked_per_family})")
            self._ready.append((record, "resume", (outcome.state, None, error)))
            return
        timeout = request["timeout"]
        deadline = None if timeout is None else self._now + timeout
        acting = _acting(record.principal, request.get("code"))
        record.waiting = (outcome.state, request["tag"], timeout, acting)
        self.budgets.block(record.principal)
        self.tagspace.wait(acting, request["tag"], record.sm_id, deadline, now=self._now)
        self._durable(record, "blocked", continuation=outcome.state, tag=request["tag"],
                      deadline=deadline, timeout=timeout)

    def _wake(self, token: str, name: str) -> None:
        record = self._sms.get(token)
        if record is None or record.waiting is None:
            return
        state, acting = record.waiting[0], record.waiting[3]
        record.waiting = None
        self.budgets.unblock(record.principal)
        try:  # in the code domain of the brick that called block_tag
            value = self.tagspace.read(acting, name, self._now)
        except tagspace.TagSpaceError:
            value = None
        self._ready.append((record, "resume", (state, value, None)))

    def _wait_timed_out(self, token: str, name: str) -> None:
        record = self._sms.get(token)
        if record is None or record.waiting is None:
            return
        state, _, timeout, _ = record.waiting
        record.waiting = None
        self.budgets.unblock(record.principal)
        error = TagTimeout(f"no write to tag {name!r} within {timeout:g} s")
        self._ready.append((record, "resume", (state, None, error)))

    # ---- outgoing hops ------------------------------------------------------------
    def _start_hop(self, record: _SM, outcome: Suspended) -> None:
        target = str(outcome.request["target"])
        hop_id = self._rng.getrandbits(128).to_bytes(16, "big")
        bricks = (record.brick.hash,)
        p = record.principal
        identity = {"sm_id": p.sm_id, "family": p.family, "origin": p.origin}
        known = self._peer_bricks.get(target, set())
        phase = HopState.TRANSFERRED if set(bricks) <= known else HopState.OFFERED
        hop = OutgoingHop(hop_id, record.sm_id, target, outcome.state, bricks, identity,
                          record.fuel, phase, record=record)
        if self.trust is not None and record.chain is not None:
            try:
                hop.provenance = pack_chain(self.trust.hop(
                    record.chain, target, hop_id=hop_id, continuation=outcome.state,
                    now=self._now, sm_id=record.sm_id))
            except TrustError as exc:  # its chain is full: it cannot move on
                self._ready.append((record, "resume", (outcome.state, None,
                                                       MigrationError(str(exc)))))
                return
        hop.started_at = self._now
        self._hops[hop_id] = hop
        self.counters["hops_started"] += 1
        self._durable(record, "leaving", continuation=outcome.state, hop_id=hop_id, target=target)
        self._transmit(hop)

    def _transmit(self, hop: OutgoingHop) -> None:
        if hop.phase is HopState.OFFERED:
            frame = wire.Offer(hop.hop_id, hop.sm_id, self.config.fuel_per_sm - hop.fuel,
                               self.config.tag_memory_per_sm,
                               int((self.config.memory_mb or 0) * 1024 * 1024), hop.bricks)
        else:
            code = tuple((b, self.cache.get(b).source) for b in hop.missing if b in self.cache)
            trip = statecodec.dumps({"hops": hop.record.hops, "bytes": hop.record.bytes})
            frame = wire.Transfer(hop.hop_id, hop.sm_id, hop.identity, hop.state, code, trip,
                                  hop.provenance)
        size = self._send_to_node(hop.target, frame)
        hop.sent_bytes += size
        hop.arm(self._now, self.config.retry, size, self._jitter.random(),
                self._rtt.timeout(hop.target, self.config.retry.first_delay))

    def _answered(self, hop: OutgoingHop) -> None:
        if hop.attempts == 1:  # Karn: only a frame sent once times the round trip
            self._rtt.sample(hop.target, self._now - hop.sent_at)

    def _retry(self, hop: OutgoingHop) -> None:
        self._rtt.expired(hop.target)
        if hop.tries_left(self.config.retry):
            self.counters["retransmissions"] += 1
            self._transmit(hop)
            return
        self._hop_failed(hop, f"no answer from {hop.target} after {hop.attempts} tries")

    def _hop_failed(self, hop: OutgoingHop, reason: str) -> None:
        """The SM stays here: sys_migrate raises MigrationError in it."""
        del self._hops[hop.hop_id]
        self.counters["hops_failed"] += 1
        self._events.append(ev.HopFailed(hop.sm_id, hop.target, reason, self._now))
        if self._sms.get(hop.sm_id) is hop.record:
            error = MigrationError(f"hop to {hop.target} failed: {reason}")
            self._ready.append((hop.record, "resume", (hop.state, None, error)))

    # ---- frame handlers -----------------------------------------------------------
    def _on_beacon(self, frame, link) -> None:
        if frame.node_id == self.node_id:
            return
        if self.trust is not None and frame.key:
            try:
                self.trust.known.check(frame.node_id, frame.key)
            except TrustError as exc:
                self._refuse(frame, link, str(exc))
                return
        self.neighbor_table.heard(frame.node_id, link, frame.position, self._now)

    def _on_offer(self, frame, link) -> None:
        if frame.hop_id in self._admitted:
            self.counters["duplicates_suppressed"] += 1
            self._send(link, wire.Ack(frame.hop_id))
            return
        reason = self._admission(frame.fuel, frame.runtime_memory, frame.tag_memory)
        if reason:
            self._refuse_sm(frame.sm_id, link, reason)
            self._send(link, wire.Reject(frame.hop_id, reason))
            return
        self._send(link, wire.Accept(frame.hop_id, self.cache.missing(frame.bricks)))

    def _on_accept(self, frame, link) -> None:
        hop = self._hops.get(frame.hop_id)
        if hop is None or hop.phase is not HopState.OFFERED:
            return  # a late or duplicate answer
        self._answered(hop)
        hop.phase = HopState.TRANSFERRED
        hop.missing = tuple(frame.missing)
        hop.attempts = 0
        self._transmit(hop)

    def _on_reject(self, frame, link) -> None:
        hop = self._hops.get(frame.hop_id)
        if hop is None:
            return
        if hop.phase is HopState.TRANSFERRED and frame.reason == MISSING_BRICK:
            # we skipped the offer but the receiver dropped the brick: offer now
            self._peer_bricks.pop(hop.target, None)
            hop.phase, hop.attempts = HopState.OFFERED, 0
            self._transmit(hop)
            return
        self.counters["hops_rejected"] += 1
        self._hop_failed(hop, f"rejected: {frame.reason}")

    def _on_ack(self, frame, link) -> None:
        hop = self._hops.pop(frame.hop_id, None)
        if hop is None:
            held = self._held_results.get(frame.hop_id)
            if held is not None:  # the next node took the result
                self._release_result(frame.hop_id, held)
            return
        self._answered(hop)
        self._peer_bricks.setdefault(hop.target, set()).update(hop.bricks)
        self._sent_to.setdefault(hop.sm_id, set()).add(link)
        while len(self._sent_to) > _MAX_CAME_FROM:
            self._sent_to.popitem(last=False)
        self.counters["hops_completed"] += 1
        self._events.append(ev.HopCompleted(hop.sm_id, hop.target, self._now, bool(hop.missing),
                                            hop.sent_bytes, hop.started_at))
        self._leave(hop.record)  # unless a newer visit of the same SM replaced it

    def _on_transfer(self, frame, link) -> None:
        if frame.hop_id in self._admitted:
            self.counters["duplicates_suppressed"] += 1
            self._send(link, wire.Ack(frame.hop_id))
            return
        try:
            for brick_id, source in frame.code:
                if self.cache.add_remote(brick_id, source) is None:
                    # compiled off this loop: the frame waits for it
                    self._hold(brick_id, frame, link)
                    return
            principal, brick = self._arriving(frame.identity, frame.continuation)
            chain = self._verify_arrival(frame, principal, brick)
        except TrustError as exc:
            self._refuse(frame, link, str(exc))
            self._send(link, wire.Reject(frame.hop_id, f"not trusted: {exc}"[:200]))
            return
        except RemoteInputError as exc:
            self.counters["sms_rejected"] += 1
            self._send(link, wire.Reject(frame.hop_id, str(exc)[:200]))
            return
        reason = self._admission(0, 0, 0, principal)
        if reason:
            self._refuse_sm(principal.sm_id, link, reason)
            self._send(link, wire.Reject(frame.hop_id, reason))
            return
        record = _SM(principal.sm_id, brick, principal)
        record.chain = chain
        try:  # validate before admitting: nothing undecodable is acknowledged
            if self.screen_arrivals:  # its values are decoded where it runs
                instance, state = None, {"fuel": screen_continuation(frame.continuation, brick)}
            else:
                instance = self._instance(record)
                state = instance.decode(frame.continuation)
        except RemoteInputError as exc:
            self.counters["sms_rejected"] += 1
            self._send(link, wire.Reject(frame.hop_id, f"invalid continuation: {exc}"[:200]))
            return
        record.fuel = state["fuel"]
        record.hops, record.bytes = _arrival_trip(frame)
        record.arrived_by = frame.hop_id
        self._enter(record)
        self._admitted[frame.hop_id] = self._now
        self._durable(record, "resume", continuation=frame.continuation)
        if principal.sm_id not in self._came_from:
            # the first visit only: first-visit predecessors form a tree rooted
            # at the origin, so results walked back along them never loop
            self._came_from[principal.sm_id] = (link, self._now)
            if len(self._came_from) > _MAX_CAME_FROM:
                self._came_from.popitem(last=False)
        self.counters["sms_admitted"] += 1
        self._events.append(ev.SMAdmitted(principal.sm_id, str(link), self._now))
        if instance is None:
            self._ready.append((record, "resume", (frame.continuation, None, None)))
        else:  # it runs from what was just checked: one decode per hop
            self._ready.append((record, "arrived", (frame.continuation, instance, state)))
        self._send(link, wire.Ack(frame.hop_id))

    def _on_result(self, frame, link) -> None:
        why = self._result_refusal(frame, link)
        if why:
            self.counters["results_refused"] += 1
            self._refuse(frame, link, why)
            return
        if self.trust is not None:
            try:
                self.trust.check_result(unpack_chain(frame.seal) if frame.seal else None,
                                        sm_id=frame.sm_id, origin=frame.origin, ok=frame.ok,
                                        value=frame.value)
            except TrustError as exc:
                self._refuse(frame, link, str(exc))
                return
        if frame.sm_id in self._results_seen:  # our ACK was lost: acknowledge again
            self.counters["results_duplicate"] += 1
            self._send(link, wire.Ack(ack_id(frame.sm_id)))
            return
        # Only the result of an SM this node started (at its origin) or saw
        # pass (on its way back), and each once: others are dropped.
        if not (self._born_here(frame.sm_id) if frame.origin == self.node_id
                else frame.sm_id in self._came_from):
            self.counters["results_refused"] += 1
            return
        self._results_seen[frame.sm_id] = None
        self._send(link, wire.Ack(ack_id(frame.sm_id)))
        while len(self._results_seen) > _MAX_CAME_FROM:
            self._results_seen.popitem(last=False)
        if frame.origin != self.node_id:
            self.counters["results_forwarded"] += 1
            self._send_result(frame, link)
            return
        try:
            envelope = statecodec.loads(frame.value, limits=statecodec.UNTRUSTED_LIMITS) \
                if frame.value else {}
            if type(envelope) is not dict:
                raise RemoteInputError("result envelope is not a map")
        except RemoteInputError:
            self.counters["malformed"] += 1
            return
        trip = {k: envelope.get(k) for k in ("node", "hops", "bytes", "fuel")}
        if "path" in envelope:
            trip["path"] = envelope["path"]
        value = envelope.get("value")
        if frame.ok:
            self._events.append(ev.SMFinished(frame.sm_id, str(trip["node"]), value, self._now))
            self._answer_inject(frame.sm_id, True, value, None, trip)
        else:
            error = _bounded_error(frame.error)
            self._events.append(ev.SMFailed(frame.sm_id, str(trip["node"]), error, self._now))
            self._answer_inject(frame.sm_id, False, None, error, trip)

    def _result_refusal(self, frame, link) -> str:
        """Why a RESULT frame is not taken or passed on ("" when it may be):
        bounded, for an SM that left this node, from where it went (a node
        passing results on takes them only from a node it sent that SM to;
        the origin also from any neighbour, the node where the SM ended)."""
        if len(frame.value) > MAX_RESULT_BYTES + _ENVELOPE_ROOM:
            return f"result of {len(frame.value):,} bytes is over the limit"
        if frame.error is not None and sum(len(str(v)) for v in frame.error.values()) \
                > 2 * MAX_ERROR_CHARS + 200:
            return "error record of the result is over the limit"
        if frame.sm_id in self._sms:
            return f"SM {frame.sm_id} has not left this node"
        if link in self._sent_to.get(frame.sm_id, ()):
            return ""
        if frame.origin == self.node_id:
            return ""  # checked below: born here, taken once (and sealed, when signed)
        return f"SM {frame.sm_id} did not leave this node by {link}"

    def _on_inject(self, frame, link) -> None:
        """A client asks this node to start an SM (and maybe to report its end).
        Its arguments are decoded where the SM runs, its brick compiled
        within the node's limits (off the driver's loop when it asks)."""
        request_id = frame.request_id
        replies = self._inject_replies
        if request_id in replies:
            self.counters["duplicates_suppressed"] += 1
            stored = replies.stored(request_id)
            if stored is not None:
                self._resend_reply(request_id, stored, link)
            return
        stored = replies.redeemed(request_id, link)
        if stored is not None:  # the asker echoed the token: it receives here
            self.counters["replies_fetched"] += 1
            self._send_message(link, stored, "InjectReply")
            return
        try:
            brick = self.cache.add_untrusted(frame.source, "injected.py")
        except CompileError as exc:
            error = {"type": "CompileError", "message": truncate(
                "\n".join(map(str, exc.errors)), MAX_ERROR_CHARS), "line": None}
            replies.remember(request_id)
            self._reply_inject(request_id, link, wire.InjectReply(request_id, "", False, b"", error))
            return
        if brick is None:  # being compiled: the request waits for it
            self._hold(brick_hash(frame.source), frame, link)
            return
        sm_id = self._new_id()
        principal = tagspace.Principal(sm_id, sm_id, self.node_id, brick.code_ids)
        reason = self._admission(0, 0, 0, principal, client=link)
        replies.remember(request_id)
        if reason:
            self._refuse_sm("", link, reason)
            error = {"type": "Rejected", "message": reason, "line": None}
            self._reply_inject(request_id, link, wire.InjectReply(request_id, "", False, b"", error))
            return
        args = frame.args or statecodec.dumps([])
        record = _SM(sm_id, brick, principal, client=link)
        record.chain = self._birth(principal, brick, args)
        self._enter(record)
        self._events.append(ev.SMStarted(sm_id, self.node_id, self._now, brick.name))
        self._ready.append((record, "start", ("main", args)))
        self._durable(record, "start", entry="main", args=args)
        if frame.wait:
            self._inject_waits[sm_id] = (request_id, link, self._message_size)
        else:
            self._reply_inject(request_id, link, wire.InjectReply(request_id, sm_id, True, b"", None))

    def _on_status_query(self, frame, link) -> None:
        """Describe this node, in an answer no larger than the query allows."""
        self.counters["status_queries"] += 1
        room = min(MAX_STATUS_BYTES, self.config.limits.resend_factor * self._message_size)
        blob = None
        if self._message_size >= MIN_STATUS_QUERY:
            framing = 128 + wire.FRAGMENT_HEADER_LEN * (room // 1000 + 1)  # fields, fragments
            blob = fit_status(node_status(self, self._now), room - framing)
        if blob is None:
            self.counters["status_not_answered"] += 1
            return
        self._send(link, wire.StatusReply(frame.request_id, blob))

    def _hold(self, brick_id: str, frame, link: Hashable) -> None:
        """Keep a frame until the brick it brought is compiled (a few per
        brick, and only while it is pending: past that its sender resends)."""
        self.counters["compiles_pending"] += 1
        if brick_id in self.cache.pending:
            held = self._held.setdefault(brick_id, [])
            if len(held) < _HELD_PER_BRICK:
                held.append((frame, link, self._message_size))

    def finish_compile(self, brick_id: str, outcome, now: float) -> None:
        """A driver compiled a pending brick (``outcome``: the ``Brick`` or
        the ``CompileError``); the frames that waited for it go on."""
        self._now = now
        self.cache.finish(brick_id, outcome)
        for frame, link, size in self._held.pop(brick_id, ()):
            self._message_size = size
            _HANDLERS[type(frame)](self, frame, link)

    def _reply_inject(self, request_id: bytes, link: Hashable, reply,
                      request_size: int | None = None) -> None:
        """Send ``reply`` (kept for a resend); one bigger than its request
        allows is withheld until the asker shows it receives (``_replies``)."""
        replies = self._inject_replies
        message = wire.encode(reply)
        size = self._message_size if request_size is None else request_size
        replies.store(request_id, message)
        if len(message) <= replies.allowance(size):
            self._send_message(link, message, "InjectReply")
            return
        self._withhold(request_id, link, len(message), size)

    def _withhold(self, request_id: bytes, link: Hashable, size: int, request_size: int) -> None:
        self.counters["replies_withheld"] += 1
        error = self._inject_replies.withheld_record(request_id, link, size, request_size)
        self._send(link, wire.InjectReply(request_id, "", False, b"", error))

    def _resend_reply(self, request_id: bytes, stored: bytes, link: Hashable) -> None:
        """A client asks again: the stored reply, unless that would send far
        more than the request's size (no amplification for a forged sender)."""
        if len(stored) <= self._inject_replies.allowance(self._message_size):
            self._send_message(link, stored, "InjectReply")
            return
        self._withhold(request_id, link, len(stored), self._message_size)

    def _answer_inject(self, sm_id: str, ok: bool, value: object, error: dict | None,
                       trip: dict) -> None:
        waiting = self._inject_waits.pop(sm_id, None)
        if waiting is None:
            return
        request_id, link, request_size = waiting
        try:
            blob = statecodec.dumps({"value": value if ok else None, **trip})
        except Exception:  # noqa: BLE001 - checked where the SM ran; be safe
            ok, error = False, {"type": "ResultError", "message": "unencodable", "line": None}
            blob = statecodec.dumps({"value": None, **trip})
        self._reply_inject(request_id, link, wire.InjectReply(request_id, sm_id, ok, blob, error),
                           request_size)

    # ---- helpers --------------------------------------------------------------------
    def _arriving(self, identity: dict, state: bytes) -> tuple[tagspace.Principal, Brick]:
        """Who the arriving SM is; its code domain is the brick it carries."""
        brick_id = continuation_brick(state)
        brick = self.cache.get(brick_id)
        if brick is None:
            raise RemoteInputError(MISSING_BRICK)
        try:
            principal = tagspace.Principal(identity["sm_id"], identity["family"],
                                           identity["origin"], brick.code_ids)
        except (KeyError, tagspace.TagSpaceError) as exc:
            raise RemoteInputError(f"bad SM identity: {exc}") from None
        return principal, brick

    def _birth(self, principal: tagspace.Principal, brick: Brick, args: bytes, *,
               parent: str = "", parent_chain: list | None = None) -> list | None:
        """The signed birth record of a new SM (None on an unsigned node)."""
        if self.trust is None:
            return None
        return self.trust.birth(sm_id=principal.sm_id, family=principal.family,
                                origin=principal.origin, code=(brick.hash,), args=args,
                                now=self._now, parent=parent, parent_chain=parent_chain)

    def _verify_arrival(self, frame, principal: tagspace.Principal, brick: Brick) -> list | None:
        """The arriving SM's verified chain; its identity must be the one its
        birth record signs (``TrustError`` otherwise). None when unsigned."""
        if self.trust is None:
            return None
        chain = unpack_chain(frame.provenance)
        prov = self.trust.admit(chain, sm_id=frame.sm_id, hop_id=frame.hop_id,
                                continuation=frame.continuation, code_hash=brick.hash)
        birth = prov.birth
        if (birth.family, birth.origin) != (principal.family, principal.origin):
            raise TrustError(f"SM {frame.sm_id} claims family {principal.family!r} and origin "
                             f"{principal.origin!r}; its signed birth says {birth.family!r} "
                             f"and {birth.origin!r}")
        return chain

    def _refuse_sm(self, sm_id: str, source: Hashable, reason: str) -> None:
        """An SM this node has no room for: refused at once, never queued."""
        self.counters["sms_rejected"] += 1
        self._events.append(ev.SMRefused(sm_id, str(source), reason, self._now))

    def _refuse(self, frame, link: Hashable, reason: str) -> None:
        """A frame that failed verification: counted and reported, never acted on."""
        kind = type(frame).__name__
        self.counters["refused"] += 1
        self.counters[f"refused.{kind}"] += 1
        self._events.append(ev.FrameRefused(kind, str(link), reason, self._now))

    def provenance_of(self, sm_id: str) -> dict | None:
        """The verified path of an SM here (None when unsigned or unknown)."""
        record = self._sms.get(sm_id)
        if record is None or record.chain is None or self.trust is None:
            return None
        return self.trust.verifier.walk(record.chain).to_json()

    # ---- durability (a driver with a journal) ---------------------------------------
    def _durable(self, record: _SM, state: str, **fields) -> None:
        if not self.durable:
            return
        p = record.principal
        snap = Snapshot(p.sm_id, p.family, p.origin, record.brick.hash, state, record.fuel,
                        record.hops, record.bytes,
                        pack_chain(record.chain) if record.chain is not None else b"",
                        record.arrived_by, **fields)
        self._events.append(ev.SMDurable(p.sm_id, snap.dumps()))

    def _released(self, record: _SM) -> None:
        if self.durable:
            self._events.append(ev.SMReleased(record.sm_id, record.arrived_by, self._now))

    @property
    def stored_replies(self) -> tuple[int, int]:
        """Inject requests remembered and bytes of replies kept for resends."""
        return len(self._inject_replies), self._inject_replies.stored_bytes

    @property
    def sms_here(self) -> int:
        """SMs living on this node (running, ready, blocked or leaving)."""
        return len(self._sms)

    @property
    def ids_issued(self) -> int:
        """How many SM ids (``node/n``) this core has made."""
        return self._ids

    def continue_ids_after(self, issued: int) -> None:
        """Make new SM ids after ``node/issued`` (ids made before a restart)."""
        self._ids = max(self._ids, issued)

    def recover_result(self, data: bytes, now: float) -> str:
        """Take back a RESULT that was in this node's custody before a restart
        and send it on. ``RemoteInputError`` if the record is damaged."""
        self._now = now
        held = unpack_result(data)
        self._results_seen[held.frame.sm_id] = None
        self._held_results[ack_id(held.frame.sm_id)] = held
        self._transmit_result(held)
        return held.frame.sm_id

    def remember_hop(self, hop_id: bytes, when: float) -> None:
        """A hop admitted before a restart: its retransmissions are duplicates."""
        self._admitted[hop_id] = when

    def recover(self, data: bytes, now: float) -> str:
        """Take back an SM from its journaled snapshot (after a restart); its
        brick must be in the code cache. ``RemoteInputError`` if it cannot be."""
        self._now = now
        snap = load_snapshot(data)
        brick = self.cache.get(snap.brick)
        if brick is None:
            raise RemoteInputError(f"brick {snap.brick[:12]} of SM {snap.sm_id} is not stored")
        principal = tagspace.Principal(snap.sm_id, snap.family, snap.origin, brick.code_ids)
        record = _SM(snap.sm_id, brick, principal, fuel=snap.fuel, hops=snap.hops,
                     bytes=snap.bytes, arrived_by=snap.arrived_by)
        if snap.chain:
            record.chain = unpack_chain(snap.chain)
            if self.trust is not None:
                self.trust.restore(record.chain, snap.sm_id)
        if snap.arrived_by:
            self._admitted[snap.arrived_by] = now
        self._enter(record)
        self._ids = max(self._ids, _local_number(snap.sm_id, self.node_id))
        if snap.state == "start":
            self._ready.append((record, "start", (snap.entry, snap.args)))
        elif snap.state == "resume":
            self._ready.append((record, "resume", (snap.continuation, None, None)))
        elif snap.state == "blocked":
            record.waiting = (snap.continuation, snap.tag, snap.timeout, principal)
            self.budgets.block(principal)
            self.tagspace.wait(principal, snap.tag, snap.sm_id, snap.deadline, now=now)
        else:  # the same hop again: the receiver may have admitted it already
            p = principal
            hop = OutgoingHop(snap.hop_id, snap.sm_id, snap.target, snap.continuation,
                              (brick.hash,), {"sm_id": p.sm_id, "family": p.family,
                                              "origin": p.origin},
                              record.fuel, HopState.OFFERED, record=record)
            if self.trust is not None and record.chain is not None:
                hop.provenance = pack_chain(self.trust.hop(
                    record.chain, snap.target, hop_id=snap.hop_id,
                    continuation=snap.continuation, now=now, sm_id=snap.sm_id))
            self._hops[snap.hop_id] = hop
            self._transmit(hop)
        return snap.sm_id

    def _admission(self, fuel: int, memory: int, tag_memory: int,
                   principal: tagspace.Principal | None = None, *, spawned: bool = False,
                   client: Hashable | None = None) -> str:
        """Why an SM with these needs cannot come in ("" when it can)."""
        config = self.config
        if len(self._sms) >= config.max_sms and (principal is None or principal.sm_id not in self._sms):
            return f"node busy: {len(self._sms)} SMs"
        if principal is not None:
            refusal = self.budgets.refusal(principal, spawned=spawned, client=client)
            if refusal:
                return refusal
        if fuel > config.fuel_per_sm:
            return f"needs {fuel} fuel; this node grants {config.fuel_per_sm}"
        granted = int((config.memory_mb or 0) * 1024 * 1024)
        if config.memory_mb and memory > granted:
            return f"needs {memory} bytes of memory; this node grants {granted}"
        free = self.tagspace.free_bytes
        if tag_memory > min(config.tag_memory_per_sm, free if free is not None else tag_memory):
            return f"needs {tag_memory} bytes of tag memory; {free} free here"
        return ""

    def _send_to_node(self, node_id: str, frame) -> int:
        """Send ``frame`` to a neighbour; the bytes sent (0: no link to it)."""
        link = self.neighbor_table.link(node_id)
        if link is None:
            self.counters["unroutable"] += 1
            return 0
        return self._send(link, frame)

    def _send(self, link: Hashable, frame, *, keep: bool = False):
        """Queue ``frame`` for ``link``: its size (with ``keep``, the message)."""
        message = wire.encode(frame)
        self._send_message(link, message, type(frame).__name__)
        return message if keep else len(message)

    def _send_message(self, link: Hashable, message: bytes, kind: str) -> None:
        self._msg_ids = (self._msg_ids + 1) & 0xFFFFFFFF
        self.counters[f"frames_out.{kind}"] += 1
        self.counters[f"bytes_out.{kind}"] += len(message)
        for datagram in wire.fragment(message, self._msg_ids, self.config.mtu):
            self.counters["datagrams_out"] += 1
            self._out.append((link, datagram))

    def _new_id(self) -> str:
        self._ids += 1
        return f"{self.node_id}/{self._ids}"

    def _born_here(self, sm_id: str) -> bool:
        node, _, number = sm_id.rpartition("/")
        return node == self.node_id and number.isdigit() and 0 < int(number) <= self._ids

    # used by _Host
    def _spawn(self, parent: SMInstance, entry: str, args: bytes, *, brick: Brick,
               family: str | None) -> str:
        """A new SM here: same family (spawn) or a new one (create_sm, family None)."""
        sm_id = f"{self.node_id}/{self._ids + 1}"
        principal = tagspace.Principal(sm_id, family or sm_id, parent.principal.origin,
                                       brick.code_ids)
        parent_record = self._sms.get(parent.principal.sm_id)
        # charged to the inject client that started its ancestor, if any
        client = parent_record.client if parent_record is not None else None
        # a new family (create_sm) is charged to its creator's family too
        reason = self._admission(0, 0, 0, parent.principal, spawned=True, client=client) or \
            self._admission(0, 0, 0, principal, spawned=True)
        if reason:
            self._refuse_sm(sm_id, parent.principal.sm_id, reason)
            raise RuntimeError(f"cannot start another SM: {reason}")
        self._ids += 1
        record = _SM(sm_id, brick, principal, client=client)
        record.chain = self._birth(principal, brick, args, parent=parent.principal.sm_id,
                                   parent_chain=parent_record.chain if parent_record else None)
        self._enter(record, spawned=True)
        self._events.append(ev.SMStarted(sm_id, self.node_id, self._now, brick.name,
                                         parent.principal.sm_id))
        if family is None:
            self.budgets.count_spawn(parent.principal)
        self._ready.append((record, "start", (entry, args)))
        self._durable(record, "start", entry=entry, args=args)
        return sm_id


def _arrival_trip(frame) -> tuple[int, int]:
    """Hops and bytes so far, this hop included (what the sender said, checked)."""
    try:
        if len(frame.data) > 256:
            raise ValueError("a trip record is a few numbers")
        trip = statecodec.loads(frame.data, limits=statecodec.UNTRUSTED_LIMITS) if frame.data else {}
        hops, sent = trip.get("hops", 0), trip.get("bytes", 0)
        if type(hops) is not int or type(sent) is not int:
            raise ValueError("not numbers")
    except (RemoteInputError, AttributeError, TypeError, ValueError):
        hops, sent = 0, 0
    return max(hops, 0) + 1, max(sent, 0) + len(frame.continuation)


def _acting(principal: tagspace.Principal, code: object) -> tagspace.Principal:
    """``principal`` in the code domain a block request names (the brick
    whose code called ``block_tag``; never more than the SM carries)."""
    if type(code) is not list or not all(type(c) is str for c in code):
        return principal
    return dataclasses.replace(principal, code=frozenset(code) & principal.code)


def _local_number(sm_id: str, node_id: str) -> int:
    """n of an SM id ``node/n`` made here (0 for others): new ids continue after it."""
    head, _, number = sm_id.rpartition("/")
    return int(number) if head == node_id and number.isdigit() else 0


def _args_blob(args) -> bytes:
    """The bytes a birth record hashes for an SM's arguments."""
    if type(args) is bytes:
        return args
    try:
        return statecodec.dumps(list(args))
    except Exception:  # noqa: BLE001 - arguments the codec refuses fail later, as before
        return repr(args).encode("utf-8", "replace")


_SMALL = 512
#: bytes of a result envelope besides the value (trip counts, path)
_ENVELOPE_ROOM = 64 * 1024
#: frames kept per brick being compiled
_HELD_PER_BRICK = 4
_recent: dict[bytes, object] = {}


def _decode_small(message: bytes):
    """Decode a short message, remembering recent ones: a broadcast beacon
    reaches every neighbour as the same bytes (frames are immutable)."""
    frame = _recent.get(message)
    if frame is None:
        frame = wire.decode(message)
        if len(_recent) >= 4096:
            _recent.clear()
        _recent[message] = frame
    return frame


class _NeighborsTag:
    """The ``neighbors`` I/O tag, read from the neighbour table."""

    def __init__(self, core: NodeCore):
        self.core = core

    def read(self, now: float) -> list[str]:
        return self.core.neighbor_table.ids(now)


class _PositionTag:
    """The ``position`` I/O tag: the node's own coordinates as beaconed
    (metres in the simulator, the configured or GPS fix on a device)."""

    def __init__(self, core: NodeCore):
        self.core = core

    def read(self, now: float) -> list[float] | None:
        pos = self.core.position
        return None if pos is None else [float(pos[0]), float(pos[1])]


class _ProvenanceTag:
    """The ``provenance`` I/O tag: the reading SM's own verified birth and path
    (empty on an unsigned node)."""

    def __init__(self, core: NodeCore):
        self.core = core

    def read(self, now: float) -> dict:
        return {}

    def read_for(self, principal: tagspace.Principal, now: float) -> dict:
        return self.core.provenance_of(principal.sm_id) or {}


class _NeighborPositionsTag:
    """The ``neighbor_positions`` I/O tag: {id: [x, y]} of the live
    neighbours whose beacons carried a position (geographic routing's view)."""

    def __init__(self, core: NodeCore):
        self.core = core

    def read(self, now: float) -> dict[str, list[float]]:
        return self.core.neighbor_table.positions(now)


class _HopRttTag:
    """The ``hop_rtt`` I/O tag: the mean smoothed round trip of this node's
    recent hop handshakes to its neighbours, in seconds (None before the
    first): routing's measure of how long a hop takes here. ``hop_rtt_least``
    (``least``): the mean of the least round trip seen to each neighbour, a
    hop's time on a quiet channel."""

    def __init__(self, core: NodeCore, least: bool = False):
        self.core = core
        self.least = least

    def read(self, now: float) -> float | None:
        return self.core._rtt.least() if self.least else self.core._rtt.mean()


class _Host:
    """The node as one SM sees it (the VM's NodeHost)."""

    def __init__(self, core: NodeCore, record: _SM):
        self.core = core
        self.record = record
        self.node_id = core.node_id
        self.tagspace = core.tagspace

    def neighbors(self) -> list[str]:
        return self.core.neighbor_table.ids(self.core._now)

    def now(self) -> float:
        return self.core._now

    def wake(self, woken: tuple) -> None:
        self.core.woken(woken)

    def spawn(self, parent: SMInstance, entry: str, args: bytes) -> str:
        return self.core._spawn(parent, entry, args, brick=parent.brick,
                                family=parent.principal.family)

    def create_sm(self, parent: SMInstance, brick: str, entry: str, args: bytes) -> str:
        try:  # a brick the SM carries first: what it carries is what it means
            found = self.core.cache.add_part(parent.brick, brick) or self.core.cache.find(brick)
        except RemoteInputError as exc:
            raise ValueError(f"cannot start brick {brick!r} alone: {exc}") from None
        if found is None:
            raise ValueError(f"no brick named {brick!r} on node {self.core.node_id}")
        return self.core._spawn(parent, entry, args, brick=found, family=None)

    def log(self, sm_id: str, text: str) -> None:
        core = self.core
        text = truncate(text, MAX_LOG_LINE_CHARS)  # a worker's lines too
        room = core.budgets.log_room(self.record.principal, len(text))
        if room < 0:
            core.counters["log_lines_dropped"] += 1
            return
        if room == 0:
            core.counters["log_lines_dropped"] += 1
            text = (f"[log budget of {core.config.limits.max_log_bytes_per_family:,} bytes for "
                    f"this family spent on node {core.node_id}: later lines are dropped]")
        core._events.append(ev.LogLine(sm_id, core.node_id, core._now, text))


_HANDLERS = {
    wire.Beacon: NodeCore._on_beacon,
    wire.Offer: NodeCore._on_offer,
    wire.Accept: NodeCore._on_accept,
    wire.Reject: NodeCore._on_reject,
    wire.Ack: NodeCore._on_ack,
    wire.Transfer: NodeCore._on_transfer,
    wire.Result: NodeCore._on_result,
    wire.Inject: NodeCore._on_inject,
    wire.StatusQuery: NodeCore._on_status_query,
}


def _bounded_error(error: object) -> dict:
    """An error record from another node, as plain bounded text fields."""
    if type(error) is not dict:
        return {"type": "Error", "message": "", "line": None}
    line = error.get("line")
    return {"type": truncate(str(error.get("type", "Error")), 80),
            "message": truncate(str(error.get("message", "")), MAX_ERROR_CHARS),
            "line": line if type(line) is int else None}
