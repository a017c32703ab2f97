"""Class 1: nothing of an arriving SM runs where it is received. Checking a
TRANSFER never executes its brick's module body on the node's loop; where
the SM runs (in-process here, as ``smvm exec`` and ``smvm sim`` do), the
module runs under the SM's budgets and a hostile one ends only that SM."""
from __future__ import annotations

import pytest

from sim.testing import pair, run_until_quiet, shuttle
from smvm.node import events as ev
from smvm.slices import Resume

from ._attack import assert_core_still_serves

#: Module bodies that kill, stall or crash an interpreter that runs them
#: unguarded; each runs only on node "b".
HOSTILE_MODULES = {
    "zero_division": "x = 1 // 0",
    "deep_tuple_hash": "t = ()\nfor i in range(1_000_000):\n    t = (t,)\nx = {t}",
    "float_in_huge_range": "x = 0.5 in range(10 ** 18)",
    "range_count": "x = range(10 ** 18).count(0.5)",
    "huge_power": "x = 7 ** (10 ** 9)",
    "raise_huge_message": "raise ValueError('m' * 5_000_000)",
}


def hostile_brick(body: str) -> str:
    """A brick whose module body runs ``body`` on node "b" only (module
    level holds definitions and assignments: the body is a function the
    module calls)."""
    indented = "\n".join("    " + line for line in body.splitlines())
    return (f"LOGGED = log('module ran on ' + node_id())\n\n"
            f"def hostile():\n{indented}\n    return 0\n\n"
            "X = hostile() if node_id() == 'b' else 0\n\n"
            "def main():\n    sys_migrate('b')\n    return node_id()\n")


@pytest.mark.parametrize("name", sorted(HOSTILE_MODULES))
def test_screening_a_transfer_runs_nothing_of_its_brick(name: str) -> None:
    a, b = pair()
    b.screen_arrivals = True  # as a daemon with workers does
    a.inject(hostile_brick(HOSTILE_MODULES[name]), [], 0.0)
    shuttle(a, b)
    assert b.counters["sms_admitted"] == 1 and a.counters["hops_completed"] == 1
    # the module logged on "a" (where it started); on "b" nothing of it ran
    lines = [e for e in b.events() if isinstance(e, ev.LogLine)]
    assert lines == []
    [item] = b.take_ready()
    assert isinstance(item.step, Resume) and isinstance(item.step.state, bytes)  # decoded where it runs
    b.settle(item.record, _failed(item.record), 1.0)
    assert_core_still_serves(b)


def _failed(record):
    from smvm.vm import ErrorRecord, Failed
    return Failed(ErrorRecord("WorkerKilled", "not run in this test"), record.fuel)


@pytest.mark.parametrize("name", ["zero_division", "raise_huge_message", "float_in_huge_range",
                                  "range_count", "huge_power", "deep_tuple_hash"])
def test_a_hostile_module_ends_only_its_sm_where_it_runs(name: str) -> None:
    a, b = pair(cpu_seconds=10.0)
    a.inject(hostile_brick(HOSTILE_MODULES[name]), [], 0.0)
    shuttle(a, b)
    assert b.counters["sms_admitted"] == 1
    assert not [e for e in b.events() if isinstance(e, ev.LogLine)], "checked, not run, on arrival"
    run_until_quiet(b)
    failed = [e for e in b.events() if isinstance(e, ev.SMFailed)]
    assert len(failed) == 1
    assert failed[0].error["type"] not in ("VMBug", "ContinuationError")
    assert len(failed[0].error["message"]) < 2200
    assert_core_still_serves(b)


def test_a_forged_reference_to_a_module_function_is_refused_unrun() -> None:
    """A continuation naming a function the brick does not define is refused
    on arrival, with no module run to look it up."""
    from smvm import statecodec, wire
    from smvm.vm import FORMAT_VERSION

    from ._attack import feed
    a, b = pair()
    b.screen_arrivals = True
    source = "LOGGED = log('ran')\n\ndef main():\n    sys_migrate('b')\n    return 1\n"
    a.inject(source, [], 0.0)
    shuttle(a, b)  # b now holds the brick
    brick = b.cache.bricks()[0]
    fid = next(f for f in brick.functions if f.startswith("main"))
    bad = statecodec.dumps({"v": FORMAT_VERSION, "brick": brick.hash, "entry": "main",
                            "frames": [[fid, 99, {}]], "globals": {}, "defaults": {},
                            "request": {"kind": "migrate", "target": "b"}, "fuel": 0})
    frame = wire.Transfer(b"h" * 16, "a/9", {"sm_id": "a/9", "family": "a/9", "origin": "a"},
                          bad, (), b"")
    answers = feed(b, frame, link="a")
    assert [type(x).__name__ for x in answers] == ["Reject"]
    assert "resume point" in answers[0].reason
    assert not [e for e in b.events() if isinstance(e, ev.LogLine)]
    assert_core_still_serves(b)
