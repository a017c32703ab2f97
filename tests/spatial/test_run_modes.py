"""The same spatial program in a simulated scenario (``smvm run``), on
``smvm exec``'s line with planted tags, and on three node daemons over
loopback UDP (``smvm inject``)."""
from __future__ import annotations

import json
from pathlib import Path

import trio

from apps.cli import main
from smvm.compiler import load_brick
from smvm.client import inject
from smvm.daemon import DaemonConfig
from smvm.node import NodeConfig
from smvm.testing import hear_each_other, start_daemons
from tests.patience import PATIENCE

DATA = Path(__file__).parent / "data"
# zone.py finds both Hot nodes of its zone, waters the first one found and reads it back
EXPECTED = [[[29.0, "2"], [31.5, "1"]], "1", True]


def test_smvm_run_prints_the_result_and_the_json_record(capsys) -> None:
    argv = ["run", str(DATA / "zone.py"), "--scenario", str(DATA / "zone.toml")]
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(record) == {"result", "error", "node", "hops", "bytes", "fuel", "log", "sms",
                           "time"}
    assert record["result"] == EXPECTED and record["error"] is None and record["node"] == "1"
    assert record["hops"] >= 3 and record["bytes"] > 0 and 0 < record["time"] < 60
    assert main(argv) == 0
    assert "result: [[[29.0, '2'], [31.5, '1']], '1', True]" in capsys.readouterr().out


def test_smvm_exec_runs_it_on_its_line_with_planted_tags(capsys) -> None:
    tags = ["1:Hot=true", "1:temp=31.5", "2:Hot=true", "2:temp=29.0"]
    argv = ["exec", str(DATA / "zone.py"), "--json"]
    for tag in tags:
        argv += ["--tag", tag]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["result"] == EXPECTED and record["node"] == "1" and record["hops"] >= 3


def test_smvm_run_refuses_bad_input_in_one_line(capsys, tmp_path) -> None:
    zone, scenario = str(DATA / "zone.py"), str(DATA / "zone.toml")
    assert main(["run", zone, "--scenario", scenario, "--node", "7"]) == 2
    assert "smvm: error: --node 7: the scenario has nodes 0..2" in capsys.readouterr().err
    assert main(["run", zone, "--scenario", str(tmp_path / "none.toml")]) == 2
    bad = tmp_path / "bad.py"
    bad.write_text("from spatial.sp import circle\ndef main(S):\n    return {S: f(1)}.temp\n")
    assert main(["run", str(bad), "--scenario", scenario]) == 2
    assert "bad.py:3: not a spatial reference" in capsys.readouterr().err


def test_an_uncaught_spatial_error_is_a_guest_error(capsys, tmp_path) -> None:
    prog = tmp_path / "lost.py"
    prog.write_text("from spatial.sp import circle\n"
                    "def main():\n"
                    "    return {circle([0.0, 900.0], 5.0): Hot[0, 1.0]}.temp\n")
    assert main(["run", str(prog), "--scenario", str(DATA / "zone.toml"), "--json"]) == 1
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["error"]["type"] == "SpatialTimeout" and record["error"]["line"] == 3


async def test_the_same_program_on_three_daemons_over_loopback() -> None:
    places = {"n0": (0.0, 0.0), "n1": (100.0, 0.0), "n2": (200.0, 0.0)}
    tags = {"n0": {}, "n1": {"Hot": True, "temp": 31.5}, "n2": {"Hot": True, "temp": 29.0}}
    configs = [DaemonConfig(
        node, "127.0.0.1", 0, location=place, tags=tags[node],
        actuators=["water"] if tags[node] else [], node=NodeConfig(beacon_interval=0.05),
        seed=k, workers=0, advertise=False) for k, (node, place) in enumerate(places.items())]
    async with trio.open_nursery() as nursery:
        daemons = await start_daemons(nursery, configs)
        await hear_each_other(daemons, timeout=PATIENCE)
        # On daemons a spatial access times out on the wall clock: give each a
        # loaded machine's patience. The search past the last Hot node still
        # ends early, once the walk has covered the zone.
        source = load_brick(DATA / "zone.py")
        assert "Hot[i, 5.0]" in source
        source = source.replace("Hot[i, 5.0]", f"Hot[i, {float(PATIENCE)}]")
        outcome = await inject(daemons[0].address, source, [], wait=True, timeout=2 * PATIENCE)
        assert outcome.ok, outcome.error
        found, node, water = outcome.value
        assert sorted(found) == [[29.0, "n2"], [31.5, "n1"]]
        assert water is True
        space = daemons[int(node[1])].core.tagspace
        assert space.provider("water").writes and space.provider("water").value is True
        nursery.cancel_scope.cancel()


def test_a_bad_actuator_name_is_refused_before_the_daemon_starts(capsys) -> None:
    assert main(["node", "--id", "a", "--port", "0", "--actuator", "_valve"]) == 2
    assert "smvm: error: bad actuator name '_valve'" in capsys.readouterr().err


def test_smvm_run_writes_the_run_s_metrics_with_out(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    assert main(["run", str(DATA / "zone.py"), "--scenario", str(DATA / "zone.toml"),
                 "--node", "2", "--at", "5", "--seed", "4", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    program = [sm for sm in metrics["sms"] if sm["origin"] == "2"]
    assert len(program) == 1 and program[0]["start"] == 5.0 and metrics["seed"] == 4
    assert program[0]["result"][0] == EXPECTED[0]
