"""The I/O tags a node core provides to its SMs, read from the core's own
state at the instant an SM reads them: ``neighbors``, ``position``,
``neighbor_positions``, ``hop_rtt``/``hop_rtt_least``, ``provenance``, and
``status`` (its queue length from the scheduler).

A driver adds its own (sensors, actuators, a simulated ``position``) with
``tagspace.register_io`` after the core is built.
"""
from __future__ import annotations

import tagspace

from ._neighbors import NeighborTable
from ._rtt import RttEstimator


def register_node_tags(core) -> None:
    """Register the core's I/O tags in its tag space."""
    space = core.tagspace
    space.register_io("neighbors", NeighborsTag(core.neighbor_table), replace=True)
    space.register_io("position", PositionTag(core), replace=True)
    space.register_io("neighbor_positions", NeighborPositionsTag(core.neighbor_table), replace=True)
    space.register_io("hop_rtt", HopRttTag(core._rtt), replace=True)
    space.register_io("hop_rtt_least", HopRttTag(core._rtt, least=True), replace=True)
    space.register_io("provenance", ProvenanceTag(core), replace=True)
    space.register_io("status", StatusTag(core, space.provider("status")), replace=True)


class NeighborsTag:
    """The ``neighbors`` I/O tag, read from the neighbour table."""

    def __init__(self, table: NeighborTable):
        self.table = table

    def read(self, now: float) -> list[str]:
        return self.table.ids(now)


class PositionTag:
    """The ``position`` I/O tag: the node's own coordinates as beaconed
    (metres in the simulator, the configured or GPS fix on a device)."""

    def __init__(self, core):
        self.core = core

    def read(self, now: float) -> list[float] | None:
        pos = self.core.position
        return None if pos is None else [float(pos[0]), float(pos[1])]


class ProvenanceTag:
    """The ``provenance`` I/O tag: the reading SM's own verified birth and path
    (empty on an unsigned node)."""

    def __init__(self, core):
        self.core = core

    def read(self, now: float) -> dict:
        return {}

    def read_for(self, principal: tagspace.Principal, now: float) -> dict:
        return self.core.provenance_of(principal.sm_id) or {}


class NeighborPositionsTag:
    """The ``neighbor_positions`` I/O tag: {id: [x, y]} of the live
    neighbours whose beacons carried a position (geographic routing's view)."""

    def __init__(self, table: NeighborTable):
        self.table = table

    def read(self, now: float) -> dict[str, list[float]]:
        return self.table.positions(now)


class HopRttTag:
    """The ``hop_rtt`` I/O tag: the mean smoothed round trip of this node's
    recent hop handshakes to its neighbours, in seconds (None before the
    first): routing's measure of how long a hop takes here. ``hop_rtt_least``
    (``least``): the mean of the least round trip seen to each neighbour, a
    hop's time on a quiet channel."""

    def __init__(self, rtt: RttEstimator, least: bool = False):
        self.rtt = rtt
        self.least = least

    def read(self, now: float) -> float | None:
        return self.rtt.least() if self.least else self.rtt.mean()


class StatusTag:
    """The ``status`` I/O tag: the tag space's figures (load, tag memory),
    with the number of SM slices waiting in the core's ready queue."""

    def __init__(self, core, base):
        self.core = core
        self.base = base

    def read(self, now: float) -> dict:
        return dict(self.base.read(now), queue_length=self.core.queue_length)
