"""``smvm run BRICK [ARG...] --scenario FILE``: run a program in a scenario's world."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from smvm.errors import CompileError, UsageError
from smvm.limits import show
from smvm.values import jsonable

from .common import EXIT_GUEST_ERROR, EXIT_OK, EXIT_USAGE, parse_arg, read_brick

NAME = "run"
HELP = "run a brick's main(*ARGS) as an SM in a simulated scenario (spatial programs)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("brick", metavar="BRICK", help="the brick whose main(*ARGS) the SM runs")
    p.add_argument("args", nargs="*", metavar="ARG",
                   help="arguments as JSON literals (anything else is a string)")
    p.add_argument("--scenario", required=True, metavar="FILE", help="the world (TOML)")
    p.add_argument("--node", default="0", metavar="ID",
                   help="node the SM starts on (default the first node, 0)")
    p.add_argument("--at", type=float, default=None, metavar="T",
                   help="virtual time it starts (default 3 beacon intervals)")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="also write the run's metrics.json and CSV files here")
    p.add_argument("--json", action="store_true", help="end with one JSON object on stdout")
    p.add_argument("--html", action="store_true",
                   help="write replay.html (the run, played in a browser) into --out "
                        "(default out/BRICK-seedS)")


def execute(args: argparse.Namespace):
    """The run (``sim.program.ProgramRun``) the arguments ask for; ``UsageError``
    for bad input, ``CompileError`` for a bad brick."""
    from sim.program import run_program
    from sim.scenario import ScenarioError, load
    try:
        sc = load(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    try:
        node = int(args.node)
    except ValueError:
        raise UsageError(f"--node must be a node number, got {args.node!r}") from None
    if not 0 <= node < sc.count:
        raise UsageError(f"--node {node}: the scenario has nodes 0..{sc.count - 1}")
    if args.at is not None and not 0 <= args.at < sc.duration:
        raise UsageError(f"--at must be in [0, {sc.duration:g}) (the scenario's duration)")
    source = read_brick(args.brick)
    return run_program(sc, source, [parse_arg(a) for a in args.args], node=node, at=args.at,
                       seed=args.seed, name=Path(args.brick).name,
                       record_trace=bool(args.out or getattr(args, "html", False)))


def run(args: argparse.Namespace) -> int:
    try:
        outcome = execute(args)
    except CompileError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return EXIT_USAGE
    folder = args.out
    if folder is None and args.html:
        folder = str(Path("out") / f"{Path(args.brick).stem}-seed{outcome.run.seed}")
    if folder:
        from sim.run import write_outputs
        write_outputs(outcome.run, Path(folder))
    if args.html:
        from .view import view
        page = view(folder)
        print(f"replay: {page}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(jsonable(outcome.to_json()), allow_nan=False))
    else:
        _print_human(outcome)
    return EXIT_GUEST_ERROR if outcome.error else EXIT_OK


def _print_human(r) -> None:
    for entry in r.log:
        print(f"[node {entry['node']} t={entry['time']:.2f}s] {entry['text']}")
    if r.error:
        where = f" (line {r.error['line']})" if r.error.get("line") else ""
        print(f"error: {r.error['type']}: {r.error['message']}{where}", file=sys.stderr)
    else:
        print(f"result: {show(r.result)}")
    ended = f"ended on node {r.node} after {r.time:.3f} s virtual" if r.node is not None \
        else "did not end"
    print(f"{ended}, {r.hops} hops, {r.bytes:,} bytes sent, {r.fuel:,} fuel units, "
          f"{r.sms} SMs")
