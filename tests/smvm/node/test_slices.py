"""Fuel-sliced scheduling on one node core: an SM runs at most one fuel slice
before the other ready SMs get a turn, then waits at the back of the ready
queue, alive; migration, blocking, budgets and fuel accounting work as they
do unsliced. Everything is counted, nothing timed."""
from __future__ import annotations

import multiprocessing
import resource
import signal
import sys

import pytest

from sim.testing import WiredNet
from smvm.node import NodeConfig, NodeCore
from smvm.node.events import SMDurable
from smvm.vm import SMInstance

SLICE = 100_000
SPIN = "def main(n):\n    x = 0\n    for i in range(n):\n        x += 1\n    return x\n"
QUICK = "def main():\n    return 'quick'\n"


def sliced(**config) -> NodeConfig:
    return NodeConfig(beacon_interval=None, fuel_slice=config.pop("fuel_slice", SLICE), **config)


def ended(core: NodeCore) -> list[tuple[str, object]]:
    return [(e.sm_id, getattr(e, "value", None) if type(e).__name__ == "SMFinished" else e.error["type"])
            for e in core.events() if type(e).__name__ in ("SMFinished", "SMFailed")]


def test_a_short_sm_finishes_after_at_most_one_slice_of_each_spinner() -> None:
    core = NodeCore("n", sliced())
    spinners = [core.inject(SPIN, [10 * SLICE]) for _ in range(2)]
    quick = core.inject(QUICK)
    core.run_ready()
    assert ended(core) == [(quick, "quick")]
    assert core.counters["slices"] == 3 and core.counters["requeues"] == 2
    for sm_id in spinners:
        assert core.sm(sm_id).fuel == SLICE, "each spinner ran exactly one slice"
        assert core.sm(sm_id).state == "paused"
    assert core.has_ready, "the spinners wait for their next turn"

    # one that arrives while they are paused queues behind them: one slice each again
    late = core.inject(QUICK)
    core.run_ready()
    assert ended(core) == [(late, "quick")]
    assert [core.sm(s).fuel for s in spinners] == [2 * SLICE, 2 * SLICE]

    turns = 2
    while core.has_ready:
        core.run_ready()
        turns += 1
    assert sorted(ended(core)) == sorted((s, 10 * SLICE) for s in spinners)
    assert turns == 11  # 10 slices of loop and one tick more each
    assert core.counters["requeues"] == 2 * 10
    assert core.counters["fuel_used"] == 2 * (10 * SLICE + 1) + 2 * 1


def test_each_sm_gets_one_slice_per_turn_and_sms_it_starts_run_in_the_same_turn() -> None:
    source = '''
def child(k):
    return k

def main():
    spawn(child, 1)
    x = 0
    for i in range(250_000):
        x += 1
    return x
'''
    core = NodeCore("n", sliced())
    core.inject(source)
    core.run_ready()
    assert core.counters["sms_finished"] == 1, "the child ran in the parent's turn"
    assert core.counters["slices"] == 2 and core.counters["requeues"] == 1


def test_a_requeued_sm_then_migrates_and_finishes_correctly() -> None:
    source = '''
def work(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total

def main(n):
    before = work(n)
    sys_migrate("b")
    after = work(n)
    return before, after, node_id()
'''
    expected = sum(i % 7 for i in range(350_000))
    net = WiredNet(["a", "b"], config=sliced())
    sm_id = net.inject("a", source, [350_000])
    net.inject("a", QUICK)
    net.run()
    done = [e for e in net.of("SMFinished") if e.sm_id == sm_id]
    assert [e.value for e in done] == [(expected, expected, "b")] * 2  # on b, reported at a
    a, b = net.cores["a"].counters, net.cores["b"].counters
    assert a["requeues"] == 3 and b["requeues"] == 3
    assert a["hops_completed"] == 1 and b["sms_admitted"] == 1
    fuel = [e for e in net.events if type(e).__name__ == "SMFinished" and e.sm_id == sm_id]
    assert fuel and net.cores["a"].counters["fuel_used"] + b["fuel_used"] > 2 * 350_000


