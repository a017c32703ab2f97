"""A node's status: the inspection API of the core, and the answer to a
status query over the wire (bounded by the query's size: no amplification)."""
from __future__ import annotations

import pytest

from sim.testing import WiredNet
from smvm import statecodec, wire
from smvm.node import NodeConfig, NodeCore
from smvm.node.provenance import NodeTrust
from smvm.node.status import MAX_STATUS_BYTES, MIN_STATUS_QUERY
from smvm.trust import NodeKey

WAITER = '''
def main():
    return block_tag("go", 100)
'''
SPINNER = '''
def main():
    n = 0
    while n < 10 ** 9:
        n += 1
    return n
'''
MOVER = '''
def main(to):
    sys_migrate(to)
    return node_id()
'''


def test_status_shows_each_sm_in_its_state_with_neighbours_and_tags() -> None:
    net = WiredNet(["a", "b"], config=NodeConfig(beacon_interval=None, fuel_slice=10_000))
    a = net.cores["a"]
    a.handle_timer(0.0)
    a.hear_neighbor("c", "link-c", 0.5, (3.0, 4.0), static=False)
    waiter = net.inject("a", WAITER)
    spinner = net.inject("a", SPINNER)  # spends its slice: paused
    mover = a.inject(MOVER, ["b"], net.now)
    a.handle_timer(1.0)
    status = a.status(2.0)
    states = {sm["id"]: sm["state"] for sm in status["sms"]}
    assert states == {waiter: "blocked", spinner: "paused", mover: "ready"}
    blocked = next(sm for sm in status["sms"] if sm["id"] == waiter)
    assert blocked["tag"] == "go" and blocked["origin"] == "a" and blocked["family"] == waiter
    assert status["sm_states"] == {"running": 0, "ready": 1, "paused": 1, "blocked": 1,
                                   "migrating": 0}
    assert status["node"] == "a" and status["uptime"] == 2.0 and status["key"] is None
    by_id = {nb["id"]: nb for nb in status["neighbors"]}
    assert by_id["c"]["age"] == 1.5 and by_id["c"]["position"] == [3.0, 4.0]
    assert by_id["b"]["static"] and not by_id["c"]["static"]
    a.run_ready()  # the mover leaves: its hop waits for b's answer
    moving = {sm["id"]: sm for sm in a.status(2.0)["sms"]}[mover]
    assert (moving["state"], moving["target"]) == ("migrating", "b")
    assert a.status(2.0)["counters"]["hops_started"] == 1


def test_status_shows_stored_tags_without_values_and_the_key_fingerprint() -> None:
    key = NodeKey.from_seed(b"k")
    core = NodeCore("k", NodeConfig(beacon_interval=None), trust=NodeTrust("k", key))
    core.tagspace.create(core.tagspace.node_principal, "Taxi", "secret-value",
                         lifetime=60.0, now=0.0)
    status = core.status(10.0)
    assert status["key"] == key.fingerprint and status["signed"]
    [tag] = status["tags"]
    assert tag["name"] == "Taxi" and tag["expires_in"] == 50.0
    assert "secret-value" not in repr(status)


def query(core: NodeCore, padding: int, now: float = 1.0) -> tuple[int, list[bytes]]:
    """Send a status query padded to ``padding`` bytes; the query's size and
    the datagrams of the answer."""
    message = wire.encode(wire.StatusQuery(b"q1", bytes(padding)))
    for datagram in wire.fragment(message, 7, 1200):
        core.receive(datagram, "client", now)
    return len(message), [d for link, d in core.datagrams_to_send() if link == "client"]


def answer(datagrams: list[bytes]) -> dict:
    reassembler = wire.Reassembler()
    for datagram in datagrams:
        message = reassembler.feed(datagram, "node", 0.0)
    reply = wire.decode(message)
    assert isinstance(reply, wire.StatusReply) and reply.request_id == b"q1"
    return statecodec.loads(reply.status, limits=statecodec.UNTRUSTED_LIMITS)


def busy_node() -> NodeCore:
    """A node with many tags, so its full status is far larger than a datagram."""
    core = NodeCore("busy", NodeConfig(beacon_interval=None))
    core.handle_timer(0.0)
    for i in range(400):
        core.tagspace.create(core.tagspace.node_principal, f"tag-{i:04}", i, now=0.0)
    core.datagrams_to_send()
    return core


@pytest.mark.parametrize("padding", [MIN_STATUS_QUERY, 1200, 5000])
def test_the_answer_is_never_more_than_a_few_times_the_query(padding) -> None:
    core = busy_node()
    size, datagrams = query(core, padding)
    sent = sum(map(len, datagrams))
    assert sent <= core.config.limits.resend_factor * size
    status = answer(datagrams)
    assert status["node"] == "busy" and status["truncated"]
    assert 0 < len(status["tags"]) < 400 and status["tag_bytes"] > 0


def test_a_large_enough_query_gets_everything_and_the_cap_holds() -> None:
    core = busy_node()
    _, datagrams = query(core, wire.frames.STATUS_PADDING_MAX)
    assert sum(map(len, datagrams)) <= MAX_STATUS_BYTES
    status = answer(datagrams)
    assert len(status["tags"]) == 400 and not status["truncated"]


def test_a_tiny_query_is_not_answered_and_the_node_serves_on() -> None:
    core = busy_node()
    _, datagrams = query(core, 0)
    assert datagrams == []
    assert core.counters["status_not_answered"] == 1
    _, datagrams = query(core, 2000)
    assert answer(datagrams)["node"] == "busy"
