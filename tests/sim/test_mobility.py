"""Mobility models against hand-computed positions."""
from __future__ import annotations

import itertools
import math
import random

import pytest

from sim import ManhattanGrid, ModelError, RandomWaypoint, StaticPlacement

INF = float("inf")


def test_static_explicit_list_and_dict():
    m = StaticPlacement([(1, 2), (3.5, -4)])
    assert m.nodes == [0, 1]
    assert m.position(1, 0.0) == (3.5, -4.0) and m.position(1, 1e6) == (3.5, -4.0)
    assert m.next_change(0, 5.0) == INF
    d = StaticPlacement({"x": (0, 0), "y": (10, 0)})
    assert d.positions(3.0) == {"x": (0.0, 0.0), "y": (10.0, 0.0)}
    with pytest.raises(ModelError):
        d.position("z", 0.0)


def test_static_uniform_in_rectangle():
    m = StaticPlacement.uniform(500, 300.0, 20.0, random.Random(1))
    pts = list(m.positions(0).values())
    assert len(pts) == 500
    assert all(0 <= x <= 300 and 0 <= y <= 20 for x, y in pts)
    assert max(x for x, _ in pts) > 250 and min(x for x, _ in pts) < 50  # spread out
    assert StaticPlacement.uniform(5, 1, 1, random.Random(1)).positions(0) == \
        StaticPlacement.uniform(5, 1, 1, random.Random(1)).positions(0)


def test_static_grid():
    m = StaticPlacement.grid(2, 3, 10.0, origin=(5, 5))
    assert [m.position(n, 0) for n in m.nodes] == [
        (5, 5), (15, 5), (25, 5), (5, 15), (15, 15), (25, 15)]


def test_random_waypoint_hand_computed():
    # Replay the model's draws: one child RNG per node, then (waypoint x, y, speed) and a
    # pause per trip. Fixed speed 5 m/s and pause 2 s make the timing hand-checkable.
    seed = 11
    m = RandomWaypoint(["n"], area=(100, 50), speed=(5, 5), pause=2.0,
                       rng=random.Random(seed), start={"n": (0.0, 0.0)})
    child = random.Random(random.Random(seed).getrandbits(64))
    x1, y1 = child.uniform(0, 100), child.uniform(0, 50)
    child.uniform(5, 5)
    child.uniform(2, 2)
    x2, y2 = child.uniform(0, 100), child.uniform(0, 50)
    t1 = math.hypot(x1, y1) / 5
    t2 = t1 + 2.0 + math.hypot(x2 - x1, y2 - y1) / 5

    assert m.position("n", 0.0) == (0.0, 0.0)
    mid = m.position("n", t1 / 2)
    assert mid == pytest.approx((x1 / 2, y1 / 2))
    quarter = m.position("n", t1 / 4)
    assert quarter == pytest.approx((x1 / 4, y1 / 4))
    assert m.position("n", t1) == (x1, y1)
    # The pause: still at the waypoint for 2 s.
    assert m.position("n", t1 + 1.0) == (x1, y1)
    assert m.position("n", t1 + 2.0) == (x1, y1)
    assert m.next_change("n", 0.0) == pytest.approx(t1)
    assert m.next_change("n", t1) == pytest.approx(t1 + 2.0)
    assert m.next_change("n", t1 + 1.0) == pytest.approx(t1 + 2.0)
    # Second leg, at 5 m/s from the first waypoint.
    assert m.position("n", t2) == (x2, y2)
    assert m.position("n", (t1 + 2.0 + t2) / 2) == pytest.approx(((x1 + x2) / 2, (y1 + y2) / 2))
    assert [p[0] for p in m.breakpoints("n", t2)][:4] == pytest.approx([0.0, t1, t1 + 2, t2])


def test_random_waypoint_invariants():
    m = RandomWaypoint(30, area=(400, 300), speed=(2, 8), pause=(1, 3), rng=random.Random(3))
    for n in m.nodes:
        bps = m.breakpoints(n, 1000.0)
        for (ta, xa, ya), (tb, xb, yb) in itertools.pairwise(bps):
            assert tb > ta
            assert 0 <= xb <= 400 and 0 <= yb <= 300
            d = math.hypot(xb - xa, yb - ya)
            if d == 0:
                assert 1 <= tb - ta <= 3  # a pause
            else:
                assert 2 - 1e-9 <= d / (tb - ta) <= 8 + 1e-9
        # moves and pauses alternate
        kinds = ["pause" if (xa, ya) == (xb, yb) else "move"
                 for (_, xa, ya), (_, xb, yb) in itertools.pairwise(bps)]
        assert all(a != b for a, b in itertools.pairwise(kinds))


