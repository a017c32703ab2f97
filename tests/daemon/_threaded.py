"""Node daemons served by trio in a background thread, so a test can drive
them with the command line (which runs its own trio loop) from the main one."""
from __future__ import annotations

import contextlib
import queue
import threading

import trio

from smvm.daemon import DaemonConfig, NodeDaemon
from tests.patience import PATIENCE


@contextlib.contextmanager
def serving(*configs: DaemonConfig, links: list[tuple[int, int]] | None = None):
    """Start a daemon per config (each its own ephemeral port unless given),
    each beaconing to the others it is linked with (default: all of them).
    Yields the running daemons (``Serving``)."""
    count = len(configs)
    links = links if links is not None else [(a, b) for a in range(count)
                                             for b in range(a + 1, count)]
    started: queue.Queue = queue.Queue()
    stop: list = []

    async def main() -> None:
        daemons = [NodeDaemon(c) for c in configs]
        async with trio.open_nursery() as nursery:
            stop.append((trio.lowlevel.current_trio_token(), nursery.cancel_scope))
            addresses = [await nursery.start(d.serve) for d in daemons]
            for a, b in links:
                daemons[a].add_peer(addresses[b])
                daemons[b].add_peer(addresses[a])
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
        self.daemons, self._token, self.links = daemons, token, links

    def __getitem__(self, i: int) -> NodeDaemon:
        return self.daemons[i]

    def address(self, i: int) -> str:
        return "%s:%d" % self.daemons[i].address[:2]

    def wait_until(self, i: int, predicate, timeout: float = PATIENCE) -> None:
        """Wait (bounded) until ``predicate(daemon i)`` holds, on its loop."""
        daemon = self.daemons[i]
        trio.from_thread.run(daemon.wait_until, lambda: predicate(daemon), timeout,
                             trio_token=self._token)

    def wait_for_neighbors(self) -> None:
        """Until every daemon hears each one it is linked with."""
        for i, d in enumerate(self.daemons):
            linked = {self.daemons[b if a == i else a].config.node_id
                      for a, b in self.links if i in (a, b)}
            self.wait_until(i, lambda d, linked=linked: linked <= set(
                d.core.neighbor_table.ids(d.clock())))
