"""The full encoder: a depth-first walk that numbers the objects with an identity.

It runs when the fast path (``_fast``) cannot: something is shared or cyclic,
or the state holds exceptions, big ints, lone surrogates, dicts keyed by other
values, or the callables and objects of ``_callables``, ``_iterators`` and
``_objects``. In careful mode (after msgpack overflowed) it checks every int
and makes no scalar tuple, so big ints inside them become markers too.
"""
from __future__ import annotations

import functools
import os
import types
from collections.abc import Callable, Mapping

import msgpack

from .. import guestclasses, stdlib
from ..values import GUEST_EXCEPTIONS, Cell
from ._callables import encode_bound, encode_closure, encode_method
from ._errors import Unencodable, key_step, name_of
from ._iterators import ITERATOR_TYPES, VIEW_KINDS, encode_finished, encode_iterator, encode_view
from ._objects import encode_host, encode_instance
from .format import (CAREFUL_SCALARS, DEFAULT_LIMITS, INT_MAX, INT_MIN, M_BIGINT, M_BYTEARRAY,
                     M_CELL, M_DICT, M_EXCEPTION, M_FROZENSET, M_PARTIAL, M_RANGE, M_REF, M_SAME,
                     M_SET, M_TUPLE, SCALAR_KEYS, SCALARS, function_ext, in_order, scalar_keys,
                     scalar_tuple, tuple_packer)

_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
_HOST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exception_line(exc: BaseException) -> int | None:
    """The brick line an exception was raised at (it travels with it)."""
    line = getattr(exc, "_smvm_line", None)
    if type(line) is int:
        return line  # raised on an earlier node
    tb = exc.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_HOST_DIR):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if type(line) is int else None


def refuse_guest_keys(keys) -> None:
    for k in keys:
        if guestclasses.key_runs_guest_code(k):
            raise Unencodable(f"cannot carry an instance of {type(k).__name__!r} with its own "
                              "__hash__ or __eq__ as a dict key or set item")


