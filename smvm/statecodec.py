"""Graph-preserving serialiser for the values a smart message carries.

The state of a running SM (its frames' locals, module data) travels between
nodes as one msgpack object. Plain data is packed by msgpack itself, in C:

* None, bool, float, str, bytes and ints that fit 64 bits are msgpack scalars;
* a ``list`` is a msgpack array; a ``dict`` whose keys are all such scalars
  (or tuples of them) is a msgpack map, insertion order kept;
* a tuple holding only such scalars is ext 12 (``SCALAR_TUPLE``), whose
  payload is the items packed as one msgpack array: it can be a map key, and
  msgpack's ext hook rebuilds it while unpacking;
* an object that travels by name (a function, a builtin, a primitive) is
  ext 7 (``FUNCTION``), whose payload is its reference string: msgpack's ext
  hook looks it up while unpacking, and the object is a leaf of the tree.

Every other kind is a msgpack array whose first item is a *marker*: an ext
value with an empty payload whose code names the kind. The rest of the array
holds the kind's fields, themselves encoded the same way:

====  ==========  ==============================================================
code  kind        fields after the marker
====  ==========  ==============================================================
0     ref         object id (uint) of an object met before
1     big int     bin: two's complement, big endian (ints beyond 64 bits)
2     tuple       the items (a tuple holding a non-scalar)
3     set         the items
4     frozenset   the items
5     bytearray   bin: the contents
6     Cell        the cell's value
7     function    not a marker: its payload is the reference string (UTF-8)
                  of a function or other object that travels by name
8     partial     str: the function's reference string, then the bound args
9     exception   str: class name in ``GUEST_EXCEPTIONS``, then the args
10    range       start, stop, step
11    dict        key, value, key, value... (a dict with other keys)
13    same        object id, then the fields of a tuple, frozenset, partial or
                  exception that turned out to be that object (see below)
====  ==========  ==============================================================

Identity: the objects with one (list, dict, set, bytearray, Cell, and the
non-scalar tuples, frozensets, partials and exceptions) are numbered 0, 1, 2...
in the order a depth-first, left-to-right walk of the encoding meets them: a
mutable one before its contents, so that cycles resolve; an immutable one once
built, after its contents. A later occurrence of the same object is just
``[ref, id]``, so shared objects and cycles come back as they were. An
immutable object can only be part of a cycle through a mutable one; the walk
then meets it again while encoding its contents, numbers that inner copy, and
sends the outer one as ``same``: the decoder decodes its fields (which define
the objects in them) and uses the numbered object. Scalars and tuples of
scalars are values and carry no identity.

Speed: most states share nothing. ``dumps`` first checks that with one cheap
pass and then lets msgpack walk the value in C, calling back only for the
non-msgpack kinds; the walk that numbers objects runs only when something is
shared (or for what the hook leaves to it: exceptions, big ints, lone
surrogates, dicts keyed by other values). ``loads`` returns msgpack's result as it is when it holds no marker
(scalar tuples and function references are made by msgpack's ext hook), builds the marked kinds
bottom-up in a second unpacking when there is no ref, and walks the tree,
numbering objects, only when there are refs.

Decoding takes bytes from the network: every problem raises
``StateDecodeError`` and nothing else, sizes are bounded by ``CodecLimits``,
and nothing is ever unpickled or evaluated.
"""
from __future__ import annotations

import functools
import gc
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import chain

import msgpack

from .compiler._policy import ALLOWED_ATTRIBUTES, CALL_ONLY_ATTRIBUTES
from .errors import StateDecodeError, StateEncodeError
from . import guestclasses, stdlib
from .values import GUEST_EXCEPTIONS, Cell

__all__ = ["CodecLimits", "UNTRUSTED_LIMITS", "dumps", "loads"]


@dataclass(frozen=True)
class CodecLimits:
    """Bounds applied while decoding untrusted state."""

    max_bytes: int = 16 * 1024 * 1024      # input size
    max_depth: int = 200                    # nesting depth of containers
    max_objects: int = 1_000_000            # total containers + scalars decoded
    max_str_len: int = 8 * 1024 * 1024      # one str/bytes
    max_int_digits: int = 1_000_000         # decimal digits of a big int (about)
    #: refuse maps and sets with more than this many keys of one hash (a
    #: crafted set of colliding keys makes building them quadratic in C);
    #: None: not checked (where the decoding runs under an SM's budgets)
    max_key_collisions: int | None = None


#: For decoding on a node's own loop: colliding keys refused.
UNTRUSTED_LIMITS = CodecLimits(max_key_collisions=8)


_DEFAULT_LIMITS = CodecLimits()

# Ext codes of the markers (see the module docstring).
REF, BIGINT, TUPLE, SET, FROZENSET, BYTEARRAY, CELL, FUNCTION, PARTIAL, EXCEPTION, RANGE, DICT = (
    range(12))
SCALAR_TUPLE = 12     # not a marker: its payload holds the items
SAME = 13
CLOSURE, BOUND, ITERATOR, VIEW, UNBOUND = 14, 15, 16, 17, 18
INSTANCE, METHOD = 19, 20   # a guest class's instance; a method bound to one
HOST = 21                   # a value of a standard module (deque, Random, ...)

_NoneType = type(None)
_partial = functools.partial
#: Types msgpack packs and unpacks exactly, with no help. ``int`` is safe only
#: within 64 bits: encoders assume it is and start over more carefully when
#: msgpack overflows.
_SCALARS = frozenset({_NoneType, bool, int, float, str, bytes})
_CAREFUL_SCALARS = _SCALARS - {int}
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1


# --- encoding -------------------------------------------------------------------

_M = [msgpack.ExtType(code, b"") for code in range(12)]
_M_REF, _M_BIGINT, _M_TUPLE, _M_SET, _M_FROZENSET, _M_BYTEARRAY = _M[:6]
_M_CELL, _M_FUNCTION, _M_PARTIAL, _M_EXCEPTION, _M_RANGE, _M_DICT = _M[6:]
_M_SAME = msgpack.ExtType(SAME, b"")
_M_CLOSURE, _M_BOUND, _M_ITERATOR, _M_VIEW, _M_UNBOUND, _M_INSTANCE, _M_METHOD, _M_HOST = (
    msgpack.ExtType(code, b"") for code in (CLOSURE, BOUND, ITERATOR, VIEW, UNBOUND, INSTANCE,
                                            METHOD, HOST))
