"""Soak: three node daemons (separate processes, loopback UDP) under a mix of
hostile SMs and malformed, oversized, replayed and colliding datagrams sent
at a fixed rate, while benign SMs (each hopping across the three daemons)
keep completing.

Reports daemon crashes (must be 0), benign SMs completed, refused at once
(a clean REJECT: the node had no room) and lost (no or a wrong answer: must
be 0), each daemon's RSS before and after the attack, its main-loop stall
p99 (the longest stretches the daemon's trio loop ran one task step, from a
trio instrument inside each daemon) and the benign latency under attack as a
ratio of the latency measured just before, side by side in one run.

    PYTHONPATH=. python benchmarks/soak.py                 # 10 minutes
    PYTHONPATH=. python benchmarks/soak.py --seconds 60    # shorter (CI)
    PYTHONPATH=. python benchmarks/soak.py --addresses 50  # an attacker with 50 addresses
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# benchmarks/tagspace.py must not shadow the package of that name
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import msgpack  # noqa: E402
import trio  # noqa: E402

from smvm import statecodec, wire  # noqa: E402

BENIGN = '''
def main(route, n):
    total = 0
    for i in range(n):
        total += i
    for hop in route:
        sys_migrate(hop)
    return [node_id(), total]
'''

HOSTILE = [
    "def main():\n    x = 0\n    while True:\n        x += 1\n",
    "def main():\n    for i in range(100):\n        log('x' * 1000000)\n",
    "def child():\n    return block_tag('never', None)\n\ndef main():\n"
    "    for i in range(200):\n        try:\n            spawn(child)\n"
    "        except RuntimeError:\n"
    "            pass\n    return block_tag('never', None)\n",
    "def main():\n    return 'r' * 250000\n",
    "def main():\n    t = ()\n    for i in range(1000000):\n        t = (t,)\n    return {t}\n",
    "def main():\n    return 7 ** (10 ** 9)\n",
    "def main():\n    return sum(range(10 ** 12))\n",
    "def main():\n    create_tag('t', 1, 10 ** 400)\n",
    "def main():\n    raise ValueError('m' * 5000000)\n",
    "def main():\n    return 0.5 in range(10 ** 18)\n",
]

NAMES = ("a", "b", "c")


# ---- one daemon (a child process) ---------------------------------------------------

class StallMeter(trio.abc.Instrument):
    """How long each task step held the daemon's loop."""

    def __init__(self) -> None:
        self.steps: list[float] = []
        self._started = 0.0

    def before_task_step(self, task) -> None:
        self._started = time.perf_counter()

    def after_task_step(self, task) -> None:
        took = time.perf_counter() - self._started
        if took > 0.0005:  # keep only steps that could matter
            self.steps.append(took)


