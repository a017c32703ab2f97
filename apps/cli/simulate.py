"""``smvm sim SCENARIO``: run a simulation scenario and write its outputs."""
from __future__ import annotations

import argparse
from pathlib import Path

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "sim"
HELP = "run a simulation scenario (TOML)"


def configure(m: argparse.ArgumentParser) -> None:
    m.add_argument("scenario", metavar="SCENARIO", help="the scenario file (TOML, see docs/sim.md)")
    m.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    m.add_argument("--until", type=float, default=None,
                   help="virtual seconds to simulate (default the scenario's duration)")
    m.add_argument("--out", default=None, metavar="DIR",
                   help="write metrics.json and CSV files here (default out/NAME-seedS)")
    m.add_argument("--json", action="store_true",
                   help="print the metrics as one JSON object on the last line")
    m.add_argument("--html", action="store_true",
                   help="also write replay.html there: the run, played in a browser")


def run(args: argparse.Namespace) -> int:
    return simulate(args.scenario, args.seed, args.until, args.out, as_json=args.json,
                    html=args.html)


def simulate(scenario: str, seed: int | None, until: float | None, out: str | None, *,
             as_json: bool = False, html: bool = False) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from rich.table import Table

    from sim.plots import write_plots
    from sim.run import run as run_scenario
    from sim.run import write_outputs, write_pcap
    from sim.scenario import ScenarioError, load
    try:
        sc = load(scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    if until is not None and not until > 0:
        raise UsageError("--until must be positive")
    console = Console()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:.0f}/{task.total:.0f} s virtual"),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=until or sc.duration)
        result = run_scenario(sc, seed=seed, until=until, record_frames=True, record_trace=True,
                              progress=lambda now, end: bar.update(task, completed=now))
    metrics = result.metrics()
    table = Table(title=f"{sc.name}: {sc.count} nodes, seed {result.seed}, "
                        f"{result.until:g} s virtual")
    for column in ("SM", "from", "ended on", "hops", "time (s)", "result"):
        table.add_column(column)
    for sm in metrics["sms"]:
        shown = f"error: {sm['error']['type']}" if sm["error"] else str(sm["result"])
        table.add_row(sm["sm"], str(sm["origin"]), str(sm["node"]), str(sm["hops"]),
                      "-" if sm["completion_s"] is None else f"{sm['completion_s']:.3f}",
                      shown if len(shown) < 60 else shown[:57] + "...")
    console.print(table)
    frames = ", ".join(f"{k} {v['count']} ({v['bytes']:,} B)" for k, v in metrics["frames"].items())
    console.print(f"frames sent: {frames}")
    folder = Path(out) if out else Path("out") / f"{sc.name}-seed{result.seed}"
    paths = write_outputs(result, folder)
    paths.append(write_pcap(result, folder / "frames.pcap"))
    paths.extend(write_plots(result, folder))
    console.print(f"metrics written to {paths[0]} (and {', '.join(p.name for p in paths[1:])})")
    if html:
        from .view import view
        print(f"replay: {view(folder)}")
    if as_json:
        import json

        from smvm.values import jsonable
        print(json.dumps(jsonable(metrics), allow_nan=False, sort_keys=True))
    return EXIT_OK
