"""The frames nodes exchange, as frozen dataclasses validated on construction.

A bad field raises ``WireUsageError``; the decoder builds frames through the
same constructors and reports their complaints as ``WireError``. Sequences are
normalised to tuples and bytes-like values to ``bytes``. ``identity`` and
``error`` are dicts: they take part in ``==`` but not in ``hash``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

from . import _check as check
from .constants import HOP_ID_LEN, MAX_REQUEST_ID_LEN

PUBLIC_KEY_MAX = 32
SEAL_MAX = 4096

__all__ = [
    "FRAME_TYPES",
    "Accept",
    "Ack",
    "Beacon",
    "Frame",
    "Inject",
    "InjectReply",
    "Kind",
    "Offer",
    "Reject",
    "Result",
    "StatusQuery",
    "StatusReply",
    "Transfer",
]


class Kind(IntEnum):
    """Kind code: the first item of a message's msgpack array."""

    BEACON = 1
    OFFER = 2
    ACCEPT = 3
    REJECT = 4
    TRANSFER = 5
    ACK = 6
    RESULT = 7
    INJECT = 8
    INJECT_REPLY = 9
    STATUS_QUERY = 10
    STATUS_REPLY = 11


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _hop_id(value: object) -> bytes:
    return check.blob("hop_id", value, size=HOP_ID_LEN)


def _request_id(value: object) -> bytes:
    return check.blob("request_id", value, min_len=1, max_len=MAX_REQUEST_ID_LEN)


@dataclass(frozen=True)
class Beacon:
    """Periodic neighbour discovery: who I am, where, and which tags I hold."""

    KIND: ClassVar[Kind] = Kind.BEACON
    node_id: str
    seq: int
    position: tuple[float, float] | None = None
    tags: tuple[str, ...] = ()
    key: bytes = b""  # the node's Ed25519 public key (empty: an unsigned node)

    def __post_init__(self) -> None:
        check.ident("node_id", self.node_id)
        check.uint("seq", self.seq)
        _set(self, "position", check.position(self.position))
        tags = check.sequence("tags", self.tags)
        for i, tag in enumerate(tags):
            check.ident(f"tags[{i}]", tag)
        _set(self, "tags", tags)
        _set(self, "key", check.blob("key", self.key, max_len=PUBLIC_KEY_MAX))


@dataclass(frozen=True)
class Offer:
    """Hop step 1: an SM's resource needs and the ids of the bricks it carries."""

    KIND: ClassVar[Kind] = Kind.OFFER
    hop_id: bytes
    sm_id: str
    fuel: int
    tag_memory: int
    runtime_memory: int
    bricks: tuple[str, ...]

    def __post_init__(self) -> None:
        _set(self, "hop_id", _hop_id(self.hop_id))
        check.ident("sm_id", self.sm_id)
        for name in ("fuel", "tag_memory", "runtime_memory"):
            check.uint(name, getattr(self, name))
        _set(self, "bricks", check.brick_ids("bricks", self.bricks))


@dataclass(frozen=True)
class Accept:
    """Hop step 2: the receiver admits the SM and lists the bricks it lacks."""

    KIND: ClassVar[Kind] = Kind.ACCEPT
    hop_id: bytes
    missing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "hop_id", _hop_id(self.hop_id))
        _set(self, "missing", check.brick_ids("missing", self.missing))


@dataclass(frozen=True)
class Reject:
    """Hop step 2, refused: why the receiver will not take the SM."""

    KIND: ClassVar[Kind] = Kind.REJECT
    hop_id: bytes
    reason: str

    def __post_init__(self) -> None:
        _set(self, "hop_id", _hop_id(self.hop_id))
        check.text("reason", self.reason)


@dataclass(frozen=True)
class Transfer:
    """Hop step 3: the SM itself, with only the code bricks the receiver lacks."""

    KIND: ClassVar[Kind] = Kind.TRANSFER
    hop_id: bytes
    sm_id: str
    identity: dict[str, str] = field(hash=False)
    continuation: bytes
    code: tuple[tuple[str, str], ...]
    data: bytes = b""
    provenance: bytes = b""  # the signed chain (smvm.trust), empty between unsigned nodes

    def __post_init__(self) -> None:
        _set(self, "hop_id", _hop_id(self.hop_id))
        check.ident("sm_id", self.sm_id)
        identity = check.identity(self.identity)
        if identity["sm_id"] != self.sm_id:
            raise check.fail("identity['sm_id'] differs from sm_id")
        _set(self, "identity", identity)
        _set(self, "continuation", check.blob("continuation", self.continuation))
        _set(self, "code", check.code(self.code))
        _set(self, "data", check.blob("data", self.data))
        _set(self, "provenance", check.blob("provenance", self.provenance))


