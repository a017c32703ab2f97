"""GPSR delivery and path stretch on random unit-disk graphs.

    PYTHONPATH=. python benchmarks/gpsr_stretch.py [--nodes N] [--graphs G] [--pairs P]

For each density (mean neighbours per node), G seeded random *connected*
graphs of N nodes in a 1 km square (graphs that come out disconnected are
skipped and the next seed is drawn), and P random source/destination node
pairs per graph. Each route runs the brick's ``gpsr_step`` node by node (the
tests' harness: the brick's source executed as plain Python), aiming at the
destination node's position with radius 0. Stretch = GPSR hops / BFS shortest
hops. Deterministic: the same arguments print the same table.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

from tests.routing._graphs import (bfs_hops, is_connected, load_gpsr,  # noqa: E402
                                   random_unit_disk, range_for_degree, route)

SIDE = 1000.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * q // 100) - 1)]


def run_density(gpsr: dict, n: int, degree: float, graphs: int, pairs: int, seed: int) -> dict:
    range_m = range_for_degree(n, SIDE, degree)
    rng = random.Random(seed)
    stretch, perimeter, delivered, routes, tried, degrees = [], 0, 0, 0, 0, []
    while len(degrees) < graphs:
        tried += 1
        g = random_unit_disk(n, SIDE, range_m, rng.getrandbits(32))
        if not is_connected(g):
            continue
        degrees.append(sum(len(a) for a in g.adj.values()) / n)
        for _ in range(pairs):
            src, dst = rng.sample(range(n), 2)
            walk = route(gpsr, g, src, g.pos[dst], radius=0.0)
            routes += 1
            perimeter += walk.perimeter
            if walk.outcome == "arrive" and g.pos[walk.end] == g.pos[dst]:
                delivered += 1
                stretch.append(walk.hops / bfs_hops(g, src)[dst])
    return {
        "degree": degree, "range": range_m, "measured_degree": statistics.fmean(degrees),
        "connected": graphs / tried, "routes": routes, "delivered": delivered / routes,
        "mean": statistics.fmean(stretch), "p95": percentile(stretch, 95), "max": max(stretch),
        "perimeter": perimeter / routes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--graphs", type=int, default=200)
    ap.add_argument("--pairs", type=int, default=25)
    ap.add_argument("--degrees", default="6,8,12,20")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    gpsr = load_gpsr()
    print(f"{args.nodes} nodes in {SIDE:.0f} m x {SIDE:.0f} m; {args.graphs} connected graphs "
          f"per density, {args.pairs} source/destination pairs each")
    print()
    print("| mean neighbours (target / measured) | range m | graphs connected | routes "
          "| delivered | stretch mean | p95 | max | perimeter mode used |")
    print("|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for k, degree in enumerate(float(d) for d in args.degrees.split(",")):
        r = run_density(gpsr, args.nodes, degree, args.graphs, args.pairs, args.seed * 1000 + k)
        print(f"| {r['degree']:g} / {r['measured_degree']:.1f} | {r['range']:.0f} "
              f"| {r['connected']:.0%} | {r['routes']} | {r['delivered']:.1%} "
              f"| {r['mean']:.3f} | {r['p95']:.2f} | {r['max']:.2f} | {r['perimeter']:.1%} |")
    print()
    print(f"wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
