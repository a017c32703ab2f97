"""``while`` loops with no migration point take their fuel in C: one unit per
test of the loop, from the runtime's second fuel store (``loop_fuel``). The
fuel the SM reports stays exact: per test, at the budget's end (the other
store gives its units back first), at every slice end and across slices, with
calls (the first store) interleaved. Everything is counted, nothing timed."""
from __future__ import annotations

import dis

import pytest

from sim.line import LineWorld
from smvm import CompileError, compile_brick
from smvm.vm import Failed, Finished, Paused, SMInstance

LOOPS = '''
def count(n):
    j = 0
    while j < n:
        j += 1
    return j


def leaf(x):
    return x + 1


def with_calls(n):
    j = 0
    while j < n:
        if j >= 0:
            j = leaf(j)
    return j


def calls_first(n):
    j = 0
    while j < n:
        j = leaf(j)
    for i in range(n):
        total = leaf(i) * 2
    return j


def skipping(n):
    j = 0
    seen = 0
    while True:
        j += 1
        if j > n:
            break
        if j % 2:
            continue
        seen += 1
    return seen


def spin():
    while True:
        pass


def spin_calling():
    j = 0
    while True:
        if j >= 0:
            j = leaf(j)


def spin_calling_first():
    j = 0
    while True:
        j = leaf(j)


class Shadow:
    def len(self):
        return 0


def gen():
    yield 1


def spin_builtin_first():
    while True:
        len("x")


def spin_generator_first():
    while True:
        gen()


def by_key(n):
    def slow_key(x):
        k = 0
        while k < n:
            k += 1
        return x
    return sorted(range(50), key=slow_key)[0]


def draining():
    def gen():
        j = 0
        while True:
            j += 1
            yield j
    return sum(gen())


# values, so both keep the tick of their own this file counts on (a function
# never used as a value may have none: see test_tick_free.py)
TICKING = (count, leaf, calls_first)
'''


@pytest.fixture(scope="module")
def brick():
    return compile_brick(LOOPS, "loops.py")


def host():
    return LineWorld(2, 10**9, 256).nodes[0]


def run(brick, entry, args=(), *, fuel=10**8, slice_fuel=None):
    sm = SMInstance(brick, host(), fuel_limit=fuel, memory_mb=None, slice_fuel=slice_fuel)
    outcome = sm.start(entry, list(args))
    pauses = []
    while isinstance(outcome, Paused):
        pauses.append(outcome.fuel)
        outcome = sm.proceed()
    return outcome, pauses


def test_the_loops_take_their_fuel_in_c(brick) -> None:
    """The shape this file is about: no tick statement, a walk of the
    runtime's loop store (a loop with a point keeps its tick: see the
    differential corpus' while_loops_fuelled)."""
    from smvm.compiler import abi
    code = brick.functions["count:2"].code
    assert abi.LOOP_UNIT in code.co_varnames and abi.LOOP_FUEL in code.co_names
    assert abi.FUEL_POP in code.co_names  # the call's own tick, once


@pytest.mark.parametrize("entry", ["count", "skipping"])
def test_a_while_loop_is_charged_one_unit_per_test(brick, entry) -> None:
    used = {}
    for n in (1_000, 2_000, 30_000):
        outcome, _ = run(brick, entry, [n])
        assert isinstance(outcome, Finished)
        used[n] = outcome.fuel
    assert used[2_000] - used[1_000] == 1_000
    assert used[30_000] - used[1_000] == 29_000
    assert used[1_000] == 1_000 + 2  # the call; the last test (the last turn, which breaks)


def test_loop_and_call_fuel_add_up_exactly(brick) -> None:
    """Each turn takes one unit from each store (the test, ``leaf``'s tick)."""
    small, _ = run(brick, "with_calls", [1_000])
    big, _ = run(brick, "with_calls", [50_000])
    assert big.fuel - small.fuel == 2 * 49_000


def test_a_loop_that_calls_a_function_of_the_brick_first_is_charged_by_its_calls(brick) -> None:
    """Each turn of such a loop calls a function whose first act is a tick:
    the loop itself takes no unit, and the count stays one per turn."""
    from smvm.compiler import abi
    code = brick.functions["calls_first:21"].code
    assert abi.LOOP_UNIT not in code.co_varnames
    ticks = [i for i in dis.get_instructions(code) if i.argval == abi.FUEL_POP]
    assert len(ticks) == 1  # the function's own tick only
    small, _ = run(brick, "calls_first", [1_000])
    big, _ = run(brick, "calls_first", [5_000])
    assert big.value == 5_000 and big.fuel - small.fuel == 2 * 4_000


@pytest.mark.parametrize("budget", [300, 10_000, 123_457, 1_000_003])
@pytest.mark.parametrize("entry", ["spin", "spin_calling", "spin_calling_first",
                                   "spin_builtin_first", "spin_generator_first"])
def test_an_endless_while_loop_ends_at_its_budget_exactly(brick, entry, budget) -> None:
    """Whatever ticks: the loop store, the first store (a call), or only the
    function each turn calls first (a method named ``len`` does not make
    ``len()`` such a call; a generator function's call runs no body)."""
    outcome, _ = run(brick, entry, fuel=budget)
    assert isinstance(outcome, Failed) and outcome.error.type == "FuelExhausted"
    assert outcome.fuel == budget


@pytest.mark.parametrize("entry", ["count", "with_calls", "calls_first"])
def test_slices_of_a_while_loop_end_exactly_and_add_up_to_the_unsliced_fuel(brick, entry) -> None:
    whole, _ = run(brick, entry, [200_000])
    sliced, pauses = run(brick, entry, [200_000], slice_fuel=7_000)
    assert isinstance(sliced, Finished) and sliced.value == whole.value
    assert sliced.fuel == whole.fuel
    assert len(pauses) >= whole.fuel // 7_000
    # a slice ends when both stores are spent (the one that runs dry first
    # takes back what the other holds): exactly at its share
    steps = [b - a for a, b in zip([0] + pauses, pauses)]
    assert steps == [7_000] * len(pauses)


def test_a_sliced_endless_loop_still_ends_at_its_budget(brick) -> None:
    outcome, pauses = run(brick, "spin_calling", fuel=100_000, slice_fuel=9_999)
    assert isinstance(outcome, Failed) and outcome.error.type == "FuelExhausted"
    assert outcome.fuel == 100_000 and len(pauses) >= 10


def test_a_while_loop_run_by_c_code_is_charged_per_test(brick) -> None:
    """A key function sorted() calls, a generator a C consumer drains: their
    loops are charged like any other, and end at the budget."""
    small, _ = run(brick, "by_key", [100])
    big, _ = run(brick, "by_key", [1_100])
    assert small.value == big.value == 0
    assert big.fuel - small.fuel == 50 * 1_000
    outcome, _ = run(brick, "by_key", [10**9], fuel=500_000)
    assert isinstance(outcome, Failed) and outcome.error.type == "FuelExhausted"
    assert outcome.fuel == 500_000
    outcome, _ = run(brick, "draining", fuel=500_000)
    assert isinstance(outcome, Failed) and outcome.error.type == "FuelExhausted"
    assert outcome.fuel == 500_000


@pytest.mark.parametrize("name", ["_fu", "_R"])
def test_the_loop_store_cannot_be_named_by_sm_code(name) -> None:
    with pytest.raises(CompileError):
        compile_brick(f"def main():\n    while True:\n        return {name}\n", "peek.py")
    with pytest.raises(CompileError):
        compile_brick(f"def main():\n    {name} = iter([])\n    while True:\n        return 1\n",
                      "shadow.py")
