"""Sweeps: a grid of scenario variants and seeds, run in parallel, with the
same rows whatever the number of worker processes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.scenario import ScenarioError
from sim.sweep import parse_param, summarise, sweep, write_sweep

DEMO = str(Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "demo.toml")
PARAMS = {"radio.range": [120.0, 200.0], "simulation.duration": [15.0]}


@pytest.mark.slow
def test_parallel_and_serial_sweeps_agree_and_summarise(tmp_path) -> None:
    parallel = sweep(DEMO, PARAMS, seeds=2, jobs=2)
    serial = sweep(DEMO, PARAMS, seeds=2, jobs=1)
    assert json.dumps(parallel, sort_keys=True) == json.dumps(serial, sort_keys=True)
    assert [(r["radio.range"], r["seed"]) for r in parallel] == [
        (120.0, 1), (120.0, 2), (200.0, 1), (200.0, 2)]
    table = summarise(parallel, list(PARAMS))
    assert [row["runs"] for row in table] == [2, 2]
    for row in table:
        assert 0 <= row["delivery"] <= 1 and row["kbytes"] > 0
    paths = write_sweep(table, parallel, list(PARAMS), tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("text", ["radio.rnage=1,2", "radio.range", "nodes.count=many", "radio.loss="])
def test_bad_parameters_are_refused(text) -> None:
    with pytest.raises(ScenarioError):
        parse_param(text)


@pytest.mark.slow
def test_the_ray_engine_gives_the_same_rows_as_the_local_one() -> None:
    pytest.importorskip("ray", reason="Ray is installed with the test extra")
    params = {"radio.range": [120.0, 200.0], "simulation.duration": [10.0]}
    on_ray = sweep(DEMO, params, seeds=1, jobs=2, engine="ray")
    local = sweep(DEMO, params, seeds=1, jobs=1)
    assert json.dumps(on_ray, sort_keys=True) == json.dumps(local, sort_keys=True)
    assert len(on_ray) == 2


def test_unknown_engines_are_refused() -> None:
    with pytest.raises(ScenarioError, match="unknown engine"):
        sweep(DEMO, {"radio.range": [100.0]}, seeds=1, engine="cloud")
