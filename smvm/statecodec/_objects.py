"""Objects of guest classes (19) and of standard modules (21), encoded and
decoded side by side. Neither runs guest code on arrival: an instance is made
empty and filled (``guestclasses``), a standard value is rebuilt by
``smvm.stdlib`` from its kind, header and fields."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import guestclasses, stdlib
from ._errors import Unencodable, fail
from .format import M_HOST, M_INSTANCE, M_REF

if TYPE_CHECKING:
    from ._decoder import Decoder
    from ._encoder import Encoder


def encode_instance(self: Encoder, x: object, t: type, depth: int) -> list:
    """An instance of a guest class: its class by reference, then its
    attributes (numbered on entry, so cycles through it resolve)."""
    oid = self.remember(x)
    if oid is not None:
        return [M_REF, oid]
    ref = self.functions.get(id(t))
    if ref is None:
        raise Unencodable(f"cannot carry an instance of {t.__name__!r}: "
                          "its class is not a module-level class of the brick")
    attrs, extra = guestclasses.instance_fields(x)
    try:
        return [M_INSTANCE, ref, self.enc(attrs, depth), self.enc(extra, depth)]
    except Unencodable as e:
        e.path.append(f"<{t.__name__} object>")
        raise


def decode_instance(self: Decoder, x: list, depth: int) -> object:
    if len(x) != 4 or type(x[1]) is not str or not x[1].startswith("class:"):
        raise fail("malformed instance")
    cls = self.functions.get(x[1])
    if cls is None:
        raise fail(f"unknown class {x[1][:80]!r}")
    obj = guestclasses.new_instance(cls)    # ValueError: caught by loads
    self.objs.append(obj)
    guestclasses.fill_instance(obj, self.dec(x[2], depth), self.dec(x[3], depth))
    return obj


def encode_host(self: Encoder, x: object, depth: int) -> list:
    """A value of a standard module: its kind, a header that makes the
    empty value, then its contents. Mutable ones are numbered on entry
    (cycles through them resolve); immutable ones once built, and never
    in a cycle."""
    try:
        kind, header, fields = stdlib.reduce(x, self.functions)
    except TypeError as e:
        raise Unencodable(str(e)) from None
    oid = self.memo.get(id(x))
    if oid is not None:
        return [M_REF, oid]
    self.keep.append((header, fields))  # alive until the end: ids are memo keys
    try:
        head = self.enc(header, depth)
        after = kind in stdlib.BUILT_AFTER
        if not after:
            oid = self.remember(x)  # after the header: the decoder needs it first
            if oid is not None:
                return [M_REF, oid]  # the header led back to it
        out = [M_HOST, kind, head, self.enc(fields, depth)]
    except Unencodable as e:
        e.path.append(f"<{type(x).__name__}>")
        raise
    if after:
        if id(x) in self.memo:
            raise Unencodable(f"cannot carry a {type(x).__name__} that is part of a cycle")
        self.memo[id(x)] = len(self.memo)
    return out


def decode_host(self: Decoder, x: list, depth: int) -> object:
    if len(x) != 4 or type(x[1]) is not str:
        raise fail("malformed value of a standard module")
    kind = x[1]
    obj = stdlib.new(kind, self.dec(x[2], depth), self.functions)  # ValueError: caught by loads
    after = kind in stdlib.BUILT_AFTER
    if not after:
        self.objs.append(obj)
    obj = stdlib.fill(obj, kind, self.dec(x[3], depth))
    if after:
        self.objs.append(obj)
    return obj
