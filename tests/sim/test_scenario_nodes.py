"""Scenario ``[[node]]`` and ``[[event]]`` tables: per-node places and paths,
initial tags, actuators and timed tag writes, as SMs running on the nodes see them."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.run import run
from sim.scenario import ScenarioError, load

READER = '''
def main(name):
    return [read_tag("position"), read_tag(name)]
'''

WAITER = '''
def main():
    before = read_tag("temp")
    after = block_tag("temp", 30.0)
    return [before, after, now()]
'''

WRITER = '''
def main():
    write_tag("water", True)
    return read_tag("water")
'''


def scenario(tmp_path: Path, body: str, bricks: dict[str, str] | None = None) -> Path:
    for name, source in (bricks or {}).items():
        (tmp_path / name).write_text(source)
    path = tmp_path / "s.toml"
    path.write_text("[simulation]\nduration = 40.0\n[radio]\nrange = 150.0\n" + body)
    return path


NODES = '''
[[node]]
id = 0
position = [0.0, 0.0]
[[node]]
id = 1
position = [100.0, 0.0]
tags = { Hot = true, temp = 38.5 }
actuators = ["water"]
[[node]]
id = 2
path = [[0.0, 200.0, 0.0], [10.0, 200.0, 100.0]]
'''


def test_count_follows_the_listed_nodes_and_positions_and_paths_are_kept(tmp_path) -> None:
    sc = load(scenario(tmp_path, NODES))
    assert sc.count == 3
    assert sc.node_settings[1].position == (100.0, 0.0)
    assert sc.tags[1] == {"Hot": True, "temp": 38.5}
    assert sc.actuators(1) == ("water",) and sc.actuators(0) == ()
    result = run(sc)
    mobility = result.network.mobility
    assert mobility.position(2, 5.0) == (200.0, 50.0)
    assert mobility.position(2, 30.0) == (200.0, 100.0)     # still after the last waypoint
    assert mobility.position(1, 30.0) == (100.0, 0.0)


def test_every_sm_reads_initial_tags_and_writes_actuators(tmp_path) -> None:
    body = NODES + '''
[[inject]]
node = 1
brick = "reader.py"
args = ["temp"]
at = 1.0
[[inject]]
node = 1
brick = "writer.py"
at = 2.0
[[inject]]
node = 1
brick = "reader.py"
args = ["water"]
at = 3.0
[[inject]]
node = 2
brick = "reader.py"
args = ["position"]
at = 5.0
'''
    sc = load(scenario(tmp_path, body, {"reader.py": READER, "writer.py": WRITER}))
    sms = sorted(run(sc).metrics()["sms"], key=lambda sm: sm["start"])
    assert [sm["error"] for sm in sms] == [None] * 4
    assert sms[0]["result"] == [[100.0, 0.0], 38.5]
    assert sms[1]["result"] is True
    assert sms[2]["result"] == [[100.0, 0.0], True]
    assert sms[3]["result"][0] == [200.0, 50.0]


def test_an_event_changes_a_tag_at_its_time_and_wakes_a_waiting_sm(tmp_path) -> None:
    body = NODES + '''
[[event]]
at = 12.0
node = 1
tag = "temp"
value = 41.0
[[event]]
at = 1.0
node = 0
tag = "smoke"
value = [1, 2]
[[inject]]
node = 1
brick = "waiter.py"
at = 2.0
[[inject]]
node = 0
brick = "reader.py"
args = ["smoke"]
at = 3.0
'''
    sc = load(scenario(tmp_path, body, {"waiter.py": WAITER, "reader.py": READER}))
    sms = {sm["origin"]: sm for sm in run(sc).metrics()["sms"]}
    assert sms["1"]["result"] == [38.5, 41.0, 12.0]
    assert sms["0"]["result"][1] == [1, 2]


def test_listed_nodes_override_the_placement_of_the_rest(tmp_path) -> None:
    body = "[nodes]\ncount = 5\nplacement = 'line'\nspacing = 50.0\n" \
           "[[node]]\nid = 3\nposition = [7.0, 8.0]\n"
    result = run(load(scenario(tmp_path, body)), until=1.0)
    positions = result.network.mobility.positions(0.0)
    assert positions == {0: (0.0, 0.0), 1: (50.0, 0.0), 2: (100.0, 0.0), 3: (7.0, 8.0),
                         4: (200.0, 0.0)}


@pytest.mark.parametrize("body, message", [
    ("[[node]]\nid = 0\nplanet = 1\n", r"node.planet \(line \d+\): unknown key"),
    ("[nodes]\ncount = 2\n[[node]]\nid = 2\n", r"node.id \(line \d+\): must be a node number 0..1"),
    ("[[node]]\nid = 0\n[[node]]\nid = 0\n", "listed twice"),
    ("[[node]]\nid = 0\nposition = [1.0]\n", r"node.position.*must be \[x, y\]"),
    ("[[node]]\nid = 0\nposition = [1.0, 2.0]\npath = [[0.0, 1.0, 2.0]]\n", "not both"),
    ("[[node]]\nid = 0\npath = [[5.0, 1.0, 2.0], [1.0, 1.0, 1.0]]\n", "increasing"),
    ("[[node]]\nid = 0\ntags = 3\n", "node.tags.*must be a table"),
    ("[[node]]\nid = 0\nactuators = 'water'\n", "node.actuators.*list of tag names"),
    ("[[event]]\nat = -1.0\nnode = 0\ntag = 't'\nvalue = 1\n", r"event.at \(line \d+\)"),
    ("[[event]]\nat = 1.0\nnode = 0\ntag = 't'\n", "event.value.*must be given"),
    ("[[event]]\nat = 1.0\nnode = 0\ntag = 't'\nvalue = 1979-05-27\n", "event.value"),
    ("[[event]]\nat = 1.0\nnode = 10\ntag = 't'\nvalue = 1\n", "event.node.*0..9"),
])
def test_bad_node_and_event_tables_name_the_key(tmp_path, body, message) -> None:
    with pytest.raises(ScenarioError, match=message):
        load(scenario(tmp_path, body))
