"""The ``smvm`` command line: check, exec, demo."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import CompileError, UsageError
from .values import jsonable
from .line import ExecResult, run_line
from .vm import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB

EXIT_OK, EXIT_GUEST_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a one-line message
        self.print_usage(sys.stderr)
        print(f"smvm: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="smvm", description="Smart-message virtual machine")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="check that bricks are valid SM code")
    c.add_argument("files", nargs="+", metavar="FILE")
    e = sub.add_parser("exec", help="run a brick's main(*ARGS) as an SM on a line of nodes")
    e.add_argument("file", metavar="FILE")
    e.add_argument("args", nargs="*", metavar="ARG",
                   help="arguments as JSON literals (anything else is a string)")
    e.add_argument("--nodes", type=int, default=3, help="nodes on the line (default 3)")
    e.add_argument("--fuel", type=int, default=DEFAULT_FUEL,
                   help=f"fuel budget in units (default {DEFAULT_FUEL:,})")
    e.add_argument("--memory", type=float, default=DEFAULT_MEMORY_MB,
                   help=f"memory budget in MB (default {DEFAULT_MEMORY_MB:g})")
    e.add_argument("--cpu", type=float, default=DEFAULT_CPU_SECONDS,
                   help=f"CPU seconds per execution slice (default {DEFAULT_CPU_SECONDS:g})")
    e.add_argument("--json", action="store_true", help="end with one JSON object on stdout")
    sub.add_parser("demo", help="run the bundled demo scenario")
    g = sub.add_parser("sumo", help="generate a scenario from a SUMO traffic simulation")
    g.add_argument("out", metavar="DIR")
    g.add_argument("--grid", type=int, default=4, help="street grid size (default 4 x 4)")
    g.add_argument("--block", type=float, default=100.0, help="block length in m (default 100)")
    g.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    g.add_argument("--period", type=float, default=2.0,
                   help="a vehicle enters every PERIOD seconds (default 2)")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--net", default=None, metavar="FILE",
                   help="an existing SUMO network (.net.xml, e.g. from netconvert --osm-files) "
                        "instead of a generated grid")
    g.add_argument("--taxis", type=int, default=3,
                   help="vehicles with SUMO's taxi device, tagged Taxi (default 3)")
    g.add_argument("--customers", type=float, default=10.0, metavar="PERIOD",
                   help="a customer asks for a taxi every PERIOD seconds (default 10)")
    w = sub.add_parser("sweep", help="run a scenario over a grid of parameters and seeds")
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
    m = sub.add_parser("sim", help="run a simulation scenario (TOML)")
    m.add_argument("scenario", metavar="SCENARIO")
    m.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    m.add_argument("--until", type=float, default=None, help="virtual seconds to simulate")
    m.add_argument("--out", default=None, metavar="DIR",
                   help="write metrics.json and CSV files here (default out/NAME-seedS)")
    n = sub.add_parser("node", help="run a node daemon (UDP)")
    n.add_argument("--id", required=True, help="this node's id")
    n.add_argument("--host", default="0.0.0.0", help="address to bind (default all)")
    n.add_argument("--port", type=int, default=4771, help="UDP port (default 4771)")
    n.add_argument("--peers", default="", help="HOST:PORT,... to beacon to")
    n.add_argument("--broadcast", default=None, help="broadcast address for beacons")
    where = n.add_mutually_exclusive_group()
    where.add_argument("--location", default=None, help="static position LAT,LON")
    where.add_argument("--gps", default=None, metavar="SOURCE",
                       help="NMEA source: tcp:HOST:PORT, serial:DEVICE[@BAUD] or file:PATH")
    n.add_argument("--tag", action="append", default=[], metavar="NAME=VALUE",
                   help="a tag this node carries (readable by every SM)")
    n.add_argument("--state-dir", default=None, metavar="DIR",
                   help="keep the code cache here across restarts")
    n.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    d = sub.add_parser("nodes", help="list node daemons advertised on the LAN (zeroconf)")
    d.add_argument("--timeout", type=float, default=2.0, help="seconds to listen (default 2)")
    d.add_argument("--interface", action="append", default=None, metavar="ADDR",
                   help="interface address to browse on (default: all)")
    d.add_argument("--json", action="store_true", help="print one JSON list")
    i = sub.add_parser("inject", help="inject an SM into a running node")
    i.add_argument("file", metavar="FILE")
    i.add_argument("args", nargs="*", metavar="ARG")
    i.add_argument("--node", required=True, help="HOST:PORT of the node")
    i.add_argument("--wait", action="store_true", help="wait for the SM's result")
    i.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    i.add_argument("--json", action="store_true", help="end with one JSON object on stdout")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args.files)
        if args.command == "exec":
            return _exec(args)
        if args.command == "node":
            return _node(args)
        if args.command == "inject":
            return _inject(args)
        if args.command == "nodes":
            return _nodes(args)
        if args.command == "sim":
            return _sim(args.scenario, args.seed, args.until, args.out)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sumo":
            return _sumo(args)
        return _demo()
    except UsageError as exc:
        print(f"smvm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("smvm: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, never a traceback
        print(f"smvm: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _read(path: str) -> str:
    from .compiler import load_brick
    try:
        return load_brick(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}")


def _check(files: list[str]) -> int:
    from .compiler import check_source
    failed = False
    for path in files:
        errors = check_source(_read(path), path)
        for err in errors:
            print(err)
        failed = failed or bool(errors)
    return EXIT_GUEST_ERROR if failed else EXIT_OK


def _parse_arg(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _exec(args: argparse.Namespace) -> int:
    source = _read(args.file)
    try:
        result = run_line(source, [_parse_arg(a) for a in args.args], nodes=args.nodes,
                          fuel=args.fuel, memory_mb=args.memory, filename=args.file,
                          cpu_seconds=args.cpu)
    except CompileError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(jsonable(result.to_json()), allow_nan=False))
    else:
        _print_human(result)
    return EXIT_GUEST_ERROR if result.error else EXIT_OK


def _print_human(r: ExecResult) -> None:
    for entry in r.log:
        print(f"[node {entry['node']} t={entry['time']:.2f}s] {entry['text']}")
    if r.error:
        where = f" (line {r.error.line})" if r.error.line else ""
        print(f"error: {r.error.type}: {r.error.message}{where}", file=sys.stderr)
    else:
        print(f"result: {r.result!r}")
    print(f"ended on node {r.node} after {r.hops} hops, {r.bytes:,} bytes moved, {r.fuel:,} fuel units")


def _node(args: argparse.Namespace) -> int:
    import logging

    import trio

    from .daemon import DaemonConfig, parse_peers, parse_tag, run_daemon
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        peers = parse_peers(args.peers)
        tags = dict(parse_tag(t) for t in args.tag)
        location = None
        if args.location:
            lat, lon = (float(x) for x in args.location.split(","))
            location = (lat, lon)
        if args.gps and args.gps.partition(":")[0] not in ("tcp", "serial", "file"):
            raise ValueError(f"bad GPS source {args.gps!r}: use tcp:HOST:PORT, "
                             "serial:DEVICE[@BAUD] or file:PATH")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = DaemonConfig(args.id, args.host, args.port, peers, args.broadcast, location, tags,
                          gps=args.gps, state_dir=args.state_dir)
    try:
        trio.run(run_daemon, config)
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK


def _inject(args: argparse.Namespace) -> int:
    import trio

    from .daemon import inject, parse_peers
    try:
        [address] = parse_peers(args.node)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    source = _read(args.file)
    try:
        outcome = trio.run(lambda: inject(address, source, [_parse_arg(a) for a in args.args],
                                          wait=args.wait, timeout=args.timeout))
    except trio.TooSlowError:
        print(f"smvm: no answer from {args.node} within {args.timeout:g} s", file=sys.stderr)
        return EXIT_GUEST_ERROR
    if outcome.error and outcome.error.get("type") == "CompileError":
        print(outcome.error.get("message"), file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(jsonable(outcome.to_json()), allow_nan=False))
    elif outcome.error:
        print(f"error: {outcome.error.get('type')}: {outcome.error.get('message')}", file=sys.stderr)
    elif args.wait:
        print(f"result: {outcome.value!r}")
    else:
        print(f"injected {outcome.sm_id}")
    return EXIT_GUEST_ERROR if outcome.error else EXIT_OK


def _nodes(args: argparse.Namespace) -> int:
    from .discovery import browse
    if not args.timeout > 0:
        raise UsageError("--timeout must be positive")
    found = browse(args.timeout, args.interface)
    if args.json:
        print(json.dumps([node.to_json() for node in found]))
    elif not found:
        print("no nodes found")
    else:
        for node in found:
            print(f"{node.node_id:20} {','.join(node.addresses)}:{node.port}")
    return EXIT_OK


def _sim(scenario: str, seed: int | None, until: float | None, out: str | None) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from rich.table import Table

    from sim.plots import write_plots
    from sim.run import run, write_outputs, write_pcap
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
        result = run(sc, seed=seed, until=until, record_frames=True,
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
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

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


def _sumo(args: argparse.Namespace) -> int:
    from sim import ModelError
    from sim.sumo import generate_fcd, write_scenario
    try:
        run = generate_fcd(args.out, grid=args.grid, block=args.block, duration=args.duration,
                           period=args.period, seed=args.seed, net=args.net, taxis=args.taxis,
                           customer_period=args.customers)
        scenario = write_scenario(args.out, run.fcd, seed=args.seed, duration=args.duration,
                                  taxis=run.taxis, net=run.net if args.net else None)
    except ModelError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {run.fcd} and {scenario} ({len(run.taxis)} taxis tagged Taxi); "
          f"add [[inject]] sections, then: smvm sim {scenario}")
    return EXIT_OK


def _demo() -> int:
    from importlib import resources
    scenario = resources.files("sim").joinpath("scenarios/demo.toml")
    print("Demo: 40 cars on a Manhattan grid, 3 of them taxis; smart messages injected at four")
    print("cars hop through the ad-hoc network (each hop carries the running program) until")
    print("they reach a taxi.\n")
    with resources.as_file(scenario) as path:
        return _sim(str(path), None, None, None)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
