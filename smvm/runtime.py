"""The per-SM runtime object (``_R`` in compiled code) and its guards.

Compiled bricks call into this module for everything the sandbox or the
capture/resume protocol needs: fuel top-ups, capture records, resume steps,
and the guarded forms of operations that could otherwise run away in C code.
"""
from __future__ import annotations

import collections
import gc
import itertools
import string
import sys
from typing import Any, Callable

from .compiler.abi import POINT_COLUMN
from . import guest_text
from .errors import FuelExhausted, MigrationError, SandboxViolation, VMBug
from .limits import MAX_VALUE_DEPTH

#: Fuel units granted per slice; the slow path runs once per slice.
FUEL_SLICE = 10_000
#: C code walks this many items in about the time a guest loop does one.
C_ITEMS_PER_FUEL = 16
#: Largest result ``**`` may produce, in bits (about 300,000 decimal digits).
MAX_POWER_BITS = 1_000_000
_CHUNK = 4096


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




def _own_method(obj: object, name: str) -> Callable:
    """``obj.format`` where ``obj`` is an instance of a brick's class (its
    own method, called from here: it cannot migrate); anything else has no
    such method as SM code sees it."""
    if getattr(type(obj), "_smvm_guest", False):
        return getattr(obj, name)
    raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")


class _SafeFormatter(string.Formatter):
    """``str.format`` without attribute traversal (``{0.__class__}``)."""

    def get_field(self, field_name: str, args, kwargs):
        if "." in field_name:
            raise ValueError("attribute access in format fields is not allowed in SM code")
        return super().get_field(field_name, args, kwargs)

    # fields show no host address (smvm.guest_text)
    def convert_field(self, value, conversion):
        return guest_text.field(value, ord(conversion), "") if conversion else value

    def format_field(self, value, format_spec):
        return guest_text.guest_format(value, format_spec)


_FORMATTER = _SafeFormatter()


class _Running:
    """The runtime of the SM whose code runs now (None between SMs): host
    code that guest code calls (the standard modules) charges its work here."""

    __slots__ = ("rt",)

    def __init__(self) -> None:
        self.rt: "Runtime | None" = None


RUNNING = _Running()


