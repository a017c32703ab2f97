"""Building replay data: several daemons' traces merged (places from their
location tags), SUMO vehicles on and off the road with the network's roads,
the spaces a program names, and the limits that keep big runs small."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from sim import Scenario, run
from sim.replay import ReplayError, build, program_spaces, road_lines, scenario_world
from sim.replay import merge as build_module
from smvm import trace
from smvm.node import events as ev

from ._replay import position, samples

DATA = Path(__file__).resolve().parents[2] / "data"
SPATIAL = Path(__file__).resolve().parents[2] / "spatial" / "data"


def _daemon(node: str, start: float, place, records: list[dict]) -> tuple[dict, iter]:
    head = trace.header("daemon", start, node=node, world={"tags": {node: {"Sensor": True}}})
    pos = [trace.position(node, start, *place, geo=True)] if place else []
    return head, iter(pos + records)


def test_daemon_traces_merge_into_one_replay() -> None:
    t = 1_700_000_000.0
    a = _daemon("a", t, (40.0, -74.0), [
        trace.from_node_event("a", ev.SMStarted("a/1", "a", t + 1.0, "tour.py")),
        trace.from_node_event("a", ev.HopCompleted("a/1", "b", t + 1.3, True, 1200, t + 1.1)),
        trace.from_node_event("a", ev.SMFinished("a/1", "b", ["a", "b"], t + 1.6)),  # result back
        trace.neighbours("a", t + 0.5, ["b"]),
    ])
    b = _daemon("b", t + 0.2, (40.001, -74.0), [
        trace.from_node_event("b", ev.SMAdmitted("a/1", "('127.0.0.1', 4771)", t + 1.2)),
        trace.from_node_event("b", ev.SMFinished("a/1", "b", ["a", "b"], t + 1.25)),
    ])
    data = build([a, b])
    assert [n["id"] for n in data["nodes"]] == ["a", "b"]
    assert data["epoch"] == t and data["range"] is None and data["sources"] == ["daemon"]
    pa, pb = position(data, "a", 1.0), position(data, "b", 1.0)
    assert math.hypot(pa[0] - pb[0], pa[1] - pb[1]) == pytest.approx(111.2, abs=0.5)
    [sm] = data["sms"]
    assert (sm["id"], sm["brick"], sm["bytes"]) == ("a/1", "tour.py", 1200)
    # the hop's arrow ends when b admitted the SM (b's trace), not at the ACK
    assert sm["hops"] == [[1100, 1200, 0, 1, 1200]]
    assert (sm["end"], sm["node"], sm["result"]) == (1250, 1, ["a", "b"])
    kinds = [data["kinds"][e[1]] for e in data["events"]]
    assert kinds == ["start", "end"], "the result's way back is not a second end"
    assert data["nodes"][0]["n"] == [[500, [1]]]
    assert data["nodes"][0]["role"] == "Sensor"


def test_daemons_that_do_not_know_their_place_stand_on_a_ring() -> None:
    start = trace.from_node_event("a", ev.SMStarted("a/1", "a", 1.0, "x.py"))
    a = _daemon("a", 0.0, None, [start])
    b = _daemon("b", 0.0, None, [])
    data = build([a, b])
    assert data["layout"] == "circle"
    assert position(data, "a", 0.0) != position(data, "b", 0.0)


def test_nothing_to_show_is_an_error() -> None:
    with pytest.raises(ReplayError, match="no trace files"):
        build([])
    with pytest.raises(ReplayError, match="no records"):
        build([(trace.header("sim", 0.0), iter([]))])


def test_sumo_vehicles_appear_and_leave_and_the_roads_are_drawn(tmp_path: Path) -> None:
    shutil.copy(DATA / "fcd_small.xml", tmp_path / "drive.fcd.xml")
    (tmp_path / "net.net.xml").write_text(
        '<net version="1.9">\n'
        '  <edge id=":j_0" function="internal"><lane id=":j_0_0" shape="1,1 2,2"/></edge>\n'
        '  <edge id="e0" from="j0" to="j1"><lane id="e0_0" shape="0.00,0.00 300.00,0.00"/>'
        '<lane id="e0_1" shape="0.00,3.20 300.00,3.20"/></edge>\n'
        '  <edge id="e1" from="j1" to="j2" shape="300.0,50.0 300.0,0.0 310.0,-5.0">'
        '<lane id="e1_0" shape="9,9 9,9"/></edge>\n'
        '</net>\n', encoding="utf-8")
    assert road_lines(tmp_path / "net.net.xml") == [[0.0, 0.0, 300.0, 0.0],
                                                     [300.0, 50.0, 300.0, 0.0, 310.0, -5.0]]
    sc = Scenario(name="fcd", mobility="fcd", trace=str(tmp_path / "drive.fcd.xml"), count=3,
                  duration=4.0)
    world = scenario_world(sc)
    assert world["net"] == "net.net.xml" and len(world["roads"]) == 2
    result = run(sc, record_trace=True, out=tmp_path)
    assert result.recorder is not None
    data = build([trace.read_trace(tmp_path / "trace.jsonl")])
    assert len(data["roads"]) == 2
    # taxi_1 (node 2) enters at 1 s; car_b (node 1) leaves after 1 s
    assert position(data, "2", 0.5) is None
    assert position(data, "2", 1.5) == pytest.approx((300.0, 47.5))
    assert position(data, "1", 0.5) == pytest.approx((105.0, 0.0))
    assert position(data, "1", 3.0) is None
    assert samples(data, "1")[-1][1] is None


def test_spaces_named_at_the_top_of_a_program_are_drawn() -> None:
    source = (SPATIAL / "intrusion.py").read_text()
    assert program_spaces(source) == [
        {"name": "Field", "shapes": [["rect", 0.0, 0.0, 720.0, 720.0]]}]
    more = ("from spatial.sp import circle, rect, polygon\n"
            "A = circle([10, 20], 5)\nB = A + rect([4, 3], [1, 2])\n"
            "C = polygon([[0, 0], [1, 0], [0, 1]])\nD = circle(center(), 3)\nE = 4\n")
    assert program_spaces(more) == [
        {"name": "A", "shapes": [["circle", 10.0, 20.0, 5.0]]},
        {"name": "B", "shapes": [["circle", 10.0, 20.0, 5.0], ["rect", 1.0, 2.0, 4.0, 3.0]]},
        {"name": "C", "shapes": [["polygon", 3, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]]}]
    assert program_spaces("def (") == []


def test_past_the_limit_tag_writes_are_thinned_but_sm_ends_kept(monkeypatch) -> None:
    monkeypatch.setattr(build_module, "MAX_EVENTS", 50)
    records = [trace.from_node_event("a", ev.SMStarted(f"a/{i}", "a", float(i), "x.py"))
               for i in range(20)]
    records += [trace.from_node_event("a", ev.SMFinished(f"a/{i}", "a", i, i + 0.5))
                for i in range(20)]
    records += [{"t": 0.01 * i, "k": "tag", "node": "a", "op": "write", "name": "n", "by": "a/1",
                 "value": i} for i in range(200)]
    records.sort(key=lambda r: r["t"])
    data = build([(trace.header("sim", 0.0, world={"range": 10.0}), iter(records))])
    kinds = [data["kinds"][e[1]] for e in data["events"]]
    assert kinds.count("start") == 20 and kinds.count("end") == 20
    assert kinds.count("tag") == 10 and data["dropped"] == {"tag": 190}
    assert len(data["tags"]) == 200, "a node's tags at any time stay exact"
    times = [e[0] for e in data["events"]]
    assert times == sorted(times)
