"""Mobility models: where each node is at any virtual time.

Every model answers ``position(node, t) -> (x, y)`` and ``next_change(node, t)``:
the first time after ``t`` at which the node's motion stops being the straight,
constant-speed piece it is on at ``t`` (``inf`` when it never changes). Between
``t`` and ``next_change(node, t)`` the node moves linearly, which is what lets
the radio's spatial grid predict when a node leaves its cell instead of polling.

Moving models keep each node's path as a list of breakpoints ``(t_i, x_i, y_i)``
and interpolate, so any time can be queried cheaply and exactly (no per-step
integration). Paths are extended lazily, as far as queries reach. Each node
draws from its own ``random.Random`` seeded from the RNG passed in (normally the
simulation's ``sim.rng``) when the model is built, so a node's path does not
depend on the order in which nodes are queried.
"""
from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence

from ._errors import ModelError

__all__ = [
    "ManhattanGrid",
    "Mobility",
    "Overlay",
    "RandomWaypoint",
    "StaticPlacement",
    "Waypoints",
]

NodeId = Hashable
Point = tuple[float, float]
_INF = float("inf")


def _range(value: float | tuple[float, float], what: str, *, positive: bool = False
           ) -> tuple[float, float]:
    lo, hi = (value, value) if isinstance(value, (int, float)) else value
    lo, hi = float(lo), float(hi)
    if not (0 <= lo <= hi < _INF) or (positive and lo <= 0):
        bound = "> 0" if positive else ">= 0"
        raise ModelError(f"{what} must be a finite range with {bound} bounds, got {value!r}")
    return lo, hi


class Mobility(ABC):
    """Where nodes are: ``position(node, t)`` and when their straight-line motion changes."""

    @property
    @abstractmethod
    def nodes(self) -> list[NodeId]:
        """The node ids this model places, in a fixed order."""

    @abstractmethod
    def position(self, node: NodeId, t: float) -> Point:
        """Position of ``node`` at virtual time ``t >= 0``."""

    @abstractmethod
    def next_change(self, node: NodeId, t: float) -> float:
        """First time > ``t`` at which the node's linear motion changes (``inf``: never)."""

    def positions(self, t: float) -> dict[NodeId, Point]:
        """Every node's position at ``t`` (convenience for snapshots and plots)."""
        return {n: self.position(n, t) for n in self.nodes}

    @classmethod
    def from_scenario(cls, scenario, rng: random.Random) -> Mobility:
        """The model for a scenario's nodes ``0..count-1``, drawing from ``rng``
        (the run's ``sim.rng``): how a run builds a model named by its class."""
        raise ModelError(f"{cls.__name__} does not define from_scenario(scenario, rng)")


