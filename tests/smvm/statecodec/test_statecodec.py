"""Tests of the SM state codec: round trips, identity, limits, hostile input."""
from __future__ import annotations

import collections
import enum
import functools
import math
import random
import re

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smvm.errors import StateDecodeError, StateEncodeError
from smvm.statecodec import (
    BIGINT,
    BYTEARRAY,
    CELL,
    DICT,
    EXCEPTION,
    FROZENSET,
    FUNCTION,
    PARTIAL,
    RANGE,
    REF,
    SAME,
    SET,
    TUPLE,
    CodecLimits,
    dumps,
    loads,
)
from smvm.values import GUEST_EXCEPTIONS, Cell


def helper(*args):
    return args


def other_helper(*args):
    return len(args)


ENC_FUNCS = {id(helper): "f1a2:helper", id(other_helper): "f1a2:other_helper"}
DEC_FUNCS = {"f1a2:helper": helper, "f1a2:other_helper": other_helper}


def roundtrip(value, **kw):
    return loads(dumps(value, functions=ENC_FUNCS), functions=DEC_FUNCS, **kw)


def canon(x):
    """A comparable form that tells bool/int/float apart and sees NaN, -0.0, Cells."""
    t = type(x)
    if t is float:
        return ("float", repr(x))
    if t in (type(None), bool, int, str, bytes, bytearray, range):
        return (t.__name__, x if t is not bytearray else bytes(x))
    if t in (list, tuple):
        return (t.__name__, tuple(canon(i) for i in x))
    if t is dict:
        return ("dict", tuple((canon(k), canon(v)) for k, v in x.items()))
    if t in (set, frozenset):
        return (t.__name__, frozenset(canon(i) for i in x))
    if t is Cell:
        return ("Cell", canon(x.v))
    if t is functools.partial:
        return ("partial", x.func, tuple(canon(a) for a in x.args))
    if isinstance(x, BaseException):
        return (t.__name__, tuple(canon(a) for a in x.args))
    return ("other", x)


def assert_same(a, b):
    assert canon(a) == canon(b)


def marker(code: int) -> msgpack.ExtType:
    return msgpack.ExtType(code, b"")


def pack(obj) -> bytes:
    return msgpack.packb(obj)


# --- round trips -----------------------------------------------------------------

SCALARS = [
    None, True, False, 0, 1, -1, 2**63 - 1, 2**63, 2**64 - 1, -(2**63),
    0.0, -0.0, 1.5, float("inf"), float("-inf"), 1e308,
    "", "text", "ünïcødé ✓", "\ud800 lone surrogate", b"", b"\x00\xff", bytearray(b"abc"),
]

VALUES = SCALARS + [
    [], [1, "a", None], (), (1,), (1, (2, (3,))), {}, {"a": 1, "b": [2]},
    {7: "int key", 2.5: "float key", None: "none", True: "bool", b"k": "bytes"},
    {(1, 2): "tuple key", frozenset({3}): "frozenset key"},
    set(), {1, 2, 3}, {(1, 2), (3, 4)}, frozenset(), frozenset({"a", (1, frozenset({2}))}),
    range(0), range(10), range(-5, 100, 7), range(2**70, 2**71, 2**65),
    Cell(), Cell(5), Cell([1, 2]), Cell(Cell("nested")),
    [(1, 2), {3}, Cell(1)],
    2**64, -(2**63) - 1, 2**200, -(2**200), 10**4299, -(10**4299) + 1,
    {"big": [2**100, (2**100,)]},
]


# Ids by position: the repr of a set depends on the hash seed, and parallel runs must
# collect the same ids.
@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_roundtrip_every_supported_type(value):
    assert_same(roundtrip(value), value)


def test_nan_roundtrips():
    out = roundtrip([float("nan"), (float("nan"),)])
    assert math.isnan(out[0]) and math.isnan(out[1][0])


def test_bool_int_float_are_told_apart():
    value = [True, 1, 1.0, False, 0, 0.0, (True, 1), {"t": True, "o": 1}, {True: "x"}, {1: "y"}]
    out = roundtrip(value)
    assert [type(v) for v in out[:6]] == [bool, int, float, bool, int, float]
    assert type(out[6][0]) is bool and type(out[6][1]) is int
    assert type(out[7]["t"]) is bool and type(out[7]["o"]) is int
    assert type(next(iter(out[8]))) is bool and type(next(iter(out[9]))) is int


