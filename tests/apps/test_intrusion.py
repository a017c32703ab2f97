"""Intrusion detection (apps/intrusion): watchers left by a spatial program
on every motion sensor bring a snapshot of the nearest camera to the user
within the deadline, for every intrusion of the bundled scenario."""
from __future__ import annotations

import csv
import json

import pytest

from apps import registry
from apps.cli import main
from apps.intrusion import app as intrusion


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    out = tmp_path_factory.mktemp("intrusion")
    return out, ["app", "intrusion", "--seed", "1", "--out", str(out), "--json"]


def test_every_intrusion_is_detected_within_its_deadline(bundled, capsys):
    out, argv = bundled
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    params, _ = registry.parameters(intrusion, [])
    assert metrics["intrusions"] == len(params["event"]) == 8
    assert metrics["detected"] == metrics["intrusions"]
    assert metrics["missed"] == metrics["detected_late"] == 0
    assert metrics["latency_p95"] <= params["deadline"] and metrics["latency_p50"] > 0
    # one watcher per sensor of the 7 x 7 grid, each picture a real snapshot
    assert metrics["watchers"] == 49 and metrics["with_snapshot"] == 8
    # the search in growing rings finds one of the nearest cameras
    assert metrics["nearest_camera"] == 8
    assert json.loads((out / "metrics.json").read_text()) == metrics
    with (out / "intrusions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [float(r["at"]) for r in rows] == sorted(float(e["at"]) for e in params["event"])
    for row in rows:
        assert row["snapshot_bytes"] == "1536"
        # the camera's flash is on exactly after dusk
        assert row["flash"] == str(float(row["at"]) > params["dusk"])
    assert (out / "intrusion.png").stat().st_size > 0


def test_a_snapshot_is_the_same_for_the_same_camera_and_instant():
    a, b = intrusion.snapshot(50, 12.34, False), intrusion.snapshot(50, 12.34, False)
    assert a == b and len(a["pixels"]) == 48 * 32
    assert intrusion.snapshot(51, 12.34, False)["pixels"] != a["pixels"]
    assert intrusion.snapshot(50, 12.34, True)["pixels"] != a["pixels"]


def test_an_alert_counting_two_motions_detects_both():
    events = [{"at": 10.0, "node": 5, "what": "a"}, {"at": 12.0, "node": 5, "what": "b"},
              {"at": 12.0, "node": 6, "what": "c"}]
    shot = {"pixels": b"x", "flash": False}
    alerts = [(10.5, {"sensor": "5", "count": 1, "camera": "50", "snapshot": shot}),
              (14.0, {"sensor": "5", "count": 2, "camera": "50", "snapshot": shot})]
    rows = intrusion.match(events, alerts)
    assert [r["latency"] for r in rows] == [0.5, 2.0, None]
    # an alert from before an intrusion does not count for it
    assert intrusion.match(events[1:2], alerts[:1])[0]["latency"] is None


def test_bad_intrusions_are_one_line(tmp_path, capsys):
    bad = tmp_path / "s.toml"
    bad.write_text("[intrusion]\n[[intrusion.event]]\nat = 20.0\nnode = 99\n")
    assert main(["sweep", str(bad), "--param", "deadline=5,10"]) == 2
    assert main(["app", "intrusion", "--param", "cameras=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["smvm: error: intrusion.event[0]: node must be a sensor, 0..48",
                   "smvm: error: --param cameras: must be 1 to 9"]