# ExtType's own constructor validates in Python; ours are valid by construction.
_new_ext = functools.partial(tuple.__new__, msgpack.ExtType)
_SCALAR_KEYS = _SCALARS | {tuple}


def _tuple_packer() -> msgpack.Packer:
    # A small buffer: a fresh Packer (as msgpack.packb makes) allocates 256 KiB,
    # which costs page faults when done inside another pack call.
    return msgpack.Packer(buf_size=256)


def _function_ext(ref: str) -> msgpack.ExtType:
    """Ext 7 for an object that travels by name: the payload is the name."""
    return _new_ext((FUNCTION, ref.encode()))


def _scalar_tuple(t: tuple, packer: msgpack.Packer) -> msgpack.ExtType:
    """Ext 12 for a tuple of scalars (big ints, lone surrogates: msgpack raises)."""
    return _new_ext((SCALAR_TUPLE, packer.pack(t)))


def _scalar_keys(dicts: list[dict]) -> bool:
    """True if every key of ``dicts`` is a scalar or a tuple of scalars."""
    kinds = set(map(type, chain.from_iterable(dicts)))
    if kinds <= _SCALARS:
        return True
    if not kinds <= _SCALAR_KEYS:
        return False
    return all(set(map(type, k)) <= _SCALARS
               for d in dicts for k in d if type(k) is tuple)


#: Containers the fast path looks inside (``gc.get_referents`` lists their items).
_FOLLOW = frozenset({list, dict, tuple, set, frozenset, Cell, _partial})
#: Objects msgpack would pack natively but wrongly (as bin, or as raw ext):
#: the full encoder handles or refuses them.
_REFUSE = frozenset({bytearray, memoryview, msgpack.ExtType, msgpack.Timestamp})
_SCAN = _FOLLOW | _REFUSE


class _NotPlain(Exception):
    """The fast path cannot encode this value; the full encoder will."""


def _scan(root: object) -> list[list] | None:
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
    budget = _DEFAULT_LIMITS.max_objects
    # Wire depth can exceed the level count by one (a function or big int
    # becomes an array); stay a level short of the limit, else let the full
    # encoder judge exactly.
    for depth in range(1, _DEFAULT_LIMITS.max_depth):
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
            if type(v) is not tuple or not set(map(type, v)) <= _SCALARS:
                return False
        else:
            seen.add(id(v))
    return True


def _in_order(items: set | frozenset) -> list:
    """A set's items in an order that does not depend on string hashing (which
    differs from process to process), so the same state gives the same bytes."""
    try:
        return sorted(items)
    except TypeError:  # items of different kinds
        return sorted(items, key=lambda item: (type(item).__name__, repr(item)))


class _Packing:
    """msgpack's ``default`` hook for the fast path: one call per non-msgpack value."""

    __slots__ = ("functions", "keys_checked", "levels", "packer")

    def __init__(self, functions: Mapping[int, str], levels: list[list]):
        self.functions = functions
        self.levels = levels
        self.keys_checked = False
        self.packer: msgpack.Packer | None = None

    def convert(self, obj: object) -> object:
        t = type(obj)
        if t is tuple and set(map(type, obj)) <= _SCALARS:
            if self.packer is None:
                self.packer = _tuple_packer()
            return _scalar_tuple(obj, self.packer)
        if not self.keys_checked:
            # The hook also sees dict keys, and what follows makes arrays,
            # which cannot be map keys: check all keys once, now.
            if not _scalar_keys([v for level in self.levels for v in level if type(v) is dict]):
                raise _NotPlain
            self.keys_checked = True
        if t is tuple:
            return [_M_TUPLE, *obj]
        if t is Cell:
            return [_M_CELL, obj.v]
        if t is _partial:
            ref = self.functions.get(id(obj.func))
            if ref is None or obj.keywords:
                raise _NotPlain
            return [_M_PARTIAL, ref, *obj.args]
        if t is set:
            return [_M_SET, *_in_order(obj)]
        if t is frozenset:
            return [_M_FROZENSET, *_in_order(obj)]
        if t is range:
            return [_M_RANGE, obj.start, obj.stop, obj.step]
        ref = self.functions.get(id(obj))
        if ref is not None:
            return _function_ext(ref)
        raise _NotPlain         # exceptions, errors: the full encoder


