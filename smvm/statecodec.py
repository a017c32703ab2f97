"""Graph-preserving serialiser for the values a smart message carries.

The state of a running SM (its frames' locals, module data) travels between
nodes as one msgpack object. Plain data is packed by msgpack itself, in C:

* None, bool, float, str, bytes and ints that fit 64 bits are msgpack scalars;
* a ``list`` is a msgpack array, a ``dict`` whose keys are all such scalars is a
  msgpack map (insertion order kept).

Every other kind is a msgpack array whose first item is a *marker*: an ext
value with an empty payload whose code names the kind. The rest of the array
holds the kind's fields, themselves encoded the same way:

====  ==========  ==============================================================
code  kind        array after the marker
====  ==========  ==============================================================
0     ref         object id (uint): a mutable object already met (shared/cycle)
1     big int     bin: two's complement, big endian (ints beyond 64 bits)
2     tuple       items
3     set         items
4     frozenset   items
5     bytearray   bin: the contents
6     Cell        the cell's value
7     function    str: the function's reference string
8     partial     str: the function's reference string, then the bound args
9     exception   str: class name in ``GUEST_EXCEPTIONS``, then the args
10    range       start, stop, step
11    dict        key, value, key, value... (dicts with non-scalar keys)
====  ==========  ==============================================================

Identity: mutable objects (list, dict, set, bytearray, Cell) are numbered 0, 1,
2... in the order a depth-first, left-to-right walk first meets them, a
container being numbered before its contents. Encoder and decoder walk in the
same order, so a later occurrence is just ``[ref, id]`` and shared objects and
cycles come back as they were. Immutable values carry no identity.

Decoding takes bytes from the network: every problem raises
``StateDecodeError`` and nothing else, sizes are bounded by ``CodecLimits``,
and nothing is ever unpickled or evaluated.
"""
from __future__ import annotations

import functools
import gc
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import msgpack

from .errors import StateDecodeError, StateEncodeError
from .values import GUEST_EXCEPTIONS, Cell

__all__ = ["CodecLimits", "dumps", "loads"]


@dataclass(frozen=True)
class CodecLimits:
    """Bounds applied while decoding untrusted state."""

    max_bytes: int = 16 * 1024 * 1024      # input size
    max_depth: int = 200                    # nesting depth of containers
    max_objects: int = 1_000_000            # total containers + scalars decoded
    max_str_len: int = 8 * 1024 * 1024      # one str/bytes
    max_int_digits: int = 4300              # decimal digits of a big int


_DEFAULT_LIMITS = CodecLimits()

# Ext codes of the markers (see the module docstring).
REF, BIGINT, TUPLE, SET, FROZENSET, BYTEARRAY, CELL, FUNCTION, PARTIAL, EXCEPTION, RANGE, DICT = (
    range(12))

_NoneType = type(None)
#: Types msgpack packs and unpacks exactly, with no help. ``int`` is only safe
#: within 64 bits: the encoder first assumes it is and starts over in careful
#: mode (ints checked one by one) if msgpack overflows.
_FAST_SCALARS = frozenset({_NoneType, bool, int, float, str, bytes})
_CAREFUL_SCALARS = frozenset({_NoneType, bool, float, str, bytes})
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1


@functools.lru_cache(maxsize=8)
def _digit_bound(digits: int) -> int:
    return 10 ** digits


# --- encoding -------------------------------------------------------------------

_M = {code: msgpack.ExtType(code, b"") for code in range(12)}
_M_REF, _M_BIGINT, _M_TUPLE, _M_SET, _M_FROZENSET, _M_BYTEARRAY = (_M[c] for c in range(6))
_M_CELL, _M_FUNCTION, _M_PARTIAL, _M_EXCEPTION, _M_RANGE, _M_DICT = (_M[c] for c in range(6, 12))


