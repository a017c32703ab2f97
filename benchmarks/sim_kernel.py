"""The simulator's event kernel against SimPy on the same timer workload, in one run.

Workload: ``--procs`` processes each wait ``--timers`` times for a random delay
(``random.Random(seed).random()``, drawn when the timer is set). In our kernel a
process is a callback that reschedules itself; in SimPy it is a generator that
yields ``env.timeout(delay)``. Both draw the same delays in the same order, so
both runs end at the same virtual time (checked). The figure is timer firings
per second of wall time; runs are interleaved, best of ``--repeat``, with the
garbage collector off while timing.

    python benchmarks/sim_kernel.py [--procs N] [--timers N] [--repeat N]

SimPy is only needed here (``pip install simpy``); ``sim`` never imports it.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import simpy

from sim import Simulation


def run_ours(procs: int, timers: int, seed: int) -> tuple[float, int, float]:
    """Return (seconds, timer firings, final virtual time)."""
    sim = Simulation(seed)
    rnd = sim.rng.random
    schedule = sim.schedule

    def tick(left: int) -> None:
        if left:
            schedule(rnd(), tick, left - 1)

    t0 = time.perf_counter()
    for _ in range(procs):
        schedule(rnd(), tick, timers - 1)
    fired = sim.run()
    return time.perf_counter() - t0, fired, sim.now


def run_simpy(procs: int, timers: int, seed: int) -> tuple[float, int, float]:
    env = simpy.Environment()
    rnd = random.Random(seed).random
    fired = 0

    def proc(env: simpy.Environment):
        nonlocal fired
        for _ in range(timers):
            yield env.timeout(rnd())
            fired += 1

    t0 = time.perf_counter()
    for _ in range(procs):
        env.process(proc(env))
    env.run()
    return time.perf_counter() - t0, fired, env.now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=10_000)
    ap.add_argument("--timers", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    best = {"ours": float("inf"), "simpy": float("inf")}
    results = {}
    for _ in range(args.repeat):
        for name, fn in (("ours", run_ours), ("simpy", run_simpy)):
            gc.collect()
            gc.disable()
            try:
                secs, fired, end = fn(args.procs, args.timers, args.seed)
            finally:
                gc.enable()
            best[name] = min(best[name], secs)
            results[name] = (fired, end)
    assert results["ours"] == results["simpy"], results  # same firings, same final time

    fired = results["ours"][0]
    print(f"Python {sys.version.split()[0]}, SimPy {simpy.__version__}; "
          f"{args.procs} processes x {args.timers} timers = {fired} firings, "
          f"best of {args.repeat}")
    rate = {k: fired / v for k, v in best.items()}
    print(f"{'kernel':<8} {'seconds':>9} {'events/s':>12}")
    for name in ("ours", "simpy"):
        print(f"{name:<8} {best[name]:>9.3f} {rate[name]:>12,.0f}")
    print(f"ratio (ours / SimPy events per second): {rate['ours'] / rate['simpy']:.2f}"
          f"  (target >= 1.5)")


if __name__ == "__main__":
    main()