class _Unencodable(Exception):
    """Raised deep in the full encoder; containers prepend their step to
    ``path`` as it unwinds, so the path costs nothing unless something fails."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def describe(self) -> str:
        steps = self.path[::-1]
        if len(steps) > 12:
            steps[6:-6] = [f"...{len(steps) - 12} more..."]
        where = "".join(steps) or "the top level"
        return f"{self.message} (at {where})"


def _key_step(key: object) -> str:
    text = repr(key)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"[{text}]"


_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)

#: Plain types whose methods may travel bound to a value (or to the type).
_TYPE_NAMES: dict[type, str] = {t: t.__name__ for t in (
    str, bytes, bytearray, list, tuple, dict, set, frozenset, int, float, range)}
_TYPES_BY_NAME = {name: t for t, name in _TYPE_NAMES.items()}
_METHOD_NAMES: frozenset[str] = frozenset(
    name for name in ALLOWED_ATTRIBUTES - CALL_ONLY_ATTRIBUTES
    if any(callable(getattr(t, name, None)) for t in _TYPE_NAMES))
#: Builtin iterators travel as the constructor call their ``__reduce__`` gives.
_ITERATOR_MAKERS = {"iter": iter, "reversed": reversed, "enumerate": enumerate, "zip": zip,
                    "map": map, "filter": filter}
_ITERATOR_MAKER_NAMES = {id(v): k for k, v in _ITERATOR_MAKERS.items()}
_ITERATOR_TYPES = frozenset(type(x) for x in (
    iter([]), iter(()), iter(range(0)), iter(""), iter("\u20ac"), iter(b""), iter(bytearray()),
    iter(set()), iter({}), iter({}.values()), iter({}.items()), reversed([]), reversed(()),
    reversed({}), reversed({}.values()), reversed({}.items()), enumerate([]), zip(), map(len, []),
    filter(None, [])))
_SEQUENCES = frozenset({list, tuple, str, bytes, bytearray, range})
_POSITIONED = {type(iter({})): "keys", type(iter({}.values())): "values",
               type(iter({}.items())): "items", type(iter(set())): "set"}
_POSITIONED_KINDS = frozenset(_POSITIONED.values())
_VIEW_KINDS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}
_HOST_DIR = os.path.dirname(os.path.abspath(__file__))


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


def _name_of(f: object) -> str:
    return getattr(f, "__qualname__", None) or type(f).__name__


class _Encoder:
    """The full encoder: a depth-first walk that numbers the objects with an
    identity: mutable ones on entry, immutable ones (non-scalar tuples,
    frozensets, partials, exceptions) on exit, once built."""

    __slots__ = ("careful", "functions", "keep", "max_depth", "max_digits", "memo", "packer",
                 "scalars")

    def __init__(self, functions: Mapping[int, str], careful: bool):
        self.packer = _tuple_packer()
        self.memo: dict[int, int] = {}
        # Temporaries encoded as if they were state stay alive until the end,
        # so their ids (memo keys) cannot be reused by other objects.
        self.keep: list = []
        self.functions = functions
        self.careful = careful
        self.scalars = _CAREFUL_SCALARS if careful else _SCALARS
        self.max_depth = _DEFAULT_LIMITS.max_depth
        self.max_digits = _DEFAULT_LIMITS.max_int_digits

    def too_deep(self) -> _Unencodable:
        return _Unencodable(f"state nested more than {self.max_depth} levels deep")

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
                return [_M_REF, oid]
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
                except _Unencodable as e:
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
                except _Unencodable as e:
                    e.path.append(_key_step(k))
                    raise
                return res
            if not self.careful and key_types <= _SCALAR_KEYS and _scalar_keys([x]):
                # Keys include tuples of scalars: still a map, keys as ext 12.
                res = {}
                try:
                    for k, v in x.items():
                        res[k if type(k) is not tuple else enc(k, depth)] = (
                            v if type(v) in scalars else enc(v, depth))
                except _Unencodable as e:
                    e.path.append(_key_step(k))
                    raise
                return res
            out = [_M_DICT]
            _refuse_guest_keys(x)
            try:
                for k, v in x.items():
                    out.append(enc(k, depth))
                    out.append(enc(v, depth))
            except _Unencodable as e:
                # An even length means the key failed, an odd one its value.
                e.path.append(f"<key #{len(out) // 2}>" if len(out) % 2 else _key_step(k))
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
        except _Unencodable as e:
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
            return [_M_SAME, *out]
        memo[id(x)] = len(memo)
        return out

    def enc_int(self, x: int, depth: int) -> object:
        if _INT_MIN <= x <= _INT_MAX:
            return x
        if depth >= self.max_depth:
            raise self.too_deep()
        # Bounded by bit length (log2(10) < 3.33): linear work, no big powers.
        if x.bit_length() > 3.33 * self.max_digits:
            raise _Unencodable(f"int with more than about {self.max_digits} digits")
        return [_M_BIGINT, x.to_bytes(x.bit_length() // 8 + 1, "big", signed=True)]

    def enc_tuple(self, x: tuple, depth: int) -> object:
        scalar = set(map(type, x)) <= self.scalars
        if scalar and not self.careful:
            return _scalar_tuple(x, self.packer)    # a value, like str
        oid = self.memo.get(id(x))
        if oid is not None:
            return [_M_REF, oid]
        return self.finish(x, [_M_TUPLE, *x] if scalar else self.items(_M_TUPLE, x, depth))

    def enc_set(self, x: set, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [_M_REF, oid]
        _refuse_guest_keys(x)
        return self.items(_M_SET, _in_order(x), depth, "{{item #{}}}")

    def enc_frozenset(self, x: frozenset, depth: int) -> list:
        oid = self.memo.get(id(x))
        if oid is not None:
            return [_M_REF, oid]
        _refuse_guest_keys(x)
        return self.finish(x, self.items(_M_FROZENSET, _in_order(x), depth, "{{item #{}}}"))

    def enc_bytearray(self, x: bytearray, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [_M_REF, oid]
        return [_M_BYTEARRAY, bytes(x)]

    def enc_cell(self, x: Cell, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [_M_REF, oid]
        try:
            return [_M_CELL, self.enc(x.v, depth)]
        except _Unencodable as e:
            e.path.append(".v")
            raise

    def enc_range(self, x: range, depth: int) -> list:
        return [_M_RANGE, self.enc(x.start, depth), self.enc(x.stop, depth),
                self.enc(x.step, depth)]

    def enc_partial(self, x: functools.partial, depth: int) -> list:
        oid = self.memo.get(id(x))
        if oid is not None:
            return [_M_REF, oid]
        if x.keywords:
            raise _Unencodable("cannot carry a partial with keyword arguments")
        ref = self.functions.get(id(x.func))
        if ref is None:
            raise _Unencodable(f"cannot carry unknown function {_name_of(x.func)!r} in a partial")
        out = self.items(_M_PARTIAL, x.args, depth, ".args[{}]")
        out.insert(1, ref)
        return self.finish(x, out)

    def other(self, x: object, t: type, depth: int) -> object:
        ref = self.functions.get(id(x))
        if ref is not None:
            return _function_ext(ref)
        if isinstance(x, BaseException) and GUEST_EXCEPTIONS.get(t.__name__) is t:
            oid = self.memo.get(id(x))
            if oid is not None:
                return [_M_REF, oid]
            out = self.items(_M_EXCEPTION, x.args, depth, ".args[{}]")
            out[1:1] = [t.__name__, exception_line(x)]
            return self.finish(x, out)
        if t is types.FunctionType:
            ref = self.functions.get(id(x.__code__))
            if ref is not None:
                return self.enc_closure(x, ref, depth)
        if t is types.BuiltinMethodType:
            return self.enc_bound(x, depth)
        if t in _ITERATOR_TYPES:
            return self.enc_iterator(x, depth)
        if guestclasses.is_guest_class(t):
            return self.enc_instance(x, t, depth)
        if stdlib.host_kind(t) is not None:
            return self.enc_host(x, depth)
        if t is types.GeneratorType and x.gi_frame is None:
            # finished: it behaves as an exhausted iterator, which travels
            oid = self.memo.get(id(x))
            if oid is not None:
                return [_M_REF, oid]
            args: list = [()]
            self.keep.append(args)
            return self.finish(x, [_M_ITERATOR, "iter", self.enc(args, depth), None])
        if t is types.MethodType:
            return self.enc_method(x, depth)
        if t in _VIEW_KINDS:
            oid = self.memo.get(id(x))
            if oid is not None:
                return [_M_REF, oid]
            owner = gc.get_referents(x)
            if len(owner) != 1 or type(owner[0]) is not dict:
                raise _Unencodable(f"cannot carry a value of type {t.__name__!r}")
            return self.finish(x, [_M_VIEW, _VIEW_KINDS[t], self.enc(owner[0], depth)])
        if isinstance(x, _FUNCTION_TYPES):
            raise _Unencodable(f"cannot carry unknown function {_name_of(x)!r}")
        raise _Unencodable(f"cannot carry a value of type {t.__name__!r}")


    def enc_closure(self, f: types.FunctionType, ref: str, depth: int) -> list:
        """A nested function: its code by reference, then its cells, defaults
        and the cells' contents. The cells it brings are numbered first, then
        the function, then the contents, so the decoder can build the function
        before filling cells that lead back to it."""
        oid = self.memo.get(id(f))
        if oid is not None:
            return [_M_REF, oid]
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
                    contents.append([_M_UNBOUND])
        except _Unencodable as e:
            e.path.append(f"<function {f.__qualname__}>")
            raise
        return [_M_CLOSURE, ref, cells, defaults, kwdefaults, contents]

    def enc_instance(self, x: object, t: type, depth: int) -> list:
        """An instance of a guest class: its class by reference, then its
        attributes (numbered on entry, so cycles through it resolve)."""
        oid = self.remember(x)
        if oid is not None:
            return [_M_REF, oid]
        ref = self.functions.get(id(t))
        if ref is None:
            raise _Unencodable(f"cannot carry an instance of {t.__name__!r}: "
                               "its class is not a module-level class of the brick")
        attrs, extra = guestclasses.instance_fields(x)
        try:
            return [_M_INSTANCE, ref, self.enc(attrs, depth), self.enc(extra, depth)]
        except _Unencodable as e:
            e.path.append(f"<{t.__name__} object>")
            raise

    def enc_host(self, x: object, depth: int) -> list:
        """A value of a standard module: its kind, a header that makes the
        empty value, then its contents. Mutable ones are numbered on entry
        (cycles through them resolve); immutable ones once built, and never
        in a cycle."""
        try:
            kind, header, fields = stdlib.reduce(x, self.functions)
        except TypeError as e:
            raise _Unencodable(str(e)) from None
        oid = self.memo.get(id(x))
        if oid is not None:
            return [_M_REF, oid]
        self.keep.append(fields)
        try:
            head = self.enc(header, depth)
            after = kind in stdlib.BUILT_AFTER
            if not after:
                oid = self.remember(x)  # after the header: the decoder needs it first
                if oid is not None:
                    return [_M_REF, oid]  # the header led back to it
            out = [_M_HOST, kind, head, self.enc(fields, depth)]
        except _Unencodable as e:
            e.path.append(f"<{type(x).__name__}>")
            raise
        if after:
            if id(x) in self.memo:
                raise _Unencodable(f"cannot carry a {type(x).__name__} that is part of a cycle")
            self.memo[id(x)] = len(self.memo)
        return out

    def enc_method(self, m: types.MethodType, depth: int) -> list:
        """A method bound to a guest instance or class."""
        oid = self.memo.get(id(m))
        if oid is not None:
            return [_M_REF, oid]
        if self.functions.get(id(m.__func__)) is None:
            raise _Unencodable(f"cannot carry the method {m.__func__.__name__!r}")
        return self.finish(m, [_M_METHOD, self.enc(m.__self__, depth),
                               self.enc(m.__func__, depth)])

    def enc_bound(self, m: object, depth: int) -> list:
        """A method of a plain value (``items.append``) or of a plain type
        (``bytes.fromhex``): the object and the method's name."""
        owner = m.__self__  # type: ignore[attr-defined]
        name = m.__name__  # type: ignore[attr-defined]
        if name not in _METHOD_NAMES:
            raise _Unencodable(f"cannot carry the method {name!r}")
        if type(owner) is type and owner in _TYPE_NAMES:
            return [_M_BOUND, 0, _TYPE_NAMES[owner], name]
        if type(owner) not in _TYPE_NAMES:
            raise _Unencodable(f"cannot carry a method of {type(owner).__name__!r}")
        return [_M_BOUND, 1, self.enc(owner, depth), name]

    def enc_iterator(self, it: object, depth: int) -> list:
        """A builtin iterator, by the constructor call that rebuilds it."""
        oid = self.memo.get(id(it))
        if oid is not None:
            return [_M_REF, oid]
        kind = _POSITIONED.get(type(it))
        if kind is not None:
            # Dict and set iterators: the container and how far we are, so the
            # rebuilt iterator still notices the container changing size.
            owners = [r for r in gc.get_referents(it) if type(r) in (dict, set)]
            if not owners:  # exhausted: the iterator has let go of its container
                args: list = [()]
                self.keep.append(args)
                return self.finish(it, [_M_ITERATOR, "iter", self.enc(args, depth), None])
            owner = owners[0]
            position = len(owner) - it.__length_hint__()  # type: ignore[attr-defined]
            out = [_M_ITERATOR, kind, self.enc(owner, depth), position]
            return self.finish(it, out)
        reduced = it.__reduce__()  # type: ignore[attr-defined]
        maker = _ITERATOR_MAKER_NAMES.get(id(reduced[0]))
        if maker is None:
            raise _Unencodable(f"cannot carry a value of type {type(it).__name__!r}")
        state = reduced[2] if len(reduced) > 2 else None
        args = list(reduced[1])
        self.keep.append(args)
        try:
            out = [_M_ITERATOR, maker, self.enc(args, depth), self.enc(state, depth)]
        except _Unencodable as e:
            e.path.append(f"<{type(it).__name__}>")
            raise
        return self.finish(it, out)


