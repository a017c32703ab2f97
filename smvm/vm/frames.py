"""What a migrating SM's stack becomes: captured frames and the capture itself.

``Capture`` unwinds the SM, each compiled function pushing its frame on the
way up; on the next node each ``Frame`` steers its function back to the
call it stopped at, and ``PrimitiveResume`` gives the migration primitive
its answer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .runtime import Runtime


class _End:
    """Marks the end of a resumable loop's iterator (travels by name)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<end of iteration>"


END = _End()


class Frame:
    """One captured activation: function id, resume point, live locals."""

    __slots__ = ("fid", "point", "locals", "child")

    def __init__(self, fid: str, point: int, locals_: dict, child: "Frame | PrimitiveResume | None" = None):
        self.fid = fid
        self.point = point
        self.locals = locals_
        self.child = child


class PrimitiveResume:
    """What the migration primitive returns (or raises) once the SM resumes."""

    __slots__ = ("primitive", "value", "error")

    def __init__(self, primitive: Callable, value: object = None, error: BaseException | None = None):
        self.primitive = primitive
        self.value = value
        self.error = error


class Capture(BaseException):
    """Unwinds a migrating SM, collecting each frame on the way up.

    Guest ``except`` clauses never catch it (it is not an ``Exception``), and
    ``finally`` blocks stay quiet while it passes (``Runtime.unwinding``).
    """

    def __init__(self, runtime: "Runtime", primitive: Callable, request: dict):
        super().__init__(request.get("kind", "capture"))
        self.runtime = runtime
        self.request = request
        self.frames: list[tuple[str, int, dict]] = []  # innermost first
        self.expect: object = primitive
        self.broken = False

    def push(self, fid: str, point: int, frame_locals: dict, callee: object) -> None:
        if not self.broken and not self._called(callee):
            # Something between this frame and the last one was builtin C code
            # (a key= function, map(), ...): that stack cannot be captured.
            self.broken = True
        # Only the function's own variables: hidden steering names stay, and
        # free variables come back with the closure the caller holds.
        own = self.runtime.functions[fid].local_names
        locs = frame_locals.copy()  # in the frame's order: deterministic
        for name in frame_locals.keys() - own:
            del locs[name]
        self.frames.append((fid, point, locs))
        self.expect = fid

    def _called(self, callee: object) -> bool:
        if not isinstance(self.expect, str):
            return callee is self.expect
        code = getattr(callee, "__code__", None)
        return code is not None and self.runtime.fid_of_code.get(id(code)) == self.expect
