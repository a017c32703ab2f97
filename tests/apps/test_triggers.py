"""The triggers brick (apps/bricks/triggers.py) on a simulated node whose
sensors change at scripted times."""
from __future__ import annotations

from bisect import bisect_right
from pathlib import Path

from apps.world import World
from sim.mobility import StaticPlacement

CASES = Path(__file__).parent / "bricks" / "trigger_cases.py"


def scripted(points: list[tuple[float, float]]):
    """A reading that steps to each scripted value at its time (0 before)."""
    times = [t for t, _ in points]

    def read(now: float) -> float:
        i = bisect_right(times, now)
        return points[i - 1][1] if i else 0.0
    return read


def world_with(sensors: dict[str, list[tuple[float, float]]]) -> World:
    world = World(3, StaticPlacement([(0.0, 0.0), (50.0, 0.0)]), [0, 1])
    for name, points in sensors.items():
        world.sensor("0", name, scripted(points), changes=[t for t, _ in points])
    return world


def results(world: World) -> list:
    return [(sm.result, sm.error) for sm in world.sms()]


def test_transient_trigger_fires_once_when_the_sensor_changes_and_idles_without_fuel():
    world = world_with({"motion": [(2.0, 0.0), (6.5, 1.0)]})
    world.inject("0", CASES, [None], at=1.0, entry="transient")
    world.run(1.5)
    idle_start = world.fuel_used("0")
    world.run(6.0)
    # an unrelated sensor reading (still 0) woke it once at t=2; otherwise asleep
    woken_once = world.fuel_used("0")
    world.run(6.4)
    assert world.fuel_used("0") == woken_once
    assert woken_once - idle_start < 200
    world.run(10.0)
    assert results(world) == [(6.5, None)]


def test_idle_trigger_spends_no_fuel_over_a_long_quiet_period():
    world = world_with({"motion": [(100.0, 1.0)]})
    world.inject("0", CASES, [None], at=1.0, entry="transient")
    world.run(2.0)
    before = world.fuel_used("0")
    world.run(90.0)
    assert world.fuel_used("0") == before
    world.run(101.0)
    assert results(world) == [(100.0, None)]


def test_transient_trigger_times_out():
    world = world_with({"motion": [(50.0, 1.0)]})
    world.inject("0", CASES, [3.0], at=1.0, entry="transient")
    world.run(10.0)
    [(result, error)] = results(world)
    assert result is None and error["type"] == "TagTimeout"


def test_a_predicate_over_two_tags_wakes_on_either():
    world = world_with({"a": [(2.0, 1.0)], "b": [(5.0, 1.0)]})
    world.inject("0", CASES, [], at=1.0, entry="transient_two")
    world.run(10.0)
    assert [r for r in results(world) if r[0] is not None] == [(5.0, None)]
    assert all(error is None for _, error in results(world))


def test_level_trigger_reruns_every_period_while_the_predicate_holds_then_expires():
    world = world_with({"motion": [(2.0, 1.0), (6.5, 0.0), (10.0, 1.0)]})
    world.inject("0", CASES, [1.0, 12.0], at=0.0, entry="level")
    world.run(20.0)
    # runs at 2, 3, 4, 5, 6 (holds), none while 0, then 10, 11 before expiry at 12
    assert results(world) == [(7, None)]
    assert world.read_tag("0", "stream")["value"] == 11.0


def test_level_trigger_without_period_runs_once_per_change_while_it_holds():
    world = world_with({"motion": [(2.0, 1.0), (3.0, 2.0), (4.0, 0.0), (5.0, 0.0), (6.0, 3.0)]})
    world.inject("0", CASES, [None, 10.0], at=0.0, entry="level")
    world.run(20.0)
    assert results(world) == [(3, None)]


def test_edge_trigger_fires_on_each_false_to_true_transition():
    points = [(1.0, 1.0), (2.0, 1.0), (3.0, 0.0), (4.0, 1.0), (5.0, 0.0), (6.0, 0.0),
              (7.0, 1.0), (8.0, 1.0)]
    world = world_with({"motion": points})
    world.inject("0", CASES, [10.0], at=0.5, entry="edge")
    world.run(20.0)
    assert results(world) == [(3, None)]
    assert world.read_tag("0", "stream")["value"] == 7.0


def test_stream_reads_last_next_and_fresh():
    world = world_with({"motion": [(0.0, 1.0)]})
    # evaluations start at 0, 3, 6, ... and each takes 1 s
    world.inject("0", CASES, [2.0, 30.0], at=0.0, entry="level_slow")
    world.inject("0", CASES, [], at=3.5, entry="readers")
    world.run(12.0)
    reader = [r for r, _ in results(world) if isinstance(r, list)]
    # last: the value of the evaluation done at 1; next: the one that started
    # at 3 (before the read) and ended at 4; fresh: one started after 4
    assert reader == [[1.0, 4.0, 7.0, 7.0]]