def test_dict_order_is_kept():
    keys = ["z", "a", "m", "b"]
    value = {k: i for i, k in enumerate(keys)}
    assert list(roundtrip(value)) == keys
    odd = {(3,): 1, (1,): 2, (2,): 3}          # pair form
    assert list(roundtrip(odd)) == [(3,), (1,), (2,)]


def test_sets_of_tuples_and_tuple_keys():
    value = {"s": {(1, "a"), (2, "b")}, "d": {(1, 2): [3], ("x", (4,)): {5}}}
    out = roundtrip(value)
    assert out == value and type(out["s"]) is set


def test_bytearray_stays_bytearray():
    out = roundtrip({"b": bytearray(b"xy"), "k": b"xy"})
    assert type(out["b"]) is bytearray and type(out["k"]) is bytes


def test_buffer_inputs_are_accepted():
    data = dumps([1, 2])
    assert loads(bytearray(data)) == [1, 2]
    assert loads(memoryview(data)) == [1, 2]


def test_big_int_digit_limit():
    assert roundtrip(7**100_000) == 7**100_000  # ~84,500 digits travel
    with pytest.raises(StateEncodeError, match="digits"):
        dumps(1 << 3_400_000)                    # over ~1,000,000 digits
    small = CodecLimits(max_int_digits=20)
    assert loads(dumps(10**20 - 1), limits=small) == 10**20 - 1
    with pytest.raises(StateDecodeError, match="digits"):
        loads(dumps(10**30), limits=small)
    with pytest.raises(StateDecodeError, match="digits"):
        loads(dumps([-(10**30)]), limits=small)
    # A payload far too long is refused before any arithmetic.
    with pytest.raises(StateDecodeError):
        loads(pack([marker(BIGINT), b"\x01" * 500_000]))


# --- identity ---------------------------------------------------------------------

def test_shared_list_between_locals():
    a = []
    frames = [{"locals": {"a": a, "b": a}}]
    out = roundtrip(frames)
    assert out[0]["locals"]["a"] is out[0]["locals"]["b"]
    out[0]["locals"]["a"].append(1)
    assert out[0]["locals"]["b"] == [1]


def test_list_containing_itself():
    a = [1]
    a.append(a)
    out = roundtrip(a)
    assert out[1] is out and out[0] == 1


def test_dict_containing_a_list_twice():
    shared = [1, 2]
    d = {"x": shared, "y": shared, "z": [1, 2]}
    out = roundtrip(d)
    assert out["x"] is out["y"] and out["z"] is not out["x"] and out["z"] == [1, 2]


def test_mutual_cycle_through_dicts():
    a, b = {}, {}
    a["b"], b["a"] = b, a
    out = roundtrip([a, b])
    assert out[0]["b"] is out[1] and out[1]["a"] is out[0]


def test_cell_cycle_through_partial():
    # A recursive closure: the cell holds a partial that holds the same cell.
    c = Cell()
    c.v = functools.partial(helper, c, 7)
    out = roundtrip({"f": c.v, "c": c})
    assert out["c"].v.args[0] is out["c"]
    assert out["f"].args[0] is out["c"] and out["f"].args[1] == 7 and out["f"].func is helper


def test_shared_set_bytearray_cell_and_dict():
    s, b, c, d = {1}, bytearray(b"x"), Cell(0), {"k": 1}
    out = roundtrip([s, b, c, d, (s, b, c, d)])
    for i in range(4):
        assert out[i] is out[4][i]


def test_set_reached_through_its_own_item():
    """Only an item hashed by its address could lead back to its set (a
    partial here), and no set of an SM holds one (``smvm.setmembers``)."""
    s: set = set()
    c = Cell(s)
    s.add(functools.partial(helper, c))
    with pytest.raises(StateDecodeError, match="a set holding a 'partial' value"):
        roundtrip(s)


def test_shared_list_inside_tuple_and_exception():
    shared = [1]
    out = roundtrip([shared, (shared,), ValueError(shared)])
    assert out[1][0] is out[0] and out[2].args[0] is out[0]


def test_shared_immutables_keep_identity():
    inner = [1]
    t = (inner, inner)
    e = ValueError("x")
    p = functools.partial(helper, inner)
    fs = frozenset({(1, (2,))})
    out = roundtrip({"t": t, "again": t, "pair": [e, e], "p": [p, p], "fs": (fs, fs)})
    assert out["t"] is out["again"] and out["t"][0] is out["t"][1]
    assert out["pair"][0] is out["pair"][1]
    assert out["p"][0] is out["p"][1] and out["p"][0].args[0] is out["t"][0]
    assert out["fs"][0] is out["fs"][1]


