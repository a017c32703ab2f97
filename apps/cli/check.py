"""``smvm check FILE...``: compile bricks and report every error."""
from __future__ import annotations

import argparse

from .common import EXIT_GUEST_ERROR, EXIT_OK, read_brick

NAME = "check"
HELP = "check that bricks are valid SM code"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    from smvm.compiler import check_source
    failed = False
    for path in args.files:
        errors = check_source(read_brick(path), path)
        for err in errors:
            print(err)
        failed = failed or bool(errors)
    return EXIT_GUEST_ERROR if failed else EXIT_OK
