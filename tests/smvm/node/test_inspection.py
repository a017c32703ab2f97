"""The core's inspection API and the I/O tags it drives: what tests,
``smvm status`` and the simulator read instead of the core's internals."""
from __future__ import annotations

from smvm.node import NodeConfig, NodeCore, SharedCaches

QUEUE = '''
def main():
    return read_tag("status")["queue_length"]
'''
SPINNER = '''
def main():
    n = 0
    while n < 10 ** 9:
        n += 1
'''


def test_the_status_tag_counts_the_slices_waiting_in_the_ready_queue() -> None:
    core = NodeCore("n", NodeConfig(beacon_interval=None))
    first = core.inject(QUEUE)
    core.inject(QUEUE)
    core.inject(QUEUE)
    assert core.queue_length == 3
    assert core.tagspace.read(core.tagspace.node_principal, "status", 0.0)["queue_length"] == 3
    core.run_ready()
    ends = [e.value for e in core.events() if type(e).__name__ == "SMFinished"]
    assert ends == [2, 1, 0]  # the first read while the two others waited
    assert core.queue_length == 0 and core.sm(first) is None


def test_sms_show_state_fuel_and_budget() -> None:
    core = NodeCore("n", NodeConfig(beacon_interval=None, fuel_slice=10_000,
                                    fuel_per_sm=1_000_000))
    spin = core.inject(SPINNER)
    assert [(sm.sm_id, sm.state, sm.fuel) for sm in core.sms()] == [(spin, "ready", 0)]
    core.run_ready()
    view = core.sm(spin)
    assert view.state == "paused" and view.fuel >= 10_000
    assert view.fuel_limit == 1_000_000 and view.fuel_left == 1_000_000 - view.fuel
    assert (view.family, view.origin) == (spin, "n")
    assert core.queued() == [(spin, "continue")]
    assert core.sm("n/99") is None


def test_neighbours_and_position_have_one_owner() -> None:
    core = NodeCore("n", NodeConfig(beacon_interval=None), position=(1.0, 2.0))
    core.hear_neighbor("m", "link-m", 0.0, (5.0, 6.0))
    [nb] = core.neighbors(1.0)
    assert (nb.node_id, nb.link, nb.position) == ("m", "link-m", (5.0, 6.0))
    owner = core.tagspace.node_principal
    assert core.tagspace.read(owner, "position", 0.0) == [1.0, 2.0]
    core.move_to((3.0, 4.0))
    assert core.position == (3.0, 4.0)
    assert core.tagspace.read(owner, "position", 0.0) == [3.0, 4.0]
    assert core.status(0.0)["position"] == [3.0, 4.0]


def test_compiled_bricks_are_shared_only_through_caches_passed_in() -> None:
    source = "def main():\n    return 1\n"
    shared = SharedCaches()
    a, b = (NodeCore(n, caches=shared) for n in "ab")
    alone = NodeCore("c")
    assert a.cache.add_source(source, "x.py") is b.cache.add_source(source, "x.py")
    assert alone.cache.add_source(source, "x.py") is not a.cache.add_source(source, "x.py")


def test_handle_timer_runs_no_sm_code_it_only_queues() -> None:
    core = NodeCore("n", NodeConfig(beacon_interval=None))
    waiter = core.inject('def main():\n    return block_tag("go", 1.0)\n')
    core.run_ready()
    assert core.sm(waiter).state == "blocked"
    core.handle_timer(2.0)  # the wait timed out: the SM is due, not run
    assert core.counters["slices"] == 1 and core.queued() == [(waiter, "resume")]
    assert [type(e).__name__ for e in core.events()] == ["SMStarted"]
    core.run_ready()
    [failed] = [e for e in core.events() if type(e).__name__ == "SMFailed"]
    assert failed.error["type"] == "TagTimeout"