class _Unencodable(Exception):
    """Raised deep in the walk; containers prepend their step to ``path`` as it
    unwinds, so the path costs nothing unless something fails."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def describe(self) -> str:
        where = "".join(reversed(self.path)) or "the top level"
        return f"{self.message} (at {where})"


def _key_step(key: object) -> str:
    text = repr(key)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"[{text}]"


class _Encoder:
    __slots__ = ("memo", "functions", "scalars", "budget", "max_depth", "max_digits")

    def __init__(self, functions: Mapping[int, str] | None, careful: bool):
        self.memo: dict[int, int] = {}
        self.functions = functions if functions is not None else {}
        self.scalars = _CAREFUL_SCALARS if careful else _FAST_SCALARS
        # Immutable containers are not memoised, so a DAG of tuples could
        # expand exponentially; count their visits to stop that early.
        self.budget = _DEFAULT_LIMITS.max_objects
        self.max_depth = _DEFAULT_LIMITS.max_depth
        self.max_digits = _DEFAULT_LIMITS.max_int_digits

    def enc(self, x: object, depth: int) -> object:
        t = type(x)
        scalars = self.scalars
        if t in scalars:
            return x
        if t is int:                    # careful mode only
            return self.enc_int(x, depth)
        if depth >= self.max_depth:
            raise _Unencodable(f"state nested more than {self.max_depth} levels deep")
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
                    return x            # msgpack packs it as is
                out: list = []
                append = out.append
                try:
                    for item in x:
                        append(item if type(item) in scalars else enc(item, depth))
                except _Unencodable as e:
                    e.path.append(f"[{len(out)}]")
                    raise
                return out
            if set(map(type, x)) <= scalars:
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
            out = [_M_DICT]
            try:
                for k, v in x.items():
                    out.append(enc(k, depth))
                    out.append(enc(v, depth))
            except _Unencodable as e:
                # An odd length means the key failed, an even one its value.
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

    def spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _Unencodable(
                f"state holds more than {_DEFAULT_LIMITS.max_objects} objects once expanded")

    def remember(self, x: object) -> int | None:
        """Number a mutable object; return its id if it was met before."""
        memo = self.memo
        oid = memo.get(id(x))
        if oid is None:
            memo[id(x)] = len(memo)
        return oid

    def enc_int(self, x: int, depth: int) -> object:
        if _INT_MIN <= x <= _INT_MAX:
            return x
        if depth >= self.max_depth:
            raise _Unencodable(f"state nested more than {self.max_depth} levels deep")
        # log2(10) > 3.32: a cheap necessary condition before the exact test.
        if x.bit_length() > 3.32 * self.max_digits and abs(x) >= _digit_bound(self.max_digits):
            raise _Unencodable(f"int with more than {self.max_digits} digits")
        return [_M_BIGINT, x.to_bytes(x.bit_length() // 8 + 1, "big", signed=True)]

    def enc_tuple(self, x: tuple, depth: int) -> list:
        self.spend()
        if set(map(type, x)) <= self.scalars:
            return [_M_TUPLE, *x]
        return self.items(_M_TUPLE, x, depth)

    def enc_set(self, x: set, depth: int) -> list:
        oid = self.remember(x)
        if oid is not None:
            return [_M_REF, oid]
        return self.items(_M_SET, x, depth, "{{item #{}}}")

    def enc_frozenset(self, x: frozenset, depth: int) -> list:
        self.spend()
        return self.items(_M_FROZENSET, x, depth, "{{item #{}}}")

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
        self.spend()
        return [_M_RANGE, self.enc(x.start, depth), self.enc(x.stop, depth),
                self.enc(x.step, depth)]

    def enc_partial(self, x: functools.partial, depth: int) -> list:
        self.spend()
        if x.keywords:
            raise _Unencodable("cannot carry a partial with keyword arguments")
        ref = self.functions.get(id(x.func))
        if ref is None:
            raise _Unencodable(f"cannot carry unknown function {_name_of(x.func)!r} in a partial")
        out = self.items(_M_PARTIAL, x.args, depth, ".args[{}]")
        out.insert(1, ref)
        return out

    def other(self, x: object, t: type, depth: int) -> object:
        ref = self.functions.get(id(x))
        if ref is not None:
            return [_M_FUNCTION, ref]
        if isinstance(x, BaseException) and GUEST_EXCEPTIONS.get(t.__name__) is t:
            self.spend()
            out = self.items(_M_EXCEPTION, x.args, depth, ".args[{}]")
            out.insert(1, t.__name__)
            return out
        if isinstance(x, _FUNCTION_TYPES):
            raise _Unencodable(f"cannot carry unknown function {_name_of(x)!r}")
        raise _Unencodable(f"cannot carry a value of type {t.__name__!r}")


_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _name_of(f: object) -> str:
    return getattr(f, "__qualname__", None) or type(f).__name__


_ENCODERS: dict[type, Callable[[_Encoder, object, int], object]] = {
    int: _Encoder.enc_int,           # careful mode only; fast mode packs ints directly
    tuple: _Encoder.enc_tuple,
    set: _Encoder.enc_set,
    frozenset: _Encoder.enc_frozenset,
    bytearray: _Encoder.enc_bytearray,
    Cell: _Encoder.enc_cell,
    range: _Encoder.enc_range,
    functools.partial: _Encoder.enc_partial,
}


def _plain_tree(root: list | dict) -> bool:
    """True if only lists, dicts and scalars hang below ``root``, none twice.

    Such a value needs no markers: msgpack can pack it as it is. The walk goes
    level by level, letting ``gc.get_referents`` list the items of a whole
    level in one C call (a list's items, a dict's values and its non-str keys),
    so the Python work per item is one type test. Scalars other than msgpack's
    own exact types are caught by the strict packer, not here.
    """
    seen = {id(root)}
    level = [root]
    referents = gc.get_referents
    for depth in range(1, _DEFAULT_LIMITS.max_depth + 1):
        level = [v for v in referents(*level) if type(v) is list or type(v) is dict]
        if not level:
            return True
        if depth == _DEFAULT_LIMITS.max_depth:
            return False        # too deep: the full encoder says so
        n = len(seen)
        seen.update(map(id, level))
        if len(seen) != n + len(level):
            return False        # shared or cyclic: needs refs
    return False                # pragma: no cover - the loop always returns


class _NotPlain(Exception):
    pass


def _not_plain(obj: object) -> object:
    raise _NotPlain


def dumps(value: object, *, functions: Mapping[int, str] | None = None) -> bytes:
    """Serialise ``value`` (SM state) to bytes, keeping shared mutable objects shared.

    ``functions`` maps ``id(function)`` to the reference string under which the
    receiving node can find that function. Raises ``StateEncodeError`` naming
    the type and place of the first value that cannot be carried.
    """
    out = None
    t = type(value)
    if (t is list or t is dict) and _plain_tree(value):
        # Fast path for the common case. strict_types sends anything but exact
        # msgpack types (tuple keys, subclasses, other objects) to _not_plain;
        # ints beyond 64 bits and lone surrogates raise too.
        try:
            out = msgpack.packb(value, strict_types=True, default=_not_plain)
        except (_NotPlain, OverflowError, UnicodeEncodeError):
            pass
    if out is None:
        try:
            try:
                out = msgpack.packb(_Encoder(functions, False).enc(value, 0))
            except (OverflowError, UnicodeEncodeError):
                # Rare: an int beyond 64 bits, or a str holding lone surrogates.
                # Start over checking every int, with a packer that passes surrogates.
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
    """What the decoder's ext hook returns for a marker."""

    __slots__ = ("code",)

    def __init__(self, code: int):
        self.code = code


