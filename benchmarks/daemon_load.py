"""Three signing daemons on loopback under a rising load of short SMs.

    PYTHONPATH=. python benchmarks/daemon_load.py [--rates 20,50,...] [--seconds S]

Clients inject SMs (each makes one hop and returns) at a fixed offered rate
for S seconds per step, spread over the three daemons, and wait for their
results. Per step: offered and achieved rate (SMs completed per second),
latency p50/p99 of completed SMs, SMs refused (admission REJECTs and
injects the node turned down), SMs that timed out, and the daemons' RSS. A
daemon that cannot keep up should refuse cleanly, not grow without bound.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import trio  # noqa: E402

from smvm.daemon import DaemonConfig, NodeDaemon, inject  # noqa: E402
from smvm.node import NodeConfig  # noqa: E402

SHORT = '''
def main(target):
    sys_migrate(target)
    return node_id()
'''


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def step(addresses, names, rate: float, seconds: float, timeout: float) -> dict:
    latencies, errors, timeouts = [], 0, 0
    started = 0

    async def one(i: int) -> None:
        nonlocal errors, timeouts
        k = i % len(addresses)
        t0 = time.perf_counter()
        try:
            out = await inject(addresses[k], SHORT, [names[(k + 1) % len(names)]], wait=True,
                               timeout=timeout)
        except trio.TooSlowError:
            timeouts += 1
            return
        if out.ok:
            latencies.append(time.perf_counter() - t0)
        else:
            errors += 1

    t_start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        while time.perf_counter() - t_start < seconds:
            nursery.start_soon(one, started)
            started += 1
            await trio.sleep_until(trio.current_time() + 1.0 / rate)
    wall = time.perf_counter() - t_start
    return {"offered": rate, "sent": started / wall, "done": len(latencies),
            "throughput": len(latencies) / wall, "p50_ms": pct(latencies, 0.5) * 1e3,
            "p99_ms": pct(latencies, 0.99) * 1e3, "refused": errors, "timeouts": timeouts}


async def main_async(rates: list[float], seconds: float, workers: int, timeout: float) -> None:
    names = ["n1", "n2", "n3"]
    config = NodeConfig(beacon_interval=0.2)
    daemons = [NodeDaemon(DaemonConfig(n, "127.0.0.1", 0, node=config, seed=i, workers=workers,
                                       advertise=False)) for i, n in enumerate(names)]
    async with trio.open_nursery() as nursery:
        addresses = [await nursery.start(d.serve) for d in daemons]
        for d in daemons:
            for a in addresses:
                if a != d.address:
                    d.add_peer(a)
        for d in daemons:
            others = set(names) - {d.config.node_id}
            await d.wait_until(lambda d=d, o=others: o <= set(d.core.neighbor_table.ids(d.clock())))
        print(f"{'offered/s':>9} {'sent/s':>7} {'done/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'refused':>7} "
              f"{'timeout':>7} {'RSS MB':>7} {'rejects':>7}")
        for rate in rates:
            row = await step(addresses, names, rate, seconds, timeout)
            rejects = sum(d.core.counters["sms_rejected"] for d in daemons)
            print(f"{row['offered']:9.0f} {row['sent']:7.1f} {row['throughput']:7.1f} {row['p50_ms']:8.1f} "
                  f"{row['p99_ms']:8.1f} {row['refused']:7d} {row['timeouts']:7d} "
                  f"{rss_mb():7.0f} {rejects:7d}")
        nursery.cancel_scope.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,25,50,100,200,400")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes per daemon (0: SMs run in the daemons)")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    trio.run(main_async, rates, args.seconds, args.workers, args.timeout)


if __name__ == "__main__":
    main()
