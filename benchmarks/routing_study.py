"""The Smart Messages routing study: on-demand routing alone against
geographic + on-demand, for regions from 100 m to 700 m, with code caches cold
and warm (see apps/routing_study.py for the model).

    PYTHONPATH=. python benchmarks/routing_study.py --out DIR [--radii 100,200,...]
        [--seeds 3] [--jobs 2]

Writes DIR/routing_study.json (one row per run: radius, algorithm, seed,
completion_s, bytes, frames, and hops, nodes, code_cached, ok) and
DIR/routing_study.png (completion time and bytes against radius), and prints
the means with the ratio of the two algorithms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from apps.routing_study import ALGORITHMS, StudyRun, run_study  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--radii", default="100,200,300,400,500,600,700")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    radii = [float(r) for r in args.radii.split(",")]
    runs = [StudyRun(radius, algorithm, seed, cached)
            for radius in radii for algorithm in ALGORITHMS
            for seed in range(1, args.seeds + 1) for cached in (False, True)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run_study, runs))
    wall = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "routing_study.json").write_text(json.dumps(rows, indent=1) + "\n")
    table = summarise(rows, radii)
    print_table(table)
    plot(table, args.out / "routing_study.png")
    failed = [r for r in rows if not r["ok"]]
    print(f"\n{len(rows)} runs in {wall:.0f} s wall; {len(failed)} did not complete the tour")
    print(f"wrote {args.out / 'routing_study.json'} and {args.out / 'routing_study.png'}")
    return 0


def summarise(rows: list[dict], radii: list[float]) -> dict:
    """(radius, algorithm, cached) -> means over seeds of the completed runs."""
    table = {}
    for radius in radii:
        for algorithm in ALGORITHMS:
            for cached in (False, True):
                done = [r for r in rows if r["radius"] == radius and r["algorithm"] == algorithm
                        and r["code_cached"] == cached and r["ok"]]
                if not done:
                    continue
                table[radius, algorithm, cached] = {
                    key: statistics.fmean(r[key] for r in done)
                    for key in ("completion_s", "bytes", "frames", "hops", "nodes")
                } | {"runs": len(done)}
    return table


def print_table(table: dict) -> None:
    print(f"{'radius':>6} {'nodes':>5} {'code':>5} | {'on-demand: s':>12} {'KB':>8} {'frames':>7}"
          f" | {'geo+od: s':>9} {'KB':>7} {'frames':>6} | {'KB ratio':>8} {'time ratio':>10}"
          f" | {'bytes/hop od':>12} {'geo':>6}")
    for (radius, algorithm, cached), od in sorted(table.items()):
        if algorithm != "on-demand" or (radius, "geo+on-demand", cached) not in table:
            continue
        geo = table[radius, "geo+on-demand", cached]
        print(f"{radius:6.0f} {od['nodes']:5.0f} {'warm' if cached else 'cold':>5} | "
              f"{od['completion_s']:12.2f} {od['bytes'] / 1024:8.0f} {od['frames']:7.0f} | "
              f"{geo['completion_s']:9.2f} {geo['bytes'] / 1024:7.0f} {geo['frames']:6.0f} | "
              f"{od['bytes'] / geo['bytes']:8.1f} {od['completion_s'] / geo['completion_s']:10.1f} | "
              f"{od['bytes'] / od['hops']:12.0f} {geo['bytes'] / geo['hops']:6.0f}")


def plot(table: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for algorithm, colour in zip(ALGORITHMS, ("tab:red", "tab:blue")):
        for cached, style in ((False, "-"), (True, "--")):
            points = sorted((r, v) for (r, a, c), v in table.items() if a == algorithm and c == cached)
            if not points:
                continue
            label = f"{algorithm} ({'code cached' if cached else 'code not cached'})"
            xs = [r for r, _ in points]
            left.plot(xs, [v["completion_s"] for _, v in points], style, color=colour, marker="o",
                      label=label)
            right.plot(xs, [v["bytes"] / 1024 for _, v in points], style, color=colour, marker="o",
                       label=label)
    left.set(xlabel="region side (m)", ylabel="completion time (s)", title="Tour of three corners")
    right.set(xlabel="region side (m)", ylabel="bytes sent (KB)", title="Traffic", yscale="log")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
