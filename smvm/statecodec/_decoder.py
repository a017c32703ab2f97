"""The decoders of marked states: bottom-up while msgpack unpacks, or a walk.

Without refs, ``list_hook`` builds each marked kind as msgpack finishes its
array (``_build``). With refs, ``dec`` walks the unpacked tree numbering
objects in the encoder's order: a mutable one before its contents (so cycles
resolve), an immutable one once built.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import guestclasses
from ..values import Cell
from ._build import (BUILDERS, NUMBERED, build_bytearray, check_collisions, check_keys,
                     check_members)
from ._callables import decode_bound, decode_closure, decode_method, decode_unbound
from ._errors import fail
from ._iterators import RANGE_ITERATORS, decode_iterator, decode_view
from ._objects import decode_host, decode_instance
from ._unpack import FINAL, Kind
from .format import (BOUND, BYTEARRAY, CELL, CLOSURE, DICT, HOST, INSTANCE, ITERATOR, METHOD, REF,
                     SAME, SET, UNBOUND, VIEW, CodecLimits)


class Decoder:
    __slots__ = ("built", "functions", "leaves", "limits", "max_depth", "objs")

    def __init__(self, functions: Mapping[str, object], limits: CodecLimits, leaves: set[type]):
        self.objs: list = []
        self.functions = functions
        self.max_depth = limits.max_depth
        self.limits = limits
        self.built = 0
        self.leaves = leaves

    def list_hook(self, x: list) -> object:
        """Bottom-up build of the marked kinds, while msgpack unpacks."""
        if x and type(x[0]) is Kind:
            self.built += 1
            return BUILDERS[x[0].code](self, x[1:])
        return x

    # The walk, for states with refs.

    def dec(self, x: object, depth: int) -> object:
        t = type(x)
        if t in FINAL:
            return x
        if t in self.leaves:
            if t in RANGE_ITERATORS:  # built while unpacking: numbered as decoded here
                self.objs.append(list(x.__reduce__()[1]))  # its args list, then itself
                self.objs.append(x)
            return x
        if depth >= self.max_depth:
            raise fail(f"state nested more than {self.max_depth} levels deep")
        depth += 1
        if t is list:
            if x and type(x[0]) is Kind:
                code = x[0].code
                walk = _WALKERS.get(code)
                if walk is not None:
                    return walk(self, x, depth)
                value = BUILDERS[code](self, self.rest(x, depth))
                if code in NUMBERED:
                    self.objs.append(value)
                return value
            self.objs.append(x)
            if set(map(type, x)) <= FINAL:
                return x
            dec = self.dec
            # The unpacked list becomes the value itself; fix items in place.
            for i, item in enumerate(x):
                if type(item) not in FINAL:
                    x[i] = dec(item, depth)
            return x
        if t is dict:
            self.objs.append(x)
            key_types = set(map(type, x))
            if not key_types <= FINAL and not key_types - FINAL <= self.leaves:
                raise fail("map key of a non-scalar type")
            if set(map(type, x.values())) <= FINAL:
                return x
            dec = self.dec
            for k, v in x.items():    # replacing values keeps the dict's size: safe
                if type(v) not in FINAL:
                    x[k] = dec(v, depth)
            return x
        raise fail(f"unexpected {t.__name__} in state")

    def rest(self, x: list, depth: int) -> list:
        dec = self.dec
        return [item if type(item) in FINAL else dec(item, depth) for item in x[1:]]

    def walk_ref(self, x: list, depth: int) -> object:
        if len(x) != 2 or type(x[1]) is not int or not 0 <= x[1] < len(self.objs):
            raise fail("reference to an object not yet defined")
        return self.objs[x[1]]

    def walk_same(self, x: list, depth: int) -> object:
        if len(x) < 2 or type(x[1]) is not int:
            raise fail("malformed same")
        self.rest(x[1:], depth)         # for the objects defined inside
        if not 0 <= x[1] < len(self.objs):
            raise fail("reference to an object not yet defined")
        return self.objs[x[1]]

    def walk_set(self, x: list, depth: int) -> set:
        s: set = set()
        self.objs.append(s)
        dec = self.dec
        items = [item if type(item) in FINAL else dec(item, depth) for item in x[1:]]
        for item in items:
            if guestclasses.key_runs_guest_code(item):
                raise fail("a set item whose hash would run SM code")
        check_members(items)
        check_collisions(items, self.limits.max_key_collisions)
        s.update(items)
        return s

    def walk_bytearray(self, x: list, depth: int) -> bytearray:
        b = build_bytearray(self, x[1:])
        self.objs.append(b)
        return b

    def walk_cell(self, x: list, depth: int) -> Cell:
        if len(x) != 2:
            raise fail("malformed cell")
        c = Cell()
        self.objs.append(c)
        c.v = self.dec(x[1], depth)
        return c

    def walk_dict(self, x: list, depth: int) -> dict:
        if len(x) % 2 != 1:
            raise fail("malformed dict")
        d: dict = {}
        self.objs.append(d)
        dec = self.dec
        if self.limits.max_key_collisions is not None:
            items = [dec(v, depth) for v in x[1:]]
            check_keys(items[::2])
            check_collisions(items[::2], self.limits.max_key_collisions)
            d.update(zip(items[::2], items[1::2]))
            return d
        for i in range(1, len(x), 2):
            k = dec(x[i], depth)
            if guestclasses.key_runs_guest_code(k):
                raise fail("a dict key whose hash would run SM code")
            d[k] = dec(x[i + 1], depth)     # TypeError on an unhashable key: caught by loads
        return d


#: The kinds the walk decodes itself (the others: ``BUILDERS`` on decoded fields).
_WALKERS: dict[int, Callable[[Decoder, list, int], object]] = {
    REF: Decoder.walk_ref, SET: Decoder.walk_set, BYTEARRAY: Decoder.walk_bytearray,
    CELL: Decoder.walk_cell, DICT: Decoder.walk_dict, SAME: Decoder.walk_same,
    CLOSURE: decode_closure, BOUND: decode_bound, ITERATOR: decode_iterator, VIEW: decode_view,
    UNBOUND: decode_unbound, INSTANCE: decode_instance, METHOD: decode_method,
    HOST: decode_host,
}