def test_a_requeued_sm_blocks_on_a_tag_and_is_woken() -> None:
    waiter = '''
def main():
    x = 0
    for i in range(250_000):
        x += 1
    create_tag("go", 0, access={"others": "rw"})
    got = block_tag("go", 5)
    for i in range(150_000):
        x += 1
    return x, got
'''
    writer = '''
def main():
    while not has_tag("go"):
        for i in range(40_000):
            pass
    write_tag("go", 42)
    return "written"
'''
    net = WiredNet(["a"], config=sliced())
    w = net.inject("a", waiter)
    net.inject("a", writer)
    net.run()
    results = {e.sm_id: e.value for e in net.of("SMFinished")}
    assert results[w] == (400_000, 42)
    assert "written" in results.values()
    assert net.cores["a"].counters["requeues"] >= 4


BUSY = '''
def helper(values):
    return sorted(values, key=lambda v: -v)[:3]

def main(n):
    words = [str(i) * 3 for i in range(n)]
    joined = "-".join(words)
    squares = {i: i * i for i in range(n) if i % 3}
    best = helper(list(range(n)))
    total = sum(len(w) for w in words)
    seen = set()
    for w in words:
        if w[:2] not in seen:
            seen.add(w[:2])
    return len(joined), sum(squares.values()), best, total, len(seen)
'''


@pytest.mark.parametrize("fuel_slice", [1, 7, 1_000])
def test_fuel_counted_across_slices_equals_the_unsliced_total(fuel_slice) -> None:
    results = {}
    for size in (None, fuel_slice):
        core = NodeCore("n", sliced(fuel_slice=size))
        core.inject(BUSY, [3_000])
        turns = 0
        while core.has_ready:
            core.run_ready()
            turns += 1
        [(_, value)] = ended(core)
        results[size] = (value, core.counters["fuel_used"], turns)
    (value, fuel, turns), (value_s, fuel_s, turns_s) = results[None], results[fuel_slice]
    assert value_s == value and fuel_s == fuel
    assert turns == 1 and turns_s >= min(100, fuel // fuel_slice // 4)  # big charges overshoot


def test_fuel_exhaustion_still_ends_a_sliced_sm() -> None:
    core = NodeCore("n", sliced(fuel_per_sm=250_000))
    core.inject(SPIN, [10**9])
    turns = 0
    while core.has_ready:
        core.run_ready()
        turns += 1
    [(_, error)] = ended(core)
    assert error == "FuelExhausted"
    assert turns == 3 and core.counters["requeues"] == 2
    assert core.counters["fuel_used"] == 250_000


def test_budgets_are_disarmed_while_an_sm_is_paused() -> None:
    source = '''
def down(n):
    if n == 0:
        x = 0
        for i in range(300_000):
            x += 1
        return x
    return down(n - 1)

def main():
    return down(300)
'''
    limit, address_space = sys.getrecursionlimit(), resource.getrlimit(resource.RLIMIT_AS)
    core = NodeCore("n", sliced(cpu_seconds=5.0, memory_mb=256))
    core.inject(source)
    core.run_ready()
    assert core.counters["requeues"] == 1, "paused 300 calls deep"
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0), "no CPU timer runs for it"
    assert sys.getrecursionlimit() == limit
    assert resource.getrlimit(resource.RLIMIT_AS) == address_space
    while core.has_ready:
        core.run_ready()
    assert ended(core)[0][1] == 300_000


DEEP = '''
def down(n):
    for i in range(100):
        pass
    return 0 if n == 0 else 1 + down(n - 1)

def main(n):
    return down(n)
'''


def test_a_paused_sm_keeps_its_recursion_limit() -> None:
    core = NodeCore("n", sliced(fuel_slice=1_000))
    ok, deep = core.inject(DEEP, [350]), core.inject(DEEP, [2_000])
    while core.has_ready:
        core.run_ready()
    results = dict(ended(core))
    assert results == {ok: 350, deep: "RecursionLimit"}
    assert core.counters["requeues"] > 20


def test_sliced_sms_leave_the_host_limits_as_they_found_them() -> None:
    """Even an SM paused at the edge of its recursion limit: a slice's budgets
    must never outlive it (a leaked address-space limit breaks whatever the
    host runs next, such as a subprocess)."""
    before = (resource.getrlimit(resource.RLIMIT_AS), sys.getrecursionlimit())
    core = NodeCore("n", sliced(fuel_slice=1_000))
    ids = [core.inject(DEEP, [n]) for n in (350, 2_000, 5_000)]
    while core.has_ready:
        core.run_ready()
    assert dict(ended(core)) == {ids[0]: 350, ids[1]: "RecursionLimit", ids[2]: "RecursionLimit"}
    assert (resource.getrlimit(resource.RLIMIT_AS), sys.getrecursionlimit()) == before


