"""The inject service: clients ask a node to start an SM (and maybe to
report its end), and get one reply per request, resent when asked again.
What may go back to an address that has not shown it receives is bounded
(``smvm.node._replies``)."""
from __future__ import annotations

from typing import Hashable

import tagspace

from .. import statecodec, wire
from ..compiler import brick_hash
from ..errors import CompileError
from ..limits import MAX_ERROR_CHARS, truncate
from . import events as ev
from ._records import SMRecord


class InjectService:
    """Mixed into ``NodeCore``: INJECT frames and the replies to them."""

    def _on_inject(self, frame, link) -> None:
        """A client asks this node to start an SM (and maybe to report its end).
        Its arguments are decoded where the SM runs, its brick compiled
        within the node's limits (off the driver's loop when it asks)."""
        request_id = frame.request_id
        replies = self._inject_replies
        if request_id in replies:
            self.counters["duplicates_suppressed"] += 1
            stored = replies.stored(request_id)
            if stored is not None:
                self._resend_reply(request_id, stored, link)
            return
        stored = replies.redeemed(request_id, link)
        if stored is not None:  # the asker echoed the token: it receives here
            self.counters["replies_fetched"] += 1
            self._send_message(link, stored, "InjectReply")
            return
        try:
            brick = self.cache.add_untrusted(frame.source, "injected.py")
        except CompileError as exc:
            error = {"type": "CompileError", "message": truncate(
                "\n".join(map(str, exc.errors)), MAX_ERROR_CHARS), "line": None}
            replies.remember(request_id)
            self._reply_inject(request_id, link, wire.InjectReply(request_id, "", False, b"", error))
            return
        if brick is None:  # being compiled: the request waits for it
            self._hold(brick_hash(frame.source), frame, link)
            return
        sm_id = self._new_id()
        principal = tagspace.Principal(sm_id, sm_id, self.node_id, brick.code_ids)
        reason = self._admission(0, 0, 0, principal, client=link)
        replies.remember(request_id)
        if reason:
            self._refuse_sm("", link, reason)
            error = {"type": "Rejected", "message": reason, "line": None}
            self._reply_inject(request_id, link, wire.InjectReply(request_id, "", False, b"", error))
            return
        args = frame.args or statecodec.dumps([])
        record = SMRecord(sm_id, brick, principal, client=link)
        record.chain = self._birth(principal, brick, args)
        self._enter(record)
        self._events.append(ev.SMStarted(sm_id, self.node_id, self._now, brick.name))
        self._queue_start(record, "main", args)
        self._durable(record, "start", entry="main", args=args)
        if frame.wait:
            self._inject_waits[sm_id] = (request_id, link, self._message_size)
        else:
            self._reply_inject(request_id, link, wire.InjectReply(request_id, sm_id, True, b"", None))

    def _reply_inject(self, request_id: bytes, link: Hashable, reply,
                      request_size: int | None = None) -> None:
        """Send ``reply`` (kept for a resend); one bigger than its request
        allows is withheld until the asker shows it receives (``_replies``)."""
        replies = self._inject_replies
        message = wire.encode(reply)
        size = self._message_size if request_size is None else request_size
        replies.store(request_id, message)
        if len(message) <= replies.allowance(size):
            self._send_message(link, message, "InjectReply")
            return
        self._withhold(request_id, link, len(message), size)

    def _withhold(self, request_id: bytes, link: Hashable, size: int, request_size: int) -> None:
        self.counters["replies_withheld"] += 1
        error = self._inject_replies.withheld_record(request_id, link, size, request_size)
        self._send(link, wire.InjectReply(request_id, "", False, b"", error))

    def _resend_reply(self, request_id: bytes, stored: bytes, link: Hashable) -> None:
        """A client asks again: the stored reply, unless that would send far
        more than the request's size (no amplification for a forged sender)."""
        if len(stored) <= self._inject_replies.allowance(self._message_size):
            self._send_message(link, stored, "InjectReply")
            return
        self._withhold(request_id, link, len(stored), self._message_size)

    def _answer_inject(self, sm_id: str, ok: bool, value: object, error: dict | None,
                       trip: dict) -> None:
        """The SM a client waits for ended (here or, by its RESULT, elsewhere)."""
        waiting = self._inject_waits.pop(sm_id, None)
        if waiting is None:
            return
        request_id, link, request_size = waiting
        try:
            blob = statecodec.dumps({"value": value if ok else None, **trip})
        except Exception:  # noqa: BLE001 - checked where the SM ran; be safe
            ok, error = False, {"type": "ResultError", "message": "unencodable", "line": None}
            blob = statecodec.dumps({"value": None, **trip})
        self._reply_inject(request_id, link, wire.InjectReply(request_id, sm_id, ok, blob, error),
                           request_size)

    @property
    def stored_replies(self) -> tuple[int, int]:
        """Inject requests remembered and bytes of replies kept for resends."""
        return len(self._inject_replies), self._inject_replies.stored_bytes
