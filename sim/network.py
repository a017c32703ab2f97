"""Node cores on a simulated radio, in virtual time.

The very ``smvm.node.NodeCore`` the daemon drives runs here: its datagrams go
through the radio model (delays, loss, shared medium), its timers are kernel
events at ``next_deadline()``, and its position is the mobility model's. SMs
execute in this process between events; the fuel they spend is charged as
virtual time (``seconds_per_fuel``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Hashable

import tagspace
from smvm.node import BROADCAST, NodeConfig, NodeCore, SharedCaches
from smvm.node import events as ev
from smvm import trace as trace_records
from smvm.node.provenance import NodeTrust
from smvm.trust import NodeKey

from .kernel import Handle, Simulation
from .mobility import Mobility
from .radio import Radio


@dataclass
class SMRecord:
    """What the run saw of one SM."""

    sm_id: str
    origin: Hashable
    injected_at: float
    ended_at: float | None = None
    ended_on: Hashable | None = None
    result: object = None
    error: dict | None = None
    hops: int = 0
    #: (time, node, x, y) where the SM started and each node it arrived at
    track: list = field(default_factory=list)


@dataclass
class NetworkMetrics:
    sms: dict[str, SMRecord] = field(default_factory=dict)
    logs: list[dict] = field(default_factory=list)
    hop_failures: int = 0


#: Virtual seconds one fuel unit of SM execution takes (10 million units per
#: second: a loop iteration or call on a modest device).
SECONDS_PER_FUEL = 1e-7


class SimNetwork:
    """A set of node cores, attached to one radio and one mobility model.

    SM execution costs virtual time: what a node sends after running SMs
    leaves when the fuel they spent (``seconds_per_fuel`` each unit) is paid,
    and the node's processor is busy until then.

    ``runner(core)`` runs a core's due SM slices (default
    ``NodeCore.run_ready``); a driver that shows SMs a different view of the
    node (``smvm exec``'s line, see ``sim.line``) runs them itself through the
    core's ``take_ready``/``host_for``/``settle``.
    """

    def __init__(self, sim: Simulation, radio: Radio, mobility: Mobility,
                 config: NodeConfig | None = None, *, record_frames: bool = False,
                 seconds_per_fuel: float = SECONDS_PER_FUEL,
                 runner: Callable[[NodeCore], None] | None = None, signed: bool = False):
        self.sim = sim
        #: nodes sign and verify, with keys drawn from the run's seed (same seed, same bytes)
        self.signed = signed
        self._run = runner or NodeCore.run_ready
        self.seconds_per_fuel = seconds_per_fuel
        self._fuel_seen: dict[str, int] = {}
        self._cpu_free: dict[str, float] = {}
        #: (time, source, destination, datagram) of every transmission, when recording
        self.frames: list[tuple[float, str, str, bytes]] | None = [] if record_frames else None
        self.radio = radio
        self.mobility = mobility
        self.config = config or NodeConfig()
        self.cores: dict[Hashable, NodeCore] = {}
        #: compiled bricks and decoded frames the cores share (one process)
        self.caches = SharedCaches()
        self.metrics = NetworkMetrics()
        self._timers: dict[Hashable, Handle] = {}
        self._mobility_ids: dict[str, Hashable] = {}  # core id (str) -> mobility's node id
        self._positions_at = -1.0
        self._positions: dict[str, tuple[float, float]] = {}
        #: called with each trace record (``smvm.trace``) of the run, when set
        self.trace: Callable[[dict], None] | None = None

    def add_node(self, node_id: Hashable, tags: dict | None = None,
                 actuators: tuple[str, ...] | list[str] = ()) -> NodeCore:
        """A node with initial ``tags`` (readable by every SM) and ``actuators``
        (I/O tags every SM may read and write; initial value from ``tags``, else None)."""
        trust = None
        if self.signed:
            key = NodeKey.from_seed(self.sim.rng.getrandbits(256).to_bytes(32, "big"))
            trust = NodeTrust(str(node_id), key)
        core = NodeCore(str(node_id), self.config, seed=self.sim.rng.getrandbits(32), trust=trust,
                        caches=self.caches)
        self.cores[str(node_id)] = core
        mobility = self.mobility
        self._mobility_ids[str(node_id)] = node_id
        self.radio.attach(str(node_id), lambda t, n=str(node_id): self._position_at(n, t),
                          lambda t, n=node_id: mobility.next_change(n, t))
        # SMs read where the node is at the instant they ask (geographic
        # routing); the core's own ``position`` is what its beacons carry
        core.tagspace.register_io("position", _Located(self, str(node_id)), replace=True)
        owner = core.tagspace.node_principal
        tags = dict(tags or {})
        for name in actuators:
            core.tagspace.register_io(name, tagspace.MockActuator(tags.pop(name, None)))
        for name, value in tags.items():
            core.tagspace.create(owner, name, value, access={"others": "r"}, now=self.sim.now)
        self._timer(str(node_id), self.sim.now)
        return core

    def inject(self, node_id: Hashable, source: str, args: list | tuple = (), *,
               at: float | None = None, name: str = "brick.py", entry: str = "main") -> None:
        """Start an SM on ``node_id`` at virtual time ``at`` (default: now)."""
        def start() -> None:
            core = self.cores[str(node_id)]
            sm_id = core.inject(source, list(args), self.sim.now, entry=entry, name=name)
            record = SMRecord(sm_id, str(node_id), self.sim.now)
            record.track.append((self.sim.now, str(node_id), *self._position(str(node_id))))
            self.metrics.sms[sm_id] = record
            self._run(core)
            self._service(str(node_id))
        self.sim.schedule_at(self.sim.now if at is None else at, start)

    def set_tag(self, node_id: Hashable, name: str, value: object, *,
                at: float | None = None) -> None:
        """At virtual time ``at`` (default: now) the node's tag ``name`` becomes
        ``value`` (a sensor reading changing): an actuator takes the value, an
        existing tag is overwritten, a missing one is created readable by every
        SM. SMs blocked on the tag wake up."""
        def write() -> None:
            node = str(node_id)
            core = self.cores[node]
            space, now = core.tagspace, self.sim.now
            core.handle_timer(now)  # the core's clock reaches the event's time
            if name in space.io_names():
                space.provider(name).write(value, now)
                woken = space.io_updated(name, now)
            elif space.exists(name, now):
                woken = space.write(space.node_principal, name, value, now)
            else:
                woken = space.create(space.node_principal, name, value,
                                     access={"others": "r"}, now=now)
            if self.trace is not None:
                self.trace(trace_records.tag_set(node, now, name, value))
            core.woken(woken)
            self.run_node(node)
        self.sim.schedule_at(self.sim.now if at is None else at, write)

    def mobility_id(self, node: str) -> Hashable:
        """The mobility model's id of the core named ``node``."""
        return self._mobility_ids[node]

    def run_node(self, node_id: Hashable) -> None:
        """Run the node's due SMs now and send what they queued (for a driver
        that handed the core work directly, e.g. ``core.inject``)."""
        core = self.cores[str(node_id)]
        self._run(core)
        self._service(str(node_id))

    # ---- event plumbing ------------------------------------------------------------
    def _position(self, node: str) -> tuple[float, float]:
        return self._position_at(node, self.sim.now)

    def _position_at(self, node: str, t: float) -> tuple[float, float]:
        """The mobility model's answer; positions depend on time only, so the
        ones at the current instant are computed once (for the node and the radio)."""
        if t != self._positions_at:
            if t != self.sim.now:
                return self.mobility.position(self._mobility_ids[node], t)
            self._positions_at, self._positions = t, {}
        p = self._positions.get(node)
        if p is None:
            p = self._positions[node] = self.mobility.position(self._mobility_ids[node], t)
        return p

    def _timer(self, node: str, when: float) -> None:
        old = self._timers.get(node)
        if old is not None and old.pending:
            if old.time <= when:
                return
            old.cancel()
        self._timers[node] = self.sim.schedule_at(max(when, self.sim.now), self._tick, node)

    def _tick(self, node: str) -> None:
        core = self.cores[node]
        core.move_to(self._position(node))
        core.handle_timer(self.sim.now)
        if core.has_ready:
            self._run(core)
        self._service(node)

    def _deliver(self, nodes: tuple[str, ...] | list[str], sender: str, datagram: bytes) -> None:
        """``datagram`` from ``sender`` reaches ``nodes``, in this order."""
        now = self.sim.now
        cores, timers = self.cores, self._timers
        for node in nodes:
            core = cores[node]
            core.receive(datagram, sender, now)
            if core.quiet:
                # most often a beacon: nothing to send or record, and the node's
                # pending timer (never later than its new deadlines) still stands
                timer = timers.get(node)
                if timer is not None and timer.pending:
                    continue
            if core.has_ready:
                self._run(core)
            self._service(node)

    def _service(self, node: str) -> None:
        """Send what the core queued, record its events, re-arm its timer."""
        core = self.cores[node]
        now = self.sim.now
        used = core.counters["fuel_used"]
        spent = used - self._fuel_seen.get(node, 0)
        # nothing leaves before the node's processor is free again
        ready = self._cpu_free.get(node, now)
        if ready < now:
            ready = now
        if spent:
            self._fuel_seen[node] = used
            ready = self._cpu_free[node] = ready + spent * self.seconds_per_fuel
        out = core.datagrams_to_send()
        for link, datagram in out:
            if ready > now:
                self.sim.schedule_at(ready, self._transmit, node, str(link), datagram)
            else:
                self._transmit(node, str(link), datagram)
        events = core.events()
        for event in events:
            self._record(node, event)
        if self.trace is not None:
            for event in events:
                record = trace_records.from_node_event(node, event)
                if record is not None:
                    self.trace(record)
        deadline = core.next_deadline()
        if deadline is not None:
            # a core that just ran its timers asks again for "now" only if it has
            # ready work; never let it spin in place
            self._timer(node, max(deadline, now + 1e-9) if not core.has_ready else deadline)

    def _transmit(self, node: str, link: str, datagram: bytes) -> None:
        now = self.sim.now
        if self.frames is not None:
            self.frames.append((now, node, link, datagram))
        if link == BROADCAST:
            # receivers that hear the frame at the same time get it in one
            # event, one after the other: what consecutive events would do
            schedule_at, group, when = self.sim.schedule_at, [], None
            for dst, arrival in self.radio.broadcast(node, len(datagram), now):
                if arrival != when and group:
                    schedule_at(when, self._deliver, group, node, datagram)
                    group = []
                when = arrival
                group.append(dst)
            if group:
                schedule_at(when, self._deliver, group, node, datagram)
        else:
            arrival = self.radio.unicast(node, link, len(datagram), now)
            if arrival is not None:
                self.sim.schedule_at(arrival, self._deliver, (link,), node, datagram)

    def _record(self, node: str, event) -> None:
        m = self.metrics
        if isinstance(event, ev.HopCompleted):
            rec = m.sms.get(event.sm_id)
            if rec is not None:
                rec.hops += 1
        elif isinstance(event, ev.SMAdmitted):
            rec = m.sms.get(event.sm_id)
            if rec is not None:
                rec.track.append((self.sim.now, node, *self._position(node)))
        elif isinstance(event, ev.HopFailed):
            m.hop_failures += 1
        elif isinstance(event, (ev.SMFinished, ev.SMFailed)):
            rec = m.sms.get(event.sm_id)
            if rec is not None and rec.ended_at is None and event.node == node:
                rec.ended_at, rec.ended_on = self.sim.now, node
                if isinstance(event, ev.SMFinished):
                    rec.result = event.value
                else:
                    rec.error = event.error
        elif isinstance(event, ev.LogLine):
            m.logs.append({"time": round(self.sim.now, 9), "node": node, "sm": event.sm_id,
                           "text": event.text})

    def counters(self) -> dict[str, dict[str, int]]:
        return {node: dict(sorted(core.counters.items())) for node, core in self.cores.items()}


class _Located(tagspace.IOTag):
    """The ``position`` I/O tag of a simulated node: the mobility model's
    answer for the time of the read."""

    def __init__(self, network: SimNetwork, node: str):
        self.network, self.node = network, node

    def read(self, now: float) -> list[float]:
        x, y = self.network._position_at(self.node, now)
        return [x, y]
