"""``smvm inject FILE [ARG...] --node HOST:PORT``: start an SM on a running daemon."""
from __future__ import annotations

import argparse
import json
import sys

from smvm.errors import UsageError
from smvm.limits import show
from smvm.values import jsonable

from .common import EXIT_GUEST_ERROR, EXIT_OK, EXIT_USAGE, parse_address, parse_arg, read_brick

NAME = "inject"
HELP = "inject an SM into a running node"
#: Longest --timeout (an hour).
MAX_TIMEOUT = 3600.0


def configure(i: argparse.ArgumentParser) -> None:
    i.add_argument("file", metavar="FILE", help="the brick whose main(*ARGS) the SM runs")
    i.add_argument("args", nargs="*", metavar="ARG",
                   help="arguments as JSON literals (anything else is a string)")
    i.add_argument("--node", required=True, metavar="HOST:PORT", help="address of the node")
    i.add_argument("--wait", action="store_true",
                   help="wait for the SM's result (else return once the node accepted it)")
    i.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for the node's answer (default 30)")
    i.add_argument("--json", action="store_true", help="end with one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    import trio

    from smvm.client import NodeUnreachable
    from smvm.compiler import check_source
    from smvm.client import inject
    address = parse_address(args.node, "--node")
    if not 0 < args.timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, "
                         f"got {args.timeout:g}")
    source = read_brick(args.file)
    errors = check_source(source, args.file)  # found here, named by the real file
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        return EXIT_USAGE
    arguments = [parse_arg(a) for a in args.args]
    try:
        outcome = trio.run(lambda: inject(address, source, arguments, wait=args.wait,
                                          timeout=args.timeout))
    except NodeUnreachable as exc:
        raise UsageError(str(exc)) from None
    except trio.TooSlowError:
        print(f"smvm: error: no answer from {args.node} within {args.timeout:g} s",
              file=sys.stderr)
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