_ENCODERS: dict[type, Callable[[_Encoder, object, int], object]] = {
    int: _Encoder.enc_int,           # careful mode only; otherwise msgpack packs ints
    tuple: _Encoder.enc_tuple,
    set: _Encoder.enc_set,
    frozenset: _Encoder.enc_frozenset,
    bytearray: _Encoder.enc_bytearray,
    Cell: _Encoder.enc_cell,
    range: _Encoder.enc_range,
    functools.partial: _Encoder.enc_partial,
}
_EMPTY: Mapping = {}


def dumps(value: object, *, functions: Mapping[int, str] | None = None) -> bytes:
    """Serialise ``value`` (SM state) to bytes, keeping shared mutable objects shared.

    ``functions`` maps ``id(function)`` to the reference string under which the
    receiving node can find that function. Raises ``StateEncodeError`` naming
    the type and place of the first value that cannot be carried.
    """
    if functions is None:
        functions = _EMPTY
    out = None
    levels = _scan(value)
    if levels is not None:
        # Nothing shared: msgpack walks the value in C. strict_types sends
        # every non-msgpack type (tuples, subclasses...) to the hook; big ints
        # and lone surrogates make msgpack raise. Any surprise: the full encoder.
        try:
            out = msgpack.packb(value, strict_types=True,
                                default=_Packing(functions, levels).convert)
        except (_NotPlain, OverflowError, UnicodeEncodeError):
            pass
    if out is None:
        try:
            try:
                out = msgpack.packb(_Encoder(functions, False).enc(value, 0))
            except (OverflowError, UnicodeEncodeError):
                # An int beyond 64 bits or a str with lone surrogates: start
                # over checking every int, with a packer that passes surrogates.
                tree = _Encoder(functions, True).enc(value, 0)
                out = msgpack.Packer(unicode_errors="surrogatepass").pack(tree)
        except _Unencodable as e:
            raise StateEncodeError(e.describe()) from None
        except RecursionError:
            raise StateEncodeError("state nested too deeply to encode") from None
    if len(out) > _DEFAULT_LIMITS.max_bytes:
        raise StateEncodeError(
            f"state of {len(out)} bytes exceeds the limit of {_DEFAULT_LIMITS.max_bytes}")
    return out


