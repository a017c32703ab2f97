"""Class 9: admission exhaustion. Budgets hold per node, per family, per
origin and per inject client; injects are admitted like migrations; blocked
SMs count. Past a budget the node refuses at once (a REJECT, an inject error
or a failed ``spawn``, each with an ``SMRefused`` event): nothing is queued,
and the node keeps serving others while the hostile SMs are still there."""
from __future__ import annotations

from sim.testing import core, feed, inject_frame, pair, replies, run_until_quiet, shuttle
from smvm import statecodec, wire
from smvm.limits import NodeLimits
from smvm.node import events as ev

from ._attack import assert_core_still_serves, spawn_loop

BLOCKER = '''
def main(seconds):
    return block_tag("never_" + node_id(), seconds)
'''


def _inject(node, source, *args, link="client", wait=False, now=1.0):
    frame = inject_frame(source, statecodec.dumps(list(args)), wait=wait)
    answers = feed(node, frame, link=link, now=now)
    return frame, [a for a in answers if isinstance(a, wire.InjectReply)]


def _refusals(node) -> list[ev.SMRefused]:
    return [e for e in node.events() if isinstance(e, ev.SMRefused)]


def test_injects_count_against_the_node_limit() -> None:
    node = core(max_sms=3)
    for _ in range(3):
        _, answers = _inject(node, BLOCKER, 5)
        assert answers and answers[0].ok
    run_until_quiet(node)
    assert node.sms_here == 3
    _, answers = _inject(node, BLOCKER, 5)
    assert answers and not answers[0].ok and answers[0].error["type"] == "Rejected"
    assert "node busy" in answers[0].error["message"]
    assert [r.sm_id for r in _refusals(node)] == [""]
    node.handle_timer(10.0)  # the blockers time out and end
    node.run_ready()
    assert node.sms_here == 0
    assert_core_still_serves(node, now=11.0)


def test_one_inject_client_cannot_fill_the_node() -> None:
    node = core(limits=NodeLimits(max_sms_per_client=2))
    for _ in range(2):
        assert _inject(node, BLOCKER, None, link="greedy")[1][0].ok
    _, answers = _inject(node, BLOCKER, None, link="greedy")
    assert not answers[0].ok and "client greedy" in answers[0].error["message"]
    run_until_quiet(node)
    assert node.sms_here == 2, "the greedy client's blockers stay, blocked forever"
    assert_core_still_serves(node)  # another client is served meanwhile


SPAWN_BLOCKERS = '''
def child(i):
    try:
        block_tag("wake_" + str(i), None)
        return "woken"
    except TagError as exc:
        log("child " + str(i) + " " + str(exc)[:60])
        return "refused"

def main(n):
    started, refused = 0, 0
    for i in range(n):
        try:
            spawn(child, i)
            started += 1
        except RuntimeError:
            refused += 1
    return [started, refused]
'''


def test_a_family_of_blocked_children_holds_only_its_own_budget() -> None:
    limits = NodeLimits(max_sms_per_family=6, max_blocked_per_family=3)
    node = core(max_sms=20, limits=limits)
    frame, _ = _inject(node, SPAWN_BLOCKERS, 40, wait=True)
    run_until_quiet(node)
    [answer] = [a for a in replies(node) if isinstance(a, wire.InjectReply)] or [None]
    assert answer is not None and answer.ok
    started, refused = statecodec.loads(answer.value)["value"]
    assert started == 5 and refused == 35  # the parent is one of the six
    refused_events = _refusals(node)
    assert len(refused_events) == 35 and all("family" in r.reason for r in refused_events)
    assert node.sms_here == 3, "three blocked children; the other two were refused a wait"
    assert_core_still_serves(node)


SPAWN_LOOP = spawn_loop(200)


def test_a_family_spawns_at_most_its_budget_over_time() -> None:
    node = core(limits=NodeLimits(max_spawns_per_family=10, max_sms_per_family=4))
    _inject(node, SPAWN_LOOP, wait=True)
    run_until_quiet(node)
    made = [statecodec.loads(a.value)["value"] for a in replies(node)
            if isinstance(a, wire.InjectReply) and a.ok and a.value]
    assert made and made[0] <= 10
    assert node.counters["sms_finished"] <= 11
    assert_core_still_serves(node)


SPINNERS = '''
def spin():
    x = 0
    while True:
        x += 1

def main(n):
    for i in range(n):
        try:
            spawn(spin)
        except RuntimeError:
            pass
    spin()
'''


