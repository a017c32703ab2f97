"""Radio models: who hears a frame, and when it arrives.

``Radio`` is the one interface the simulator talks to; ``UnitDiskRadio`` is the
first model. Better ones (log-distance path loss, collisions, ...) plug in
behind the same four calls: ``attach``, ``detach``, ``broadcast``, ``unicast``.
"""
from __future__ import annotations

import itertools
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ._errors import ModelError
from ._grid import TrackedGrid

__all__ = ["Radio", "RadioStats", "UnitDiskRadio"]

NodeId = Hashable
PositionFn = Callable[[float], tuple[float, float]]
NextChangeFn = Callable[[float], float]
_INF = float("inf")


class Radio(ABC):
    """A shared radio channel between attached nodes."""

    @abstractmethod
    def attach(self, node_id: NodeId, position_fn: PositionFn,
               next_change: NextChangeFn | None = None) -> None:
        """Add a node; ``position_fn(t) -> (x, y)`` is asked at query time.

        ``next_change(t)`` (optional) is the end of the straight-line piece the
        node moves on at ``t`` (``Mobility.next_change``); without it the node is
        taken as static until ``moved()`` is called.
        """

    @abstractmethod
    def detach(self, node_id: NodeId) -> None:
        """Remove a node (it failed or left)."""

    @abstractmethod
    def broadcast(self, src: NodeId, payload_len: int, now: float
                  ) -> list[tuple[NodeId, float]]:
        """Send a frame to everyone in range; return ``(dst, arrival_time)`` per delivery."""

    @abstractmethod
    def unicast(self, src: NodeId, dst: NodeId, payload_len: int, now: float) -> float | None:
        """Send a frame to ``dst``; return its arrival time, or None if it is lost."""

    def update(self, now: float) -> None:
        """Bring internal position indexes up to date at ``now`` (no-op by default)."""

    def moved(self, node_id: NodeId, now: float) -> None:
        """Say that ``node_id``'s path changed in a way the radio could not predict."""


@dataclass
class RadioStats:
    """Counters over a run: frames and bytes put on air, deliveries and drops."""

    frames: int = 0
    bytes: int = 0
    delivered: int = 0
    lost: int = 0          # in range, dropped by the loss probability
    unreachable: int = 0   # unicasts whose destination was out of range


