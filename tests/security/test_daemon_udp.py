"""Daemons attacked over real loopback UDP with raw datagrams: garbage,
truncated and oversized messages, fragment floods, colliding keys, replayed
and forged frames. Each attack is contained, and the daemon then serves a
normal SM (``inject --wait`` from a client socket)."""
from __future__ import annotations

import os
import socket

import msgpack
import pytest
import trio

from smvm import statecodec, wire
from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from tests.patience import PATIENCE

QUICK = "def main(n):\n    return sum(range(n)), node_id()\n"


async def serve(nursery, workers: int = 0, **node) -> tuple[NodeDaemon, tuple]:
    node.setdefault("beacon_interval", None)
    daemon = NodeDaemon(DaemonConfig("victim", "127.0.0.1", 0, seed=1, advertise=False,
                                     signed=False, workers=workers, node=NodeConfig(**node)))
    address = await nursery.start(daemon.serve)
    return daemon, address


async def still_serves(address, n: int = 100) -> None:
    outcome = await inject(address, QUICK, [n], wait=True, timeout=PATIENCE)
    assert outcome.ok and outcome.value == (sum(range(n)), "victim")


def _blast(address, datagrams) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            try:
                sock.sendto(datagram, address)
            except OSError:
                pass


def _garbage() -> list[bytes]:
    return [os.urandom(n) for n in (0, 1, 2, 7, 100, 1200, 9000)] + [
        bytes([wire.VERSION]) + os.urandom(500),
        bytes([wire.VERSION, 0x99]) + msgpack.packb([1, 2, 3]),
        bytes([wire.VERSION]) + msgpack.packb([99, "x"]),
        bytes([wire.VERSION]) + msgpack.packb([8, b"r", "def main():\n return 1\n"]),  # short
        bytes([wire.VERSION]) + b"\xdd\xff\xff\xff\xff",  # an array of 4 G items, announced
        bytes([wire.VERSION]) + b"\x91" * 10_000,  # nested arrays, ten thousand deep
    ]


def _colliding_inject() -> list[bytes]:
    """An inject whose argument map holds many colliding tuple keys (hash(-1) == hash(-2))."""
    args = b"\x91\xde" + (20_000).to_bytes(2, "big")  # [ {20000 pairs} ]
    for i in range(20_000):
        args += b"\x92" + msgpack.packb(-1 if i % 2 else -2) + msgpack.packb(i) + b"\xc0"
    frame = wire.Inject(os.urandom(16), QUICK, args, True)
    return wire.fragment(wire.encode(frame), 77, 1200)


def _fragment_flood() -> list[bytes]:
    """First fragments of many big messages whose rest never comes."""
    out = []
    for i in range(300):
        message = wire.encode(wire.Inject(os.urandom(16), "#" + "x" * 60_000))
        out.append(wire.fragment(message, 1000 + i, 1200)[0])
    return out


def _replayed_inject() -> list[bytes]:
    frame = wire.Inject(b"same-request-id!", "def main():\n    return 'r' * 200000\n",
                        statecodec.dumps([]), True)
    return wire.fragment(wire.encode(frame), 5, 1200) * 40


def _forged_frames() -> list[bytes]:
    frames = [
        wire.Result("victim/1", "victim", True, statecodec.dumps({"value": "forged"})),
        wire.Result("other/1", "other", True, b"\x00" * 100_000),
        wire.Ack(os.urandom(16)), wire.Accept(os.urandom(16), ()),
        wire.Reject(os.urandom(16), "no"),
        wire.Offer(os.urandom(16), "x/1", 10**18, 10**18, 10**18, ("ab" * 32,)),
        wire.Transfer(os.urandom(16), "x/1", {"sm_id": "x/1", "family": "x/1", "origin": "x"},
                      b"\x80", (), b""),
    ]
    out = []
    for i, frame in enumerate(frames):
        out.extend(wire.fragment(wire.encode(frame), 900 + i, 1200))
    return out


ATTACKS = {
    "garbage": _garbage,
    "colliding_keys": _colliding_inject,
    "fragment_flood": _fragment_flood,
    "replayed_inject": _replayed_inject,
    "forged_frames": _forged_frames,
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
async def test_raw_datagrams_do_not_stop_a_daemon(name: str) -> None:
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery)
        datagrams = ATTACKS[name]()
        await trio.to_thread.run_sync(_blast, address, datagrams)
        await daemon.wait_until(lambda: daemon.core.counters["datagrams_in"] >= 1, timeout=PATIENCE)
        await still_serves(address)
        if name == "replayed_inject":
            assert daemon.core.counters["sms_finished"] <= 2, "one SM per request id"
            sent = daemon.core.counters["bytes_out.InjectReply"]
            assert sent < 40 * 5000, "replays are not answered with the big reply"
        if name == "forged_frames":
            assert daemon.core.counters["results_refused"] >= 2
        nursery.cancel_scope.cancel()


async def test_a_big_result_reaches_the_client_that_asked() -> None:
    """The reply is withheld from an unproven address, and the inject
    client fetches it with the token (one more round trip)."""
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery)
        big = "def main(n):\n    return 'r' * n\n"
        outcome = await inject(address, big, [60_000], wait=True, timeout=PATIENCE)
        assert outcome.ok and outcome.value == "r" * 60_000
        assert daemon.core.counters["replies_withheld"] == 1
        assert daemon.core.counters["replies_fetched"] == 1
        await still_serves(address)
        nursery.cancel_scope.cancel()


async def test_a_flood_of_injects_is_refused_not_queued() -> None:
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, max_sms=4)
        blocker = "def main():\n    return block_tag('never', 3)\n"
        await inject(address, blocker, [], wait=False, timeout=PATIENCE)  # its brick compiled
        frames = [wire.encode(wire.Inject(os.urandom(16), blocker, statecodec.dumps([]), False))
                  for _ in range(200)]
        await trio.to_thread.run_sync(_blast, address, frames)
        await daemon.wait_until(lambda: daemon.core.counters["frames_in.Inject"] >= 150,
                                timeout=10)
        assert daemon.core.sms_here <= 4
        assert daemon.core.counters["sms_rejected"] >= 100
        await daemon.wait_until(lambda: daemon.core.sms_here == 0, timeout=PATIENCE)
        await still_serves(address)
        nursery.cancel_scope.cancel()
