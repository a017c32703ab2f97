"""The routing study's model: the region, the tour, and the published shape
(geographic + on-demand sends far fewer bytes and finishes sooner)."""
from __future__ import annotations

import pytest

from apps.routing_study import StudyRun, layout, run_study

KEYS = {"radius", "algorithm", "seed", "completion_s", "bytes", "frames"}


def test_the_region_has_its_corners_in_clockwise_order() -> None:
    positions, order = layout(StudyRun(300.0, "on-demand", 1))
    assert [positions[n] for n in order] == [(0.0, 0.0), (0.0, 300.0), (300.0, 300.0), (300.0, 0.0)]
    assert len(positions) == 49
    assert all(0.0 <= x <= 300.0 and 0.0 <= y <= 300.0 for x, y in positions)
    assert layout(StudyRun(300.0, "on-demand", 1)) == (positions, order)  # seeded


def test_geographic_plus_on_demand_beats_on_demand_alone() -> None:
    rows = {a: run_study(StudyRun(200.0, a, 1)) for a in ("on-demand", "geo+on-demand")}
    for row in rows.values():
        assert KEYS <= set(row) and row["ok"], row
        assert row["hops"] >= 6  # three sides and the way home, 100 m radio
    od, geo = rows["on-demand"], rows["geo+on-demand"]
    assert geo["bytes"] * 3 < od["bytes"] and geo["frames"] * 3 < od["frames"]
    assert geo["completion_s"] < od["completion_s"]


def test_a_warm_code_cache_cuts_the_bytes_per_hop() -> None:
    cold = run_study(StudyRun(100.0, "geo+on-demand", 1))
    warm = run_study(StudyRun(100.0, "geo+on-demand", 1, code_cached=True))
    assert cold["ok"] and warm["ok"] and cold["hops"] == warm["hops"]
    assert warm["bytes"] * 2 < cold["bytes"]


def test_unknown_algorithms_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        run_study(StudyRun(100.0, "flooding", 1))
