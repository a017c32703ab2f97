"""The unit-disk radio against hand-computed cases: range edge, loss, timing, shared medium."""
from __future__ import annotations

import random

import pytest

from sim import ModelError, Radio, StaticPlacement, UnitDiskRadio


def radio_with(positions, **kw) -> UnitDiskRadio:
    placement = StaticPlacement(positions)
    radio = UnitDiskRadio(**kw)
    for n in placement.nodes:
        radio.attach(n, lambda t, n=n: placement.position(n, t))
    return radio


def test_is_a_radio():
    assert isinstance(UnitDiskRadio(10), Radio)


@pytest.mark.parametrize("pos, reachable", [
    ((100.0, 0.0), True),            # exactly at the range
    ((60.0, 80.0), True),            # 3-4-5 triangle, exactly at the range
    ((0.0, -100.0), True),
    ((100.000001, 0.0), False),
    ((60.0, 80.0001), False),
    ((-70.0, -70.0), True),          # 98.99 m
    ((-71.0, -71.0), False),         # 100.41 m
])
def test_range_edge(pos, reachable):
    radio = radio_with({"a": (0.0, 0.0), "b": pos}, range_m=100.0, delay_s=0.0)
    assert (radio.unicast("a", "b", 0, 0.0) is not None) is reachable
    assert radio.neighbors("a", 0.0) == (["b"] if reachable else [])
    assert [d for d, _ in radio.broadcast("b", 0, 0.0)] == (["a"] if reachable else [])


def test_arrival_is_now_plus_delay_plus_transmission_time():
    radio = radio_with([(0, 0), (50, 0), (0, 50)], range_m=100, bandwidth_bps=2e6, delay_s=0.001)
    # 1000 bytes * 8 / 2e6 = 4 ms on air, plus 1 ms delay.
    assert radio.airtime(1000) == pytest.approx(0.004)
    assert radio.broadcast(0, 1000, 3.0) == [(1, pytest.approx(3.005)), (2, pytest.approx(3.005))]
    # Later, once the medium is idle again, the same sum holds.
    assert radio.unicast(1, 2, 250, 10.0) == pytest.approx(10.0 + 0.001 + 0.001)
    assert radio.stats.frames == 2 and radio.stats.bytes == 1250 and radio.stats.delivered == 3


def test_loss_statistics_with_a_seed():
    rng = random.Random(42)
    radio = radio_with([(0, 0), (10, 0), (0, 10)], range_m=20, loss=0.3, rng=rng,
                       bandwidth_bps=1e12, delay_s=0.0)
    n = 10_000
    delivered = sum(len(radio.broadcast(0, 10, float(i))) for i in range(n))
    # 2n Bernoulli(0.7) trials: mean 14000, sd ~ 65.
    assert abs(delivered - 0.7 * 2 * n) < 4 * (2 * n * 0.3 * 0.7) ** 0.5
    assert radio.stats.delivered == delivered
    assert radio.stats.lost == 2 * n - delivered
    # Deterministic: the same seed drops exactly the same frames.
    again = radio_with([(0, 0), (10, 0), (0, 10)], range_m=20, loss=0.3, rng=random.Random(42),
                       bandwidth_bps=1e12, delay_s=0.0)
    assert sum(len(again.broadcast(0, 10, float(i))) for i in range(n)) == delivered


def test_loss_extremes():
    always = radio_with([(0, 0), (1, 0)], range_m=5, loss=1.0, rng=random.Random(1))
    assert always.broadcast(0, 10, 0.0) == [] and always.unicast(0, 1, 10, 1.0) is None
    with pytest.raises(ModelError):
        UnitDiskRadio(5, loss=0.1)  # lossy without an rng
    for bad in ({"range_m": -1}, {"range_m": 1, "loss": 1.5}, {"range_m": 1, "bandwidth_bps": 0},
                {"range_m": 1, "delay_s": -1}):
        with pytest.raises(ModelError):
            UnitDiskRadio(**bad)


