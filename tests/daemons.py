"""Node daemons on loopback for tests, started with ``smvm.testing.start_daemons``:
``start_mesh`` in an async test's nursery, or ``serving`` for tests that drive
them from synchronous code (the command line runs its own trio loop), served
by trio in a background thread.
"""
from __future__ import annotations

import contextlib
import functools
import queue
import threading

import trio

from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from smvm.testing import all_pairs, hear_each_other, start_daemons
from tests.patience import PATIENCE


def beaconing(ids) -> list[DaemonConfig]:
    """Loopback daemons ``ids`` beaconing every 50 ms, on free ports."""
    return [DaemonConfig(i, "127.0.0.1", 0, node=NodeConfig(beacon_interval=0.05), seed=n,
                         advertise=False) for n, i in enumerate(ids)]


async def start_mesh(nursery: trio.Nursery, ids) -> tuple[list[NodeDaemon], list]:
    """Daemons ``ids``, each a neighbour of all the others once this returns;
    the daemons and their addresses."""
    daemons = await start_daemons(nursery, beaconing(ids))
    await hear_each_other(daemons, timeout=PATIENCE)
    return daemons, [d.address for d in daemons]


@contextlib.contextmanager
def serving(*configs: DaemonConfig, links: list[tuple[int, int]] | None = None):
    """Start a daemon per config (each its own ephemeral port unless given),
    each beaconing to the others it is linked with (default: all of them).
    Yields the running daemons (``Serving``)."""
    links = links if links is not None else all_pairs(len(configs))
    started: queue.Queue = queue.Queue()
    stop: list = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            stop.append((trio.lowlevel.current_trio_token(), nursery.cancel_scope))
            daemons = await start_daemons(nursery, configs, links)
            started.put(Serving(daemons, trio.lowlevel.current_trio_token(), links))

    def target() -> None:
        try:
            trio.run(main)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            started.put(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    running = started.get(timeout=PATIENCE)
    if isinstance(running, BaseException):
        raise running
    try:
        yield running
    finally:
        token, scope = stop[0]
        trio.from_thread.run_sync(scope.cancel, trio_token=token)
        thread.join(timeout=30)


class Serving:
    """The running daemons, and a way to wait on them from the test's thread."""

    def __init__(self, daemons: list[NodeDaemon], token, links: list[tuple[int, int]]):
        self.daemons, self.token, self.links = daemons, token, links

    def __getitem__(self, i: int) -> NodeDaemon:
        return self.daemons[i]

    def address(self, i: int) -> str:
        return "%s:%d" % self.daemons[i].address[:2]

    def wait_until(self, i: int, predicate, timeout: float = PATIENCE) -> None:
        """Wait (bounded) until ``predicate(daemon i)`` holds, on its loop."""
        daemon = self.daemons[i]
        trio.from_thread.run(daemon.wait_until, lambda: predicate(daemon), timeout,
                             trio_token=self.token)

    def wait_for_neighbors(self) -> None:
        """Until every daemon hears each one it is linked with."""
        trio.from_thread.run(functools.partial(hear_each_other, self.daemons, self.links,
                                               timeout=PATIENCE), trio_token=self.token)
