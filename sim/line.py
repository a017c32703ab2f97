"""``smvm exec``'s world: a line of nodes ``"0" .. "N-1"`` on the simulator.

The line is a special case of a simulation: the real node cores
(``smvm.node.NodeCore``, the daemon's) on ``SimNetwork``, placed
``SPACING`` metres apart on a line, with a loss-free unit-disk radio whose
range reaches the adjacent nodes only. Every migration is the real hop
protocol (OFFER, ACCEPT, TRANSFER, ACK, carrying the serialised SM), tags
expire and ``block_tag`` times out on the kernel's virtual clock.

Timing: every frame takes ``FRAME_DELAY`` (whatever its size: the radio's
bandwidth is unlimited), and SM execution takes no virtual time. A hop is
three frames (15 ms) when the sender does not know that the receiver holds
the SM's code, one (5 ms) when it does. Neighbours are configured, not
beaconed: the line is known from the start and nothing runs when every SM
has ended or waits on a tag without a timeout.

Node ``i`` has the id ``str(i)`` and sits at ``(100·i, 0)``: node ids are
strings, as under ``smvm sim`` and on daemons, and the ``position`` and
``neighbor_positions`` tags hold metres, so geographic routing
(``migrate([x, y])``) works here as it does there. ``tags`` plants tags on
nodes before anything runs; every brick in ``bricks`` is installed on every
node, so ``create_sm(name, ...)`` finds it anywhere.

This world runs the SM slices itself, through the core's driver interface
(``take_ready``, ``host_for``, ``settle``), to see every SM's fuel, hops and
bytes (``run_line`` reports their totals over all SMs of the run).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from smvm.compiler import Brick, compile_brick
from smvm.errors import UsageError
from smvm.node import NodeConfig, NodeCore
from smvm.slices import Step, job_for, run_slice
from smvm.vm import (
    DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB, ErrorRecord, Failed, Finished,
    SMInstance, Suspended,
)

from .kernel import Simulation
from .mobility import StaticPlacement
from .network import SimNetwork
from .radio import UnitDiskRadio

__all__ = ["ExecResult", "FRAME_DELAY", "LineWorld", "run_line"]


@dataclass
class ExecResult:
    """How the main SM of a run on the line ended (``result``, ``error``,
    ``node``) and what the whole run cost: ``hops``, ``bytes`` and ``fuel``
    are totals over every SM of the run (``sms`` of them)."""

    result: object
    error: ErrorRecord | None
    node: str
    hops: int
    bytes: int
    fuel: int
    log: list = field(default_factory=list)
    sms: int = 1

    def to_json(self) -> dict:
        return {"result": self.result, "error": self.error.to_json() if self.error else None,
                "node": self.node, "hops": self.hops, "bytes": self.bytes, "fuel": self.fuel,
                "log": self.log, "sms": self.sms}

#: Virtual time every frame takes on the line (seconds).
FRAME_DELAY = 0.005
#: Metres between adjacent nodes, and the radio's range.
SPACING = 100.0
#: Most nodes ``smvm exec`` puts on its line (each is a full node core).
MAX_LINE_NODES = 10_000
MAX_EVENTS = 1_000_000
MAX_SMS = 10_000


@dataclass
class LineSM:
    """What the line saw of one SM (updated after each of its slices)."""

    sm_id: str
    node: str
    fuel: int = 0
    hops: int = 0
    bytes: int = 0
    outcome: Finished | Failed | None = None
    waiting: bool = False  # blocked on a tag when its last slice ended


class LineHost:
    """A node of the line as an SM sees it: the core's host, counting the
    SMs it starts against the world's limit. ``LineWorld.nodes`` holds one
    per node (a ``NodeHost`` for ``SMInstance``); each slice gets its own."""

    def __init__(self, world: LineWorld, index: int, record: Any = None):
        self.world = world
        self.node_id = str(index)
        self.core = world.cores[index]
        self.tagspace = self.core.tagspace
        self._inner = self.core.host_for(record)

    def neighbors(self) -> list[str]:
        return self._inner.neighbors()

    def now(self) -> float:
        return self._inner.now()

    def wake(self, woken: tuple) -> None:
        self._inner.wake(woken)

    def spawn(self, parent: SMInstance, entry: str, args: bytes) -> str:
        self.world._room()
        return self.world._created(self._inner.spawn(parent, entry, args), self.node_id)

    def create_sm(self, parent: SMInstance, brick: str, entry: str, args: bytes) -> str:
        self.world._room()
        if self.core.cache.find(brick) is None and brick not in parent.brick.parts:
            raise ValueError(f"no brick named {brick!r} on node {self.node_id} "
                             f"(known: {', '.join(sorted(self.world.bricks))})")
        return self.world._created(self._inner.create_sm(parent, brick, entry, args),
                                   self.node_id)

    def log(self, sm_id: str, text: str) -> None:
        self._inner.log(sm_id, text)


class LineWorld:
    """``size`` node cores on a line, in virtual time.

    ``bricks`` (name -> ``Brick``) are installed on every node before SMs
    run, so ``create_sm(name, ...)`` finds them anywhere; ``new_sm`` starts
    an SM and ``run`` runs until nothing is left to do.
    """

    def __init__(self, size: int, fuel: int, memory_mb: float | None,
                 cpu_seconds: float | None = DEFAULT_CPU_SECONDS, *, seed: int = 0,
                 tags: dict[str, dict[str, object]] | None = None, signed: bool = False):
        if type(size) is not int or size < 1:
            raise UsageError("the line needs at least one node")
        self.sim = Simulation(seed)
        self.radio = UnitDiskRadio(SPACING, bandwidth_bps=math.inf, delay_s=FRAME_DELAY)
        places = [(SPACING * i, 0.0) for i in range(size)]
        config = NodeConfig(fuel_per_sm=fuel, memory_mb=memory_mb, cpu_seconds=cpu_seconds,
                            max_sms=MAX_SMS, beacon_interval=None,
                            fuel_slice=None)  # each SM runs until it hops, blocks or ends
        self.network = SimNetwork(self.sim, self.radio, StaticPlacement(places), config,
                                  seconds_per_fuel=0.0, runner=self._run_slices, signed=signed)
        tags = tags or {}
        unknown = sorted(set(tags) - {str(i) for i in range(size)})
        if unknown:
            raise UsageError(f"no node {unknown[0]!r} on a line of {size} "
                             f"(nodes are \"0\" .. \"{size - 1}\")")
        self.cores: list[NodeCore] = [self.network.add_node(i, tags.get(str(i)))
                                      for i in range(size)]
        for i, core in enumerate(self.cores):
            # SMs run from ``take_ready`` (decoded there): an arrival is only
            # screened, not decoded twice
            core.screen_arrivals = True
            core.move_to(places[i])
            for j in (i - 1, i + 1):  # the radio reaches exactly these
                if 0 <= j < size:
                    core.hear_neighbor(str(j), str(j), 0.0, places[j])
        self.nodes = [LineHost(self, i) for i in range(size)]
        self.bricks: dict[str, Brick] = {}
        self.sms: dict[str, LineSM] = {}

    @property
    def log(self) -> list[dict]:
        """What SMs logged: node, virtual time, SM id, text."""
        return [{"node": e["node"], "time": e["time"], "sm": e["sm"], "text": e["text"]}
                for e in self.network.metrics.logs]

    @property
    def clock(self) -> float:
        return self.sim.now

    # ---- starting SMs ---------------------------------------------------------------
    def new_sm(self, node: LineHost | str | int, brick: Brick, entry: str, args: list | tuple,
               *, family: None = None, origin: str | None = None) -> str:
        """Start ``entry(*args)`` of ``brick`` on ``node`` (a host, an id or an
        index) now, as a new family originating there; returns its SM id."""
        index = int(node.node_id if isinstance(node, LineHost) else node)
        if family is not None or origin not in (None, str(index)):
            raise ValueError("a new SM starts a new family originating on its node")
        self._room()
        self._install()
        name = next((n for n, b in self.bricks.items() if b.hash == brick.hash), brick.name)
        core = self.cores[index]
        sm_id = core.inject(brick.source, list(args), self.sim.now, entry=entry, name=name)
        self.sim.schedule_at(self.sim.now, self.network.run_node, str(index))
        return self._created(sm_id, index)

    def _install(self) -> None:
        for core in self.cores:
            for name, brick in self.bricks.items():
                found = core.cache.find(name)
                if found is None or found.hash != brick.hash:
                    core.cache.add_source(brick.source, name)

    def _room(self) -> None:
        if len(self.sms) >= MAX_SMS:
            raise RuntimeError(f"too many SMs (limit {MAX_SMS})")

    def _created(self, sm_id: str, node: str | int) -> str:
        self.sms[sm_id] = LineSM(sm_id, str(node))
        return sm_id

    def run(self) -> None:
        """Run until no event is left (every SM ended or waits for good)."""
        self._install()
        self.sim.run(max_events=MAX_EVENTS)
        if self.sim.peek() is not None:
            raise RuntimeError(f"more than {MAX_EVENTS} events")

    # ---- running SM slices -------------------------------------------------------------
    def _run_slices(self, core: NodeCore) -> None:
        index = int(core.node_id)
        while core.has_ready:
            for item in core.take_ready():
                record = item.record
                outcome = self._slice(core, index, record, item.step)
                core.settle(record, outcome, self.sim.now)
                seen = self.sms.setdefault(record.sm_id, LineSM(record.sm_id, core.node_id))
                seen.node, seen.fuel = core.node_id, outcome.fuel
                seen.hops, seen.bytes = record.hops, record.bytes
                if isinstance(outcome, (Finished, Failed)):
                    seen.outcome = outcome
                seen.waiting = isinstance(outcome, Suspended) and outcome.request["kind"] != "migrate"

    def _slice(self, core: NodeCore, index: int, record: Any, step: Step):
        job = job_for(record, self.network.config, step)
        return run_slice(job, LineHost(self, index, record), core.runners)


def run_line(source: str, args: list | tuple = (), *, nodes: int = 3, fuel: int | None = None,
             memory_mb: float | None = None, filename: str = "<brick>",
             entry: str = "main", cpu_seconds: float | None = DEFAULT_CPU_SECONDS,
             tags: dict[str, dict[str, object]] | None = None,
             bricks: dict[str, str] | None = None, signed: bool = False) -> ExecResult:
    """Run ``entry(*args)`` of a brick as an SM starting on node ``"0"`` of a line.

    ``tags`` ({node id: {name: value}}) are planted on nodes first (readable
    by every SM); ``bricks`` ({file name: source}) are installed on every
    node beside this one, under their base names, for ``create_sm``. With
    ``signed`` the nodes sign births and hops and verify them, as daemons do
    (keys from the seed: the same run gives the same bytes). SMs
    spawned or created run too, in virtual time, until none can run.
    Raises ``CompileError`` when a brick is invalid and ``UsageError`` for
    bad parameters; every guest problem is reported in the result instead.
    """
    if type(nodes) is not int or nodes < 1:
        raise UsageError("the line needs at least one node")
    if nodes > MAX_LINE_NODES:
        raise UsageError(f"a line of {nodes:,} nodes is more than the {MAX_LINE_NODES:,} "
                         "this runs (use a scenario with smvm run or smvm sim)")
    fuel = DEFAULT_FUEL if fuel is None else fuel
    if fuel <= 0:
        raise UsageError("fuel must be positive")
    memory_mb = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    if memory_mb <= 0:
        raise UsageError("memory must be positive")
    if cpu_seconds is not None and not cpu_seconds > 0:
        raise UsageError("the CPU time budget must be positive")
    brick = compile_brick(source, filename)
    extra = {_brick_name(name): compile_brick(text, name) for name, text in (bricks or {}).items()}
    world = LineWorld(nodes, fuel, memory_mb, cpu_seconds, tags=tags, signed=signed)
    world.bricks.update(extra)
    world.bricks[_brick_name(filename)] = brick
    main_id = world.new_sm(0, brick, entry, list(args))
    world.run()
    rec = world.sms[main_id]
    outcome = rec.outcome
    if outcome is None:
        blocked = "waiting on a tag nobody writes" if rec.waiting else "never finished"
        outcome = Failed(ErrorRecord("TagTimeout" if rec.waiting else "VMBug",
                                     f"the SM is {blocked}"), rec.fuel)
    value = outcome.value if isinstance(outcome, Finished) else None
    error = outcome.error if isinstance(outcome, Failed) else None
    every = world.sms.values()
    fuel_used = outcome.fuel + sum(sm.fuel for sm in every if sm is not rec)
    return ExecResult(value, error, rec.node, sum(sm.hops for sm in every),
                      sum(sm.bytes for sm in every), fuel_used, world.log, len(world.sms))


def _brick_name(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".py") else base
