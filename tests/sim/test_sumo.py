"""The real SUMO binaries generate a small network and traffic; the
simulator moves nodes along the result."""
from __future__ import annotations

import pytest

from sim.run import run
from sim.scenario import load
from sim.traces import FcdTrace

sumo = pytest.importorskip("sumo", reason="eclipse-sumo is installed with the test extra")


@pytest.mark.slow
def test_a_sumo_generated_trace_drives_a_scenario(tmp_path) -> None:
    from sim.sumo import generate_fcd, write_scenario
    fcd = generate_fcd(tmp_path, grid=3, block=100.0, duration=40.0, period=2.0, seed=3)
    trace = FcdTrace.from_file(fcd)
    assert len(trace.names) >= 5
    scenario = write_scenario(tmp_path, fcd, seed=3, duration=40.0)
    (tmp_path / "brick.py").write_text(
        "def main():\n    return node_id(), has_tag('Taxi')\n")
    with scenario.open("a") as f:
        f.write('\n[[inject]]\nnode = 0\nbrick = "brick.py"\nat = 5.0\n')
    sc = load(scenario)
    assert sc.count == len(trace.names)
    [sm] = run(sc).metrics()["sms"]
    assert sm["result"] == ["0", True], "node 0 is the first vehicle, tagged as a taxi"
    # vehicles really move along the streets of a 3 x 3 grid of 100 m blocks
    x0, y0 = trace.position(0, trace._ts[0][0])
    x1, y1 = trace.position(0, trace._ts[0][-1])
    assert (x0, y0) != (x1, y1)
    assert all(-10 <= v <= 210 for v in (x0, y0, x1, y1))
