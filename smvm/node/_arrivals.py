"""The receiving side of the hop protocol: an SM asking to come in (OFFER)
and coming in (TRANSFER).

An arriving SM is checked before it is acknowledged: its bricks compiled
(bounded), its signed chain verified, its continuation validated against the
brick. Nothing of the SM runs here: its module body and its code run only
when the scheduler hands out its first slice.
"""
from __future__ import annotations

import tagspace

from .. import wire
from ..compiler import Brick
from ..errors import RemoteInputError
from ..trust import TrustError, unpack_chain
from ..vm import continuation_brick
from . import events as ev
from ._hops import MISSING_BRICK
from ._records import MAX_CAME_FROM, SMRecord, arrival_trip
from ._screen import screen_continuation


class Arrivals:
    """Mixed into ``NodeCore``: OFFER and TRANSFER frames."""

    def _on_offer(self, frame, link) -> None:
        if frame.hop_id in self._admitted:
            self.counters["duplicates_suppressed"] += 1
            self._send(link, wire.Ack(frame.hop_id))
            return
        reason = self._admission(frame.fuel, frame.runtime_memory, frame.tag_memory)
        if reason:
            self._refuse_sm(frame.sm_id, link, reason)
            self._send(link, wire.Reject(frame.hop_id, reason))
            return
        self._send(link, wire.Accept(frame.hop_id, self.cache.missing(frame.bricks)))

    def _on_transfer(self, frame, link) -> None:
        if frame.hop_id in self._admitted:
            self.counters["duplicates_suppressed"] += 1
            self._send(link, wire.Ack(frame.hop_id))
            return
        try:
            for brick_id, source in frame.code:
                if self.cache.add_remote(brick_id, source) is None:
                    # compiled off this loop: the frame waits for it
                    self._hold(brick_id, frame, link)
                    return
            principal, brick = self._arriving(frame.identity, frame.continuation)
            chain = self._verify_arrival(frame, principal, brick)
        except TrustError as exc:
            self._refuse(frame, link, str(exc))
            self._send(link, wire.Reject(frame.hop_id, f"not trusted: {exc}"[:200]))
            return
        except RemoteInputError as exc:
            self.counters["sms_rejected"] += 1
            self._send(link, wire.Reject(frame.hop_id, str(exc)[:200]))
            return
        reason = self._admission(0, 0, 0, principal)
        if reason:
            self._refuse_sm(principal.sm_id, link, reason)
            self._send(link, wire.Reject(frame.hop_id, reason))
            return
        record = SMRecord(principal.sm_id, brick, principal)
        record.chain = chain
        try:  # validate before admitting: nothing undecodable is acknowledged
            if self.screen_arrivals:  # its values are decoded where it runs
                instance, state = None, {"fuel": screen_continuation(frame.continuation, brick)}
            else:
                instance = self._instance(record)
                state = instance.decode(frame.continuation)
        except RemoteInputError as exc:
            self.counters["sms_rejected"] += 1
            self._send(link, wire.Reject(frame.hop_id, f"invalid continuation: {exc}"[:200]))
            return
        record.fuel = state["fuel"]
        record.hops, record.bytes = arrival_trip(frame)
        record.arrived_by = frame.hop_id
        self._enter(record)
        self._admitted[frame.hop_id] = self._now
        self._durable(record, "resume", continuation=frame.continuation)
        if principal.sm_id not in self._came_from:
            # the first visit only: first-visit predecessors form a tree rooted
            # at the origin, so results walked back along them never loop
            self._came_from[principal.sm_id] = (link, self._now)
            if len(self._came_from) > MAX_CAME_FROM:
                self._came_from.popitem(last=False)
        self.counters["sms_admitted"] += 1
        self._events.append(ev.SMAdmitted(principal.sm_id, str(link), self._now))
        if instance is None:
            self._queue_resume(record, frame.continuation)
        else:  # it runs from what was just checked: one decode per hop
            self._queue_arrived(record, frame.continuation, instance, state)
        self._send(link, wire.Ack(frame.hop_id))

    def _arriving(self, identity: dict, state: bytes) -> tuple[tagspace.Principal, Brick]:
        """Who the arriving SM is; its code domain is the brick it carries."""
        brick_id = continuation_brick(state)
        brick = self.cache.get(brick_id)
        if brick is None:
            raise RemoteInputError(MISSING_BRICK)
        try:
            principal = tagspace.Principal(identity["sm_id"], identity["family"],
                                           identity["origin"], brick.code_ids)
        except (KeyError, tagspace.TagSpaceError) as exc:
            raise RemoteInputError(f"bad SM identity: {exc}") from None
        return principal, brick

    def _verify_arrival(self, frame, principal: tagspace.Principal, brick: Brick) -> list | None:
        """The arriving SM's verified chain; its identity must be the one its
        birth record signs (``TrustError`` otherwise). None when unsigned."""
        if self.trust is None:
            return None
        chain = unpack_chain(frame.provenance)
        prov = self.trust.admit(chain, sm_id=frame.sm_id, hop_id=frame.hop_id,
                                continuation=frame.continuation, code_hash=brick.hash)
        birth = prov.birth
        if (birth.family, birth.origin) != (principal.family, principal.origin):
            raise TrustError(f"SM {frame.sm_id} claims family {principal.family!r} and origin "
                             f"{principal.origin!r}; its signed birth says {birth.family!r} "
                             f"and {birth.origin!r}")
        return chain
