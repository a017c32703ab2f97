"""Builders of the marked kinds from fields already decoded (marker removed).

The immutable kinds are built this way by both decoders; the mutable ones
(set, Cell, dict) only bottom-up, when no ref can point at them. Also the
checks on keys that every decoder of a dict or set makes first.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import guestclasses, setmembers
from ..values import GUEST_EXCEPTIONS, Cell
from ._errors import fail
from ._iterators import range_iterator
from ._unpack import resolve
from .format import (BIGINT, BYTEARRAY, CELL, DICT, EXCEPTION, FROZENSET, ITERATOR, PARTIAL,
                     RANGE, REF, SAME, SET, TUPLE)

if TYPE_CHECKING:
    from ._decoder import Decoder

_partial = functools.partial


def check_keys(keys) -> None:
    """Refuse dict keys and set items whose hashing would run SM code."""
    for k in keys:
        if guestclasses.key_runs_guest_code(k):
            raise fail("a dict key or set item whose hash would run SM code "
                       f"(an instance of {type(k).__name__!r} with its own __hash__ or __eq__)")


def check_members(items) -> None:
    """Refuse a set item no set of an SM may hold (``smvm.setmembers``)."""
    what = setmembers.refused(items)
    if what is not None:
        raise fail(f"a set holding {what}")


def check_collisions(keys, most: int | None) -> None:
    """Refuse more than ``most`` keys with one hash (before a dict or set is
    built of them: that is where colliding keys cost quadratic time)."""
    if most is None or len(keys) <= most:
        return
    seen: dict[int, int] = {}
    for key in keys:
        h = hash(key)  # linear in the key; ints (the hashes) barely collide
        n = seen.get(h, 0) + 1
        if n > most:
            raise fail("map or set keys whose hashes collide")
        seen[h] = n


def pairs_checker(most: int):
    """msgpack's ``object_pairs_hook`` refusing colliding map keys."""
    def pairs(items: list) -> dict:
        check_collisions([k for k, _ in items], most)
        return dict(items)
    return pairs


# Immutable kinds.

def _build_bigint(dec: Decoder, f: list) -> int:
    digits = dec.limits.max_int_digits
    if len(f) != 1 or type(f[0]) is not bytes:
        raise fail("malformed big int")
    # 256**n > 10**(2.4n): bound the size before any arithmetic.
    if len(f[0]) > digits * 0.42 + 2:
        raise fail(f"int with more than about {digits} digits")
    return int.from_bytes(f[0], "big", signed=True)


def _build_tuple(dec: Decoder, f: list) -> tuple:
    return tuple(f)


def _build_frozenset(dec: Decoder, f: list) -> frozenset:
    check_keys(f)
    check_members(f)
    check_collisions(f, dec.limits.max_key_collisions)
    return frozenset(f)


def build_bytearray(dec: Decoder, f: list) -> bytearray:
    if len(f) != 1 or type(f[0]) is not bytes:
        raise fail("malformed bytearray")
    return bytearray(f[0])


def _build_partial(dec: Decoder, f: list) -> functools.partial:
    if not f:
        raise fail("malformed partial")
    return _partial(resolve(dec.functions, f[0]), *f[1:])


def _build_exception(dec: Decoder, f: list) -> BaseException:
    if len(f) < 2 or type(f[0]) is not str or not (f[1] is None or type(f[1]) is int):
        raise fail("malformed exception")
    cls = GUEST_EXCEPTIONS.get(f[0])
    if cls is None:
        raise fail(f"unknown exception class {f[0][:80]!r}")
    exc = cls(*f[2:])
    if f[1] is not None:
        exc._smvm_line = f[1]  # type: ignore[attr-defined]
    return exc


def _build_range(dec: Decoder, f: list) -> range:
    if len(f) != 3 or set(map(type, f)) != {int}:
        raise fail("malformed range")
    return range(*f)


def _build_range_iterator(dec: Decoder, f: list) -> object:
    # Only a range's: any other iterator makes the first unpacking take the walk.
    # (The type first: a field built from untrusted bytes is compared only as a str.)
    it = None
    if len(f) == 3 and type(f[0]) is str and f[0] == "iter":
        it = range_iterator(f[1], f[2], None)
    if it is None:
        raise fail("malformed iterator")
    return it


# Mutable kinds, used when no ref can point at them.

def _build_set(dec: Decoder, f: list) -> set:
    check_members(f)
    check_collisions(f, dec.limits.max_key_collisions)
    return set(f)


def _build_cell(dec: Decoder, f: list) -> Cell:
    if len(f) != 1:
        raise fail("malformed cell")
    return Cell(f[0])


def _build_dict(dec: Decoder, f: list) -> dict:
    if len(f) % 2:
        raise fail("malformed dict")
    check_collisions(f[::2], dec.limits.max_key_collisions)
    return dict(zip(f[::2], f[1::2]))


def _build_ref(dec: Decoder, f: list) -> object:
    raise fail("unexpected ref")       # refs and ``same`` take the walk


BUILDERS: dict[int, Callable[[Decoder, list], object]] = {
    REF: _build_ref, BIGINT: _build_bigint, TUPLE: _build_tuple, SET: _build_set,
    FROZENSET: _build_frozenset, BYTEARRAY: build_bytearray, CELL: _build_cell,
    PARTIAL: _build_partial, EXCEPTION: _build_exception,
    RANGE: _build_range, DICT: _build_dict, SAME: _build_ref, ITERATOR: _build_range_iterator,
}
#: Immutable kinds numbered once built (the others are values).
NUMBERED = frozenset({TUPLE, FROZENSET, PARTIAL, EXCEPTION})