def test_spawned_spinners_share_one_family_fuel_budget() -> None:
    fuel = 2_000_000
    node = core(fuel_per_sm=fuel, fuel_slice=200_000,
                limits=NodeLimits(family_fuel_factor=3, max_sms_per_family=40,
                                  max_sms_per_client=64))
    _inject(node, SPINNERS, 40)
    run_until_quiet(node, rounds=5000)
    failed = [e for e in node.events() if isinstance(e, ev.SMFailed)]
    assert len(failed) == 40  # the parent and 39 children: the family's limit
    assert node.counters["fuel_used"] <= 3 * fuel + 41 * 200_000
    assert any("family fuel budget" in f.error["message"] for f in failed)
    assert_core_still_serves(node)


LOGGER = '''
def main(n):
    for i in range(n):
        log("x" * 1000000)
    return n
'''


def test_one_family_logs_at_most_its_byte_budget() -> None:
    node = core(limits=NodeLimits(max_log_bytes_per_family=10_000))
    _inject(node, LOGGER, 60)
    run_until_quiet(node)
    lines = [e for e in node.events() if isinstance(e, ev.LogLine)]
    assert sum(len(line.text) for line in lines) <= 10_000 + 4_000
    assert "later lines are dropped" in lines[-1].text
    assert node.counters["log_lines_dropped"] >= 55
    assert_core_still_serves(node)


def test_an_offer_to_a_full_node_is_rejected_with_an_event() -> None:
    """Full of SMs that run (one waiting on a tag would make room:
    ``test_eviction``)."""
    a, b = pair(max_sms=1)
    _inject(b, BLOCKER, 30)  # ready to run, not waiting
    a.inject("def main():\n    sys_migrate('b')\n    return 1\n", [], 0.0)
    shuttle(a, b)
    assert a.counters["hops_rejected"] == 1
    [refused] = _refusals(b)
    assert "node busy" in refused.reason and refused.source == "a"
    run_until_quiet(b)
    b.handle_timer(40.0)
    b.run_ready()
    assert_core_still_serves(b, now=41.0)


def test_arrivals_from_one_origin_are_bounded() -> None:
    a, b = pair(limits=NodeLimits(max_sms_per_origin=2))
    mover = "def main():\n    sys_migrate('b')\n    return block_tag('stay', 20)\n"
    for _ in range(4):
        a.inject(mover, [], 0.0)
    shuttle(a, b)
    assert b.sms_here == 2
    assert a.counters["hops_rejected"] == 2
    assert all("origin a" in r.reason for r in _refusals(b))
    assert_core_still_serves(b)


def test_refusals_under_a_flood_cost_no_running() -> None:
    """A flood of injects past the budget is refused frame by frame: no SM
    slice runs for a refused one and nothing waits in a queue. (The two
    waiting SMs have not waited long enough to be evicted: ``test_eviction``.)"""
    node = core(max_sms=2)
    for _ in range(2):
        _inject(node, BLOCKER, None)
    run_until_quiet(node)
    slices = node.counters["slices"]
    for i in range(200):
        _inject(node, BLOCKER, None, link=f"c{i}")
    assert node.counters["sms_evicted"] == 0
    assert node.queue_length == 0 and node.counters["slices"] == slices
    assert len(_refusals(node)) == 200
    assert_core_still_serves(core(max_sms=2))


def test_children_count_against_the_client_that_started_their_family() -> None:
    """One client cannot fill a node by injecting parents that spawn: the
    children are charged to it too."""
    limits = NodeLimits(max_sms_per_client=5, max_sms_per_family=16)
    node = core(max_sms=40, limits=limits)
    frame, _ = _inject(node, SPAWN_BLOCKERS, 20, link="greedy", wait=True)
    run_until_quiet(node)
    [answer] = [a for a in replies(node) if isinstance(a, wire.InjectReply)]
    started, refused = statecodec.loads(answer.value)["value"]
    assert started == 4 and refused == 16  # five SMs of this client in all
    assert node.sms_here == 4, "the parent ended; its four children wait"
    assert _inject(node, BLOCKER, None, link="greedy")[1][0].ok
    _, answers = _inject(node, BLOCKER, None, link="greedy")
    assert not answers[0].ok and "client greedy" in answers[0].error["message"]
    assert_core_still_serves(node)


def test_a_client_that_spent_its_fuel_is_refused() -> None:
    fuel = 1_000_000
    node = core(fuel_per_sm=fuel, fuel_slice=100_000,
                limits=NodeLimits(client_fuel_factor=3, family_fuel_factor=100))
    _inject(node, SPINNERS, 5, link="spinner")  # six spinners, one client
    run_until_quiet(node, rounds=5000)
    failed = [e for e in node.events() if isinstance(e, ev.SMFailed)]
    assert len(failed) == 6
    assert any("client fuel budget" in f.error["message"] for f in failed)
    assert node.counters["fuel_used"] <= 3 * fuel + 6 * 100_000
    _, answers = _inject(node, BLOCKER, 1, link="spinner")
    assert not answers[0].ok and "spent its fuel" in answers[0].error["message"]
    assert_core_still_serves(node)
