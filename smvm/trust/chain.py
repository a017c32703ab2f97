"""Provenance chains: build one as an SM is born and moves, verify one as it arrives.

A chain is a list of sealed records (see ``records``): the SM's birth, then
one hop record per hop, in order. The receiver of a hop checks that

- every record is signed by the node it names, with the key that node is
  known by (pinned, or first seen);
- the birth names the SM, and the code it carries is among the birth's;
- hop ``k`` is number ``k``, holds the digest of record ``k - 1``, is sent by
  the node the previous record delivered the SM to (the birth's signer for
  the first), and names the same SM;
- the last hop is addressed to the receiver, carries the frame's hop id and
  the digest of the continuation that came with it.

Signatures already verified (by record digest) are remembered, so an SM that
comes back pays only for the hops it made since.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import msgpack

from .errors import TrustError
from .keys import NodeKey
from .known import KnownNodes
from .records import MAX_RECORD_BYTES, Birth, Hop, digest, open_sealed, record_digest, seal

#: the longest chain accepted (an SM that has made more hops cannot move on)
MAX_CHAIN = 4096


@dataclass(frozen=True)
class Provenance:
    """A verified chain: who the SM is, and the way it came."""

    birth: Birth
    hops: tuple[Hop, ...]
    head: bytes  # digest of the chain's last record

    @property
    def path(self) -> list[str]:
        return [self.birth.signer, *(hop.receiver for hop in self.hops)]

    def to_json(self) -> dict:
        b = self.birth
        return {"sm_id": b.sm_id, "family": b.family, "origin": b.origin, "parent": b.parent,
                "created_on": b.signer, "code": list(b.code), "path": self.path,
                "hops": [{"from": h.sender, "to": h.receiver, "time": h.time, "number": h.number}
                         for h in self.hops]}


def start_chain(key: NodeKey, signer: str, *, sm_id: str, family: str, origin: str,
                code: tuple[str, ...] | list[str], args: bytes, created: float,
                parent: str = "", parent_link: bytes = b"") -> list:
    """The chain of a new SM: its birth record, signed by the node creating it."""
    birth = Birth(sm_id, family, origin, parent, parent_link, signer, tuple(code), digest(args),
                  float(created), key.public)
    return [seal(birth, key)]


def extend_chain(chain: list, key: NodeKey, sender: str, receiver: str, *, hop_id: bytes,
                 continuation: bytes, time: float, sm_id: str) -> list:
    """``chain`` with the record of one more hop, signed by its sender."""
    if len(chain) >= MAX_CHAIN:
        raise TrustError(f"provenance chain full ({MAX_CHAIN} records)")
    hop = Hop(sm_id, len(chain), hop_id, sender, receiver, float(time), digest(continuation),
              record_digest(chain[-1]), key.public)
    return [*chain, seal(hop, key)]


class ChainVerifier:
    """Checks arriving chains against the known keys, remembering verified records."""

    def __init__(self, known: KnownNodes, cache_size: int = 8192):
        self.known = known
        self._verified: OrderedDict[bytes, object] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, chain: object, *, receiver: str, hop_id: bytes, continuation: bytes,
               code_hash: str | None = None, sm_id: str | None = None) -> Provenance:
        """The provenance ``chain`` proves for a hop of ``sm_id`` to ``receiver``,
        or ``TrustError`` saying why not."""
        prov = self.walk(chain)
        if sm_id is not None and prov.birth.sm_id != sm_id:
            raise TrustError(f"the chain is SM {prov.birth.sm_id}'s, not {sm_id}'s")
        if not prov.hops:
            raise TrustError("the provenance chain has no hop to this node")
        if code_hash is not None and code_hash not in prov.birth.code:
            raise TrustError("the SM carries code its birth record does not name")
        last = prov.hops[-1]
        if last.receiver != receiver:
            raise TrustError(f"the last hop is addressed to {last.receiver!r}, not {receiver!r}")
        if last.hop_id != hop_id:
            raise TrustError("the last hop record names another hop id")
        if last.continuation != digest(continuation):
            raise TrustError("the continuation does not match its hop record")
        return prov

    def walk(self, chain: object) -> Provenance:
        """Check a chain's signatures and links (not where it ends)."""
        if type(chain) not in (list, tuple) or not 1 <= len(chain) <= MAX_CHAIN:
            raise TrustError("provenance chain missing, empty or too long")
        birth = self._open(chain[0])
        if not isinstance(birth, Birth):
            raise TrustError("provenance chain does not start with a birth record")
        hops = []
        at, previous = birth.signer, record_digest(chain[0])
        for number, sealed in enumerate(chain[1:], 1):
            hop = self._open(sealed)
            if not isinstance(hop, Hop) or hop.sm_id != birth.sm_id:
                raise TrustError(f"record {number} of the chain is not a hop of {birth.sm_id}")
            if hop.number != number or hop.previous != previous:
                raise TrustError(f"chain broken at hop {number} (reordered, cut or spliced)")
            if hop.sender != at:
                raise TrustError(f"hop {number} sent by {hop.sender!r}, but the SM was on {at!r}")
            hops.append(hop)
            at, previous = hop.receiver, record_digest(sealed)
        return Provenance(birth, tuple(hops), previous)

    def _open(self, sealed: object):
        try:
            key = record_digest(sealed)  # type: ignore[arg-type]
        except (TypeError, IndexError):
            raise TrustError("a signed record is [body, signature]") from None
        record = self._verified.get(key)
        if record is not None:
            self._verified.move_to_end(key)
            return record
        record = open_sealed(sealed)
        self.known.check(record.signer, record.key)
        self._verified[key] = record
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return record


def pack_chain(chain: list) -> bytes:
    """A chain as the bytes a TRANSFER frame carries."""
    return msgpack.packb(chain, use_bin_type=True)


def unpack_chain(data: bytes) -> list:
    """The chain in a frame's bytes, decoded within the chain's limits (``TrustError``)."""
    if not data:
        raise TrustError("the SM carries no provenance chain")
    try:
        chain = msgpack.unpackb(data, raw=False, use_list=True, max_array_len=MAX_CHAIN,
                                max_bin_len=MAX_RECORD_BYTES, max_str_len=0, max_map_len=0,
                                max_ext_len=0)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError) as exc:
        raise TrustError(f"provenance chain does not decode: {exc}") from None
    if type(chain) is not list:
        raise TrustError("provenance chain is not a list")
    return chain
