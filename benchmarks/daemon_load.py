"""Three signing daemons, each its own process, under a rising load of SMs
injected by client processes.

    PYTHONPATH=. python benchmarks/daemon_load.py [--rates 20,50,...] [--seconds S]
        [--clients K] [--work N] [--json]

Each SM hops to the next daemon, runs ``N`` loop iterations there and
returns its node id to the client that injected it and waits for it. Per
step of offered rate: achieved rate (SMs completed per second), latency
p50/p99 of the completed ones, SMs refused at injection (the node's admission
answered ``Rejected`` with its reason), SMs whose hop was refused (REJECT),
SMs that timed out, the reasons given, and each daemon's RSS (from
``/proc``). A daemon that cannot keep up must refuse cleanly, with a reason,
and its memory must stay bounded.
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import trio  # noqa: E402

from smvm.testing import free_udp_ports  # noqa: E402

SHORT = '''
def main(target, work):
    sys_migrate(target)
    total = 0
    for i in range(work):
        total += i
    return node_id()
'''
NAMES = ("n1", "n2", "n3")


def start_daemons(ports: list[int]) -> list[subprocess.Popen]:
    procs = []
    for name, port in zip(NAMES, ports):
        peers = ",".join(f"127.0.0.1:{p}" for p in ports if p != port)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "apps.cli", "node", "--id", name, "--host", "127.0.0.1",
             "--port", str(port), "--peers", peers, "--log-level", "ERROR"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


async def wait_ready(addresses) -> None:
    """Until every daemon hears both others (asked with ``smvm status``'s query)."""
    from smvm.client import query_status
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            states = [await query_status(a, timeout=1.0) for a in addresses]
            if all(len(s.get("neighbors") or []) >= 2 for s in states):
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        await trio.sleep(0.2)
    raise SystemExit("the daemons did not come up and hear each other within 30 s")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def client(ports, rate, seconds, work, timeout, offset, out) -> None:
    """One client process: inject at ``rate`` for ``seconds``; report outcomes."""
    out.put(trio.run(_client, ports, rate, seconds, work, timeout, offset))


async def _client(ports, rate, seconds, work, timeout, offset) -> dict:
    from smvm.client import inject
    latencies, reasons = [], collections.Counter()
    counts = collections.Counter()

    async def one(i: int) -> None:
        k = (i + offset) % len(ports)
        t0 = time.perf_counter()
        try:
            done = await inject(("127.0.0.1", ports[k]), SHORT,
                                [NAMES[(k + 1) % len(NAMES)], work], wait=True, timeout=timeout)
        except trio.TooSlowError:
            counts["timeouts"] += 1
            return
        if done.ok:
            latencies.append(time.perf_counter() - t0)
        else:
            error = done.error or {}
            kind = "refused_inject" if error.get("type") == "Rejected" else (
                "refused_hop" if error.get("type") == "MigrationError" else "failed")
            counts[kind] += 1
            reasons[_reason(str(error.get("message", "")))] += 1

    started, t_start = 0, trio.current_time()
    async with trio.open_nursery() as nursery:
        while trio.current_time() - t_start < seconds:
            nursery.start_soon(one, started)
            started += 1
            # on schedule, not 1/rate after the last send: a slow loop catches up
            await trio.sleep_until(t_start + started / rate)
    return {"sent": started, "latencies": latencies, "counts": dict(counts),
            "reasons": dict(reasons), "wall": trio.current_time() - t_start}


def _reason(message: str) -> str:
    """A refusal's reason with its counts as N ("node busy: 64 SMs" -> "node busy: N SMs")."""
    return re.sub(r"\b\d+(\.\d+)?\b", "N", message)[:70]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def step(ports, pids, rate, seconds, clients, work, timeout) -> dict:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=client, args=(ports, rate / clients, seconds, work, timeout, i, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    rss_peak = [0.0] * len(pids)
    results = []
    while len(results) < clients:
        try:
            results.append(out.get(timeout=0.25))
        except Exception:  # noqa: BLE001 - queue.Empty: sample memory meanwhile
            pass
        rss_peak = [max(r, rss_mb(pid)) for r, pid in zip(rss_peak, pids)]
    for p in procs:
        p.join()
    latencies = [x for r in results for x in r["latencies"]]
    counts, reasons = collections.Counter(), collections.Counter()
    for r in results:
        counts.update(r["counts"])
        reasons.update(r["reasons"])
    # "wall": from the first send to the last answer (the step drains its SMs)
    wall = max(r["wall"] for r in results)
    return {"offered": rate, "sent_per_s": sum(r["sent"] for r in results) / seconds,
            "done_per_s": len(latencies) / wall, "p50_ms": pct(latencies, 0.5) * 1e3,
            "p99_ms": pct(latencies, 0.99) * 1e3, "refused_inject": counts["refused_inject"],
            "refused_hop": counts["refused_hop"], "failed": counts["failed"],
            "timeouts": counts["timeouts"], "reasons": dict(reasons),
            "rss_mb_peak": [round(r, 1) for r in rss_peak]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,200,400,800")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--work", type=int, default=2_000,
                        help="loop iterations each SM runs after its hop")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="end with the rows as one JSON line")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    ports = free_udp_ports(len(NAMES))
    daemons = start_daemons(ports)
    rows = []
    try:
        trio.run(wait_ready, [("127.0.0.1", p) for p in ports])
        # warm up: each daemon compiles the brick and learns the others' keys
        step(ports, [d.pid for d in daemons], 6, 1.0, 1, args.work, args.timeout)
        print(f"{'offered/s':>9} {'sent/s':>7} {'done/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'refused@inject':>14} {'refused@hop':>11} {'timeout':>7} {'RSS MB (peak)':>18}")
        for rate in rates:
            row = step(ports, [d.pid for d in daemons], rate, args.seconds, args.clients,
                       args.work, args.timeout)
            rows.append(row)
            print(f"{row['offered']:9.0f} {row['sent_per_s']:7.1f} {row['done_per_s']:7.1f} "
                  f"{row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['refused_inject']:14d} "
                  f"{row['refused_hop']:11d} {row['timeouts']:7d} "
                  f"{'/'.join(f'{r:.0f}' for r in row['rss_mb_peak']):>18}", flush=True)
            if row["reasons"]:
                print("          reasons: " + "; ".join(f"{n}x {r}" for r, n in
                                                       sorted(row["reasons"].items())), flush=True)
    finally:
        for d in daemons:
            d.terminate()
        for d in daemons:
            d.wait(10)
    best = max(rows, key=lambda r: r["done_per_s"])
    print(f"saturation: {best['done_per_s']:.0f} SMs/s completed at {best['offered']:.0f} offered; "
          f"median p50 over steps {statistics.median(r['p50_ms'] for r in rows):.1f} ms")
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
