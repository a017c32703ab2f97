"""Results in custody: an SM's end travels back to its origin hop by hop, and
each node that takes a RESULT keeps it until the next node acknowledges it.

The acknowledgement is an ACK frame whose hop id is derived from the SM id
(:func:`ack_id`), so no new frame kind is needed and a duplicate RESULT is
recognised and acknowledged again. A node with a journal keeps the results in
its custody there too (:func:`pack`/:func:`unpack`), so a result waiting for
delivery survives a crash of the node holding it. ``ResultService`` is the
node core's part that sends, forwards, resends and takes results.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Hashable

import msgpack

from .. import statecodec, wire
from ..errors import RemoteInputError
from ..limits import MAX_ERROR_CHARS, MAX_RESULT_BYTES
from ..trust import TrustError, pack_chain, unpack_chain
from . import events as ev
from ._hops import RetryPolicy
from ._records import MAX_CAME_FROM, SMRecord, bounded_error, trip

VERSION = 1
#: a RESULT is smaller than an SM; this bounds a damaged journal record
MAX_RECORD = 4 << 20
#: bytes of a result envelope besides the value (trip counts, path)
ENVELOPE_ROOM = 64 * 1024


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


class ResultService:
    """Mixed into ``NodeCore``: an SM's end carried back to its origin."""

    def _report(self, record: SMRecord, ok: bool, value: object, error: dict | None) -> None:
        """Carry an SM's end back to the node it was injected on (the value
        travels with where the SM ended and what the trip cost)."""
        origin = record.principal.origin
        if origin == self.node_id or record.principal.sm_id != record.principal.family:
            return  # spawned SMs' ends interest nobody at the origin
        envelope = {"value": value, **trip(record, self.node_id)}
        try:
            blob = statecodec.dumps(envelope)
        except Exception:  # noqa: BLE001 - already checked by the VM; be safe
            blob = statecodec.dumps({**envelope, "value": None})
            ok, error = False, {"type": "ResultError", "message": "unencodable", "line": None}
        seal = b""
        if self.trust is not None and record.chain is not None:
            seal = pack_chain(self.trust.result_proof(record.sm_id, origin, ok, blob,
                                                      record.chain))
        self._send_result(wire.Result(record.sm_id, origin, ok, blob, error, seal), None)

    def _send_result(self, frame: wire.Result, arrived_by: Hashable | None) -> None:
        """Take custody of ``frame`` and send it toward the origin; it is resent
        until the next node acknowledges it (and journaled meanwhile)."""
        back = self._came_from.get(frame.sm_id)
        held = HeldResult(frame, None if back is None else back[0], arrived_by)
        key = ack_id(frame.sm_id)
        self._held_results[key] = held
        if self.durable:
            self._events.append(ev.ResultHeld(frame.sm_id, pack(held)))
        self._transmit_result(held)

    def _transmit_result(self, held: HeldResult) -> None:
        """Straight to the origin when it is a neighbour, else back the way the
        SM first came here (hop by hop, reverse-path forwarding)."""
        link = self.neighbor_table.link(held.frame.origin) or held.back
        if link is None or link == held.arrived_by:
            self.counters["unroutable"] += 1
        else:
            self._send(link, held.frame)
        held.arm(self._now, self.config.retry, self._jitter.random())

    def _retry_result(self, key: bytes, held: HeldResult) -> None:
        if held.tries_left(self.config.retry):
            self.counters["result_retransmissions"] += 1
            self._transmit_result(held)
            return
        self.counters["results_lost"] += 1
        self._release_result(key, held)

    def _release_result(self, key: bytes, held: HeldResult) -> None:
        del self._held_results[key]
        if self.durable:
            self._events.append(ev.ResultReleased(held.frame.sm_id))

    def _result_acknowledged(self, key: bytes) -> None:
        held = self._held_results.get(key)
        if held is not None:  # the next node took the result
            self._release_result(key, held)

    def recover_result(self, data: bytes, now: float) -> str:
        """Take back a RESULT that was in this node's custody before a restart
        and send it on. ``RemoteInputError`` if the record is damaged."""
        self._now = now
        held = unpack(data)
        self._results_seen[held.frame.sm_id] = None
        self._held_results[ack_id(held.frame.sm_id)] = held
        self._transmit_result(held)
        return held.frame.sm_id

    def results_in_custody(self) -> list[str]:
        """The SMs whose RESULT this node holds until the next node acknowledges it."""
        return [held.frame.sm_id for held in self._held_results.values()]

    # ---- a RESULT arrives ---------------------------------------------------------
    def _on_result(self, frame, link) -> None:
        why = self._result_refusal(frame, link)
        if why:
            self.counters["results_refused"] += 1
            self._refuse(frame, link, why)
            return
        if self.trust is not None:
            try:
                self.trust.check_result(unpack_chain(frame.seal) if frame.seal else None,
                                        sm_id=frame.sm_id, origin=frame.origin, ok=frame.ok,
                                        value=frame.value)
            except TrustError as exc:
                self._refuse(frame, link, str(exc))
                return
        if frame.sm_id in self._results_seen:  # our ACK was lost: acknowledge again
            self.counters["results_duplicate"] += 1
            self._send(link, wire.Ack(ack_id(frame.sm_id)))
            return
        # Only the result of an SM this node started (at its origin) or saw
        # pass (on its way back), and each once: others are dropped.
        if not (self._born_here(frame.sm_id) if frame.origin == self.node_id
                else frame.sm_id in self._came_from):
            self.counters["results_refused"] += 1
            return
        self._results_seen[frame.sm_id] = None
        self._send(link, wire.Ack(ack_id(frame.sm_id)))
        while len(self._results_seen) > MAX_CAME_FROM:
            self._results_seen.popitem(last=False)
        if frame.origin != self.node_id:
            self.counters["results_forwarded"] += 1
            self._send_result(frame, link)
            return
        try:
            envelope = statecodec.loads(frame.value, limits=statecodec.UNTRUSTED_LIMITS) \
                if frame.value else {}
            if type(envelope) is not dict:
                raise RemoteInputError("result envelope is not a map")
        except RemoteInputError:
            self.counters["malformed"] += 1
            return
        told = {k: envelope.get(k) for k in ("node", "hops", "bytes", "fuel")}
        if "path" in envelope:
            told["path"] = envelope["path"]
        value = envelope.get("value")
        if frame.ok:
            self._events.append(ev.SMFinished(frame.sm_id, str(told["node"]), value, self._now))
            self._answer_inject(frame.sm_id, True, value, None, told)
        else:
            error = bounded_error(frame.error)
            self._events.append(ev.SMFailed(frame.sm_id, str(told["node"]), error, self._now))
            self._answer_inject(frame.sm_id, False, None, error, told)

    def _result_refusal(self, frame, link) -> str:
        """Why a RESULT frame is not taken or passed on ("" when it may be):
        bounded, for an SM that left this node, from where it went (a node
        passing results on takes them only from a node it sent that SM to;
        the origin also from any neighbour, the node where the SM ended)."""
        if len(frame.value) > MAX_RESULT_BYTES + ENVELOPE_ROOM:
            return f"result of {len(frame.value):,} bytes is over the limit"
        if frame.error is not None and sum(len(str(v)) for v in frame.error.values()) \
                > 2 * MAX_ERROR_CHARS + 200:
            return "error record of the result is over the limit"
        if frame.sm_id in self._sms:
            return f"SM {frame.sm_id} has not left this node"
        if link in self._sent_to.get(frame.sm_id, ()):
            return ""
        if frame.origin == self.node_id:
            return ""  # checked below: born here, taken once (and sealed, when signed)
        return f"SM {frame.sm_id} did not leave this node by {link}"