def test_tuples_of_scalars_are_values():
    t = (1, "a")
    out = roundtrip([t, t, (), ()])
    assert out == [t, t, (), ()] and all(type(v) is tuple for v in out)


def test_tuple_in_a_cycle_through_a_list():
    items: list = []
    t = (items, 5)
    items.append(t)
    out = roundtrip([t, items])
    assert out[0] is out[1][0] and out[0][0] is out[1]
    exc = KeyError(items)
    items.append(exc)
    out = roundtrip(exc)
    assert out.args[0][1] is out and out.args[0][0][0] is out.args[0]


def test_tuple_dag_is_carried_by_reference():
    t: tuple = ([],)
    for _ in range(60):
        t = (t, t)
    data = dumps(t)
    assert len(data) < 2000
    out = loads(data)
    for _ in range(60):
        assert out[0] is out[1]
        out = out[0]


# --- functions, partials, exceptions -------------------------------------------------

def test_functions_and_partials_via_the_mappings():
    p = functools.partial(helper, 1, [2], Cell("c"))
    out = roundtrip({"f": helper, "g": other_helper, "p": p})
    assert out["f"] is helper and out["g"] is other_helper
    assert out["p"].func is helper and out["p"]() == (1, [2], out["p"].args[2])


def test_unknown_function_is_refused_on_encode():
    def local():
        pass
    with pytest.raises(StateEncodeError, match="local"):
        dumps([local], functions=ENC_FUNCS)
    with pytest.raises(StateEncodeError, match="unknown function"):
        dumps([functools.partial(local, 1)], functions=ENC_FUNCS)
    with pytest.raises(StateEncodeError):
        dumps([helper])                        # no mapping at all


def test_partial_with_keywords_is_refused():
    with pytest.raises(StateEncodeError, match="keyword"):
        dumps({"p": functools.partial(helper, 1, x=2)}, functions=ENC_FUNCS)


def test_unknown_function_reference_is_refused_on_decode():
    data = dumps([helper], functions=ENC_FUNCS)
    with pytest.raises(StateDecodeError, match="unknown function"):
        loads(data, functions={})
    with pytest.raises(StateDecodeError):
        loads(data)
    with pytest.raises(StateDecodeError):
        loads(pack([marker(FUNCTION), 5]), functions=DEC_FUNCS)


@pytest.mark.parametrize("name", sorted(GUEST_EXCEPTIONS))
def test_guest_exceptions_roundtrip(name):
    cls = GUEST_EXCEPTIONS[name]
    out = roundtrip([cls("message", 3)])
    assert type(out[0]) is cls and out[0].args == ("message", 3)


def test_other_exceptions_are_refused():
    class Custom(ValueError):
        pass
    with pytest.raises(StateEncodeError, match="Custom"):
        dumps([Custom("x")])
    with pytest.raises(StateEncodeError, match="OSError"):
        dumps([OSError("x")])


def test_unknown_exception_name_is_refused_on_decode():
    with pytest.raises(StateDecodeError, match="exception"):
        loads(pack([marker(EXCEPTION), "SystemExit", 1]))


# --- values that cannot travel ---------------------------------------------------------

class Colour(enum.IntEnum):
    RED = 1


class MyList(list):
    pass


class MyStr(str):
    pass


UNSUPPORTED = [
    ((i for i in []), "generator"), (iter(int, 1), "callable_iterator"), (math, "module"),
    (int, "type"), (object(), "object"), (collections.ChainMap(), "ChainMap"),
    (MyList(), "MyList"), (MyStr("s"), "MyStr"), (Colour.RED, "Colour"), (1j, "complex"),
    (memoryview(b"x"), "memoryview"), (msgpack.ExtType(1, b""), "ExtType"),
    (slice(1), "slice"), (print, "print"),
]


@pytest.mark.parametrize(("value", "name"), UNSUPPORTED, ids=lambda v: type(v).__name__)
def test_unsupported_values_name_type_and_place(value, name):
    state = [{"locals": {"n": 1}}, {"locals": {"ok": [1, 2], "m": value}}]
    with pytest.raises(StateEncodeError) as err:
        dumps(state)
    assert name in str(err.value)
    assert "(at [1]['locals']['m'])" in str(err.value)


def test_error_message_shape():
    with pytest.raises(StateEncodeError) as err:
        dumps([0, {"locals": {"m": (i for i in [])}}])
    assert str(err.value) == "cannot carry a value of type 'generator' (at [1]['locals']['m'])"


