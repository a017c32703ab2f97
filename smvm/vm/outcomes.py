"""How a run of an SM ends (``Outcome``), and the record of why it failed.

Also ``NodeHost``: what the VM needs from the node an SM runs on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .. import guest_text
from ..errors import ContinuationError, SMTerminated, SMVMError, StateDecodeError
from ..guestclasses import is_guest_class
from ..limits import MAX_ERROR_CHARS, safe_repr, truncate
from ..values import GUEST_EXCEPTIONS
from .defaults import MAX_GUEST_DEPTH

if TYPE_CHECKING:
    from .instance import SMInstance

_GUEST_EXCEPTION_TYPES = tuple(GUEST_EXCEPTIONS.values())


class NodeHost(Protocol):
    """What the VM needs from the node an SM runs on."""

    node_id: Any

    def neighbors(self) -> list: ...

    def now(self) -> float: ...

    tagspace: Any  # tagspace.TagSpace

    def wake(self, woken: tuple) -> None: ...

    def spawn(self, parent: "SMInstance", entry: str, args: bytes) -> str: ...

    def create_sm(self, parent: "SMInstance", brick: str, entry: str, args: bytes) -> str: ...

    def log(self, sm_id: str, text: str) -> None: ...


@dataclass(frozen=True)
class ErrorRecord:
    """Why an SM ended without a result."""

    type: str
    message: str
    line: int | None = None

    def to_json(self) -> dict:
        return {"type": self.type, "message": self.message, "line": self.line}


#: An SM's process had less room than its memory budget still owed it (other
#: SMs paused there hold the rest), in a slice or while its result or state
#: was encoded: not its own fault, so its driver may run it again.
CROWDED = ErrorRecord("MemoryCrowded", "the process had no room left for the SM's memory budget")


@dataclass(frozen=True)
class Finished:
    value: object
    fuel: int


@dataclass(frozen=True)
class Failed:
    error: ErrorRecord
    fuel: int


@dataclass(frozen=True)
class Suspended:
    """The SM stopped at a suspension point; ``state`` resumes it elsewhere
    (``request["kind"]`` is "migrate" with a "target", or "block" with a
    "tag" and a "timeout")."""

    request: dict
    state: bytes
    fuel: int

    @property
    def target(self) -> object:
        return self.request.get("target")


@dataclass(frozen=True)
class Paused:
    """The SM spent its fuel slice and waits, alive in this process, for its
    next one: ``handle.proceed()`` runs it (``handle`` is the SMInstance, or
    what a driver that runs SMs elsewhere uses to reach it)."""

    fuel: int
    handle: Any


Migrate = Suspended  # the common case's name
Outcome = Finished | Failed | Suspended | Paused


def error_record(exc: BaseException, brick_name: str, memory_mb: float | None) -> ErrorRecord:
    """The record of an exception that ended an SM, its message bounded."""
    record = _describe(exc, brick_name, memory_mb)
    if len(record.message) > MAX_ERROR_CHARS:
        record = ErrorRecord(record.type, truncate(record.message, MAX_ERROR_CHARS), record.line)
    return record


def _describe(exc: BaseException, brick_name: str, memory_mb: float | None) -> ErrorRecord:
    line = _guest_line(exc, brick_name)
    exc.__traceback__ = None  # free what the guest allocated
    if isinstance(exc, SMTerminated):
        return ErrorRecord(exc.kind, str(exc), line)
    if isinstance(exc, MemoryError):
        budget = f"memory budget of {memory_mb:g} MB" if memory_mb else "memory"
        return ErrorRecord("MemoryExhausted", f"{budget} exhausted", line)
    if isinstance(exc, RecursionError):
        return ErrorRecord("RecursionLimit", f"recursion deeper than {MAX_GUEST_DEPTH} calls", line)
    if isinstance(exc, (ContinuationError, StateDecodeError)):
        return ErrorRecord(type(exc).__name__, str(exc), line)
    if isinstance(exc, SMVMError):
        return ErrorRecord("VMBug", f"{type(exc).__name__}: {_message(exc)}", line)
    if isinstance(exc, _GUEST_EXCEPTION_TYPES) or type(exc) in (SystemExit, KeyboardInterrupt, GeneratorExit):
        return ErrorRecord(type(exc).__name__, _message(exc), line)
    return ErrorRecord("VMBug", f"{type(exc).__name__}: {_message(exc)}", line)


def _guest_line(exc: BaseException, brick_name: str) -> int | None:
    line = getattr(exc, "_smvm_line", None)
    if type(line) is int:
        return line  # raised on an earlier node, carried here
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == brick_name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _message(exc: BaseException) -> str:
    """The text of a guest exception, which may be huge or fail to convert
    (an int past Python's digit limit): bounded, and never raising. Never a
    guest __str__/__repr__: the SM has ended, host code writes this."""
    try:
        if isinstance(exc, KeyError) and len(exc.args) == 1:
            return safe_repr(exc.args[0], MAX_ERROR_CHARS)
        if is_guest_class(type(exc)) or any(is_guest_class(type(a)) for a in exc.args):
            return truncate(", ".join(safe_repr(a, MAX_ERROR_CHARS) if type(a) is not str else a
                                      for a in exc.args), MAX_ERROR_CHARS)
        if len(exc.args) == 1 and type(exc.args[0]) is str:
            return truncate(exc.args[0], MAX_ERROR_CHARS)
        return truncate(guest_text.scrub(str(exc)), MAX_ERROR_CHARS)
    except (ValueError, RecursionError, MemoryError, OverflowError, TypeError) as err:
        return f"<message that cannot be shown: {type(err).__name__}>"
