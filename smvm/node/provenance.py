"""The node core's side of trust: signing what this node vouches for and
verifying what arrives (see ``smvm.trust`` for the records and chains).

Sans-I/O like the core: it holds the node's key, the known keys and a little
memory of what it admitted, and raises ``TrustError`` with the reason a frame
is refused.
"""
from __future__ import annotations

from collections import OrderedDict

from ..trust import (
    ChainVerifier, KnownNodes, NodeKey, Provenance, ResultSeal, TrustError, digest,
    extend_chain, open_sealed, record_digest, seal, start_chain,
)

#: SMs and hop ids remembered for replay checks (oldest forgotten first)
MAX_REMEMBERED = 16384


class NodeTrust:
    """Signs births, hops and results as ``node_id``; verifies arriving chains."""

    def __init__(self, node_id: str, key: NodeKey, known: KnownNodes | None = None):
        self.node_id = node_id
        self.key = key
        self.known = known if known is not None else KnownNodes()
        self.known.check(node_id, key.public)  # our own name is ours
        self.verifier = ChainVerifier(self.known)
        # sm id -> highest hop number admitted here; hop id -> sm id
        self._highest: OrderedDict[str, int] = OrderedDict()
        self._hop_owner: OrderedDict[bytes, str] = OrderedDict()

    # ---- what this node signs ----------------------------------------------------
    def birth(self, *, sm_id: str, family: str, origin: str, code: tuple[str, ...],
              args: bytes, now: float, parent: str = "", parent_chain: list | None = None) -> list:
        link = record_digest(parent_chain[-1]) if parent_chain else b""
        return start_chain(self.key, self.node_id, sm_id=sm_id, family=family, origin=origin,
                           code=code, args=args, created=now, parent=parent, parent_link=link)

    def hop(self, chain: list, receiver: str, *, hop_id: bytes, continuation: bytes,
            now: float, sm_id: str) -> list:
        return extend_chain(chain, self.key, self.node_id, receiver, hop_id=hop_id,
                            continuation=continuation, time=now, sm_id=sm_id)

    def seal_result(self, sm_id: str, origin: str, ok: bool, value: bytes) -> list:
        return seal(ResultSeal(sm_id, origin, ok, digest(value), self.node_id, self.key.public),
                    self.key)

    # ---- what this node checks ---------------------------------------------------
    def admit(self, chain: object, *, sm_id: str, hop_id: bytes, continuation: bytes,
              code_hash: str) -> Provenance:
        """The verified provenance of an arriving SM, or ``TrustError``."""
        owner = self._hop_owner.get(hop_id)
        if owner is not None and owner != sm_id:
            raise TrustError(f"hop id already used by SM {owner}")
        prov = self.verifier.verify(chain, receiver=self.node_id, hop_id=hop_id,
                                    continuation=continuation, code_hash=code_hash, sm_id=sm_id)
        number = prov.hops[-1].number
        if number <= self._highest.get(sm_id, 0):
            raise TrustError(f"replayed hop {number} of SM {sm_id} "
                             f"(hop {self._highest[sm_id]} already came here)")
        _remember(self._highest, sm_id, number)
        _remember(self._hop_owner, hop_id, sm_id)
        return prov

    def result_proof(self, sm_id: str, origin: str, ok: bool, value: bytes,
                     chain: list) -> list:
        """What a RESULT frame carries: this node's seal over the outcome, then
        the SM's chain, which shows the SM ended here."""
        return [self.seal_result(sm_id, origin, ok, value), *chain]

    def restore(self, chain: list, sm_id: str) -> None:
        """Remember an SM recovered from the journal as admitted (replay checks)."""
        prov = self.verifier.walk(chain)
        if prov.hops:
            _remember(self._highest, sm_id, prov.hops[-1].number)
            _remember(self._hop_owner, prov.hops[-1].hop_id, sm_id)

    def check_result(self, proof: object, *, sm_id: str, origin: str, ok: bool,
                     value: bytes) -> str:
        """The node that vouches for a RESULT frame, or ``TrustError``: the seal
        must be signed by the node the SM's verified chain ends on, and name
        this SM, its origin, its outcome and the value carried."""
        if type(proof) is not list or len(proof) < 2:
            raise TrustError("a result must carry its seal and the SM's chain")
        record = open_sealed(proof[0])
        if not isinstance(record, ResultSeal):
            raise TrustError("a result must carry a result seal")
        self.known.check(record.signer, record.key)
        prov = self.verifier.walk(proof[1:])
        if (prov.birth.sm_id, prov.birth.origin) != (sm_id, origin):
            raise TrustError(f"the result's chain is not SM {sm_id}'s from {origin!r}")
        if record.signer != prov.path[-1]:
            raise TrustError(f"the result is sealed by {record.signer!r}, but SM {sm_id} "
                             f"went last to {prov.path[-1]!r}")
        if (record.sm_id, record.origin, record.ok) != (sm_id, origin, ok):
            raise TrustError("the result seal names another SM or outcome")
        if record.value != digest(value):
            raise TrustError("the result does not match its seal")
        return record.signer


def _remember(table: OrderedDict, key, value) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > MAX_REMEMBERED:
        table.popitem(last=False)
