"""``spatial.views.visit``: serial and parallel walks agree, and the quality
of result says how much of the space was covered."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.program import run_program
from sim.scenario import load
from smvm.compiler import load_brick

DATA = Path(__file__).parent / "data"
HILLS = load(DATA / "two_hills.toml")
# ground truth: the Hot nodes inside the left hill of two_hills.toml and their temperatures
LEFT_HOT = {"22": 35.0, "24": 37.2, "31": 36.0, "33": 38.5}
# the grid nodes inside the left hill (circle of 150 m around (200, 200), 80 m grid)
LEFT_NODES = sum(1 for r in range(10) for c in range(10)
                 if (80 * c - 200) ** 2 + (80 * r - 200) ** 2 <= 150 ** 2)

SUMS = '''
from spatial.sp import circle
from spatial.views import visit

Left_Hill = circle([200.0, 200.0], 150.0)

def reading():
    return [[node_id(), read_tag("temp")]]

def join(a, b):
    return sorted(a + b)

def main(parallel, time=None, qor=1.0):
    return visit(Left_Hill, "Hot", reading, join, time, qor, parallel)
'''


def visit(tmp_path: Path, *args):
    brick = tmp_path / "visit.py"
    brick.write_text(SUMS)
    return run_program(HILLS, load_brick(brick), list(args), name="visit.py")


def test_serial_and_parallel_visits_see_every_hot_node_of_the_space(tmp_path) -> None:
    serial = visit(tmp_path, False)
    parallel = visit(tmp_path, True)
    assert serial.error is None and parallel.error is None
    truth = sorted([node, temp] for node, temp in LEFT_HOT.items())
    assert serial.result == parallel.result == {"value": truth, "visited": 4, "qor": 1.0}
    assert parallel.sms > LEFT_NODES > serial.sms  # one clone per node of the space


def test_a_max_reduction_gives_the_same_value_both_ways(tmp_path) -> None:
    source = DATA / "views.py"
    results = [run_program(HILLS, load_brick(source), [p], name="views.py").result
               for p in (False, True)]
    assert results[0] == results[1] == {"value": [38.5, "33"], "visited": 4, "qor": 1.0}


def test_a_time_budget_gives_a_partial_result_and_its_quality(tmp_path) -> None:
    whole = visit(tmp_path, False)
    # budgets shorter than the whole walk: what each saw is true, a longer one
    # sees at least as much, and some stop part way through the Hot nodes
    results = [visit(tmp_path, False, round(whole.time * share, 3)).result
               for share in (0.4, 0.55, 0.7, 0.85)]
    for result in results:
        assert len(result["value"] or []) == result["visited"]
        for node, temp in result["value"] or []:
            assert LEFT_HOT[node] == temp
    assert [r["visited"] for r in results] == sorted(r["visited"] for r in results)
    assert any(0 < r["visited"] < 4 and 0.0 < r["qor"] < 1.0 for r in results)


@pytest.mark.parametrize("target", [0.3, 0.6])
def test_a_quality_target_stops_the_walk_once_met(tmp_path, target) -> None:
    whole = visit(tmp_path, False)
    early = visit(tmp_path, False, None, target)
    assert target <= early.result["qor"] < 1.0
    assert early.hops < whole.hops
    for node, temp in early.result["value"]:
        assert LEFT_HOT[node] == temp
