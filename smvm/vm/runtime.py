"""The per-SM runtime object (``_R`` in compiled code): fuel and the
capture/resume protocol.

Compiled bricks call into it for everything the sandbox or the capture/resume
protocol needs: fuel top-ups, capture records, resume steps, and (inherited
from ``Guards``) the guarded forms of operations that could otherwise run
away in C code.
"""
from __future__ import annotations

import itertools
import operator
import sys
from typing import Any, Callable

from ..compiler.abi import POINT_COLUMN
from ..errors import FuelExhausted, MigrationError, SandboxViolation, VMBug
from .frames import Frame, PrimitiveResume
from .guards import Guards

#: Fuel units granted per slice; the slow path runs once per slice.
FUEL_SLICE = 10_000
#: What a grant adds to a store (a list copies a list faster than it walks
#: ``itertools.repeat``).
_NONES: list[None] = [None] * FUEL_SLICE


class _Running:
    """The runtime of the SM whose code runs now (None between SMs): host
    code that guest code calls (the standard modules) charges its work here."""

    __slots__ = ("rt",)

    def __init__(self) -> None:
        self.rt: "Runtime | None" = None


RUNNING = _Running()


class Runtime(Guards):
    """State shared between an SM's compiled code and the VM."""

    def __init__(self, fuel_limit: int, fid_of_code: dict[int, str], functions: dict):
        self.fuel_limit = fuel_limit
        self.fuel_granted = 0
        self.fuel_list: list[None] = []
        #: the second store of granted fuel: ``while`` loops take one unit per
        #: test from ``loop_fuel`` (C code: ``itertools.chain`` walking the
        #: list ``loop_list`` chunk by chunk, ``_loop_grant`` refilling it)
        self.loop_list: list[None] = []
        self._loop_units: Any = iter(self.loop_list)
        self.loop_fuel = itertools.chain.from_iterable(iter(self._loop_grant, None))
        self.unwinding = False
        self.fid_of_code = fid_of_code
        self.functions = functions
        #: the scheduler's slice: once ``fuel_granted`` reaches ``slice_end``
        #: the next top-up calls ``pause`` (which returns when the SM runs
        #: again and sets the next ``slice_end``); None runs unsliced
        self.slice_end: int | None = None
        self.pause: Callable[[], None] | None = None
        #: id -> (tuple, depth) of big or deep tuples the SM built (see ``nest``)
        self._depths: dict[int, tuple[tuple, int]] = {}
        #: id -> (iterator, depth) of deeply nested iterators made (``nested_iterator``)
        self._iterator_depths: dict[int, tuple[object, int]] = {}
        #: name -> class, of the namedtuple classes the SM made (they travel by name)
        self.namedtuples: dict[str, type] = {}
        #: the SM this runtime runs (``SMInstance``): the shared primitives and
        #: guarded builtins find it through ``RUNNING``
        self.owner: Any = None

    # ---- fuel --------------------------------------------------------------
    # Fuel left in the current grant is the length of ``fuel_list`` plus what
    # the loop store has not yet handed out: compiled code pops one item of
    # ``fuel_list`` per call and per ``for`` item and calls ``refuel`` when it
    # is empty; a ``while`` loop takes one item of ``loop_fuel`` per test.
    # Both stores are topped up from one grant count, and whatever one of them
    # holds is given back whenever a budget or slice end is reached, so the
    # fuel used is exact at every pause and at the end.
    def start_fuel(self, already_used: int) -> None:
        self.fuel_granted = already_used
        self.fuel_list.clear()
        self.loop_list.clear()
        self._top_up(self.fuel_list)

    def fuel_used(self) -> int:
        return self.fuel_granted - len(self.fuel_list) - _length_hint(self._loop_units)

    def refuel(self) -> bool:
        """The compiled code's tick found no fuel left: grant more and spend
        the unit that tick wanted (so the count does not depend on how the
        fuel was granted, in how many grants or scheduling slices)."""
        self._top_up(self.fuel_list)
        self.fuel_list.pop()
        return True

    def _loop_grant(self) -> Any:
        """The next chunk of ``loop_fuel`` (its C walk asks when the last one
        is spent). Never raises: an error (the budget is spent, the SM is
        dropped while paused) is raised by the chunk instead, so the C walk
        stays usable (``chain`` would end for good on an error of its source)."""
        try:
            self.loop_list.clear()
            self._top_up(self.loop_list)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the chunk, at the loop
            return _Raising(exc)
        self._loop_units = units = iter(self.loop_list)
        return units

    def _reclaim(self) -> None:
        """Take back what both stores still hold (it was granted, not used)."""
        self.fuel_granted -= len(self.fuel_list) + _length_hint(self._loop_units)
        self.fuel_list.clear()
        self.loop_list.clear()  # the loop store's walk ends at its next item

    def _top_up(self, store: list) -> bool:
        end = self.slice_end
        if self.fuel_granted >= self.fuel_limit or (end is not None and self.fuel_granted >= end):
            # what the other store holds is still the SM's to use: the budget
            # or the slice ends when both stores are spent, exactly there
            self._reclaim()
        remaining = self.fuel_limit - self.fuel_granted
        if remaining <= 0:
            self.unwinding = True
            raise FuelExhausted(f"fuel budget of {self.fuel_limit:,} units exhausted")
        if end is not None:
            if self.fuel_granted >= end:
                self.pause()  # type: ignore[misc]  # other SMs run; back here on our next turn
                end = self.slice_end
            if end is not None:
                remaining = min(remaining, end - self.fuel_granted)
        # Grants grow from small (cheap to start many short SMs) to FUEL_SLICE.
        # Near the budget's or the slice's end a store gets half of what is
        # left, so the other store still has some: one store taking it all
        # would leave the other a unit at a time, each a reclaim and a top-up.
        grant = min(max(self.fuel_granted // 4, 256), FUEL_SLICE, max(1, (remaining + 1) // 2))
        store.extend(_NONES if grant == FUEL_SLICE else _NONES[:grant])  # a copy in C
        self.fuel_granted += grant
        return True

    def charge(self, units: int) -> None:
        """Spend ``units`` at once (work done by C code on the SM's behalf)."""
        have = len(self.fuel_list)
        if units <= have:
            del self.fuel_list[have - units:]
            return
        self._reclaim()
        self.fuel_granted += units
        if self.fuel_granted > self.fuel_limit:
            self.fuel_granted = self.fuel_limit
        self._top_up(self.fuel_list)

    # ---- capture / resume --------------------------------------------------
    def enter(self, frame: object, fid: str) -> dict:
        if type(frame) is not Frame or frame.fid != fid:
            self.unwinding = True
            raise SandboxViolation("a resume frame was passed to a function by SM code")
        return frame.locals

    def resume_call(self, frame: Frame, callee: object) -> object:
        child = frame.child
        if type(child) is PrimitiveResume:
            if callee is not child.primitive:
                raise VMBug("continuation resumes a primitive through the wrong callee")
            frame.child = None
            if child.error is not None:
                raise child.error
            return child.value
        if type(child) is not Frame:
            raise VMBug("continuation frame chain is broken")
        info = self.functions.get(child.fid)
        if type(callee) is _MethodType:  # obj.method(): self comes back with the frame
            callee = callee.__func__
        if info is None or getattr(callee, "__code__", None) is not info.code:
            raise VMBug(f"continuation expects a call of {child.fid} here")
        dummies = [None] * info.required_positional
        keywords = {name: None for name in info.required_keywords}
        return callee(*dummies, _fr=child, **keywords)

    def check_capturable(self, frame: Any) -> None:
        """Refuse a migration (catchably, before anything unwinds) unless every
        guest frame from ``frame`` up is stopped at a capture-ready call."""
        fid_of_code = self.fid_of_code
        while True:
            code = frame.f_code
            if id(code) not in fid_of_code or not _at_point(frame):
                raise MigrationError(
                    "cannot migrate from inside a function called by builtin code (a key= "
                    "function, a function given to map() or filter(), a generator expression)")
            frame = frame.f_back
            if frame.f_code is _RESUME_CALL_CODE:
                frame = frame.f_back  # the guest frame that is resuming into this one
                continue
            if frame.f_code in ENTRY_CODES:
                return
            if id(frame.f_code) not in fid_of_code:
                raise MigrationError("cannot migrate from here: the SM was not entered by the VM")

    def finally_ok(self) -> bool:
        """May a guest ``finally`` block run now? Not while the SM is being
        captured or ended, and not over a MemoryError/RecursionError, which
        the block could otherwise swallow with ``return`` or ``continue``."""
        if self.unwinding:
            return False
        if isinstance(sys.exc_info()[1], (MemoryError, RecursionError)):
            self.unwinding = True
            return False
        return True

    @staticmethod
    def set_cell(cell: Any, value: object) -> object:
        cell.v = value
        return value


_MethodType = type(Frame.__init__.__get__(0))
_length_hint = operator.length_hint


class _Raising:
    """A chunk of loop fuel that raises, once, the error its grant met."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error: BaseException | None = error

    def __iter__(self) -> "_Raising":
        return self

    def __next__(self) -> None:
        error, self.error = self.error, None
        if error is None:
            raise StopIteration
        raise error

_POINT_CACHE: dict[int, tuple[object, frozenset[int]]] = {}


def _at_point(frame: Any) -> bool:
    """Is ``frame`` executing a capture-ready call (see ``POINT_COLUMN``)?"""
    code = frame.f_code
    entry = _POINT_CACHE.get(id(code))
    if entry is None or entry[0] is not code:
        offsets = frozenset(2 * i for i, pos in enumerate(code.co_positions())
                            if pos[3] == POINT_COLUMN)
        entry = (code, offsets)
        _POINT_CACHE[id(code)] = entry
    return frame.f_lasti in entry[1]


_RESUME_CALL_CODE = Runtime.resume_call.__code__
#: Host code that legitimately calls a brick's outermost frame (set by the VM).
ENTRY_CODES: set = set()
