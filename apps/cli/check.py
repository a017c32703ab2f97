"""``smvm check FILE...``: compile bricks and report every error of every file."""
from __future__ import annotations

import argparse
import json
import sys

from smvm.errors import CompileError, UsageError

from .common import EXIT_GUEST_ERROR, EXIT_OK, EXIT_USAGE, read_brick

NAME = "check"
HELP = "check that bricks are valid SM code"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="brick files to check (all of them)")
    p.add_argument("--json", action="store_true",
                   help='end with one JSON object: {"files": {FILE: [problem, ...]}, "ok": ...}')


def run(args: argparse.Namespace) -> int:
    """Errors go to stdout, one ``file:line: message`` a line, and ``file: ok``
    for each valid brick (silence would not tell a check from no check).
    Exit 0 when every file is a valid brick, 1 when some are not, 2 when some
    cannot be read."""
    from smvm.compiler import check_source
    problems: dict[str, list[str]] = {}
    unreadable = False
    for path in args.files:
        try:
            found = [str(e) for e in check_source(read_brick(path), path)]
        except CompileError as exc:  # a brick it imports is missing
            found = [str(e) for e in exc.errors]
        except UsageError as exc:  # named on stderr; the other files are still checked
            print(f"smvm: error: {exc}", file=sys.stderr)
            problems[path], unreadable = [str(exc)], True
            continue
        problems[path] = found
        for line in found:
            print(line)
        if not found:
            print(f"{path}: ok")
    if args.json:
        print(json.dumps({"files": problems, "ok": not any(problems.values())}))
    if unreadable:
        return EXIT_USAGE
    return EXIT_GUEST_ERROR if any(problems.values()) else EXIT_OK
