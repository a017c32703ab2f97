"""TrafficView on a short SUMO highway: aggregation extends how far ahead
vehicles see, at bounded bytes and error."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("sumo")

from apps.cli import main  # noqa: E402

from ._runs import app_argv  # noqa: E402

SMALL = ["length=1500", "duration=30", "warmup=12", "capacity=6"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("trafficview")
    return out, app_argv("trafficview", out, SMALL)


def test_aggregation_extends_visible_distance_at_bounded_bytes(run, capsys):
    out, argv = run
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    seen, err, rate = (metrics[k] for k in ("visible_distance_m", "error_m", "bytes_per_s"))
    assert set(seen) == set(err) == set(rate) == {"none", "ratio", "cost"}
    for policy in ("ratio", "cost"):
        assert seen[policy] > 1.2 * seen["none"]     # sees farther
        assert rate[policy] <= 1.05 * rate["none"]   # for no more bytes
        assert err[policy] < 10.0                    # and stays accurate
    assert err["none"] < 5.0
    # the error grows with distance where records are aggregated
    by_distance = metrics["error_by_distance"]["cost"]
    assert by_distance["0"] < max(by_distance.values())
    assert json.loads((out / "metrics.json").read_text()) == metrics
    for name in ("policies.csv", "error_by_distance.csv", "trafficview.png", "road_ahead.txt"):
        assert (out / name).stat().st_size > 0
    road = (out / "road_ahead.txt").read_text()
    assert "known |" in road and "truth |" in road
