"""An arriving SM is decoded and validated once, before it is acknowledged,
and runs from what was checked; a continuation that does not fit its brick
is refused and nothing of it runs."""
from __future__ import annotations

import msgpack

from sim.testing import WiredNet
from smvm import wire
from smvm.node import NodeConfig, NodeCore
from smvm.vm import migration

BOUNCE = '''
def main(n):
    trail = []
    for i in range(n):
        sys_migrate("b" if node_id() == "a" else "a")
        trail.append(node_id())
    return trail
'''


def test_each_hop_decodes_the_continuation_once(monkeypatch) -> None:
    decodes = []
    real = migration.decode

    def counting(sm, state, value, error):
        decodes.append(len(state))
        return real(sm, state, value, error)

    monkeypatch.setattr(migration, "decode", counting)
    net = WiredNet(["a", "b"])
    net.inject("a", BOUNCE, [10])
    net.run()
    [done] = net.of("SMFinished")  # it ended on a, its origin: one event
    assert done.value == ["b", "a"] * 5
    admitted = sum(c.counters["sms_admitted"] for c in net.cores.values())
    assert admitted == 10 and len(decodes) == 10


def test_a_duplicate_transfer_is_acknowledged_without_decoding_again(monkeypatch) -> None:
    net = WiredNet(["a", "b"], duplicate=1.0)
    decodes = []
    real = migration.decode
    monkeypatch.setattr(migration, "decode", lambda sm, *a: decodes.append(1) or real(sm, *a))
    net.inject("a", BOUNCE, [2])
    net.run()
    assert [e.value for e in net.of("SMFinished")][0] == ["b", "a"]
    assert sum(c.counters["duplicates_suppressed"] for c in net.cores.values()) > 0
    assert len(decodes) == 2


def _transfer_from_a() -> tuple[NodeCore, wire.Transfer]:
    """The TRANSFER node a sends when an SM first leaves it for b."""
    a = NodeCore("a", NodeConfig(beacon_interval=None))
    a.hear_neighbor("b", "b", 0.0)
    a.inject(BOUNCE, [1])
    a.run_ready()
    reassembler = wire.Reassembler()
    offer = wire.decode(reassembler.feed(a.datagrams_to_send()[0][1], "a", 0.0))
    for datagram in wire.fragment(wire.encode(wire.Accept(offer.hop_id, (offer.bricks[0],))), 1, 1200):
        a.receive(datagram, "b", 0.0)
    [message] = [m for _, d in a.datagrams_to_send() if (m := reassembler.feed(d, "a", 0.0))]
    return a, wire.decode(message)


def _deliver(core: NodeCore, frame) -> list:
    for datagram in wire.fragment(wire.encode(frame), 7, 1200):
        core.receive(datagram, "a", 0.0)
    return [wire.decode(d) for _, d in core.datagrams_to_send()]


def test_a_valid_transfer_is_admitted_and_runs() -> None:
    _, transfer = _transfer_from_a()
    b = NodeCore("b", NodeConfig(beacon_interval=None))
    [reply] = _deliver(b, transfer)
    assert isinstance(reply, wire.Ack)
    assert b.queued() == [(transfer.sm_id, "arrived")]  # resumed from what was checked
    b.run_ready()
    assert [e.value for e in b.events() if type(e).__name__ == "SMFinished"] == [["b"]]


def test_a_continuation_that_does_not_fit_its_brick_is_refused_before_anything_runs() -> None:
    _, transfer = _transfer_from_a()
    state = msgpack.unpackb(transfer.continuation, raw=False, strict_map_key=False)
    state["frames"][0][1] = 999  # a resume point the function does not have
    bad = wire.Transfer(b"\x09" * 16, transfer.sm_id, transfer.identity,
                        msgpack.packb(state, use_bin_type=True), transfer.code, transfer.data)
    b = NodeCore("b", NodeConfig(beacon_interval=None))
    [reply] = _deliver(b, bad)
    assert isinstance(reply, wire.Reject) and reply.reason.startswith("invalid continuation")
    assert "no resume point 999" in reply.reason
    assert b.counters["sms_rejected"] == 1 and b.counters["sms_admitted"] == 0
    assert not b.has_ready and b.sms() == []
    b.run_ready()
    assert not b.events()


def test_the_trip_record_counts_on_and_anything_else_counts_from_this_hop() -> None:
    """A TRANSFER's trip record (its ``data``) is the sender's word: two small
    numbers carry on; garbage, other types or counts out of bounds count the
    trip from this hop, and the SM is admitted either way."""
    _, transfer = _transfer_from_a()
    size = len(transfer.continuation)
    cases = [
        (msgpack.packb({"hops": 4, "bytes": 100}), (5, 100 + size)),
        (b"", (1, size)),
        (b"\xc1", (1, size)),                                   # not msgpack
        (msgpack.packb([4, 100]), (1, size)),                   # not a map
        (msgpack.packb({"hops": "4", "bytes": 1}), (1, size)),
        (msgpack.packb({"hops": 2**64 - 1, "bytes": 1}), (1, size)),  # the next one would not pack
        (msgpack.packb({"hops": -3, "bytes": 1}), (1, size)),
        (msgpack.packb({"hops": msgpack.ExtType(7, b"x"), "bytes": 1}), (1, size)),
        (msgpack.packb({1: 2}), (1, size)),                     # a key that is no str
        (msgpack.packb({"hops": 1, "pad": "x" * 300}), (1, size)),  # longer than a trip record
    ]
    for i, (data, (hops, sent)) in enumerate(cases):
        frame = wire.Transfer(bytes([i + 1]) * 16, transfer.sm_id, transfer.identity,
                              transfer.continuation, transfer.code, data)
        b = NodeCore("b", NodeConfig(beacon_interval=None))
        [reply] = _deliver(b, frame)
        assert isinstance(reply, wire.Ack), data
        record = b._sms[transfer.sm_id]
        assert (record.hops, record.bytes) == (hops, sent), data
