"""Daemons write trace records (``smvm node --trace``) and ``smvm view``
merges the files of several daemons into one replay."""
from __future__ import annotations

import math

import pytest
import trio

from apps.cli import main
from smvm.client import inject
from smvm.daemon import DaemonConfig
from smvm.node import NodeConfig
from smvm.testing import hear_each_other, start_daemons
from smvm.trace import read_trace
from tests.patience import PATIENCE

from ._replay import page_data, position

TOUR = '''
def main(order):
    create_tag("visited", node_id(), 60, {"others": "r"})
    for target in order:
        sys_migrate(target)
    return node_id()
'''
PLACES = {"d1": (40.5000, -74.4500), "d2": (40.5010, -74.4500), "d3": (40.5010, -74.4488)}


async def test_three_daemons_traces_merge_into_one_replay(tmp_path, capsys) -> None:
    configs = [DaemonConfig(
        node, "127.0.0.1", 0, location=place, tags={"Sensor": True} if node == "d3" else {},
        node=NodeConfig(beacon_interval=0.05), seed=k, workers=0, advertise=False,
        trace=str(tmp_path / f"{node}.trace.jsonl"), trace_period=0.05)
        for k, (node, place) in enumerate(PLACES.items())]
    async with trio.open_nursery() as nursery:
        daemons = await start_daemons(nursery, configs)
        await hear_each_other(daemons, timeout=PATIENCE)
        outcome = await inject(daemons[0].address, TOUR, [["d2", "d3"]], wait=True, timeout=PATIENCE)
        assert outcome.ok and outcome.value == "d3"
        # a sampling tick of every daemon after the SM ended: its records are written by then
        for d in daemons:
            ended = d.clock()
            await d.wait_until(lambda d=d, ended=ended: d.clock() >= ended + 0.1,
                               timeout=PATIENCE)
        nursery.cancel_scope.cancel()
    head, records = read_trace(tmp_path / "d1.trace.jsonl")
    assert head["source"] == "daemon" and head["node"] == "d1"
    records = list(records)
    kinds = [r["k"] for r in records]
    assert {"pos", "nbrs", "start", "hop", "tag", "end"} <= set(kinds)
    assert main(["view", str(tmp_path)]) == 0
    page = tmp_path / "replay.html"
    assert capsys.readouterr().out.strip() == str(page.resolve())
    data = page_data(page)
    assert [n["id"] for n in data["nodes"]] == ["d1", "d2", "d3"]
    assert data["nodes"][2]["role"] == "Sensor"
    [sm] = data["sms"]
    assert sm["id"] == outcome.sm_id and sm["result"] == "d3"
    ids = [n["id"] for n in data["nodes"]]
    assert [(ids[h[2]], ids[h[3]]) for h in sm["hops"]] == [("d1", "d2"), ("d2", "d3")]
    assert all(h[4] > 0 and h[0] <= h[1] for h in sm["hops"])
    assert ids[sm["node"]] == "d3"
    # places from the location tags, in metres: d1 to d2 is 0.001 degree of latitude
    t = data["t1"] * data["tq"]
    (x1, y1), (x2, y2) = position(data, "d1", t), position(data, "d2", t)
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(111.2, abs=0.5)
    # each daemon's links as it heard them
    assert all(node["n"] and len(node["n"][-1][1]) == 2 for node in data["nodes"])
