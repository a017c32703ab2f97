"""Record a simulated run as trace records (``smvm.trace``): the node cores'
events and tag writes as they happen, the nodes' positions once the run is over.

Positions are sampled where each node's straight-line motion changes (the
mobility model's ``next_change``: exact for the built-in models and SUMO
traces), at most one sample every ``MIN_POSITION_STEP`` seconds, and a sample
lying within ``POSITION_TOLERANCE`` metres of the straight line between its
neighbours is dropped (the viewer interpolates linearly). Sampling after the
run reads the models only: the run itself is the same with or without a recorder.
"""
from __future__ import annotations

import math
from functools import partial
from pathlib import Path

from smvm import trace

#: Fewest virtual seconds between two position samples of one node.
MIN_POSITION_STEP = 1.0
#: Metres a dropped sample may lie off the line the viewer draws instead.
POSITION_TOLERANCE = 0.5
#: Coordinates this far out are "not on the map" (a SUMO vehicle before it
#: enters or after it leaves is parked far away).
OFF_MAP = 1.0e7


class Recorder:
    """Collects the records of one run on ``network`` (a ``sim.SimNetwork``)."""

    def __init__(self, network, world: dict | None = None):
        self.network = network
        self.world = dict(world or {})
        self.records: list[dict] = []
        network.trace = self.records.append
        for node, core in network.cores.items():
            core.tagspace.add_observer(partial(self._tag_event, node, core.tagspace))

    def _tag_event(self, node: str, space, event) -> None:
        record = trace.observe_tag(node, space, event)
        if record is not None:
            self.records.append(record)

    def positions(self, until: float) -> list[dict]:
        """Every node's position samples from 0 to ``until`` (see the module doc)."""
        out = []
        mobility = self.network.mobility
        for node in self.network.cores:
            mob_id = self.network.mobility_id(node)
            samples = _samples(lambda t, m=mob_id: mobility.position(m, t),
                               lambda t, m=mob_id: mobility.next_change(m, t), until)
            out.extend(trace.position(node, t, x, y) for t, x, y in samples)
        return out

    def finish(self, until: float) -> tuple[dict, list[dict]]:
        """The trace: its header and its records in time order."""
        records = self.records + self.positions(until)
        records.sort(key=lambda r: r["t"])  # stable: same-time records keep their order
        world = {**self.world, "until": until}
        return trace.header("sim", 0.0, world=world), records

    def write(self, path: str | Path, until: float) -> Path:
        """Write the trace file (the same run gives the same bytes)."""
        head, records = self.finish(until)
        writer = trace.TraceWriter(path, head)
        try:
            for record in records:
                writer.write(record)
        finally:
            writer.close()
        return Path(path)


def _samples(position, next_change, until: float) -> list[tuple[float, float | None, float | None]]:
    raw: list[tuple[float, float | None, float | None]] = []
    t = 0.0
    while True:
        x, y = position(t)
        if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > OFF_MAP or abs(y) > OFF_MAP:
            raw.append((t, None, None))
        else:
            raw.append((t, float(x), float(y)))
        if t >= until:
            break
        change = next_change(t)
        t = min(until, max(change, t + MIN_POSITION_STEP))
    return _compact(raw)


def _compact(raw: list) -> list:
    """Drop samples the straight line between their neighbours already gives."""
    if len(raw) <= 2:
        return raw
    kept = [raw[0]]
    for k in range(1, len(raw) - 1):
        a, p, b = kept[-1], raw[k], raw[k + 1]
        if p[1] is None:  # hidden: only where it disappears
            if a[1] is not None:
                kept.append(p)
            continue
        if a[1] is None or b[1] is None:  # visible next to hidden: where it appears or leaves
            kept.append(p)
            continue
        f = (p[0] - a[0]) / (b[0] - a[0])
        ex, ey = a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f
        if math.hypot(p[1] - ex, p[2] - ey) > POSITION_TOLERANCE:
            kept.append(p)
    kept.append(raw[-1])
    return kept
