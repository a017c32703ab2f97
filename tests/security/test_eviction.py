"""Class 9 (continued): SMs that wait for ever cannot hold a node's places.
Senders with many addresses fill the node (``max_sms``) or its origin's
places (``max_sms_per_origin``) with SMs blocked on tags nobody writes,
each sender within its own budgets. A newcomer whose sender waits less then
ends one of them (the sender waiting most first; ``smvm.node._eviction``),
which reports an ``Evicted`` error to whoever started it; new benign SMs
keep being admitted and complete. Evicting is bounded in turn: only SMs that
have waited ``min_wait_before_eviction`` seconds are ended, and only a
newcomer from outside (inject, migration) makes room, never a spawn."""
from __future__ import annotations

from sim.testing import core, feed, inject_frame, pair, replies, run_until_quiet, shuttle
from smvm import statecodec, wire
from smvm.limits import NodeLimits
from smvm.node import events as ev
from smvm.node._eviction import Candidate, pick_victim

from ._attack import assert_core_still_serves, spawn_loop

FOREVER = '''
def main():
    return block_tag("nobody_writes_" + node_id())
'''

TIMED = '''
def main(seconds):
    return block_tag("nobody_writes_" + node_id(), seconds)
'''

BENIGN_QUICK = '''
def main(n):
    return [node_id(), n * 2]
'''


#: when newcomers come: the attack's waiters have waited long enough by then
LATER = 1.0 + NodeLimits().min_wait_before_eviction

_SEEN: list = []  # replies to earlier requests, as a test's feed returned them


def _inject(node, source, *args, link, wait=True, now=1.0):
    """Inject; the replies to this request that came at once."""
    frame = inject_frame(source, statecodec.dumps(list(args)), wait=wait)
    answers = [a for a in feed(node, frame, link=link, now=now) if isinstance(a, wire.InjectReply)]
    _SEEN.extend(a for a in answers if a.request_id != frame.request_id)
    return frame, [a for a in answers if a.request_id == frame.request_id]


def _flood(node, links: int, per_link: int, source=FOREVER, *args) -> None:
    for i in range(links):
        for _ in range(per_link):
            _inject(node, source, *args, link=f"attacker{i}")
    run_until_quiet(node)


def _evicted(node) -> list:
    return [e for e in node.events() if isinstance(e, ev.SMFailed)
            and e.error["type"] == "Evicted"]


def test_many_senders_fill_the_node_with_forever_blocked_sms_and_a_benign_sm_still_runs() -> None:
    node = core(max_sms=12)
    _flood(node, 12, 1)
    assert node.sms_here == 12 and node.counters["sms_evicted"] == 0
    frame, answers = _inject(node, BENIGN_QUICK, 21, link="benign", now=LATER)
    assert answers == [], "admitted: its answer comes when it ends"
    run_until_quiet(node)
    [answer] = [a for a in replies(node) if isinstance(a, wire.InjectReply)
                and a.request_id == frame.request_id]
    assert answer.ok, answer.error
    assert statecodec.loads(answer.value)["value"] == ["n", 42]
    assert node.counters["sms_evicted"] == 1 and node.sms_here == 11
    assert_core_still_serves(node, now=LATER)


def test_an_evicted_sm_ends_with_a_clear_error_to_its_client() -> None:
    node = core(max_sms=2)
    first, _ = _inject(node, FOREVER, link="attacker0")
    _inject(node, FOREVER, link="attacker0")
    run_until_quiet(node)
    _SEEN.clear()
    _inject(node, BENIGN_QUICK, 1, link="benign", now=LATER)
    [ended] = [a for a in _SEEN if a.request_id == first.request_id]
    assert not ended.ok and ended.error["type"] == "Evicted"
    assert "to make room" in ended.error["message"] and "nobody_writes_n" in ended.error["message"]
    assert len(_evicted(node)) == 1
    assert node.status(LATER)  # the node's state stays consistent
    assert_core_still_serves(node, now=LATER)


def test_many_senders_cannot_hold_the_origins_places() -> None:
    """Injects all originate on the node itself: the origin budget fills
    before the node does."""
    node = core(max_sms=64, limits=NodeLimits(max_sms_per_origin=10, max_sms_per_client=2))
    _flood(node, 5, 2)
    assert node.sms_here == 10
    for i in range(30):  # a stream of benign SMs, each admitted and done
        frame, _ = _inject(node, BENIGN_QUICK, i, link=f"benign{i % 3}", now=LATER)
        run_until_quiet(node)
        [answer] = [a for a in replies(node) if isinstance(a, wire.InjectReply)
                    and a.request_id == frame.request_id]
        assert answer.ok, (i, answer.error)
    assert node.counters["sms_evicted"] == 1
    assert_core_still_serves(node, now=LATER)


def test_a_sender_waiting_as_much_as_the_others_evicts_nobody() -> None:
    node = core(max_sms=4)
    _flood(node, 2, 2)
    _, answers = _inject(node, FOREVER, link="attacker0", now=LATER)
    assert answers and not answers[0].ok and "node busy" in answers[0].error["message"]
    assert node.counters["sms_evicted"] == 0
    _, answers = _inject(node, FOREVER, link="attacker9", now=LATER)  # a fresh sender: one place
    assert answers == [] and node.counters["sms_evicted"] == 1
    run_until_quiet(node)
    _, answers = _inject(node, FOREVER, link="attacker10", now=LATER)  # attacker1 waits twice
    assert answers == [] and node.counters["sms_evicted"] == 2
    run_until_quiet(node)
    assert node.sms_here == 4  # one waiter each for attacker0, 1, 9 and 10
    _, answers = _inject(node, FOREVER, link="attacker1", now=LATER)
    assert answers and not answers[0].ok
    assert_core_still_serves(node, now=LATER)


