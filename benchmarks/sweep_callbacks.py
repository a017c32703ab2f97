"""What shipping Python callbacks to sweep workers costs, against a plain TOML
sweep of the same grid (radio range x node count x seeds).

    PYTHONPATH=. python benchmarks/sweep_callbacks.py [--seeds 3 --jobs 2 --duration 5 --repeat 3] [--ray]

The TOML sweep varies a scenario file. The Python sweep builds the same
scenarios in a function (a closure over the file's scenario) with mobility as
a closure placing the nodes where the file's uniform placement puts them, and
a lambda metric extractor; both go through cloudpickle (the TOML sweep's
payload is its base scenario, brick source included). Reported side by side:
the payload's size, the time to pickle it once, to unpickle it (every task
does), and the wall time per task, in this process (jobs 1), in a process
pool and (``--ray``) on a local Ray instance started beforehand (medians of ``--repeat`` sweeps, the two kinds alternating).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import cloudpickle  # noqa: E402

from sim import Scenario, StaticPlacement, sweep  # noqa: E402
from sim.engines import pack  # noqa: E402
from sim.sweep import _maker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOML = f'''
[simulation]
duration = {{duration}}
[radio]
range = 120.0
[nodes]
count = 30
area = [400.0, 400.0]
[[tags]]
nodes = [19]
name = "Taxi"
[[inject]]
node = 0
brick = "{ROOT / 'apps' / 'bricks' / 'find_taxi.py'}"
at = 0.5
'''
RANGES, COUNTS = [100.0, 160.0], [20, 30]


def python_sweep_parts(base: Scenario):
    """A scenario function, closures and a lambda, as a user's script has them."""
    def scenario(range_m: float, count: int, seed: int) -> Scenario:
        placed = StaticPlacement.uniform(count, 400.0, 400.0, random.Random(seed))
        where = {n: placed.position(n, 0.0) for n in range(count)}
        return base.replace(radio_range=range_m, count=count,
                            mobility=lambda node, t: where[node])
    extractors = {"frames_per_node": lambda r: r.radio.stats.frames / r.scenario.count}
    return scenario, {"range_m": RANGES, "count": COUNTS}, extractors


def payload_costs(obj) -> tuple[int, float, float]:
    """Size (bytes), seconds to pickle, seconds to unpickle (medians of 50)."""
    blob = pack(obj)
    dumps, loads = [], []
    for _ in range(50):
        t0 = time.perf_counter()
        cloudpickle.dumps(obj)
        t1 = time.perf_counter()
        cloudpickle.loads(blob)
        t2 = time.perf_counter()
        dumps.append(t1 - t0)
        loads.append(t2 - t1)
    return len(blob), statistics.median(dumps), statistics.median(loads)


def timed(fn) -> tuple[float, list]:
    t0 = time.perf_counter()
    rows = fn()
    return time.perf_counter() - t0, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=3, help="sweeps per configuration (median)")
    ap.add_argument("--ray", action="store_true", help="also on a local Ray instance")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(TOML.format(duration=args.duration))
        base = Scenario.from_toml(path)
        toml_grid = {"radio.range": RANGES, "nodes.count": COUNTS}
        fn, py_grid, extractors = python_sweep_parts(base)
        points = [{"radio.range": r, "nodes.count": c} for r in RANGES for c in COUNTS]
        py_points = [{"range_m": r, "count": c} for r in RANGES for c in COUNTS]
        toml_payload = payload_costs((_maker(str(path), list(toml_grid)), points, ()))
        py_payload = payload_costs((_maker(fn, list(py_grid)), py_points, extractors))
        tasks = len(points) * args.seeds
        times: dict[tuple[str, int], list[float]] = {}
        rows = {}
        configs = [("local", 1), ("local", args.jobs)]
        if args.ray:
            import ray   # started once here: the sweeps use it and leave it running
            ray.init(num_cpus=args.jobs, include_dashboard=False, log_to_driver=False)
            configs.append(("ray", args.jobs))
        # round 0 warms up (imports, the brick's compilation cache, Ray's workers);
        # the two kinds alternate, so load on the machine hits both alike
        for round_ in range(args.repeat + 1):
            for engine, jobs in configs:
                for name, run_it in (
                        ("toml", lambda: sweep(path, toml_grid, args.seeds, engine, jobs)),
                        ("python", lambda: sweep(fn, py_grid, args.seeds, engine, jobs,
                                                 extractors=extractors))):
                    took, rows[name] = timed(run_it)
                    if round_:
                        times.setdefault((name, engine, jobs), []).append(took)
        results = {key: statistics.median(ts) for key, ts in times.items()}
    print(f"grid {len(RANGES)} ranges x {len(COUNTS)} counts x {args.seeds} seeds = {tasks} "
          f"tasks, {args.duration:g} s virtual each")
    print(f"{'payload':<10}{'bytes':>9}{'pickle ms':>11}{'unpickle ms':>13}")
    for name, (size, dumps, loads) in (("toml", toml_payload), ("python", py_payload)):
        print(f"{name:<10}{size:>9}{dumps * 1e3:>11.3f}{loads * 1e3:>13.3f}")
    print(f"{'sweep':<10}{'engine':>7}{'jobs':>5}{'s/task':>9}{'python/toml':>13}")
    for engine, jobs in configs:
        toml_s = results["toml", engine, jobs] / tasks
        py_s = results["python", engine, jobs] / tasks
        print(f"{'toml':<10}{engine:>7}{jobs:>5}{toml_s:>9.3f}")
        print(f"{'python':<10}{engine:>7}{jobs:>5}{py_s:>9.3f}{py_s / toml_s:>13.2f}")
    same = [r["frames"] for r in rows["toml"]] == [r["frames"] for r in rows["python"]]
    print(f"same frames per run in both sweeps: {same}")


if __name__ == "__main__":
    main()