def test_error_paths_through_other_containers():
    bad = (i for i in [])
    cases = [
        ((1, bad), "[1]"), (Cell(bad), ".v"), ({(1, bad): 2}, "<key #0>[1]"),
        ({"a": 1, 5: bad}, "[5]"), (functools.partial(helper, 0, bad), ".args[1]"),
        (bad, "the top level"),
    ]
    for value, where in cases:
        with pytest.raises(StateEncodeError) as err:
            dumps(value, functions=ENC_FUNCS)
        assert f"(at {where})" in str(err.value), str(err.value)


def test_unsupported_dict_key_types_are_refused():
    with pytest.raises(StateEncodeError, match="MyStr"):
        dumps({MyStr("k"): 1})


# --- limits ---------------------------------------------------------------------------

def nest(depth: int, leaf=None, kind=list):
    value = leaf
    for _ in range(depth):
        value = kind([value]) if kind is not dict else {"k": value}
    return value


@pytest.mark.parametrize("kind", [list, dict])
def test_depth_limit_on_decode(kind):
    limits = CodecLimits(max_depth=10)
    assert loads(dumps(nest(10, kind=kind)), limits=limits) == nest(10, kind=kind)
    with pytest.raises(StateDecodeError, match="deep"):
        loads(dumps(nest(11, kind=kind)), limits=limits)


def test_depth_limit_with_markers_and_refs():
    limits = CodecLimits(max_depth=10)
    shared = [0]
    marked = nest(9, leaf=(1,))                      # tuples: marker arrays
    with_ref = nest(8, leaf=[shared, shared])        # refs: the walk
    loads(dumps(marked), limits=limits)
    loads(dumps(with_ref), limits=limits)
    with pytest.raises(StateDecodeError, match="deep"):
        loads(dumps(nest(10, leaf=(1,))), limits=limits)
    with pytest.raises(StateDecodeError, match="deep"):
        loads(dumps(nest(9, leaf=[shared, shared])), limits=limits)


@pytest.mark.parametrize("extra", [None, (1,), "shared", "cell"])
def test_encoder_depth_limit_matches_decoder(extra):
    def build(depth):
        shared = [1]
        leaf = {None: None, (1,): (1,), "shared": [shared, shared], "cell": Cell(2)}[extra]
        return nest(depth, leaf=leaf)
    # 200 wire levels in all: the leaf's own arrays count.
    own = {None: 0, (1,): 1, "shared": 2, "cell": 1}[extra]
    ok = build(200 - own)
    assert_same(loads(dumps(ok)), ok)
    with pytest.raises(StateEncodeError, match="deep") as err:
        dumps(build(201 - own))
    assert len(str(err.value)) < 200      # a long path is abbreviated


def test_deeply_nested_hostile_input():
    data = b"\x91" * 5000 + b"\xc0"
    with pytest.raises(StateDecodeError):
        loads(data)
    with pytest.raises(StateDecodeError):
        loads(b"\x91" * 300 + b"\xc0")


def test_object_limit():
    limits = CodecLimits(max_objects=50)
    loads(dumps(list(range(40))), limits=limits)
    with pytest.raises(StateDecodeError, match="objects|exceeds"):
        loads(dumps(list(range(60))), limits=limits)
    with pytest.raises(StateDecodeError):
        loads(dumps([[]] * 30), limits=limits)     # 30 distinct empty lists
    with pytest.raises(StateDecodeError):
        loads(dumps({i: (i,) for i in range(30)}), limits=limits)
    with pytest.raises(StateDecodeError, match="objects"):
        loads(dumps([tuple(range(40)), tuple(range(40))]), limits=limits)  # scalar tuple items
    # Long but with few objects: counted, and accepted.
    assert loads(dumps({"k": "x" * 100}), limits=CodecLimits(max_objects=5)) == {"k": "x" * 100}


def test_string_and_bytes_limits():
    limits = CodecLimits(max_str_len=8)
    assert loads(dumps(["12345678", b"12345678"]), limits=limits)
    for value in ["123456789", b"123456789", bytearray(b"123456789")]:
        with pytest.raises(StateDecodeError):
            loads(dumps([value]), limits=limits)


def test_input_size_limit():
    data = dumps("x" * 100)
    assert loads(data, limits=CodecLimits(max_bytes=len(data))) == "x" * 100
    with pytest.raises(StateDecodeError, match="bytes"):
        loads(data, limits=CodecLimits(max_bytes=len(data) - 1))


