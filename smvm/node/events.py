"""What a node core reports to its driver and observers."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SMFinished:
    sm_id: str
    node: str
    value: object
    time: float


@dataclass(frozen=True)
class SMFailed:
    sm_id: str
    node: str
    error: dict
    time: float


@dataclass(frozen=True)
class SMStarted:
    """A new SM on this node: injected (``parent`` empty) or spawned by ``parent``."""

    sm_id: str
    node: str
    time: float
    brick: str
    parent: str = ""


@dataclass(frozen=True)
class HopCompleted:
    """``target`` acknowledged the SM: the hop began at ``started`` and its
    frames (every try of OFFER and TRANSFER) took ``bytes``."""

    sm_id: str
    target: str
    time: float
    code_sent: bool
    bytes: int = 0
    started: float | None = None


@dataclass(frozen=True)
class HopFailed:
    sm_id: str
    target: str
    reason: str
    time: float


@dataclass(frozen=True)
class SMAdmitted:
    sm_id: str
    source: str
    time: float


@dataclass(frozen=True)
class SMRefused:
    """An SM the node had no room for (a budget of its family or origin, or
    the node's own, is spent): refused at once with a REJECT, an inject
    error or a failed ``spawn``, never queued. ``sm_id`` is empty for an
    injected SM that was never made."""

    sm_id: str
    source: str
    reason: str
    time: float


@dataclass(frozen=True)
class LogLine:
    sm_id: str
    node: str
    time: float
    text: str


@dataclass(frozen=True)
class FrameRefused:
    """A frame that failed verification (a forged identity, a broken chain,
    an unsealed result, a changed key): dropped, with the reason."""

    kind: str
    source: str
    reason: str
    time: float


@dataclass(frozen=True)
class SMDurable:
    """An SM reached a state to journal before the node sends anything more
    (``smvm.node.durable``); its brick is in the node's code cache."""

    sm_id: str
    snapshot: bytes


@dataclass(frozen=True)
class SMReleased:
    """An SM left (its hop was acknowledged) or ended: forget its snapshot;
    ``arrived_by`` is the hop that brought it, still to be recognised."""

    sm_id: str
    arrived_by: bytes
    time: float


@dataclass(frozen=True)
class ResultHeld:
    """A RESULT this node holds until the next node acknowledges it: journal
    ``record`` (see ``smvm.node._results``) to keep it across a crash."""

    sm_id: str
    record: bytes


@dataclass(frozen=True)
class ResultReleased:
    """The held RESULT of ``sm_id`` was acknowledged (or given up): forget it."""

    sm_id: str


Event = (FrameRefused | SMRefused | SMDurable | SMReleased | ResultHeld | ResultReleased
         | SMStarted | SMFinished | SMFailed | HopCompleted | HopFailed | SMAdmitted | LogLine)
