"""Retransmission timeouts follow each neighbour's measured round trip."""
from __future__ import annotations

from smvm.node._hops import RetryPolicy
from smvm.node._rtt import RttEstimator


def test_the_estimate_follows_samples_and_backs_off_until_the_next_one() -> None:
    rtt = RttEstimator()
    assert rtt.timeout("b", 0.05) == 0.05
    rtt.sample("b", 0.1)
    assert rtt.timeout("b", 0.05) == 0.1 + 4 * 0.05
    rtt.sample("b", 0.1)
    assert abs(rtt.timeout("b", 0.05) - (0.1 + 4 * 0.0375)) < 1e-12
    before = rtt.timeout("b", 0.05)
    rtt.expired("b")
    rtt.expired("b")
    assert rtt.timeout("b", 0.05) == 4 * before
    rtt.sample("b", 0.1)  # a fresh answer ends the backoff
    assert rtt.timeout("b", 0.05) < before
    rtt.forget("b")
    # afresh, but the channel's backoff stays (two expiries doubled it twice,
    # the answer halved it once)
    assert rtt.timeout("b", 0.05) == 0.05 * 2


def test_backoff_is_capped_and_a_slow_peer_never_shortens_the_first_delay() -> None:
    rtt = RttEstimator()
    for _ in range(20):
        rtt.expired("c")
    assert rtt.timeout("c", 0.05) == 0.05 * 64
    rtt.sample("d", 0.001)
    assert rtt.timeout("d", 0.05) == 0.05


def test_the_hop_timeout_takes_the_longer_of_its_own_backoff_and_the_estimate() -> None:
    policy = RetryPolicy(first_delay=0.05, factor=2.0, max_delay=1.0, seconds_per_byte=0.0,
                         jitter=0.0)
    assert policy.delay(3) == 0.4
    assert policy.delay(3, estimate=0.9) == 0.9
    assert policy.delay(10) == 1.0
    assert policy.delay(0, size=1000) == 0.05
    sized = RetryPolicy(first_delay=0.05, seconds_per_byte=8e-6, jitter=0.5)
    assert abs(sized.delay(0, size=10_000, spread=0.5) - (0.05 + 0.08) * 1.25) < 1e-12


def test_a_new_neighbour_inherits_the_shared_channel_s_round_trip_and_backoff() -> None:
    rtt = RttEstimator()
    rtt.sample("a", 0.3)  # the channel queues: a neighbour answered slowly
    assert rtt.timeout("new", 0.05) == 0.3  # not the first delay: the frame crosses the same channel
    rtt.expired("a")
    rtt.expired("a")
    assert rtt.timeout("new", 0.05) == 0.3 * 4  # the channel is congested for everyone
    rtt.sample("a", 0.3)
    assert rtt.timeout("new", 0.05) == 0.3 * 2  # each answer halves the shared backoff
    rtt.sample("a", 0.3)
    assert rtt.timeout("new", 0.05) == 0.3


def test_the_least_round_trip_is_the_quiet_channel_s_and_forgets_departed_peers() -> None:
    rtt = RttEstimator()
    assert rtt.least() is None
    rtt.sample("a", 0.2)
    rtt.sample("a", 0.004)  # the burst is over
    rtt.sample("a", 0.1)
    rtt.sample("b", 0.006)
    assert abs(rtt.least() - 0.005) < 1e-12
    assert rtt.mean() > 0.05  # the smoothed estimate still remembers the burst
    rtt.forget("a")
    assert rtt.least() == 0.006
