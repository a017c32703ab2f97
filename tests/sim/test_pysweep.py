"""Sweeps over Python values: closures and lambdas travel to process-pool and
Ray workers with cloudpickle, and every engine gives the same rows."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from apps.cli import main
from sim import Inject, Scenario, ScenarioError, run, sweep

FIND_TAXI = Path(__file__).resolve().parents[2] / "apps" / "bricks" / "find_taxi.py"
TAXI = Inject.from_file(FIND_TAXI, 0, at=0.5)


def orbit(radius: float):
    """A closure: nodes spread on a circle of ``radius``, each drifting around it."""
    def position(node: int, t: float) -> tuple[float, float]:
        angle = node * 0.9 + t * 0.05 * (1 + node % 3)
        return radius * math.cos(angle), radius * math.sin(angle)
    return position


def make(radius: float, range_m: float, seed: int) -> Scenario:
    return Scenario(name="orbit", count=7, duration=6.0, radio_range=range_m, seed=seed,
                    mobility=orbit(radius), tags={4: {"Taxi": True}}, injects=(TAXI,))


GRID = {"radius": [90.0, 160.0], "range_m": [120.0]}
EXTRACTORS = {"far_frames": lambda r: r.radio.stats.frames - r.radio.stats.delivered,
              "radius_seen": lambda r: round(math.hypot(*r.network.mobility.position(0, 0.0)))}


def canonical(rows: list[dict]) -> str:
    return json.dumps(rows, sort_keys=True)


def test_closures_and_lambdas_give_the_same_rows_in_a_process_pool() -> None:
    here = sweep(make, GRID, seeds=2, jobs=1, extractors=EXTRACTORS)
    pooled = sweep(make, GRID, seeds=2, jobs=2, extractors=EXTRACTORS)
    assert canonical(pooled) == canonical(here)
    assert [(r["radius"], r["seed"]) for r in here] == [(90.0, 1), (90.0, 2), (160.0, 1),
                                                        (160.0, 2)]
    assert [r["radius_seen"] for r in here] == [90, 90, 160, 160]
    # the rows are those of runs made directly
    direct = run(make(160.0, 120.0, 2), 2, extractors=EXTRACTORS)
    assert here[3]["far_frames"] == direct.extracted["far_frames"]
    assert here[3]["frames"] == direct.radio.stats.frames


@pytest.mark.slow
def test_closures_and_lambdas_give_the_same_rows_on_ray() -> None:
    ray = pytest.importorskip("ray", reason="Ray is installed with the test extra")
    here = sweep(make, GRID, seeds=1, jobs=1, extractors=EXTRACTORS)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = sweep(make, GRID, seeds=1, engine="ray", jobs=2, extractors=EXTRACTORS)
    finally:
        ray.shutdown()
    assert canonical(on_ray) == canonical(here)


def test_grid_values_may_be_models_and_labels_tell_them_apart() -> None:
    base = Scenario(count=5, duration=3.0, tags={4: {"Taxi": True}}, injects=(TAXI,))
    line = lambda node, t: (60.0 * node, 0.0)          # noqa: E731 - a lambda on purpose
    rows = sweep(base, {"mobility": [orbit(80.0), line, "static"], "radio.range": [100]},
                 seeds=[5], jobs=1)
    assert [r["mobility"] for r in rows] == ["position", "<lambda>", "static"]
    assert [r["radio.range"] for r in rows] == [100, 100, 100]
    assert all(r["seed"] == 5 for r in rows)
    twins = sweep(base, {"mobility": [orbit(80.0), orbit(90.0)]}, seeds=1, jobs=1)
    assert [r["mobility"] for r in twins] == ["position#0", "position#1"]


def test_a_bad_swept_value_is_the_scenario_error_before_any_run() -> None:
    with pytest.raises(ScenarioError, match=r"^radio\.range: must be positive$"):
        sweep(make, {"radius": [90.0], "range_m": [100.0, -1.0]}, seeds=1, jobs=2)
    with pytest.raises(ScenarioError, match="grid key 'radio.rnage' is not a scenario field"):
        sweep(Scenario(), {"radio.rnage": [1.0]}, seeds=1)
    with pytest.raises(ScenarioError, match="returned int, not a Scenario"):
        sweep(lambda x: x, {"x": [1]}, seeds=1)


SCRIPT = '''
import math
from pathlib import Path
from sim import Inject, Scenario

brick = Inject.from_file(Path({brick!r}), 0, at=0.5)

def scenario(range_m, seed):
    return Scenario(name="script", count=6, duration=4.0, radio_range=range_m, seed=seed,
                    mobility=lambda node, t: (70.0 * node + t, 0.0),
                    tags={{5: {{"Taxi": True}}}}, injects=(brick,))

grid = {{"range_m": [{ranges}]}}
seeds = 2
extractors = {{"first_x": lambda r: r.network.mobility.position(1, 1.0)[0]}}
'''


def test_the_sweep_command_runs_a_script(tmp_path, capsys) -> None:
    script = tmp_path / "study.py"
    script.write_text(SCRIPT.format(brick=str(FIND_TAXI), ranges="80.0, 150.0"))
    assert main(["sweep", str(script), "--jobs", "2", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "study: 4 runs" in out and "first_x" in out
    written = json.loads((tmp_path / "o" / "sweep.json").read_text())
    assert [r["first_x"] for r in written["runs"]] == [71.0] * 4
    assert [row["runs"] for row in written["summary"]] == [2, 2]
    assert "first_x_ci95" in written["summary"][0]


def test_a_scripts_mistakes_are_one_line(tmp_path, capsys) -> None:
    script = tmp_path / "bad.py"
    script.write_text(SCRIPT.format(brick=str(FIND_TAXI), ranges="80.0, -3"))
    assert main(["sweep", str(script)]) == 2
    assert capsys.readouterr().err.strip() == "smvm: error: radio.range: must be positive"
    script.write_text("grid = {}\n")
    assert main(["sweep", str(script)]) == 2
    assert "must define scenario" in capsys.readouterr().err
    script.write_text("import sim\nscenario = sim.Scenario()\ngrid = {'count': [1]}\n1 / 0\n")
    assert main(["sweep", str(script)]) == 2
    assert capsys.readouterr().err.strip() == \
        f"smvm: error: {script}: ZeroDivisionError: division by zero"
    assert main(["sweep", str(script), "--param", "radio.range=1"]) == 2


@pytest.mark.slow
def test_the_documented_campus_example_runs_as_written_on_ray(tmp_path, monkeypatch) -> None:
    pytest.importorskip("ray", reason="Ray is installed with the test extra")
    text = (Path(__file__).resolve().parents[2] / "docs" / "sim.md").read_text()
    after = text.split("### Example: a campus", 1)[1]
    code = after.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "campus.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "campus.py", "--out", "ray"]) == 0         # engine "ray", as written
    assert main(["sweep", "campus.py", "--engine", "local", "--jobs", "1", "--out", "here"]) == 0
    on_ray = json.loads((tmp_path / "ray" / "sweep.json").read_text())
    here = json.loads((tmp_path / "here" / "sweep.json").read_text())
    assert on_ray == here
    assert len(on_ray["runs"]) == 8
    assert {(r["range_m"], r["density"]) for r in on_ray["summary"]} == {
        (50.0, 4.0), (50.0, 8.0), (80.0, 4.0), (80.0, 8.0)}
    assert all(r["frames_per_node"] > 0 for r in on_ray["runs"])
    assert (tmp_path / "ray" / "sweep.png").stat().st_size > 10_000