_KINDS = {code: _Kind(code) for code in range(12)}
_SCALARS = _FAST_SCALARS


def _check_depth(tree: object, max_depth: int) -> None:
    """Raise unless the plain tree ``tree`` nests less than ``max_depth`` deep.

    Level by level, as ``_plain_tree``; a fresh tree from msgpack has only
    scalars (never tracked by the garbage collector), lists (always tracked)
    and dicts (tracked once they hold a container), so ``gc.is_tracked``
    finds exactly the containers worth descending into.
    """
    if type(tree) is not list and type(tree) is not dict:
        return
    if max_depth <= 0:
        raise _fail("state nested more than 0 levels deep")
    level = [tree]
    referents = gc.get_referents
    is_tracked = gc.is_tracked
    for _ in range(1, max_depth):
        level = list(filter(is_tracked, referents(*level)))
        if not level:
            return
    # ``level`` holds the containers at depth max_depth - 1: they must be leaves.
    if any(type(v) is list or type(v) is dict for v in referents(*level)):
        raise _fail(f"state nested more than {max_depth} levels deep")


class _Decoder:
    __slots__ = ("objs", "functions", "max_depth", "limits", "marked")

    def __init__(self, functions: Mapping[str, object] | None, limits: CodecLimits):
        self.marked = False
        self.objs: list = []
        self.functions = functions if functions is not None else {}
        self.max_depth = limits.max_depth
        self.limits = limits

    def ext_hook(self, code: int, data: bytes) -> _Kind:
        if data:
            raise StateDecodeError(f"marker {code} with a payload")
        kind = _KINDS.get(code)
        if kind is None:
            raise StateDecodeError(f"unknown ext code {code}")
        self.marked = True
        return kind

    def dec(self, x: object, depth: int) -> object:
        t = type(x)
        if t in _SCALARS:
            return x
        if depth >= self.max_depth:
            raise _fail(f"state nested more than {self.max_depth} levels deep")
        depth += 1
        if t is list:
            if x and type(x[0]) is _Kind:
                return _DECODERS[x[0].code](self, x, depth)
            self.objs.append(x)
            if set(map(type, x)) <= _SCALARS:
                return x
            dec = self.dec
            # The unpacked list becomes the value itself; fix items in place.
            for i, item in enumerate(x):
                if type(item) not in _SCALARS:
                    x[i] = dec(item, depth)
            return x
        if t is dict:
            self.objs.append(x)
            if not set(map(type, x)) <= _SCALARS:
                raise _fail("map key of a non-scalar type")
            if set(map(type, x.values())) <= _SCALARS:
                return x
            dec = self.dec
            for k, v in x.items():    # replacing values keeps the dict's size: safe
                if type(v) not in _SCALARS:
                    x[k] = dec(v, depth)
            return x
        raise _fail(f"unexpected {t.__name__} in state")

    def rest(self, x: list, depth: int, start: int = 1) -> list:
        dec = self.dec
        return [item if type(item) in _SCALARS else dec(item, depth) for item in x[start:]]

    def dec_ref(self, x: list, depth: int) -> object:
        if len(x) != 2 or type(x[1]) is not int or not 0 <= x[1] < len(self.objs):
            raise _fail("reference to an object not yet defined")
        return self.objs[x[1]]

    def dec_bigint(self, x: list, depth: int) -> int:
        digits = self.limits.max_int_digits
        if len(x) != 2 or type(x[1]) is not bytes:
            raise _fail("malformed big int")
        # 256**n > 10**(2.4n): bound the size before doing any arithmetic.
        if len(x[1]) > digits * 0.42 + 2:
            raise _fail(f"int with more than {digits} digits")
        n = int.from_bytes(x[1], "big", signed=True)
        if abs(n) >= _digit_bound(digits):
            raise _fail(f"int with more than {digits} digits")
        return n

    def dec_tuple(self, x: list, depth: int) -> tuple:
        return tuple(self.rest(x, depth))

    def dec_set(self, x: list, depth: int) -> set:
        s: set = set()
        self.objs.append(s)     # numbered before its items, as when encoding
        dec = self.dec
        for item in x[1:]:
            s.add(item if type(item) in _SCALARS else dec(item, depth))
        return s

    def dec_frozenset(self, x: list, depth: int) -> frozenset:
        return frozenset(self.rest(x, depth))

    def dec_bytearray(self, x: list, depth: int) -> bytearray:
        if len(x) != 2 or type(x[1]) is not bytes:
            raise _fail("malformed bytearray")
        b = bytearray(x[1])
        self.objs.append(b)
        return b

    def dec_cell(self, x: list, depth: int) -> Cell:
        if len(x) != 2:
            raise _fail("malformed cell")
        c = Cell()
        self.objs.append(c)
        c.v = self.dec(x[1], depth)
        return c

    def function(self, ref: object) -> object:
        if type(ref) is not str:
            raise _fail("malformed function reference")
        f = self.functions.get(ref)
        if f is None:
            raise _fail(f"unknown function reference {ref[:80]!r}")
        return f

    def dec_function(self, x: list, depth: int) -> object:
        if len(x) != 2:
            raise _fail("malformed function")
        return self.function(x[1])

    def dec_partial(self, x: list, depth: int) -> functools.partial:
        if len(x) < 2:
            raise _fail("malformed partial")
        return functools.partial(self.function(x[1]), *self.rest(x, depth, 2))

    def dec_exception(self, x: list, depth: int) -> BaseException:
        if len(x) < 2 or type(x[1]) is not str:
            raise _fail("malformed exception")
        cls = GUEST_EXCEPTIONS.get(x[1])
        if cls is None:
            raise _fail(f"unknown exception class {x[1][:80]!r}")
        return cls(*self.rest(x, depth, 2))

    def dec_range(self, x: list, depth: int) -> range:
        if len(x) != 4:
            raise _fail("malformed range")
        bounds = self.rest(x, depth)
        if set(map(type, bounds)) != {int}:
            raise _fail("malformed range")
        return range(*bounds)

    def dec_dict(self, x: list, depth: int) -> dict:
        if len(x) % 2 != 1:
            raise _fail("malformed dict")
        d: dict = {}
        self.objs.append(d)
        dec = self.dec
        for i in range(1, len(x), 2):
            k = dec(x[i], depth)
            d[k] = dec(x[i + 1], depth)     # TypeError on an unhashable key: caught by loads
        return d


