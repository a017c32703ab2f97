"""Run one benchmark script in two source trees, alternately, and compare.

For a change that should not change speed (a restructuring): the same
script runs ROUNDS times in each tree, before and after interleaved so a
loaded machine slows both alike, and each figure it prints is kept at its
best (lowest) over the rounds, or with ``--median`` at its median (a figure
where higher is better, such as a rate, is best read that way). ``--cpu``
swaps ``time.perf_counter`` for ``time.process_time`` inside the script (CPU
time: waiting for a shared core does not count). Lines are matched by their
label; the last column is after / before. A script given by an absolute path
is the same file for both trees (only the code it imports differs).

    python benchmarks/side_by_side.py BEFORE_DIR AFTER_DIR [--rounds N] [--cpu] \\
        -- benchmarks/vm_speed.py [its arguments]

Each tree is put first on PYTHONPATH and is the script's working directory.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys

#: "label   number [number ...]": a label (two spaces or more before the first
#: number) and the figures after it.
_LINE = re.compile(r"^\s*(?P<label>\S.*?)\s{2,}(?P<numbers>-?[\d.,]+(?:\s+-?[\d.,]+)*)\b")
_CPU_SHIM = ("import runpy, sys, time; time.perf_counter = time.process_time; "
             "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def figures(text: str) -> dict[str, list[float]]:
    """label -> the numbers on its line (later lines with the same label win)."""
    out = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            try:
                out[m["label"]] = [float(n.replace(",", "")) for n in m["numbers"].split()]
            except ValueError:
                continue
    return out


def run(tree: str, script: list[str], cpu: bool) -> str:
    command = [sys.executable, *(["-c", _CPU_SHIM] if cpu else []), *script]
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{script[0]} failed in {tree}:\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time")
    parser.add_argument("--median", action="store_true",
                        help="each figure's median over the rounds instead of its best")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("name the benchmark script after --")
    cut = argv.index("--")
    args, script = parser.parse_args(argv[:cut]), argv[cut + 1:]
    seen: dict[str, dict[str, list[list[float]]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for side in ("before", "after"):
            for label, numbers in figures(run(getattr(args, side), script, args.cpu)).items():
                seen[side].setdefault(label, []).append(numbers)
    keep = statistics.median if args.median else min
    best = {side: {label: [keep(column) for column in zip(*runs)]
                   for label, runs in labels.items() if len({len(r) for r in runs}) == 1}
            for side, labels in seen.items()}
    print(f"{'median' if args.median else 'best'} of {args.rounds} rounds each, "
          f"{'CPU' if args.cpu else 'wall'} time; first figure of each line")
    print(f"{'line':<52}{'before':>10}{'after':>10}{'after/before':>14}")
    for label, numbers in best["before"].items():
        other = best["after"].get(label)
        if other and numbers[0] and len(other) == len(numbers):
            print(f"{label[:51]:<52}{numbers[0]:>10.4g}{other[0]:>10.4g}"
                  f"{other[0] / numbers[0]:>14.3f}")


if __name__ == "__main__":
    main()