class Encoder:
    """The walk: mutable objects numbered on entry, immutable ones (non-scalar
    tuples, frozensets, partials, exceptions) on exit, once built."""

    __slots__ = ("careful", "functions", "keep", "max_depth", "max_digits", "memo", "packer",
                 "scalars")

    def __init__(self, functions: Mapping[int, str], careful: bool):
        self.packer = tuple_packer()
        self.memo: dict[int, int] = {}
        # Temporaries encoded as if they were state stay alive until the end,
        # so their ids (memo keys) cannot be reused by other objects.
        self.keep: list = []
        self.functions = functions
        self.careful = careful
        self.scalars = CAREFUL_SCALARS if careful else SCALARS
        self.max_depth = DEFAULT_LIMITS.max_depth
        self.max_digits = DEFAULT_LIMITS.max_int_digits

    def too_deep(self) -> Unencodable:
        return Unencodable(f"state nested more than {self.max_depth} levels deep")

    def enc(self, x: object, depth: int) -> object:
        t = type(x)
        scalars = self.scalars
        if t in scalars:
            return x
        if t is int:                    # careful mode only
            return self.enc_int(x, depth)
        if depth >= self.max_depth:
            raise self.too_deep()
        depth += 1
        if t is list or t is dict:
            memo = self.memo
            oid = memo.get(id(x))
            if oid is not None:
                return [M_REF, oid]
            memo[id(x)] = len(memo)
            enc = self.enc
            if t is list:
                if set(map(type, x)) <= scalars:
                    return x            # msgpack packs it as it is
                out: list = []
                append = out.append
                try:
                    for item in x:
                        append(item if type(item) in scalars else enc(item, depth))
                except Unencodable as e:
                    e.path.append(f"[{len(out)}]")
                    raise
                return out
            key_types = set(map(type, x))
            if key_types <= scalars:
                # Scalar keys: a msgpack map.
                if set(map(type, x.values())) <= scalars:
                    return x
                res = {}
                try:
                    for k, v in x.items():
                        res[k] = v if type(v) in scalars else enc(v, depth)
                except Unencodable as e:
                    e.path.append(key_step(k))
                    raise
                return res
            if not self.careful and key_types <= SCALAR_KEYS and scalar_keys([x]):
                # Keys include tuples of scalars: still a map, keys as ext 12.
                res = {}
                try:
                    for k, v in x.items():
                        res[k if type(k) is not tuple else enc(k, depth)] = (
                            v if type(v) in scalars else enc(v, depth))
                except Unencodable as e:
                    e.path.append(key_step(k))
                    raise
                return res
            out = [M_DICT]
            refuse_guest_keys(x)
            try:
                for k, v in x.items():
                    out.append(enc(k, depth))
                    out.append(enc(v, depth))
            except Unencodable as e:
                # An even length means the key failed, an odd one its value.
                e.path.append(f"<key #{len(out) // 2}>" if len(out) % 2 else key_step(k))
                raise
            return out
        handler = _ENCODERS.get(t)
        if handler is not None:
            return handler(self, x, depth)
        return self.other(x, t, depth)

    def items(self, marker: msgpack.ExtType, items, depth: int, step: str = "[{}]") -> list:
        out = [marker]
        append = out.append
        scalars = self.scalars
        enc = self.enc
        try:
            for item in items:
                append(item if type(item) in scalars else enc(item, depth))
        except Unencodable as e:
            e.path.append(step.format(len(out) - 1))
            raise
        return out

    def remember(self, x: object) -> int | None:
        """Number a mutable object; return its id if it was met before."""
        memo = self.memo
        oid = memo.get(id(x))
        if oid is None:
            memo[id(x)] = len(memo)
        return oid

    def finish(self, x: object, out: list) -> list:
        """Number an immutable object once encoded. If a cycle through a
        mutable object inside it made the walk encode it (and number it)
        already, send ``same``: the fields are decoded, then dropped."""
        memo = self.memo
        oid = memo.get(id(x))
        if oid is not None:
            out[0] = oid
            return [M_SAME, *out]
        memo[id(x)] = len(memo)
        return out

    def enc_int(self, x: int, depth: int) -> object:
        if INT_MIN <= x <= INT_MAX:
            return x
        if depth >= self.max_depth:
            raise self.too_deep()
        # Bounded by bit length (log2(10) < 3.33): linear work, no big powers.
        if x.bit_length() > 3.33 * self.max_digits:
            raise Unencodable(f"int with more than about {self.max_digits} digits")
        return [M_BIGINT, x.to_bytes(x.bit_length() // 8 + 1, "big", signed=True)]

    def enc_tuple(self, x: tuple, depth: int) -> object:
        scalar = set(map(type, x)) <= self.scalars
        if scalar and not self.careful:
            return scalar_tuple(x, self.packer)    # a value, like str
        oid = self.memo.get(id(x))
        if oid is not None:
            return [M_REF, oid]
        return self.finish(x, [M_TUPLE, *x] if scalar else self.items(M_TUPLE, x, depth))

    def enc_set(self, x: set, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [M_REF, oid]
        refuse_guest_keys(x)
        return self.items(M_SET, in_order(x), depth, "{{item #{}}}")

    def enc_frozenset(self, x: frozenset, depth: int) -> list:
        oid = self.memo.get(id(x))
        if oid is not None:
            return [M_REF, oid]
        refuse_guest_keys(x)
        return self.finish(x, self.items(M_FROZENSET, in_order(x), depth, "{{item #{}}}"))

    def enc_bytearray(self, x: bytearray, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [M_REF, oid]
        return [M_BYTEARRAY, bytes(x)]

    def enc_cell(self, x: Cell, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [M_REF, oid]
        try:
            return [M_CELL, self.enc(x.v, depth)]
        except Unencodable as e:
            e.path.append(".v")
            raise

    def enc_range(self, x: range, depth: int) -> list:
        return [M_RANGE, self.enc(x.start, depth), self.enc(x.stop, depth),
                self.enc(x.step, depth)]

    def enc_partial(self, x: functools.partial, depth: int) -> list:
        oid = self.memo.get(id(x))
        if oid is not None:
            return [M_REF, oid]
        if x.keywords:
            raise Unencodable("cannot carry a partial with keyword arguments")
        ref = self.functions.get(id(x.func))
        if ref is None:
            raise Unencodable(f"cannot carry unknown function {name_of(x.func)!r} in a partial")
        out = self.items(M_PARTIAL, x.args, depth, ".args[{}]")
        out.insert(1, ref)
        return self.finish(x, out)

    def other(self, x: object, t: type, depth: int) -> object:
        ref = self.functions.get(id(x))
        if ref is not None:
            return function_ext(ref)
        if isinstance(x, BaseException) and GUEST_EXCEPTIONS.get(t.__name__) is t:
            oid = self.memo.get(id(x))
            if oid is not None:
                return [M_REF, oid]
            out = self.items(M_EXCEPTION, x.args, depth, ".args[{}]")
            out[1:1] = [t.__name__, exception_line(x)]
            return self.finish(x, out)
        if t is types.FunctionType:
            ref = self.functions.get(id(x.__code__))
            if ref is not None:
                return encode_closure(self, x, ref, depth)
        if t is types.BuiltinMethodType:
            return encode_bound(self, x, depth)
        if t in ITERATOR_TYPES:
            return encode_iterator(self, x, depth)
        if guestclasses.is_guest_class(t):
            return encode_instance(self, x, t, depth)
        if stdlib.host_kind(t) is not None:
            return encode_host(self, x, depth)
        if t is types.GeneratorType and x.gi_frame is None:
            return encode_finished(self, x, depth)
        if t is types.MethodType:
            return encode_method(self, x, depth)
        if t in VIEW_KINDS:
            return encode_view(self, x, t, depth)
        if isinstance(x, _FUNCTION_TYPES):
            raise Unencodable(f"cannot carry unknown function {name_of(x)!r}")
        raise Unencodable(f"cannot carry a value of type {t.__name__!r}")


_ENCODERS: dict[type, Callable[[Encoder, object, int], object]] = {
    int: Encoder.enc_int,           # careful mode only; otherwise msgpack packs ints
    tuple: Encoder.enc_tuple,
    set: Encoder.enc_set,
    frozenset: Encoder.enc_frozenset,
    bytearray: Encoder.enc_bytearray,
    Cell: Encoder.enc_cell,
    range: Encoder.enc_range,
    functools.partial: Encoder.enc_partial,
}


def encode_tree(value: object, functions: Mapping[int, str]) -> bytes:
    """Pack ``value`` with the full encoder; raises ``Unencodable``."""
    try:
        return msgpack.packb(Encoder(functions, False).enc(value, 0))
    except (OverflowError, UnicodeEncodeError):
        # An int beyond 64 bits or a str with lone surrogates: start over
        # checking every int, with a packer that passes surrogates.
        tree = Encoder(functions, True).enc(value, 0)
        return msgpack.Packer(unicode_errors="surrogatepass").pack(tree)
