"""Iterators (16) and dict views (17), encoded and decoded side by side.

A builtin iterator travels as the constructor call its ``__reduce__`` gives
(``iter``, ``reversed``, ``enumerate``, ``zip``, ``map``, ``filter``) plus its
``__setstate__`` state; a dict or set iterator as its container and how far
it has gone, so the rebuilt one still notices the container changing size. A
finished generator and an exhausted container iterator travel as an empty
``iter``.
"""
from __future__ import annotations

import gc
import types
from typing import TYPE_CHECKING

from ._errors import Unencodable, fail
from .format import M_ITERATOR, M_REF, M_VIEW

if TYPE_CHECKING:
    from ._decoder import Decoder
    from ._encoder import Encoder

_ITERATOR_MAKERS = {"iter": iter, "reversed": reversed, "enumerate": enumerate, "zip": zip,
                    "map": map, "filter": filter}
_ITERATOR_MAKER_NAMES = {id(v): k for k, v in _ITERATOR_MAKERS.items()}
#: The iterator types that travel.
ITERATOR_TYPES = frozenset(type(x) for x in (
    iter([]), iter(()), iter(range(0)), iter(""), iter("\u20ac"), iter(b""), iter(bytearray()),
    iter(set()), iter({}), iter({}.values()), iter({}.items()), reversed([]), reversed(()),
    reversed({}), reversed({}.values()), reversed({}.items()), enumerate([]), zip(), map(len, []),
    filter(None, [])))
_SEQUENCES = frozenset({list, tuple, str, bytes, bytearray, range})
_POSITIONED = {type(iter({})): "keys", type(iter({}.values())): "values",
               type(iter({}.items())): "items", type(iter(set())): "set"}
_POSITIONED_KINDS = frozenset(_POSITIONED.values())
#: The iterators of ``iter(range(...))`` (a range beyond a C long has its own).
RANGE_ITERATORS = frozenset({type(iter(range(0))), type(iter(range(1 << 64)))})
#: Where a range iterator's encoding starts, as the encoders write it: the
#: marker, "iter", an args array of one item, the range's own array and marker.
RANGE_ITERATOR_BYTES = b"\xc7\x00\x10\xa4iter\x91\x94\xc7\x00\x0a"
#: The dict view types, by the name of the dict method that makes them.
VIEW_KINDS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}


def _exhausted(self: Encoder, it: object, depth: int) -> list:
    args: list = [()]
    self.keep.append(args)
    return self.finish(it, [M_ITERATOR, "iter", self.enc(args, depth), None])


def encode_finished(self: Encoder, gen: types.GeneratorType, depth: int) -> list:
    """A finished generator behaves as an exhausted iterator, which travels."""
    oid = self.memo.get(id(gen))
    if oid is not None:
        return [M_REF, oid]
    return _exhausted(self, gen, depth)


def encode_iterator(self: Encoder, it: object, depth: int) -> list:
    """A builtin iterator, by the constructor call that rebuilds it."""
    oid = self.memo.get(id(it))
    if oid is not None:
        return [M_REF, oid]
    kind = _POSITIONED.get(type(it))
    if kind is not None:
        # Dict and set iterators: the container and how far we are, so the
        # rebuilt iterator still notices the container changing size.
        owners = [r for r in gc.get_referents(it) if type(r) in (dict, set)]
        if not owners:  # exhausted: the iterator has let go of its container
            return _exhausted(self, it, depth)
        owner = owners[0]
        position = len(owner) - it.__length_hint__()  # type: ignore[attr-defined]
        out = [M_ITERATOR, kind, self.enc(owner, depth), position]
        return self.finish(it, out)
    reduced = it.__reduce__()  # type: ignore[attr-defined]
    maker = _ITERATOR_MAKER_NAMES.get(id(reduced[0]))
    if maker is None:
        raise Unencodable(f"cannot carry a value of type {type(it).__name__!r}")
    state = reduced[2] if len(reduced) > 2 else None
    args = list(reduced[1])
    self.keep.append(args)
    try:
        out = [M_ITERATOR, maker, self.enc(args, depth), self.enc(state, depth)]
    except Unencodable as e:
        e.path.append(f"<{type(it).__name__}>")
        raise
    return self.finish(it, out)


