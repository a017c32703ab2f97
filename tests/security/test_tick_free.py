"""Attacks on the functions that take no fuel tick of their own
(``smvm.compiler._tick_free``): a leaf runs only where guest code calls it
by name, and calls no other leaf. Fan-out call bombs, recursion, leaves
handed to C code (``sorted``/``map``/``min`` keys, ``starmap``), rebinding
tricks, methods reached through ``getattr``/``methodcaller``/bound methods,
and forged continuations naming a leaf: each ends at its budget (or is
refused), and the node serves a normal SM afterwards."""
from __future__ import annotations

import msgpack
import pytest

from sim.testing import feed, pair, shuttle
from smvm import compile_brick
from smvm.vm import FORMAT_VERSION

from ._attack import assert_core_still_serves, assert_exec_still_serves, exec_sm


def fan_out(depth: int) -> str:
    """f0 is a leaf; each f<k> calls f<k-1> twice: 2**depth calls."""
    lines = ["def f0():\n    return 1\n"]
    for k in range(1, depth + 1):
        lines.append(f"def f{k}():\n    return f{k - 1}() + f{k - 1}()\n")
    lines.append(f"def main():\n    return f{depth}()\n")
    return "\n".join(lines)


LEAF = '''
import itertools
from itertools import starmap, repeat


def leaf(x):
    return x + 1


class Box:
    def __init__(self):
        self.v = 0

    def bump(self):
        self.v += 1
        return self.v

'''

ATTACKS = {
    "fan_out": fan_out(40),
    "recursion": "def down(n):\n    return down(n + 1) + down(n + 2)\n\n"
                 "def main():\n    return down(0)\n",
    "sorted_key": LEAF + "def main():\n    return sorted(range(10**7), key=leaf)[0]\n",
    "map_drained": LEAF + "def main():\n    return sum(map(leaf, repeat(1, 10**12)))\n",
    "min_key": LEAF + "def main():\n    return min(repeat(1, 10**12), key=leaf)\n",
    "rebound": LEAF + "ALIAS = leaf\n\ndef main():\n"
                      "    return sum(map(ALIAS, repeat(1, 10**12)))\n",
    "default_arg": LEAF + "def main(f=leaf):\n    return sum(map(f, repeat(1, 10**12)))\n",
    "bound_method": LEAF + "def main():\n    b = Box()\n"
                           "    return sum(starmap(b.bump, repeat((), 10**12)))\n",
    "getattr_method": LEAF + "def main():\n    b = Box()\n"
                             "    return sum(starmap(getattr(b, 'bu' + 'mp'), repeat((), 10**12)))\n",
    "methodcaller": LEAF + "from operator import methodcaller\n\ndef main():\n"
                           "    return sum(map(methodcaller('bump'), repeat(Box(), 10**12)))\n",
    "class_function": LEAF + "def main():\n    b = Box()\n"
                             "    return sum(map(Box.bump, repeat(b, 10**12)))\n",
    "leaf_loop_calls": LEAF + "def main():\n    t = 0\n    b = Box()\n    while True:\n"
                              "        t = leaf(t) + b.bump() + leaf(t)\n",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_work_through_leaves_ends_at_its_budget(name) -> None:
    res = exec_sm(ATTACKS[name], fuel=300_000)
    assert res.error is not None
    if name == "recursion":
        assert res.error.type in ("FuelExhausted", "RecursionLimit"), res.error
    else:
        assert res.error.type == "FuelExhausted", res.error
        assert res.fuel == 300_000
    assert_exec_still_serves()


def test_the_leaves_the_attacks_count_on_are_leaves_or_tick() -> None:
    """The attacks above reach the functions as values: those keep their
    tick; where they are only called by name they are leaves."""
    plain = compile_brick(LEAF + "def main():\n    return leaf(1) + Box().bump()\n", "plain.py")
    assert {fid.split(":")[0] for fid in plain.tick_free} == {"leaf", "Box.bump"}
    for name in ("rebound", "default_arg", "sorted_key", "map_drained", "min_key"):
        assert not any(f.startswith("leaf:") for f in compile_brick(ATTACKS[name]).tick_free)
    for name in ("bound_method", "getattr_method", "methodcaller", "class_function"):
        assert not any(f.startswith("Box.bump:") for f in compile_brick(ATTACKS[name]).tick_free)
    fan = compile_brick(ATTACKS["fan_out"])
    assert {fid.split(":")[0] for fid in fan.tick_free} == {"f0"}


MIGRATING = LEAF + ("def use():\n    return leaf(1) + Box().bump()\n\n"
                    "def main():\n    x = use()\n    sys_migrate('b')\n    return x\n")


@pytest.mark.parametrize("target", ["fn:leaf", "code:leaf", "fn:Box.bump", "code:Box.bump"])
def test_a_forged_continuation_naming_a_leaf_is_refused(target) -> None:
    """A leaf is never a value, so no honest state holds one; a state that
    names one (to hand it to C code after the hop) is refused."""
    from smvm import wire
    from smvm.statecodec.format import M_CLOSURE, function_ext
    a, b = pair()
    a.inject(MIGRATING, [], 0.0)
    shuttle(a, b)
    brick = b.cache.bricks()[0]
    leaf = next(f for f in brick.tick_free if f.startswith(target.split(":")[1] + ":"))
    fid = next(f for f in brick.functions if f.startswith("main"))
    kind, _, _ = target.partition(":")
    # a module function or method travels by name; a nested one as its
    # code's name plus cells (a closure over a leaf's code)
    item = function_ext(f"fn:{leaf}") if kind == "fn" else \
        [M_CLOSURE, f"code:{leaf}", [], None, None, []]
    state = msgpack.packb({"v": FORMAT_VERSION, "brick": brick.hash, "entry": "main",
                           "frames": [[fid, 1, {"x": item}]], "globals": {},
                           "defaults": {}, "request": {"kind": "migrate", "target": "b"},
                           "fuel": 0})
    transfer = wire.Transfer(b"h" * 16, "a/9", {"sm_id": "a/9", "family": "a/9", "origin": "a"},
                             state, (), b"")
    answers = feed(b, transfer, link="a")
    assert [type(x).__name__ for x in answers] == ["Reject"]
    assert_core_still_serves(b)


def test_an_honest_state_naming_a_function_that_ticks_still_travels() -> None:
    """The refusal is for leaves only: a function that is a value travels."""
    source = LEAF + "def main():\n    f = leaf\n    sys_migrate('1')\n    return f(1)\n"
    res = exec_sm(source)
    assert res.error is None and res.result == 2


def test_a_function_called_with_a_migration_point_in_its_arguments_keeps_its_tick() -> None:
    """The callee is evaluated first and held in the state while the
    arguments hop: such a function is a value there, and keeps its tick."""
    source = LEAF + ("def other():\n    return Box().bump()\n\n"
                     "def main():\n    return leaf(0 if sys_migrate('1') is None else 5)"
                     " + other()\n")
    brick = compile_brick(source, "held.py")
    assert {fid.split(":")[0] for fid in brick.tick_free} == {"Box.bump"}
    res = exec_sm(source)
    assert res.error is None and res.result == 2 and res.hops == 1
