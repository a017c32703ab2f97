"""Zeroconf: a running daemon is advertised and ``browse`` lists it."""
from __future__ import annotations

import trio

from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.discovery import browse
from smvm.node import NodeConfig


async def test_a_daemon_advertises_itself_and_is_listed() -> None:
    config = DaemonConfig("finder-7", "127.0.0.1", 0, node=NodeConfig(beacon_interval=None),
                          workers=0, advertise=True, interfaces=["127.0.0.1"])
    daemon = NodeDaemon(config)
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        found = await trio.to_thread.run_sync(browse, 2.0, ["127.0.0.1"])
        mine = [a for a in found if a.node_id == "finder-7"]
        assert mine and mine[0].port == address[1] and "127.0.0.1" in mine[0].addresses
        nursery.cancel_scope.cancel()