def test_hostile_size_claims():
    for data in [b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff",
                 b"\xc6\xff\xff\xff\xff", b"\xc9\xff\xff\xff\xff\x01"]:
        with pytest.raises(StateDecodeError):
            loads(data)


# --- malformed input --------------------------------------------------------------------

MALFORMED = [
    b"", b"\xc1", b"\x92\x01", b"\x01\x02",                       # empty, bad, short, trailing
    "not bytes", None, 5,
    pack(marker(TUPLE)),                                         # marker outside an array
    pack([1, marker(TUPLE)]),                                    # marker not first
    pack({"k": marker(TUPLE)}), pack({"k": [1, marker(CELL)]}),
    pack([[marker(TUPLE), 1], marker(TUPLE)]),
    pack(msgpack.ExtType(TUPLE, b"x")),                          # marker with payload
    pack([msgpack.ExtType(99, b"")]), pack([msgpack.ExtType(12, b"")]),
    b"\xd6\xff\x00\x00\x00\x01",                                  # timestamp ext
    b"\x92\x01\xd6\xff\x00\x00\x00\x01", b"\x81\xa1k\xd6\xff\x00\x00\x00\x01",
    b"\x81\xd6\xff\x00\x00\x00\x01\x01",                              # timestamps inside
    b"\x91\xc7\x02\x0c\x90\x90", b"\x91\xc7\x01\x0c\x01",                  # bad ext 12 payloads
    pack(msgpack.ExtType(12, pack([[1]]))), pack(msgpack.ExtType(12, pack({"a": 1}))),
    pack(msgpack.ExtType(12, pack([msgpack.ExtType(2, b"")]))),
    pack([marker(REF), 0]), pack([[], [marker(REF), 2]]),        # refs to nothing
    pack([[], [marker(REF), -1]]), pack([[], [marker(REF), "0"]]),
    pack([marker(CELL)]), pack([marker(CELL), 1, 2]),
    pack([marker(DICT), 1]), pack([marker(DICT), [], 1]),        # odd, unhashable key
    pack([marker(DICT), [marker(REF), 0], 1]),
    pack([marker(RANGE), 1, 2]), pack([marker(RANGE), 1, 2, 0]), pack([marker(RANGE), 1, 2, 1.0]),
    pack([marker(RANGE), True, 2, 1]),
    pack([marker(BIGINT), 5]), pack([marker(BIGINT)]), pack([marker(BYTEARRAY), "s"]),
    pack([marker(PARTIAL)]), pack([marker(EXCEPTION)]), pack([marker(EXCEPTION), 3]),
    pack([marker(SET), [1]]),                                    # set of a list
    pack([marker(FROZENSET), {}]),                               # frozenset of a dict
    pack({(1, 2): 3}),                                           # array as map key
    pack([[marker(REF), 0], [marker(SET), [marker(REF), 0]]]),
    pack([marker(SAME), 0, 1]), pack([[], [marker(SAME)]]), pack([[], [marker(SAME), "0", 1]]),
    pack([[], [marker(SAME), 5, 1]]),
]


@pytest.mark.parametrize("data", MALFORMED, ids=repr)
def test_malformed_input_raises_decode_error_only(data):
    with pytest.raises(StateDecodeError):
        loads(data, functions=DEC_FUNCS)


@pytest.mark.parametrize("bad", [
    [marker(TUPLE), 1, marker(TUPLE)], [marker(CELL)], [marker(CELL), 1, 2], [marker(DICT), 1],
    [marker(DICT), [], 1], [marker(BYTEARRAY), 1], [marker(RANGE), 1], {"k": marker(SET)},
])
def test_marker_errors_in_both_decoding_paths(bad):
    # With and without a ref elsewhere (the walk, or the bottom-up build).
    for prefix in ([], [[], [marker(REF), 0]]):
        with pytest.raises(StateDecodeError):
            loads(pack([*prefix, bad]))
        assert loads(pack([*prefix, [marker(TUPLE), 1, [2]]]))[-1] == (1, [2])


# --- properties -------------------------------------------------------------------------

_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.integers(-100, 100)
    | st.floats(allow_nan=True) | st.text(max_size=8)
    | st.text(st.characters(codec=None, min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2)
    | st.binary(max_size=8)
)
_hashables = st.recursive(_scalars, lambda c: st.tuples(c, c) | st.frozensets(c, max_size=3),
                          max_leaves=6)
