"""Error types of the smart-message VM.

Three families, kept apart on purpose:

* ``SMVMError`` subclasses raised to *host* code: local misuse (``UsageError``),
  bricks that do not compile (``CompileError``), bad input from the network
  (``RemoteInputError`` and its children) and bugs of the VM itself (``VMBug``).
* Guest-visible exceptions (``MigrationError``, the tag errors): ordinary
  ``Exception`` subclasses that SM code can raise and catch.
* ``SMTerminated`` and its children: raised inside guest code to end the SM
  (budget exhausted, sandbox violation). They derive from ``BaseException`` and
  the compiler keeps guest ``except`` clauses from catching them.
"""
from __future__ import annotations

from dataclasses import dataclass


class SMVMError(Exception):
    """Root of every error the VM raises to host code."""


class UsageError(SMVMError):
    """The host used an API or command wrongly."""


@dataclass(frozen=True)
class SourceError:
    """One problem found in a brick's source."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


class CompileError(SMVMError):
    """A brick is not valid SM code; ``errors`` lists every problem found."""

    def __init__(self, errors: list[SourceError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __reduce__(self):  # rebuilt from its errors (a sweep's worker sends it back)
        return type(self), (self.errors,)


class RemoteInputError(SMVMError):
    """Data received from another node is malformed or inconsistent."""


class StateDecodeError(RemoteInputError):
    """Serialized SM state could not be decoded within the limits."""


class ContinuationError(RemoteInputError):
    """A decoded continuation does not fit the brick it claims to resume."""


class StateEncodeError(SMVMError):
    """A value held by the SM cannot be carried to another node."""


class VMBug(SMVMError):
    """An internal invariant of the VM was broken (never the guest's fault)."""


# --- guest-visible exceptions -------------------------------------------------

class MigrationError(Exception):
    """A migration could not be carried out (bad neighbour, hop failed...)."""


class MigrationTimeout(MigrationError):
    """``migrate()`` spent its time budget before reaching the target; the SM
    is on some node with all its state and decides what to do next."""


class RouteUnreachable(MigrationError):
    """Routing proved the target cannot be reached from here (for example GPSR
    went round a whole face without getting closer)."""


class TagError(Exception):
    """Base of the tag-space errors seen by SM code."""


class TagAccessError(TagError):
    """The SM's protection domain lacks the right for this operation."""


class TagNotFound(TagError):
    """No tag of that name exists (or it has expired)."""


class TagTimeout(TagError):
    """``block_tag`` gave up waiting."""


class TagQuotaError(TagError):
    """Creating or growing a tag would exceed a tag-space memory quota."""


class TagExists(TagError):
    """``create_tag`` of a name that is already live on this node."""


class SpatialError(Exception):
    """Base of the spatial-programming errors (the ``spatial.sp`` brick raises
    them; they live here because guest exceptions are the VM's fixed table)."""


class SpatialTimeout(SpatialError):
    """A spatial access found no unmapped node, or did not reach the mapped
    one, within its timeout."""


class OutOfSpace(SpatialError):
    """The node a spatial reference maps to is no longer inside the space of
    the access."""


# --- ending an SM from inside guest code ---------------------------------------

class SMTerminated(BaseException):
    """Ends the running SM; guest ``except`` clauses never see it."""

    kind = "Terminated"


class FuelExhausted(SMTerminated):
    kind = "FuelExhausted"


class CPUTimeExhausted(SMTerminated):
    kind = "CPUTimeExhausted"


class MemoryExhausted(SMTerminated):
    kind = "MemoryExhausted"


class RecursionLimit(SMTerminated):
    kind = "RecursionLimit"


class SandboxViolation(SMTerminated):
    kind = "SandboxViolation"