class UnitDiskRadio(Radio):
    """Unit-disk radio with loss, bandwidth, per-frame delay and a shared medium.

    Reachability: ``dst`` hears ``src`` iff their distance at send time is
    ``<= range_m`` (the edge counts). Each in-range delivery is then dropped
    independently with probability ``loss`` (one ``rng.random()`` per receiver,
    in attach order; no draw when ``loss == 0``).

    Timing: a frame of ``n`` bytes is on air for ``n*8/bandwidth_bps`` seconds and
    arrives ``delay_s`` after it leaves the air (propagation plus processing; this
    delay does not occupy the medium). On an idle medium,
    ``arrival = now + delay_s + n*8/bandwidth_bps``. An infinite bandwidth makes
    every frame take exactly ``delay_s``, whatever its size.

    Shared medium (an approximation of carrier sense without collisions): every
    node keeps ``busy_until``, the time until which it hears the medium busy.
    A frame sent at ``now`` starts at ``max(now, busy_until[src])``: it queues
    behind the sender's own earlier frames and behind frames of nodes in range
    of the sender that are still on air or already queued. When it is placed,
    ``busy_until`` of the sender and of every node in its range (at send time)
    is raised to the frame's end. So a neighbourhood shares one channel's worth
    of bandwidth, frames are served in send order, and spatial reuse works:
    nodes out of each other's range transmit in parallel. Not modelled: hidden
    terminal collisions (two senders out of each other's range both reach a
    node in the middle and both frames are delivered), capture, backoff,
    retries and ACKs. Frames to an out-of-range or lost destination still take
    their air time, as a real sender cannot know.

    Neighbours are found through a uniform grid with cells at least the range
    (see ``sim._grid``), so a send costs O(nodes in the 3x3 cells around the
    sender). Sends should come in non-decreasing ``now``.
    """

    def __init__(self, range_m: float, loss: float = 0.0, bandwidth_bps: float = 2e6,
                 delay_s: float = 0.001, rng: random.Random | None = None) -> None:
        if not 0 <= range_m < _INF:
            raise ModelError(f"range_m must be finite and >= 0, got {range_m!r}")
        if not 0.0 <= loss <= 1.0:
            raise ModelError(f"loss must be in [0, 1], got {loss!r}")
        if not 0 < bandwidth_bps <= _INF:
            raise ModelError(f"bandwidth_bps must be > 0 (inf: frames take no air time), "
                             f"got {bandwidth_bps!r}")
        if not 0 <= delay_s < _INF:
            raise ModelError(f"delay_s must be finite and >= 0, got {delay_s!r}")
        if loss > 0 and rng is None:
            raise ModelError("a lossy radio needs rng (the simulation's sim.rng)")
        self.range_m = float(range_m)
        self.loss = float(loss)
        self.bandwidth_bps = float(bandwidth_bps)
        self.delay_s = float(delay_s)
        self.rng = rng
        self.stats = RadioStats()
        self._r2 = self.range_m * self.range_m
        self._grid = TrackedGrid(self.range_m)
        self._order: dict[NodeId, int] = {}
        self._ticket = itertools.count()
        self._busy: dict[NodeId, float] = {}
        self._now = 0.0

    # --- membership -----------------------------------------------------------

    def attach(self, node_id: NodeId, position_fn: PositionFn,
               next_change: NextChangeFn | None = None) -> None:
        self._grid.add(node_id, position_fn, next_change, self._now)
        self._order[node_id] = next(self._ticket)
        self._busy[node_id] = 0.0

    def detach(self, node_id: NodeId) -> None:
        if node_id not in self._order:
            raise ModelError(f"unknown node {node_id!r}")
        self._grid.remove(node_id)
        del self._order[node_id], self._busy[node_id]

    @property
    def nodes(self) -> list[NodeId]:
        """Attached nodes, in attach order."""
        return list(self._order)

    # --- positions ------------------------------------------------------------

    def update(self, now: float) -> None:
        self._now = now
        self._grid.update(now)

    def moved(self, node_id: NodeId, now: float) -> None:
        self._now = now
        self._grid.moved(node_id, now)

    def neighbors(self, node_id: NodeId, now: float) -> list[NodeId]:
        """Nodes within range of ``node_id`` at ``now``, in attach order."""
        if node_id not in self._order:
            raise ModelError(f"unknown node {node_id!r}")
        self.update(now)
        found = self._grid.within(node_id, now, self._r2)
        found.sort(key=self._order.__getitem__)
        return found

    # --- medium ---------------------------------------------------------------

    def airtime(self, payload_len: int) -> float:
        """Seconds a frame of ``payload_len`` bytes occupies the medium."""
        return payload_len * 8 / self.bandwidth_bps

    def busy_until(self, node_id: NodeId) -> float:
        """Time until which ``node_id`` hears the medium busy (frames on air or queued)."""
        return self._busy[node_id]

    def _transmit(self, src: NodeId, payload_len: int, now: float) -> tuple[list[NodeId], float]:
        """Place a frame on the medium; return the nodes in range and the arrival time."""
        if not payload_len >= 0:
            raise ModelError(f"payload_len must be >= 0, got {payload_len!r}")
        hearers = self.neighbors(src, now)
        busy = self._busy
        end = max(now, busy[src]) + payload_len * 8 / self.bandwidth_bps
        busy[src] = end
        for n in hearers:
            busy[n] = max(busy[n], end)
        self.stats.frames += 1
        self.stats.bytes += payload_len
        return hearers, end + self.delay_s

    def _survives(self) -> bool:
        if self.loss and self.rng.random() < self.loss:  # type: ignore[union-attr]
            self.stats.lost += 1
            return False
        self.stats.delivered += 1
        return True

    # --- sending --------------------------------------------------------------

    def broadcast(self, src: NodeId, payload_len: int, now: float
                  ) -> list[tuple[NodeId, float]]:
        hearers, arrival = self._transmit(src, payload_len, now)
        stats = self.stats
        if not self.loss:
            stats.delivered += len(hearers)
            return [(n, arrival) for n in hearers]
        draw, loss, out = self.rng.random, self.loss, []  # type: ignore[union-attr]
        for n in hearers:  # one draw per receiver, in attach order (as _survives)
            if draw() < loss:
                stats.lost += 1
            else:
                stats.delivered += 1
                out.append((n, arrival))
        return out

    def unicast(self, src: NodeId, dst: NodeId, payload_len: int, now: float) -> float | None:
        if dst not in self._order:
            raise ModelError(f"unknown node {dst!r}")
        hearers, arrival = self._transmit(src, payload_len, now)
        if dst not in hearers or dst == src:
            self.stats.unreachable += 1
            return None
        return arrival if self._survives() else None