def test_next_change_brackets_linear_motion():
    m = RandomWaypoint(5, area=(100, 100), speed=(1, 3), pause=(0, 4), rng=random.Random(8))
    for n in m.nodes:
        t = 0.0
        for _ in range(40):
            te = m.next_change(n, t)
            assert te > t
            (x0, y0), (x1, y1) = m.position(n, t), m.position(n, te)
            xm, ym = m.position(n, (t + te) / 2)
            assert (xm, ym) == pytest.approx(((x0 + x1) / 2, (y0 + y1) / 2))
            t = te


def test_manhattan_stays_on_streets():
    block = 120.0
    m = ManhattanGrid(40, blocks=(6, 4), block=block, speed=(3, 12), rng=random.Random(4),
                      pause=(0, 1))
    rng = random.Random(0)
    for _ in range(3000):
        n = rng.choice(m.nodes)
        x, y = m.position(n, rng.uniform(0, 2000))
        assert 0 <= x <= 6 * block and 0 <= y <= 4 * block
        assert x % block == 0 or y % block == 0, (x, y)  # exactly on a street
    for n in m.nodes:
        bps = m.breakpoints(n, 2000.0)
        for (ta, xa, ya), (tb, xb, yb) in itertools.pairwise(bps):
            assert xa % block == 0 and ya % block == 0  # breakpoints are intersections
            d = abs(xb - xa) + abs(yb - ya)
            assert d in (0.0, block)  # one block at a time (or a pause)
            if d:
                assert xa == xb or ya == yb
                assert 3 - 1e-9 <= d / (tb - ta) <= 12 + 1e-9


def test_manhattan_turn_probabilities():
    m = ManhattanGrid(50, blocks=(30, 30), block=10, speed=(10, 10), rng=random.Random(6),
                      turn=(0.6, 0.3, 0.1))
    counts = {"straight": 0, "left": 0, "right": 0, "back": 0}
    for n in m.nodes:
        bps = m.breakpoints(n, 500.0)
        for a, b, c in zip(bps, bps[1:], bps[2:]):
            if not (0 < b[1] < 300 and 0 < b[2] < 300):
                continue  # at the border some options are removed
            u = (b[1] - a[1], b[2] - a[2])
            v = (c[1] - b[1], c[2] - b[2])
            cross = u[0] * v[1] - u[1] * v[0]
            dot = u[0] * v[0] + u[1] * v[1]
            key = "left" if cross > 0 else "right" if cross < 0 else "straight" if dot > 0 else "back"
            counts[key] += 1
    total = sum(counts.values())
    assert counts["back"] == 0 and total > 1000
    assert counts["straight"] / total == pytest.approx(0.6, abs=0.05)
    assert counts["left"] / total == pytest.approx(0.3, abs=0.05)
    assert counts["right"] / total == pytest.approx(0.1, abs=0.05)


def test_manhattan_single_street_turns_back_at_ends():
    m = ManhattanGrid(["car"], blocks=(2, 0), block=100, speed=(10, 10), rng=random.Random(1))
    bps = m.breakpoints("car", 200.0)
    assert all(y == 0.0 for _, _, y in bps)
    assert {x for _, x, _ in bps} <= {0.0, 100.0, 200.0}
    assert all(b[0] - a[0] == pytest.approx(10.0) for a, b in itertools.pairwise(bps))


def test_query_order_does_not_change_paths():
    def build():
        return RandomWaypoint(10, area=(100, 100), speed=(1, 5), pause=1, rng=random.Random(2))
    a, b = build(), build()
    late = [a.position(n, 900.0) for n in a.nodes]
    for t in range(0, 900, 50):  # b is queried step by step, in reverse node order
        for n in reversed(b.nodes):
            b.position(n, float(t))
    assert [b.position(n, 900.0) for n in b.nodes] == late


def test_bad_parameters_and_queries():
    rng = random.Random(0)
    with pytest.raises(ModelError):
        RandomWaypoint(1, area=(10, 10), speed=(0, 5), rng=rng)  # zero speed
    with pytest.raises(ModelError):
        RandomWaypoint(1, area=(10, 10), speed=(5, 1), rng=rng)
    with pytest.raises(ModelError):
        ManhattanGrid(1, blocks=(0, 0), block=10, speed=(1, 2), rng=rng)
    with pytest.raises(ModelError):
        ManhattanGrid(1, blocks=(2, 2), block=10, speed=(1, 2), rng=rng, turn=(0, 0, 0))
    m = RandomWaypoint(1, area=(10, 10), speed=(1, 2), rng=rng)
    with pytest.raises(ModelError):
        m.position(0, -1.0)
    with pytest.raises(ModelError):
        m.position(0, float("nan"))
    with pytest.raises(ModelError):
        m.next_change(7, 0.0)
