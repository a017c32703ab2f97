"""Node cores wired by hand, no I/O: the migration handshake, the code cache,
rejections, fragmentation, timeouts and exactly-once hops on a bad link."""
from __future__ import annotations

import random

import pytest

from sim.testing import WiredNet
from smvm import wire
from smvm.node import NodeConfig, NodeCore, RetryPolicy

BOUNCE = '''
def main(n):
    trail = []
    for i in range(n):
        here = node_id()
        other = [x for x in read_tag("neighbors") if x != here][0]
        sys_migrate(other)
        trail.append(node_id())
    return trail
'''


def test_handshake_offer_accept_transfer_ack_then_cached_code_skips_the_offer() -> None:
    net = WiredNet(["a", "b"])
    net.inject("a", BOUNCE, [2])
    net.run()
    a, b = net.cores["a"].counters, net.cores["b"].counters
    assert a["frames_out.Offer"] == 1 and b["frames_out.Accept"] == 1
    assert a["frames_out.Transfer"] == 1 and b["frames_out.Ack"] == 1
    # the way back: a already has the brick; b knows nothing of a yet: offers
    assert b["frames_out.Offer"] == 1 and a["frames_in.Accept"] == 1
    done = net.of("SMFinished")
    assert [e.value for e in done] == [["b", "a"]] and done[0].node == "a"
    first_transfer = a["bytes_out.Transfer"]

    net.inject("a", BOUNCE, [1])
    net.run()
    assert a["frames_out.Offer"] == 1, "cached code: straight to TRANSFER"
    assert a["frames_out.Transfer"] == 2
    assert a["bytes_out.Transfer"] - first_transfer < first_transfer, "no code the second time"


def test_a_busy_receiver_rejects_and_the_sm_handles_migration_error() -> None:
    source = '''
def main():
    try:
        sys_migrate("b")
        return "moved"
    except MigrationError as e:
        return "stayed: " + str(e)
'''
    net = WiredNet(["a", "b"], config=NodeConfig(beacon_interval=None, max_sms=1))
    # b is full: an SM from a waits there (an SM from an origin that waits
    # there as much makes no room: smvm.node._eviction)
    busy = net.inject("a", 'def main():\n    sys_migrate("b")\n    block_tag("never", 100)\n')
    net.run(until=1.0)
    assert net.cores["b"].sm(busy).state == "blocked"
    net.inject("a", source)
    net.run()
    [done] = net.of("SMFinished")
    assert done.value.startswith("stayed: hop to b failed: rejected: node busy")
    assert net.cores["b"].counters["sms_rejected"] == 1


def test_an_unreachable_neighbour_times_out_with_migration_error() -> None:
    source = '''
def main():
    try:
        sys_migrate("b")
    except MigrationError as e:
        return str(e)
'''
    net = WiredNet(["a", "b"], drop=1.0)
    net.inject("a", source)
    net.run()
    [done] = net.of("SMFinished")
    assert done.value.startswith("hop to b failed: no answer from b after 6 tries")
    assert net.cores["a"].counters["retransmissions"] == 5
    assert net.now < 5.0


def test_large_sms_travel_in_fragments() -> None:
    source = '''
def main():
    payload = list(range(60_000))
    sys_migrate("b")
    return len(payload), sum(payload), node_id()
'''
    net = WiredNet(["a", "b"])
    net.inject("a", source)
    net.run()
    ended, reported = net.of("SMFinished")  # where it ended, then at its origin
    assert ended.value == reported.value == (60_000, sum(range(60_000)), "b")
    assert net.cores["a"].counters["datagrams_out"] > 100
    assert net.cores["b"].counters["sms_admitted"] == 1


def test_result_of_an_sm_ending_elsewhere_comes_back_to_its_origin() -> None:
    source = '''
def main():
    sys_migrate("b")
    sys_migrate("c")
    return node_id()
'''
    net = WiredNet(["a", "b", "c"], links=[("a", "b"), ("b", "c"), ("a", "c")])
    sm_id = net.inject("a", source)
    net.run()
    finished = net.of("SMFinished")
    assert {(e.sm_id, e.node, e.value) for e in finished} == {(sm_id, "c", "c")}
    assert len(finished) == 2  # once where it ended, once reported at its origin


def test_a_result_walks_back_the_way_the_sm_came_when_the_origin_is_out_of_reach() -> None:
    source = '''
def main():
    for hop in ["b", "c", "b", "d"]:
        sys_migrate(hop)
    return node_id()
'''
    # a - b - c and b - d: the SM ends on d, two hops from a; b's first visit
    # came from a, so the result goes d -> b -> a (never b -> c, its later visit)
    net = WiredNet(["a", "b", "c", "d"], links=[("a", "b"), ("b", "c"), ("b", "d")])
    sm_id = net.inject("a", source)
    net.run()
    finished = net.of("SMFinished")
    assert {(e.sm_id, e.node, e.value) for e in finished} == {(sm_id, "d", "d")}
    assert len(finished) == 2
    assert net.cores["b"].counters["results_forwarded"] == 1
    assert net.cores["c"].counters["results_forwarded"] == 0