# --- decoding -------------------------------------------------------------------

class _Kind:
    """What unpacking turns a marker into; one instance per ext code."""

    __slots__ = ("code",)

    def __init__(self, code: int):
        self.code = code


_KINDS = {code: _Kind(code) for code in (*range(FUNCTION), *range(FUNCTION + 1, 12), SAME, CLOSURE, BOUND, ITERATOR, VIEW,
                                          UNBOUND, INSTANCE, METHOD, HOST)}
_WALK_ONLY = {_KINDS[REF], _KINDS[SAME], _KINDS[CLOSURE], _KINDS[BOUND], _KINDS[ITERATOR],
              _KINDS[VIEW], _KINDS[UNBOUND], _KINDS[INSTANCE], _KINDS[METHOD], _KINDS[HOST]}
#: What a first unpacking yields besides scalars and markers.
_RAW = frozenset({list, dict, tuple})
#: Values the walk leaves as they are (tuples came out of ext 12 finished).
_FINAL = _SCALARS | {tuple}
#: What a function reference may not resolve to.
_NOT_LEAVES = _RAW | _SCALARS | {_Kind}


def _fail(message: str) -> StateDecodeError:
    return StateDecodeError(message)


def _no_ext(code: int, data: bytes) -> object:
    raise _fail("ext inside a scalar tuple")


_BASE_OPTIONS = {"strict_map_key": False, "unicode_errors": "surrogatepass"}
# Inside a scalar tuple: no ext at all (max_ext_len=0 also keeps msgpack's own
# timestamp ext out).
_TUPLE_OPTIONS = {**_BASE_OPTIONS, "ext_hook": _no_ext, "max_ext_len": 0}


def _options(limits: CodecLimits, size: int, base: dict = _BASE_OPTIONS) -> dict:
    """Keyword arguments for ``msgpack.unpackb`` of ``size`` bytes.

    msgpack bounds every length by the input's size by default, so the limits
    are only worth passing (each costs a little per call) for longer inputs.
    """
    if size <= limits.max_str_len and size <= limits.max_objects:
        return base
    return {"max_str_len": limits.max_str_len, "max_bin_len": limits.max_str_len,
            "max_ext_len": limits.max_str_len, "max_array_len": limits.max_objects,
            "max_map_len": limits.max_objects, **base}


class _Unpacking:
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
            f = _resolve(self.functions, data.decode())
            self.leaves.add(type(f))
            return f
        if code == SCALAR_TUPLE:
            items = msgpack.unpackb(data, **_options(self.limits, len(data), _TUPLE_OPTIONS))
            if type(items) is not list or not set(map(type, items)) <= _SCALARS:
                raise _fail("malformed scalar tuple")
            if self.left is not None:
                self.left -= len(items)
                if self.left < 0:
                    raise _fail("too many objects")
            return tuple(items)
        if data:
            raise _fail(f"marker {code} with a payload")
        return _KINDS[code]     # KeyError for unknown codes: caught by loads

    def tallied_ext_hook(self, code: int, data: bytes) -> object:
        value = self.ext_hook(code, data)
        if type(value) is _Kind:
            self.markers += 1
        return value

    def list_hook(self, x: list) -> list:
        self.left -= len(x)
        if self.left < 0:
            raise _fail("too many objects")
        return x

    def object_hook(self, x: dict) -> dict:
        self.left -= 2 * len(x)
        if self.left < 0:
            raise _fail("too many objects")
        return x


def _resolve(functions: Mapping[str, object], ref: object) -> object:
    """The object a function reference names (never a closure's code entry)."""
    if type(ref) is not str:
        raise _fail("malformed function reference")
    f = functions.get(ref)
    if f is None:
        raise _fail(f"unknown function reference {ref[:80]!r}")
    if type(f) in _NOT_LEAVES:
        # "code:" entries (code, namespace) serve closures only
        raise _fail(f"reference {ref[:80]!r} names no function")
    return f


def _markers_in(objs: list, kinds: set[type], leaves: set[type]) -> int:
    if leaves:
        kinds = kinds - leaves
    if not kinds <= _RAW | _SCALARS | {_Kind}:
        raise _fail(f"unexpected {min(t.__name__ for t in kinds - _RAW - _SCALARS)} in state")
    if _Kind not in kinds:
        return 0
    return 2 if not _WALK_ONLY.isdisjoint(v for v in objs if type(v) is _Kind) else 1


