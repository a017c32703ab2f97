"""Node movement from the SUMO traffic simulator's FCD output.

``sumo --fcd-output trace.xml`` writes, for every time step, each vehicle's
position (``x``/``y`` in metres, or ``lon``/``lat`` with ``--fcd-output.geo``).
``FcdTrace`` turns that into piecewise-linear paths; geographic coordinates
are projected to local metres around the trace's centre. A vehicle that has
not entered yet, or has left, is parked far away from everything (so it has
no neighbours) at a spot of its own.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from bisect import bisect_right
from pathlib import Path

from ._errors import ModelError
from .mobility import Mobility, NodeId, Point

_EARTH_M = 6_371_000.0
_PARK = 1.0e8  # metres: far outside any scenario, well inside the grid's range
MAX_TRACE_BYTES = 512 << 20


class FcdTrace(Mobility):
    """Vehicles of an FCD file as nodes ``0..n-1`` (in order of first appearance)."""

    def __init__(self, tracks: dict[str, list[tuple[float, float, float]]]):
        if not tracks:
            raise ModelError("the trace has no vehicles")
        self.names = list(tracks)
        self._ts: list[list[float]] = []
        self._xs: list[list[float]] = []
        self._ys: list[list[float]] = []
        for name in self.names:
            points = sorted(tracks[name])
            self._ts.append([p[0] for p in points])
            self._xs.append([p[1] for p in points])
            self._ys.append([p[2] for p in points])

    @classmethod
    def from_scenario(cls, scenario, rng) -> FcdTrace:
        """The scenario's ``trace`` file (its vehicles are the nodes)."""
        return cls.from_file(scenario.trace)

    @classmethod
    def from_file(cls, path: str | Path) -> FcdTrace:
        """Read an FCD XML file (x/y or lon/lat)."""
        path = Path(path)
        try:
            if path.stat().st_size > MAX_TRACE_BYTES:
                raise ModelError(f"{path}: trace larger than {MAX_TRACE_BYTES >> 20} MiB")
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            raise ModelError(f"{path}: cannot read the FCD trace: {exc}") from None
        raw: dict[str, list[tuple[float, float, float]]] = {}
        geo = False
        for step in root.iter("timestep"):
            try:
                t = float(step.get("time", ""))
            except ValueError:
                raise ModelError(f"{path}: a timestep without a numeric time") from None
            for vehicle in step:
                vid = vehicle.get("id")
                if vid is None or vehicle.tag != "vehicle":
                    continue  # persons and containers are not nodes
                try:
                    if vehicle.get("lon") is not None:
                        geo = True
                        x, y = float(vehicle.get("lon")), float(vehicle.get("lat"))
                    else:
                        x, y = float(vehicle.get("x")), float(vehicle.get("y"))
                except (TypeError, ValueError):
                    raise ModelError(f"{path}: vehicle {vid!r} at t={t} has no position") from None
                raw.setdefault(vid, []).append((t, x, y))
        if geo:
            raw = _project(raw)
        return cls(raw)

    @property
    def nodes(self) -> list[NodeId]:
        return list(range(len(self.names)))

    def _index(self, node: NodeId) -> int:
        if type(node) is not int or not 0 <= node < len(self.names):
            raise ModelError(f"unknown node {node!r}")
        return node

    def position(self, node: NodeId, t: float) -> Point:
        i = self._index(node)
        ts = self._ts[i]
        if t < ts[0] or t > ts[-1]:
            return (_PARK + 1000.0 * i, _PARK)  # not on the road: out of everyone's range
        k = bisect_right(ts, t)
        if k == len(ts):
            return self._xs[i][-1], self._ys[i][-1]
        t0, t1 = ts[k - 1], ts[k]
        x0, y0 = self._xs[i][k - 1], self._ys[i][k - 1]
        f = (t - t0) / (t1 - t0)
        return x0 + (self._xs[i][k] - x0) * f, y0 + (self._ys[i][k] - y0) * f

    def next_change(self, node: NodeId, t: float) -> float:
        i = self._index(node)
        ts = self._ts[i]
        if t < ts[0]:
            return ts[0]
        k = bisect_right(ts, t)
        if k < len(ts):
            return ts[k]
        return t + 1e-9 if t == ts[-1] else math.inf  # leaves the road right after its last point


def _project(raw: dict[str, list[tuple[float, float, float]]]) -> dict:
    """lon/lat degrees -> metres (equirectangular around the mean latitude)."""
    lats = [p[2] for track in raw.values() for p in track]
    lons = [p[1] for track in raw.values() for p in track]
    lat0, lon0 = sum(lats) / len(lats), sum(lons) / len(lons)
    kx = math.radians(1) * _EARTH_M * math.cos(math.radians(lat0))
    ky = math.radians(1) * _EARTH_M
    return {vid: [(t, (lon - lon0) * kx, (lat - lat0) * ky) for t, lon, lat in track]
            for vid, track in raw.items()}
