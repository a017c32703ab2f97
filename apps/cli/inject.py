"""``smvm inject FILE [ARG...] --node HOST:PORT``: start an SM on a running daemon."""
from __future__ import annotations

import argparse
import json
import sys

from smvm.errors import UsageError
from smvm.limits import show
from smvm.values import jsonable

from .common import EXIT_GUEST_ERROR, EXIT_OK, EXIT_USAGE, parse_arg, read_brick

NAME = "inject"
HELP = "inject an SM into a running node"


def configure(i: argparse.ArgumentParser) -> None:
    i.add_argument("file", metavar="FILE")
    i.add_argument("args", nargs="*", metavar="ARG")
    i.add_argument("--node", required=True, help="HOST:PORT of the node")
    i.add_argument("--wait", action="store_true", help="wait for the SM's result")
    i.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    i.add_argument("--json", action="store_true", help="end with one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    import trio

    from smvm.daemon import inject, parse_peers
    try:
        [address] = parse_peers(args.node)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    source = read_brick(args.file)
    try:
        outcome = trio.run(lambda: inject(address, source, [parse_arg(a) for a in args.args],
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
        print(f"result: {show(outcome.value)}")
    else:
        print(f"injected {outcome.sm_id}")
    return EXIT_GUEST_ERROR if outcome.error else EXIT_OK
