"""Helpers for tests and benchmarks that start real daemons on this host:
free ports, and daemons on loopback that know each other as peers.

(Node cores in virtual time, without sockets, are ``sim.testing``.)
"""
from __future__ import annotations

import socket
from collections.abc import Sequence

import trio

from .daemon import DaemonConfig, NodeDaemon

__all__ = ["all_pairs", "free_udp_ports", "hear_each_other", "start_daemons"]


def free_udp_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct UDP ports free on ``host`` just now (all held at once
    while asking, so none is handed out twice)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def all_pairs(count: int) -> list[tuple[int, int]]:
    """Every pair ``(i, j)``, ``i < j``, of ``count`` daemons: a full mesh."""
    return [(a, b) for a in range(count) for b in range(a + 1, count)]


async def start_daemons(nursery: trio.Nursery, configs: Sequence[DaemonConfig],
                        links: Sequence[tuple[int, int]] | None = None) -> list[NodeDaemon]:
    """Serve a daemon per config in ``nursery`` (each on its configured port,
    0 for any free one); daemons ``a`` and ``b`` of each pair in ``links``
    (default: every pair) become each other's peers, so their beacons reach
    each other. The daemons, serving (``daemon.address`` is where)."""
    daemons = [NodeDaemon(config) for config in configs]
    for daemon in daemons:
        await nursery.start(daemon.serve)
    for a, b in all_pairs(len(daemons)) if links is None else links:
        daemons[a].add_peer(daemons[b].address)
        daemons[b].add_peer(daemons[a].address)
    return daemons


async def hear_each_other(daemons: Sequence[NodeDaemon],
                          links: Sequence[tuple[int, int]] | None = None, *,
                          timeout: float) -> None:
    """Wait (at most ``timeout`` seconds for each) until every daemon has each
    one it is linked with (default: all) in its neighbour table."""
    links = all_pairs(len(daemons)) if links is None else links
    for i, daemon in enumerate(daemons):
        linked = {daemons[b if a == i else a].config.node_id for a, b in links if i in (a, b)}
        await daemon.wait_until(
            lambda d=daemon, linked=linked: linked <= set(d.core.neighbor_table.ids(d.clock())),
            timeout=timeout)
