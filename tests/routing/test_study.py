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
    # (by less than half since code travels compressed against the installed
    # library bricks: the unit here is mostly routing bricks)
    cold = run_study(StudyRun(100.0, "geo+on-demand", 1))
    warm = run_study(StudyRun(100.0, "geo+on-demand", 1, code_cached=True))
    assert cold["ok"] and warm["ok"] and cold["hops"] == warm["hops"]
    assert warm["bytes"] < cold["bytes"] and warm["completion_s"] < cold["completion_s"]


def test_unknown_algorithms_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        run_study(StudyRun(100.0, "flooding", 1))


def test_the_summary_gives_means_and_95_percent_intervals_of_the_completed_runs() -> None:
    from benchmarks.routing_study import PAPER, summarise

    def row(seed: int, seconds: float, ok: bool = True) -> dict:
        return {"radius": 100.0, "algorithm": "on-demand", "seed": seed, "code_cached": False,
                "ok": ok, "completion_s": seconds, "bytes": 1000 * seconds, "frames": 10,
                "hops": 4, "nodes": 9}

    rows = [row(1, 1.0), row(2, 2.0), row(3, 3.0), row(4, 60.0, ok=False)]
    entry = summarise(rows, [100.0])[100.0, "on-demand", False]
    assert entry["runs"] == 4 and entry["completed"] == 3  # the failed run is counted, not averaged
    assert entry["completion_s"] == 2.0 and entry["bytes"] == 2000.0
    # Student's t with 2 degrees of freedom (4.303) times the standard error
    assert entry["completion_s_ci95"] == pytest.approx(4.303 * 1.0 / 3 ** 0.5)
    assert entry["frames_ci95"] == 0.0
    assert all(p["radius"] == 700.0 and p["algorithm"] == "on-demand" for p in PAPER["points"])


def test_a_run_after_another_in_one_process_matches_the_same_run_in_a_fresh_one() -> None:
    # Same seed, same row, byte for byte, whatever ran before in the process
    # (a sweep's worker runs many configurations one after another).
    import json
    import subprocess
    import sys
    from pathlib import Path

    run_study(StudyRun(100.0, "on-demand", 2))
    after = run_study(StudyRun(100.0, "geo+on-demand", 1))
    root = Path(__file__).resolve().parents[2]
    fresh = subprocess.run(
        [sys.executable, "-c", "import json; from apps.routing_study import StudyRun, run_study; "
         "print(json.dumps(run_study(StudyRun(100.0, 'geo+on-demand', 1))))"],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": ""}, capture_output=True, text=True,
        timeout=120, check=True)
    assert json.dumps(after) == fresh.stdout.strip()


def test_a_run_sends_the_unit_it_is_given_not_the_brick_files_as_they_are_later(monkeypatch) -> None:
    # A sweep reads the SM's code once and hands it to every run: brick files
    # edited while it runs must not change its later runs.
    import hashlib

    import apps.routing_study as study

    run = StudyRun(100.0, "geo+on-demand", 1)
    unit = study.study_unit()
    before = run_study(run, unit)
    assert before["ok"] and before["unit"] == hashlib.sha256(unit.encode()).hexdigest()
    # the tour's timeout per corner, edited in the file after the unit was read
    monkeypatch.setattr(study, "load_brick", lambda path: unit.replace("60.0", "61.0"))
    assert run_study(run, unit) == before
    edited = run_study(run)  # no unit given: the files as they are now
    assert edited["ok"] and edited["unit"] != before["unit"]
