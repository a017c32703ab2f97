"""The Smart Messages routing study, on the simulator.

A square region whose side is the ``radius`` parameter, filled with static
nodes on a jittered lattice (``spacing`` metres apart, radio range
``radio_range``); the three nodes of interest sit in three corners, the SM
starts in the fourth, visits the three clockwise and comes home. Compared:
on-demand routing alone against geographic + on-demand (GPSR to the place the
node of interest is known to be, on-demand for what remains), each with the
nodes' code caches cold (the code travels on each first hop) or warm.

One run gives one row: ``radius``, ``algorithm``, ``seed``, ``completion_s``
(virtual seconds from injection to the SM's end), ``bytes`` and ``frames``
(everything the nodes sent for it: every frame kind but beacons), plus
``hops``, ``nodes``, ``code_cached``, ``ok`` and ``unit`` (the SHA-256 of the
SM unit's source the run sent, so rows made from different code show it).

The unit is read from the brick files when a run starts unless the caller
passes its ``source``: a sweep reads it once and hands the same text to every
run, so editing the bricks while a long sweep runs cannot change its later
runs (a sweep's worker reads no file of the SM's code after it started).
"""
from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sim import Simulation, StaticPlacement, UnitDiskRadio
from sim.network import SimNetwork
from smvm.compiler import load_brick
from smvm.node import NodeConfig

BRICK = Path(__file__).resolve().parent / "bricks" / "visit_corners.py"
DISCOVERY = "routing.discovery"
ALGORITHMS = ("on-demand", "geo+on-demand")
START = 3.0  # seconds: neighbour tables are full after a few beacons


@dataclass(frozen=True)
class StudyRun:
    radius: float
    algorithm: str
    seed: int
    code_cached: bool = False
    spacing: float = 50.0
    jitter: float = 12.0
    radio_range: float = 100.0
    until: float = 600.0


def layout(run: StudyRun) -> tuple[list[tuple[float, float]], list[int]]:
    """Node positions and the ids of the corners (start, then clockwise)."""
    rng = random.Random(run.seed)
    cells = max(1, round(run.radius / run.spacing))
    step = run.radius / cells
    positions, corners = [], {}
    for row in range(cells + 1):
        for col in range(cells + 1):
            corner = (row in (0, cells)) and (col in (0, cells))
            jx, jy = (0.0, 0.0) if corner else (rng.uniform(-run.jitter, run.jitter),
                                                  rng.uniform(-run.jitter, run.jitter))
            x = min(max(col * step + jx, 0.0), run.radius)
            y = min(max(row * step + jy, 0.0), run.radius)
            if corner:
                corners[(col, row)] = len(positions)
            positions.append((x, y))
    # start bottom-left; clockwise (y up): top-left, top-right, bottom-right
    order = [corners[(0, 0)], corners[(0, cells)], corners[(cells, cells)], corners[(cells, 0)]]
    return positions, order


def study_unit() -> str:
    """The source of the SM unit the study injects (the tour brick and the
    routing bricks it imports), as the brick files read now."""
    return load_brick(BRICK)


def run_study(run: StudyRun, source: str | None = None) -> dict:
    """Simulate one configuration; the row of results. ``source``: the SM
    unit to inject (``study_unit()``, read now, when None)."""
    if run.algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {run.algorithm!r} (known: {', '.join(ALGORITHMS)})")
    if source is None:
        source = study_unit()
    positions, (home, *stops) = layout(run)
    sim = Simulation(run.seed)
    net = SimNetwork(sim, UnitDiskRadio(run.radio_range, rng=sim.rng), StaticPlacement(positions),
                     NodeConfig(beacon_interval=1.0))
    for node in range(len(positions)):
        core = net.add_node(node)
        if run.code_cached:  # the SM's unit, and the discovery brick it starts
            core.cache.add_part(core.cache.add_source(source, BRICK.name), DISCOVERY)
    where = [[str(n), list(positions[n])] for n in stops]
    net.inject(home, source, [where, [str(home), list(positions[home])],
                              run.algorithm == "geo+on-demand"], at=START, name=BRICK.name)
    sim.run(until=run.until)
    [record] = net.metrics.sms.values()
    sent = Counter()
    for counters in net.counters().values():
        sent.update({k: v for k, v in counters.items() if k.startswith(("bytes_out.", "frames_out."))
                     and not k.endswith(".Beacon")})
    ok = record.error is None and record.result == [n for n, _ in where] + [str(home)]
    return {
        "radius": run.radius, "algorithm": run.algorithm, "seed": run.seed,
        "completion_s": None if record.ended_at is None else round(record.ended_at - START, 6),
        "bytes": sum(v for k, v in sent.items() if k.startswith("bytes_out.")),
        "frames": sum(v for k, v in sent.items() if k.startswith("frames_out.")),
        "hops": record.hops, "nodes": len(positions), "code_cached": run.code_cached, "ok": ok,
        "error": record.error, "unit": hashlib.sha256(source.encode()).hexdigest(),
    }
