"""Results in custody: an SM's end travels back to its origin hop by hop, and
each node that takes a RESULT keeps it until the next node acknowledges it.

The acknowledgement is an ACK frame whose hop id is derived from the SM id
(:func:`ack_id`), so no new frame kind is needed and a duplicate RESULT is
recognised and acknowledged again. A node with a journal keeps the results in
its custody there too (:func:`pack`/:func:`unpack`), so a result waiting for
delivery survives a crash of the node holding it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Hashable

import msgpack

from .. import wire
from ..errors import RemoteInputError
from ._hops import RetryPolicy

VERSION = 1
#: a RESULT is smaller than an SM; this bounds a damaged journal record
MAX_RECORD = 4 << 20


def ack_id(sm_id: str) -> bytes:
    """The hop id an ACK of ``sm_id``'s RESULT carries."""
    return hashlib.blake2b(b"result\0" + sm_id.encode("utf-8", "surrogatepass"),
                           digest_size=16).digest()


@dataclass
class HeldResult:
    """A RESULT this node took custody of and has not seen acknowledged."""
    frame: wire.Result
    #: the link back toward the origin when the origin is not a neighbour
    #: (None: only the neighbour table can tell)
    back: Hashable | None
    #: the link it came in by: never sent back that way
    arrived_by: Hashable | None = None
    attempts: int = 0
    deadline: float = 0.0

    def arm(self, now: float, policy: RetryPolicy, spread: float) -> None:
        self.deadline = now + policy.delay(self.attempts, spread=spread)
        self.attempts += 1

    def tries_left(self, policy: RetryPolicy) -> bool:
        return self.attempts < policy.transfer_tries


def pack(held: HeldResult) -> bytes:
    """A journal record of a held result (links are tuples or strings)."""
    back = list(held.back) if isinstance(held.back, tuple) else held.back
    return msgpack.packb([VERSION, wire.encode(held.frame), back], use_bin_type=True)


def unpack(data: bytes) -> HeldResult:
    """A held result read back from the journal (``RemoteInputError`` if damaged)."""
    try:
        items = msgpack.unpackb(data, raw=False, max_bin_len=MAX_RECORD, max_str_len=MAX_RECORD)
        version, message, back = items
        frame = wire.decode(message)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError, wire.WireError) as exc:
        raise RemoteInputError(f"journaled result does not decode: {exc}") from None
    if version != VERSION or not isinstance(frame, wire.Result):
        raise RemoteInputError("journaled result of another version or kind")
    if isinstance(back, list):
        back = tuple(back)
    return HeldResult(frame, back)
