"""SUMO FCD traces as node movement."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim import ModelError
from sim.traces import FcdTrace

DATA = Path(__file__).resolve().parents[1] / "data" / "fcd_small.xml"


def test_positions_interpolate_between_time_steps_and_absent_cars_are_parked() -> None:
    trace = FcdTrace.from_file(DATA)
    assert trace.names == ["car_a", "car_b", "taxi_1"] and trace.nodes == [0, 1, 2]
    assert trace.position(0, 0.5) == pytest.approx((5.0, 0.0))
    assert trace.position(2, 1.5) == pytest.approx((300.0, 47.5))
    parked = trace.position(2, 0.5)             # the taxi enters at t=1
    assert math.dist(parked, (300.0, 50.0)) > 1e7
    assert math.dist(trace.position(1, 1.5), trace.position(0, 1.5)) > 1e7  # car_b left
    assert trace.next_change(2, 0.0) == 1.0 and trace.next_change(0, 0.5) == 1.0


def test_geographic_traces_are_projected_to_metres(tmp_path) -> None:
    geo = tmp_path / "geo.xml"
    geo.write_text('<fcd-export><timestep time="0"><vehicle id="v" lon="13.0" lat="52.0"/>'
                   '<vehicle id="w" lon="13.001" lat="52.0"/></timestep></fcd-export>')
    trace = FcdTrace.from_file(geo)
    gap = math.dist(trace.position(0, 0.0), trace.position(1, 0.0))
    assert 60 < gap < 75  # 0.001 degree of longitude at 52 N is about 68.5 m


def test_persons_in_a_trace_are_not_nodes(tmp_path) -> None:
    mixed = tmp_path / "mixed.xml"
    mixed.write_text('<fcd-export><timestep time="0"><vehicle id="v" x="0" y="0" type="taxi"/>'
                     '<person id="p" x="5" y="5"/></timestep>'
                     '<timestep time="1"><person id="q" x="6" y="6"/>'
                     '<vehicle id="w" x="1" y="0"/></timestep></fcd-export>')
    assert FcdTrace.from_file(mixed).names == ["v", "w"]


@pytest.mark.parametrize("text", ["not xml", '<fcd-export><timestep time="x"/></fcd-export>',
                                  '<fcd-export><timestep time="0"><vehicle id="v"/></timestep></fcd-export>',
                                  "<fcd-export/>"])
def test_bad_traces_are_refused_clearly(tmp_path, text) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(text)
    with pytest.raises(ModelError):
        FcdTrace.from_file(bad)


def test_a_scenario_can_drive_nodes_from_a_trace(tmp_path) -> None:
    from sim.run import run
    from sim.scenario import ScenarioError, load
    brick = tmp_path / "hop.py"
    brick.write_text('def main():\n    while not read_tag("neighbors"):\n'
                     '        try:\n            block_tag("x", 0.2)\n'
                     '        except TagTimeout:\n            pass\n'
                     '    sys_migrate(read_tag("neighbors")[0])\n    return node_id()\n')
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[simulation]\nduration = 3.0\n[radio]\nrange = 150.0\n'
                        f'[nodes]\nmobility = "fcd"\ntrace = "{DATA}"\nbeacon_interval = 0.2\n'
                        f'[[inject]]\nnode = 0\nbrick = "hop.py"\nat = 0.1\n')
    sc = load(scenario)
    assert sc.count == 3
    [sm] = run(sc).metrics()["sms"]
    assert sm["result"] == "1" and sm["hops"] == 1  # car_a's only neighbour is car_b
    scenario.write_text('[nodes]\nmobility = "fcd"\ncount = 7\ntrace = "' + str(DATA) + '"\n')
    with pytest.raises(ScenarioError, match="the trace has 3 vehicles"):
        load(scenario)
