"""``smvm exec``'s line is a simulation: node cores on the kernel and radio,
every hop the real protocol, in virtual time."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim.line import run_line
from apps.cli import main
from smvm.compiler import compile_brick

PING_PONG = '''
def main(hops):
    for i in range(hops):
        sys_migrate(str(1 - int(node_id())))
        log("on", node_id())
    return node_id()
'''


def test_importing_smvm_does_not_import_the_simulator() -> None:
    code = ("import sys, smvm, smvm.node, smvm.daemon\n"
            "print(sorted(m for m in sys.modules if m == 'sim' or m.startswith('sim.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_line_runs_node_cores_and_the_hop_protocol_on_the_kernel() -> None:
    from sim.line import LineWorld
    world = LineWorld(2, 10_000_000, 256)
    world.bricks["pp"] = brick = compile_brick(PING_PONG, "pp.py")
    sm = world.new_sm(0, brick, "main", [4])
    world.run()
    assert world.sms[sm].outcome.value == "0"
    # 5 ms a frame: the first hop each way offers first (OFFER, ACCEPT,
    # TRANSFER); once a sender knows the receiver holds the code, a hop is
    # one TRANSFER
    assert [(e["node"], e["time"]) for e in world.log] == [
        ("1", 0.015), ("0", 0.03), ("1", 0.035), ("0", 0.04)]
    counters = world.network.counters()
    sent = {k: sum(c.get(f"frames_out.{k}", 0) for c in counters.values())
            for k in ("Offer", "Accept", "Transfer", "Ack", "Beacon")}
    assert sent == {"Offer": 2, "Accept": 2, "Transfer": 4, "Ack": 4, "Beacon": 0}
    assert world.radio.stats.frames == 12 and world.radio.stats.lost == 0
    # what exec reports as bytes is the continuations carried, as the TRANSFERs did
    moved = world.sms[sm].bytes
    assert 0 < moved < sum(c.get("bytes_out.Transfer", 0) for c in counters.values())


def test_the_radio_reaches_adjacent_nodes_only() -> None:
    res = run_line("def main():\n    sys_migrate('2')\n", [], nodes=4)
    assert res.error.type == "MigrationError"
    assert res.error.message == "'2' is not a neighbour of node '0'"
    res = run_line("def main():\n    return read_tag('neighbors'), node_id()\n"
                   "\ndef far():\n    return 1\n", [], nodes=4)
    assert res.result == (["1"], "0")


def test_run_line_is_exactly_what_exec_prints(tmp_path, capsys) -> None:
    path = tmp_path / "pp.py"
    path.write_text(PING_PONG)
    assert main(["exec", str(path), "3", "--nodes", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    res = run_line(PING_PONG, [3], nodes=2, filename=str(path))
    assert printed == json.loads(json.dumps(res.to_json()))
    assert printed["result"] == "1" and printed["hops"] == 3 and printed["node"] == "1"
    assert [e["sm"] for e in printed["log"]] == ["0/1"] * 3


def test_an_sm_waiting_for_good_ends_the_run_with_a_clear_error(tmp_path, capsys) -> None:
    path = tmp_path / "wait.py"
    path.write_text("def main():\n    sys_migrate('1')\n    block_tag('never')\n")
    assert main(["exec", str(path), "--json"]) == 1
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["error"]["type"] == "TagTimeout"
    assert record["error"]["message"] == "the SM is waiting on a tag nobody writes"
    assert record["node"] == "1" and record["hops"] == 1


@pytest.mark.parametrize("argv", [["--nodes", "0"], ["--fuel", "0"], ["--memory", "0"],
                                  ["--cpu", "0"]])
def test_bad_budgets_are_usage_errors_without_traceback(tmp_path, capsys, argv) -> None:
    path = tmp_path / "ok.py"
    path.write_text("def main():\n    return 1\n")
    assert main(["exec", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smvm: error: ") and "Traceback" not in err


def test_spawned_and_created_sms_run_on_the_cores_too() -> None:
    source = '''
def child(k):
    sys_migrate("0")
    sys_migrate("1")
    write_tag("box", k)

def main():
    sys_migrate("1")
    create_tag("box"
, None, None, {"family": "rw"})
    spawn(child, 7)
    return block_tag("box", 1), now(), create_sm("kids", "helper")

def helper():
    return node_id()
'''
    res = run_line(source, [], filename="bricks/kids.py")
    assert res.error is None, res.error
    value, woken, created = res.result
    assert value == 7 and created.startswith("1/")
    assert woken == pytest.approx(0.015 + 0.015 + 0.005)  # main's hop, then the child's two
    assert res.sms == 3


def test_node_ids_are_strings_and_geographic_routing_moves(tmp_path, capsys) -> None:
    path = tmp_path / "geo.py"
    path.write_text("from routing.migrate import migrate\n\n"
                    "def main():\n    hops = migrate([300.0, 0.0])\n"
                    "    return hops, node_id(), read_tag('position'), read_tag('neighbors'),"
                    " read_tag('neighbor_positions')\n")
    assert main(["exec", str(path), "--nodes", "5", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["result"] == [3, "3", [300.0, 0.0], ["2", "4"],
                                {"2": [200.0, 0.0], "4": [400.0, 0.0]}]
    assert record["node"] == "3" and record["hops"] == 3


def test_tags_are_planted_and_named_bricks_can_be_created(tmp_path, capsys) -> None:
    helper = tmp_path / "helper.py"
    helper.write_text("@own_domain\ndef run(k):\n    sys_migrate('1')\n    base = read_tag('Base')\n"
                      "    sys_migrate('0')\n    write_tag('out', k + base)\n")
    path = tmp_path / "boss.py"
    path.write_text("def main():\n    create_tag('out', None, None, {'others': 'rw'})\n"
                    "    sys_migrate('1')\n    sys_migrate('0')\n"
                    "    create_sm('helper', 'run', 5)\n    return block_tag('out', 10), read_tag('Base')\n")
    argv = ["exec", str(path), "--brick", str(helper), "--tag", "0:Base=10", "--tag",
            "1:Base=\"x\"", "--json"]
    assert main(argv) == 1  # the helper reads node "1"'s Base: "x" + 5 fails in the helper
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["error"]["type"] == "TagTimeout"
    assert main([*argv[:4], "--tag", "1:Base=1", "--tag", "0:Base=10", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["result"] == [6, 10] and record["sms"] == 2
    # totals over both SMs: main's two hops and the helper's two
    assert record["hops"] == 4


@pytest.mark.parametrize("tag", ["nocolon", "0:noequals", ":x=1", "7:x=1"])
def test_bad_tags_are_usage_errors(tmp_path, capsys, tag) -> None:
    path = tmp_path / "ok.py"
    path.write_text("def main():\n    return 1\n")
    assert main(["exec", str(path), "--tag", tag]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smvm: error: ") and "--tag" in err or "no node" in err


def test_exec_signed_runs_the_trust_layer_and_shows_the_verified_path(tmp_path, capsys) -> None:
    path = tmp_path / "where.py"
    path.write_text('def main():\n    sys_migrate("1")\n    sys_migrate("2")\n'
                    '    return read_tag("provenance")\n', encoding="utf-8")
    assert main(["exec", str(path), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert plain["result"] == {}  # unsigned: no verified provenance
    assert main(["exec", str(path), "--signed", "--json"]) == 0
    signed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert signed["result"]["path"] == ["0", "1", "2"]
    assert [h["number"] for h in signed["result"]["hops"]] == [1, 2]
    assert signed["node"] == plain["node"] == "2"
    # the keys come from the run's seed: the same run, the same record
    assert main(["exec", str(path), "--signed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == signed
