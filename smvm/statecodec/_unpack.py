"""The first pass of decoding: msgpack unpacks, these hooks and checks judge.

Unpacking turns each marker into its ``Kind``, each scalar tuple into a tuple
and each function reference into the object it names (a leaf, never looked
into); ``survey`` then checks the tree's depth and types and says which
decoder it needs (see ``loads``).
"""
from __future__ import annotations

import gc
from collections.abc import Mapping

import msgpack

from ._errors import fail
from ._iterators import range_iterator
from .format import (CLOSURE, FUNCTION, HOST, INSTANCE, ITERATOR, MARKER_CODES, METHOD, RANGE,
                     REF, SAME, SCALAR_TUPLE, SCALARS, UNBOUND, VIEW, BOUND, CodecLimits)


class Kind:
    """What unpacking turns a marker into; one instance per ext code."""

    __slots__ = ("code",)

    def __init__(self, code: int):
        self.code = code


KINDS = {code: Kind(code) for code in MARKER_CODES}
#: Markers only the walk decodes (refs, and kinds whose decoding numbers
#: objects in between their fields).
_WALK_ONLY = {KINDS[REF], KINDS[SAME], KINDS[CLOSURE], KINDS[BOUND], KINDS[ITERATOR],
              KINDS[VIEW], KINDS[UNBOUND], KINDS[INSTANCE], KINDS[METHOD], KINDS[HOST]}
_ITERATOR_KIND, _RANGE_KIND = KINDS[ITERATOR], KINDS[RANGE]
#: What a first unpacking yields besides scalars and markers.
RAW = frozenset({list, dict, tuple})
#: Values the walk leaves as they are (tuples came out of ext 12 finished).
FINAL = SCALARS | {tuple}
#: What a function reference may not resolve to.
_NOT_LEAVES = RAW | SCALARS | {Kind}


def _no_ext(code: int, data: bytes) -> object:
    raise fail("ext inside a scalar tuple")


_BASE_OPTIONS = {"strict_map_key": False, "unicode_errors": "surrogatepass"}
# Inside a scalar tuple: no ext at all (max_ext_len=0 also keeps msgpack's own
# timestamp ext out).
_TUPLE_OPTIONS = {**_BASE_OPTIONS, "ext_hook": _no_ext, "max_ext_len": 0}


def options(limits: CodecLimits, size: int, base: dict = _BASE_OPTIONS) -> dict:
    """Keyword arguments for ``msgpack.unpackb`` of ``size`` bytes.

    msgpack bounds every length by the input's size by default, so the limits
    are only worth passing (each costs a little per call) for longer inputs.
    """
    if size <= limits.max_str_len and size <= limits.max_objects:
        return base
    return {"max_str_len": limits.max_str_len, "max_bin_len": limits.max_str_len,
            "max_ext_len": limits.max_str_len, "max_array_len": limits.max_objects,
            "max_map_len": limits.max_objects, **base}