def _survey(tree: object, max_depth: int, leaves: set[type]) -> int:
    """Check an unpacked tree's depth and types; return 0 if it holds no
    marker, 1 if it does, 2 if some of them need the walk (ref, same).

    Level by level, like ``_scan``. A tree fresh from msgpack holds scalars
    (never tracked by the garbage collector), lists (always tracked), dicts and
    tuples (tracked when they hold anything tracked, as the collector must),
    markers, the objects function references resolved to (``leaves``: not
    looked into) and odd objects (tracked), so ``gc.is_tracked`` picks just
    what is worth a look. A tuple holding only scalars may have been untracked: it is
    a leaf, only the last level has to see it, by type.
    """
    t = type(tree)
    if t in _SCALARS or t in leaves:
        return 0
    if t not in _RAW:
        raise _fail(f"unexpected {t.__name__} in state")
    if max_depth <= 0:
        raise _fail("state nested more than 0 levels deep")
    found = 0
    level = [tree]
    referents = gc.get_referents
    is_tracked = gc.is_tracked
    for _ in range(1, max_depth):
        level = list(filter(is_tracked, referents(*level)))
        if not level:
            return found
        kinds = set(map(type, level))
        if not kinds <= _RAW:
            found = max(found, _markers_in(level, kinds, leaves))
            level = [v for v in level if type(v) in _RAW]
    # ``level`` holds the containers at depth max_depth - 1: they must be leaves.
    objs = referents(*level)
    kinds = set(map(type, objs))
    if not kinds.isdisjoint(_RAW):
        raise _fail(f"state nested more than {max_depth} levels deep")
    return max(found, _markers_in(objs, kinds, leaves))


# Builders of the immutable kinds, from fields already decoded (marker removed).

def _build_bigint(dec: _Decoder, f: list) -> int:
    digits = dec.limits.max_int_digits
    if len(f) != 1 or type(f[0]) is not bytes:
        raise _fail("malformed big int")
    # 256**n > 10**(2.4n): bound the size before any arithmetic.
    if len(f[0]) > digits * 0.42 + 2:
        raise _fail(f"int with more than about {digits} digits")
    return int.from_bytes(f[0], "big", signed=True)


def _build_tuple(dec: _Decoder, f: list) -> tuple:
    return tuple(f)


def _check_collisions(keys, most: int | None) -> None:
    """Refuse more than ``most`` keys with one hash (before a dict or set is
    built of them: that is where colliding keys cost quadratic time)."""
    if most is None or len(keys) <= most:
        return
    seen: dict[int, int] = {}
    for key in keys:
        h = hash(key)  # linear in the key; ints (the hashes) barely collide
        n = seen.get(h, 0) + 1
        if n > most:
            raise _fail("map or set keys whose hashes collide")
        seen[h] = n


def _pairs_checker(most: int):
    def pairs(items: list) -> dict:
        _check_collisions([k for k, _ in items], most)
        return dict(items)
    return pairs


def _build_frozenset(dec: _Decoder, f: list) -> frozenset:
    _check_keys(f)
    _check_collisions(f, dec.limits.max_key_collisions)
    return frozenset(f)


def _build_bytearray(dec: _Decoder, f: list) -> bytearray:
    if len(f) != 1 or type(f[0]) is not bytes:
        raise _fail("malformed bytearray")
    return bytearray(f[0])


def _build_partial(dec: _Decoder, f: list) -> functools.partial:
    if not f:
        raise _fail("malformed partial")
    return _partial(_resolve(dec.functions, f[0]), *f[1:])


def _build_exception(dec: _Decoder, f: list) -> BaseException:
    if len(f) < 2 or type(f[0]) is not str or not (f[1] is None or type(f[1]) is int):
        raise _fail("malformed exception")
    cls = GUEST_EXCEPTIONS.get(f[0])
    if cls is None:
        raise _fail(f"unknown exception class {f[0][:80]!r}")
    exc = cls(*f[2:])
    if f[1] is not None:
        exc._smvm_line = f[1]  # type: ignore[attr-defined]
    return exc


def _build_range(dec: _Decoder, f: list) -> range:
    if len(f) != 3 or set(map(type, f)) != {int}:
        raise _fail("malformed range")
    return range(*f)


# Builders of the mutable kinds, used when no ref can point at them.

def _build_set(dec: _Decoder, f: list) -> set:
    _check_collisions(f, dec.limits.max_key_collisions)
    return set(f)


def _build_cell(dec: _Decoder, f: list) -> Cell:
    if len(f) != 1:
        raise _fail("malformed cell")
    return Cell(f[0])


def _build_dict(dec: _Decoder, f: list) -> dict:
    if len(f) % 2:
        raise _fail("malformed dict")
    _check_collisions(f[::2], dec.limits.max_key_collisions)
    return dict(zip(f[::2], f[1::2]))


def _build_ref(dec: _Decoder, f: list) -> object:
    raise _fail("unexpected ref")       # refs and ``same`` take the walk


_BUILDERS: dict[int, Callable[[_Decoder, list], object]] = {
    REF: _build_ref, BIGINT: _build_bigint, TUPLE: _build_tuple, SET: _build_set,
    FROZENSET: _build_frozenset, BYTEARRAY: _build_bytearray, CELL: _build_cell,
    PARTIAL: _build_partial, EXCEPTION: _build_exception,
    RANGE: _build_range, DICT: _build_dict, SAME: _build_ref,
}


