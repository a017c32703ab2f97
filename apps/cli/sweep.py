"""``smvm sweep SCENARIO --param ...``: a scenario over a grid of parameters and seeds."""
from __future__ import annotations

import argparse
from pathlib import Path

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "sweep"
HELP = "run a scenario over a grid of parameters and seeds"


def configure(w: argparse.ArgumentParser) -> None:
    w.add_argument("scenario", metavar="SCENARIO")
    w.add_argument("--param", action="append", required=True, metavar="NAME=V1,V2,...",
                   help="a scenario key to vary, e.g. radio.range=100,200,300")
    w.add_argument("--seeds", type=int, default=3, help="seeds per point (default 3)")
    w.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default 2)")
    w.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local process pool (default) or a Ray cluster")
    w.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to use (default: start a local Ray instance)")
    w.add_argument("--out", default=None, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sim.scenario import ScenarioError
    from sim.sweep import METRICS, parse_param, summarise, sweep, write_sweep
    if args.seeds < 1 or args.jobs < 1:
        raise UsageError("--seeds and --jobs must be at least 1")
    try:
        params = dict(parse_param(p) for p in args.param)
        rows = sweep(args.scenario, params, args.seeds, args.jobs, engine=args.engine,
                     ray_address=args.ray_address)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    names = list(params)
    table = summarise(rows, names)
    shown = Table(title=f"{Path(args.scenario).stem}: {len(rows)} runs, mean ± 95% CI")
    for column in [*names, "runs", *METRICS]:
        shown.add_column(column)
    for row in table:
        cells = [str(row[n]) for n in names] + [str(row["runs"])]
        for metric in METRICS:
            mean, half = row[metric], row[metric + "_ci95"]
            cells.append("-" if mean != mean else (f"{mean:.3g}" if half != half
                                                    else f"{mean:.3g} ± {half:.2g}"))
        shown.add_row(*cells)
    console = Console()
    console.print(shown)
    folder = Path(args.out) if args.out else Path("out") / f"{Path(args.scenario).stem}-sweep"
    paths = write_sweep(table, rows, names, folder)
    console.print(f"written: {', '.join(str(p) for p in paths)}")
    return EXIT_OK
