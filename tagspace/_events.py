"""Events the tag space produces, as frozen dataclasses.

``Woken`` and ``TimedOut`` are returned to the caller (the node core resumes
or fails the blocked SM). All events are also passed to observers registered
with ``TagSpace.add_observer`` -- metrics, logs, the simulator's exports.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True, slots=True)
class TagCreated:
    name: str
    owner: str
    time: float
    size: int


@dataclass(frozen=True, slots=True)
class TagWritten:
    """A stored tag was written, or an SM wrote a writable I/O tag (``io``)."""

    name: str
    by: str
    time: float
    io: bool = False


@dataclass(frozen=True, slots=True)
class IOTagUpdated:
    """The node reported a new value of an I/O tag (``TagSpace.io_updated``)."""

    name: str
    time: float


@dataclass(frozen=True, slots=True)
class TagDeleted:
    name: str
    by: str
    time: float


@dataclass(frozen=True, slots=True)
class TagExpired:
    """A tag reached its expiry (``expired_at``) and was removed at ``time``."""

    name: str
    owner: str
    expired_at: float
    time: float


@dataclass(frozen=True, slots=True)
class Woken:
    """An SM waiting on ``name`` can resume; ``cause`` is "created", "written" or "io"."""

    token: Hashable
    name: str
    sm_id: str
    time: float
    cause: str


@dataclass(frozen=True, slots=True)
class TimedOut:
    """An SM's wait on ``name`` passed its deadline."""

    token: Hashable
    name: str
    sm_id: str
    deadline: float


Event = Union[TagCreated, TagWritten, IOTagUpdated, TagDeleted, TagExpired, Woken, TimedOut]
