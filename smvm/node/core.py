"""The node core: a synchronous, sans-I/O state machine (no sockets, no
clock, no threads). Drivers — the daemon, the simulator — feed it datagrams
and timer ticks with the current time, and send what it queues.

It owns the tag space, the code cache, admission control, the ready queue of
SMs, blocked SMs, the neighbour table and the per-hop migration state
machines, and counts everything. Each of those jobs is a module of this
package, mixed into ``NodeCore`` (see docs/architecture.md); this module
holds the driver's API and the output queues.
"""
from __future__ import annotations

import random
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Hashable

import tagspace

from .. import wire
from ..compiler import Brick
from ..limits import DEFAULT_NODE_LIMITS, NodeLimits
from ..vm import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB
from . import events as ev
from ._admission import Admission, FamilyBudgets
from ._arrivals import Arrivals
from ._beacons import BROADCAST, Beacons
from ._cache import CodeCache, SharedCaches
from ._dispatch import Dispatch
from ._durability import Durability
from ._hops import MISSING_BRICK, RetryPolicy
from ._inject import InjectService
from ._inspect import Inspection
from ._iotags import register_node_tags
from ._neighbors import NeighborTable
from ._outgoing import OutgoingHops
from ._records import SMRecord, args_blob
from ._replies import InjectReplies
from ._results import ResultService
from ._rtt import RttEstimator
from ._scheduler import Ready, Scheduler
from .provenance import NodeTrust
from .status import StatusQueries, node_status

__all__ = ["BROADCAST", "MISSING_BRICK", "DEFAULT_FUEL_SLICE", "NodeConfig", "NodeCore", "Ready"]

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