def _memory_across_slices() -> dict:
    hog = '''
def spin(n):
    for i in range(n):
        pass

def main():
    first = bytearray(40_000_000)
    spin(250_000)
    second = bytearray(40_000_000)
    return len(first) + len(second)
'''
    other = "def main():\n    return len(bytearray(40_000_000))\n"
    core = NodeCore("n", sliced(memory_mb=64))
    h = core.inject(hog)
    o = core.inject(other)
    while core.has_ready:
        core.run_ready()
    results = dict(ended(core))
    return {"hog": results[h], "other": results[o]}


def test_memory_grown_in_earlier_slices_counts_against_the_budget() -> None:
    # The budget counts the growth of the address space, so the test runs in
    # a fresh interpreter: memory earlier tests freed but the allocator kept
    # mapped would absorb an allocation without any growth to count.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        results = pool.apply(_memory_across_slices)
    assert results["other"] == 40_000_000, "the paused SM's allocation does not count against another"
    assert results["hog"] == "MemoryExhausted", "40 MB and 40 MB exceed its own 64 MB over two slices"


def test_a_pause_inside_builtin_code_then_migrating() -> None:
    source = '''
def key(v):
    return (v * 7919) % 1009

def main(n):
    order = sorted(range(n), key=key)
    sys_migrate("b")
    return order[:5], node_id()
'''
    net = WiredNet(["a", "b"], config=sliced(fuel_slice=50))
    sm_id = net.inject("a", source, [2_000])
    net.run()
    expected = sorted(range(2_000), key=lambda v: (v * 7919) % 1009)[:5]
    assert [e.value for e in net.of("SMFinished") if e.sm_id == sm_id] == [(expected, "b")] * 2
    assert net.cores["a"].counters["requeues"] > 20


def test_a_paused_sm_is_dropped_without_running_its_finally_blocks(monkeypatch) -> None:
    source = '''
def main():
    try:
        for i in range(10**9):
            pass
    finally:
        create_tag("cleanup", 1)
'''
    abandoned = []
    real = SMInstance.abandon

    def abandon(instance) -> None:
        abandoned.append(instance.sm_id)
        real(instance)
    monkeypatch.setattr(SMInstance, "abandon", abandon)
    core = NodeCore("n", sliced(), durable=True)
    sm_id = core.inject(source)
    [started] = [e.snapshot for e in core.events() if isinstance(e, SMDurable)]
    core.run_ready()
    assert core.queued() == [(sm_id, "continue")]
    core.recover(started, 0.0)  # a newer visit of the same SM replaces the paused one
    assert core.queued() == [(sm_id, "continue"), (sm_id, "start")]
    core.run_ready()
    assert abandoned == [sm_id], "the paused one was dropped, not run"
    assert core.queued() == [(sm_id, "continue")]  # the newer visit runs on
    assert not core.tagspace.exists("cleanup", 0.0)


def test_unsliced_nodes_run_each_sm_to_its_end() -> None:
    core = NodeCore("n", sliced(fuel_slice=None))
    spin = core.inject(SPIN, [5 * SLICE])
    quick = core.inject(QUICK)
    core.run_ready()
    assert ended(core) == [(spin, 5 * SLICE), (quick, "quick")]
    assert core.counters["requeues"] == 0


def test_cpu_time_of_earlier_slices_counts_against_the_budget() -> None:
    # 10**8 units take seconds of CPU: the 0.2 s budget, carried from slice
    # to slice, ends the SM long before (re-armed per slice, it never would)
    core = NodeCore("n", sliced(fuel_per_sm=10**8, fuel_slice=50_000, cpu_seconds=0.2))
    core.inject(SPIN, [10**9])
    while core.has_ready:
        core.run_ready()
    [(_, error)] = ended(core)
    assert error == "CPUTimeExhausted"
    assert core.counters["requeues"] > 5
    assert core.counters["fuel_used"] < 10**8