class _Decoder:
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
        if x and type(x[0]) is _Kind:
            self.built += 1
            return _BUILDERS[x[0].code](self, x[1:])
        return x

    # The walk, for states with refs: it numbers objects in the same order as
    # the encoder: a mutable one before its contents (so cycles resolve), an
    # immutable one once built.

    def dec(self, x: object, depth: int) -> object:
        t = type(x)
        if t in _FINAL or t in self.leaves:
            return x
        if depth >= self.max_depth:
            raise _fail(f"state nested more than {self.max_depth} levels deep")
        depth += 1
        if t is list:
            if x and type(x[0]) is _Kind:
                code = x[0].code
                walk = _WALKERS.get(code)
                if walk is not None:
                    return walk(self, x, depth)
                value = _BUILDERS[code](self, self.rest(x, depth))
                if code in _NUMBERED:
                    self.objs.append(value)
                return value
            self.objs.append(x)
            if set(map(type, x)) <= _FINAL:
                return x
            dec = self.dec
            # The unpacked list becomes the value itself; fix items in place.
            for i, item in enumerate(x):
                if type(item) not in _FINAL:
                    x[i] = dec(item, depth)
            return x
        if t is dict:
            self.objs.append(x)
            key_types = set(map(type, x))
            if not key_types <= _FINAL and not key_types - _FINAL <= self.leaves:
                raise _fail("map key of a non-scalar type")
            if set(map(type, x.values())) <= _FINAL:
                return x
            dec = self.dec
            for k, v in x.items():    # replacing values keeps the dict's size: safe
                if type(v) not in _FINAL:
                    x[k] = dec(v, depth)
            return x
        raise _fail(f"unexpected {t.__name__} in state")

    def rest(self, x: list, depth: int) -> list:
        dec = self.dec
        return [item if type(item) in _FINAL else dec(item, depth) for item in x[1:]]

    def walk_ref(self, x: list, depth: int) -> object:
        if len(x) != 2 or type(x[1]) is not int or not 0 <= x[1] < len(self.objs):
            raise _fail("reference to an object not yet defined")
        return self.objs[x[1]]

    def walk_same(self, x: list, depth: int) -> object:
        if len(x) < 2 or type(x[1]) is not int:
            raise _fail("malformed same")
        self.rest(x[1:], depth)         # for the objects defined inside
        if not 0 <= x[1] < len(self.objs):
            raise _fail("reference to an object not yet defined")
        return self.objs[x[1]]

    def walk_set(self, x: list, depth: int) -> set:
        s: set = set()
        self.objs.append(s)
        dec = self.dec
        items = [item if type(item) in _FINAL else dec(item, depth) for item in x[1:]]
        for item in items:
            if guestclasses.key_runs_guest_code(item):
                raise _fail("a set item whose hash would run SM code")
        _check_collisions(items, self.limits.max_key_collisions)
        s.update(items)
        return s

    def walk_bytearray(self, x: list, depth: int) -> bytearray:
        b = _build_bytearray(self, x[1:])
        self.objs.append(b)
        return b

    def walk_cell(self, x: list, depth: int) -> Cell:
        if len(x) != 2:
            raise _fail("malformed cell")
        c = Cell()
        self.objs.append(c)
        c.v = self.dec(x[1], depth)
        return c

    def walk_dict(self, x: list, depth: int) -> dict:
        if len(x) % 2 != 1:
            raise _fail("malformed dict")
        d: dict = {}
        self.objs.append(d)
        dec = self.dec
        if self.limits.max_key_collisions is not None:
            items = [dec(v, depth) for v in x[1:]]
            _check_keys(items[::2])
            _check_collisions(items[::2], self.limits.max_key_collisions)
            d.update(zip(items[::2], items[1::2]))
            return d
        for i in range(1, len(x), 2):
            k = dec(x[i], depth)
            if guestclasses.key_runs_guest_code(k):
                raise _fail("a dict key whose hash would run SM code")
            d[k] = dec(x[i + 1], depth)     # TypeError on an unhashable key: caught by loads
        return d


    def walk_instance(self, x: list, depth: int) -> object:
        if len(x) != 4 or type(x[1]) is not str or not x[1].startswith("class:"):
            raise _fail("malformed instance")
        cls = self.functions.get(x[1])
        if cls is None:
            raise _fail(f"unknown class {x[1][:80]!r}")
        obj = guestclasses.new_instance(cls)    # ValueError: caught by loads
        self.objs.append(obj)
        guestclasses.fill_instance(obj, self.dec(x[2], depth), self.dec(x[3], depth))
        return obj

    def walk_host(self, x: list, depth: int) -> object:
        if len(x) != 4 or type(x[1]) is not str:
            raise _fail("malformed value of a standard module")
        kind = x[1]
        obj = stdlib.new(kind, self.dec(x[2], depth), self.functions)  # ValueError: caught by loads
        after = kind in stdlib.BUILT_AFTER
        if not after:
            self.objs.append(obj)
        obj = stdlib.fill(obj, kind, self.dec(x[3], depth))
        if after:
            self.objs.append(obj)
        return obj

    def walk_method(self, x: list, depth: int) -> object:
        if len(x) != 3:
            raise _fail("malformed method")
        owner = self.dec(x[1], depth)
        fn = self.dec(x[2], depth)
        if type(fn) is not types.FunctionType or not (
                guestclasses.is_guest_class(owner) or guestclasses.is_guest_class(type(owner))):
            raise _fail("malformed method")
        method = types.MethodType(fn, owner)
        self.objs.append(method)
        return method

    def walk_closure(self, x: list, depth: int) -> types.FunctionType:
        if len(x) != 6 or type(x[2]) is not list or type(x[5]) is not list:
            raise _fail("malformed closure")
        target = self.functions.get(x[1]) if type(x[1]) is str else None
        if type(target) is not tuple or len(target) != 2 or type(target[0]) is not types.CodeType:
            raise _fail("closure reference names no code")
        code, namespace = target
        if len(x[2]) != len(code.co_freevars):
            raise _fail("closure has the wrong number of cells")
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
                raise _fail("malformed closure cell")
            cells.append(cell)
        fn = types.FunctionType(code, namespace, code.co_name, None, tuple(cells) or None)
        self.objs.append(fn)
        defaults = self.dec(x[3], depth)
        kwdefaults = self.dec(x[4], depth)
        if not (defaults is None or type(defaults) is tuple) or \
                not (kwdefaults is None or type(kwdefaults) is dict
                     and all(type(k) is str for k in kwdefaults)):
            raise _fail("malformed closure defaults")
        fn.__defaults__ = defaults
        fn.__kwdefaults__ = kwdefaults
        if len(x[5]) != len(new):
            raise _fail("malformed closure contents")
        for cell, item in zip(new, x[5]):
            if type(item) is list and len(item) == 1 and type(item[0]) is _Kind \
                    and item[0].code == UNBOUND:
                continue
            cell.cell_contents = self.dec(item, depth)
        return fn

    def walk_bound(self, x: list, depth: int) -> object:
        if len(x) != 4 or x[1] not in (0, 1) or type(x[3]) is not str \
                or x[3] not in _METHOD_NAMES:
            raise _fail("malformed method")
        if x[1] == 0:
            owner = _TYPES_BY_NAME.get(x[2]) if type(x[2]) is str else None
            if owner is None:
                raise _fail("method of an unknown type")
        else:
            owner = self.dec(x[2], depth)
            if type(owner) not in _TYPE_NAMES:
                raise _fail("method of an unsupported value")
        method = getattr(owner, x[3], None)
        if type(method) is not types.BuiltinMethodType:
            raise _fail(f"no method {x[3]!r} there")
        return method

    def walk_iterator(self, x: list, depth: int) -> object:
        if len(x) == 4 and x[1] in _POSITIONED_KINDS:
            owner = self.dec(x[2], depth)
            if type(owner) is not (set if x[1] == "set" else dict) or type(x[3]) is not int \
                    or not 0 <= x[3] <= len(owner):
                raise _fail("malformed container iterator")
            it = iter(owner if x[1] in ("set", "keys") else getattr(owner, x[1])())
            for _ in range(x[3]):
                next(it)
            self.objs.append(it)
            return it
        if len(x) != 4 or type(x[1]) is not str or x[1] not in _ITERATOR_MAKERS:
            raise _fail("malformed iterator")
        args = self.dec(x[2], depth)
        state = self.dec(x[3], depth)
        if type(args) is not list:
            raise _fail("malformed iterator")
        maker = _ITERATOR_MAKERS[x[1]]
        if x[1] in ("iter", "reversed"):
            if len(args) != 1 or type(args[0]) not in _SEQUENCES:
                raise _fail("malformed iterator source")
        elif x[1] in ("map", "filter"):
            if not args or not callable(args[0]) and not (x[1] == "filter" and args[0] is None):
                raise _fail("malformed iterator function")
            if not all(type(a) in _ITERATOR_TYPES for a in args[1:]):
                raise _fail("malformed iterator source")
        elif x[1] == "enumerate":
            if len(args) != 2 or type(args[0]) not in _ITERATOR_TYPES or type(args[1]) is not int:
                raise _fail("malformed enumerate")
        elif not all(type(a) in _ITERATOR_TYPES for a in args):  # zip
            raise _fail("malformed zip")
        it = maker(*args)
        if state is not None:
            if type(state) not in (int, bool):
                raise _fail("malformed iterator state")
            it.__setstate__(state)
        self.objs.append(it)
        return it

    def walk_view(self, x: list, depth: int) -> object:
        if len(x) != 3 or x[1] not in ("keys", "values", "items"):
            raise _fail("malformed dict view")
        owner = self.dec(x[2], depth)
        if type(owner) is not dict:
            raise _fail("malformed dict view")
        view = getattr(owner, x[1])()
        self.objs.append(view)
        return view

    def walk_unbound(self, x: list, depth: int) -> object:
        raise _fail("empty cell marker out of place")


