"""Latency of one SM hop between two node daemons on loopback, against a raw
UDP request/response of the same sizes measured in the same run.

    PYTHONPATH=. python benchmarks/hop_latency.py [--hops N] [--workers W] [--unsigned]

An SM bounces between the daemons and timestamps each hop with the node
clock (both daemons live in this process, so the clocks agree): ``now()``
before ``sys_migrate`` on one node and after it on the other. ``now()`` is the
clock as of the input that started the slice, so a hop spans one node's whole
handling of the arriving SM (decoding and checking it, running it to its next
``sys_migrate``, capturing, encoding and sending it) plus the network and the
next node's wake-up. "Cached":
the receiver already holds the brick, so the sender goes straight to TRANSFER
without code. "Not cached": every SM is a new brick, so each first hop is
OFFER / ACCEPT / TRANSFER-with-code.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import trio  # noqa: E402

from smvm.client import inject  # noqa: E402
from smvm.daemon import DaemonConfig, NodeDaemon  # noqa: E402
from smvm.node import NodeConfig  # noqa: E402

BOUNCE = '''
def main(n, salt):
    gaps = []
    for i in range(n):
        other = "b" if node_id() == "a" else "a"
        t0 = now()
        sys_migrate(other)
        gaps.append(now() - t0)
    return gaps
'''

#: The same walk, migrating from inside a function (as the routing library's
#: ``migrate`` does): the state names the function its caller was calling.
BOUNCE_CALL = '''
def hop(other):
    t0 = now()
    sys_migrate(other)
    return now() - t0

def main(n, salt):
    gaps = []
    for i in range(n):
        gaps.append(hop("b" if node_id() == "a" else "a"))
    return gaps
'''


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def pair(nursery, workers: int, signed: bool = True):
    config = NodeConfig(beacon_interval=0.05)
    a = NodeDaemon(DaemonConfig("a", "127.0.0.1", 0, node=config, seed=1, workers=workers,
                                advertise=False, signed=signed))
    b = NodeDaemon(DaemonConfig("b", "127.0.0.1", 0, node=config, seed=2, workers=workers,
                                advertise=False, signed=signed))
    addr_a, addr_b = await nursery.start(a.serve), await nursery.start(b.serve)
    a.add_peer(addr_b)
    b.add_peer(addr_a)
    await a.wait_until(lambda: "b" in a.core.neighbor_table.ids(trio.current_time()))
    await b.wait_until(lambda: "a" in b.core.neighbor_table.ids(trio.current_time()))
    return a, b, addr_a


async def measure(hops: int, workers: int, signed: bool = True) -> dict:
    async with trio.open_nursery() as nursery:
        a, b, addr_a = await pair(nursery, workers, signed)
        # cached: one SM, many hops (after the first two, both sides hold the brick)
        out = await inject(addr_a, BOUNCE, [hops + 2, 0], wait=True, timeout=120)
        assert out.ok, out.error
        cached = out.value[2:]
        out = await inject(addr_a, BOUNCE_CALL, [hops + 2, 0], wait=True, timeout=120)
        assert out.ok, out.error
        from_call = out.value[2:]
        transfer_bytes = a.core.counters["bytes_out.Transfer"] / max(1, a.core.counters["frames_out.Transfer"])
        # not cached: a new brick (salted source) per SM, one hop each
        uncached = []
        for i in range(max(20, hops // 20)):
            source = BOUNCE + f"\n# brick {i}\n"
            out = await inject(addr_a, source, [1, i], wait=True, timeout=60)
            assert out.ok, out.error
            uncached.append(out.value[0])
        code_bytes = a.core.counters["bytes_out.Transfer"]
        # throughput through one daemon: hops per second of wall time
        t0 = trio.current_time()
        out = await inject(addr_a, BOUNCE, [hops, 1], wait=True, timeout=120)
        rate = hops / (trio.current_time() - t0)
        nursery.cancel_scope.cancel()
    return {"cached": cached, "from_call": from_call, "uncached": uncached, "rate": rate,
            "transfer_bytes": transfer_bytes, "code_bytes": code_bytes}


def raw_udp(request: int, response: int, rounds: int) -> list[float]:
    """Round trips of a datagram pair of the given sizes between two sockets."""
    s1, s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s1.bind(("127.0.0.1", 0))
    s2.bind(("127.0.0.1", 0))
    payload, answer = b"x" * request, b"y" * response
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        s1.sendto(payload, s2.getsockname())
        data, peer = s2.recvfrom(65536)
        s2.sendto(answer, peer)
        s1.recvfrom(65536)
        times.append(time.perf_counter() - t0)
    s1.close()
    s2.close()
    return times


async def raw_udp_trio(request: int, response: int, rounds: int) -> list[float]:
    """The same round trips through trio's event loop, as the daemon does I/O."""
    s1, s2 = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM), trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    await s1.bind(("127.0.0.1", 0))
    await s2.bind(("127.0.0.1", 0))
    payload, answer = b"x" * request, b"y" * response
    times: list[float] = []

    async def echo():
        while True:
            data, peer = await s2.recvfrom(65536)
            await s2.sendto(answer, peer)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(echo)
        for _ in range(rounds):
            t0 = time.perf_counter()
            await s1.sendto(payload, s2.getsockname())
            await s1.recvfrom(65536)
            times.append(time.perf_counter() - t0)
        nursery.cancel_scope.cancel()
    s1.close()
    s2.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2, help="0: run SMs in the daemon")
    parser.add_argument("--unsigned", action="store_true",
                        help="daemons that neither sign nor verify (the hop's own work; a signed "
                             "SM carries a chain that grows with every hop)")
    args = parser.parse_args()
    result = trio.run(measure, args.hops, args.workers, not args.unsigned)
    size = int(result["transfer_bytes"])
    blocking = raw_udp(size, 40, 2000)
    raw = trio.run(raw_udp_trio, size, 40, 2000)
    raw50, raw99 = pct(raw, 0.5), pct(raw, 0.99)
    print(f"workers: {args.workers}; {'unsigned' if args.unsigned else 'signed'}; "
          f"hops: {args.hops}; TRANSFER without code ~{size} bytes; "
          f"all bytes of TRANSFER frames with code: {result['code_bytes']:,}")
    print(f"{'':22}{'p50 ms':>10}{'p99 ms':>10}{'p50 / raw UDP':>16}")
    for name, values in (("hop, code cached", result["cached"]),
                         ("hop from a call, cached", result["from_call"]),
                         ("hop, code not cached", result["uncached"])):
        p50, p99 = pct(values, 0.5), pct(values, 0.99)
        print(f"{name:22}{p50 * 1e3:10.3f}{p99 * 1e3:10.3f}{p50 / raw50:16.1f}")
    print(f"{'raw UDP req/resp':22}{raw50 * 1e3:10.3f}{raw99 * 1e3:10.3f}{1.0:16.1f}  (trio sockets)")
    print(f"{'  blocking sockets':22}{pct(blocking, 0.5) * 1e3:10.3f}{pct(blocking, 0.99) * 1e3:10.3f}")
    print(f"hops per second through one daemon: {result['rate']:.0f}")
    print("target: cached hop p50 <= 3x raw UDP; the Rutgers prototype: ~127 ms cached, "
          "~416 ms not cached (2004 handhelds)")


if __name__ == "__main__":
    main()
