"""The simulator as a Python library: scenarios built in code or read from TOML,
the same checks for both, pluggable mobility and link models, metric extractors."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import sim
from sim import (Inject, LinkModel, Mobility, SampledMobility, Scenario, ScenarioError, UnitDisk,
                 run)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sim" / "scenarios" / "demo.toml"
FIND_TAXI = ROOT / "apps" / "bricks" / "find_taxi.py"


def small(**changes) -> Scenario:
    """Eight nodes, a taxi at the far end, one SM looking for it."""
    base = Scenario(name="small", duration=12.0, count=8, radio_range=120.0,
                    mobility="random_waypoint", area=(300.0, 300.0), speed=(2.0, 6.0),
                    tags={5: {"Taxi": True}}, injects=(Inject.from_file(FIND_TAXI, 0, at=1.0),))
    return base.replace(**changes)


def test_toml_and_python_round_trip(tmp_path) -> None:
    demo = Scenario.from_toml(DEMO)
    again_path = tmp_path / "elsewhere" / "copy.toml"
    again_path.parent.mkdir()
    again_path.write_text(demo.to_toml())
    assert Scenario.from_toml(again_path) == demo
    # built in code, with [[node]] and [[event]] parts, and back
    built = Scenario(name="code", seed=3, duration=9.0, count=4, placement="line", spacing=50,
                     tags={0: {"Hot": 1}, 2: {"Hot": 1, "Name": "b"}},
                     node_settings={3: sim.NodeSettings(3, path=((0.0, 0.0, 10.0),
                                                                 (5.0, 40.0, 10.0)),
                                                        tags={"Hot": 2}, actuators=("water",))},
                     events=(sim.TagEvent(2.0, 1, "Hot", 5),),
                     injects=(Inject.from_file(FIND_TAXI, 1, args=[1, "x"], at=0.5),))
    path = tmp_path / "built.toml"
    path.write_text(built.to_toml())
    loaded = Scenario.from_toml(path)
    assert loaded == built
    assert loaded.radio_range == 100.0 and type(loaded.spacing) is float
    a, b = run(built, 2).metrics(), run(loaded, 2).metrics()
    assert json.dumps(a, sort_keys=True) == json.dumps({**b, "scenario": a["scenario"]},
                                                       sort_keys=True)


def test_a_python_model_has_no_toml_form() -> None:
    with pytest.raises(ScenarioError, match=r"nodes\.mobility: a Python model has no TOML form"):
        small(mobility=lambda node, t: (0.0, 0.0)).to_toml()


@pytest.mark.parametrize("field, value, toml", [
    ("radio_range", -5, "[radio]\nrange = -5\n"),
    ("loss", 1.5, "[radio]\nloss = 1.5\n"),
    ("count", "ten", "[nodes]\ncount = 'ten'\n"),
    ("mobility", "teleport", "[nodes]\nmobility = 'teleport'\n"),
    ("speed", (3.0, 1.0), "[nodes]\nspeed = [3.0, 1.0]\n"),
])
def test_a_bad_value_in_code_gets_the_error_toml_gets(tmp_path, field, value, toml) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ScenarioError) as from_file:
        Scenario.from_toml(path)
    with pytest.raises(ScenarioError) as from_code:
        Scenario(**{field: value})
    # the file's error is the code's, with the file and line around the key
    where = re.sub(r" \(line \d+\)", "", str(from_file.value)).removeprefix(f"{path}: ")
    assert str(from_code.value) == where
    assert "\n" not in str(from_code.value)


def test_a_node_out_of_range_is_named_like_in_toml() -> None:
    with pytest.raises(ScenarioError, match=r"^inject\.node: must be a node number 0\.\.2$"):
        small(count=3, injects=(Inject.from_file(FIND_TAXI, 7),), tags={})


def test_the_unit_disk_link_model_is_the_unit_disk_radio() -> None:
    demo = Scenario.from_toml(DEMO).replace(duration=15.0)
    plain = run(demo).metrics()
    modelled = run(demo.replace(link=UnitDisk(demo.radio_range, demo.loss))).metrics()
    assert plain["radio"]["lost"] > 0      # the loss draws are compared too
    assert json.dumps(plain, sort_keys=True) == json.dumps(modelled, sort_keys=True)


def test_a_wall_in_a_link_function_cuts_the_network() -> None:
    line = Scenario(count=4, placement="line", spacing=60.0, duration=8.0, radio_range=100.0,
                    tags={3: {"Taxi": True}}, injects=(Inject.from_file(FIND_TAXI, 0),))
    open_air = run(line).metrics()
    wall = run(line.replace(link=lambda a, b, t: 1.0 if min(a[0], b[0]) < 90 < max(a[0], b[0])
                            else 0.0)).metrics()
    assert open_air["sms"][0]["result"]["taxi"] == "3"
    assert wall["sms"][0]["end"] is None          # still looking: nothing crosses x = 90
    assert wall["radio"]["delivered"] < open_air["radio"]["delivered"]


class Circle(Mobility):
    """Nodes on a circle of 100 m, turning at one radian per ``period`` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self.count, self.period = count, period

    @classmethod
    def from_scenario(cls, scenario, rng) -> Circle:
        return cls(scenario.count, 10.0)

    @property
    def nodes(self) -> list[int]:
        return list(range(self.count))

    def position(self, node, t):
        angle = node * 2 * math.pi / self.count + t / self.period
        return 100 * math.cos(angle), 100 * math.sin(angle)

    def next_change(self, node, t):
        return math.floor(t * 4 + 1) / 4   # straight enough over a quarter second


