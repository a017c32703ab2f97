"""Wire codec cost against bare msgpack, measured side by side in one run.

For each case, times the smvm.wire operation and a baseline doing only the
msgpack (or bytes) work on the same data, interleaved and best of several
repeats with the garbage collector off, and prints the ratio:

* encode / decode of small frames (Offer, Ack, Beacon) and of a 1 MiB Transfer,
  against ``msgpack.packb`` / ``msgpack.unpackb`` of the same field lists
  (the ratio is the cost of validation, limits and building dataclasses);
* fragment + reassemble a 1 MiB message (MTU 1200) against slicing it into
  the same chunks and joining them (the ratio is the reassembler's bookkeeping).

    PYTHONPATH=. python benchmarks/wire_codec.py [--repeat N]
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgpack  # noqa: E402

from smvm.wire import (  # noqa: E402
    Ack,
    Beacon,
    Offer,
    Reassembler,
    Transfer,
    decode,
    encode,
    fragment,
)

HOP = bytes(range(16))
BRICKS = tuple(f"{i:064x}" for i in range(4))
IDENTITY = {"sm_id": "sm42", "family": "sm1", "origin": "node-a"}
MiB = 1024 * 1024


def best(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def measure(pairs: list[tuple[str, Callable, Callable, int]], repeat: int) -> None:
    print(f"{'case':36} {'smvm.wire':>12} {'baseline':>12} {'ratio':>7}")
    gc.disable()
    try:
        for name, ours, base, n in pairs:
            t_ours = t_base = float("inf")
            for _ in range(repeat):
                t_ours = min(t_ours, best(ours, n))
                t_base = min(t_base, best(base, n))
            print(f"{name:36} {t_ours * 1e6:10.1f}us {t_base * 1e6:10.1f}us "
                  f"{t_ours / t_base:7.2f}")
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    small = {
        "Offer": Offer(HOP, "sm42", 10_000, 4096, 1 << 20, BRICKS),
        "Ack": Ack(HOP),
        "Beacon": Beacon("node-a", 17, (46.52, 6.63), ("Taxi", "gps")),
    }
    big = Transfer(HOP, "sm42", IDENTITY, bytes(MiB // 2), ((BRICKS[0], "x = 1\n" * 1000),),
                   bytes(MiB // 2))
    cases = []
    for name, frame in [*small.items(), ("Transfer 1 MiB", big)]:
        data = encode(frame)
        fields = msgpack.unpackb(data[1:])
        n = 20_000 if len(data) < 1000 else 200
        cases.append((f"encode {name}", lambda f=frame: encode(f),
                      lambda x=fields: msgpack.packb(x), n))
        cases.append((f"decode {name}", lambda d=data: decode(d),
                      lambda d=data: msgpack.unpackb(d[1:]), n))

    message = encode(big)
    chunk = 1200 - 10

    def ours() -> None:
        r = Reassembler()
        for d in fragment(message, 1):
            r.feed(d, "peer", 0.0)

    def base() -> None:
        parts = [message[i:i + chunk] for i in range(0, len(message), chunk)]
        b"".join(parts)

    cases.append(("fragment+reassemble 1 MiB", ours, base, 20))
    measure(cases, args.repeat)


if __name__ == "__main__":
    main()
