"""The radio's grid neighbour lookup equals brute force, for static and moving nodes."""
from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ManhattanGrid, RandomWaypoint, StaticPlacement, UnitDiskRadio


def brute(positions: dict, src, range_m: float) -> list:
    x, y = positions[src]
    return [n for n, (px, py) in positions.items()
            if n != src and (px - x) ** 2 + (py - y) ** 2 <= range_m * range_m]


def attach_all(radio: UnitDiskRadio, model) -> None:
    for n in model.nodes:
        radio.attach(n, lambda t, n=n: model.position(n, t), lambda t, n=n: model.next_change(n, t))


coord = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(coord, coord), min_size=1, max_size=60),
       range_m=st.floats(min_value=0.0, max_value=5e3))
def test_static_grid_equals_brute_force(points, range_m):
    placement = StaticPlacement(points)
    radio = UnitDiskRadio(range_m)
    attach_all(radio, placement)
    pos = placement.positions(0.0)
    for n in placement.nodes:
        assert radio.neighbors(n, 0.0) == brute(pos, n, range_m)


def test_seeded_random_placements_equal_brute_force():
    rng = random.Random(2024)
    for _ in range(30):
        n = rng.randint(2, 300)
        side = rng.choice([50.0, 1000.0, 20000.0])
        placement = StaticPlacement.uniform(n, side, side / 2, rng)
        range_m = rng.uniform(1.0, side / 3)
        radio = UnitDiskRadio(range_m)
        attach_all(radio, placement)
        pos = placement.positions(0.0)
        for node in placement.nodes:
            assert radio.neighbors(node, 0.0) == brute(pos, node, range_m)


def test_lattice_at_exactly_the_range():
    # Spacing == range: every pair of lattice neighbours is exactly at the edge, and
    # sits exactly on cell boundaries -- the worst case for a grid.
    for spacing in (100.0, 0.5, 4.0):  # exact in binary
        placement = StaticPlacement.grid(6, 7, spacing, origin=(-3 * spacing, -2 * spacing))
        radio = UnitDiskRadio(spacing)
        attach_all(radio, placement)
        pos = placement.positions(0.0)
        for n in placement.nodes:
            assert radio.neighbors(n, 0.0) == brute(pos, n, spacing)
        assert len(radio.neighbors(3 * 7 + 3, 0.0)) == 4  # an interior node


def test_moving_nodes_equal_brute_force_and_rebucketing_is_sparse():
    rng = random.Random(5)
    models = [
        RandomWaypoint(120, area=(2000, 1500), speed=(1, 30), pause=(0, 10), rng=rng),
        ManhattanGrid(120, blocks=(10, 8), block=150, speed=(5, 15), rng=rng, pause=(0, 2)),
    ]
    for model in models:
        radio = UnitDiskRadio(200)
        attach_all(radio, model)
        t = 0.0
        queries = 0
        while t < 600:
            t += rng.expovariate(1 / 3)
            pos = model.positions(t)
            for src in rng.sample(model.nodes, 10):
                assert radio.neighbors(src, t) == brute(pos, src, 200)
                queries += 1
        # Re-bucketing follows cell crossings and path changes, not nodes x queries.
        assert radio._grid.rebuckets < 120 * queries / 10


def test_going_back_in_time_rebuilds():
    model = RandomWaypoint(60, area=(1000, 1000), speed=(10, 20), rng=random.Random(9))
    radio = UnitDiskRadio(150)
    attach_all(radio, model)
    for t in (500.0, 20.0, 300.0, 0.0):
        pos = model.positions(t)
        for n in model.nodes:
            assert radio.neighbors(n, t) == brute(pos, n, 150)


def test_moved_tells_the_grid_about_unpredicted_jumps():
    where = {"a": (0.0, 0.0), "b": (1000.0, 0.0)}
    radio = UnitDiskRadio(50)
    for n in list(where):
        radio.attach(n, lambda t, n=n: where[n])  # no next_change: static until moved()
    assert radio.neighbors("a", 0.0) == []
    where["b"] = (30.0, 40.0)
    radio.moved("b", 1.0)
    assert radio.neighbors("a", 1.0) == ["b"]
    assert radio.unicast("b", "a", 0, 1.0) is not None
    where["b"] = (math.nextafter(50.0, 100.0), 0.0)
    radio.moved("b", 2.0)
    assert radio.neighbors("a", 2.0) == []


def test_positions_are_remembered_for_an_instant_until_moved_says_otherwise():
    where = {"a": (0.0, 0.0), "b": (30.0, 40.0)}
    calls = []

    def position(n):
        def at(t):
            calls.append((n, t))
            return where[n]
        return at

    radio = UnitDiskRadio(50)
    for n in list(where):
        radio.attach(n, position(n))
    calls.clear()
    assert radio.neighbors("a", 1.0) == ["b"] and radio.neighbors("b", 1.0) == ["a"]
    assert sorted(calls) == [("a", 1.0), ("b", 1.0)], "one computation per node and instant"
    where["b"] = (1000.0, 0.0)
    radio.moved("b", 1.0)  # a jump at the same instant: the remembered position goes
    assert radio.neighbors("a", 1.0) == []
