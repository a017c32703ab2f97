"""The hottest-spot program in the spatial notation against a hand-written SM
doing the same walk with ``routing.migrate`` and ``sys_migrate``.

    .venv/bin/python benchmarks/spatial.py [--sizes 10,50,200] [--seed 1]

Each world is a square grid of sensors 60 m apart (radio range 100 m, so
diagonal neighbours hear each other) with a circular hill holding about N of
them; a third of the hill's sensors are Hot, with seeded random temperatures
(and a water valve), and a hotter Hot sensor stands just outside the hill. Both
programs start at the grid's corner node 0 after three beacon intervals,
find the hottest Hot sensor inside the hill and open its valve. Printed per
world, side by side from the same run of the same scenario: bytes (every frame
but beacons), the program's hops, virtual completion time, and the ratios
spatial / hand-written; then both programs' lengths in lines of code.
Deterministic: the same arguments print the same table.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# this file is not the `spatial` package
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

from sim.program import run_program  # noqa: E402
from sim.scenario import NodeSettings, Scenario  # noqa: E402
from smvm.compiler import load_brick  # noqa: E402

BRICKS = os.path.join(HERE, "bricks")
SPACING = 60.0


def world(n: int, seed: int) -> tuple[Scenario, list[float], float, float, str]:
    """A grid with a hill of about ``n`` nodes: scenario, centre, radius, and
    the expected answer (hottest temperature, its node)."""
    radius = SPACING * math.sqrt(n / math.pi)
    side = int(math.ceil((2 * radius + 4 * SPACING) / SPACING)) + 1
    centre = [SPACING * (side - 1) / 2] * 2
    rng = random.Random(seed)
    inside = [k for k in range(side * side)
              if (SPACING * (k % side) - centre[0]) ** 2
              + (SPACING * (k // side) - centre[1]) ** 2 <= radius ** 2]
    hot = sorted(rng.sample(inside, max(1, len(inside) // 3)))
    settings = {k: NodeSettings(k, tags={"Hot": True, "temp": round(rng.uniform(20, 40), 2)},
                                actuators=("water",)) for k in hot}
    outside = next(k for k in range(side * side) if k not in inside and
                   (SPACING * (k % side) - centre[0]) ** 2
                   + (SPACING * (k // side) - centre[1]) ** 2 <= (radius + SPACING) ** 2)
    settings[outside] = NodeSettings(outside, tags={"Hot": True, "temp": 99.0},
                                     actuators=("water",))
    best = max(hot, key=lambda k: settings[k].tags["temp"])
    sc = Scenario(name=f"hill{n}", seed=seed, duration=600.0, radio_range=100.0,
                  count=side * side, placement="grid", spacing=SPACING,
                  node_settings=settings)
    return sc, centre, radius, len(inside), [settings[best].tags["temp"], str(best)]


def lines(path: str) -> int:
    """Lines of code: not blank, not only a comment."""
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and not line.strip().startswith("#"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,50,200")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    programs = {name: os.path.join(BRICKS, f"hottest_{name}.py") for name in ("spatial", "by_hand")}
    sources = {name: load_brick(path) for name, path in programs.items()}
    print(f"{'hill':>6} {'program':>8} {'bytes':>10} {'hops':>6} {'time s':>8}  result")
    for n in (int(x) for x in args.sizes.split(",")):
        sc, centre, radius, count, expected = world(n, args.seed)
        row = {}
        for name, source in sources.items():
            out = run_program(sc, source, [centre, radius], name=os.path.basename(programs[name]))
            ok = out.error is None and out.result == expected
            row[name] = out
            print(f"{count:>6} {name:>8} {out.bytes:>10,} {out.hops:>6} "
                  f"{out.time if out.time is not None else float('nan'):>8.3f}  "
                  f"{out.result if ok else ('WRONG ' + str(out.result or out.error))}")
        s, h = row["spatial"], row["by_hand"]
        if s.time and h.time:
            print(f"{count:>6} {'ratio':>8} {s.bytes / h.bytes:>10.2f} {s.hops / h.hops:>6.2f} "
                  f"{s.time / h.time:>8.2f}")
    ls, lh = lines(programs["spatial"]), lines(programs["by_hand"])
    print(f"lines of code: spatial {ls}, by hand {lh} (ratio {ls / lh:.2f})")


if __name__ == "__main__":
    main()