def test_running_sms_are_never_evicted() -> None:
    node = core(max_sms=2)
    _inject(node, FOREVER, link="a")
    _inject(node, FOREVER, link="b")  # not run yet: ready, not waiting
    _, answers = _inject(node, BENIGN_QUICK, 1, link="benign")
    assert answers and not answers[0].ok and "node busy" in answers[0].error["message"]
    assert node.counters["sms_evicted"] == 0
    run_until_quiet(node)  # now they wait
    _, answers = _inject(node, BENIGN_QUICK, 1, link="benign", now=LATER)
    assert answers == [] and node.counters["sms_evicted"] == 1


def test_a_migrating_sm_gets_a_place_held_by_waiters() -> None:
    a, b = pair(max_sms=2)
    for link in ("x", "y"):
        _inject(b, FOREVER, link=link)
    run_until_quiet(b)
    a.inject("def main():\n    sys_migrate('b')\n    return node_id()\n", [], LATER)
    shuttle(a, b, LATER, run_b=True)
    assert b.counters["sms_evicted"] == 1
    finished = [e for e in b.events() if isinstance(e, ev.SMFinished)]
    assert [e.value for e in finished] == ["b"]
    assert_core_still_serves(b, now=LATER)


def test_sms_that_waited_less_than_the_minimum_are_never_evicted() -> None:
    """A flood of fresh addresses cannot end an SM that has just begun to
    wait (a benign SM waiting a moment for a reply), nor cycle its own SMs
    through the node's places faster than once per place per minimum wait."""
    node = core(max_sms=4)
    _flood(node, 4, 1, TIMED, 600.0)  # waiters since 1.0
    soon = LATER - 1.0
    for i in range(40):  # fresh addresses, each waiting less than anyone
        _, answers = _inject(node, BENIGN_QUICK, i, link=f"fresh{i}", now=soon)
        assert answers and not answers[0].ok and "node busy" in answers[0].error["message"]
    assert node.counters["sms_evicted"] == 0 and node.sms_here == 4
    assert not _evicted(node)
    for i in range(8):  # once they have waited long enough: one place each, no more
        _inject(node, FOREVER, link=f"later{i}", now=LATER)
        run_until_quiet(node)
    assert node.counters["sms_evicted"] == 4 and node.sms_here == 4
    _, answers = _inject(node, BENIGN_QUICK, 1, link="benign", now=LATER + 1.0)
    assert answers and not answers[0].ok, "the newcomers have not waited long enough yet"
    frame, _ = _inject(node, BENIGN_QUICK, 1, link="benign", now=2 * LATER)
    run_until_quiet(node)
    assert [a.ok for a in replies(node) if isinstance(a, wire.InjectReply)
            and a.request_id == frame.request_id] == [True]
    assert_core_still_serves(node, now=2 * LATER)


def test_spawning_never_evicts() -> None:
    """One SM spawning children into a full node ends nobody: only SMs from
    outside make room."""
    bomb = spawn_loop(20)
    node = core(max_sms=6)
    _flood(node, 5, 1)
    frame, _ = _inject(node, bomb, link="spawner", now=LATER)
    run_until_quiet(node)
    [answer] = [a for a in replies(node) if isinstance(a, wire.InjectReply)
                and a.request_id == frame.request_id]
    assert answer.ok and statecodec.loads(answer.value)["value"] == 0
    assert node.counters["sms_evicted"] == 0 and node.sms_here == 5
    assert_core_still_serves(node, now=LATER)


def test_the_policy_ends_the_longest_waiter_of_the_sender_waiting_most() -> None:
    waiting = [Candidate("s1", "x", 5.0), Candidate("s2", "y", None), Candidate("s3", "y", 1.0),
               Candidate("s4", "y", None), Candidate("s5", "z", None)]
    assert pick_victim(waiting, "w").sm_id == "s2"  # y waits most; no timeout, oldest
    assert pick_victim(waiting, "y") is None  # nobody waits more than y
    assert pick_victim([Candidate("s1", "x", 5.0), Candidate("s2", "x", 9.0)], None).sm_id == "s2"
    assert pick_victim([], "w") is None


def _inject_from_many_sockets(address, source: str, sockets: int) -> None:
    """One inject (no wait) from each of ``sockets`` client addresses."""
    import os
    import socket
    for i in range(sockets):
        message = wire.encode(wire.Inject(os.urandom(16), source, statecodec.dumps([]), False))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for datagram in wire.fragment(message, 500 + i, 1200):
                sock.sendto(datagram, address)


async def test_a_daemon_filled_by_many_addresses_with_forever_blocked_sms_serves_a_benign_sm() -> None:
    import trio

    from smvm.client import inject

    from .test_daemon_udp import serve, still_serves
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, max_sms=8,
                                      limits=NodeLimits(min_wait_before_eviction=1))
        await inject(address, FOREVER, [], wait=False, timeout=10)  # its brick compiled
        await trio.to_thread.run_sync(_inject_from_many_sockets, address, FOREVER, 20)
        await daemon.wait_until(lambda: daemon.core.sms_here == 8 and not daemon.core.has_ready,
                                timeout=20)
        evicted = daemon.core.counters["sms_evicted"]
        await trio.sleep(1.5)  # the waiters have waited long enough to be ended
        await still_serves(address)
        assert daemon.core.counters["sms_evicted"] == evicted + 1
        await still_serves(address)  # and again
        nursery.cancel_scope.cancel()
