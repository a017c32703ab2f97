"""The event kernel: ordering, ties, cancellation, errors, until/max_events."""
from __future__ import annotations

import pytest

from sim import SchedulingError, SimError, Simulation


def test_events_run_in_time_order_and_clock_follows():
    sim = Simulation(0)
    seen = []
    for t in (3.0, 1.0, 2.0, 0.5):
        sim.schedule(t, lambda t=t: seen.append((t, sim.now)))
    assert sim.run() == 4
    assert seen == [(0.5, 0.5), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]
    assert sim.now == 3.0


def test_ties_run_in_scheduling_order():
    sim = Simulation(0)
    seen = []
    for i in range(20):
        sim.schedule_at(1.0, seen.append, i)
    sim.schedule(0, seen.append, "first")
    sim.run()
    assert seen == ["first", *range(20)]


def test_events_scheduled_by_callbacks_at_same_time_run_after_earlier_ties():
    sim = Simulation(0)
    seen = []

    def a():
        seen.append("a")
        sim.schedule(0, seen.append, "a-child")

    sim.schedule(1, a)
    sim.schedule(1, seen.append, "b")
    sim.run()
    assert seen == ["a", "b", "a-child"]


def test_args_are_passed():
    sim = Simulation(0)
    got = []
    sim.schedule(1, lambda *a: got.append(a), 1, "x", None)
    sim.run()
    assert got == [(1, "x", None)]


def test_cancel_keeps_event_from_running():
    sim = Simulation(0)
    seen = []
    h1 = sim.schedule(1, seen.append, 1)
    sim.schedule(2, seen.append, 2)
    assert h1.pending
    assert h1.cancel() is True
    assert h1.cancel() is False
    assert not h1.pending and h1.cancelled
    assert sim.pending == 1
    assert sim.run() == 1
    assert seen == [2]


def test_cancel_from_inside_a_callback_and_after_run():
    sim = Simulation(0)
    seen = []
    later = sim.schedule(2, seen.append, "later")
    sim.schedule(1, later.cancel)
    h = sim.schedule(0.5, seen.append, "early")
    sim.run()
    assert seen == ["early"]
    assert h.cancel() is False  # already ran


def test_heavy_cancellation_compacts_the_heap():
    sim = Simulation(0)
    handles = [sim.schedule(i, lambda: None) for i in range(1000)]
    for h in handles[:900]:
        h.cancel()
    assert sim.pending == 100
    assert len(sim._heap) < 1000  # compacted, not just flagged
    assert sim.peek() == 900
    assert sim.run() == 100


def test_scheduling_in_the_past_is_an_error():
    sim = Simulation(0)
    sim.schedule(5, lambda: None)
    sim.run()
    with pytest.raises(SchedulingError):
        sim.schedule_at(4.9, lambda: None)
    with pytest.raises(SchedulingError):
        sim.schedule(-0.1, lambda: None)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(SchedulingError):
            sim.schedule(bad, lambda: None)
        with pytest.raises(SchedulingError):
            sim.schedule_at(bad, lambda: None)
    assert isinstance(SchedulingError("x"), (SimError, ValueError))
    sim.schedule_at(5, lambda: None)  # "now" itself is fine


def test_callback_exception_propagates_with_event_time_note():
    sim = Simulation(0)
    seen = []

    def boom():
        raise KeyError("bad")

    sim.schedule(1, seen.append, 1)
    sim.schedule(2.5, boom)
    sim.schedule(3, seen.append, 3)
    with pytest.raises(KeyError) as info:
        sim.run()
    assert any("t=2.5" in note for note in info.value.__notes__)
    assert sim.now == 2.5 and seen == [1]
    # The simulation is still usable: the failed event is consumed, the rest remain.
    assert sim.run() == 1 and seen == [1, 3]


def test_run_until_is_inclusive_and_advances_clock():
    sim = Simulation(0)
    seen = []
    for t in (1, 2, 3, 4):
        sim.schedule(t, seen.append, t)
    assert sim.run(until=2) == 2
    assert seen == [1, 2] and sim.now == 2
    assert sim.run(until=3.5) == 1 and sim.now == 3.5
    assert sim.run(until=10) == 1 and sim.now == 10
    with pytest.raises(SchedulingError):
        sim.run(until=9)
    assert sim.run(until=10) == 0


def test_max_events_and_stop():
    sim = Simulation(0)
    seen = []
    for t in range(10):
        sim.schedule(t, seen.append, t)
    assert sim.run(max_events=3) == 3 and sim.now == 2
    assert sim.run(until=100, max_events=2) == 2 and sim.now == 4  # stopped early: no jump
    sim.schedule_at(5, sim.stop)
    assert sim.run() == 2  # the event at 5 (seen) and stop, in that order
    assert sim.now == 5
    assert sim.run(max_events=0) == 0
    assert sim.run() == 4 and sim.events_run == 11


def test_nested_run_is_refused():
    sim = Simulation(0)
    sim.schedule(1, sim.run)
    with pytest.raises(SchedulingError):
        sim.run()


def test_peek_and_pending():
    sim = Simulation(0)
    assert sim.peek() is None and sim.pending == 0
    h = sim.schedule(2, lambda: None)
    sim.schedule(3, lambda: None)
    h.cancel()
    assert sim.peek() == 3 and sim.pending == 1


def _trace(seed: int) -> list:
    sim = Simulation(seed)
    trace = []

    def tick(name, left):
        trace.append((sim.now, name))
        if left:
            sim.schedule(sim.rng.expovariate(1.0), tick, name, left - 1)

    for name in range(20):
        sim.schedule(sim.rng.random(), tick, name, 30)
    sim.run()
    return trace


def test_same_seed_same_order_different_seed_differs():
    assert _trace(7) == _trace(7)
    assert _trace(7) != _trace(8)
