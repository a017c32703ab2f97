"""What signing and journaling cost per hop, measured side by side in one run.

    PYTHONPATH=. python benchmarks/trust_cost.py [--hops N] [--rounds R]

1. Sign + verify alone: the sender's hop record and the receiver's check of
   the chain, for an SM whose earlier hops the receiver verified before (the
   usual case: records are remembered by digest) and for a cold receiver.
2. A cached hop between two daemons on loopback in this process (no worker
   processes), four ways in alternating rounds: unsigned, signed, signed and
   journaled without fsync, signed and journaled with fsync. Median of the
   rounds' median hop times; ratios against unsigned.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import trio  # noqa: E402

from smvm.client import inject  # noqa: E402
from smvm.daemon import DaemonConfig, NodeDaemon  # noqa: E402
from smvm.node import NodeConfig  # noqa: E402
from smvm.node.provenance import NodeTrust  # noqa: E402
from smvm.trust import NodeKey, pack_chain  # noqa: E402

BOUNCE = '''
def main(n):
    gaps = []
    for i in range(n):
        other = "b" if node_id() == "a" else "a"
        t0 = now()
        sys_migrate(other)
        gaps.append(now() - t0)
    return gaps
'''


def sign_verify(hops: int) -> dict:
    a, b = NodeTrust("a", NodeKey.from_seed(b"a")), NodeTrust("b", NodeKey.from_seed(b"b"))
    cont = os.urandom(600)
    chain = a.birth(sm_id="a/1", family="a/1", origin="a", code=("c0de",), args=b"", now=0.0)
    warm, cold, sizes = [], [], []
    nodes = {"a": a, "b": b}
    for i in range(hops):
        sender, receiver = ("a", "b") if i % 2 == 0 else ("b", "a")
        hop_id = i.to_bytes(16, "big")
        t0 = time.perf_counter()
        chain = nodes[sender].hop(chain, receiver, hop_id=hop_id, continuation=cont, now=float(i),
                                  sm_id="a/1")
        nodes[receiver].admit(chain, sm_id="a/1", hop_id=hop_id, continuation=cont,
                              code_hash="c0de")
        warm.append(time.perf_counter() - t0)
        sizes.append(len(pack_chain(chain)))
    for _ in range(20):  # a receiver that has seen none of it
        fresh = NodeTrust("c", NodeKey.from_seed(b"c"))
        t0 = time.perf_counter()
        fresh.verifier.walk(chain)
        cold.append(time.perf_counter() - t0)
    return {"warm_us": statistics.median(warm) * 1e6, "cold_us_per_record":
            statistics.median(cold) / len(chain) * 1e6, "chain_bytes_per_hop":
            (sizes[-1] - sizes[0]) / (len(sizes) - 1)}


async def bounce(hops: int, signed: bool, state: str | None, sync: str) -> float:
    config = NodeConfig(beacon_interval=0.05)
    made = []
    for name, seed in (("a", 1), ("b", 2)):
        made.append(NodeDaemon(DaemonConfig(
            name, "127.0.0.1", 0, node=config, seed=seed, workers=0, advertise=False,
            signed=signed, state_dir=os.path.join(state, name) if state else None,
            journal_sync=sync)))
    a, b = made
    async with trio.open_nursery() as nursery:
        addr_a, addr_b = await nursery.start(a.serve), await nursery.start(b.serve)
        a.add_peer(addr_b)
        b.add_peer(addr_a)
        await a.wait_until(lambda: "b" in a.core.neighbor_table.ids(a.clock()))
        await b.wait_until(lambda: "a" in b.core.neighbor_table.ids(b.clock()))
        out = await inject(addr_a, BOUNCE, [hops + 2], wait=True, timeout=300)
        assert out.ok, out.error
        nursery.cancel_scope.cancel()
    return statistics.median(out.value[2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sv = sign_verify(args.hops)
    print(f"sign + verify per hop (receiver saw the earlier hops): {sv['warm_us']:.0f} us")
    print(f"verify per record, cold receiver: {sv['cold_us_per_record']:.0f} us")
    print(f"chain growth: {sv['chain_bytes_per_hop']:.0f} bytes per hop")
    modes = {"unsigned": (False, False, "never"), "signed": (True, False, "never"),
             "signed+journal": (True, True, "never"),
             "signed+journal+fsync": (True, True, "always")}
    runs: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.rounds):
        for mode, (signed, journal, sync) in modes.items():
            with tempfile.TemporaryDirectory() as state:
                runs[mode].append(trio.run(bounce, args.hops, signed,
                                           state if journal else None, sync))
    base = statistics.median(runs["unsigned"])
    print(f"\ncached hop between two daemons (median of {args.rounds} rounds of {args.hops} hops):")
    for mode, values in runs.items():
        med = statistics.median(values)
        print(f"  {mode:22} {med * 1e3:7.3f} ms  {med / base:5.2f}x unsigned  "
              f"(+{(med - base) * 1e6:6.0f} us)")


if __name__ == "__main__":
    main()