_WALKERS: dict[int, Callable[[_Decoder, list, int], object]] = {
    REF: _Decoder.walk_ref, SET: _Decoder.walk_set, BYTEARRAY: _Decoder.walk_bytearray,
    CELL: _Decoder.walk_cell, DICT: _Decoder.walk_dict, SAME: _Decoder.walk_same,
    CLOSURE: _Decoder.walk_closure, BOUND: _Decoder.walk_bound,
    ITERATOR: _Decoder.walk_iterator, VIEW: _Decoder.walk_view, UNBOUND: _Decoder.walk_unbound,
    INSTANCE: _Decoder.walk_instance, METHOD: _Decoder.walk_method, HOST: _Decoder.walk_host,
}
#: Immutable kinds numbered once built (the others are values).
_NUMBERED = frozenset({TUPLE, FROZENSET, PARTIAL, EXCEPTION})


def _refuse_guest_keys(keys) -> None:
    for k in keys:
        if guestclasses.key_runs_guest_code(k):
            raise _Unencodable(f"cannot carry an instance of {type(k).__name__!r} with its own "
                               "__hash__ or __eq__ as a dict key or set item")


def _check_keys(keys) -> None:
    """Refuse dict keys and set items whose hashing would run SM code."""
    for k in keys:
        if guestclasses.key_runs_guest_code(k):
            raise _fail("a dict key or set item whose hash would run SM code "
                        f"(an instance of {type(k).__name__!r} with its own __hash__ or __eq__)")


#: Below this many bytes a marked state is built by walking the unpacked tree.
_SMALL_STATE = 16 * 1024


def loads(data: bytes, *, functions: Mapping[str, object] | None = None,
          limits: CodecLimits = _DEFAULT_LIMITS) -> object:
    """Rebuild a value serialised by ``dumps``.

    ``functions`` maps reference strings back to function objects. Any problem
    with ``data`` raises ``StateDecodeError``, whatever it is.
    """
    if functions is None:
        functions = _EMPTY
    try:
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                raise _fail(f"expected bytes, got {type(data).__name__}")
            data = bytes(data)
        if len(data) > limits.max_bytes:
            raise _fail(f"state of {len(data)} bytes exceeds the limit of {limits.max_bytes}")
        options = _options(limits, len(data))
        if limits.max_key_collisions is not None:
            options = {**options, "object_pairs_hook": _pairs_checker(limits.max_key_collisions)}
        if len(data) > limits.max_objects:
            # Every msgpack object takes at least one byte, so only an input
            # longer than the object limit can exceed it: count while
            # unpacking, before the objects fill memory.
            hooks = _Unpacking(limits, True, functions)
            if "object_pairs_hook" in options:
                checked = options["object_pairs_hook"]

                def counted_pairs(items: list) -> dict:
                    return hooks.object_hook(checked(items))
                options = {**options, "object_pairs_hook": counted_pairs}
            else:
                options = {**options, "object_hook": hooks.object_hook}
            tree = msgpack.unpackb(data, ext_hook=hooks.ext_hook, list_hook=hooks.list_hook,
                                   **options)
        else:
            hooks = _Unpacking(limits, False, functions)
            tree = msgpack.unpackb(data, ext_hook=hooks.ext_hook, **options)
        leaves = hooks.leaves
        found = _survey(tree, limits.max_depth, leaves)
        if not found:
            # Plain lists, dicts, scalars, scalar tuples and functions, fresh
            # and unshared: the value itself.
            return tree
        dec = _Decoder(functions, limits, leaves)
        if found == 2 or len(data) < _SMALL_STATE:
            # Refs: walk the tree, numbering objects as the encoder did. (Small
            # states take the walk too: cheaper than a second unpacking.)
            return dec.dec(tree, 0)
        # No ref: unpack again, building the kinds bottom-up. Each marker must
        # start an array; one anywhere else makes the counts differ.
        hooks = _Unpacking(limits, False, functions)
        tree = msgpack.unpackb(data, ext_hook=hooks.tallied_ext_hook, list_hook=dec.list_hook,
                               **options)
        if dec.built != hooks.markers:
            raise _fail("marker out of place")
        return tree
    except StateDecodeError:
        raise
    except RecursionError:
        raise StateDecodeError("state nested too deeply") from None
    except MemoryError:
        raise StateDecodeError("state too large for memory") from None
    except Exception as e:  # noqa: BLE001 - whatever msgpack or a constructor raises
        text = str(e)
        if len(text) > 200:
            text = text[:197] + "..."
        raise StateDecodeError(f"malformed state: {type(e).__name__}: {text}") from None