@dataclass(frozen=True)
class Ack:
    """Hop step 4: the receiver has admitted the SM; the sender may forget it."""

    KIND: ClassVar[Kind] = Kind.ACK
    hop_id: bytes

    def __post_init__(self) -> None:
        _set(self, "hop_id", _hop_id(self.hop_id))


@dataclass(frozen=True)
class Result:
    """An SM's end result on its way back to its origin node.

    ``value`` is opaque bytes from the state codec; ``error`` is the error
    record (str keys, scalar values) exactly when ``ok`` is false.
    """

    KIND: ClassVar[Kind] = Kind.RESULT
    sm_id: str
    origin: str
    ok: bool
    value: bytes = b""
    error: dict | None = field(default=None, hash=False)
    seal: bytes = b""  # signed by the node where the SM ended (empty when unsigned)

    def __post_init__(self) -> None:
        check.ident("sm_id", self.sm_id)
        check.ident("origin", self.origin)
        _set(self, "value", check.blob("value", self.value))
        _set(self, "error", check.outcome(self.ok, self.error)[1])
        _set(self, "seal", check.blob("seal", self.seal, max_len=SEAL_MAX))


@dataclass(frozen=True)
class Inject:
    """From the ``smvm inject`` client: start an SM from ``source`` with ``args``."""

    KIND: ClassVar[Kind] = Kind.INJECT
    request_id: bytes
    source: str
    args: bytes = b""
    wait: bool = False

    def __post_init__(self) -> None:
        _set(self, "request_id", _request_id(self.request_id))
        check.text("source", self.source, empty=False)
        _set(self, "args", check.blob("args", self.args))
        check.flag("wait", self.wait)


@dataclass(frozen=True)
class InjectReply:
    """Answer to an ``Inject``: the new SM's id and, if waited for, its result.

    ``sm_id`` is empty only for a failed injection that created no SM.
    """

    KIND: ClassVar[Kind] = Kind.INJECT_REPLY
    request_id: bytes
    sm_id: str
    ok: bool
    value: bytes = b""
    error: dict | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        _set(self, "request_id", _request_id(self.request_id))
        ok, error = check.outcome(self.ok, self.error)
        if self.sm_id != "" or ok:
            check.ident("sm_id", self.sm_id)
        _set(self, "value", check.blob("value", self.value))
        _set(self, "error", error)


#: Bytes of padding a status query may carry.
STATUS_PADDING_MAX = 64 * 1024


@dataclass(frozen=True)
class StatusQuery:
    """From ``smvm status``: describe this node. The padding makes the query
    as large as the reply it asks for may be a few times over (a node never
    answers with much more than it was sent: no amplification)."""

    KIND: ClassVar[Kind] = Kind.STATUS_QUERY
    request_id: bytes
    padding: bytes = b""

    def __post_init__(self) -> None:
        _set(self, "request_id", _request_id(self.request_id))
        _set(self, "padding", check.blob("padding", self.padding, max_len=STATUS_PADDING_MAX))


@dataclass(frozen=True)
class StatusReply:
    """Answer to a ``StatusQuery``: the node's status, a map in the state
    codec's encoding (see ``smvm.node.status``)."""

    KIND: ClassVar[Kind] = Kind.STATUS_REPLY
    request_id: bytes
    status: bytes

    def __post_init__(self) -> None:
        _set(self, "request_id", _request_id(self.request_id))
        _set(self, "status", check.blob("status", self.status))


Frame = (Beacon | Offer | Accept | Reject | Transfer | Ack | Result | Inject | InjectReply
         | StatusQuery | StatusReply)

#: Frame class of each kind code.
FRAME_TYPES: dict[Kind, type] = {
    cls.KIND: cls
    for cls in (Beacon, Offer, Accept, Reject, Transfer, Ack, Result, Inject, InjectReply,
                StatusQuery, StatusReply)
}
