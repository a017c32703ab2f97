"""What a node keeps of each SM living on it, and the small facts derived
from it (the trip an SM made, where its ids come from)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Hashable

import msgpack
import tagspace

from .. import statecodec
from ..compiler import Brick
from ..limits import MAX_ERROR_CHARS, truncate
from ..trust import open_sealed

#: SMs whose way back a node remembers (oldest forgotten first)
MAX_CAME_FROM = 4096


@dataclass(frozen=True)
class Waiting:
    """What a blocked SM waits for, and how it goes on."""
    state: bytes  # its continuation
    tag: str
    timeout: float | None
    #: the SM in the code domain of the brick that called block_tag
    acting: tagspace.Principal
    #: when it began waiting on this node (virtual or wall seconds): a
    #: waiter is evicted only after ``NodeLimits.min_wait_before_eviction``
    since: float = 0.0


@dataclass
class SMRecord:
    """One SM living on this node (running, ready, blocked or leaving)."""
    sm_id: str
    brick: Brick
    principal: tagspace.Principal
    fuel: int = 0
    waiting: Waiting | None = None  # while blocked on a tag
    hops: int = 0  # travelled so far, and the bytes its transfers took
    bytes: int = 0
    chain: list | None = None  # its signed provenance, on a signing node
    arrived_by: bytes = b""  # the hop id that brought it here (journaled nodes)
    client: Hashable | None = None  # the inject client that started it here
    #: the last state it was handed out from (kind, payload, fuel): where it
    #: starts again if the process holding it dies through another SM's fault
    accepted: tuple | None = None
    restarts: int = 0  # times it started again after another SM killed its worker


def trip(record: SMRecord, node: str) -> dict:
    """How an SM ended: where, after how many hops, bytes and fuel units, and
    (signed) the verified path it took."""
    out = {"node": node, "hops": record.hops, "bytes": record.bytes, "fuel": record.fuel}
    if record.chain is not None:
        out["path"] = chain_path(record.chain)
    return out


def chain_path(chain: list) -> list[str]:
    """The nodes of a chain this node already verified (births and hops as sent)."""
    records = [open_sealed(sealed) for sealed in chain]
    return [records[0].signer, *(r.receiver for r in records[1:])]


#: A trip record is two numbers; anything longer is not one.
_TRIP_BYTES = 256
#: Counts a trip record may carry (so the next one still packs as msgpack ints).
_TRIP_MAX = 1 << 62


def trip_record(hops: int, sent: int) -> bytes:
    """What a TRANSFER says of the SM's trip so far (its ``data``): a map of
    two numbers, packed by msgpack as the state codec would pack it."""
    return msgpack.packb({"hops": hops, "bytes": sent})


def arrival_trip(frame) -> tuple[int, int]:
    """Hops and bytes so far, this hop included (what the sender said, checked;
    anything else counts the trip from here)."""
    hops = sent = 0
    if frame.data and len(frame.data) <= _TRIP_BYTES:
        try:  # a few bytes: no ext, no key but str, nothing that could collide
            told = msgpack.unpackb(frame.data, raw=False, ext_hook=_no_ext)
            hops, sent = told.get("hops", 0), told.get("bytes", 0)
        except (ValueError, TypeError, AttributeError, msgpack.UnpackException):
            hops = sent = 0
        if type(hops) is not int or type(sent) is not int or not (
                0 <= hops < _TRIP_MAX and 0 <= sent < _TRIP_MAX):
            hops = sent = 0
    return hops + 1, sent + len(frame.continuation)


def _no_ext(code: int, data: bytes) -> None:
    raise ValueError("an ext in a trip record")


def acting(principal: tagspace.Principal, code: object) -> tagspace.Principal:
    """``principal`` in the code domain a block request names (the brick
    whose code called ``block_tag``; never more than the SM carries)."""
    if type(code) is not list or not all(type(c) is str for c in code):
        return principal
    return dataclasses.replace(principal, code=frozenset(code) & principal.code)


def local_number(sm_id: str, node_id: str) -> int:
    """n of an SM id ``node/n`` made here (0 for others): new ids continue after it."""
    head, _, number = sm_id.rpartition("/")
    return int(number) if head == node_id and number.isdigit() else 0


def args_blob(args) -> bytes:
    """The bytes a birth record hashes for an SM's arguments."""
    if type(args) is bytes:
        return args
    try:
        return statecodec.dumps(list(args))
    except Exception:  # noqa: BLE001 - arguments the codec refuses fail later, as before
        return repr(args).encode("utf-8", "replace")


def bounded_error(error: object) -> dict:
    """An error record from another node, as plain bounded text fields."""
    if type(error) is not dict:
        return {"type": "Error", "message": "", "line": None}
    line = error.get("line")
    return {"type": truncate(str(error.get("type", "Error")), 80),
            "message": truncate(str(error.get("message", "")), MAX_ERROR_CHARS),
            "line": line if type(line) is int else None}