class StaticPlacement(Mobility):
    """Nodes that never move: explicit positions, random uniform in a rectangle, or a grid."""

    def __init__(self, positions: Mapping[NodeId, Point] | Sequence[Point]) -> None:
        items = positions.items() if isinstance(positions, Mapping) else enumerate(positions)
        self._pos: dict[NodeId, Point] = {n: (float(x), float(y)) for n, (x, y) in items}

    @classmethod
    def uniform(cls, n: int, width: float, height: float, rng: random.Random
                ) -> StaticPlacement:
        """``n`` nodes (ids ``0..n-1``) uniformly at random in ``[0,width] x [0,height]``."""
        if n < 0 or width < 0 or height < 0:
            raise ModelError("uniform placement needs n, width, height >= 0")
        return cls([(rng.uniform(0.0, width), rng.uniform(0.0, height)) for _ in range(n)])

    @classmethod
    def grid(cls, rows: int, cols: int, spacing: float, origin: Point = (0.0, 0.0)
             ) -> StaticPlacement:
        """``rows*cols`` nodes on a square lattice; id ``r*cols + c`` at ``origin + (c, r)*spacing``."""
        if rows < 0 or cols < 0 or spacing < 0:
            raise ModelError("grid placement needs rows, cols, spacing >= 0")
        ox, oy = origin
        return cls([(ox + c * spacing, oy + r * spacing) for r in range(rows) for c in range(cols)])

    @classmethod
    def from_scenario(cls, scenario, rng: random.Random) -> StaticPlacement:
        """``placement``: "uniform" in ``area``, or "grid"/"line" by ``spacing``."""
        count, spacing = scenario.count, scenario.spacing
        if scenario.placement == "grid":
            cols = max(1, round(count ** 0.5))
            grid = cls.grid(-(-count // cols), cols, spacing)
            return cls([grid.position(i, 0.0) for i in range(count)])
        if scenario.placement == "line":
            return cls([(spacing * i, 0.0) for i in range(count)])
        return cls.uniform(count, scenario.area[0], scenario.area[1], rng)

    @property
    def nodes(self) -> list[NodeId]:
        return list(self._pos)

    def position(self, node: NodeId, t: float) -> Point:
        try:
            return self._pos[node]
        except KeyError:
            raise ModelError(f"unknown node {node!r}") from None

    def next_change(self, node: NodeId, t: float) -> float:
        if node not in self._pos:
            raise ModelError(f"unknown node {node!r}")
        return _INF


class _Path:
    """Breakpoints ``(t_i, x_i, y_i)`` of one node's piecewise-linear path."""

    __slots__ = ("rng", "state", "ts", "xs", "ys")

    def __init__(self, x: float, y: float, rng: random.Random, state: object = None) -> None:
        self.ts = [0.0]
        self.xs = [x]
        self.ys = [y]
        self.rng = rng
        self.state = state

    def add(self, dt: float, x: float, y: float) -> None:
        self.ts.append(self.ts[-1] + dt)
        self.xs.append(x)
        self.ys.append(y)


class _PathModel(Mobility):
    """Shared machinery for models made of straight moves and pauses."""

    def __init__(self, nodes: Iterable[NodeId], rng: random.Random) -> None:
        self._paths: dict[NodeId, _Path] = {}
        for n in nodes:
            node_rng = random.Random(rng.getrandbits(64))
            self._paths[n] = self._start(n, node_rng)

    @abstractmethod
    def _start(self, node: NodeId, rng: random.Random) -> _Path:
        """A new path with its first breakpoint at t=0."""

    @abstractmethod
    def _extend(self, path: _Path) -> None:
        """Append at least one breakpoint with a strictly later time."""

    @property
    def nodes(self) -> list[NodeId]:
        return list(self._paths)

    def _path_to(self, node: NodeId, t: float) -> _Path:
        try:
            path = self._paths[node]
        except KeyError:
            raise ModelError(f"unknown node {node!r}") from None
        if not 0.0 <= t < _INF:
            raise ModelError(f"time must be finite and >= 0, got {t!r}")
        ts = path.ts
        while ts[-1] <= t:
            self._extend(path)
        return path

    def position(self, node: NodeId, t: float) -> Point:
        path = self._path_to(node, t)
        ts = path.ts
        i = bisect_right(ts, t)  # ts[i-1] <= t < ts[i]
        t0 = ts[i - 1]
        x0, y0 = path.xs[i - 1], path.ys[i - 1]
        if t == t0:
            return x0, y0
        f = (t - t0) / (ts[i] - t0)
        return x0 + (path.xs[i] - x0) * f, y0 + (path.ys[i] - y0) * f

    def next_change(self, node: NodeId, t: float) -> float:
        path = self._path_to(node, t)
        return path.ts[bisect_right(path.ts, t)]

    def breakpoints(self, node: NodeId, until: float) -> list[tuple[float, float, float]]:
        """The path's breakpoints ``(t, x, y)`` up to the first one after ``until``."""
        path = self._path_to(node, until)
        k = bisect_right(path.ts, until) + 1
        return list(zip(path.ts[:k], path.xs[:k], path.ys[:k]))


class RandomWaypoint(_PathModel):
    """Random waypoint: go straight to a uniform random point, pause, repeat.

    Each node starts at a uniform random point of ``area`` (``(width, height)``,
    origin at 0,0) or at ``start[node]``, moves at once towards its first
    waypoint at a speed drawn uniformly from ``speed`` (m/s, lower bound > 0: a
    zero lower bound makes mean trip times diverge), pauses for a time drawn
    from ``pause`` (a number or a ``(min, max)`` range), and so on.
    """

    def __init__(self, nodes: Iterable[NodeId] | int, area: tuple[float, float],
                 speed: tuple[float, float], pause: float | tuple[float, float] = 0.0, *,
                 rng: random.Random, start: Mapping[NodeId, Point] | None = None) -> None:
        self.width, self.height = float(area[0]), float(area[1])
        if not (0 <= self.width < _INF and 0 <= self.height < _INF):
            raise ModelError(f"bad area {area!r}")
        self.speed = _range(speed, "speed", positive=True)
        self.pause = _range(pause, "pause")
        if self.width == self.height == 0.0 and self.pause[1] == 0.0:
            raise ModelError("a zero area with no pause leaves nothing to do")
        self._start_at = dict(start or {})
        super().__init__(range(nodes) if isinstance(nodes, int) else nodes, rng)

    @classmethod
    def from_scenario(cls, scenario, rng: random.Random) -> RandomWaypoint:
        return cls(scenario.count, scenario.area, scenario.speed, scenario.pause, rng=rng)

    def _start(self, node: NodeId, rng: random.Random) -> _Path:
        if node in self._start_at:
            x, y = self._start_at[node]
        else:
            x, y = rng.uniform(0.0, self.width), rng.uniform(0.0, self.height)
        return _Path(float(x), float(y), rng, state="move")

    def _extend(self, path: _Path) -> None:
        rng = path.rng
        x, y = path.xs[-1], path.ys[-1]
        if path.state == "move":
            nx, ny = rng.uniform(0.0, self.width), rng.uniform(0.0, self.height)
            v = rng.uniform(*self.speed)
            dist = math.hypot(nx - x, ny - y)
            path.state = "pause"
            if dist > 0.0:
                path.add(dist / v, nx, ny)
                return
        path.state = "move"
        p = rng.uniform(*self.pause)
        if p > 0.0:
            path.add(p, x, y)
        # p == 0 (or a zero-length move): nothing added; the loop in _path_to goes on.


# Headings on the street grid: east, north, west, south (counter-clockwise).
_DIRS = ((1, 0), (0, 1), (-1, 0), (0, -1))


class ManhattanGrid(_PathModel):
    """Manhattan grid: nodes drive along the streets of a block grid.

    Streets are the lines ``x = i*block`` (``0 <= i <= blocks[0]``) and
    ``y = j*block`` (``0 <= j <= blocks[1]``). A node starts at a uniform random
    intersection with a uniform random heading, drives one block at a speed drawn
    uniformly from ``speed``, and at each intersection goes straight, turns left
    or turns right with probabilities ``turn = (straight, left, right)``; options
    that would leave the map are removed and the rest renormalised, and a node
    with no option (a dead end) turns back. An optional ``pause`` (number or range)
    is spent at every intersection. Positions are always exactly on a street.
    """

    def __init__(self, nodes: Iterable[NodeId] | int, blocks: tuple[int, int], block: float,
                 speed: tuple[float, float], *, rng: random.Random,
                 turn: tuple[float, float, float] = (0.5, 0.25, 0.25),
                 pause: float | tuple[float, float] = 0.0) -> None:
        self.blocks = (int(blocks[0]), int(blocks[1]))
        if self.blocks[0] < 0 or self.blocks[1] < 0 or self.blocks == (0, 0):
            raise ModelError(f"need at least one block side, got {blocks!r}")
        if not 0 < block < _INF:
            raise ModelError(f"block length must be > 0, got {block!r}")
        self.block = float(block)
        self.speed = _range(speed, "speed", positive=True)
        self.pause = _range(pause, "pause")
        if len(turn) != 3 or any(not 0 <= p < _INF for p in turn) or sum(turn) <= 0:
            raise ModelError(f"turn must be three non-negative weights, got {turn!r}")
        self.turn = tuple(float(p) for p in turn)
        nodes = range(nodes) if isinstance(nodes, int) else nodes
        super().__init__(nodes, rng)

    @classmethod
    def from_scenario(cls, scenario, rng: random.Random) -> ManhattanGrid:
        return cls(scenario.count, scenario.blocks, scenario.block, scenario.speed, rng=rng,
                   pause=scenario.pause)

    def _start(self, node: NodeId, rng: random.Random) -> _Path:
        i = rng.randint(0, self.blocks[0])
        j = rng.randint(0, self.blocks[1])
        heading = rng.randrange(4)
        # state: [i, j, heading, pausing_next]
        return _Path(i * self.block, j * self.block, rng, state=[i, j, heading, False])

    def _ok(self, i: int, j: int, h: int) -> bool:
        dx, dy = _DIRS[h]
        return 0 <= i + dx <= self.blocks[0] and 0 <= j + dy <= self.blocks[1]

    def _extend(self, path: _Path) -> None:
        st = path.state
        rng = path.rng
        i, j, h, pausing = st
        if pausing:
            st[3] = False
            p = rng.uniform(*self.pause)
            if p > 0.0:
                path.add(p, path.xs[-1], path.ys[-1])
                return
        # Choose the heading for the next block (the initial heading is taken as "straight").
        options = [(w, (h + turn) % 4) for w, turn in zip(self.turn, (0, 1, 3))
                   if w > 0 and self._ok(i, j, (h + turn) % 4)]
        if options:
            r = rng.random() * sum(w for w, _ in options)
            for w, nh in options:
                r -= w
                if r < 0:
                    break
            h = nh
        else:
            h = (h + 2) % 4
            if not self._ok(i, j, h):  # blocked both ways: choose any open heading
                h = next(d for d in range(4) if self._ok(i, j, d))
        dx, dy = _DIRS[h]
        i, j = i + dx, j + dy
        v = rng.uniform(*self.speed)
        path.add(self.block / v, i * self.block, j * self.block)
        st[0], st[1], st[2], st[3] = i, j, h, self.pause[1] > 0


class Waypoints(Mobility):
    """Nodes following given waypoints ``[(t, x, y), ...]`` (times increasing):
    at the first point until its time, linear between points, still after the last."""

    def __init__(self, paths: Mapping[NodeId, Sequence[tuple[float, float, float]]]) -> None:
        self._paths: dict[NodeId, tuple[list[float], list[float], list[float]]] = {}
        for node, points in paths.items():
            if not points:
                raise ModelError(f"node {node!r}: a path needs at least one waypoint")
            ts = [float(p[0]) for p in points]
            if any(not b > a for a, b in zip(ts, ts[1:])) or ts[0] < 0:
                raise ModelError(f"node {node!r}: waypoint times must be >= 0 and increasing")
            self._paths[node] = (ts, [float(p[1]) for p in points], [float(p[2]) for p in points])

    @property
    def nodes(self) -> list[NodeId]:
        return list(self._paths)

    def _get(self, node: NodeId) -> tuple[list[float], list[float], list[float]]:
        try:
            return self._paths[node]
        except KeyError:
            raise ModelError(f"unknown node {node!r}") from None

    def position(self, node: NodeId, t: float) -> Point:
        ts, xs, ys = self._get(node)
        i = bisect_right(ts, t)  # ts[i-1] <= t < ts[i]
        if i == 0:
            return xs[0], ys[0]
        if i == len(ts):
            return xs[-1], ys[-1]
        f = (t - ts[i - 1]) / (ts[i] - ts[i - 1])
        return xs[i - 1] + (xs[i] - xs[i - 1]) * f, ys[i - 1] + (ys[i] - ys[i - 1]) * f

    def next_change(self, node: NodeId, t: float) -> float:
        ts, _, _ = self._get(node)
        i = bisect_right(ts, t)
        return ts[i] if i < len(ts) else _INF


class Overlay(Mobility):
    """A base model with some nodes placed by another model instead (a scenario's
    per-node fixed positions and waypoint paths over its ``[nodes]`` mobility)."""

    def __init__(self, base: Mobility, override: Mobility) -> None:
        self.base, self.override = base, override
        self._own = set(override.nodes)

    @property
    def nodes(self) -> list[NodeId]:
        return list(dict.fromkeys([*self.base.nodes, *self.override.nodes]))

    def position(self, node: NodeId, t: float) -> Point:
        model = self.override if node in self._own else self.base
        return model.position(node, t)

    def next_change(self, node: NodeId, t: float) -> float:
        model = self.override if node in self._own else self.base
        return model.next_change(node, t)