def test_mobility_as_a_class_an_instance_or_a_function_are_one_interface() -> None:
    base = small(count=6, tags={3: {"Taxi": True}})
    by_class = run(base.replace(mobility=Circle)).metrics()
    by_instance = run(base.replace(mobility=Circle(6, 10.0))).metrics()
    assert json.dumps(by_class) == json.dumps(by_instance)
    assert by_class["sms"][0]["result"]["taxi"] == "3"
    # a function of (node, t): sampled every second, straight lines between
    walker = SampledMobility(lambda node, t: (10.0 * node + t * t, 0.0), 3)
    assert walker.position(1, 2.0) == (14.0, 0.0)
    assert walker.position(1, 2.5) == (16.5, 0.0)     # between t=2 (14) and t=3 (19)
    assert walker.next_change(1, 2.5) == 3.0
    with pytest.raises(sim.ModelError, match="unknown node"):
        walker.position(3, 0.0)
    by_function = run(base.replace(mobility=lambda n, t: (20.0 * n, 0.0))).metrics()
    assert by_function["sms"][0]["result"]["taxi"] == "3"


def test_extractors_add_named_numbers_to_the_metrics(tmp_path) -> None:
    sc = small(extractors={"sms_done": lambda r: sum(s.ended_at is not None for s in r.sms)})
    result = run(sc, 4, out=tmp_path, extractors=[lambda r: {"lost": r.radio.stats.lost,
                                                             "frames_per_node":
                                                             r.radio.stats.frames / 8}])
    assert set(result.extracted) == {"sms_done", "lost", "frames_per_node"}
    metrics = result.metrics()
    assert result.extracted["sms_done"] == sum(sm["end"] is not None for sm in metrics["sms"])
    assert result.extracted["lost"] == metrics["radio"]["lost"]
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["extracted"] == result.extracted
    assert tmp_path / "metrics.json" in result.paths
    with pytest.raises(sim.ModelError, match="must be a number"):
        run(small(duration=2.0), extractors={"bad": lambda r: "many"})


def test_link_models_are_an_interface() -> None:
    class Half(LinkModel):
        reach = 150.0

        def loss(self, a, b, t):
            return 0.5

    result = run(small(link=Half(), duration=6.0))
    stats = result.radio.stats
    assert stats.lost > 0 and stats.delivered > 0
    assert 0.4 < stats.lost / (stats.lost + stats.delivered) < 0.6
