"""Replay cost: the size of trace.jsonl and replay.html and the time to record
and build them, for the demo, a 1,000-node 600-second run and a SUMO run.

    PYTHONPATH=. python benchmarks/replay.py demo
    PYTHONPATH=. python benchmarks/replay.py large [--nodes 1000 --sms 100 --duration 600]
                                                   [--mobility random_waypoint|manhattan]
    PYTHONPATH=. python benchmarks/replay.py sumo [--grid 5 --duration 300]

Each case runs the simulation without and with the recorder, back to back
(best of --repeat by CPU time; the ratio is the recording's overhead on the
run), then writes the trace and builds the page. Wall and CPU time are printed: the machine is
shared, and other jobs show as wall > CPU.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from sim import Inject, Scenario, run  # noqa: E402
from sim.replay import write_replay  # noqa: E402
from sim.run import write_outputs  # noqa: E402
from sim.scenario import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WANDER = (Path(__file__).parent / "bricks" / "wander.py").read_text()


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - t0, time.process_time() - c0


def best(fn, repeat: int):
    """The run of ``repeat`` with the least CPU time."""
    return min((timed(fn) for _ in range(repeat)), key=lambda r: r[2])


def measure(name: str, sc: Scenario, out: Path, repeat: int) -> None:
    if repeat > 1:
        run(sc)  # warm up (imports, compiled bricks)
    _, plain_wall, plain_cpu = best(lambda: run(sc), repeat)
    result, wall, cpu = best(lambda: run(sc, record_trace=True), repeat)
    _, write_wall, write_cpu = timed(lambda: result.recorder.write(out / "trace.jsonl", result.until))
    page, build_wall, build_cpu = timed(
        lambda: write_replay([out / "trace.jsonl"], out / "replay.html"))
    trace_mb = (out / "trace.jsonl").stat().st_size / 1e6
    page_mb = page.stat().st_size / 1e6
    hops = sum(r.hops for r in result.network.metrics.sms.values())
    print(f"{name}: {sc.count} nodes, {result.until:g} s simulated, "
          f"{len(result.network.metrics.sms)} SMs, {hops} hops, {len(result.recorder.records)} "
          f"event records")
    print(f"  run without recorder {plain_wall:.2f} s wall ({plain_cpu:.2f} CPU); with "
          f"{wall:.2f} s wall ({cpu:.2f} CPU): ratio {cpu / plain_cpu:.3f} (CPU)")
    print(f"  trace.jsonl {trace_mb:.2f} MB written in {write_wall:.2f} s wall ({write_cpu:.2f} CPU)")
    print(f"  replay.html {page_mb:.2f} MB built in {build_wall:.2f} s wall ({build_cpu:.2f} CPU)"
          f"  (target < 20 MB for 1,000 nodes x 600 s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["demo", "large", "sumo"])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--sms", type=int, default=100)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--grid", type=int, default=5)
    parser.add_argument("--mobility", default="random_waypoint",
                        choices=["random_waypoint", "manhattan"])
    parser.add_argument("--out", default=None, help="keep the files here")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each kind, best CPU time kept (default 3; 1 for large)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="replay-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    repeat = args.repeat or (1 if args.case == "large" else 3)
    if args.case == "demo":
        measure("demo", load(ROOT / "sim" / "scenarios" / "demo.toml"), out, repeat)
    elif args.case == "large":
        duration = args.duration or 600.0
        side = (args.nodes * 150.0 ** 2) ** 0.5  # about 150 m x 150 m per node
        injects = tuple(Inject(k * args.nodes // args.sms, WANDER, "wander.py", [50],
                               2.0 + k * (duration / 2) / args.sms) for k in range(args.sms))
        blocks = max(2, int(side // 150))
        sc = Scenario(name="large", count=args.nodes, mobility=args.mobility, area=(side, side),
                      blocks=(blocks, blocks), block=150.0, speed=(1.0, 15.0), pause=2.0,
                      radio_range=120.0, loss=0.01, duration=duration, seed=1, injects=injects)
        measure(f"large ({args.mobility})", sc, out, repeat)
    else:
        from sim.sumo import generate_fcd, write_scenario
        duration = args.duration or 300.0
        made, wall, _ = timed(lambda: generate_fcd(out / "sumo", grid=args.grid, block=150.0,
                                                   duration=duration, period=1.0, seed=1))
        scenario = write_scenario(out / "sumo", made.fcd, seed=1, duration=duration,
                                  taxis=made.taxis)
        with scenario.open("a") as f:
            for k, at in enumerate((20.0, 60.0, 100.0, 140.0)):
                f.write(f'\n[[inject]]\nnode = {k}\nbrick = "{ROOT / "apps/bricks/find_taxi.py"}"\n'
                        f"at = {at}\n")
        print(f"SUMO: {args.grid}x{args.grid} grid, {duration:g} s, in {wall:.1f} s")
        measure("sumo", load(scenario), out, repeat)
    print(f"files in {out}")


if __name__ == "__main__":
    main()
