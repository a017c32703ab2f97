"""``smvm sweep SCENARIO.toml --param ...`` or ``smvm sweep SCRIPT.py``: a
scenario over a grid of parameters and seeds."""
from __future__ import annotations

import argparse
from pathlib import Path

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "sweep"
HELP = ("run a scenario (TOML; an application's scenario too) or a sweep script (Python) over "
        "a grid of parameters and seeds")
DEFAULTS = {"seeds": 3, "jobs": 2, "engine": "local"}


def configure(w: argparse.ArgumentParser) -> None:
    w.add_argument("scenario", metavar="SCENARIO",
                   help="a scenario file (.toml), or a sweep script (.py) defining scenario "
                        "and grid (see docs/sim.md)")
    w.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="a scenario key to vary, e.g. radio.range=100,200,300 (TOML only)")
    w.add_argument("--seeds", type=int, default=None,
                   help="seeds per point (default: the script's seeds, else 3)")
    w.add_argument("--jobs", type=int, default=None,
                   help="parallel worker processes (default: the script's jobs, else 2)")
    w.add_argument("--engine", choices=["local", "ray"], default=None,
                   help="local process pool (default) or a Ray cluster")
    w.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to use (default: start a local Ray instance)")
    w.add_argument("--out", default=None, metavar="DIR",
                   help="write the table, the runs and the plot here (default out/NAME-sweep)")
    w.add_argument("--json", action="store_true",
                   help='end with one JSON object: {"points": [...], "runs": N}')


def run(args: argparse.Namespace) -> int:
    from sim import ScenarioError, SimError
    from sim.sweep import parse_param, summarise, sweep, write_sweep

    from .sweep_script import load_script, user_error
    if (args.seeds is not None and args.seeds < 1) or (args.jobs is not None and args.jobs < 1):
        raise UsageError("--seeds and --jobs must be at least 1")
    if args.scenario.endswith(".toml"):
        from apps.sweep import app_of_scenario
        app = app_of_scenario(args.scenario)
        if app is not None:
            return _app_sweep(app, args)
    script = args.scenario.endswith(".py")
    try:
        if script:
            if args.param:
                raise UsageError("--param varies TOML scenarios; a script defines its grid")
            defined = load_script(args.scenario)
            target, grid, extractors = defined.scenario, defined.grid, defined.extractors
        else:
            if not args.param:
                raise UsageError("a TOML sweep needs at least one --param NAME=V1,V2,...")
            grid, extractors = dict(parse_param(p) for p in args.param), ()
            target, defined = args.scenario, None
        settings = {k: getattr(args, k) if getattr(args, k) is not None
                    else getattr(defined, k, None) or DEFAULTS[k] for k in DEFAULTS}
        rows = sweep(target, grid, settings["seeds"], settings["engine"], settings["jobs"],
                     extractors=extractors, ray_address=args.ray_address)
    except (ScenarioError, SimError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - the script's own code failed
        if not script:
            raise
        raise UsageError(user_error(args.scenario, exc)) from None
    names = list(grid)
    table = summarise(rows, names)
    _show(table, rows, names, Path(args.scenario).stem)
    folder = Path(args.out) if args.out else Path("out") / f"{Path(args.scenario).stem}-sweep"
    paths = write_sweep(table, rows, names, folder)
    print(f"written: {', '.join(str(p) for p in paths)}")
    if args.json:
        import json

        points = [{k: None if v != v else v for k, v in row.items()} for row in table]  # NaN: none
        print(json.dumps({"points": points, "runs": len(rows)}, allow_nan=False, default=str))
    return EXIT_OK


def _show(table: list[dict], rows: list[dict], names: list[str], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.sweep import interval_text, metric_names, metric_range
    metrics = metric_names(rows, names)
    ranges = {m: metric_range(m, [r.get(m) for r in rows]) for m in metrics}
    shown = Table(title=f"{title}: {len(rows)} runs, mean ± 95% CI "
                        "([low, high] where it reaches past the possible range)")
    for column in [*names, "runs", *metrics]:
        shown.add_column(column)
    for row in table:
        cells = [str(row[n]) for n in names] + [str(row["runs"])]
        for metric in metrics:
            cells.append(interval_text(row[metric], row[metric + "_ci95"], *ranges[metric]))
        shown.add_row(*cells)
    Console().print(shown)


def _app_sweep(app, args: argparse.Namespace) -> int:
    """An application's scenario (``apps/NAME/scenario.toml``): its parameters
    are swept, each run is the app's own (``smvm app NAME --param ...``)."""
    from apps import registry

    from .app import _sweep
    params, swept = registry.parameters(app, args.param, args.scenario)
    params.pop("seed", None)
    if not swept:
        raise UsageError(f"a sweep of {app.NAME} needs a --param KEY=V1,V2,... with two values "
                         f"or more (keys: {', '.join(sorted(params))})")
    args.seeds = args.seeds or DEFAULTS["seeds"]
    args.jobs = args.jobs or DEFAULTS["jobs"]
    if args.out is None:
        args.out = str(Path("out") / f"{app.NAME}-sweep")
    args.json = False
    return _sweep(app, params, swept, args)