_values = st.recursive(
    _scalars,
    lambda c: (st.lists(c, max_size=5) | st.tuples(c, c) | st.dictionaries(_hashables, c, max_size=4)
               | st.sets(_hashables, max_size=4) | st.frozensets(_hashables, max_size=3)
               | st.builds(bytearray, st.binary(max_size=4)) | st.builds(Cell, c)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_random_nested_values_roundtrip(value):
    assert_same(roundtrip(value), value)


@settings(max_examples=100, deadline=None)
@given(_values, st.data())
def test_random_sharing_roundtrips(value, data):
    # Reuse one mutable object at several random places of a list of slots.
    shared = [value]
    slots = data.draw(st.lists(st.sampled_from(["shared", "copy", "cell"]), min_size=2, max_size=6))
    cell = Cell(shared)
    state = [shared if s == "shared" else cell if s == "cell" else [value] for s in slots]
    out = roundtrip(state)
    firsts = [o for o, s in zip(out, slots, strict=True) if s == "shared"]
    assert all(o is firsts[0] for o in firsts)
    cells = [o for o, s in zip(out, slots, strict=True) if s == "cell"]
    assert all(c is cells[0] for c in cells)
    if firsts and cells:
        assert cells[0].v is firsts[0]
    assert_same(out[0] if slots[0] != "cell" else out[0].v, shared)


# --- fuzzing ------------------------------------------------------------------------------

def _corpus() -> list[bytes]:
    shared = [1, "s"]
    c = Cell()
    c.v = functools.partial(helper, c, shared)
    values = [
        None, 0, -1, 2**64, 2**100, 1.5, "text", b"bytes", [], {}, [1, [2, [3]]],
        {"a": 1, "b": [True, None], "c": {"d": b"x"}}, (1, (2,)), {1, 2}, frozenset({3}),
        {(1, 2): "k", 3: 4}, range(1, 5), bytearray(b"ba"), Cell(5), helper,
        functools.partial(other_helper, 1), KeyError("k"), [shared, shared, (shared,)],
        {"frames": [{"locals": {"c": c, "f": c.v, "l": [1.5, "x"]}}]},
    ]
    return [dumps(v, functions=ENC_FUNCS) for v in values]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        pos = rng.randint(0, len(b))
        if op == 0 and b:                            # flip bits
            i = min(pos, len(b) - 1)
            b[i] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(256)
        elif op == 1:                                # insert
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        elif op == 2 and b:                          # delete
            del b[pos:pos + rng.randint(1, 3)]
        else:                                        # truncate
            del b[pos:]
    return bytes(b)


def _check_decode_only_raises_decode_error(data: bytes) -> None:
    try:
        value = loads(data, functions=DEC_FUNCS)
    except StateDecodeError:
        return
    # Whatever decodes is made of carriable values and can be sent on again.
    dumps(value, functions=ENC_FUNCS)


def test_fuzz_random_bytes():
    rng = random.Random(1234)
    for _ in range(20_000):
        n = rng.choice((1, 2, 3, 5, 8, 16, 40))
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, n)))
        if rng.random() < 0.5 and data:
            # Bias towards arrays and our markers so the decoder gets exercised.
            data = rng.choice((b"\x92", b"\x93\xc7\x00", b"\x94\xc7\x00\x0b", b"\x91")) + data
        _check_decode_only_raises_decode_error(data)


def test_fuzz_mutated_encodings():
    rng = random.Random(5678)
    corpus = _corpus()
    decoded = 0
    for _ in range(20_000):
        data = _mutate(rng, rng.choice(corpus))
        try:
            value = loads(data, functions=DEC_FUNCS)
        except StateDecodeError:
            continue
        decoded += 1
        dumps(value, functions=ENC_FUNCS)
    assert decoded > 100        # mutants do reach the deeper decoding paths


def test_builtin_iterators_travel_with_their_position_and_source():
    source = [1, 2, 3, 4]
    it = iter(source)
    next(it)
    en = enumerate(source, 10)
    next(en)
    rev = reversed(source)
    next(rev)
    zipped = zip(source, range(3))
    mapped = map(str, source)
    d = {"a": 1, "b": 2}
    state = [source, it, en, rev, zipped, mapped, d.keys(), d.items(), iter(d), iter("xyz")]
    funcs = {id(str): "builtin:str"}
    out = loads(dumps(state, functions=funcs), functions={"builtin:str": str})
    src2, it2, en2, rev2, zipped2, mapped2, keys2, items2, dit2, sit2 = out
    src2.append(5)                      # the iterators still read the shared list
    assert list(it2) == [2, 3, 4, 5]
    assert next(en2) == (11, 2)
    assert list(rev2) == [3, 2, 1]
    assert list(zipped2) == [(1, 0), (2, 1), (3, 2)]
    assert list(mapped2) == ["1", "2", "3", "4", "5"]
    assert list(keys2) == ["a", "b"] and list(items2) == [("a", 1), ("b", 2)]
    assert list(dit2) == ["a", "b"] and list(sit2) == ["x", "y", "z"]


