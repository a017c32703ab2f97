"""The encoder's fast path: a state that shares nothing, packed by msgpack in C.

Most states share nothing. ``scan`` checks that with one cheap pass, then
msgpack walks the value in C, calling ``Packing.convert`` back only for the
non-msgpack kinds. Anything it cannot judge raises ``NotPlain``: the full
encoder (``_encoder``) takes the value from the start.
"""
from __future__ import annotations

import functools
import gc
from collections.abc import Mapping
from itertools import chain

import msgpack

from ..values import Cell
from .format import (DEFAULT_LIMITS, M_CELL, M_FROZENSET, M_ITERATOR, M_PARTIAL, M_RANGE, M_SET,
                     M_TUPLE, SCALARS, function_ext, in_order, scalar_keys, scalar_tuple,
                     tuple_packer)

_partial = functools.partial
#: Containers the fast path looks inside (``gc.get_referents`` lists their items).
_FOLLOW = frozenset({list, dict, tuple, set, frozenset, Cell, _partial})
#: Objects msgpack would pack natively but wrongly (as bin, or as raw ext):
#: the full encoder handles or refuses them.
_REFUSE = frozenset({bytearray, memoryview, msgpack.ExtType, msgpack.Timestamp})
_SCAN = _FOLLOW | _REFUSE
#: The iterator of ``for i in range(n)``: it holds no object of the state
#: (only numbers), so it travels on the fast path, as the full encoder sends it.
_RANGE_ITERATOR = type(iter(range(0)))


class NotPlain(Exception):
    """The fast path cannot encode this value; the full encoder will."""


def scan(root: object) -> list[list] | None:
    """Check ``root`` for the fast path; return its containers level by level.

    None when a container is met twice (shared or cyclic: refs needed), or
    the value is deep, huge, or holds a bytearray. The walk goes level by
    level, letting ``gc.get_referents`` list the items of a whole level in one
    C call (a list's items, a dict's values and non-str keys, a Cell's value, a
    partial's function and args...), so the Python work per item is one type
    test. Types it does not know are left to the packer's ``default`` hook.
    """
    level = [root]
    levels = []
    referents = gc.get_referents
    budget = DEFAULT_LIMITS.max_objects
    # Wire depth can exceed the level count by one (a function or big int
    # becomes an array); stay a level short of the limit, else let the full
    # encoder judge exactly.
    for depth in range(1, DEFAULT_LIMITS.max_depth):
        levels.append(level)
        level = [v for v in referents(*level) if type(v) in _SCAN]
        if not level:
            break
        budget -= len(level)
        if budget < 0:
            return None
        if depth & (depth - 1) == 0 and depth >= 8 and not _distinct(levels):
            # Shared containers (a cycle would go on until the depth limit, a
            # DAG would grow each level): look now and then.
            return None
    else:
        return None
    return levels if _distinct(levels) else None


def _distinct(levels: list[list]) -> bool:
    """True if no container occurs twice in ``levels`` and none is refused.

    Tuples of scalars are values, like str: those may occur twice.
    """
    objs = list(chain.from_iterable(levels))
    if not set(map(type, objs)).isdisjoint(_REFUSE):
        return False
    if len(set(map(id, objs))) == len(objs):
        return True
    seen: set[int] = set()
    for v in objs:
        if id(v) in seen:
            if type(v) is not tuple or not set(map(type, v)) <= SCALARS:
                return False
        else:
            seen.add(id(v))
    return True


class Packing:
    """msgpack's ``default`` hook for the fast path: one call per non-msgpack value."""

    __slots__ = ("functions", "iterators", "keys_checked", "levels", "packer")

    def __init__(self, functions: Mapping[int, str], levels: list[list]):
        self.functions = functions
        self.levels = levels
        self.keys_checked = False
        self.packer: msgpack.Packer | None = None
        self.iterators: set[int] = set()  # ids of the range iterators packed

    def convert(self, obj: object) -> object:
        t = type(obj)
        if t is tuple and set(map(type, obj)) <= SCALARS:
            if self.packer is None:
                self.packer = tuple_packer()
            return scalar_tuple(obj, self.packer)
        if not self.keys_checked:
            # The hook also sees dict keys, and what follows makes arrays,
            # which cannot be map keys: check all keys once, now.
            if not scalar_keys([v for level in self.levels for v in level if type(v) is dict]):
                raise NotPlain
            self.keys_checked = True
        if t is tuple:
            return [M_TUPLE, *obj]
        if t is Cell:
            return [M_CELL, obj.v]
        if t is _partial:
            ref = self.functions.get(id(obj.func))
            if ref is None or obj.keywords:
                raise NotPlain
            return [M_PARTIAL, ref, *obj.args]
        if t is set:
            return [M_SET, *in_order(obj)]
        if t is frozenset:
            return [M_FROZENSET, *in_order(obj)]
        if t is range:
            return [M_RANGE, obj.start, obj.stop, obj.step]
        if t is _RANGE_ITERATOR:
            if id(obj) in self.iterators:  # held twice: its identity needs the full encoder
                raise NotPlain
            self.iterators.add(id(obj))
            _, (source,), position = obj.__reduce__()
            return [M_ITERATOR, "iter", [source], position]
        ref = self.functions.get(id(obj))
        if ref is not None:
            return function_ext(ref)
        raise NotPlain         # exceptions, errors: the full encoder