class Runtime:
    """State shared between an SM's compiled code and the VM."""

    def __init__(self, fuel_limit: int, fid_of_code: dict[int, str], functions: dict):
        self.fuel_limit = fuel_limit
        self.fuel_granted = 0
        self.fuel_list: list[None] = []
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

    # ---- fuel --------------------------------------------------------------
    # Fuel left in the current grant is the length of ``fuel_list``; compiled
    # code pops one item per unit and calls ``refuel`` when it is empty.
    def start_fuel(self, already_used: int) -> None:
        self.fuel_granted = already_used
        self.fuel_list.clear()
        self._top_up()

    def fuel_used(self) -> int:
        return self.fuel_granted - len(self.fuel_list)

    def refuel(self) -> bool:
        """The compiled code's tick found no fuel left: grant more and spend
        the unit that tick wanted (so the count does not depend on how the
        fuel was granted, in how many grants or scheduling slices)."""
        self._top_up()
        self.fuel_list.pop()
        return True

    def _top_up(self) -> bool:
        remaining = self.fuel_limit - self.fuel_granted
        if remaining <= 0:
            self.unwinding = True
            raise FuelExhausted(f"fuel budget of {self.fuel_limit:,} units exhausted")
        # Grants grow from small (cheap to start many short SMs) to FUEL_SLICE.
        grant = min(max(self.fuel_granted // 4, 256), FUEL_SLICE, remaining)
        end = self.slice_end
        if end is not None:
            if self.fuel_granted >= end:
                self.pause()  # type: ignore[misc]  # other SMs run; back here on our next turn
                end = self.slice_end
            if end is not None:
                grant = max(1, min(grant, end - self.fuel_granted))
        self.fuel_list.extend(itertools.repeat(None, grant))
        self.fuel_granted += grant
        return True

    def charge(self, units: int) -> None:
        """Spend ``units`` at once (work done by C code on the SM's behalf)."""
        have = len(self.fuel_list)
        if units <= have:
            del self.fuel_list[have - units:]
            return
        self.fuel_list.clear()
        self.fuel_granted += units - have
        if self.fuel_granted > self.fuel_limit:
            self.fuel_granted = self.fuel_limit
        self._top_up()

    def counted(self, iterable: object) -> object:
        """A comprehension's iterable, charged one unit per item."""
        kind = type(iterable)
        if kind in _LAZY_PYTHON:
            return iterable
        if kind in _SIZED:
            self.charge(len(iterable))  # type: ignore[arg-type]
            return iterable
        return self._metered(iter(iterable), per_item=True)  # type: ignore[call-overload]

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

    # ---- guards ------------------------------------------------------------
    def loop_iter(self, iterable: object) -> object:
        """The iterator a resumable ``for`` loop walks. Builtin iterators can
        travel with the SM; a generator cannot, so its items are taken first."""
        if type(iterable) in _LAZY_PYTHON and iterable.gi_code.co_name == "<genexpr>":
            return iter(list(self.bounded(iterable)))
        return iter(iterable)

    def bounded(self, iterable: object) -> object:
        """Charge fuel for C code about to walk ``iterable``; meter unsized
        C iterators chunk by chunk so they cannot run for ever."""
        kind = type(iterable)
        if kind in _SIZED:
            units = len(iterable) // C_ITEMS_PER_FUEL  # type: ignore[arg-type]
            if units:
                self.charge(units)
            return iterable
        if kind in _PASSED or getattr(kind, "_smvm_guest", False):
            # generator frames and guest methods tick fuel themselves; numbers
            # are not iterable (a guest method named like a consuming one)
            return iterable
        try:
            size = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            try:
                iterator = iter(iterable)  # type: ignore[call-overload]
            except TypeError:
                return iterable  # not iterable: let the real call say so
            return self._metered(iterator)
        if size >= C_ITEMS_PER_FUEL:
            self.charge(size // C_ITEMS_PER_FUEL)
        return iterable

    def lazy_counted(self, iterable: object) -> object:
        """A generator expression's iterable: charged a chunk at a time as it
        is consumed, so short-circuiting consumers pay only for what they use."""
        kind = type(iterable)
        if kind in _LAZY_PYTHON:
            return iterable
        if kind in _IMMUTABLE_SEQUENCES:
            try:
                size = len(iterable)
            except OverflowError:  # a range longer than sys.maxsize
                size = _CHUNK + 1
            if size <= _CHUNK:  # one chunk: charged now, walked as it is
                self.charge(size)
                return iterable
        if kind in (list, tuple, str, bytes, bytearray, range):
            # (a list is sliced as it is consumed: appends made after the
            # generator was made are seen, as CPython's iterator sees them)
            return itertools.chain.from_iterable(self._slices(iterable))
        return self._metered(iter(iterable), per_item=True)  # type: ignore[call-overload]

    def _slices(self, seq):
        start = 0
        while start < len(seq):
            chunk = seq[start:start + _CHUNK]
            self.charge(len(chunk))
            yield chunk
            start += _CHUNK

    def _metered(self, iterator, per_item: bool = False):
        if type(iterator) is itertools.groupby:
            # taking groups ahead would empty the groups handed out before
            for item in iterator:
                self.charge(1)
                yield item
            return
        while True:
            chunk = list(itertools.islice(iterator, _CHUNK))
            if not chunk:
                return
            self.charge(len(chunk) if per_item else len(chunk) // C_ITEMS_PER_FUEL + 1)
            yield from chunk

    def contains(self, item: object, container: object) -> bool:
        self._charge_scan(container, item)
        return item in container  # type: ignore[operator]

    def scan(self, obj: object, method: str, *args: object, **kwargs: object) -> object:
        """``obj.count(x)``, ``.index(x)``, ``.remove(x)``: charged for the
        comparisons C code makes before they run (``method`` is the
        compiler's constant, never the SM's)."""
        if args:
            self._charge_scan(obj, args[0])
        return getattr(obj, method)(*args, **kwargs)

    def with_check(self, manager: object) -> None:
        """A ``with`` statement's manager: an instance of a brick class
        defining ``__enter__`` and ``__exit__`` (or a standard module's value
        made to be one); anything else is CPython's TypeError, before any
        method is looked up on it."""
        kind = type(manager)
        if (getattr(kind, "_smvm_guest", False) or getattr(kind, "_smvm_context", False)) \
                and hasattr(kind, "__enter__"):
            if hasattr(kind, "__exit__"):
                return
            raise TypeError(f"'{kind.__name__}' object does not support the context manager "
                            "protocol (missed __exit__ method)")
        raise TypeError(f"'{kind.__name__}' object does not support the context manager protocol")

    def scan_method(self, obj: object, method: str, *args: object) -> object:
        """``obj.count``/``.index``/``.remove`` (``method`` is the compiler's
        constant), charged like ``scan`` for the arguments about to be
        passed; the caller makes the call, so a brick's own method of that
        name runs as an ordinary, capturable call."""
        bound = getattr(obj, method)
        if args:
            self._charge_scan(obj, args[0])
        return bound

    def _charge_scan(self, container: object, item: object) -> None:
        """Charge for comparing ``item`` with every item of ``container``:
        a long text costs by its length (items equal up to its end compare
        all of it), a range by its length unless ``item`` is an int (which
        it finds by arithmetic)."""
        kind = type(container)
        if kind is range:
            if type(item) is not int and type(item) is not bool:
                self.charge(_range_length(container) // C_ITEMS_PER_FUEL)  # type: ignore[arg-type]
            return
        if kind in _SCANNED:
            n = len(container)  # type: ignore[arg-type]
            if type(item) in (str, bytes) and kind in (list, tuple):
                n *= 1 + len(item) // _COMPARE_CHUNK  # type: ignore[arg-type]
            if n > 256:
                self.charge(n // C_ITEMS_PER_FUEL)

    def cut(self, value: object) -> object:
        if type(value) in _SCANNED and len(value) > 256:  # type: ignore[arg-type]
            self.charge(len(value) // C_ITEMS_PER_FUEL)  # type: ignore[arg-type]
        return value

    def power(self, base: object, exp: object, mod: object = None) -> object:
        if mod is None and type(exp) is int and exp > 0 and type(base) is int:
            bits = abs(base).bit_length()
            if bits > 1 and (bits - 1) * exp > MAX_POWER_BITS:
                raise OverflowError(
                    f"integer power too large: about {(bits - 1) * exp:,} bits "
                    f"(limit {MAX_POWER_BITS:,})")
        if mod is None:
            return base ** exp  # type: ignore[operator]
        return pow(base, exp, mod)  # type: ignore[call-overload]

    def str_format(self, template: object, *args: object, **kwargs: object) -> str:
        if type(template) is not str:
            return _own_method(template, "format")(*args, **kwargs)
        return _FORMATTER.vformat(template, args, kwargs)

    def str_format_map(self, template: object, mapping: object) -> str:
        if type(template) is not str:
            return _own_method(template, "format_map")(mapping)
        return _FORMATTER.vformat(template, (), mapping)  # type: ignore[arg-type]

    def nest(self, t: tuple) -> tuple:
        """A tuple the SM builds (a display, ``tuple(...)``): refused past
        ``MAX_VALUE_DEPTH`` levels of tuples in tuples, since hashing one
        recurses in C, one level per level, with no check of the stack."""
        if tuple not in map(type, t):  # the common case, in C
            return t
        level: dict[int, tuple] = {id(t): t}
        depth, visited = 1, 0
        known = self._depths
        while level:
            deepest_known = 0
            below: dict[int, tuple] = {}
            for parent in level.values():
                for item in parent:
                    if type(item) is tuple and id(item) not in below:
                        entry = known.get(id(item))
                        if entry is not None and entry[0] is item:
                            deepest_known = max(deepest_known, entry[1])
                        else:
                            below[id(item)] = item
            visited += len(below)
            if deepest_known and depth + deepest_known > MAX_VALUE_DEPTH:
                depth += deepest_known
                break
            if not below:
                depth += deepest_known
                break
            depth += 1
            if depth > MAX_VALUE_DEPTH:
                break
            level = below
        if visited > _C_ITEMS_PER_FUEL_WALK:
            self.charge(visited // _C_ITEMS_PER_FUEL_WALK)
        if depth > MAX_VALUE_DEPTH:
            raise ValueError(f"tuples nested more than {MAX_VALUE_DEPTH} levels deep "
                             f"are not allowed in SM code")
        if visited > 64 or depth > 16:  # worth remembering: the next display is cheap
            if len(known) >= 4096:
                known.clear()
            known[id(t)] = (t, depth)
        return t

    def nested_iterator(self, maker: Callable, *args: object) -> object:
        """``map``/``zip``/``chain``/``islice``... of other iterators:
        refused past ``MAX_VALUE_DEPTH`` levels, since taking an item
        recurses in C through every level with no check of the stack. The
        depth of what was made here is remembered; anything else is walked."""
        depth = 1 + max((self._iterator_depth(a) for a in args), default=0)
        if depth > MAX_VALUE_DEPTH:
            raise ValueError(f"iterators nested more than {MAX_VALUE_DEPTH} levels deep "
                             f"are not allowed in SM code")
        made = maker(*args)
        if depth >= 8:
            known = self._iterator_depths
            if len(known) >= 4096:
                known.clear()
            known[id(made)] = (made, depth)
        return made

    def _iterator_depth(self, it: object) -> int:
        """Levels of nesting iterators in ``it`` (0: none)."""
        if type(it) not in _NESTING_ITERATORS:
            return 0
        entry = self._iterator_depths.get(id(it))
        if entry is not None and entry[0] is it:
            return entry[1]
        # Walk: through nesting iterators (one level each) and the tuples and
        # tuple iterators they keep their inputs in (map's, zip's, chain's).
        deepest, level, visited = 0, [(it, 1)], 0
        while level:
            below = []
            for obj, depth in level:
                deepest = max(deepest, depth)
                for inner in gc.get_referents(obj):
                    kind = type(inner)
                    if kind in _NESTING_ITERATORS:
                        below.append((inner, depth + 1))
                    elif kind is tuple or kind is _TUPLE_ITERATOR:
                        below.append((inner, depth))
            visited += len(below)
            if deepest > MAX_VALUE_DEPTH or visited > 100_000:
                return MAX_VALUE_DEPTH + 1
            level = below
        if visited > _C_ITEMS_PER_FUEL_WALK:
            self.charge(visited // _C_ITEMS_PER_FUEL_WALK)
        return deepest

    @staticmethod
    def set_cell(cell: Any, value: object) -> object:
        cell.v = value
        return value


def _range_length(r: range) -> int:
    """``len(r)``, also past what ``len`` can return."""
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)


_MethodType = type(Frame.__init__.__get__(0))
_IMMUTABLE_SEQUENCES = frozenset({tuple, str, bytes, range})
_SCANNED = frozenset({list, tuple, str, bytes, bytearray, collections.deque})
#: Iterators that take items from other iterators (C recurses through them).
_NESTING_ITERATORS = frozenset({filter, map, zip, enumerate, *(
    getattr(itertools, name) for name in (
        "accumulate", "chain", "combinations", "combinations_with_replacement", "compress",
        "cycle", "dropwhile", "filterfalse", "groupby", "islice", "pairwise", "permutations",
        "product", "starmap", "takewhile", "zip_longest"))})
_C_ITEMS_PER_FUEL_WALK = 16
_TUPLE_ITERATOR = type(iter(()))
#: Bytes of text C code compares in about the time of one item.
_COMPARE_CHUNK = 64
_SIZED = frozenset({list, tuple, str, bytes, bytearray, dict, set, frozenset, range})
_LAZY_PYTHON = frozenset({type(x for x in ())})
_PASSED = _LAZY_PYTHON | {int, float, bool, type(None)}


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
