"""One hop of one SM from this node: its states, the events that move it,
and its retransmission policy.

OFFER -> (ACCEPT -> TRANSFER | REJECT) -> ACK, with retransmission and
backoff. A sender that knows the receiver holds the bricks starts at TRANSFER.
The receiver suppresses duplicates by hop id, so a retransmitted TRANSFER is
acknowledged again but admitted once. The transition table is in
``smvm.node._outgoing``, next to the handlers it names.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


#: the REJECT reason of a receiver that lacks a brick of the SM
MISSING_BRICK = "missing brick"


class HopState(enum.Enum):
    OFFERED = "offered"  # an OFFER is out: waiting for ACCEPT, REJECT or ACK
    TRANSFERRED = "transferred"  # the TRANSFER is out: waiting for ACK or REJECT
    DONE = "done"  # acknowledged: the SM lives on the receiver now
    FAILED = "failed"  # rejected or unanswered: the SM stays here


class HopEvent(enum.Enum):
    """What happens to a hop: a frame from its receiver, or its timer."""
    ACCEPT = "accept"
    REJECT = "reject"
    #: a REJECT saying the receiver lacks a brick the sender thought it held
    REJECT_MISSING_BRICK = "reject-missing-brick"
    ACK = "ack"
    TIMEOUT = "timeout"  # unanswered, tries left
    GIVE_UP = "give-up"  # unanswered, no tries left


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 0.05
    factor: float = 1.6
    max_delay: float = 1.0
    offer_tries: int = 6
    transfer_tries: int = 20  # after a TRANSFER the receiver may have admitted: insist

    #: the longest a neighbour's measured round trip may stretch one timeout
    #: (a radio neighbour, not a path across the Internet)
    max_estimate: float = 2.0
    #: a frame's time on the air at a modest link rate (1 Mbit/s) is added to
    #: its timeout, so large transfers are not resent while still sending
    seconds_per_byte: float = 8e-6
    #: a random share of the timeout added on top, so neighbours that lost
    #: frames in the same collision do not all resend at the same instant
    jitter: float = 0.25

    def delay(self, attempt: int, size: int = 0, spread: float = 0.0,
              estimate: float | None = None) -> float:
        """Timeout of try ``attempt``: the first delay or the peer's round-trip
        ``estimate`` (whichever is longer), backed off, plus time on the air."""
        base = min(self.first_delay * self.factor ** attempt, self.max_delay)
        if estimate is not None:  # it carries the peer's own backoff: not compounded
            base = max(base, min(estimate, self.max_estimate))
        return (base + size * self.seconds_per_byte) * (1.0 + self.jitter * spread)


@dataclass
class OutgoingHop:
    hop_id: bytes
    sm_id: str
    target: str
    state: bytes
    bricks: tuple[str, ...]
    identity: dict
    fuel: int
    phase: HopState
    attempts: int = 0
    deadline: float = 0.0
    sent_at: float = 0.0
    missing: tuple[str, ...] = field(default_factory=tuple)
    record: object = None  # the node's record of the SM while it is leaving
    provenance: bytes = b""  # its chain with this hop signed, sent with the TRANSFER
    started_at: float = 0.0  # when the first frame of the hop was sent
    sent_bytes: int = 0  # every frame of every try (observers show what a hop cost)

    def arm(self, now: float, policy: RetryPolicy, size: int = 0, spread: float = 0.0,
            estimate: float | None = None) -> None:
        """Set the retransmission deadline (``spread`` in [0, 1): the jitter draw)."""
        self.sent_at = now
        self.deadline = now + policy.delay(self.attempts, size, spread, estimate)
        self.attempts += 1

    def tries_left(self, policy: RetryPolicy) -> bool:
        limit = policy.offer_tries if self.phase is HopState.OFFERED else policy.transfer_tries
        return self.attempts < limit
