"""Scenario files: validation with clear errors, and runs that repeat exactly."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.run import run, write_outputs
from sim.scenario import ScenarioError, load
from apps.cli import main

DEMO = Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "demo.toml"


def test_same_scenario_and_seed_give_byte_identical_metrics(tmp_path) -> None:
    sc = load(DEMO)
    first = write_outputs(run(sc, until=20.0), tmp_path / "a")[0].read_bytes()
    again = write_outputs(run(sc, until=20.0), tmp_path / "b")[0].read_bytes()
    other = write_outputs(run(sc, seed=8, until=20.0), tmp_path / "c")[0].read_bytes()
    assert first == again
    assert first != other


def test_the_demo_finds_taxis(tmp_path) -> None:
    metrics = run(load(DEMO)).metrics()
    assert len(metrics["sms"]) == 4
    for sm in metrics["sms"]:
        assert sm["error"] is None and sm["result"]["taxi"] in ("5", "17", "31")
        assert sm["hops"] >= 1 and sm["completion_s"] > 0
    assert metrics["frames"]["Transfer"]["count"] >= 4


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("[radio]\nrange = 100\nrnage = 5\n", "radio.rnage (line 3): unknown key"),
    ("[nodes]\ncount = 'ten'\n", "nodes.count (line 2): must be int"),
    ("[nodes]\nmobility = 'teleport'\n", "nodes.mobility (line 2): must be one of"),
    ("[radio]\nloss = 1.5\n", "radio.loss (line 2): must be in [0, 1)"),
    ("[moon]\nx = 1\n", "moon (line 1): unknown section"),
    ("[[inject]]\nnode = 0\nbrick = 'missing.py'\n", "inject.brick (line 3): cannot read"),
    ("[[inject]]\nnode = 99\nbrick = 'x.py'\n", "inject.node (line 2): must be a node number"),
    ("[simulation\n", "Expected ']'"),
])
def test_bad_scenarios_name_the_key_and_line(tmp_path, text, message) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        load(write(tmp_path, text))


def test_sim_command_prints_a_summary_and_writes_metrics(tmp_path, capsys) -> None:
    assert main(["sim", str(DEMO), "--until", "15", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "demo: 40 nodes, seed 7, 15 s virtual" in out
    assert (tmp_path / "o" / "metrics.json").exists() and (tmp_path / "o" / "sms.csv").exists()
    assert main(["sim", str(tmp_path / "nope.toml")]) == 2


def test_the_pcap_of_a_run_dissects_with_the_frame_layer(tmp_path) -> None:
    from scapy.utils import rdpcap

    from sim.run import write_pcap
    from smvm.wire.scapy_layer import SMVMFrame
    result = run(load(DEMO), until=8.0, record_frames=True)
    path = write_pcap(result, tmp_path / "frames.pcap")
    packets = rdpcap(str(path))
    assert len(packets) == len(result.network.frames) > 100
    kinds = {p[SMVMFrame].mysummary().split()[2] for p in packets if SMVMFrame in p}
    assert {"Beacon", "Offer", "Accept", "Transfer", "Ack"} <= kinds
    assert packets[0].time == result.network.frames[0][0]


def test_plots_are_written(tmp_path) -> None:
    from sim.plots import write_plots
    result = run(load(DEMO), until=12.0)
    for path in write_plots(result, tmp_path):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    tracked = [r for r in result.network.metrics.sms.values() if len(r.track) > 1]
    assert tracked and all(len(r.track) == r.hops + 1 for r in tracked if r.ended_at)
