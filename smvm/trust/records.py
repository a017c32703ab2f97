"""Signed records: an SM's birth, each of its hops, and its result.

A record is ``[body, signature]``: ``body`` is a msgpack array with a fixed
layout (so its bytes are canonical), signed by the node it names as signer.
An SM's provenance is a chain: its birth record, then one hop record per hop,
each holding the SHA-256 of the record before it (the DataCapsule idea), so a
chain cannot be cut, reordered or spliced without breaking a hash or a
signature.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgpack

from .errors import TrustError
from .keys import PUBLIC_KEY_LEN, SIGNATURE_LEN, NodeKey, verify

BIRTH, HOP, RESULT = "birth", "hop", "result"
DIGEST_LEN = 32
MAX_RECORD_BYTES = 2048
MAX_ID_LEN = 256
MAX_CODE_HASHES = 32


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@dataclass(frozen=True)
class Birth:
    sm_id: str
    family: str
    origin: str
    parent: str          # "" for an SM started by a client
    parent_link: bytes   # digest of the parent's chain head when it was created (b"" if none)
    signer: str          # the node where the SM was created
    code: tuple[str, ...]
    args: bytes          # digest of the encoded arguments
    created: float
    key: bytes           # the signer's public key

    def body(self) -> list:
        return [BIRTH, self.sm_id, self.family, self.origin, self.parent, self.parent_link,
                self.signer, list(self.code), self.args, float(self.created), self.key]


@dataclass(frozen=True)
class Hop:
    sm_id: str
    number: int          # 1 for the SM's first hop
    hop_id: bytes
    sender: str
    receiver: str
    time: float
    continuation: bytes  # digest of the continuation sent
    previous: bytes      # digest of the record before this one
    key: bytes           # the sender's public key

    @property
    def signer(self) -> str:
        return self.sender

    def body(self) -> list:
        return [HOP, self.sm_id, self.number, self.hop_id, self.sender, self.receiver,
                float(self.time), self.continuation, self.previous, self.key]


@dataclass(frozen=True)
class ResultSeal:
    """What the node where an SM ended says about it, for its origin."""

    sm_id: str
    origin: str
    ok: bool
    value: bytes         # digest of the result envelope sent
    signer: str
    key: bytes

    def body(self) -> list:
        return [RESULT, self.sm_id, self.origin, self.ok, self.value, self.signer, self.key]


Record = Birth | Hop | ResultSeal


def seal(record: Record, key: NodeKey) -> list:
    """``[body, signature]`` of ``record``, signed with ``key``."""
    body = msgpack.packb(record.body(), use_bin_type=True)
    return [body, key.sign(body)]


def record_digest(sealed: list | tuple) -> bytes:
    """The digest that the next record of a chain holds."""
    return digest(sealed[0] + sealed[1])


def open_sealed(sealed: object) -> Record:
    """The record inside ``[body, signature]``, its signature checked against
    the key it names (whether that key belongs to the signer is the caller's
    question: see ``KnownNodes``). ``TrustError`` for anything malformed."""
    if (type(sealed) not in (list, tuple) or len(sealed) != 2
            or type(sealed[0]) is not bytes or type(sealed[1]) is not bytes):
        raise TrustError("a signed record is [body, signature]")
    body, signature = sealed
    if len(body) > MAX_RECORD_BYTES or len(signature) != SIGNATURE_LEN:
        raise TrustError("signed record of the wrong size")
    try:
        fields = msgpack.unpackb(body, raw=False, strict_map_key=True, max_bin_len=MAX_RECORD_BYTES,
                                 max_str_len=MAX_RECORD_BYTES, max_array_len=64, max_map_len=0)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise TrustError(f"signed record does not decode: {exc}") from None
    record = _record(fields)
    if not verify(record.key, signature, body):
        raise TrustError(f"bad signature on a {fields[0]} record from {record.signer!r}")
    return record


def _record(fields: object) -> Record:
    if type(fields) is not list or not fields or fields[0] not in (BIRTH, HOP, RESULT):
        raise TrustError("unknown signed record")
    kind = fields[0]
    try:
        if kind == BIRTH:
            _, sm_id, family, origin, parent, link, signer, code, args, created, key = fields
            record: Record = Birth(_ident(sm_id), _ident(family), _ident(origin),
                                   _ident(parent, empty=True), _digest(link, empty=True),
                                   _ident(signer), _code(code), _digest(args),
                                   _time(created), _key(key))
        elif kind == HOP:
            _, sm_id, number, hop_id, sender, receiver, time, cont, prev, key = fields
            if type(number) is not int or not 1 <= number < 1 << 32:
                raise TrustError("hop number out of range")
            if type(hop_id) is not bytes or len(hop_id) != 16:
                raise TrustError("hop id must be 16 bytes")
            record = Hop(_ident(sm_id), number, hop_id, _ident(sender), _ident(receiver),
                         _time(time), _digest(cont), _digest(prev), _key(key))
        else:
            _, sm_id, origin, ok, value, signer, key = fields
            if type(ok) is not bool:
                raise TrustError("result flag must be a bool")
            record = ResultSeal(_ident(sm_id), _ident(origin), ok, _digest(value),
                                _ident(signer), _key(key))
    except ValueError:
        raise TrustError(f"{kind} record has the wrong number of fields") from None
    return record


def _ident(value: object, *, empty: bool = False) -> str:
    if type(value) is not str or len(value) > MAX_ID_LEN or (not value and not empty):
        raise TrustError("bad identifier in a signed record")
    return value


def _digest(value: object, *, empty: bool = False) -> bytes:
    if type(value) is not bytes or not (len(value) == DIGEST_LEN or (empty and not value)):
        raise TrustError("bad digest in a signed record")
    return value


def _key(value: object) -> bytes:
    if type(value) is not bytes or len(value) != PUBLIC_KEY_LEN:
        raise TrustError("bad public key in a signed record")
    return value


def _time(value: object) -> float:
    if type(value) is not float or value != value or abs(value) > 1e12:
        raise TrustError("bad time in a signed record")
    return value


def _code(value: object) -> tuple[str, ...]:
    if type(value) is not list or not 1 <= len(value) <= MAX_CODE_HASHES:
        raise TrustError("bad code list in a birth record")
    return tuple(_ident(v) for v in value)
