"""The real SUMO binaries generate (or load) a street network, traffic, a
taxi fleet with SUMO's taxi device and its customers; the simulator moves
nodes along the result, with exactly the taxi-device vehicles tagged Taxi."""
from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sim.run import run
from sim.scenario import load
from sim.traces import FcdTrace
from apps.cli import main

sumo = pytest.importorskip("sumo", reason="eclipse-sumo is installed with the test extra")

PROBE = "def main():\n    return node_id(), has_tag('Taxi')\n"


def fcd_types(fcd: Path) -> dict[str, str]:
    """vehicle id -> vehicle type, as SUMO wrote them in the FCD."""
    return {v.get("id"): v.get("type") for v in ET.parse(fcd).getroot().iter("vehicle")}


def tagged(scenario: Path) -> set[int]:
    return {node for node, tags in load(scenario).tags.items() if tags.get("Taxi")}


def probe_every_node(scenario: Path, at: float) -> list:
    """Inject a probe on every node; return its results in node order."""
    (scenario.parent / "probe.py").write_text(PROBE)
    sc = load(scenario)
    with scenario.open("a") as f:
        for node in range(sc.count):
            f.write(f'\n[[inject]]\nnode = {node}\nbrick = "probe.py"\nat = {at}\n')
    sms = run(load(scenario)).metrics()["sms"]
    return [sm["result"] for sm in sorted(sms, key=lambda sm: int(sm["origin"]))]


@pytest.mark.slow
def test_a_generated_grid_with_a_taxi_fleet_drives_a_scenario(tmp_path) -> None:
    from sim.sumo import TAXI_TYPE, generate_fcd, write_scenario
    result = generate_fcd(tmp_path, grid=3, block=100.0, duration=40.0, period=2.0, seed=3,
                          taxis=3, customer_period=5.0)
    trace = FcdTrace.from_file(result.fcd)
    types = fcd_types(result.fcd)
    assert len(trace.names) >= 5 and set(trace.names) == set(types)
    # SUMO's own account of who carries the taxi device agrees with the FCD's types
    assert result.taxis == {v for v, t in types.items() if t == TAXI_TYPE}
    assert len(result.taxis) == 3
    # customers really ride taxis (the taxi device serves person rides)
    rides = ET.parse(tmp_path / "customers.xml").getroot().iter("ride")
    assert {r.get("lines") for r in rides} == {"taxi"}
    served = [float(t.get("occupiedTime")) for t in
              ET.parse(result.tripinfo).getroot().iter("taxi")]
    assert len(served) == 3 and max(served) > 0, "some taxi carried a customer"
    scenario = write_scenario(tmp_path, result.fcd, seed=3, duration=40.0, taxis=result.taxis)
    sc = load(scenario)
    assert sc.count == len(trace.names)
    assert tagged(scenario) == {trace.names.index(v) for v in result.taxis}
    # vehicles really move along the streets of a 3 x 3 grid of 100 m blocks
    x0, y0 = trace.position(0, trace._ts[0][0])
    x1, y1 = trace.position(0, trace._ts[0][-1])
    assert (x0, y0) != (x1, y1)
    assert all(-10 <= v <= 210 for v in (x0, y0, x1, y1))
    # in the simulation, exactly the taxis answer has_tag('Taxi')
    results = probe_every_node(scenario, at=0.0)
    assert [r[1] for r in results] == [name in result.taxis for name in trace.names]


@pytest.mark.slow
def test_an_openstreetmap_network_through_netconvert_and_the_cli(tmp_path, capsys) -> None:
    osm = Path(sumo.SUMO_HOME) / "tools" / "game" / "racing" / "spreewaldring.osm"
    if not osm.exists():
        pytest.skip("this eclipse-sumo build ships no OSM example")
    net = tmp_path / "spreewald.net.xml"
    subprocess.run([str(Path(sumo.SUMO_HOME) / "bin" / "netconvert"), "--osm-files", str(osm),
                    "-o", str(net)], check=True, capture_output=True, timeout=120,
                   env={"SUMO_HOME": sumo.SUMO_HOME})
    out = tmp_path / "run"
    assert main(["sumo", str(out), "--net", str(net), "--duration", "40", "--taxis", "2",
                 "--seed", "5"]) == 0
    assert "2 taxis tagged Taxi" in capsys.readouterr().out
    assert not (out / "net.net.xml").exists(), "no grid was generated"
    scenario = out / "scenario.toml"
    assert str(net) in scenario.read_text()
    trace = FcdTrace.from_file(out / "drive.fcd.xml")
    types = fcd_types(out / "drive.fcd.xml")
    taxis = {v for v, t in types.items() if t == "taxi"}
    assert len(taxis) == 2
    assert tagged(scenario) == {trace.names.index(v) for v in taxis}
    # positions are the network's own (projected, metres inside its boundary)
    bounds = ET.parse(net).getroot().find("location").get("convBoundary")
    xmin, ymin, xmax, ymax = map(float, bounds.split(","))
    t0 = trace._ts[0][0]
    x, y = trace.position(0, t0)
    assert xmin - 5 <= x <= xmax + 5 and ymin - 5 <= y <= ymax + 5
    assert [r[1] for r in probe_every_node(scenario, at=0.0)] == [
        name in taxis for name in trace.names]


@pytest.mark.parametrize("content, message", [
    (None, "no such network file"),
    ("this is not xml", "not a SUMO network (.net.xml)"),
    ("", "not a SUMO network (.net.xml)"),
    ("<routes/>", "the root element is <routes>, not <net>"),
    ('<osm version="0.6"/>', "convert it first: netconvert --osm-files"),
])
def test_a_bad_network_file_is_a_clear_usage_error(tmp_path, capsys, content, message) -> None:
    net = tmp_path / "bad.net.xml"
    if content is not None:
        net.write_text(content)
    assert main(["sumo", str(tmp_path / "out"), "--net", str(net)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(net) in err
    assert "Traceback" not in err


def test_a_network_sumo_cannot_use_is_reported_without_a_traceback(tmp_path, capsys) -> None:
    net = tmp_path / "empty.net.xml"
    net.write_text('<net version="1.20"><location netOffset="0,0" convBoundary="0,0,1,1" '
                   'origBoundary="0,0,1,1" projParameter="!"/></net>')
    assert main(["sumo", str(tmp_path / "out"), "--net", str(net), "--duration", "10"]) == 2
    err = capsys.readouterr().err
    assert "failed" in err and "Traceback" not in err


def test_smvm_sumo_takes_a_relative_directory(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sumo", "made/here", "--duration", "20", "--seed", "2"]) == 0
    assert "made/here/scenario.toml" in capsys.readouterr().out
    scenario = tmp_path / "made" / "here" / "scenario.toml"
    assert FcdTrace.from_file(tmp_path / "made" / "here" / "drive.fcd.xml").names
    assert main(["sim", str(scenario.relative_to(tmp_path)), "--out", "sim-out"]) == 0
    assert (tmp_path / "sim-out" / "topology.png").exists()
