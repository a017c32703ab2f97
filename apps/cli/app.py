"""``smvm app NAME``: run one of the bundled applications (hottest spot,
intrusion detection, EZCab, TrafficView) on its scenario, print a summary and
write metrics.json, CSV files and plots; ``smvm app list`` names them."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "app"
HELP = "run a bundled application (hottest, intrusion, ezcab, trafficview; 'list' names them)"


def configure(a: argparse.ArgumentParser) -> None:
    a.add_argument("name", metavar="NAME", help="an application, or 'list'")
    a.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    a.add_argument("--out", default=None, metavar="DIR",
                   help="write metrics.json, CSVs and plots here (default out/app-NAME-seedS)")
    a.add_argument("--json", action="store_true",
                   help="print the metrics as one JSON object on the last line")
    a.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario parameter; KEY=V1,V2,... sweeps it (apps with sweeps)")
    a.add_argument("--seeds", type=int, default=3, help="seeds per point of a sweep (default 3)")
    a.add_argument("--jobs", type=int, default=2, help="worker processes of a sweep (default 2)")


def run(args: argparse.Namespace) -> int:
    from apps import registry
    if args.name == "list":
        for name in registry.APPS:
            print(f"{name:12} {registry.load(name).SUMMARY}")
        return EXIT_OK
    app = registry.load(args.name)
    params, swept = registry.parameters(app, args.param)
    seed = params.pop("seed", 1) if args.seed is None else args.seed
    params.pop("seed", None)
    if swept:
        return _sweep(app, params, swept, args)
    out = Path(args.out) if args.out else Path("out") / f"app-{app.NAME}-seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    metrics = _guarded(lambda: app.run(params, seed, out))
    metrics = {"app": app.NAME, "seed": seed, **metrics}
    (out / "metrics.json").write_text(json.dumps(metrics, sort_keys=True, indent=1) + "\n",
                                      encoding="utf-8")
    print(app.summary(metrics))
    print(f"written to {out}/: {', '.join(sorted(p.name for p in out.iterdir() if p.is_file()))}")
    if args.json:
        print(json.dumps(metrics, sort_keys=True))
    return EXIT_OK


def _sweep(app, params: dict, swept: dict, args: argparse.Namespace) -> int:
    """The app's own sweep if it has one, else the generic one (``apps.sweep``)."""
    from apps import sweep as generic
    if args.seeds < 1 or args.jobs < 1:
        raise UsageError("--seeds and --jobs must be at least 1")
    out = Path(args.out) if args.out else Path("out") / f"app-{app.NAME}-sweep"
    out.mkdir(parents=True, exist_ok=True)
    if hasattr(app, "sweep"):
        result = _guarded(lambda: app.sweep(params, swept, args.seeds, out, args.jobs))
        print(app.sweep_summary(result))
    else:
        result = _guarded(lambda: generic.sweep(app, params, swept, args.seeds, out, args.jobs,
                                                getattr(args, "engine", None) or "local",
                                                getattr(args, "ray_address", None)))
        print(generic.summary_text(result))
    print(f"written to {out}/")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return EXIT_OK


def _guarded(work):
    """Run ``work``; a problem with the scenario's models (SUMO missing, a
    bad network) is the user's to fix: one line, exit 2."""
    from sim import SimError
    try:
        return work()
    except SimError as exc:
        raise UsageError(str(exc)) from None
