"""Signing node cores: SM identities come only from verified birth records,
hops from verified chains, results from sealed frames; forgeries are refused
with a reason and the node keeps serving."""
from __future__ import annotations

import dataclasses

from sim.testing import WiredNet
from smvm import wire
from smvm.node import NodeCore
from smvm.node.provenance import NodeTrust
from smvm.trust import KnownNodes, NodeKey, pack_chain

TOUR = '''
def main(path):
    for n in path:
        sys_migrate(n)
    return [node_id(), read_tag("provenance")["path"]]
'''

SECRET_READER = '''
def main():
    create_tag("secret", 42, None, {"family": "r"})
    return 0
'''


def _signed(*ids, links=None) -> WiredNet:
    return WiredNet(list(ids), signed=True, links=links)


def test_a_signed_sm_moves_and_reads_its_own_verified_path() -> None:
    net = _signed("a", "b", "c", links=[("a", "b"), ("b", "c"), ("c", "a")])
    net.inject("a", TOUR, [["b", "c", "a", "b"]])
    net.run()
    ended, reported = net.of("SMFinished")  # where it ended, then the sealed result at a
    assert ended.value == reported.value == ["b", ["a", "b", "c", "a", "b"]]
    assert not net.of("FrameRefused")
    assert net.cores["b"].counters["refused"] == 0


def _record(net: WiredNet, node: str, kind) -> list:
    """Keep a copy of every frame of ``kind`` that ``node`` sends."""
    core, sent = net.cores[node], []
    original = core.datagrams_to_send

    def recording():
        out = original()
        for link, datagram in out:
            try:
                frame = wire.decode(datagram)
            except wire.WireError:
                continue
            if isinstance(frame, kind):
                sent.append((node, link, frame))
        return out
    core.datagrams_to_send = recording
    return sent


def _brick_hash(net: WiredNet) -> str:
    [brick] = [b for b in net.cores["a"].cache.bricks()]
    return brick.hash


def _serves(net: WiredNet, node: str = "a") -> None:
    before = len(net.of("SMFinished"))
    net.inject(node, TOUR, [["b"]])
    net.run()
    assert len(net.of("SMFinished")) == before + 2, "the node still serves normal SMs"


def _deliver(net: WiredNet, source: str, target: str, frame) -> None:
    for datagram in wire.fragment(wire.encode(frame), 999, 60000):
        net.cores[target].receive(datagram, source, net.now)
    net.flush(net.cores[target])


def test_a_transfer_with_a_forged_identity_is_refused_and_the_node_serves() -> None:
    net = _signed("a", "b")
    sent = _record(net, "a", wire.Transfer)
    net.inject("a", TOUR, [["b", "a", "b"]])
    net.run()
    (src, dst, genuine) = sent[0]
    forged = dataclasses.replace(genuine, hop_id=b"\x07" * 16, sm_id="evil/1",
                                 identity={"sm_id": "evil/1", "family": "b/1", "origin": "b"})
    _deliver(net, src, dst, forged)
    [refused] = net.of("FrameRefused")
    assert refused.kind == "Transfer" and "evil/1" in refused.reason
    assert net.cores["b"].counters["sms_admitted"] == 2  # the genuine visits only
    # a validly signed SM whose frame claims another family than its birth record
    trust_a = net.cores["a"].trust
    chain = trust_a.birth(sm_id="a/77", family="a/77", origin="a", code=(_brick_hash(net),),
                          args=b"", now=net.now)
    chain = trust_a.hop(chain, "b", hop_id=b"\x08" * 16, continuation=genuine.continuation,
                        now=net.now, sm_id="a/77")
    claimed = dataclasses.replace(genuine, hop_id=b"\x08" * 16, sm_id="a/77",
                                  identity={"sm_id": "a/77", "family": "b/1", "origin": "a"},
                                  provenance=pack_chain(chain))
    _deliver(net, src, dst, claimed)
    assert "signed birth says" in net.of("FrameRefused")[-1].reason
    _serves(net)


def test_a_tampered_continuation_or_a_replayed_hop_is_refused() -> None:
    net = _signed("a", "b")
    sent = _record(net, "a", wire.Transfer)
    net.inject("a", TOUR, [["b"]])
    net.run()
    [(src, dst, genuine)] = sent
    tampered = dataclasses.replace(genuine, hop_id=b"\x09" * 16,
                                   continuation=genuine.continuation + b"\x00")
    _deliver(net, src, dst, tampered)
    replayed = dataclasses.replace(genuine, hop_id=b"\x0a" * 16)
    _deliver(net, src, dst, replayed)
    reasons = [e.reason for e in net.of("FrameRefused")]
    assert len(reasons) == 2
    assert "another hop id" in reasons[0] or "continuation" in reasons[0]
    assert "hop id" in reasons[1] or "replayed" in reasons[1]
    # the genuine frame itself, sent again, is a duplicate: acknowledged, not admitted again
    _deliver(net, src, dst, genuine)
    assert net.cores["b"].counters["sms_admitted"] == 1
    _serves(net)


def test_a_result_for_a_foreign_sm_or_without_a_valid_seal_is_refused() -> None:
    net = _signed("a", "b")
    net.inject("a", TOUR, [["b"]])
    net.run()
    assert len(net.of("SMFinished")) == 2
    forged = wire.Result("a/1", "a", True, b"\x80", None)  # unsealed
    _deliver(net, "b", "a", forged)
    other = NodeTrust("m", NodeKey.from_seed(b"m"))
    from smvm.trust import pack_chain
    sealed_by_m = wire.Result("a/1", "a", True, b"\x80", None,
                              pack_chain([other.seal_result("a/1", "a", True, b"\x80")]))
    _deliver(net, "b", "a", sealed_by_m)  # a seal without the SM's chain
    wrong_value = wire.Result("a/1", "a", True, b"\x81", None,
                              pack_chain([net.cores["b"].trust.seal_result("a/1", "a", True,
                                                                           b"\x80")]))
    _deliver(net, "b", "a", wrong_value)
    kinds = [e.kind for e in net.of("FrameRefused")]
    assert kinds.count("Result") >= 2
    assert len(net.of("SMFinished")) == 2, "no forged result was taken"
    _serves(net)


def test_a_pinned_nodes_changed_key_is_refused() -> None:
    a_key = NodeKey.from_seed(b"a")
    core = NodeCore("b", trust=NodeTrust("b", NodeKey.from_seed(b"b"),
                                         KnownNodes({"a": a_key.public})))
    genuine = wire.Beacon("a", 1, (0.0, 0.0), (), a_key.public)
    impostor = wire.Beacon("a", 2, (5.0, 5.0), (), NodeKey.from_seed(b"m").public)
    core.receive(wire.encode(impostor), "x", 1.0)
    assert core.neighbor_table.ids(1.0) == []
    [refused] = [e for e in core.events() if type(e).__name__ == "FrameRefused"]
    assert "pinned" in refused.reason
    core.receive(wire.encode(genuine), "y", 2.0)
    assert core.neighbor_table.ids(2.0) == ["a"]
