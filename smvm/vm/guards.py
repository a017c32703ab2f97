"""The guarded forms of operations that could otherwise run away in C code.

Compiled bricks call these through the SM's runtime (``Runtime`` inherits
them): fuel charged for the C work an operation is about to do, iterables
metered chunk by chunk, formatting without attribute traversal, powers,
tuples and iterators bounded in size and depth.
"""
from __future__ import annotations

import collections
import gc
import itertools
import operator
import string
from typing import Callable

from .. import guest_text
from ..limits import MAX_VALUE_DEPTH

#: C code walks this many items in about the time a guest loop does one.
C_ITEMS_PER_FUEL = 16
#: Largest result ``**`` may produce, in bits (about 300,000 decimal digits).
MAX_POWER_BITS = 1_000_000
_CHUNK = 4096


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


class Guards:
    """The guard methods of ``Runtime``: they charge through its ``charge``
    and remember depths in its ``_depths`` and ``_iterator_depths``."""

    charge: Callable[[int], None]
    fuel_list: list
    _depths: dict[int, tuple[tuple, int]]
    _iterator_depths: dict[int, tuple[object, int]]

    def counted(self, iterable: object) -> object:
        """A comprehension's iterable, charged one unit per item. Its body
        calls no C code but inert builtins (the compiler checked), so the
        iterable cannot grow uncharged while it is walked."""
        kind = type(iterable)
        if kind in _LAZY_PYTHON:
            return iterable
        if kind in _SIZED:
            units, spare = len(iterable), self.fuel_list  # type: ignore[arg-type]
            if units <= len(spare):  # ``charge``, inline: one call less per comprehension
                del spare[len(spare) - units:]
            else:
                self.charge(units)
            return iterable
        return self._metered(iter(iterable), per_item=True)  # type: ignore[call-overload]

    def counted_growing(self, iterable: object) -> object:
        """``counted`` for a comprehension whose body calls something, which
        may append to the list it walks (``[xs.append(1) for x in xs]``): as
        in CPython the walk sees the new items, and they are charged a chunk
        at a time as they come: such a walk pauses between fuel slices and
        ends at the SM's fuel or memory budget like any loop, instead of
        running in C, uncharged, until memory runs out."""
        kind = type(iterable)
        if kind is list or kind is bytearray:
            size = len(iterable)  # type: ignore[arg-type]
            self.charge(size)
            walk = iter(iterable)  # type: ignore[call-overload]
            return _chain(_islice(walk, size), self._grown(iterable, walk))
        return self.counted(iterable)

    def _grown(self, items, walk):
        """The rest of ``walk``, an iterator of the list ``items``, past the
        length it had: taken one by one as the comprehension asks, and
        charged after each chunk for the items taken (the list grows as it
        is walked, so no count of them is known ahead)."""
        while _length_hint(walk) > 0:
            start = len(items) - _length_hint(walk)
            yield from _islice(walk, _CHUNK)
            self.charge(len(items) - _length_hint(walk) - start)

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

    def consumed_counted(self, iterable: object) -> object:
        """The iterable of a generator expression a builtin consumes at once
        (``sum(... for x in xs)``) whose items may call code that grows a
        list: a short list is charged now and walked up to the length it has
        now (so items the expression appends to it are not seen: never an
        endless C loop); anything else as ``consumed_sized``."""
        if type(iterable) is list:
            size, spare = len(iterable), self.fuel_list
            if size <= _CHUNK:
                if size <= len(spare):  # ``charge``, inline: one call less per expression
                    del spare[len(spare) - size:]
                else:
                    self.charge(size)
                return _islice(iterable, size)
            return self.lazy_counted(iterable)
        return self.consumed_sized(iterable)

    def consumed_sized(self, iterable: object) -> object:
        """``consumed_counted`` where the expression's items call nothing that
        could grow a list (the compiler checked): a short sequence or range
        is charged now and walked as it is; anything else as
        ``lazy_counted``."""
        if type(iterable) in _WALKED_AS_IS:
            spare = self.fuel_list
            try:
                size = len(iterable)  # type: ignore[arg-type]
            except OverflowError:  # a range longer than sys.maxsize
                return self.lazy_counted(iterable)
            if size <= len(spare) and size <= _CHUNK:  # ``charge``, inline
                if size:
                    del spare[-size:]
                return iterable
            if size <= _CHUNK:
                self.charge(size)
                return iterable
        return self.lazy_counted(iterable)

    def _slices(self, seq):
        start, length = 0, _range_length if type(seq) is range else len  # (no len past sys.maxsize)
        while start < length(seq):
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
        if type(container) not in _HASHED:  # a set or dict: found by hash, no scan
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


def _range_length(r: range) -> int:
    """``len(r)``, also past what ``len`` can return."""
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)


_IMMUTABLE_SEQUENCES = frozenset({tuple, str, bytes, range})
#: What a consumed generator expression may walk as it is once charged.
_WALKED_AS_IS = frozenset({list, tuple, str, bytes, range})
_HASHED = frozenset({set, frozenset, dict})
_islice = itertools.islice
_chain = itertools.chain
_length_hint = operator.length_hint
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