def test_a_range_loop_travels_on_the_fast_path_as_the_full_encoder_sends_it(monkeypatch):
    """``for i in range(n)`` keeps a range iterator in the frame: a state
    holding one is packed by msgpack in C, byte for byte what the full
    encoder writes, and comes back at its position."""
    import smvm.statecodec as codec
    from smvm.statecodec._encoder import encode_tree

    full = []
    monkeypatch.setattr(codec, "encode_tree", lambda *a: full.append(a) or encode_tree(*a))
    loop = iter(range(5, 500, 7))
    next(loop), next(loop)
    done = iter(range(3))
    list(done)
    state = {"frames": [["main:1", 1, {"i": 19, "_t1": loop, "gaps": [0.5, 1.5]}]],
             "other": [done, iter(range(0))]}
    blob = dumps(state)
    assert full == []  # the fast path took it
    assert blob == encode_tree(state, {})
    back = loads(blob)
    assert list(back["frames"][0][2]["_t1"]) == list(range(19, 500, 7))
    assert [list(it) for it in back["other"]] == [[], []]
    dumps([loop, loop])
    assert len(full) == 1  # held twice: the full encoder keeps it one object


def test_a_range_iterator_held_twice_stays_one_iterator():
    loop = iter(range(10))
    next(loop)
    a, b = loads(dumps([loop, loop]))
    assert a is b and next(a) == 1 and next(b) == 2


def test_a_range_loop_decodes_without_the_walk(monkeypatch):
    """A range iterator is built while msgpack unpacks, so a state that
    holds one and shares nothing comes back without the Python walk; one
    with refs still numbers it where the walk would have."""
    from smvm.statecodec._decoder import Decoder

    walked = []
    real_dec = Decoder.dec
    monkeypatch.setattr(Decoder, "dec", lambda self, x, d: walked.append(1) or real_dec(self, x, d))
    loop = iter(range(5, 500, 7))
    next(loop), next(loop)
    back = loads(dumps({"frames": [["main:1", 1, {"_it1": loop, "gaps": [0.5]}]]}))
    assert walked == []
    assert list(back["frames"][0][2]["_it1"]) == list(range(19, 500, 7))
    # refs after it: the ids the encoder gave stay right
    shared, other = [1], iter(range(3))
    a, b, c, d, e = loads(dumps([loop, shared, shared, other, loop]))
    assert walked and a is e and b is c and list(d) == [0, 1, 2] and next(a) == 19
    # a big state takes the bottom-up build: the iterator is built there too
    big = {"rows": [[i, float(i)] for i in range(3000)], "it": iter(range(10, 20)), "set": {1, 2}}
    before = len(walked)
    back = loads(dumps(big))
    assert len(walked) == before
    assert list(back["it"]) == list(range(10, 20)) and back["rows"] == big["rows"]
    assert back["set"] == {1, 2}


def test_a_malformed_range_iterator_is_refused_as_before():
    loop = dumps([iter(range(4))])
    zero_step = loop.replace(b"\x94\xc7\x00\x0a\x00\x04\x01", b"\x94\xc7\x00\x0a\x00\x04\x00")
    assert zero_step != loop
    with pytest.raises(StateDecodeError):
        loads(zero_step)
    not_int = loop.replace(b"\x94\xc7\x00\x0a\x00\x04\x01", b"\x94\xc7\x00\x0a\x00\x04\xc0")
    with pytest.raises(StateDecodeError):
        loads(not_int)


def test_bound_methods_of_plain_values_travel_bound_to_the_same_object():
    data = {"k": 1}
    items = [1]
    state = [data, data.get, items.append, bytes.fromhex]
    out = loads(dumps(state))
    data2, get2, append2, fromhex2 = out
    data2["j"] = 5
    assert get2("j") == 5
    append2(2)
    assert fromhex2("41") == b"A"
    with pytest.raises(StateEncodeError, match="method"):
        dumps([{}.__getitem__])


