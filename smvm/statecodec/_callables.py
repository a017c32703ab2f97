"""Callables that travel by value, encoded and decoded side by side.

Functions a brick defines at module level travel by name (ext 7, see
``format``). These kinds carry more than a name:

* a closure (14): its code by reference, its cells, defaults and the cells'
  contents; an empty cell's contents are ``unbound`` (18);
* a builtin method of a plain value or type (15): ``items.append``,
  ``bytes.fromhex``, only for methods the language allows;
* a guest function bound to a guest instance or class (20).
"""
from __future__ import annotations

import types
from typing import TYPE_CHECKING

from .. import guestclasses, setmembers
from ..compiler.policy import ALLOWED_ATTRIBUTES, CALL_ONLY_ATTRIBUTES
from ._errors import Unencodable, fail
from ._unpack import Kind
from .format import M_BOUND, M_CLOSURE, M_METHOD, M_REF, M_UNBOUND, UNBOUND

if TYPE_CHECKING:
    from ._decoder import Decoder
    from ._encoder import Encoder

#: Plain types whose methods may travel bound to a value (or to the type).
_TYPE_NAMES: dict[type, str] = {t: t.__name__ for t in (
    str, bytes, bytearray, list, tuple, dict, set, frozenset, int, float, range)}
_TYPES_BY_NAME = {name: t for t, name in _TYPE_NAMES.items()}
_METHOD_NAMES: frozenset[str] = frozenset(
    name for name in ALLOWED_ATTRIBUTES - CALL_ONLY_ATTRIBUTES
    if any(callable(getattr(t, name, None)) for t in _TYPE_NAMES))


# --- closures (14) and empty cells (18) --------------------------------------------

def encode_closure(self: Encoder, f: types.FunctionType, ref: str, depth: int) -> list:
    """A nested function: its code by reference, then its cells, defaults
    and the cells' contents. The cells it brings are numbered first, then
    the function, then the contents, so the decoder can build the function
    before filling cells that lead back to it."""
    oid = self.memo.get(id(f))
    if oid is not None:
        return [M_REF, oid]
    memo = self.memo
    cells: list = []
    new: list = []
    for cell in f.__closure__ or ():
        coid = memo.get(id(cell))
        if coid is None:
            memo[id(cell)] = len(memo)
            new.append(cell)
            cells.append(True)
        else:
            cells.append(coid)
    memo[id(f)] = len(memo)
    try:
        defaults = self.enc(f.__defaults__, depth)
        kwdefaults = self.enc(f.__kwdefaults__, depth)
        contents = []
        for cell in new:
            try:
                contents.append(self.enc(cell.cell_contents, depth))
            except ValueError:  # an empty cell
                contents.append([M_UNBOUND])
    except Unencodable as e:
        e.path.append(f"<function {f.__qualname__}>")
        raise
    return [M_CLOSURE, ref, cells, defaults, kwdefaults, contents]


def decode_closure(self: Decoder, x: list, depth: int) -> types.FunctionType:
    if len(x) != 6 or type(x[2]) is not list or type(x[5]) is not list:
        raise fail("malformed closure")
    target = self.functions.get(x[1]) if type(x[1]) is str else None
    if type(target) is not tuple or len(target) != 2 or type(target[0]) is not types.CodeType:
        raise fail("closure reference names no code")
    code, namespace = target
    if len(x[2]) != len(code.co_freevars):
        raise fail("closure has the wrong number of cells")
    cells, new = [], []
    for item in x[2]:
        if item is True:
            cell = types.CellType()
            self.objs.append(cell)
            new.append(cell)
        elif type(item) is int and 0 <= item < len(self.objs) \
                and type(self.objs[item]) is types.CellType:
            cell = self.objs[item]
        else:
            raise fail("malformed closure cell")
        cells.append(cell)
    fn = types.FunctionType(code, namespace, code.co_name, None, tuple(cells) or None)
    self.objs.append(fn)
    defaults = self.dec(x[3], depth)
    kwdefaults = self.dec(x[4], depth)
    if not (defaults is None or type(defaults) is tuple) or \
            not (kwdefaults is None or type(kwdefaults) is dict
                 and all(type(k) is str for k in kwdefaults)):
        raise fail("malformed closure defaults")
    fn.__defaults__ = defaults
    fn.__kwdefaults__ = kwdefaults
    if len(x[5]) != len(new):
        raise fail("malformed closure contents")
    for cell, item in zip(new, x[5]):
        if type(item) is list and len(item) == 1 and type(item[0]) is Kind \
                and item[0].code == UNBOUND:
            continue
        cell.cell_contents = self.dec(item, depth)
    return fn


def decode_unbound(self: Decoder, x: list, depth: int) -> object:
    raise fail("empty cell marker out of place")


# --- builtin methods of plain values and types (15) --------------------------------

def encode_bound(self: Encoder, m: object, depth: int) -> list:
    """A method of a plain value (``items.append``) or of a plain type
    (``bytes.fromhex``): the object and the method's name."""
    owner = m.__self__  # type: ignore[attr-defined]
    name = m.__name__  # type: ignore[attr-defined]
    if name not in _METHOD_NAMES:
        raise Unencodable(f"cannot carry the method {name!r}")
    if type(owner) is type and owner in _TYPE_NAMES:
        return [M_BOUND, 0, _TYPE_NAMES[owner], name]
    if type(owner) not in _TYPE_NAMES:
        raise Unencodable(f"cannot carry a method of {type(owner).__name__!r}")
    return [M_BOUND, 1, self.enc(owner, depth), name]


def decode_bound(self: Decoder, x: list, depth: int) -> object:
    if len(x) != 4 or x[1] not in (0, 1) or type(x[3]) is not str \
            or x[3] not in _METHOD_NAMES:
        raise fail("malformed method")
    if x[1] == 0:
        owner = _TYPES_BY_NAME.get(x[2]) if type(x[2]) is str else None
        if owner is None:
            raise fail("method of an unknown type")
    else:
        owner = self.dec(x[2], depth)
        if type(owner) not in _TYPE_NAMES:
            raise fail("method of an unsupported value")
    method = getattr(owner, x[3], None)
    if type(method) is not types.BuiltinMethodType:
        raise fail(f"no method {x[3]!r} there")
    if x[3] in ("keys", "items") and not getattr(self.functions, "makes_views", True):
        raise fail("a dict view's maker in the state of a brick that makes none")
    if type(owner) in (set, frozenset) and x[3] in setmembers.GROWING:
        raise fail(f"an unchecked set method {x[3]!r}")  # SM code holds the checked ones
    return method


# --- guest functions bound to guest instances or classes (20) ----------------------

def encode_method(self: Encoder, m: types.MethodType, depth: int) -> list:
    """A method bound to a guest instance or class."""
    oid = self.memo.get(id(m))
    if oid is not None:
        return [M_REF, oid]
    if self.functions.get(id(m.__func__)) is None:
        raise Unencodable(f"cannot carry the method {m.__func__.__name__!r}")
    return self.finish(m, [M_METHOD, self.enc(m.__self__, depth),
                           self.enc(m.__func__, depth)])


def decode_method(self: Decoder, x: list, depth: int) -> object:
    if len(x) != 3:
        raise fail("malformed method")
    owner = self.dec(x[1], depth)
    fn = self.dec(x[2], depth)
    if type(fn) is not types.FunctionType or not (
            guestclasses.is_guest_class(owner) or guestclasses.is_guest_class(type(owner))):
        raise fail("malformed method")
    method = types.MethodType(fn, owner)
    self.objs.append(method)
    return method
