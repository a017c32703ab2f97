"""A node's trust state: admitting signed SMs, refusing replays and foreign results."""
from __future__ import annotations

import pytest

from smvm.node.provenance import NodeTrust
from smvm.trust import KnownNodes, NodeKey, TrustError


def _nodes(*names: str) -> dict[str, NodeTrust]:
    return {n: NodeTrust(n, NodeKey.from_seed(n.encode())) for n in names}


def _send(nodes, chain, sender, receiver, hop_id, cont, now):
    chain = nodes[sender].hop(chain, receiver, hop_id=hop_id, continuation=cont, now=now,
                              sm_id="A/1")
    prov = nodes[receiver].admit(chain, sm_id="A/1", hop_id=hop_id, continuation=cont,
                                 code_hash="c0de")
    return chain, prov


def test_an_sm_travels_a_cycle_and_each_node_learns_its_verified_path() -> None:
    nodes = _nodes("A", "B", "C")
    chain = nodes["A"].birth(sm_id="A/1", family="A/1", origin="A", code=("c0de",), args=b"",
                             now=0.0)
    path = "ABCABCA"
    for i, (here, there) in enumerate(zip(path, path[1:])):
        chain, prov = _send(nodes, chain, here, there, bytes([i + 1]) * 16, b"s%d" % i, i)
    assert prov.path == list(path) and prov.birth.family == "A/1"


def test_a_replayed_hop_is_refused_even_with_a_fresh_hop_id() -> None:
    nodes = _nodes("A", "B")
    chain = nodes["A"].birth(sm_id="A/1", family="A/1", origin="A", code=("c0de",), args=b"",
                             now=0.0)
    _send(nodes, chain, "A", "B", b"\x01" * 16, b"s", 1.0)
    with pytest.raises(TrustError, match="replayed"):
        _send(nodes, chain, "A", "B", b"\x02" * 16, b"s", 2.0)


def test_a_hop_id_reused_for_another_sm_is_refused() -> None:
    nodes = _nodes("A", "B")
    one = nodes["A"].birth(sm_id="A/1", family="A/1", origin="A", code=("c0de",), args=b"",
                           now=0.0)
    _send(nodes, one, "A", "B", b"\x01" * 16, b"s", 1.0)
    two = nodes["A"].birth(sm_id="A/2", family="A/2", origin="A", code=("c0de",), args=b"",
                           now=0.0)
    two = nodes["A"].hop(two, "B", hop_id=b"\x01" * 16, continuation=b"s", now=1.0, sm_id="A/2")
    with pytest.raises(TrustError, match="hop id already used"):
        nodes["B"].admit(two, sm_id="A/2", hop_id=b"\x01" * 16, continuation=b"s",
                         code_hash="c0de")


def test_results_are_checked_against_their_seal_and_the_sms_chain() -> None:
    nodes = _nodes("A", "B", "M")
    chain = nodes["A"].birth(sm_id="A/1", family="A/1", origin="A", code=("c0de",), args=b"",
                             now=0.0)
    chain, _ = _send(nodes, chain, "A", "B", b"\x01" * 16, b"s", 1.0)
    proof = nodes["B"].result_proof("A/1", "A", True, b"value", chain)
    assert nodes["A"].check_result(proof, sm_id="A/1", origin="A", ok=True, value=b"value") == "B"
    for kwargs in ({"sm_id": "A/9"}, {"ok": False}, {"value": b"other"}, {"origin": "B"}):
        args = {"sm_id": "A/1", "origin": "A", "ok": True, "value": b"value", **kwargs}
        with pytest.raises(TrustError):
            nodes["A"].check_result(proof, **args)
    # M holds a key, but the SM never went to M: its seal proves nothing
    by_m = nodes["M"].result_proof("A/1", "A", True, b"value", chain)
    with pytest.raises(TrustError, match="went last to 'B'"):
        nodes["A"].check_result(by_m, sm_id="A/1", origin="A", ok=True, value=b"value")
    for junk in ([b"x", b"y"], proof[:1], None):
        with pytest.raises(TrustError):
            nodes["A"].check_result(junk, sm_id="A/1", origin="A", ok=True, value=b"value")


def test_a_node_cannot_be_told_its_own_name_belongs_to_another_key() -> None:
    me = NodeTrust("A", NodeKey.from_seed(b"A"), KnownNodes())
    with pytest.raises(TrustError, match="changed"):
        me.known.check("A", NodeKey.from_seed(b"M").public)
