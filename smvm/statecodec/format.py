"""The state format: kind codes, the complete code table, limits, markers.

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
3     set         the items, sorted (see ``in_order``)
4     frozenset   the items, sorted
5     bytearray   bin: the contents
6     Cell        the cell's value
7     function    not a marker: its payload is the reference string (UTF-8)
                  of a function or other object that travels by name
8     partial     str: the function's reference string, then the bound args
9     exception   str: class name in ``GUEST_EXCEPTIONS``, the brick line it
                  was raised at (int or nil), then the args
10    range       start, stop, step
11    dict        key, value, key, value... (a dict with other keys)
12    scalar      not a marker: its payload is the items of a tuple of scalars
      tuple       packed as one msgpack array
13    same        object id, then the fields of a tuple, frozenset, partial,
                  exception, iterator, view or method that turned out to be
                  that object (see below)
14    closure     str: the reference of the function's code ("code:..."), the
                  cells (true: a new cell, numbered here; uint: the id of a
                  cell met before), the defaults, the keyword defaults, then
                  the contents of the new cells (``[unbound]`` for an empty one)
15    bound       a builtin method of a plain value or type: 0 and the type's
                  name, or 1 and the value; then the method's name
16    iterator    a builtin iterator: the constructor's name ("iter",
                  "reversed", "enumerate", "zip", "map", "filter"), its args
                  (a list) and its ``__setstate__`` state (or nil); or, for a
                  dict or set iterator, "keys", "values", "items" or "set",
                  the container and the number of items already taken
17    view        "keys", "values" or "items", then the dict
18    unbound     no fields: the contents of an empty closure cell (valid
                  only there)
19    instance    str: the class reference ("class:..."), the attributes (a
                  dict), then an exception's args (a list; nil for others)
20    method      a guest function bound to a guest instance or class: the
                  owner, then the function
21    host        a value of a standard module (deque, Random, namedtuple,
                  ...): its kind, a header that makes the empty value, then
                  its contents (see ``smvm.stdlib.reduce``)
====  ==========  ==============================================================

Identity: the objects with one (list, dict, set, bytearray, Cell, guest
instances, closures and their cells, and the non-scalar tuples, frozensets,
partials, exceptions, iterators, views and methods) are numbered 0, 1, 2...
in the order a depth-first, left-to-right walk of the encoding meets them: a
mutable one before its contents, so that cycles resolve; an immutable one once
built, after its contents. A later occurrence of the same object is just
``[ref, id]``, so shared objects and cycles come back as they were. An
immutable object can only be part of a cycle through a mutable one; the walk
then meets it again while encoding its contents, numbers that inner copy, and
sends the outer one as ``same``: the decoder decodes its fields (which define
the objects in them) and uses the numbered object. Scalars and tuples of
scalars are values and carry no identity. A closure numbers its new cells,
then itself, before its defaults and cell contents.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

import msgpack

__all__ = ["CodecLimits", "UNTRUSTED_LIMITS", "DEFAULT_LIMITS",
           "REF", "BIGINT", "TUPLE", "SET", "FROZENSET", "BYTEARRAY", "CELL", "FUNCTION",
           "PARTIAL", "EXCEPTION", "RANGE", "DICT", "SCALAR_TUPLE", "SAME", "CLOSURE", "BOUND",
           "ITERATOR", "VIEW", "UNBOUND", "INSTANCE", "METHOD", "HOST", "MARKER_CODES"]


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
#: For encoding (what a node may send) and for decoding its own state.
DEFAULT_LIMITS = CodecLimits()

# Ext codes (the table above).
REF, BIGINT, TUPLE, SET, FROZENSET, BYTEARRAY, CELL, FUNCTION, PARTIAL, EXCEPTION, RANGE, DICT = (
    range(12))
SCALAR_TUPLE = 12     # not a marker: its payload holds the items
SAME = 13
CLOSURE, BOUND, ITERATOR, VIEW, UNBOUND = 14, 15, 16, 17, 18
INSTANCE, METHOD = 19, 20   # a guest class's instance; a method bound to one
HOST = 21                   # a value of a standard module (deque, Random, ...)
#: The codes that are markers (FUNCTION and SCALAR_TUPLE carry a payload).
MARKER_CODES = (*range(FUNCTION), *range(FUNCTION + 1, 12), SAME, CLOSURE, BOUND, ITERATOR,
                VIEW, UNBOUND, INSTANCE, METHOD, HOST)

NoneType = type(None)
#: Types msgpack packs and unpacks exactly, with no help. ``int`` is safe only
#: within 64 bits: encoders assume it is and start over more carefully when
#: msgpack overflows.
SCALARS = frozenset({NoneType, bool, int, float, str, bytes})
CAREFUL_SCALARS = SCALARS - {int}
SCALAR_KEYS = SCALARS | {tuple}
INT_MIN, INT_MAX = -(1 << 63), (1 << 64) - 1


# --- markers and the two payload exts, as the encoders write them ------------------

_M = [msgpack.ExtType(code, b"") for code in range(12)]
M_REF, M_BIGINT, M_TUPLE, M_SET, M_FROZENSET, M_BYTEARRAY = _M[:6]
M_CELL, M_FUNCTION, M_PARTIAL, M_EXCEPTION, M_RANGE, M_DICT = _M[6:]
M_SAME = msgpack.ExtType(SAME, b"")
M_CLOSURE, M_BOUND, M_ITERATOR, M_VIEW, M_UNBOUND, M_INSTANCE, M_METHOD, M_HOST = (
    msgpack.ExtType(code, b"") for code in (CLOSURE, BOUND, ITERATOR, VIEW, UNBOUND, INSTANCE,
                                            METHOD, HOST))
# ExtType's own constructor validates in Python; ours are valid by construction.
_new_ext = functools.partial(tuple.__new__, msgpack.ExtType)


def tuple_packer() -> msgpack.Packer:
    """A packer for the payloads of scalar tuples."""
    # A small buffer: a fresh Packer (as msgpack.packb makes) allocates 256 KiB,
    # which costs page faults when done inside another pack call.
    return msgpack.Packer(buf_size=256)


def function_ext(ref: str) -> msgpack.ExtType:
    """Ext 7 for an object that travels by name: the payload is the name."""
    return _new_ext((FUNCTION, ref.encode()))


def scalar_tuple(t: tuple, packer: msgpack.Packer) -> msgpack.ExtType:
    """Ext 12 for a tuple of scalars (big ints, lone surrogates: msgpack raises)."""
    return _new_ext((SCALAR_TUPLE, packer.pack(t)))


def scalar_keys(dicts: list[dict]) -> bool:
    """True if every key of ``dicts`` is a scalar or a tuple of scalars (a map)."""
    kinds = set(map(type, chain.from_iterable(dicts)))
    if kinds <= SCALARS:
        return True
    if not kinds <= SCALAR_KEYS:
        return False
    return all(set(map(type, k)) <= SCALARS
               for d in dicts for k in d if type(k) is tuple)


def in_order(items: set | frozenset) -> list:
    """A set's items in an order that does not depend on string hashing (which
    differs from process to process), so the same state gives the same bytes."""
    try:
        return sorted(items)
    except TypeError:  # items of different kinds
        return sorted(items, key=lambda item: (type(item).__name__, repr(item)))


#: No functions: what ``dumps`` and ``loads`` use when given none.
EMPTY: Mapping = {}
