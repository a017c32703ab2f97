"""``smvm exec FILE [ARG...]``: run a brick as an SM on a simulated line of nodes."""
from __future__ import annotations

import argparse
import json
import sys

from smvm.errors import CompileError, UsageError
from smvm.limits import show
from smvm.values import jsonable
from smvm.vm import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB

from .common import EXIT_GUEST_ERROR, EXIT_OK, EXIT_USAGE, parse_arg, read_brick

NAME = "exec"
HELP = "run a brick's main(*ARGS) as an SM on a line of nodes"


def configure(e: argparse.ArgumentParser) -> None:
    e.add_argument("file", metavar="FILE", help="the brick whose main() the SM runs")
    e.add_argument("args", nargs="*", metavar="ARG",
                   help="arguments as JSON literals (anything else is a string)")
    e.add_argument("--nodes", type=int, default=3,
                   help='nodes on the line (default 3): ids "0" .. "N-1", node i at x = 100*i m')
    e.add_argument("--tag", action="append", default=[], metavar="NODE:NAME=JSON",
                   help="a tag on a node before the run, readable by every SM "
                        "(repeatable; the value is JSON, anything else a string)")
    e.add_argument("--brick", action="append", default=[], metavar="FILE",
                   help="another brick every node knows, for create_sm() under its "
                        "file name without .py (repeatable)")
    e.add_argument("--fuel", type=int, default=DEFAULT_FUEL,
                   help=f"fuel budget in units (default {DEFAULT_FUEL:,})")
    e.add_argument("--memory", type=float, default=DEFAULT_MEMORY_MB,
                   help=f"memory budget in MB (default {DEFAULT_MEMORY_MB:g})")
    e.add_argument("--cpu", type=float, default=DEFAULT_CPU_SECONDS,
                   help=f"CPU seconds per execution slice (default {DEFAULT_CPU_SECONDS:g})")
    e.add_argument("--signed", action="store_true",
                   help="nodes sign each SM's birth and hops and verify them, as daemons do "
                        "(to see what trust costs; docs/security.md)")
    e.add_argument("--json", action="store_true", help="end with one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from sim.line import run_line
    source = read_brick(args.file)
    tags: dict[str, dict[str, object]] = {}
    for text in args.tag:
        node, name, value = parse_node_tag(text)
        tags.setdefault(node, {})[name] = value
    bricks = {path: read_brick(path) for path in args.brick}
    try:
        result = run_line(source, [parse_arg(a) for a in args.args], nodes=args.nodes,
                          fuel=args.fuel, memory_mb=args.memory, filename=args.file,
                          cpu_seconds=args.cpu, tags=tags, bricks=bricks, signed=args.signed)
    except CompileError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(jsonable(result.to_json()), allow_nan=False))
    else:
        _print_human(result)
    return EXIT_GUEST_ERROR if result.error else EXIT_OK


def parse_node_tag(text: str) -> tuple[str, str, object]:
    """``NODE:NAME=JSON`` -> (node id, tag name, value)."""
    node, colon, rest = text.partition(":")
    name, equals, value = rest.partition("=")
    if not (colon and equals and node and name):
        raise UsageError(f"bad --tag {text!r}: use NODE:NAME=JSON, e.g. 1:Sensor=true")
    return node, name, parse_arg(value)


def _print_human(r) -> None:
    for entry in r.log:
        print(f"[node {entry['node']} t={entry['time']:.2f}s] {entry['text']}")
    if r.error:
        where = f" (line {r.error.line})" if r.error.line else ""
        print(f"error: {r.error.type}: {r.error.message}{where}", file=sys.stderr)
    else:
        print(f"result: {show(r.result)}")
    print(f"ended on node {r.node} after {r.hops} hops, {r.bytes:,} bytes moved, {r.fuel:,} fuel units")
