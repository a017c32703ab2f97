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
    assert rtt.timeout("b", 0.05) == 0.05


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
