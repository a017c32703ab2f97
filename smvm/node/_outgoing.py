"""The sending side of the hop protocol: an SM leaving this node.

Each hop moves through the explicit table ``TRANSITIONS``:
``(state, event) -> (handler, next state)``. The hop takes its next state
before its handler runs (a handler that resends builds the frame of the new
state); a hop that reaches DONE or FAILED leaves the core's table of hops.
"""
from __future__ import annotations

from typing import Callable

from .. import wire
from ..errors import MigrationError
from ..trust import TrustError, pack_chain
from ..vm import Suspended
from . import events as ev
from ._hops import MISSING_BRICK, HopEvent, HopState, OutgoingHop
from ._records import MAX_CAME_FROM, SMRecord, trip_record


class OutgoingHops:
    """Mixed into ``NodeCore``: starting hops and moving them along the table."""

    def _start_hop(self, record: SMRecord, outcome: Suspended) -> None:
        target = str(outcome.request["target"])
        hop_id = self._rng.getrandbits(128).to_bytes(16, "big")
        bricks = (record.brick.hash,)
        p = record.principal
        identity = {"sm_id": p.sm_id, "family": p.family, "origin": p.origin}
        known = self._peer_bricks.get(target, set())
        phase = HopState.TRANSFERRED if set(bricks) <= known else HopState.OFFERED
        hop = OutgoingHop(hop_id, record.sm_id, target, outcome.state, bricks, identity,
                          record.fuel, phase, record=record)
        if self.trust is not None and record.chain is not None:
            try:
                hop.provenance = pack_chain(self.trust.hop(
                    record.chain, target, hop_id=hop_id, continuation=outcome.state,
                    now=self._now, sm_id=record.sm_id))
            except TrustError as exc:  # its chain is full: it cannot move on
                self._queue_resume(record, outcome.state, error=MigrationError(str(exc)))
                return
        hop.started_at = self._now
        self._hops[hop_id] = hop
        self.counters["hops_started"] += 1
        self._durable(record, "leaving", continuation=outcome.state, hop_id=hop_id, target=target)
        self._transmit(hop)

    def _transmit(self, hop: OutgoingHop) -> None:
        """(Re)send the frame of the hop's state: its OFFER or its TRANSFER."""
        if hop.phase is HopState.OFFERED:
            frame = wire.Offer(hop.hop_id, hop.sm_id, self.config.fuel_per_sm - hop.fuel,
                               self.config.tag_memory_per_sm,
                               int((self.config.memory_mb or 0) * 1024 * 1024), hop.bricks)
        else:
            code = tuple((b, self.cache.get(b).source) for b in hop.missing if b in self.cache)
            trip = trip_record(hop.record.hops, hop.record.bytes)
            frame = wire.Transfer(hop.hop_id, hop.sm_id, hop.identity, hop.state, code, trip,
                                  hop.provenance)
        size = self._send_to_node(hop.target, frame)
        hop.sent_bytes += size
        hop.arm(self._now, self.config.retry, size, self._jitter.random(),
                self._rtt.timeout(hop.target, self.config.retry.first_delay))

    def _answered(self, hop: OutgoingHop) -> None:
        if hop.attempts == 1:  # Karn: only a frame sent once times the round trip
            self._rtt.sample(hop.target, self._now - hop.sent_at)

    def _hop_event(self, hop: OutgoingHop, event: HopEvent, frame=None, link=None) -> None:
        """Move ``hop`` along the table."""
        handler, hop.phase = TRANSITIONS[hop.phase, event]
        handler(self, hop, frame, link)

    def _hop_timed_out(self, hop: OutgoingHop) -> None:
        tries_left = hop.tries_left(self.config.retry)
        self._hop_event(hop, HopEvent.TIMEOUT if tries_left else HopEvent.GIVE_UP)

    # ---- frames from the receiver ---------------------------------------------
    def _on_accept(self, frame, link) -> None:
        hop = self._hops.get(frame.hop_id)
        if hop is not None:
            self._hop_event(hop, HopEvent.ACCEPT, frame, link)

    def _on_reject(self, frame, link) -> None:
        hop = self._hops.get(frame.hop_id)
        if hop is not None:
            missing = frame.reason == MISSING_BRICK
            self._hop_event(hop, HopEvent.REJECT_MISSING_BRICK if missing else HopEvent.REJECT,
                            frame, link)

    def _on_ack(self, frame, link) -> None:
        hop = self._hops.get(frame.hop_id)
        if hop is None:  # maybe the ACK of a RESULT in this node's custody
            self._result_acknowledged(frame.hop_id)
            return
        self._hop_event(hop, HopEvent.ACK, frame, link)


