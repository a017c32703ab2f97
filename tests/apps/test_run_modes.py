"""One brick, unchanged, in every run mode: ``smvm exec``'s line, ``smvm run``
in a simulated scenario with nodes on a line, and ``smvm inject`` into three
node daemons over loopback UDP. It tours the line by string node ids with
``sys_migrate`` and comes back with geographic routing (``migrate([x, y])``);
every mode gives the same result and the same number of hops."""
from __future__ import annotations

import json

from apps.cli import main
from smvm.daemon import DaemonConfig
from smvm.node import NodeConfig

from tests.daemons import serving

BRICK = '''
from routing.migrate import migrate


def main(end):
    path = [node_id()]
    while node_id() != end:
        sys_migrate(str(int(node_id()) + 1))
        path.append(node_id())
    migrate([0.0, 0.0])          # back to the node nearest the origin (GPSR)
    path.append(node_id())
    return {"path": path, "at": read_tag("position")}
'''
# three nodes 100 m apart, each hearing only its neighbours on the line
SCENARIO = '''
[simulation]
seed = 3
duration = 60.0
[radio]
range = 150.0
[nodes]
count = 3
placement = "line"
spacing = 100.0
mobility = "static"
'''
EXPECTED = {"path": ["0", "1", "2", "0"], "at": [0.0, 0.0]}


def last_json(capsys) -> dict:
    out, err = capsys.readouterr()
    assert "error" not in err, err
    return json.loads(out.strip().splitlines()[-1])


def test_one_brick_gives_the_same_result_in_exec_sim_and_on_daemons(tmp_path, capsys) -> None:
    brick = tmp_path / "tour_and_back.py"
    brick.write_text(BRICK, encoding="utf-8")
    scenario = tmp_path / "line.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    end = '"2"'  # a JSON string: node ids are strings in every mode

    assert main(["exec", str(brick), end, "--json"]) == 0
    in_exec = last_json(capsys)

    assert main(["run", str(brick), end, "--scenario", str(scenario), "--json"]) == 0
    in_sim = last_json(capsys)

    configs = [DaemonConfig(str(i), "127.0.0.1", 0, location=(100.0 * i, 0.0), seed=i,
                            node=NodeConfig(beacon_interval=0.05), workers=1, advertise=False)
               for i in range(3)]
    with serving(*configs, links=[(0, 1), (1, 2)]) as nodes:
        nodes.wait_for_neighbors()
        assert main(["inject", str(brick), end, "--node", nodes.address(0), "--wait",
                     "--timeout", "60", "--json"]) == 0
        on_daemons = last_json(capsys)

    for record in (in_exec, in_sim, on_daemons):
        assert record["result"] == EXPECTED and record["error"] is None
        assert record["node"] == "0" and record["hops"] == 4
