"""Uniform spatial grid over moving nodes, kept correct by predicted cell exits.

Cells are squares of side ``cell`` (at least the radio range), so every node in
range of a point lies in the 3x3 block of cells around that point's cell: a
neighbour query costs O(nodes in 9 cells), not O(nodes).

Keeping it correct while nodes move: a node attached with a ``next_change``
function (see ``sim.mobility``) moves in a straight line at constant speed until
``next_change(t)``. From its position now and at that time, the grid computes
the first time it can leave its cell (widened by a tiny margin against rounding)
and keeps ``(exit_time, node)`` in a heap. ``update(now)`` re-buckets only the
nodes whose exit time has come, so the cost follows cell crossings and path
changes, not the node count. Nodes without ``next_change`` are static until
``moved(node, now)`` says otherwise. Queries should come in non-decreasing time;
an earlier time triggers a full rebuild.

Why the margin is safe: with ``cell >= range + 2*margin``, a node whose true
position is within ``margin`` of its recorded cell and within ``range`` of the
query point (whose cell is computed exactly at query time) is still found in the
3x3 block. The margin is ``1e-6`` cell, far above float rounding for coordinates
within ~1e9 ranges of the origin.
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Hashable

from ._errors import ModelError

NodeId = Hashable
PositionFn = Callable[[float], tuple[float, float]]
NextChangeFn = Callable[[float], float]
Cell = tuple[int, int]
_INF = float("inf")


class TrackedGrid:
    """Bucket nodes by cell; re-bucket them when their predicted exit time passes."""

    def __init__(self, range_m: float) -> None:
        # cell >= range + 2*margin (see the module docstring); 1 mm at least, so that
        # degenerate ranges do not make x/cell overflow.
        self.cell = max(range_m * (1.0 + 1e-5), 1e-3)
        self.margin = self.cell * 1e-6
        self._cells: dict[Cell, dict[NodeId, None]] = {}
        self._where: dict[NodeId, Cell] = {}
        self._pos_fn: dict[NodeId, PositionFn] = {}
        self._next_fn: dict[NodeId, NextChangeFn | None] = {}
        self._token: dict[NodeId, int] = {}
        self._exits: list[tuple[float, int, NodeId, int]] = []
        self._seq = itertools.count()
        self._time = -_INF
        # positions asked at one instant (every node beacons at the same
        # times): computed once per instant, not once per query; positions are
        # functions of time, and ``moved`` forgets a node's
        self._seen_at = -_INF
        self._seen: dict[NodeId, tuple[float, float]] = {}
        self.rebuckets = 0  # how many times a node's cell was recomputed (for tests)

    def __contains__(self, node: NodeId) -> bool:
        return node in self._where

    def add(self, node: NodeId, pos_fn: PositionFn, next_fn: NextChangeFn | None,
            now: float) -> None:
        if node in self._where:
            raise ModelError(f"node {node!r} is already attached")
        self._pos_fn[node] = pos_fn
        self._next_fn[node] = next_fn
        self._token[node] = 0
        self._seen.pop(node, None)
        self._place(node, now)

    def remove(self, node: NodeId) -> None:
        cell = self._where.pop(node)
        bucket = self._cells[cell]
        del bucket[node]
        if not bucket:
            del self._cells[cell]
        del self._pos_fn[node], self._next_fn[node], self._token[node]
        self._seen.pop(node, None)

    def _place(self, node: NodeId, now: float) -> None:
        """Recompute ``node``'s cell at ``now`` and its next exit time."""
        self.rebuckets += 1
        x, y = self._pos_fn[node](now)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ModelError(f"node {node!r} is at a non-finite position {(x, y)!r}")
        s = self.cell
        cx, cy = math.floor(x / s), math.floor(y / s)
        old = self._where.get(node)
        if old != (cx, cy):
            if old is not None:
                bucket = self._cells[old]
                del bucket[node]
                if not bucket:
                    del self._cells[old]
            self._cells.setdefault((cx, cy), {})[node] = None
            self._where[node] = (cx, cy)
        token = self._token[node] = self._token[node] + 1
        next_fn = self._next_fn[node]
        if next_fn is None:
            return
        te = next_fn(now)
        if not te > now:
            raise ModelError(f"next_change({now!r}) of node {node!r} returned {te!r}, not later")
        if te == _INF:
            return
        xe, ye = self._pos_fn[node](te)
        dt = te - now
        m = self.margin
        exit_t = te
        for p, pe, c in ((x, xe, cx), (y, ye, cy)):
            v = (pe - p) / dt
            if v > 0.0:
                exit_t = min(exit_t, now + ((c + 1) * s + m - p) / v)
            elif v < 0.0:
                exit_t = min(exit_t, now + (c * s - m - p) / v)
        if not exit_t > now:  # rounding with extreme speeds: look again just after now
            exit_t = math.nextafter(now, _INF)
        heapq.heappush(self._exits, (exit_t, next(self._seq), node, token))

    def moved(self, node: NodeId, now: float) -> None:
        """The node's path changed in a way its ``next_change`` did not predict."""
        if node not in self._where:
            raise ModelError(f"unknown node {node!r}")
        self._seen.pop(node, None)
        self.update(now)
        self._place(node, now)

    def update(self, now: float) -> None:
        """Bring every node's cell up to date at ``now``."""
        if now < self._time:
            self._time = now
            self._exits.clear()
            for node in list(self._where):
                self._place(node, now)
            return
        self._time = now
        exits = self._exits
        token = self._token
        while exits and exits[0][0] <= now:
            _, _, node, tok = heapq.heappop(exits)
            if token.get(node) == tok:
                self._place(node, now)

    def within(self, node: NodeId, now: float, r2: float) -> list[NodeId]:
        """Nodes other than ``node`` at squared distance ``<= r2`` from it at
        ``now`` (``r2`` at most the cell side squared), in no particular order."""
        if now != self._seen_at:
            self._seen_at = now
            self._seen = {}
        seen = self._seen
        pos_fn = self._pos_fn
        p = seen.get(node)
        if p is None:
            p = seen[node] = pos_fn[node](now)
        x, y = p
        s = self.cell
        cx, cy = math.floor(x / s), math.floor(y / s)
        cells = self._cells
        found = []
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                bucket = cells.get((i, j))
                if bucket:
                    for n in bucket:
                        if n != node:
                            q = seen.get(n)
                            if q is None:
                                q = seen[n] = pos_fn[n](now)
                            dx = q[0] - x
                            dy = q[1] - y
                            if dx * dx + dy * dy <= r2:
                                found.append(n)
        return found
