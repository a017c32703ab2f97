"""Helpers for the routing tests: seeded unit-disk graphs, connectivity, BFS
hop counts, and a harness running the GPSR brick in plain CPython.

The harness executes the brick's source as ordinary Python with stub SM
primitives (the SM language is a Python subset, so the pure functions behave
the same), then walks a packet through a graph by calling ``gpsr_step`` at each
node with that node's true neighbour positions.
"""
from __future__ import annotations

import json
import random
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable

from smvm.errors import MigrationError, MigrationTimeout, RouteUnreachable

BRICK = Path(__file__).resolve().parents[2] / "routing" / "bricks" / "gpsr.py"


def _no_primitive(name: str):
    def call(*args, **kwargs):
        raise AssertionError(f"{name}() called outside an SM")
    return call


def load_gpsr(**primitives) -> dict:
    """The brick's namespace after running its module body, with stub
    primitives (``primitives`` replace the defaults, which fail loudly)."""
    ns: dict = {name: _no_primitive(name)
                for name in ("sys_migrate", "read_tag", "node_id", "now", "log")}
    ns.update(MigrationError=MigrationError, MigrationTimeout=MigrationTimeout,
              RouteUnreachable=RouteUnreachable)
    ns.update(primitives)
    exec(compile(BRICK.read_text(encoding="utf-8"), str(BRICK), "exec"), ns)
    return ns


@dataclass
class Graph:
    pos: dict[Hashable, tuple[float, float]]
    range: float
    adj: dict[Hashable, list[Hashable]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.pos)

    def neighbor_positions(self, node: Hashable) -> dict:
        return {m: [self.pos[m][0], self.pos[m][1]] for m in self.adj[node]}


def unit_disk(positions, range_m: float) -> Graph:
    """Nodes ``0..n-1`` (or the keys of a dict); u-v linked iff distance <= range."""
    pos = dict(positions) if isinstance(positions, dict) else dict(enumerate(positions))
    pos = {k: (float(x), float(y)) for k, (x, y) in pos.items()}
    ids = list(pos)
    adj: dict = {k: [] for k in ids}
    r2 = range_m * range_m
    for i, u in enumerate(ids):
        ux, uy = pos[u]
        for v in ids[i + 1:]:
            vx, vy = pos[v]
            if (ux - vx) ** 2 + (uy - vy) ** 2 <= r2:
                adj[u].append(v)
                adj[v].append(u)
    return Graph(pos, range_m, adj)


def random_unit_disk(n: int, side: float, range_m: float, seed: int) -> Graph:
    rng = random.Random(seed)
    return unit_disk([(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(n)], range_m)


def range_for_degree(n: int, side: float, degree: float) -> float:
    """Range giving about ``degree`` neighbours per node (ignoring borders)."""
    return side * (degree / (3.141592653589793 * max(1, n - 1))) ** 0.5


def bfs_hops(g: Graph, src: Hashable) -> dict:
    dist = {src: 0}
    queue = deque([src])
    while queue:
        u = queue.popleft()
        for v in g.adj[u]:
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def components(g: Graph) -> list[set]:
    seen: set = set()
    out = []
    for u in g.pos:
        if u not in seen:
            comp = set(bfs_hops(g, u))
            seen |= comp
            out.append(comp)
    return out


def is_connected(g: Graph) -> bool:
    return g.n == 0 or len(bfs_hops(g, next(iter(g.pos)))) == g.n


class RoutingLoop(AssertionError):
    """The walk repeated a (node, state) pair or went past its step bound."""


@dataclass
class Walk:
    outcome: str            # "arrive" or "unreachable"
    path: list              # nodes visited, source first
    perimeter: bool         # whether perimeter mode was used

    @property
    def hops(self) -> int:
        return len(self.path) - 1

    @property
    def end(self):
        return self.path[-1]


def route(gpsr: dict, g: Graph, src, dest, radius: float | None = 0.0,
          bound: int | None = None) -> Walk:
    """Walk a packet from ``src`` towards the point ``dest`` by calling
    ``gpsr_step`` at each node; fails on a repeated (node, state) or after
    ``bound`` steps (default 4 * nodes^2 + 8)."""
    step = gpsr["gpsr_step"]
    bound = 4 * g.n * g.n + 8 if bound is None else bound
    node, state, path, seen, perimeter = src, None, [src], set(), False
    for _ in range(bound):
        key = (node, json.dumps(state, sort_keys=True))
        if key in seen:
            raise RoutingLoop(f"(node, state) repeated at {node}: {state}; path {path}")
        seen.add(key)
        action, nxt, state = step(node, list(g.pos[node]), g.neighbor_positions(node),
                                  list(dest), radius, state)
        perimeter = perimeter or (state or {}).get("mode") == "perimeter"
        if action != "forward":
            assert action in ("arrive", "unreachable"), action
            assert nxt is None
            return Walk(action, path, perimeter)
        assert nxt in g.adj[node], f"{nxt} is not a neighbour of {node}"
        node = nxt
        path.append(node)
    raise RoutingLoop(f"no decision within {bound} steps; path {path}")


def nearest(g: Graph, nodes, dest) -> tuple[float, object]:
    """(squared distance, smallest id) of the node of ``nodes`` closest to
    ``dest``, co-located nodes counting as their smallest id."""
    best = None
    for u in nodes:
        x, y = g.pos[u]
        key = ((x - dest[0]) ** 2 + (y - dest[1]) ** 2, u)
        if best is None or key < best:
            best = key
    return best


class StubWorld:
    """Primitives for running ``geo_route`` in plain CPython: the SM is on
    ``node``; ``sys_migrate`` moves it along a link of ``graph`` (raising
    ``MigrationError`` while ``flaky[neighbour]`` failures remain, or always
    for a neighbour in ``dead``); each hop attempt costs ``hop_time`` seconds."""

    def __init__(self, g: Graph, node, hop_time: float = 0.01, ids=str):
        self.g = g
        self.ids = ids              # how node ids look to the SM
        self.node = node
        self.clock = 0.0
        self.hop_time = hop_time
        self.flaky: dict = {}
        self.dead: set = set()
        self.attempts: list = []

    def _id(self, raw):
        return self.ids(raw)

    def _raw(self, sm_id):
        for u in self.g.pos:
            if self.ids(u) == sm_id:
                return u
        raise MigrationError(f"unknown node {sm_id!r}")

    def primitives(self) -> dict:
        return {"sys_migrate": self.sys_migrate, "read_tag": self.read_tag,
                "node_id": self.node_id, "now": self.now, "log": lambda *a: None}

    def sys_migrate(self, target) -> None:
        self.clock += self.hop_time
        raw = self._raw(target)
        self.attempts.append(raw)
        if raw not in self.g.adj[self.node]:
            raise MigrationError(f"{target!r} is not a neighbour")
        if raw in self.dead:
            raise MigrationError(f"hop to {target!r} failed")
        if self.flaky.get(raw, 0) > 0:
            self.flaky[raw] -= 1
            raise MigrationError(f"hop to {target!r} failed")
        self.node = raw

    def read_tag(self, name):
        if name == "position":
            return list(self.g.pos[self.node])
        if name == "neighbor_positions":
            return {self._id(m): list(p) for m, p in self.g.neighbor_positions(self.node).items()}
        raise AssertionError(f"unexpected tag {name!r}")

    def node_id(self):
        return self._id(self.node)

    def now(self) -> float:
        return self.clock