class Unpacking:
    """Hooks for msgpack's unpacker: markers, scalar tuples, function
    references, object counting."""

    __slots__ = ("functions", "leaves", "left", "limits", "markers")

    def __init__(self, limits: CodecLimits, count: bool, functions: Mapping[str, object]):
        self.limits = limits
        # Objects still allowed, when counting (see ``loads``).
        self.left = limits.max_objects - 1 if count else None
        self.markers = 0
        self.functions = functions
        #: The types of the objects function references resolved to: leaves
        #: of the tree, never looked into.
        self.leaves: set[type] = set()

    def ext_hook(self, code: int, data: bytes) -> object:
        if code == FUNCTION:
            f = resolve(self.functions, data.decode())
            self.leaves.add(type(f))
            return f
        if code == SCALAR_TUPLE:
            items = msgpack.unpackb(data, **options(self.limits, len(data), _TUPLE_OPTIONS))
            if type(items) is not list or not set(map(type, items)) <= SCALARS:
                raise fail("malformed scalar tuple")
            if self.left is not None:
                self.left -= len(items)
                if self.left < 0:
                    raise fail("too many objects")
            return tuple(items)
        if data:
            raise fail(f"marker {code} with a payload")
        return KINDS[code]     # KeyError for unknown codes: caught by loads

    def range_iterators(self, x: list) -> object:
        """A ``list_hook`` for the first unpacking: the array of a range
        iterator (as in every SM migrating inside ``for ... in range(...)``)
        becomes the iterator, a leaf, so such a state needs no walk. It holds
        no object of the state, only numbers; the walk, when refs need it,
        numbers it where it would have decoded it."""
        if len(x) == 4 and x[0] is _ITERATOR_KIND and type(x[1]) is str and x[1] == "iter":
            it = range_iterator(x[2], x[3], _RANGE_KIND)
            if it is not None:
                self.leaves.add(type(it))
                return it
        return x

    def tallied_ext_hook(self, code: int, data: bytes) -> object:
        value = self.ext_hook(code, data)
        if type(value) is Kind:
            self.markers += 1
        return value

    def list_hook(self, x: list) -> list:
        self.left -= len(x)
        if self.left < 0:
            raise fail("too many objects")
        return x

    def object_hook(self, x: dict) -> dict:
        self.left -= 2 * len(x)
        if self.left < 0:
            raise fail("too many objects")
        return x


def resolve(functions: Mapping[str, object], ref: object) -> object:
    """The object a function reference names (never a closure's code entry)."""
    if type(ref) is not str:
        raise fail("malformed function reference")
    f = functions.get(ref)
    if f is None:
        raise fail(f"unknown function reference {ref[:80]!r}")
    if type(f) in _NOT_LEAVES:
        # "code:" entries (code, namespace) serve closures only
        raise fail(f"reference {ref[:80]!r} names no function")
    return f


def _markers_in(objs: list, kinds: set[type], leaves: set[type]) -> int:
    if leaves:
        kinds = kinds - leaves
    if not kinds <= RAW | SCALARS | {Kind}:
        raise fail(f"unexpected {min(t.__name__ for t in kinds - RAW - SCALARS)} in state")
    if Kind not in kinds:
        return 0
    return 2 if not _WALK_ONLY.isdisjoint(v for v in objs if type(v) is Kind) else 1


def survey(tree: object, max_depth: int, leaves: set[type]) -> int:
    """Check an unpacked tree's depth and types; return 0 if it holds no
    marker, 1 if it does, 2 if some of them need the walk (ref, same).

    Level by level, like ``_fast.scan``. A tree fresh from msgpack holds scalars
    (never tracked by the garbage collector), lists (always tracked), dicts and
    tuples (tracked when they hold anything tracked, as the collector must),
    markers, the objects function references resolved to (``leaves``: not
    looked into) and odd objects (tracked), so ``gc.is_tracked`` picks just
    what is worth a look. A tuple holding only scalars may have been untracked: it is
    a leaf, only the last level has to see it, by type.
    """
    t = type(tree)
    if t in SCALARS or t in leaves:
        return 0
    if t not in RAW:
        raise fail(f"unexpected {t.__name__} in state")
    if max_depth <= 0:
        raise fail("state nested more than 0 levels deep")
    found = 0
    level = [tree]
    referents = gc.get_referents
    is_tracked = gc.is_tracked
    for _ in range(1, max_depth):
        level = list(filter(is_tracked, referents(*level)))
        if not level:
            return found
        kinds = set(map(type, level))
        if not kinds <= RAW:
            found = max(found, _markers_in(level, kinds, leaves))
            level = [v for v in level if type(v) in RAW]
    # ``level`` holds the containers at depth max_depth - 1: they must be leaves.
    objs = referents(*level)
    kinds = set(map(type, objs))
    if not kinds.isdisjoint(RAW):
        raise fail(f"state nested more than {max_depth} levels deep")
    return max(found, _markers_in(objs, kinds, leaves))
