"""A daemon with one worker process, for the tests of what an SM can do to
the other SMs paused in its worker (kill it, crowd its memory): the daemon's
settings, an SM run in the background, and the check that it still serves."""
from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from tests.patience import PATIENCE

#: Pauses between fuel slices several times (so it is parked in the worker).
PATIENT = '''
def main(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total
'''
QUICK = "def main():\n    return node_id()\n"


def one_worker(slice_seconds: float = 1.0, **node) -> DaemonConfig:
    """Node "solo" on loopback with a single worker process, no beacons."""
    node.setdefault("beacon_interval", None)
    return DaemonConfig("solo", "127.0.0.1", 0, seed=1, advertise=False, signed=False,
                        workers=1, slice_seconds=slice_seconds, node=NodeConfig(**node))


async def start_solo(nursery: trio.Nursery, slice_seconds: float = 30.0, **node):
    """Start the one-worker daemon "solo" (a daemon's default slice length)
    in ``nursery``; give its address."""
    return await nursery.start(NodeDaemon(one_worker(slice_seconds, **node)).serve)


def in_background(nursery: trio.Nursery, address, brick: str, args: list,
                  timeout: float = PATIENCE) -> Callable[[], Awaitable]:
    """Inject ``brick`` and wait for its reply in the background; the
    function returned waits for that reply and gives it."""
    done, replies = trio.Event(), []

    async def run() -> None:
        replies.append(await inject(address, brick, args, wait=True, timeout=timeout))
        done.set()
    nursery.start_soon(run)

    async def reply():
        with trio.fail_after(timeout):
            await done.wait()
        return replies[0]
    return reply


async def paused_once_more(daemon: NodeDaemon) -> None:
    """Wait until an SM has run a slice and waits for the next, paused in its
    worker, once more than now."""
    requeues = daemon.core.counters["requeues"]
    await daemon.wait_until(lambda: daemon.core.counters["requeues"] > requeues,
                            timeout=PATIENCE)


async def assert_still_serves(address) -> None:
    quick = await inject(address, QUICK, [], wait=True, timeout=PATIENCE)
    assert quick.ok and quick.value == "solo", quick.error


def worker_room(daemon: NodeDaemon) -> int:
    """Bytes the address space of the daemon's only worker may still grow by
    before its hard limit (read from the kernel's view of that process)."""
    (worker,) = daemon.pool.workers
    pid = worker.process.pid
    with open(f"/proc/{pid}/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    with open(f"/proc/{pid}/limits") as limits:
        line = next(row for row in limits if row.startswith("Max address space"))
    return int(line.split()[4]) - size
