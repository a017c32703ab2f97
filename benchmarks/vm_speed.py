"""VM speed against plain CPython, measured side by side in one run.

Each compute-bound brick runs in the VM (fuel accounting on, compiled for
migration) and as plain Python (the same source, primitives stubbed); the
ratio is VM time / CPython time, best of several repeats. Also measures the
cost of capturing and resuming an SM with a 5-deep stack of 10 locals each,
against a bare msgpack round trip of the same values.

``--suite`` measures programs of the pyperformance suite (installed with the
``bench`` extra), taken unchanged apart from their timing harness (see
``benchmarks/_pyperformance.py``): times are CPU times (``process_time``),
VM and CPython interleaved, best of the repeats.

    python benchmarks/vm_speed.py [--repeat N] [--suite] [--only a,b]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

# benchmarks/tagspace.py would shadow the tagspace package imported by smvm
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import msgpack  # noqa: E402

from smvm import compile_brick, statecodec  # noqa: E402
from sim.line import LineWorld  # noqa: E402
from smvm.slices import Resume, SliceJob, Start, run_slice  # noqa: E402
from smvm.vm import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, Migrate, SMInstance  # noqa: E402

PROGRAMS = {
    "sieve": ("""
def main(n):
    flags = [True] * (n + 1)
    flags[0] = flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    return sum(1 for f in flags if f)
""", [300_000]),
    "fib": ("""
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def main(n):
    return fib(n)
""", [24]),
    "word_count": ("""
def main(n):
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    text = " ".join(words[(i * 7) % len(words)] for i in range(n))
    counts = {}
    for w in text.split():
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return top[:3], len(text.upper())
""", [200_000]),
    "nbody": ("""
def main(steps):
    bodies = [[0.0, 0.0, 0.0, 0.0, 39.47], [4.84, -1.16, 0.60, 1.66, 0.037],
              [8.34, 4.12, -1.01, 1.82, 0.011], [12.89, -15.11, 1.08, 0.86, 0.0017],
              [15.37, -25.91, 0.97, 0.59, 0.002]]
    dt = 0.01
    for _ in range(steps):
        n = len(bodies)
        for i in range(n):
            bi = bodies[i]
            for j in range(i + 1, n):
                bj = bodies[j]
                dx = bi[0] - bj[0]
                dy = bi[1] - bj[1]
                d2 = dx * dx + dy * dy
                mag = dt / (d2 * d2 ** 0.5)
                bi[2] -= dx * bj[4] * mag
                bi[3] -= dy * bj[4] * mag
                bj[2] += dx * bi[4] * mag
                bj[3] += dy * bi[4] * mag
        for b in bodies:
            b[0] += dt * b[2]
            b[1] += dt * b[3]
    return round(bodies[0][0], 6)
""", [20_000]),
    "calls_and_strings": ("""
def norm(s):
    return s.strip().lower().replace("-", "_")
def main(n):
    out = []
    for i in range(n):
        key = norm(f"  Item-{i % 97}  ")
        out.append(key[:8] + str(i % 10))
    return len(set(out)), out[-1]
""", [150_000]),
}


def _Host():
    return LineWorld(2, DEFAULT_FUEL, 256).nodes[0]


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_programs(repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    for name, (source, args) in PROGRAMS.items():
        brick = compile_brick(source, name)
        plain_ns: dict = {}
        exec(compile(source, name, "exec"), plain_ns)

        def vm_run():
            sm = SMInstance(brick, _Host(), fuel_limit=10**12, memory_mb=None)
            outcome = sm.start("main", args)
            assert outcome.__class__.__name__ == "Finished", outcome
            return outcome.value

        def cpy_run():
            return plain_ns["main"](*args)

        assert vm_run() == cpy_run(), name
        rows.append((name, _best(vm_run, repeat), _best(cpy_run, repeat)))
    return rows


CAPTURE_SOURCE = """
def level(depth, seed):
    a0 = seed; a1 = seed + 1; a2 = "s%d" % seed; a3 = [seed, seed]; a4 = {"k": seed}
    a5 = seed * 1.5; a6 = (seed, "t"); a7 = None; a8 = True; a9 = b"xy"
    if depth == 0:
        sys_migrate("1")
        return a0 + a1
    return level(depth - 1, seed + 10) + a0
def main():
    return level(4, 1)
