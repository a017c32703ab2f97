"""Functions that take no fuel tick of their own (``smvm.compiler._tick_free``):
module-level functions and methods that are never values and call no other
such function. Which ones qualify, and that the fuel stays exact around
them: a loop calling one is charged by its own unit, an entry the host
starts costs its unit, and everything else ticks as before. Counted, not
timed."""
from __future__ import annotations

import pytest

from sim.line import LineWorld
from smvm import compile_brick
from smvm.compiler import abi
from smvm.vm import Failed, Finished, SMInstance

SOURCE = '''
import operator


def leaf(x):
    return x + 1


def with_loop(n):
    t = 0
    for i in range(n):
        t += i
    return t


def caller(n):
    t = 0
    for i in range(n):
        t = leaf(t)
    return t


def spin():
    j = 0
    while True:
        j = leaf(j)


def spin_for(n):
    j = 0
    for i in range(n):
        j = leaf(j)
    return j


def recursive(n):
    return recursive(n + 1)


def as_key(x):
    return -x


def sorts(n):
    return sorted(range(n), key=as_key)[0]


def stored(x):
    return x


KEPT = [stored]


def named(x):
    return x


def by_name():
    return "named"


def gen():
    yield 1


def outer():
    def inner():
        return 1
    return inner()


class Box:
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v

    def bump(self):
        self.v += 1
        return self.v

    def twice(self):
        return self.bump() + self.bump()

    def keys(self):
        return ["v"]

    def taken(self):
        return 1

    def __lt__(self, other):
        return self.v < other.v


def take_method(box):
    return box.taken


def boxes(n):
    b = Box(0)
    t = 0
    for i in range(n):
        t += b.bump()
    return t


def main():
    return leaf(1)
'''

DYNAMIC = '''
from operator import methodcaller


class Box:
    def bump(self):
        return 1


def main():
    return Box().bump()
'''


@pytest.fixture(scope="module")
def brick():
    return compile_brick(SOURCE, "leaves.py")


def fids(brick) -> set[str]:
    return {fid.split(":")[0] for fid in brick.tick_free}


def run(brick, entry, args=(), *, fuel=10**8, slice_fuel=None):
    sm = SMInstance(brick, LineWorld(2, 10**9, 256).nodes[0], fuel_limit=fuel,
                    memory_mb=None, slice_fuel=slice_fuel)
    outcome = sm.start(entry, list(args))
    while not isinstance(outcome, (Finished, Failed)):
        outcome = sm.proceed()
    return outcome


def test_leaves_are_the_functions_never_used_as_values_that_call_no_leaf(brick) -> None:
    assert fids(brick) == {"leaf", "with_loop", "sorts", "by_name", "Box.bump", "take_method"}
    # why the others keep their tick
    assert {"caller", "spin", "spin_for", "boxes", "main"}.isdisjoint(fids(brick))  # call a leaf
    assert "Box.twice" not in fids(brick)  # calls a leaf method
    assert "recursive" not in fids(brick)  # calls itself
    assert {"as_key", "stored", "Box.taken"}.isdisjoint(fids(brick))  # values
    assert "named" not in fids(brick)  # a text names it ("named")
    assert {"gen", "outer"}.isdisjoint(fids(brick))  # a generator, a def inside
    assert {"Box.get", "Box.keys"}.isdisjoint(fids(brick))  # names host types use
    assert {"Box.__init__", "Box.__lt__"}.isdisjoint(fids(brick))  # dunders


def test_a_leaf_has_no_tick_and_the_others_keep_theirs(brick) -> None:
    ticking = {"caller", "spin", "spin_for", "boxes", "main", "Box.twice", "recursive",
               "as_key", "stored", "Box.taken", "named", "outer", "Box.get", "Box.keys",
               "Box.__init__", "Box.__lt__"}
    for fid, info in brick.functions.items():
        first = info.code.co_names[:1]  # a tick is the first thing a function does
        if fid in brick.tick_free:
            assert first != (abi.FUEL_POP,), fid
        elif fid.split(":")[0] in ticking:
            assert first == (abi.FUEL_POP,), fid


def test_a_brick_that_reaches_attributes_by_name_has_no_leaf_method() -> None:
    brick = compile_brick(DYNAMIC, "dynamic.py")
    assert "Box.bump" not in fids(brick)
    assert "main" in fids(brick)  # (a module-level function)


def test_a_linked_unit_has_no_leaf() -> None:
    from smvm.compiler._link import pack
    unit = compile_brick(pack([("lib", "def helper(x):\n    return x + 1\n"),
                               ("app", "from lib import helper\n\n"
                                       "def main():\n    return helper(1)\n")]), "app")
    assert unit.tick_free == frozenset()


def test_a_loop_calling_a_leaf_first_is_charged_one_unit_per_turn(brick) -> None:
    """The loop cannot count on the leaf's tick (it has none): it takes its
    own unit, and the call adds nothing."""
    small = run(brick, "spin_for", [1_000])
    big = run(brick, "spin_for", [6_000])
    assert big.value == 6_000 and big.fuel - small.fuel == 5_000
    small = run(brick, "caller", [1_000])
    big = run(brick, "caller", [6_000])
    assert big.value == 6_000 and big.fuel - small.fuel == 5_000
    small = run(brick, "boxes", [1_000])  # a leaf method
    big = run(brick, "boxes", [6_000])
    assert big.value == 6_000 * 6_001 // 2 and big.fuel - small.fuel == 5_000


@pytest.mark.parametrize("budget", [300, 10_001, 123_457])
@pytest.mark.parametrize("entry", ["spin"])
def test_an_endless_loop_calling_a_leaf_ends_at_its_budget_exactly(brick, entry, budget) -> None:
    outcome = run(brick, entry, fuel=budget)
    assert isinstance(outcome, Failed) and outcome.error.type == "FuelExhausted"
    assert outcome.fuel == budget


def test_sliced_runs_calling_leaves_add_up_to_the_unsliced_fuel(brick) -> None:
    whole = run(brick, "caller", [100_000])
    sliced = run(brick, "caller", [100_000], slice_fuel=7_000)
    assert sliced.value == whole.value and sliced.fuel == whole.fuel


def test_starting_a_leaf_costs_its_unit(brick) -> None:
    """The host calls an entry by name: one unit, as for any call."""
    assert "leaf" in fids(brick) and "main" not in fids(brick)
    outcome = run(brick, "main")  # its tick; the leaf it calls adds none
    assert isinstance(outcome, Finished) and outcome.value == 2
    assert outcome.fuel == 1
    outcome = run(brick, "leaf", [5])
    assert outcome.value == 6 and outcome.fuel == 1


def test_functions_that_are_values_still_tick_where_c_code_calls_them(brick) -> None:
    small = run(brick, "sorts", [100])
    big = run(brick, "sorts", [1_100])
    assert small.value == 99 and big.value == 1_099
    assert big.fuel - small.fuel >= 1_000  # as_key's tick, once per item at least
    outcome = run(brick, "recursive", [0], fuel=50_000)
    assert isinstance(outcome, Failed)
    assert outcome.error.type in ("FuelExhausted", "RecursionLimit")
