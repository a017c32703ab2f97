"""Signing daemons over real UDP: the verified path comes back with the result;
forged frames from a raw socket and a pinned node's changed key are refused
with a logged reason, and the daemons keep serving."""
from __future__ import annotations

import logging
import socket

import trio

from smvm import wire
from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from smvm.trust import NodeKey, format_line
from tests.daemons import start_mesh
from tests.patience import PATIENCE

from .test_loopback import TOUR


async def test_the_result_carries_the_verified_path() -> None:
    async with trio.open_nursery() as nursery:
        daemons, addresses = await start_mesh(nursery, ["n1", "n2", "n3"])
        outcome = await inject(addresses[0], TOUR, [["n2", "n3", "n1", "n3"]], wait=True,
                               timeout=PATIENCE)
        assert outcome.ok, outcome.error
        assert outcome.to_json()["path"] == ["n1", "n2", "n3", "n1", "n3"]
        assert all(d.core.counters["refused"] == 0 for d in daemons)
        nursery.cancel_scope.cancel()


def _raw_send(address, frame) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in wire.fragment(wire.encode(frame), 77, 1200):
            sock.sendto(datagram, address)


async def test_forged_frames_from_a_raw_socket_are_refused_and_logged(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="smvm.node")
    async with trio.open_nursery() as nursery:
        daemons, addresses = await start_mesh(nursery, ["a", "b"])
        b = daemons[1]
        ok = await inject(addresses[0], TOUR, [["b"]], wait=True, timeout=PATIENCE)
        assert ok.ok
        brick = next(iter(b.core.cache.bricks()))
        state_of_a = b"\x92\x00\x90"  # no valid continuation needed: identity is checked first
        forged = wire.Transfer(b"\x01" * 16, "evil/1",
                               {"sm_id": "evil/1", "family": "a/1", "origin": "a"},
                               state_of_a, ((brick.hash, brick.source),))
        _raw_send(addresses[1], forged)
        unsealed = wire.Result("a/1", "a", True, b"\x80", None)
        _raw_send(addresses[0], unsealed)
        await b.wait_until(lambda: b.core.counters["sms_rejected"] + b.core.counters["refused"] >= 1)
        await daemons[0].wait_until(lambda: daemons[0].core.counters["refused"] >= 1)
        assert b.core.counters["sms_admitted"] == 1  # the genuine visit only
        assert any("refused Result" in r.getMessage() for r in caplog.records)
        again = await inject(addresses[0], TOUR, [["b", "a"]], wait=True, timeout=PATIENCE)
        assert again.ok and again.value == ["a", "b", "a"]
        nursery.cancel_scope.cancel()


async def test_a_pinned_nodes_changed_key_is_refused(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="smvm.node")
    trust = tmp_path / "known_nodes"
    trust.write_text(format_line("m", NodeKey.from_seed(b"the real m").public))
    config = dict(node=NodeConfig(beacon_interval=0.05), advertise=False, workers=0)
    keeper = NodeDaemon(DaemonConfig("k", "127.0.0.1", 0, trust_file=str(trust), seed=1,
                                     **config))
    impostor = NodeDaemon(DaemonConfig("m", "127.0.0.1", 0, seed=2, **config))
    async with trio.open_nursery() as nursery:
        k_addr = await nursery.start(keeper.serve)
        m_addr = await nursery.start(impostor.serve)
        keeper.add_peer(m_addr)
        impostor.add_peer(k_addr)
        await keeper.wait_until(lambda: keeper.core.counters["refused.Beacon"] >= 2)
        assert "m" not in keeper.core.neighbor_table.ids(keeper.clock())
        assert any("key of node 'm' changed: pinned" in r.getMessage() for r in caplog.records)
        # the keeper still serves its own SMs
        outcome = await inject(k_addr, TOUR, [[]], wait=True, timeout=PATIENCE)
        assert outcome.ok and outcome.value == ["k"]
        nursery.cancel_scope.cancel()
