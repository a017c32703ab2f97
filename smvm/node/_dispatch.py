"""Frame dispatch: each decoded frame kind goes to the one handler that
takes it; a frame that brought a brick still being compiled waits for it.

A new frame kind gets its handler here (``HANDLERS``), in the module of
the part of the core that owns it.
"""
from __future__ import annotations

from typing import Hashable

from .. import wire
from ._arrivals import Arrivals
from ._beacons import Beacons
from ._inject import InjectService
from ._outgoing import OutgoingHops
from ._results import ResultService
from .status import StatusQueries

#: frames kept per brick being compiled
HELD_PER_BRICK = 4

HANDLERS = {
    wire.Beacon: Beacons._on_beacon,
    wire.Offer: Arrivals._on_offer,
    wire.Accept: OutgoingHops._on_accept,
    wire.Reject: OutgoingHops._on_reject,
    wire.Ack: OutgoingHops._on_ack,
    wire.Transfer: Arrivals._on_transfer,
    wire.Result: ResultService._on_result,
    wire.Inject: InjectService._on_inject,
    wire.StatusQuery: StatusQueries._on_status_query,
}


class Dispatch:
    """Mixed into ``NodeCore``: a whole message in, its frame handled."""

    def _dispatch(self, message: bytes, link: Hashable) -> None:
        try:
            frame = self._frames.decode(message)
        except wire.WireError:
            self.counters["malformed"] += 1
            return
        self.counters[f"frames_in.{type(frame).__name__}"] += 1
        handler = HANDLERS.get(type(frame))
        if handler is not None:
            self._message_size = len(message)
            handler(self, frame, link)

    def _hold(self, brick_id: str, frame, link: Hashable) -> None:
        """Keep a frame until the brick it brought is compiled (a few per
        brick, and only while it is pending: past that its sender resends)."""
        self.counters["compiles_pending"] += 1
        if brick_id in self.cache.pending:
            held = self._held.setdefault(brick_id, [])
            if len(held) < HELD_PER_BRICK:
                held.append((frame, link, self._message_size))

    def finish_compile(self, brick_id: str, outcome, now: float) -> None:
        """A driver compiled a pending brick (``outcome``: the ``Brick`` or
        the ``CompileError``); the frames that waited for it go on."""
        self._now = now
        self.cache.finish(brick_id, outcome)
        for frame, link, size in self._held.pop(brick_id, ()):
            self._message_size = size
            HANDLERS[type(frame)](self, frame, link)