def test_unicast_out_of_range_still_takes_air_time():
    radio = radio_with([(0, 0), (50, 0), (500, 0)], range_m=100, bandwidth_bps=8000, delay_s=0.0)
    assert radio.unicast(0, 2, 1000, 0.0) is None
    assert radio.stats.unreachable == 1
    assert radio.busy_until(0) == 1.0 and radio.busy_until(1) == 1.0
    assert radio.busy_until(2) == 0.0
    assert radio.unicast(0, 1, 1000, 0.0) == 2.0  # queued behind the lost frame
    with pytest.raises(ModelError):
        radio.unicast(0, "nobody", 10, 0.0)


# Shared medium. 1000-byte frames at 8000 bit/s take exactly 1 s on air; no delay.
SLOW = {"range_m": 100.0, "bandwidth_bps": 8000.0, "delay_s": 0.0}


def test_medium_three_node_line():
    #  A(0) -- B(100) -- C(200); A and C cannot hear each other.
    radio = radio_with({"A": (0, 0), "B": (100, 0), "C": (200, 0)}, **SLOW)
    assert radio.broadcast("A", 1000, 0.0) == [("B", 1.0)]
    # C does not hear A: it transmits at once (a hidden terminal; no collision model).
    assert radio.broadcast("C", 1000, 0.0) == [("B", 1.0)]
    # B heard both: its frame waits until the medium around it is free.
    assert radio.broadcast("B", 1000, 0.0) == [("A", 2.0), ("C", 2.0)]
    # A heard B's frame: its second frame queues behind it, not behind its own first.
    assert radio.unicast("A", "B", 1000, 0.5) == 3.0
    # C only heard B's frame (and A's frame at 2-3 is out of its range).
    assert radio.unicast("C", "B", 1000, 0.5) == 3.0
    assert [radio.busy_until(n) for n in "ABC"] == [3.0, 3.0, 3.0]
    # Once everything has left the air, the medium is idle again.
    assert radio.unicast("B", "C", 1000, 10.0) == 11.0


def test_medium_own_frames_queue():
    radio = radio_with([(0, 0), (10, 0)], **SLOW)
    arrivals = [radio.unicast(0, 1, 500, 0.0) for _ in range(4)]
    assert arrivals == [0.5, 1.0, 1.5, 2.0]


def test_medium_star_in_mutual_range_serialises():
    # Hub at the centre, four leaves 40 m away: everybody hears everybody.
    pos = {"H": (0, 0), 1: (40, 0), 2: (0, 40), 3: (-40, 0), 4: (0, -40)}
    radio = radio_with(pos, **SLOW)
    got = [radio.unicast(leaf, "H", 1000, 0.0) for leaf in (1, 2, 3, 4)]
    assert got == [1.0, 2.0, 3.0, 4.0]
    assert radio.broadcast("H", 1000, 0.5) == [(n, 5.0) for n in (1, 2, 3, 4)]


def test_medium_star_with_hidden_leaves_and_spatial_reuse():
    # Leaves 100 m from the hub are 141+ m from each other: they cannot hear each other,
    # so they all transmit at once (the approximation does not model collisions at H),
    # but the hub has to wait for all of them.
    pos = {"H": (0, 0), 1: (100, 0), 2: (0, 100), 3: (-100, 0), 4: (0, -100)}
    radio = radio_with(pos, **SLOW)
    assert [radio.unicast(leaf, "H", 1000, 0.0) for leaf in (1, 2, 3, 4)] == [1.0] * 4
    assert radio.broadcast("H", 1000, 0.0) == [(n, 2.0) for n in (1, 2, 3, 4)]


def test_detach():
    radio = radio_with([(0, 0), (1, 0), (2, 0)], range_m=5)
    radio.detach(1)
    assert radio.neighbors(0, 0.0) == [2] and radio.nodes == [0, 2]
    with pytest.raises(ModelError):
        radio.detach(1)
    radio.attach(1, lambda t: (1.0, 0.0))
    assert radio.neighbors(0, 0.0) == [2, 1]  # attach order
