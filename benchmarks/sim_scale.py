"""Simulator scale: mobile nodes with beacons and migrating SMs (simulated
seconds per wall second, memory per node), and many static nodes (memory).

    PYTHONPATH=. python benchmarks/sim_scale.py mobile [--nodes 1000 --sms 100 --duration 600]
    PYTHONPATH=. python benchmarks/sim_scale.py static [--nodes 10000 --duration 5]

The kernel against SimPy is ``benchmarks/sim_kernel.py``.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from sim import RandomWaypoint, Simulation, StaticPlacement, UnitDiskRadio  # noqa: E402
from sim.network import SimNetwork  # noqa: E402
from smvm.node import NodeConfig  # noqa: E402

WANDER = (Path(__file__).parent / "bricks" / "wander.py").read_text()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def mobile(nodes: int, sms: int, duration: float) -> None:
    base = rss_mb()
    sim = Simulation(1)
    side = (nodes * 150.0 ** 2) ** 0.5  # about 150 m x 150 m per node
    radio = UnitDiskRadio(120.0, loss=0.01, rng=sim.rng)
    mobility = RandomWaypoint(nodes, (side, side), (1.0, 15.0), 2.0, rng=sim.rng)
    net = SimNetwork(sim, radio, mobility, NodeConfig(beacon_interval=1.0))
    for i in range(nodes):
        net.add_node(i)
    for k in range(sms):
        net.inject(k * nodes // sms, WANDER, [50], at=2.0 + k * (duration / 2) / sms)
    built = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    sim.run(until=duration)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    done = sum(1 for r in net.metrics.sms.values() if r.ended_at is not None)
    hops = sum(r.hops for r in net.metrics.sms.values())
    print(f"mobile: {nodes} nodes, 1 Hz beacons, {sms} SMs ({done} ended, {hops} hops), "
          f"{duration:g} s simulated")
    print(f"  wall {wall:.1f} s -> {duration / wall:.2f} simulated s per wall s (target >= 10); "
          f"CPU {cpu:.1f} s -> {duration / cpu:.2f} per CPU s (other load on the machine "
          f"shows as wall > CPU; load average {os.getloadavg()[0]:.1f})")
    print(f"  memory: {(built - base) / nodes * 1024:.0f} KiB per node built, "
          f"{(rss_mb() - base) / nodes * 1024:.0f} KiB per node after the run; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def static(nodes: int, duration: float) -> None:
    base = rss_mb()
    sim = Simulation(1)
    cols = int(nodes ** 0.5)
    placement = StaticPlacement.grid(-(-nodes // cols), cols, 100.0)
    radio = UnitDiskRadio(120.0, rng=sim.rng)
    net = SimNetwork(sim, radio, StaticPlacement([placement.position(i, 0) for i in range(nodes)]),
                     NodeConfig(beacon_interval=1.0))
    for i in range(nodes):
        net.add_node(i)
    built = rss_mb()
    t0 = time.perf_counter()
    sim.run(until=duration)
    wall = time.perf_counter() - t0
    print(f"static: {nodes} nodes on a grid, {duration:g} s simulated in {wall:.1f} s wall")
    print(f"  memory: {built - base:.0f} MiB built ({(built - base) / nodes * 1024:.0f} KiB per "
          f"node), {rss_mb() - base:.0f} MiB after the run; fits in 4 GB: "
          f"{'yes' if rss_mb() < 4096 else 'no'} (RSS {rss_mb():.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["mobile", "static"])
    parser.add_argument("--nodes", type=int, default=None)
    parser.add_argument("--sms", type=int, default=100)
    parser.add_argument("--duration", type=float, default=None)
    args = parser.parse_args()
    if args.mode == "mobile":
        mobile(args.nodes or 1000, args.sms, args.duration or 600.0)
    else:
        static(args.nodes or 10_000, args.duration or 5.0)


if __name__ == "__main__":
    main()
