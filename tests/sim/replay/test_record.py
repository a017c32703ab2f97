"""A simulated run recorded as trace records, and its replay data: SM
starts, hops and ends as the run saw them; positions the viewer draws match
the mobility model's; the same seed gives the same bytes."""
from __future__ import annotations

import json
import math
from pathlib import Path

from sim import Scenario, run
from sim.replay import build, write_replay
from sim.replay.record import POSITION_TOLERANCE
from sim.run import write_outputs
from sim.scenario import load
from smvm.trace import read_trace

from ._replay import page_data, position

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "sim" / "scenarios" / "demo.toml"


def _records(path: Path) -> list[dict]:
    head, records = read_trace(path)
    return list(records)


def test_the_trace_holds_each_sms_start_hops_and_end_as_the_run_saw_them(tmp_path: Path) -> None:
    result = run(load(DEMO), until=20.0, record_trace=True)
    paths = write_outputs(result, tmp_path)
    assert tmp_path / "trace.jsonl" in paths
    records = _records(tmp_path / "trace.jsonl")
    assert [r["t"] for r in records] == sorted(r["t"] for r in records)
    metrics = result.metrics()
    for sm in metrics["sms"]:
        starts = [r for r in records if r["k"] == "start" and r["sm"] == sm["sm"]]
        assert [(r["node"], r["t"]) for r in starts] == [(sm["origin"], sm["start"])]
        hops = [r for r in records if r["k"] == "hop" and r["sm"] == sm["sm"]]
        assert len(hops) == sm["hops"]
        assert all(r["bytes"] > 0 and r["t0"] <= r["t"] for r in hops)
        # hop by hop, each leaves from where the one before arrived
        assert [h["node"] for h in hops[1:]] == [h["to"] for h in hops[:-1]]
        ends = [r for r in records
                if r["k"] == "end" and r["sm"] == sm["sm"] and r["by"] == r["node"]]
        ended = [(sm["node"], sm["result"])] if sm["end"] is not None else []
        assert [(r["node"], r["result"]) for r in ends] == ended
    assert any(sm["end"] is not None for sm in metrics["sms"])
    moving = {r["node"] for r in records if r["k"] == "pos" and r["t"] > 0}
    assert len({r["node"] for r in records if r["k"] == "pos" and r["t"] == 0}) == 40
    assert moving, "cars on the grid move"


def test_positions_the_viewer_draws_are_the_mobility_models_within_the_tolerance(tmp_path) -> None:
    sc = Scenario(name="rw", count=12, mobility="random_waypoint", area=(800.0, 600.0),
                  speed=(2.0, 15.0), pause=2.0, duration=90.0, seed=3)
    result = run(sc, record_trace=True, out=tmp_path)
    page = write_replay([tmp_path / "trace.jsonl"], tmp_path / "replay.html")
    data = page_data(page)
    mobility = result.network.mobility
    worst = 0.0
    for node in range(sc.count):
        for k in range(0, 901):
            t = k * 0.1
            x, y = mobility.position(node, t)
            px, py = position(data, str(node), t)
            worst = max(worst, math.hypot(px - x, py - y))
    # sampling keeps every change of direction: only rounding to decimetres remains
    assert worst <= POSITION_TOLERANCE + 0.1
    assert data["bounds"][0] <= 0 and data["bounds"][2] >= 800 - 1


def test_the_same_seed_gives_the_same_trace_and_page(tmp_path: Path) -> None:
    pages = []
    for name in ("a", "b"):
        out = tmp_path / name
        write_outputs(run(load(DEMO), until=12.0, record_trace=True), out)
        pages.append(write_replay([out / "trace.jsonl"], out / "replay.html").read_bytes())
        assert (out / "trace.jsonl").read_bytes() == (tmp_path / "a" / "trace.jsonl").read_bytes()
    assert pages[0] == pages[1]


def test_recording_leaves_the_run_as_it_was(tmp_path: Path) -> None:
    plain = run(load(DEMO), until=12.0).metrics()
    recorded = run(load(DEMO), until=12.0, record_trace=True).metrics()
    assert json.dumps(plain, sort_keys=True) == json.dumps(recorded, sort_keys=True)


def test_scenario_tag_events_and_tags_sms_write_are_in_the_trace(tmp_path: Path) -> None:
    from sim import Inject, TagEvent
    writer = ("def main():\n"
              "    create_tag('seen', 1, 60, {'others': 'r'})\n"
              "    create_tag('secret', 2, 60, {'owner': 'rw'})\n"
              "    write_tag('seen', 2)\n"
              "    return block_tag('alarm', 30)\n")
    sc = Scenario(name="tags", count=2, placement="grid", spacing=50.0, duration=10.0,
                  node_settings={}, tags={1: {"Camera": True}},
                  events=(TagEvent(4.0, 0, "alarm", "ring"),),
                  injects=(Inject(0, writer, "writer.py", [], 1.0),))
    result = run(sc, record_trace=True, out=tmp_path)
    assert result.metrics()["sms"][0]["result"] == "ring"
    records = _records(tmp_path / "trace.jsonl")
    tags = [(r["op"], r["name"], r.get("value", "?")) for r in records if r["k"] == "tag"]
    assert ("create", "seen", 1) in tags and ("write", "seen", 2) in tags
    assert ("create", "secret", "?") in tags, "a value only its owner may read is not shown"
    assert ("set", "alarm", "ring") in tags
    wakes = [r for r in records if r["k"] == "wake"]
    assert [(w["node"], w["name"], w["t"]) for w in wakes] == [("0", "alarm", 4.0)]
    data = build([read_trace(tmp_path / "trace.jsonl")])
    assert next(n for n in data["nodes"] if n["id"] == "1")["role"] == "Camera"
    kinds = [data["kinds"][e[1]] for e in data["events"]]
    assert kinds.count("wake") == 1 and kinds.count("start") == 1 and kinds.count("end") == 1