def test_closures_travel_with_shared_cells_and_defaults():
    def outer():
        count = 0
        box = Cell(0)

        def inc(step=1):
            nonlocal count
            count += step
            box.v += step
            return count, box.v
        return inc, box
    inc, box = outer()
    inc()
    code = inc.__code__
    refs = {id(code): "code:inc"}
    table = {"code:inc": (code, globals())}
    inc2, box2 = loads(dumps([inc, box], functions=refs), functions=table)
    assert inc2(2) == (3, 3)
    assert box2.v == 3                  # the Cell is shared with the closure
    assert inc2.__defaults__ == (1,)
    with pytest.raises(StateDecodeError):
        loads(dumps([inc, box], functions=refs), functions={"code:inc": (code, globals()),
                                                             "x": 1} | {"code:inc": 5})


def test_exceptions_carry_the_line_they_were_raised_at():
    try:
        raise ValueError("boom")
    except ValueError as exc:
        caught = exc
    line = caught.__traceback__.tb_lineno
    again = loads(dumps(caught))
    assert type(again) is ValueError and again.args == ("boom",)
    assert again._smvm_line == line


# --- function references (ext 7, resolved while unpacking) -------------------------------

def test_function_references_in_every_decoding_path():
    shared = [1]
    plain = {"f": helper, "l": [other_helper, helper], "t": (helper, 1)}
    assert roundtrip(plain) == plain
    out = roundtrip([shared, shared, helper, {"g": other_helper}])     # the walk (refs)
    assert out[0] is out[1] and out[2] is helper and out[3]["g"] is other_helper
    big = [[helper, (other_helper, [i])] for i in range(5000)]         # bottom-up, no refs
    data = dumps(big, functions=ENC_FUNCS)
    assert len(data) > 16 * 1024
    out = loads(data, functions=DEC_FUNCS)
    assert out[4999][0] is helper and out[4999][1] == (other_helper, [4999])
    assert roundtrip({helper: 1}) == {helper: 1}                        # a function as key
    assert roundtrip(functools.partial(helper, 2)).func is helper


def test_function_reference_is_a_leaf():
    # What a reference resolves to is never looked into (a namespace that
    # travels by name holds functions the tree must not be checked for).
    import types as _types
    ns = _types.SimpleNamespace(f=helper, d={"x": [1]})
    data = dumps([ns, ns], functions={id(ns): "module:ns"})
    out = loads(data, functions={"module:ns": ns})
    assert out == [ns, ns] and out[0] is ns


def test_function_reference_cannot_name_plain_data():
    # A VM's table holds (code, namespace) pairs for closures: a plain
    # reference must never hand such an entry (or any plain value) to the SM.
    table = {"code:main:1": (helper.__code__, {"secret": 1}), "d": {"a": 1}, "l": [1], "s": "x"}
    for ref in table:
        for value in ([msgpack.ExtType(FUNCTION, ref.encode())],
                      {"k": msgpack.ExtType(FUNCTION, ref.encode())},
                      [[], [marker(REF), 0], msgpack.ExtType(FUNCTION, ref.encode())],
                      [marker(PARTIAL), ref, 1]):
            with pytest.raises(StateDecodeError):
                loads(pack(value), functions=table)


@pytest.mark.parametrize("payload", [b"", b"\xff\xfe", b"f1a2:nothing", b"x" * 1000])
def test_bad_function_reference_payloads(payload):
    with pytest.raises(StateDecodeError):
        loads(pack([msgpack.ExtType(FUNCTION, payload)]), functions=DEC_FUNCS)
    with pytest.raises(StateDecodeError):   # no ext inside a scalar tuple
        loads(pack(msgpack.ExtType(12, pack([msgpack.ExtType(FUNCTION, b"f1a2:helper")]))),
              functions=DEC_FUNCS)


def test_same_state_same_bytes_with_functions():
    value = {"a": [helper, (1, "x")], "b": {"c": other_helper}}
    assert dumps(value, functions=ENC_FUNCS) == dumps(value, functions=dict(ENC_FUNCS))



def test_the_format_table_lists_every_code():
    """Every ext code the codec uses is a row of the table in its format module."""
    from smvm.statecodec import format as fmt
    codes = {value for name, value in vars(fmt).items()
             if name.isupper() and type(value) is int and name not in ("INT_MIN", "INT_MAX")}
    rows = [int(m.group(1)) for m in re.finditer(r"^(\d+) +[a-zA-Z]", fmt.__doc__, re.MULTILINE)]
    assert rows == sorted(codes) == list(range(len(codes)))
