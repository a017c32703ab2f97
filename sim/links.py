"""Link models: how well a frame gets from one position to another at a time.

A link model answers ``loss(a, b, t)``: the probability that a frame sent at
virtual time ``t`` from position ``a`` is lost on its way to position ``b``.
``0`` is a perfect link, ``1`` no link at all (the receiver does not hear the
frame and its medium is not busied by it). ``reach`` bounds the distance at
which any link exists, which is what lets the radio look for receivers in a
spatial grid instead of trying every node.

``UnitDisk`` is the classic model (a fixed loss within a range, nothing
beyond); ``UnitDiskRadio`` is its fast path. ``LinkRadio`` runs any model,
including a plain function ``(a, b, t) -> loss`` (``FunctionLink``), with the
same medium, timing and counters as ``UnitDiskRadio``.
"""
from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable

from ._errors import ModelError
from .radio import NextChangeFn, NodeId, PositionFn, UnitDiskRadio

__all__ = ["FunctionLink", "LinkModel", "LinkRadio", "UnitDisk"]

Point = tuple[float, float]
LossFn = Callable[[Point, Point, float], float]


class LinkModel(ABC):
    """Loss probability of a frame between two positions at a time."""

    #: no link exists between positions farther apart than this (metres)
    reach: float

    @abstractmethod
    def loss(self, a: Point, b: Point, t: float) -> float:
        """Probability in [0, 1] that a frame from ``a`` to ``b`` sent at ``t`` is lost."""


class UnitDisk(LinkModel):
    """Every link within ``range_m`` loses frames with probability ``loss``; none beyond."""

    def __init__(self, range_m: float, loss: float = 0.0) -> None:
        if not 0 <= range_m < math.inf:
            raise ModelError(f"range_m must be finite and >= 0, got {range_m!r}")
        if not 0.0 <= loss <= 1.0:
            raise ModelError(f"loss must be in [0, 1], got {loss!r}")
        self.reach = float(range_m)
        self.loss_p = float(loss)
        self._r2 = self.reach * self.reach

    def loss(self, a: Point, b: Point, t: float) -> float:
        dx, dy = a[0] - b[0], a[1] - b[1]
        return self.loss_p if dx * dx + dy * dy <= self._r2 else 1.0


class FunctionLink(LinkModel):
    """A link model from a function ``fn(a, b, t) -> loss``, links no longer than ``reach``."""

    def __init__(self, fn: LossFn, reach: float) -> None:
        if not callable(fn):
            raise ModelError(f"a link function must be callable, got {fn!r}")
        if not 0 <= reach < math.inf:
            raise ModelError(f"reach must be finite and >= 0, got {reach!r}")
        self.fn = fn
        self.reach = float(reach)

    def loss(self, a: Point, b: Point, t: float) -> float:
        return self.fn(a, b, t)


class LinkRadio(UnitDiskRadio):
    """The shared-medium radio of ``UnitDiskRadio`` with receivers and losses from a link model.

    Receivers of a frame are the nodes within ``model.reach`` whose link loss is
    below 1; each of them loses it with that probability (one ``rng.random()``
    per receiver with a loss above 0, in attach order). With ``UnitDisk`` this
    is exactly ``UnitDiskRadio``, draw for draw.
    """

    def __init__(self, model: LinkModel, bandwidth_bps: float = 2e6, delay_s: float = 0.001,
                 rng: random.Random | None = None) -> None:
        if rng is None:
            raise ModelError("a link-model radio needs rng (the simulation's sim.rng)")
        super().__init__(model.reach, loss=0.0, bandwidth_bps=bandwidth_bps, delay_s=delay_s,
                         rng=rng)
        self.model = model
        self._where: dict[NodeId, PositionFn] = {}
        self._losses: dict[NodeId, float] = {}   # the last frame's receivers -> loss

    def attach(self, node_id: NodeId, position_fn: PositionFn,
               next_change: NextChangeFn | None = None) -> None:
        super().attach(node_id, position_fn, next_change)
        self._where[node_id] = position_fn

    def detach(self, node_id: NodeId) -> None:
        super().detach(node_id)
        del self._where[node_id]

    def neighbors(self, node_id: NodeId, now: float) -> list[NodeId]:
        """Nodes with a link from ``node_id`` at ``now`` (loss below 1), in attach order."""
        here = self._where.get(node_id)
        candidates = super().neighbors(node_id, now)
        if here is None:
            return candidates
        a, where, loss = here(now), self._where, self.model.loss
        self._losses = {}
        for n in candidates:
            p = float(loss(a, where[n](now), now))
            if not 0.0 <= p <= 1.0:
                raise ModelError(f"link loss must be in [0, 1], got {p!r} from {self.model!r}")
            if p < 1.0:
                self._losses[n] = p
        return list(self._losses)

    def broadcast(self, src: NodeId, payload_len: int, now: float
                  ) -> list[tuple[NodeId, float]]:
        hearers, arrival = self._transmit(src, payload_len, now)
        losses, draw, stats, out = self._losses, self.rng.random, self.stats, []
        for n in hearers:
            p = losses[n]
            if p and draw() < p:  # type: ignore[union-attr]
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
        p = self._losses[dst]
        if p and self.rng.random() < p:  # type: ignore[union-attr]
            self.stats.lost += 1
            return None
        self.stats.delivered += 1
        return arrival
