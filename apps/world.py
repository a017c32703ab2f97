"""A simulated world for an application: node cores on a radio and a mobility
model (``sim.SimNetwork``), plus what applications need around them --
sensors whose readings change over time and wake the SMs blocked on them,
actuators that record what SMs write, tags and SMs started at given times.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Hashable, Iterable

import tagspace
from smvm.compiler import load_brick
from smvm.node import NodeConfig

from sim.kernel import Simulation
from sim.mobility import Mobility
from sim.network import SimNetwork
from sim.radio import UnitDiskRadio

BRICKS = Path(__file__).parent


class World:
    """One seeded run of an application in virtual time."""

    def __init__(self, seed: int, mobility: Mobility | Callable[[Simulation], Mobility],
                 nodes: Iterable[Hashable], *, radio_range: float = 100.0, loss: float = 0.0,
                 bandwidth: float = 2e6, delay: float = 0.001, beacon_interval: float = 1.0,
                 neighbor_timeout: float = 3.5, tags: dict | None = None):
        self.sim = Simulation(seed)
        self.radio = UnitDiskRadio(radio_range, loss=loss, bandwidth_bps=bandwidth,
                                   delay_s=delay, rng=self.sim.rng)
        self.mobility = mobility(self.sim) if callable(mobility) else mobility
        self.network = SimNetwork(self.sim, self.radio, self.mobility,
                                  NodeConfig(beacon_interval=beacon_interval,
                                             neighbor_timeout=neighbor_timeout))
        for node in nodes:
            self.network.add_node(node, (tags or {}).get(node))
        self.actuators: dict[tuple[str, str], tagspace.MockActuator] = {}

    @property
    def now(self) -> float:
        return self.sim.now

    def core(self, node: Hashable):
        return self.network.cores[str(node)]

    def position(self, node: Hashable, t: float | None = None) -> tuple[float, float]:
        return self.network._position_at(str(node), self.now if t is None else t)

    # ---- devices -------------------------------------------------------------------
    def sensor(self, node: Hashable, name: str, reading: Callable[[float], object], *,
               changes: Iterable[float] = ()) -> None:
        """An I/O tag ``name`` reading ``reading(now)``; at each time in
        ``changes`` its driver reports a new reading (SMs blocked on it wake)."""
        core = self.core(node)
        core.tagspace.register_io(name, tagspace.MockSensor(function=reading), replace=True)
        for t in changes:
            self.sim.schedule_at(t, self._updated, str(node), name)

    def actuator(self, node: Hashable, name: str, initial: object = None) -> tagspace.MockActuator:
        """A writable I/O tag (a valve, a camera shutter) recording its writes."""
        device = tagspace.MockActuator(initial)
        self.core(node).tagspace.register_io(name, device, replace=True)
        self.actuators[(str(node), name)] = device
        return device

    def _updated(self, node: str, name: str) -> None:
        core = self.core(node)
        core.handle_timer(self.now)  # the core's clock reads the sensor at now
        core.woken(core.tagspace.io_updated(name, self.now))
        self.network.run_node(node)

    def set_tag(self, node: Hashable, name: str, value: object, at: float | None = None,
                access: dict | None = None) -> None:
        """The node itself writes (or creates) tag ``name`` at ``at`` (access:
        readable by every SM unless given); SMs blocked on it wake."""
        def write() -> None:
            core = self.core(node)
            core.handle_timer(self.now)
            space, owner = core.tagspace, core.tagspace.node_principal
            if space.exists(name, self.now):
                woken = space.write(owner, name, value, self.now)
            else:
                woken = space.create(owner, name, value, access=access or {"others": "r"},
                                     now=self.now)
            core.woken(woken)
            self.network.run_node(node)
        self.sim.schedule_at(self.now if at is None else at, write)

    def read_tag(self, node: Hashable, name: str) -> object:
        """A tag's value as the node sees it (None if absent or unreadable)."""
        space = self.core(node).tagspace
        try:
            return space.read(space.node_principal, name, self.now)
        except tagspace.TagSpaceError:
            return None

    # ---- SMs and time --------------------------------------------------------------
    def inject(self, node: Hashable, brick: str | Path, args: list | tuple = (),
               at: float | None = None, entry: str = "main") -> None:
        path = Path(brick)
        self.network.inject(node, load_brick(path), list(args), at=at, name=path.name,
                            entry=entry)

    def every(self, period: float, callback: Callable[[float], None], *, start: float = 0.0,
              until: float | None = None) -> None:
        """Call ``callback(now)`` every ``period`` virtual seconds (sampling)."""
        def tick() -> None:
            callback(self.now)
            nxt = self.now + period
            if until is None or nxt <= until:
                self.sim.schedule_at(nxt, tick)
        self.sim.schedule_at(start, tick)

    def run(self, until: float) -> None:
        self.sim.run(until=until)

    def fuel_used(self, node: Hashable) -> int:
        return self.core(node).counters["fuel_used"]

    def sms(self) -> list:
        return list(self.network.metrics.sms.values())

    def traffic(self) -> dict[str, int]:
        """Frames and bytes sent by all nodes, per kind and in total."""
        out: dict[str, int] = {}
        for counters in self.network.counters().values():
            for key, value in counters.items():
                if key.startswith(("frames_out", "bytes_out")):
                    out[key] = out.get(key, 0) + value
        out["bytes"] = sum(v for k, v in out.items() if k.startswith("bytes_out."))
        return out


class WithStatic(Mobility):
    """Another model's nodes ``0..n-1`` plus static nodes ``n, n+1, ...`` at
    fixed points (people standing at street corners among moving vehicles)."""

    def __init__(self, moving: Mobility, points: list[tuple[float, float]]):
        self.moving = moving
        self.first_static = len(moving.nodes)
        self.points = list(points)

    @property
    def nodes(self) -> list[int]:
        return list(range(self.first_static + len(self.points)))

    def position(self, node: int, t: float) -> tuple[float, float]:
        if node >= self.first_static:
            return self.points[node - self.first_static]
        return self.moving.position(node, t)

    def next_change(self, node: int, t: float) -> float:
        if node >= self.first_static:
            return math.inf
        return self.moving.next_change(node, t)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, nearest rank) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