def test_spawned_sms_do_not_report_to_the_origin() -> None:
    source = '''
def child():
    sys_migrate("b")
    sys_migrate("c")
    return 1

def main():
    spawn(child)
    return 0
'''
    net = WiredNet(["a", "b", "c"])
    net.inject("a", source)
    net.run()
    assert sorted(e.node for e in net.of("SMFinished")) == ["a", "c"]  # no report of the child
    assert sum(core.counters["frames_out.Result"] for core in net.cores.values()) == 0


@pytest.mark.slow
def test_exactly_once_over_a_lossy_duplicating_reordering_link() -> None:
    source = '''
def main(n):
    count = 0
    for i in range(n):
        here = node_id()
        sys_migrate("b" if here == "a" else "a")
        count += 1
    return count
'''
    policy = RetryPolicy(first_delay=0.02, factor=1.5, max_delay=0.2, offer_tries=40,
                         transfer_tries=40)
    net = WiredNet(["a", "b"], config=NodeConfig(beacon_interval=None, retry=policy), seed=7,
              drop=0.30, duplicate=0.10, jitter=0.01)
    net.inject("a", source, [1000])
    net.run()
    finished = net.of("SMFinished")
    assert len(finished) == 1, "the SM ran to its end exactly once (on its origin node)"
    assert finished[0].value == 1000, "no hop lost, none repeated"
    admitted = sum(c.counters["sms_admitted"] for c in net.cores.values())
    completed = sum(c.counters["hops_completed"] for c in net.cores.values())
    assert admitted == completed == 1000
    assert sum(c.counters["duplicates_suppressed"] for c in net.cores.values()) > 0
    assert not net.of("HopFailed")


def test_fuzzing_the_core_with_random_and_mutated_datagrams() -> None:
    core = NodeCore("z", NodeConfig(beacon_interval=None))
    rng = random.Random(2026)
    valid = [wire.encode(f) for f in (
        wire.Beacon("x", 1, (1.0, 2.0), ("Taxi",)),
        wire.Offer(b"\x01" * 16, "s", 10, 10, 10, ("a" * 64,)),
        wire.Accept(b"\x02" * 16, ()), wire.Reject(b"\x03" * 16, "no"), wire.Ack(b"\x04" * 16),
        wire.Transfer(b"\x05" * 16, "s", {"sm_id": "s", "family": "s", "origin": "x"},
                      b"\x80", (), b""),
    )]
    datagrams = [d for m in valid for d in wire.fragment(m, 9, 1200)]
    for i in range(100_000):
        if i % 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        else:
            data = bytearray(rng.choice(datagrams))
            for _ in range(rng.randint(1, 3)):
                pos = rng.randrange(len(data) or 1)
                op = rng.random()
                if op < 0.6 and data:
                    data[pos] = rng.randrange(256)
                elif op < 0.8:
                    data.insert(pos, rng.randrange(256))
                elif data:
                    del data[pos:]
            data = bytes(data)
        core.receive(data, "fuzzer", i * 1e-4)
    assert core.counters["malformed"] > 50_000


def test_a_repeated_inject_request_starts_one_sm_and_gets_the_same_answer() -> None:
    core = NodeCore("n", NodeConfig(beacon_interval=None))
    request = wire.Inject(b"r" * 16, "def main():\n    return 7\n", b"", False)
    for _ in range(3):
        for datagram in wire.fragment(wire.encode(request), 1, 1200):
            core.receive(datagram, "client", 0.0)
        core.run_ready()
    replies = [wire.decode(d) for link, d in core.datagrams_to_send()]
    assert len(replies) == 3 and len({r.sm_id for r in replies}) == 1
    assert core.counters["sms_finished"] == 1
    assert core.counters["duplicates_suppressed"] == 2


@pytest.mark.parametrize("receiver, reason", [
    (NodeConfig(beacon_interval=None, fuel_per_sm=1_000), "fuel; this node grants 1000"),
    (NodeConfig(beacon_interval=None, memory_mb=16), "bytes of memory; this node grants"),
    (NodeConfig(beacon_interval=None, tag_memory_per_sm=1_000), "bytes of tag memory"),
])
def test_admission_refuses_what_the_node_cannot_grant(receiver, reason) -> None:
    source = '''
def main():
    try:
        sys_migrate("b")
        return "moved"
    except MigrationError as e:
        return str(e)
'''
    net = WiredNet(["a", "b"])
    net.cores["b"] = NodeCore("b", receiver)
    net.cores["b"].hear_neighbor("a", "a", 0.0)
    net.inject("a", source)
    net.run()
    [done] = net.of("SMFinished")
    assert "rejected" in done.value and reason in done.value
