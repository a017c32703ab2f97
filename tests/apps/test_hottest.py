"""Hottest spot (apps/hottest): the spatial program, re-run every period by a
level trigger, waters the Left Hill's truly hottest sprinkler and closes the
one before; on a small seeded scenario, through ``smvm app``."""
from __future__ import annotations

import csv
import json

import pytest

from apps import registry
from apps.cli import main
from apps.hottest import app as hottest

from ._runs import app_argv

SMALL = ["duration=300", "period=30", "sprinklers=4"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hottest")
    return out, app_argv("hottest", out, SMALL)


def test_the_hottest_left_hill_sprinkler_is_watered_in_nine_rounds_of_ten(run, capsys):
    out, argv = run
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # a round every 30 s from t=5 (each takes a moment) until the trigger expires
    assert 8 <= metrics["rounds"] <= 10
    assert metrics["correct_rounds"] >= 0.9 * metrics["rounds"]
    assert metrics["lost_rounds"] == 0 and metrics["program_error"] is None
    # every round walked the whole hill afresh and read each of its sprinklers
    assert metrics["sprinklers_read_min"] == 4
    # the previous valve is closed: never two open at once after a round
    assert metrics["max_open_valves"] == 1
    assert metrics["bytes_per_round"] > 0
    assert json.loads((out / "metrics.json").read_text()) == metrics
    with (out / "rounds.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == metrics["rounds"]
    params, _ = registry.parameters(hottest, SMALL)
    params.pop("seed")
    _, where, _ = hottest.build(params, 1)
    left = {str(n) for n in where.left_sprinklers}
    started = [float(r["started"]) for r in rows]
    assert all(b - a >= 30.0 for a, b in zip(started, started[1:]))
    assert {r["chosen"] for r in rows} <= left | {""}
    for name in ("hottest.png", "temperatures.csv"):
        assert (out / name).stat().st_size > 0


def test_the_truth_is_the_sensors_reading_when_the_valve_opened():
    params, _ = registry.parameters(hottest, SMALL)
    params.pop("seed")
    world, where, weather = hottest.build(params, 3)
    t = 50.0
    truth = {n: weather.reading(n, world.mobility.position(n, t), t)
             for n in where.left_sprinklers}
    hottest_node = max(truth, key=truth.get)
    report = {"seq": 1, "started": t - 1, "chosen": [str(hottest_node), 0.0, 0.0],
              "chosen_at": t, "readings": [], "timeouts": 0}
    assert hottest.judge(report, where, weather, world)["correct"]
    other = next(n for n in where.left_sprinklers if truth[n] < truth[hottest_node])
    report["chosen"] = [str(other), 0.0, 0.0]
    assert not hottest.judge(report, where, weather, world)["correct"]
    # a right-hill sprinkler is never the Left Hill's hottest, however hot
    report["chosen"] = [str(where.right_sprinklers[0]), 0.0, 0.0]
    assert not hottest.judge(report, where, weather, world)["correct"]


def test_sprinklers_stay_on_their_hill_and_an_open_valve_cools_its_sensor():
    params, _ = registry.parameters(hottest, SMALL)
    params.pop("seed")
    world, where, weather = hottest.build(params, 2)
    for node in where.sprinklers:
        hill = where.left if node in where.left_sprinklers else where.right
        assert all(hill.inside(world.mobility.position(node, t)) for t in range(0, 300, 7))
    node = where.left_sprinklers[0]
    at = world.mobility.position(node, 100.0)
    dry = weather.reading(node, at, 100.0)
    world.actuators[(str(node), "water")].write(True, 40.0)
    assert weather.reading(node, at, 100.0) < dry - 0.5 * params["cooling"]


def test_bad_parameters_are_one_line(capsys):
    assert main(["app", "hottest", "--param", "period=0"]) == 2
    assert main(["app", "hottest", "--param", "duration=20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("smvm: error: --param") for line in err)


def test_smvm_sweep_runs_an_application_scenario(tmp_path, capsys):
    scenario = str(hottest.SCENARIO)
    argv = ["sweep", scenario, "--param", "period=30,40", "--param", "duration=100",
            "--param", "sprinklers=2", "--seeds", "1", "--jobs", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    result = json.loads((tmp_path / "sweep.json").read_text())
    assert result["swept"] == {"period": [30.0, 40.0]}
    assert [(r["period"], r["seed"]) for r in result["rows"]] == [(30.0, 1), (40.0, 1)]
    assert all(r["rounds"] >= 2 and r["correct_rounds"] <= r["rounds"] for r in result["rows"])
    # fewer rounds fit in the same time with the longer period
    assert result["rows"][0]["rounds"] > result["rows"][1]["rounds"]
    assert (tmp_path / "sweep.csv").stat().st_size > 0 and (tmp_path / "sweep.png").exists()
    assert main(["sweep", scenario, "--param", "period=30"]) == 2
    assert "needs a --param KEY=V1,V2" in capsys.readouterr().err