_DECODERS: dict[int, Callable[[_Decoder, list, int], object]] = {
    REF: _Decoder.dec_ref, BIGINT: _Decoder.dec_bigint, TUPLE: _Decoder.dec_tuple,
    SET: _Decoder.dec_set, FROZENSET: _Decoder.dec_frozenset,
    BYTEARRAY: _Decoder.dec_bytearray, CELL: _Decoder.dec_cell,
    FUNCTION: _Decoder.dec_function, PARTIAL: _Decoder.dec_partial,
    EXCEPTION: _Decoder.dec_exception, RANGE: _Decoder.dec_range, DICT: _Decoder.dec_dict,
}


def _unpack_options(limits: CodecLimits) -> dict:
    return dict(
        raw=False, strict_map_key=False, unicode_errors="surrogatepass",
        max_str_len=limits.max_str_len, max_bin_len=limits.max_str_len,
        max_array_len=limits.max_objects, max_map_len=limits.max_objects, max_ext_len=0,
    )


_DEFAULT_OPTIONS = _unpack_options(_DEFAULT_LIMITS)


class _Counter:
    """Counts objects while msgpack unpacks, for inputs big enough to matter."""

    __slots__ = ("left",)

    def __init__(self, limit: int):
        self.left = limit

    def list_hook(self, x: list) -> list:
        self.left -= len(x)
        if self.left < 0:
            raise StateDecodeError("too many objects")
        return x

    def object_hook(self, x: dict) -> dict:
        self.left -= 2 * len(x)
        if self.left < 0:
            raise StateDecodeError("too many objects")
        return x