"""


def bench_capture(repeat: int) -> dict:
    brick = compile_brick(CAPTURE_SOURCE, "capture")
    host = _Host()

    def capture():
        out = SMInstance(brick, host, memory_mb=None).start("main", [])
        assert isinstance(out, Migrate)
        return out.state

    state = capture()

    def resume():
        SMInstance(brick, host, memory_mb=None).resume(state)

    def instance():
        SMInstance(brick, host, memory_mb=None)

    # The same two steps as nodes, workers and the exec line take them: the
    # slice pipeline, which also frees an activation that moved on at once.
    principal = SMInstance(brick, host).principal

    def job(step) -> SliceJob:
        return SliceJob("sm", brick, principal, step, fuel_limit=DEFAULT_FUEL, fuel_used=0,
                        memory_mb=None, cpu_seconds=DEFAULT_CPU_SECONDS, fuel_slice=None)

    def piped_capture():
        out = run_slice(job(Start("main", [])), host)
        assert isinstance(out, Migrate)

    def piped_resume():
        run_slice(job(Resume(state)), host)

    sm = SMInstance(brick, host, memory_mb=None)
    sm.start("main", [])  # runs the module, so its functions can be named
    refs, table = sm.function_refs(), sm.function_table()
    decoded = statecodec.loads(state, functions=table)

    def codec():
        statecodec.loads(statecodec.dumps(decoded, functions=refs), functions=table)

    values = []
    for seed in (1, 11, 21, 31, 41):
        values.append([seed, seed + 1, "s%d" % seed, [seed, seed], {"k": seed}, seed * 1.5,
                       (seed, "t"), None, True, b"xy"])

    def msgpack_roundtrip():
        msgpack.unpackb(msgpack.packb(values), strict_map_key=False)

    n = 1000
    per = {name: _best(lambda f=f: [f() for _ in range(n)], repeat) / n * 1e6
           for name, f in (("capture", capture), ("resume", resume), ("instance", instance),
                           ("codec", codec), ("msgpack", msgpack_roundtrip),
                           ("piped_capture", piped_capture), ("piped_resume", piped_resume))}
    per["state_bytes"] = len(state)
    per["msgpack_bytes"] = len(msgpack.packb(values))
    return per


def _suite():
    """``benchmarks/_pyperformance.py`` (this directory is off the path)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_pyperformance",
                                                  os.path.join(_HERE, "_pyperformance.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def bench_suite(repeat: int, only: list[str] | None) -> list[tuple[str, float, float]]:
    """The pyperformance programs: VM and CPython runs interleaved (so a
    loaded machine slows both alike), CPU time, best of ``repeat``."""
    suite = _suite()
    HARNESS, program_source = suite.HARNESS, suite.program_source  # noqa: N806
    rows = []
    for name in only or HARNESS:
        source, n = program_source(name), HARNESS[name][1]
        brick = compile_brick(source, name)
        host = _Host()
        vm_times, py_times = [], []
        for _ in range(repeat):
            plain_ns: dict = {}
            exec(compile(source, name, "exec"), plain_ns)  # a fresh module, as the VM's
            t0 = time.process_time()
            expected = plain_ns["main"](n)
            py_times.append(time.process_time() - t0)
            t0 = time.process_time()
            outcome = SMInstance(brick, host, fuel_limit=10**12, memory_mb=None).start("main", [n])
            vm_times.append(time.process_time() - t0)
            assert outcome.__class__.__name__ == "Finished", (name, outcome)
            assert outcome.value == expected, (name, outcome.value, expected)
        rows.append((name, min(vm_times), min(py_times)))
    return rows


def _print_rows(rows, target: float) -> None:
    print(f"{'program':<20}{'VM s':>10}{'CPython s':>12}{'ratio':>8}")
    for name, t_vm, t_py in rows:
        print(f"{name:<20}{t_vm:>10.4f}{t_py:>12.4f}{t_vm / t_py:>8.2f}")
    geo = math.exp(statistics.fmean(math.log(v / p) for _, v, p in rows))
    worst = max(v / p for _, v, p in rows)
    print(f"{'geometric mean':<42}{geo:>8.2f}   (target <= {target}; worst {worst:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--suite", action="store_true",
                        help="the pyperformance programs instead of the built-in bricks")
    parser.add_argument("--only", help="comma-separated pyperformance programs")
    args = parser.parse_args()
    if args.suite:
        REFUSED, suite_version = _suite().REFUSED, _suite().suite_version
        print(f"pyperformance {suite_version()}, programs taken unchanged apart from their harness")
        _print_rows(bench_suite(args.repeat, args.only.split(",") if args.only else None), 1.25)
        print("\nrefused by the compiler:")
        for name, why in REFUSED.items():
            print(f"  {name:<16}{why}")
        return
    rows = bench_programs(args.repeat)
    print(f"{'program':<20}{'VM s':>10}{'CPython s':>12}{'ratio':>8}")
    for name, t_vm, t_py in rows:
        print(f"{name:<20}{t_vm:>10.4f}{t_py:>12.4f}{t_vm / t_py:>8.2f}")
    geo = math.exp(statistics.fmean(math.log(v / p) for _, v, p in rows))
    print(f"{'geometric mean':<42}{geo:>8.2f}   (target <= 1.5)")
    cap = bench_capture(args.repeat)
    total = cap["capture"] + cap["resume"]
    mp = cap["msgpack"]
    print("\nmigration of an SM with a 5-deep stack of 10 locals each (microseconds):")
    print(f"  capture (run to sys_migrate, unwind, encode)    {cap['capture']:8.1f}")
    print(f"  resume (decode, validate, rebuild the stack)    {cap['resume']:8.1f}")
    print(f"  of which SM instance setup, per side            {cap['instance']:8.1f}")
    print(f"  state codec alone (dumps + loads)               {cap['codec']:8.1f}  "
          f"ratio {cap['codec'] / mp:.2f}")
    print(f"  bare msgpack round trip of the same values      {mp:8.1f}")
    print(f"  capture + resume vs bare msgpack: ratio {total / mp:.1f} (target <= 10)")
    print(f"  capture, through the slice pipeline (nodes)     {cap['piped_capture']:8.1f}")
    print(f"  resume, through the slice pipeline (nodes)      {cap['piped_resume']:8.1f}")
    piped = cap["piped_capture"] + cap["piped_resume"]
    print(f"  the same through the slice pipeline: ratio {piped / mp:.1f}")
    print(f"serialized SM state: {cap['state_bytes']} bytes (bare msgpack of the values: "
          f"{cap['msgpack_bytes']} bytes)")


if __name__ == "__main__":
    main()
