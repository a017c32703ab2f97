"""The models a run plugs in, built from what a scenario names or holds.

A scenario's ``mobility`` is a built-in model's name, a ``Mobility`` subclass
(built with ``cls.from_scenario(scenario, rng)``, as the built-ins are), a
``Mobility`` instance (copied afresh for every run, so runs do not share its
state), or a function ``fn(node, t) -> (x, y)`` (``SampledMobility``).
Its ``link`` is ``"unit_disk"``, a ``LinkModel`` or a function
``fn(a, b, t) -> loss``. Its ``extractors`` turn a finished run into named
numbers (see ``extract``).
"""
from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from ._errors import ModelError
from .links import FunctionLink, LinkModel, LinkRadio
from .mobility import ManhattanGrid, Mobility, RandomWaypoint, StaticPlacement
from .radio import Radio, UnitDiskRadio

__all__ = ["BUILTIN_MOBILITY", "SampledMobility", "build_mobility", "build_radio", "extract"]

Point = tuple[float, float]
PositionFn = Callable[[Any, float], Point]


def _fcd() -> type[Mobility]:
    from .traces import FcdTrace
    return FcdTrace


#: names a scenario's ``mobility`` may take -> the model class (FCD loaded lazily)
BUILTIN_MOBILITY: dict[str, Callable[[], type[Mobility]]] = {
    "static": lambda: StaticPlacement,
    "random_waypoint": lambda: RandomWaypoint,
    "manhattan": lambda: ManhattanGrid,
    "fcd": _fcd,
}


class SampledMobility(Mobility):
    """Nodes placed by a function ``fn(node, t) -> (x, y)``.

    The function is asked at multiples of ``step`` seconds and the node moves
    in a straight line between two samples. That is what the radio's spatial
    grid needs to predict exactly when a node changes cell, whatever the
    function does in between; a smaller ``step`` follows curves more closely.
    ``fn`` should depend on its arguments only (and data fixed when it was
    made), so the same scenario and seed give the same run.
    """

    def __init__(self, fn: PositionFn, nodes: Iterable[Hashable] | int, step: float = 1.0
                 ) -> None:
        if not callable(fn):
            raise ModelError(f"a mobility function must be callable, got {fn!r}")
        if not 0 < step < math.inf:
            raise ModelError(f"step must be a positive number of seconds, got {step!r}")
        self.fn, self.step = fn, float(step)
        self._nodes = list(range(nodes) if isinstance(nodes, int) else nodes)
        self._known = set(self._nodes)
        self._last: dict[Hashable, tuple[int, Point, Point]] = {}  # node -> k, p(k), p(k+1)

    @property
    def nodes(self) -> list[Hashable]:
        return list(self._nodes)

    def _sample(self, node: Hashable, k: int) -> Point:
        x, y = self.fn(node, k * self.step)
        x, y = float(x), float(y)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ModelError(f"mobility function gave ({x!r}, {y!r}) for node {node!r}")
        return x, y

    def _piece(self, node: Hashable, t: float) -> int:
        if node not in self._known:
            raise ModelError(f"unknown node {node!r}")
        if not 0.0 <= t < math.inf:
            raise ModelError(f"time must be finite and >= 0, got {t!r}")
        k = int(t // self.step)
        while (k + 1) * self.step <= t:  # rounding of t // step
            k += 1
        while k > 0 and k * self.step > t:
            k -= 1
        return k

    def position(self, node: Hashable, t: float) -> Point:
        k = self._piece(node, t)
        last = self._last.get(node)
        if last is None or last[0] != k:
            start = last[2] if last is not None and last[0] == k - 1 else self._sample(node, k)
            last = self._last[node] = (k, start, self._sample(node, k + 1))
        _, (x0, y0), (x1, y1) = last
        f = (t - k * self.step) / self.step
        return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f

    def next_change(self, node: Hashable, t: float) -> float:
        return (self._piece(node, t) + 1) * self.step


def build_mobility(scenario, rng: random.Random) -> Mobility:
    """The mobility model a run of ``scenario`` uses (see the module docstring)."""
    model = scenario.mobility
    if isinstance(model, str):
        return BUILTIN_MOBILITY[model]().from_scenario(scenario, rng)
    if isinstance(model, type) and issubclass(model, Mobility):
        built = model.from_scenario(scenario, rng)
    elif isinstance(model, Mobility):
        built = copy.deepcopy(model)
    else:
        return SampledMobility(model, scenario.count)
    missing = set(range(scenario.count)) - set(built.nodes)
    if missing:
        raise ModelError(f"the mobility model does not place node {min(missing)}")
    return built


def build_radio(scenario, rng: random.Random) -> Radio:
    """The radio of a run: the unit disk's fast path, or any link model."""
    link = scenario.link
    if isinstance(link, str):  # "unit_disk", the only built-in name
        return UnitDiskRadio(scenario.radio_range, loss=scenario.loss,
                             bandwidth_bps=scenario.bandwidth, delay_s=scenario.delay, rng=rng)
    if not isinstance(link, LinkModel):
        link = FunctionLink(link, scenario.radio_range)
    return LinkRadio(link, bandwidth_bps=scenario.bandwidth, delay_s=scenario.delay, rng=rng)


def extract(extractors: Mapping[str, Callable] | Iterable[Callable], result) -> dict[str, float]:
    """Run metric extractors on a finished run: named numbers, sorted by name.

    ``extractors`` maps a name to ``fn(result) -> number``, or is a list of
    ``fn(result) -> {name: number}``. Numbers must be int, float or bool (a
    metric that has no value for a run is ``nan``).
    """
    out: dict[str, float] = {}
    if isinstance(extractors, Mapping):
        pairs = [(name, fn(result)) for name, fn in extractors.items()]
    else:
        pairs = []
        for fn in extractors:
            named = fn(result)
            if not isinstance(named, Mapping):
                raise ModelError(f"metric extractor {_name(fn)} must return a dict of "
                                 f"name -> number, got {type(named).__name__}")
            pairs.extend(named.items())
    for name, value in pairs:
        if type(name) is not str or not name:
            raise ModelError(f"a metric name must be a non-empty string, got {name!r}")
        if type(value) not in (int, float, bool):
            raise ModelError(f"metric {name!r} must be a number, got {type(value).__name__}")
        out[name] = value if type(value) is float else int(value)
    return dict(sorted(out.items()))


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
