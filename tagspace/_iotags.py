"""I/O tag providers: values the node maintains instead of storing them.

A provider is any object with ``read(now) -> value``; optionally
``writable = True`` and ``write(value, now)`` (an actuator), and
``available(now) -> bool`` (False while it has no value; ``read`` then raises
``IOTagUnavailable``), and ``read_for(principal, now)``, which the tag space
calls instead of ``read`` when an SM reads (a value that depends on who asks). ``IOTag`` is a convenient base class. Providers return
plain data; the tag space copies it before handing it to an SM.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import IOTagUnavailable, ReadOnlyTag
from ._values import measure_copy

if TYPE_CHECKING:
    from ._space import TagSpace

_NO_LIMIT = 1 << 62


class IOTag:
    """Base class of I/O tag providers (read-only unless ``writable``)."""

    writable: bool = False

    def read(self, now: float) -> object:
        """The current value; raise ``IOTagUnavailable`` if there is none."""
        raise NotImplementedError

    def write(self, value: object, now: float) -> None:
        """Accept a value from an SM (only if ``writable``)."""
        raise ReadOnlyTag(f"{type(self).__name__} accepts no writes")

    def available(self, now: float) -> bool:
        """Whether ``read(now)`` would return a value."""
        return True


class StaticValue(IOTag):
    """A value the node sets (node id, static location, neighbour list)."""

    def __init__(self, value: object):
        self.set(value)

    def set(self, value: object) -> None:
        """Replace the value (validated as plain data; copied)."""
        self._value, _ = measure_copy(value, _NO_LIMIT)

    def read(self, now: float) -> object:
        return self._value


class Clock(IOTag):
    """The ``time`` tag: the node's current (real or virtual) time."""

    def read(self, now: float) -> object:
        return now


class NodeStatus(IOTag):
    """The ``status`` tag: ready-queue length, load and free tag memory.

    The node core updates ``queue_length`` and ``load``; tag memory is read
    from the tag space itself.
    """

    def __init__(self, space: TagSpace, queue_length: int = 0, load: float = 0.0):
        self._space = space
        self.queue_length = queue_length
        self.load = load

    def update(self, *, queue_length: int | None = None, load: float | None = None) -> None:
        if queue_length is not None:
            self.queue_length = int(queue_length)
        if load is not None:
            self.load = float(load)

    def read(self, now: float) -> object:
        space = self._space
        return {
            "queue_length": self.queue_length,
            "load": self.load,
            "tag_memory_used": space.used_bytes,
            "tag_memory_free": space.free_bytes,
            "tags": space.stored_count,
        }


class Unavailable(IOTag):
    """A registered I/O tag with no value yet (e.g. ``location`` before any fix)."""

    def __init__(self, reason: str = "no value yet"):
        self.reason = reason

    def read(self, now: float) -> object:
        raise IOTagUnavailable(self.reason)

    def available(self, now: float) -> bool:
        return False