class NodeCore(Dispatch, Arrivals, OutgoingHops, Scheduler, ResultService, InjectService,
               Admission, Beacons, Durability, StatusQueries, Inspection):
    """One node's protocol and execution state."""

    def __init__(self, node_id: str, config: NodeConfig = NodeConfig(), *, seed: int = 0,
                 position: tuple[float, float] | None = None, trust: NodeTrust | None = None,
                 durable: bool = False, caches: SharedCaches | None = None):
        self.node_id = node_id
        #: report each SM's durable states (``SMDurable``/``SMReleased`` events)
        #: for a driver that journals them (see ``smvm.node.durable``)
        self.durable = durable
        #: signs what this node vouches for and verifies what arrives (None: unsigned)
        self.trust = trust
        self.config = config
        self._position = position
        caches = caches if caches is not None else SharedCaches()
        self._frames = caches.frames
        #: idle greenlets this core's sliced SMs run in
        self.runners = caches.runners
        self.tagspace = tagspace.TagSpace(node_id, config.tag_memory, config.tag_memory_per_sm)
        self.cache = CodeCache(config.code_cache, config.limits, compiled=caches.bricks)
        self.budgets = FamilyBudgets(config.limits, config.fuel_per_sm)
        #: arriving SMs are only screened here (their values are decoded
        #: where they run: a driver running SMs in sandboxed workers sets it)
        self.screen_arrivals = False
        self.neighbor_table = NeighborTable(config.neighbor_timeout)
        self._rtt = RttEstimator()
        self.counters: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._jitter = random.Random(seed ^ 0x5EED)  # own stream: hop ids stay as they were
        self._now = 0.0
        self._out: list[tuple[Hashable, bytes]] = []
        self._events: list[ev.Event] = []
        self._ready: deque[Ready] = deque()
        self._sms: dict[str, SMRecord] = {}
        self._hops: dict = {}  # hop id -> OutgoingHop
        self._admitted: dict[bytes, float] = {}
        # sm id -> (link it first came in by, when): the way back for its result
        self._came_from: OrderedDict[str, tuple[Hashable, float]] = OrderedDict()
        self._peer_bricks: dict[str, set[str]] = {}
        self._reassembler = wire.Reassembler()
        self._msg_ids = 0
        self._ids = 0
        self._next_beacon = 0.0
        self._beacon_seq = 0
        self._inject_waits: dict[str, tuple[bytes, Hashable, int]] = {}
        # requests seen and replies sent: clients resend their request until
        # answered; each starts one SM only
        self._inject_replies = InjectReplies(config.limits)
        self._message_size = 0  # of the message being handled
        # SM ids whose result this node took or passed on (each once)
        self._results_seen: OrderedDict[str, None] = OrderedDict()
        # ack id -> a RESULT in this node's custody until the next node acknowledges it
        self._held_results: dict = {}
        # sm id -> links it left here by: where its result may come back from
        self._sent_to: OrderedDict[str, set] = OrderedDict()
        # brick id -> frames that brought it, while it is being compiled
        self._held: dict[str, list] = {}
        #: when the node first ran (its first timer tick), for its uptime
        self.started_at: float | None = None
        #: what the driver adds to the node's status (address, peers...)
        self.driver_info: Callable[[], dict] | None = None
        register_node_tags(self)

    # ---- driver side: inputs ------------------------------------------------------
    def receive(self, datagram: bytes, link: Hashable, now: float) -> None:
        """A datagram arrived from ``link``; malformed input is counted, never raised.
        No SM code runs here: an arriving SM is checked, then queued."""
        self._now = now
        self.counters["datagrams_in"] += 1
        self.counters["bytes_in"] += len(datagram)
        try:
            message = self._reassembler.feed(datagram, link, now)
        except wire.WireError:
            self.counters["malformed"] += 1
            return
        if message is not None:
            self._dispatch(message, link)

    def handle_timer(self, now: float) -> None:
        """Retransmit, time out waits and neighbours, beacon. No SM code runs
        here: SMs a timeout made ready run when the driver runs the ready
        slices (``run_ready`` or ``take_ready``)."""
        self._now = now
        if self.started_at is None:
            self.started_at = now
        for hop in list(self._hops.values()):
            if hop.deadline <= now:
                self._hop_timed_out(hop)
        for key, held in list(self._held_results.items()):
            if held.deadline <= now:
                self._retry_result(key, held)
        for event in self.tagspace.timeouts(now):
            self._wait_timed_out(event.token, event.name)
        self._expire_neighbors(now)
        self._reassembler.expire(now)
        for hop_id, when in list(self._admitted.items()):
            if now - when > self.config.remember_hops:
                del self._admitted[hop_id]
        while self._came_from and now - next(iter(self._came_from.values()))[1] > self.config.remember_hops:
            self._came_from.popitem(last=False)
        self._beacon_if_due(now)

    def inject(self, source: str, args: list | tuple = (), now: float = 0.0, *,
               entry: str = "main", name: str = "<injected>") -> str:
        """Start a new SM here (a new family originating on this node)."""
        self._now = now
        brick = self.cache.add_source(source, name)  # CompileError for a bad brick
        sm_id = self._new_id()
        principal = tagspace.Principal(sm_id, sm_id, self.node_id, brick.code_ids)
        record = SMRecord(sm_id, brick, principal)
        blob = args_blob(args)
        record.chain = self._birth(principal, brick, blob)
        self._enter(record)
        self._events.append(ev.SMStarted(sm_id, self.node_id, now, brick.name))
        self._queue_start(record, entry, args if type(args) is bytes else list(args))
        self._durable(record, "start", entry=entry, args=blob)
        return sm_id

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

    def next_deadline(self) -> float | None:
        times = [h.deadline for h in self._hops.values()]
        times.extend(held.deadline for held in self._held_results.values())
        if self._ready:
            times.append(self._now)
        for t in (self.tagspace.next_deadline(), self.neighbor_table.next_expiry(),
                  self._next_beacon_time()):
            if t is not None:
                times.append(t)
        return min(times) if times else None

    def status(self, now: float) -> dict:
        """What this node holds and has done, as plain data (``smvm status``;
        see ``smvm.node.status``)."""
        return node_status(self, now)

    # ---- helpers --------------------------------------------------------------------
    def _birth(self, principal: tagspace.Principal, brick: Brick, args: bytes, *,
               parent: str = "", parent_chain: list | None = None) -> list | None:
        """The signed birth record of a new SM (None on an unsigned node)."""
        if self.trust is None:
            return None
        return self.trust.birth(sm_id=principal.sm_id, family=principal.family,
                                origin=principal.origin, code=(brick.hash,), args=args,
                                now=self._now, parent=parent, parent_chain=parent_chain)

    def provenance_of(self, sm_id: str) -> dict | None:
        """The verified path of an SM here (None when unsigned or unknown)."""
        record = self._sms.get(sm_id)
        if record is None or record.chain is None or self.trust is None:
            return None
        return self.trust.verifier.walk(record.chain).to_json()

    def _refuse(self, frame, link: Hashable, reason: str) -> None:
        """A frame that failed verification: counted and reported, never acted on."""
        kind = type(frame).__name__
        self.counters["refused"] += 1
        self.counters[f"refused.{kind}"] += 1
        self._events.append(ev.FrameRefused(kind, str(link), reason, self._now))

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
