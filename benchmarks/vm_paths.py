"""CPU time of the VM's own paths, for comparing two trees side by side.

Each figure is the best of several runs, in milliseconds: a call-heavy brick
(``fib``), a brick whose every line goes through the runtime's guards
(``guards``: ``sum``, ``in``, ``str.format``, ``tuple``), capturing and
resuming an SM with a 5-deep stack 200 times, and 500 state-codec round trips
of a value with shared lists, a set and a big int. Meant for
``benchmarks/side_by_side.py`` (a restructuring must not slow these).

    PYTHONPATH=. python benchmarks/vm_paths.py
"""
from __future__ import annotations

import os
import sys
import time

# benchmarks/tagspace.py would shadow the tagspace package imported by smvm
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

from sim.line import LineWorld  # noqa: E402
from smvm import compile_brick, statecodec  # noqa: E402
from smvm.vm import Migrate, SMInstance  # noqa: E402

PROGRAMS = {
    "fib": ("""
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def main(n):
    return fib(n)
""", [25]),
    "guards": ("""
def main(n):
    xs = list(range(300))
    t = 0
    for i in range(n):
        t += sum(xs) + (i in xs) + len('{}-{}'.format(i, t % 7)) + len(tuple(xs[:3]))
    return t
""", [3000]),
}
CAPTURE = """
def level(depth, seed):
    a0 = seed; a1 = [seed, {"k": (seed, "t")}]; a2 = "s%d" % seed
    if depth == 0:
        sys_migrate("1")
        return a0
    return level(depth - 1, seed + 10) + a0
def main():
    return level(4, 1)
"""


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    host = LineWorld(2, 10**12, 256).nodes[0]
    for name, (source, args) in PROGRAMS.items():
        brick = compile_brick(source, name)
        ms = best(lambda: SMInstance(brick, host, fuel_limit=10**12, memory_mb=None)
                  .start("main", args), 15) * 1e3
        print(f"{name:<24}{ms:10.3f}")
    brick = compile_brick(CAPTURE, "capture")
    out = SMInstance(brick, host, memory_mb=None).start("main", [])
    assert isinstance(out, Migrate), out
    state = out.state
    capture = best(lambda: [SMInstance(brick, host, memory_mb=None).start("main", [])
                            for _ in range(200)], 7)
    resume = best(lambda: [SMInstance(brick, host, memory_mb=None).resume(state)
                           for _ in range(200)], 7)
    shared = [1, "x"]
    value = {"a": [shared, shared, (1, 2), {3, 4}], "b": [list(range(50)) for _ in range(20)],
             "c": 1 << 80}
    codec = best(lambda: [statecodec.loads(statecodec.dumps(value)) for _ in range(500)], 7)
    for label, seconds in (("capture x200", capture), ("resume x200", resume),
                           ("codec round trip x500", codec)):
        print(f"{label:<24}{seconds * 1e3:10.3f}")


if __name__ == "__main__":
    main()