def decode_iterator(self: Decoder, x: list, depth: int) -> object:
    if len(x) == 4 and x[1] in _POSITIONED_KINDS:
        owner = self.dec(x[2], depth)
        if type(owner) is not (set if x[1] == "set" else dict) or type(x[3]) is not int \
                or not 0 <= x[3] <= len(owner):
            raise fail("malformed container iterator")
        it = iter(owner if x[1] in ("set", "keys") else getattr(owner, x[1])())
        for _ in range(x[3]):
            next(it)
        self.objs.append(it)
        return it
    if len(x) != 4 or type(x[1]) is not str or x[1] not in _ITERATOR_MAKERS:
        raise fail("malformed iterator")
    args = self.dec(x[2], depth)
    state = self.dec(x[3], depth)
    if type(args) is not list:
        raise fail("malformed iterator")
    maker = _ITERATOR_MAKERS[x[1]]
    if x[1] in ("iter", "reversed"):
        if len(args) != 1 or type(args[0]) not in _SEQUENCES:
            raise fail("malformed iterator source")
    elif x[1] in ("map", "filter"):
        if not args or not callable(args[0]) and not (x[1] == "filter" and args[0] is None):
            raise fail("malformed iterator function")
        if not all(type(a) in ITERATOR_TYPES for a in args[1:]):
            raise fail("malformed iterator source")
    elif x[1] == "enumerate":
        if len(args) != 2 or type(args[0]) not in ITERATOR_TYPES or type(args[1]) is not int:
            raise fail("malformed enumerate")
    elif not all(type(a) in ITERATOR_TYPES for a in args):  # zip
        raise fail("malformed zip")
    it = maker(*args)
    if state is not None:
        if type(state) not in (int, bool):
            raise fail("malformed iterator state")
        it.__setstate__(state)
    self.objs.append(it)
    return it


def encode_view(self: Encoder, x: object, t: type, depth: int) -> list:
    oid = self.memo.get(id(x))
    if oid is not None:
        return [M_REF, oid]
    owner = gc.get_referents(x)
    if len(owner) != 1 or type(owner[0]) is not dict:
        raise Unencodable(f"cannot carry a value of type {t.__name__!r}")
    return self.finish(x, [M_VIEW, VIEW_KINDS[t], self.enc(owner[0], depth)])


def range_iterator(args: object, position: object, range_kind: object) -> object:
    """The iterator of ``[iterator, "iter", [source], position]`` when its
    source is a range, unpacked (``[range_kind, start, stop, step]``) or
    already built; None for any other iterator or a malformed one (which the
    walk then decodes, or refuses, as ever)."""
    if type(args) is not list or len(args) != 1 or type(position) is not int:
        return None
    source = args[0]
    if type(source) is list:
        if len(source) != 4 or source[0] is not range_kind or type(source[1]) is not int \
                or type(source[2]) is not int or type(source[3]) is not int or source[3] == 0:
            return None
        source = range(source[1], source[2], source[3])
    elif type(source) is not range:
        return None
    it = iter(source)
    it.__setstate__(position)
    return it


def decode_view(self: Decoder, x: list, depth: int) -> object:
    if len(x) != 3 or x[1] not in ("keys", "values", "items"):
        raise fail("malformed dict view")
    if x[1] != "values" and not getattr(self.functions, "makes_views", True):
        raise fail("a dict view in the state of a brick that makes none")
    owner = self.dec(x[2], depth)
    if type(owner) is not dict:
        raise fail("malformed dict view")
    view = getattr(owner, x[1])()
    self.objs.append(view)
    return view
