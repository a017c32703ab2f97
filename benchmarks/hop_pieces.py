"""Where a cached hop's time goes: the CPU time of each piece, per hop.

    PYTHONPATH=. python benchmarks/hop_pieces.py [--hops N] [--workers W]

The SM of ``hop_latency.py`` (``BOUNCE``) bounces between two unsigned
daemons in this process. Without workers, each piece of the daemons' work is
timed with the thread's CPU clock (waiting for a shared core does not count)
and printed per hop, nested pieces indented under the piece they are part
of; the first line is the process's CPU time per hop, all pieces included.
With workers (``--workers 2``) a slice runs in another process, so the
daemon-side pieces are timed as before and the slice is timed as the wall
time from handing the job to a worker to reading its outcome (the crossing
there and back, the worker's own decode, run, capture and encode).

The timers wrap functions of the node and the VM from outside; each wrapper
costs about a microsecond.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import statistics
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import trio  # noqa: E402

from smvm import wire  # noqa: E402
from smvm.client import inject  # noqa: E402
from smvm.node import _cache, _dispatch, _outgoing, _scheduler  # noqa: E402
from smvm.vm import instance, migration  # noqa: E402
from smvm.workers import pool  # noqa: E402

_spec = importlib.util.spec_from_file_location("hop_latency", os.path.join(_HERE, "hop_latency.py"))
hop_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hop_latency)  # type: ignore[union-attr]

spent: collections.Counter = collections.Counter()
calls: collections.Counter = collections.Counter()


def timed(label: str, fn, clock=time.thread_time):
    def wrapper(*args, **kwargs):
        t0 = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += clock() - t0
            calls[label] += 1
    return wrapper


def timed_async(label: str, fn, clock=time.perf_counter):
    async def wrapper(*args, **kwargs):
        t0 = clock()
        try:
            return await fn(*args, **kwargs)
        finally:
            spent[label] += clock() - t0
            calls[label] += 1
    return wrapper


#: (label, nesting) in the order printed; each is wrapped below.
PIECES = [
    ("wire decode, every frame received", 0),
    ("TRANSFER received (screened or decoded, ACK queued)", 0),
    ("SM instance set-up", 1),
    ("decode + validate the continuation", 1),
    ("ACK received", 0),
    ("slice run here (module body, run, capture, encode)", 0),
    ("module body", 1),
    ("capture: suspend + encode the state", 1),
    ("slice in a worker, wall: job out, run there, outcome back", 0),
    ("send the TRANSFER (frame, wire encode, deflate)", 0),
    ("wire encode, every frame sent (the ACKs queued above too)", 1),
]


def instrument() -> None:
    labels = [label for label, _ in PIECES]
    _cache.RecentFrames.decode = timed(labels[0], _cache.RecentFrames.decode)
    _dispatch.HANDLERS[wire.Transfer] = timed(labels[1], _dispatch.HANDLERS[wire.Transfer])
    _scheduler.Scheduler._instance = timed(labels[2], _scheduler.Scheduler._instance)
    instance.SMInstance.decode = timed(labels[3], instance.SMInstance.decode)
    _dispatch.HANDLERS[wire.Ack] = timed(labels[4], _dispatch.HANDLERS[wire.Ack])
    _scheduler.run_slice = timed(labels[5], _scheduler.run_slice)
    instance.SMInstance._ensure_loaded = timed(labels[6], instance.SMInstance._ensure_loaded)
    migration.suspend = timed(labels[7], migration.suspend)
    pool.WorkerPool._drive = timed_async(labels[8], pool.WorkerPool._drive)
    _outgoing.OutgoingHops._transmit = timed(labels[9], _outgoing.OutgoingHops._transmit)
    wire.encode = timed(labels[10], wire.encode)


async def measure(hops: int, workers: int) -> tuple[list[float], float, float]:
    async with trio.open_nursery() as nursery:
        a, b, addr_a = await hop_latency.pair(nursery, workers, signed=False)
        out = await inject(addr_a, hop_latency.BOUNCE, [5, 0], wait=True, timeout=120)
        assert out.ok, out.error  # both sides hold the brick now
        spent.clear()
        calls.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        out = await inject(addr_a, hop_latency.BOUNCE, [hops, 0], wait=True, timeout=120)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        assert out.ok, out.error
        nursery.cancel_scope.cancel()
    return out.value, cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=600)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    instrument()
    gaps, cpu, wall = trio.run(measure, args.hops, args.workers)
    hops = len(gaps)
    print(f"workers: {args.workers}; unsigned; hops: {hops}; hop p50 "
          f"{statistics.median(gaps) * 1e6:.0f} us (timers included)")
    print(f"{'piece':62}{'us per hop':>12}{'calls per hop':>15}")
    print(f"{'this process, CPU, all of it':62}{cpu / hops * 1e6:12.1f}")
    print(f"{'this process, wall, all of it':62}{wall / hops * 1e6:12.1f}")
    for label, depth in PIECES:
        if calls[label]:
            name = "  " * depth + label
            print(f"{name:62}{spent[label] / hops * 1e6:12.1f}{calls[label] / hops:15.2f}")


if __name__ == "__main__":
    main()
