"""Signed births and hop chains: what verifies, and every way a forged or
tampered chain is refused."""
from __future__ import annotations

import pytest

from smvm.trust import (
    ChainVerifier, KnownNodes, NodeKey, TrustError, extend_chain, open_sealed, start_chain,
)

KEYS = {name: NodeKey.from_seed(name.encode()) for name in "ABCM"}
CONT = [b"state-%d" % i for i in range(8)]
HOP_IDS = [bytes([i]) * 16 for i in range(8)]


def _chain(path: str, sm_id: str = "A/1") -> list:
    chain = start_chain(KEYS[path[0]], path[0], sm_id=sm_id, family=sm_id, origin=path[0],
                        code=["c0de"], args=b"[]", created=1.0)
    for i, (here, there) in enumerate(zip(path, path[1:])):
        chain = extend_chain(chain, KEYS[here], here, there, hop_id=HOP_IDS[i],
                             continuation=CONT[i], time=2.0 + i, sm_id=sm_id)
    return chain


def _verifier(pinned: dict | None = None) -> ChainVerifier:
    return ChainVerifier(KnownNodes(pinned))


def test_a_chain_verifies_and_tells_who_the_sm_is_and_its_path() -> None:
    chain = _chain("ABCA")
    prov = _verifier().verify(chain, receiver="A", hop_id=HOP_IDS[2], continuation=CONT[2],
                              code_hash="c0de")
    assert (prov.birth.sm_id, prov.birth.family, prov.birth.origin) == ("A/1", "A/1", "A")
    assert prov.path == ["A", "B", "C", "A"]
    assert [h.number for h in prov.hops] == [1, 2, 3]


@pytest.mark.parametrize("mutate, reason", [
    (lambda c: c[:-1], "addressed"),                       # truncated: last hop is to C
    (lambda c: [c[0], c[2], c[1], c[3]], "broken"),        # reordered
    (lambda c: [c[0], *c[2:]], "broken"),                  # a hop cut out of the middle
    (lambda c: [*c[:-1], [c[-1][0], bytes(64)]], "signature"),
    (lambda c: [[c[0][0].replace(b"A/1", b"B/1"), c[0][1]], *c[1:]], "signature"),
    (lambda c: c[1:], "birth"),
    (lambda c: [c[0], c[0], *c[1:]], "hop"),
])
def test_tampered_chains_are_refused(mutate, reason) -> None:
    chain = mutate(_chain("ABCA"))
    with pytest.raises(TrustError, match=reason):
        _verifier().verify(chain, receiver="A", hop_id=HOP_IDS[2], continuation=CONT[2])


def test_the_continuation_must_match_its_hop_record() -> None:
    with pytest.raises(TrustError, match="continuation"):
        _verifier().verify(_chain("AB"), receiver="B", hop_id=HOP_IDS[0], continuation=b"evil")


def test_a_hop_id_reused_for_another_hop_is_refused() -> None:
    with pytest.raises(TrustError, match="hop id"):
        _verifier().verify(_chain("AB"), receiver="B", hop_id=HOP_IDS[5], continuation=CONT[0])


def test_a_hop_signed_by_a_node_the_sm_was_not_on_is_refused() -> None:
    chain = _chain("AB")
    # M claims to forward an SM that is on B
    forged = extend_chain(chain, KEYS["M"], "M", "C", hop_id=HOP_IDS[1], continuation=CONT[1],
                          time=5.0, sm_id="A/1")
    with pytest.raises(TrustError, match="sent by 'M'"):
        _verifier().verify(forged, receiver="C", hop_id=HOP_IDS[1], continuation=CONT[1])


def test_a_node_signing_with_another_nodes_name_is_refused_when_pinned() -> None:
    # M signs a birth record claiming to be node A
    chain = start_chain(KEYS["M"], "A", sm_id="A/1", family="A/1", origin="A", code=["c0de"],
                        args=b"[]", created=1.0)
    chain = extend_chain(chain, KEYS["M"], "A", "B", hop_id=HOP_IDS[0], continuation=CONT[0],
                         time=2.0, sm_id="A/1")
    with pytest.raises(TrustError, match="key of node 'A' changed"):
        _verifier({"A": KEYS["A"].public}).verify(chain, receiver="B", hop_id=HOP_IDS[0],
                                                  continuation=CONT[0])


def test_first_use_learns_a_key_and_refuses_a_later_change() -> None:
    verifier = _verifier()
    verifier.verify(_chain("AB"), receiver="B", hop_id=HOP_IDS[0], continuation=CONT[0])
    impostor = start_chain(KEYS["M"], "A", sm_id="A/2", family="A/2", origin="A",
                           code=["c0de"], args=b"[]", created=1.0)
    impostor = extend_chain(impostor, KEYS["M"], "A", "B", hop_id=HOP_IDS[1],
                            continuation=CONT[1], time=2.0, sm_id="A/2")
    with pytest.raises(TrustError, match="changed"):
        verifier.verify(impostor, receiver="B", hop_id=HOP_IDS[1], continuation=CONT[1])


def test_code_not_named_at_birth_is_refused() -> None:
    with pytest.raises(TrustError, match="code"):
        _verifier().verify(_chain("AB"), receiver="B", hop_id=HOP_IDS[0], continuation=CONT[0],
                           code_hash="other")


@pytest.mark.parametrize("junk", [None, b"", [], [b"x"], [b"x", b"y"], [1, 2],
                                  [b"\x93\xa3hop\x01\x02", bytes(64)], "chain", [[b"", b""]]])
def test_junk_is_a_trust_error(junk) -> None:
    with pytest.raises(TrustError):
        _verifier().verify(junk, receiver="B", hop_id=HOP_IDS[0], continuation=CONT[0])
    with pytest.raises(TrustError):
        open_sealed(junk)


def test_a_returning_sm_reuses_verified_records() -> None:
    verifier = _verifier()
    calls = []
    original = verifier.known.check
    verifier.known.check = lambda node, key: calls.append(node) or original(node, key)
    verifier.verify(_chain("ABC"), receiver="C", hop_id=HOP_IDS[1], continuation=CONT[1])
    first = len(calls)
    verifier.verify(_chain("ABCA"), receiver="A", hop_id=HOP_IDS[2], continuation=CONT[2])
    assert first == 3 and len(calls) == first + 1  # only the new hop's signature was checked
