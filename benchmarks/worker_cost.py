"""What isolating SMs from each other's worker crashes costs, two ways side
by side.

A daemon's worker holds the SMs paused between their fuel slices. When a
hostile SM brings its worker down, the node restarts the SMs paused there
from their last accepted state (the choice made): nothing is paid until a
worker dies, and then the paused SMs redo their work since that state. The
alternative -- one SM per worker process, so a crash can take no other SM
with it -- pays a process for every SM paused at once: its start time and
its memory. This prints both: a worker's start time and RSS, and the work a
restart redoes for an SM paused at a given point.

    PYTHONPATH=. python benchmarks/worker_cost.py [--workers N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

from smvm.workers.pipe import read as read_message  # noqa: E402


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker_start(n: int) -> tuple[list[float], list[int]]:
    """Seconds from spawn to the worker's "ready", and its RSS then (KiB)."""
    times, rss = [], []
    env = dict(os.environ, SMVM_WORKER_MEMORY_MB="256")
    for _ in range(n):
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "smvm.workers.child"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env)
        read_message(proc.stdout)
        times.append(time.perf_counter() - began)
        rss.append(_rss_kib(proc.pid))
        proc.stdin.close()
        proc.wait()
    return times, rss


def redo_cost(iterations: int) -> tuple[int, float]:
    """Fuel and seconds an SM that had run ``iterations`` loop turns redoes
    after a restart (its work since its last accepted state, here its start)."""
    from sim.line import run_line
    source = "def main(n):\n    total = 0\n    for i in range(n):\n        total += i % 7\n" \
             "    return total\n"
    began = time.perf_counter()
    result = run_line(source, [iterations], nodes=1)
    return result.fuel, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10, help="worker starts to time")
    args = parser.parse_args()
    times, rss = worker_start(args.workers)
    start_ms, rss_mib = statistics.median(times) * 1000, statistics.median(rss) / 1024
    print(f"one SM per worker: each SM paused at once costs a process: start "
          f"{start_ms:.0f} ms (median of {args.workers}), RSS {rss_mib:.1f} MiB")
    for turns in (10_000, 1_000_000):
        fuel, seconds = redo_cost(turns)
        print(f"restart from the last accepted state: an SM {turns:,} loop turns in redoes "
              f"{fuel:,} fuel units ({seconds * 1000:.0f} ms), only when its worker dies")
    print(f"16 SMs paused at once, one per worker: {16 * rss_mib:.0f} MiB and "
          f"{16 * start_ms / 1000:.1f} s of process starts; restarting instead: nothing "
          "until a worker dies")


if __name__ == "__main__":
    main()