def run_daemon(name: str, port: int, peers: list[int], stats_file: str) -> None:
    from smvm.daemon import DaemonConfig, NodeDaemon
    from smvm.node import NodeConfig
    meter = StallMeter()
    config = DaemonConfig(name, "127.0.0.1", port, peers=[("127.0.0.1", p) for p in peers],
                          advertise=False, signed=False, workers=1, slice_seconds=5.0,
                          node=NodeConfig(beacon_interval=0.5, cpu_seconds=3.0))

    killed = [0]

    async def main() -> None:
        daemon = NodeDaemon(config)
        with trio.open_signal_receiver(signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                await nursery.start(daemon.serve)

                async def stop():
                    async for _ in signals:
                        # workers killed under attack (stopping kills the rest)
                        killed[0] = daemon.pool.killed if daemon.pool else 0
                        nursery.cancel_scope.cancel()
                        return
                nursery.start_soon(stop)
        with open(stats_file, "w") as f:
            json.dump({"steps": meter.steps, "counters": dict(daemon.core.counters),
                       "workers_killed": killed[0]}, f)

    trio.run(main, instruments=[meter])


# ---- the driver ------------------------------------------------------------------------

def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _hostile_datagrams(rng: random.Random) -> list[bytes]:
    """One attack of a random kind, as the datagrams to send."""
    kind = rng.randrange(6)
    if kind == 0:  # garbage of every size
        return [rng.randbytes(rng.choice((1, 2, 50, 1200, 9000)))]
    if kind == 1:  # first fragments of big messages that never complete
        message = wire.encode(wire.Inject(rng.randbytes(16), "#" + "x" * 200_000))
        return wire.fragment(message, rng.getrandbits(32), 1200)[:3]
    if kind == 2:  # a replayed inject (same request id every time)
        frame = wire.Inject(b"soak-replayed-id", HOSTILE[3], statecodec.dumps([]), True)
        return wire.fragment(wire.encode(frame), rng.getrandbits(32), 1200)
    if kind == 3:  # colliding tuple keys in an inject's arguments
        args = b"\x91\xde" + (3000).to_bytes(2, "big")
        for i in range(3000):
            args += b"\x92" + msgpack.packb(-1 if i % 2 else -2) + msgpack.packb(i) + b"\xc0"
        frame = wire.Inject(rng.randbytes(16), BENIGN, args, False)
        return wire.fragment(wire.encode(frame), rng.getrandbits(32), 1200)
    if kind == 4:  # forged frames
        frame = rng.choice([
            wire.Result("a/1", "a", True, statecodec.dumps({"value": "forged"})),
            wire.Ack(rng.randbytes(16)),
            wire.Offer(rng.randbytes(16), "x/1", 10**18, 10**18, 10**18, ("ab" * 32,)),
            wire.Transfer(rng.randbytes(16), "x/1", {"sm_id": "x/1", "family": "x/1",
                                                     "origin": "x"}, b"\x80", (), b"")])
        return wire.fragment(wire.encode(frame), rng.getrandbits(32), 1200)
    # a hostile SM, injected without waiting
    frame = wire.Inject(rng.randbytes(16), rng.choice(HOSTILE), statecodec.dumps([]), False)
    return wire.fragment(wire.encode(frame), rng.getrandbits(32), 1200)


async def _benign(ports: list[int], seconds: float, rate: float, rng: random.Random,
                  latencies: list[float], lost: list[str], refused: list[str]) -> None:
    """Benign SMs at ``rate`` per second, each hopping across the daemons:
    completed (their latency kept), refused at once by a node with no room
    (a clean REJECT the client may retry), or lost (no or a wrong answer)."""
    from smvm.client import inject

    async def one(i: int) -> None:
        start = rng.randrange(3)
        route = [NAMES[(start + k) % 3] for k in (1, 2)]
        began = time.perf_counter()
        try:
            outcome = await inject(("127.0.0.1", ports[start]), BENIGN, [route, 1000],
                                   wait=True, timeout=60)
        except trio.TooSlowError:
            lost.append(f"benign {i}: no answer in 60 s")
            return
        if not outcome.ok and (outcome.error or {}).get("type") == "Rejected":
            refused.append(f"benign {i}: {outcome.error['message']}")
            return
        if not outcome.ok or outcome.value != [route[-1], sum(range(1000))]:
            lost.append(f"benign {i}: {outcome.error or outcome.value}")
            return
        latencies.append(time.perf_counter() - began)

    async with trio.open_nursery() as nursery:
        deadline = trio.current_time() + seconds
        i = 0
        while trio.current_time() < deadline:
            nursery.start_soon(one, i)
            i += 1
            await trio.sleep(1.0 / rate)


async def _wait_until_up(ports: list[int]) -> None:
    from smvm.client import NodeUnreachable, query_status
    with trio.fail_after(60):
        for port in ports:
            while True:
                try:
                    await query_status(("127.0.0.1", port), timeout=2.0)
                    break
                except (NodeUnreachable, trio.TooSlowError):
                    await trio.sleep(0.2)


def _attack(ports: list[int], seconds: float, rate: float, seed: int, addresses: int) -> int:
    """Attacks at ``rate`` per second from ``addresses`` source sockets in turn
    (each address is a client the daemons budget separately)."""
    rng = random.Random(seed)
    sent = 0
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(addresses)]
    try:
        end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < end:
            port, sock = rng.choice(ports), socks[sent % addresses]
            for datagram in _hostile_datagrams(rng):
                try:
                    sock.sendto(datagram, ("127.0.0.1", port))
                except OSError:
                    pass
            sent += 1
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        for sock in socks:
            sock.close()
    return sent


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def drive(seconds: float, attack_rate: float, benign_rate: float, seed: int,
          addresses: int = 1) -> int:
    ports = _free_ports(3)
    tmp = tempfile.mkdtemp(prefix="soak-")
    procs = []
    for k, name in enumerate(NAMES):
        peers = [p for j, p in enumerate(ports) if j != k]
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--daemon", name, "--port", str(ports[k]),
             "--peers", ",".join(map(str, peers)), "--stats", os.path.join(tmp, name + ".json")],
            stderr=open(os.path.join(tmp, name + ".log"), "w")))
    try:
        return _measure(procs, ports, tmp, seconds, attack_rate, benign_rate, seed, addresses)
    finally:
        for p in procs:  # never leave a daemon behind
            if p.poll() is None:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(procs, ports, tmp, seconds, attack_rate, benign_rate, seed, addresses) -> int:
    trio.run(_wait_until_up, ports)
    time.sleep(2.0)  # neighbours heard
    rng = random.Random(seed)
    baseline, lost_before, refused_before = [], [], []
    warmup = max(10.0, seconds / 10)
    trio.run(_benign, ports, warmup, benign_rate, rng, baseline, lost_before, refused_before)
    print(f"baseline: {len(baseline)} benign SMs", file=sys.stderr)
    rss_before = [_rss_kib(p.pid) for p in procs]
    under, lost, refused = [], [], []
    samples: list[list[int]] = []  # the daemons' RSS at each tenth of the attack

    async def sample_rss():
        for _ in range(10):
            await trio.sleep(seconds / 10)
            samples.append([_rss_kib(p.pid) for p in procs])

    async def both():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.to_thread.run_sync, _attack, ports, seconds, attack_rate,
                               seed, addresses)
            nursery.start_soon(sample_rss)
            await _benign(ports, seconds, benign_rate, rng, under, lost, refused)
    trio.run(both)
    print("attack over", file=sys.stderr)
    rss_after = [_rss_kib(p.pid) for p in procs]
    crashes = sum(p.poll() is not None for p in procs)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            crashes += 1
    stalls, counters, killed = [], {}, 0
    for name in NAMES:
        try:
            with open(os.path.join(tmp, name + ".json")) as f:
                data = json.load(f)
            stalls.extend(data["steps"])
            killed += data.get("workers_killed", 0)
            for key, value in data["counters"].items():
                counters[key] = counters.get(key, 0) + value
        except (OSError, ValueError):
            crashes += 1
    print(f"soak: {seconds:g} s of attack at {attack_rate:g} attacks/s from {addresses} "
          f"address(es) on 3 daemons, benign SMs at {benign_rate:g}/s (seed {seed})")
    print(f"daemon crashes                     {crashes}")
    print(f"worker processes killed            {killed}")
    print(f"benign completed / refused / lost  {len(under)} / {len(refused)} / {len(lost)} "
          f"under attack ({len(baseline)} / {len(refused_before)} / {len(lost_before)} before)")
    for reason in lost[:5]:
        print(f"  lost: {reason}")
    for reason in refused[:3]:
        print(f"  refused: {reason}")
    print("RSS before -> after (MiB)          " + ", ".join(
        f"{n}: {b / 1024:.0f} -> {a / 1024:.0f}" for n, b, a in zip(NAMES, rss_before, rss_after)))
    print("RSS, largest daemon, each tenth     " + " ".join(
        f"{max(sample) / 1024:.0f}" for sample in samples) + " MiB")
    print(f"main-loop step p99 / max           {_p(stalls, 0.99) * 1000:.1f} ms / "
          f"{max(stalls, default=0) * 1000:.1f} ms (steps over 0.5 ms: {len(stalls)})")
    if baseline and under:
        before, during = statistics.median(baseline), statistics.median(under)
        print(f"benign latency median              {before * 1000:.0f} ms before, "
              f"{during * 1000:.0f} ms under attack "
              f"(x{during / before:.2f}); "
              f"p99 x{_p(under, 0.99) / _p(baseline, 0.99):.2f}")
    print("node counters (3 daemons)          " + ", ".join(
        f"{k}: {counters.get(k, 0)}" for k in ("sms_rejected", "malformed", "results_refused",
                                               "refused", "replies_withheld",
                                               "duplicates_suppressed", "sms_failed",
                                               "sms_finished", "sms_restarted")))
    return 1 if crashes or lost else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--attack-rate", type=float, default=20.0, help="attacks per second")
    parser.add_argument("--benign-rate", type=float, default=2.0, help="benign SMs per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--addresses", type=int, default=1,
                        help="source addresses the attacker sends from, in turn")
    parser.add_argument("--daemon", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--peers", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.daemon:
        run_daemon(args.daemon, args.port, [int(p) for p in args.peers.split(",")], args.stats)
        return
    sys.exit(drive(args.seconds, args.attack_rate, args.benign_rate, args.seed,
                   args.addresses))


if __name__ == "__main__":
    main()