# ---- the handlers the table names: (core, hop, frame, link) -----------------------
def _send_transfer(core, hop: OutgoingHop, frame, link) -> None:
    """The receiver has room: send the SM, with the bricks it lacks."""
    core._answered(hop)
    hop.missing = tuple(frame.missing)
    hop.attempts = 0
    core._transmit(hop)


def _ignore(core, hop: OutgoingHop, frame, link) -> None:
    """A late or duplicate answer."""


def _offer_again(core, hop: OutgoingHop, frame, link) -> None:
    """We skipped the offer but the receiver dropped the brick: offer now."""
    core._peer_bricks.pop(hop.target, None)
    hop.attempts = 0
    core._transmit(hop)


def _rejected(core, hop: OutgoingHop, frame, link) -> None:
    core.counters["hops_rejected"] += 1
    _failed(core, hop, f"rejected: {frame.reason}")


def _completed(core, hop: OutgoingHop, frame, link) -> None:
    """The receiver admitted the SM: it no longer lives here."""
    del core._hops[hop.hop_id]
    core._answered(hop)
    core._peer_bricks.setdefault(hop.target, set()).update(hop.bricks)
    sent_to = core._sent_to
    sent_to.setdefault(hop.sm_id, set()).add(link)
    while len(sent_to) > MAX_CAME_FROM:
        sent_to.popitem(last=False)
    core.counters["hops_completed"] += 1
    core._events.append(ev.HopCompleted(hop.sm_id, hop.target, core._now, bool(hop.missing),
                                        hop.sent_bytes, hop.started_at))
    core._leave(hop.record)  # unless a newer visit of the same SM replaced it


def _resend(core, hop: OutgoingHop, frame, link) -> None:
    core._rtt.expired(hop.target)
    core.counters["retransmissions"] += 1
    core._transmit(hop)


def _give_up(core, hop: OutgoingHop, frame, link) -> None:
    core._rtt.expired(hop.target)
    _failed(core, hop, f"no answer from {hop.target} after {hop.attempts} tries")


def _failed(core, hop: OutgoingHop, reason: str) -> None:
    """The SM stays here: sys_migrate raises MigrationError in it."""
    del core._hops[hop.hop_id]
    core.counters["hops_failed"] += 1
    core._events.append(ev.HopFailed(hop.sm_id, hop.target, reason, core._now))
    if core._sms.get(hop.sm_id) is hop.record:
        error = MigrationError(f"hop to {hop.target} failed: {reason}")
        core._queue_resume(hop.record, hop.state, error=error)


Handler = Callable[..., None]
_O, _T, _D, _F = HopState.OFFERED, HopState.TRANSFERRED, HopState.DONE, HopState.FAILED
#: (state, event) -> (handler, next state). DONE and FAILED are final: the
#: hop leaves the core's table as it enters them, so no event finds it there.
TRANSITIONS: dict[tuple[HopState, HopEvent], tuple[Handler, HopState]] = {
    (_O, HopEvent.ACCEPT): (_send_transfer, _T),
    (_O, HopEvent.REJECT): (_rejected, _F),
    (_O, HopEvent.REJECT_MISSING_BRICK): (_rejected, _F),
    (_O, HopEvent.ACK): (_completed, _D),  # a duplicate OFFER of a hop admitted before
    (_O, HopEvent.TIMEOUT): (_resend, _O),
    (_O, HopEvent.GIVE_UP): (_give_up, _F),
    (_T, HopEvent.ACCEPT): (_ignore, _T),
    (_T, HopEvent.REJECT): (_rejected, _F),
    (_T, HopEvent.REJECT_MISSING_BRICK): (_offer_again, _O),
    (_T, HopEvent.ACK): (_completed, _D),
    (_T, HopEvent.TIMEOUT): (_resend, _T),
    (_T, HopEvent.GIVE_UP): (_give_up, _F),
}
