"""Beacons and neighbours: a node says who and where it is, and keeps a
table of the neighbours it hears (``smvm.node._neighbors``).

The node's position lives here, in one place: drivers set it with
``move_to`` (the simulator from its mobility model, the daemon from its
configuration or GPS fix); beacons, the ``position`` I/O tag and the status
read it.
"""
from __future__ import annotations

from typing import Hashable

from .. import wire
from ..trust import TrustError
from ._neighbors import Neighbor

BROADCAST = "*"
#: stored tag names a beacon advertises
_BEACON_TAGS = 32


class Beacons:
    """Mixed into ``NodeCore``: its position, beacons and neighbour table."""

    @property
    def position(self) -> tuple[float, float] | None:
        """Where the node is (None: unknown), as its beacons carry it."""
        return self._position

    def move_to(self, position: tuple[float, float] | None) -> None:
        """The node is at ``position`` now (metres in the simulator, degrees
        of a GPS fix on a device)."""
        self._position = position

    def hear_neighbor(self, node_id: str, link: Hashable, now: float,
                      position: tuple[float, float] | None = None, *, static: bool = True) -> None:
        """Tell the core about a neighbour directly (configured peers, tests);
        such links do not expire unless ``static`` is False."""
        self.neighbor_table.heard(node_id, link, position, now, static)

    def neighbors(self, now: float) -> list[Neighbor]:
        """The live neighbours, by id: id, link, position, when last heard."""
        return self.neighbor_table.entries(now)

    def _expire_neighbors(self, now: float) -> None:
        for gone in self.neighbor_table.expire(now):
            self._rtt.forget(gone)  # if it comes back, it starts afresh

    def _beacon_if_due(self, now: float) -> None:
        if self.config.beacon_interval is None or now < self._next_beacon:
            return
        # stored tags only: every node has the same I/O tags
        key = self.trust.key.public if self.trust else b""
        self._send(BROADCAST, wire.Beacon(self.node_id, self._beacon_seq, self._position,
                                          tuple(self.tagspace.stored_names(now)[:_BEACON_TAGS]),
                                          key))
        self._beacon_seq += 1
        self._next_beacon = now + self.config.beacon_interval

    def _next_beacon_time(self) -> float | None:
        return self._next_beacon if self.config.beacon_interval is not None else None

    def _on_beacon(self, frame, link) -> None:
        if frame.node_id == self.node_id:
            return
        if self.trust is not None and frame.key:
            try:
                self.trust.known.check(frame.node_id, frame.key)
            except TrustError as exc:
                self._refuse(frame, link, str(exc))
                return
        self.neighbor_table.heard(frame.node_id, link, frame.position, self._now)
