"""Mock drivers for tests and the simulator: a sensor and an actuator."""
from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable

from ._errors import BadTagArgument, IOTagUnavailable, TagUsageError
from ._iotags import IOTag
from ._values import measure_copy

_NO_LIMIT = 1 << 62


def diurnal(mean: float = 20.0, amplitude: float = 5.0, period: float = 86400.0,
            phase: float = 0.0) -> Callable[[float], float]:
    """A deterministic temperature curve: ``mean + amplitude*sin(2*pi*(t+phase)/period)``."""
    def temperature(now: float) -> float:
        return round(mean + amplitude * math.sin(2 * math.pi * (now + phase) / period), 3)
    return temperature


class MockSensor(IOTag):
    """A sensor whose reading is a function of time or a scripted series.

    ``function(now)`` gives the value; or ``script`` is a sequence of
    ``(time, value)``: the reading is the last scripted value at or before
    ``now``, unavailable before the first. ``reads`` counts reads.
    """

    def __init__(self, function: Callable[[float], object] | None = None,
                 script: Iterable[tuple[float, object]] | None = None):
        if (function is None) == (script is None):
            raise TagUsageError("MockSensor needs exactly one of function= or script=")
        self._function = function
        points = sorted(script or (), key=lambda p: p[0])
        self._times = [float(t) for t, _ in points]
        self._values = [measure_copy(v, _NO_LIMIT)[0] for _, v in points]
        self.reads = 0

    def available(self, now: float) -> bool:
        return self._function is not None or (bool(self._times) and self._times[0] <= now)

    def read(self, now: float) -> object:
        self.reads += 1
        if self._function is not None:
            return self._function(now)
        i = bisect.bisect_right(self._times, now)
        if i == 0:
            raise IOTagUnavailable(f"no reading before t={self._times[0] if self._times else '∞'}")
        return self._values[i - 1]


class MockActuator(IOTag):
    """An actuator (e.g. a sprinkler valve) that records what SMs write.

    ``writes`` holds ``(now, value)`` for every accepted write; ``read``
    returns the last value written (``initial`` before any). ``accept`` is an
    optional predicate; a refused value raises ``BadTagArgument``.
    """

    writable = True

    def __init__(self, initial: object = None, accept: Callable[[object], bool] | None = None):
        self.value = measure_copy(initial, _NO_LIMIT)[0]
        self.accept = accept
        self.writes: list[tuple[float, object]] = []

    def read(self, now: float) -> object:
        return self.value

    def write(self, value: object, now: float) -> None:
        if self.accept is not None and not self.accept(value):
            raise BadTagArgument(f"actuator refuses value {value!r}")
        self.value = value
        self.writes.append((now, value))