def loads(data: bytes, *, functions: Mapping[str, object] | None = None,
          limits: CodecLimits = _DEFAULT_LIMITS) -> object:
    """Rebuild a value serialised by ``dumps``.

    ``functions`` maps reference strings back to function objects. Any problem
    with ``data`` raises ``StateDecodeError``, whatever it is.
    """
    try:
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise _fail(f"expected bytes, got {type(data).__name__}")
            data = bytes(data)
        if len(data) > limits.max_bytes:
            raise _fail(f"state of {len(data)} bytes exceeds the limit of {limits.max_bytes}")
        options = _DEFAULT_OPTIONS if limits is _DEFAULT_LIMITS else _unpack_options(limits)
        if len(data) > limits.max_objects:
            # Every msgpack object takes at least one byte, so only an input
            # longer than the object limit can exceed it: count those while
            # unpacking, before they fill memory.
            counter = _Counter(limits.max_objects - 1)
            options = dict(options, list_hook=counter.list_hook,
                           object_hook=counter.object_hook)
        decoder = _Decoder(functions, limits)
        tree = msgpack.unpackb(data, ext_hook=decoder.ext_hook, **options)
        if decoder.marked:
            return decoder.dec(tree, 0)
        # No marker anywhere: msgpack built plain lists, dicts and scalars, none
        # shared, exactly the value. Only the depth remains to be checked.
        _check_depth(tree, limits.max_depth)
        return tree
    except StateDecodeError:
        raise
    except RecursionError:
        raise StateDecodeError("state nested too deeply") from None
    except MemoryError:
        raise StateDecodeError("state too large for memory") from None
    except Exception as e:  # anything msgpack or a constructor may raise
        text = str(e)
        if len(text) > 200:
            text = text[:197] + "..."
        raise StateDecodeError(f"malformed state: {type(e).__name__}: {text}") from None
