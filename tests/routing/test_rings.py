"""The expanding ring search's timing (routing/bricks/aodv.py), run in plain
Python against stub tags: RFC 3561's ring traversal times from the per-hop
time this node measured, planned differently for rings within TTL_THRESHOLD
and for the network-wide ring."""
from __future__ import annotations

from pathlib import Path

import pytest

AODV = Path(__file__).resolve().parents[2] / "routing" / "bricks" / "aodv.py"


def bricks(tags: dict) -> dict:
    """The brick's functions with ``discovery_read`` answering from ``tags``."""
    source = "\n".join(line for line in AODV.read_text(encoding="utf-8").splitlines()
                       if not line.startswith("from routing."))
    namespace = {"discovery_read": tags.get}
    exec(compile(source, str(AODV), "exec"), namespace)
    return namespace


def test_before_any_measurement_both_plan_on_the_rfc_default() -> None:
    ns = bricks({})
    assert ns["aodv_hop_time"]() == ns["aodv_hop_time"](True) == 0.04
    # RFC 3561: RING_TRAVERSAL_TIME = 2 * NODE_TRAVERSAL_TIME * (TTL + TIMEOUT_BUFFER)
    assert ns["aodv_ring_wait"](1, 0.04) == pytest.approx(0.24)
    assert ns["aodv_net_wait"](0.04, 0) == pytest.approx(2.8)
    assert ns["aodv_net_wait"](0.04, 2) == pytest.approx(11.2)  # binary exponential backoff


def test_small_rings_plan_on_the_quiet_channel_and_the_network_wide_ring_on_load() -> None:
    ns = bricks({"hop_rtt_least": 0.007, "hop_rtt": 0.15})
    assert ns["aodv_hop_time"]() == pytest.approx(0.014)  # two round trips a hop
    assert ns["aodv_hop_time"](True) == pytest.approx(0.3)
    # a node that only ever measured its handshakes behind a flood waits no
    # longer than the RFC's default per hop on small rings
    ns = bricks({"hop_rtt_least": 0.2, "hop_rtt": 0.2})
    assert ns["aodv_hop_time"]() == 0.04
    # never less than MIN_TRAVERSAL; the searches' answers count for the network-wide ring
    ns = bricks({"hop_rtt_least": 0.001, "hop_rtt": 0.002, "@RouteHopTime": 0.09})
    assert ns["aodv_hop_time"]() == 0.01
    assert ns["aodv_hop_time"](True) == 0.09


def test_the_give_up_time_sums_the_rings_and_the_retries() -> None:
    ns = bricks({})
    h = 0.05
    rings = sum(2 * h * (ttl + 2) for ttl in (1, 3, 5, 7))
    retries = sum(2 * h * 35 * 2 ** k for k in range(3))
    assert ns["aodv_give_up_after"](h) == pytest.approx(rings + retries)
