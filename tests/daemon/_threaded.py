"""Node daemons served by trio in a background thread, so a test can drive
them with the command line (which runs its own trio loop) from the main one."""
from __future__ import annotations

import contextlib
import queue
import threading

import trio

from smvm.daemon import DaemonConfig, NodeDaemon


@contextlib.contextmanager
def serving(*configs: DaemonConfig, peer: bool = True):
    """Start a daemon per config (each its own ephemeral port unless given);
    with ``peer``, each beacons to all the others. Yields the daemons."""
    started: queue.Queue = queue.Queue()
    stop: list = []

    async def main() -> None:
        daemons = [NodeDaemon(c) for c in configs]
        async with trio.open_nursery() as nursery:
            stop.append((trio.lowlevel.current_trio_token(), nursery.cancel_scope))
            addresses = [await nursery.start(d.serve) for d in daemons]
            if peer:
                for d in daemons:
                    for a in addresses:
                        if a != d.address:
                            d.add_peer(a)
            started.put(Serving(daemons, trio.lowlevel.current_trio_token()))

    def target() -> None:
        try:
            trio.run(main)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            started.put(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    running = started.get(timeout=60)
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

    def __init__(self, daemons: list[NodeDaemon], token):
        self.daemons, self._token = daemons, token

    def __getitem__(self, i: int) -> NodeDaemon:
        return self.daemons[i]

    def address(self, i: int) -> str:
        return "%s:%d" % self.daemons[i].address[:2]

    def wait_until(self, i: int, predicate, timeout: float = 20.0) -> None:
        """Wait (bounded) until ``predicate(daemon i)`` holds, on its loop."""
        daemon = self.daemons[i]
        trio.from_thread.run(daemon.wait_until, lambda: predicate(daemon), timeout,
                             trio_token=self._token)

    def wait_for_neighbors(self) -> None:
        ids = {d.config.node_id for d in self.daemons}
        for i, d in enumerate(self.daemons):
            others = ids - {d.config.node_id}
            self.wait_until(i, lambda d, others=others: others <= set(
                d.core.neighbor_table.ids(d.clock())))
