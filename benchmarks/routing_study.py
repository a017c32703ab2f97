"""The Smart Messages routing study: on-demand routing alone against
geographic + on-demand, for regions from 100 m to 700 m, with code caches cold
and warm (see apps/routing_study.py for the model).

    PYTHONPATH=. python benchmarks/routing_study.py --out DIR [--radii 100,200,...]
        [--seeds 3] [--jobs 2]

Writes DIR/routing_study.json: ``runs`` (one row per run: radius, algorithm,
seed, completion_s, bytes, frames, and hops, nodes, code_cached, ok, and
unit: the SHA-256 of the SM unit every run sent, read once at the start),
``summary`` (per radius, algorithm and cache state: the mean over the seeds
of the completed runs with a 95% confidence interval, Student's t) and
``paper`` (the published points, approximate); and DIR/routing_study.png
(completion time and bytes against radius, with the published points on the
same axes). Prints the means with the ratio of the two algorithms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from apps.routing_study import ALGORITHMS, StudyRun, run_study, study_unit  # noqa: E402

#: The published figure (seed 003, "On-Demand Routing versus Geographic and
#: On-Demand Routing"), as far as its text lets it be read: the axes run to
#: 3 s and 4,500 KB, and on-demand routing alone ends at 700 m near the top of
#: both, about 2.5-3 s and about 4,000 KB. The text carries no values for the
#: rest of either curve, so only that point is drawn (approximate).
PAPER = {
    "source": "seed 003: completion time (s) and bytes sent in the network (KB) "
              "against region radius (m); values approximate, read from the figure's text",
    "points": [{"algorithm": "on-demand", "radius": 700.0, "completion_s": [2.5, 3.0],
                "kbytes": [3750.0, 4250.0]}],
}
#: Student's t, two-sided 95%, by degrees of freedom (more seeds: 1.96 is close enough)
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228}


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
    # the SM's code is read once, here: every run sends the same unit even if
    # the brick files change during the sweep (its workers would read them anew)
    unit = study_unit()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(partial(run_study, source=unit), runs))
    wall = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    table = summarise(rows, radii)
    summary = [{"radius": r, "algorithm": a, "code_cached": c} | v
               for (r, a, c), v in sorted(table.items())]
    (args.out / "routing_study.json").write_text(
        json.dumps({"runs": rows, "summary": summary, "paper": PAPER}, indent=1) + "\n")
    print_table(table)
    plot(table, args.out / "routing_study.png")
    failed = [r for r in rows if not r["ok"]]
    print("(mean ± half-width of the 95% confidence interval over the seeds)")
    print(f"\n{len(rows)} runs in {wall:.0f} s wall; {len(failed)} did not complete the tour")
    print(f"wrote {args.out / 'routing_study.json'} and {args.out / 'routing_study.png'}")
    return 0


def summarise(rows: list[dict], radii: list[float]) -> dict:
    """(radius, algorithm, cached) -> means over seeds of the completed runs,
    with the half-width of their 95% confidence interval (``<key>_ci95``)."""
    table = {}
    for radius in radii:
        for algorithm in ALGORITHMS:
            for cached in (False, True):
                mine = [r for r in rows if r["radius"] == radius and r["algorithm"] == algorithm
                        and r["code_cached"] == cached]
                done = [r for r in mine if r["ok"]]
                if not done:
                    continue
                entry = {"runs": len(mine), "completed": len(done)}
                for key in ("completion_s", "bytes", "frames", "hops", "nodes"):
                    values = [r[key] for r in done]
                    entry[key] = statistics.fmean(values)
                    entry[key + "_ci95"] = ci95(values)
                table[radius, algorithm, cached] = entry
    return table


def ci95(values: list[float]) -> float:
    """Half-width of the 95% confidence interval of the mean (0 for one value)."""
    if len(values) < 2:
        return 0.0
    t = T95.get(len(values) - 1, 1.96)
    return t * statistics.stdev(values) / len(values) ** 0.5


def print_table(table: dict) -> None:
    print(f"{'radius':>6} {'nodes':>5} {'code':>5} | {'on-demand: s':>12} {'KB':>8} {'frames':>7}"
          f" | {'geo+od: s':>9} {'KB':>7} {'frames':>6} | {'KB ratio':>8} {'time ratio':>10}"
          f" | {'bytes/hop od':>12} {'geo':>6}")
    for (radius, algorithm, cached), od in sorted(table.items()):
        if algorithm != "on-demand" or (radius, "geo+on-demand", cached) not in table:
            continue
        geo = table[radius, "geo+on-demand", cached]
        print(f"{radius:6.0f} {od['nodes']:5.0f} {'warm' if cached else 'cold':>5} | "
              f"{od['completion_s']:6.2f}±{od['completion_s_ci95']:<5.2f} "
              f"{od['bytes'] / 1024:5.0f}±{od['bytes_ci95'] / 1024:<4.0f} {od['frames']:7.0f} | "
              f"{geo['completion_s']:4.2f}±{geo['completion_s_ci95']:<4.2f} "
              f"{geo['bytes'] / 1024:4.0f}±{geo['bytes_ci95'] / 1024:<3.0f} {geo['frames']:6.0f} | "
              f"{od['bytes'] / geo['bytes']:8.1f} {od['completion_s'] / geo['completion_s']:10.1f} | "
              f"{od['bytes'] / od['hops']:12.0f} {geo['bytes'] / geo['hops']:6.0f}")


def plot(table: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    for algorithm, colour in zip(ALGORITHMS, ("tab:red", "tab:blue")):
        for cached, style in ((False, "-"), (True, "--")):
            points = sorted((r, v) for (r, a, c), v in table.items() if a == algorithm and c == cached)
            if not points:
                continue
            label = f"{algorithm} ({'code cached' if cached else 'code not cached'}), 95% CI"
            xs = [r for r, _ in points]
            left.errorbar(xs, [v["completion_s"] for _, v in points],
                          yerr=[v["completion_s_ci95"] for _, v in points], fmt=style,
                          color=colour, marker="o", capsize=3, label=label)
            right.errorbar(xs, [v["bytes"] / 1024 for _, v in points],
                           yerr=[v["bytes_ci95"] / 1024 for _, v in points], fmt=style,
                           color=colour, marker="o", capsize=3, label=label)
    for point in PAPER["points"]:
        colour = "tab:red" if point["algorithm"] == "on-demand" else "tab:blue"
        label = f"published {point['algorithm']} (approximate)"
        for ax, (low, high) in ((left, point["completion_s"]), (right, point["kbytes"])):
            ax.errorbar([point["radius"]], [(low + high) / 2], yerr=[(high - low) / 2], fmt="*",
                        color=colour, markersize=13, markeredgecolor="black", capsize=5,
                        label=label)
    left.set(xlabel="region side (m)", ylabel="completion time (s)", title="Tour of three corners")
    right.set(xlabel="region side (m)", ylabel="bytes sent (KB)", title="Traffic")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
