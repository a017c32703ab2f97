"""The ``smvm`` command line: the top layer, which drives everything below.

Each subcommand lives in its own module exposing ``NAME``, ``HELP``,
``configure(parser)`` and ``run(args) -> exit status``; adding a command means
adding a module and naming it in ``COMMANDS``.
"""
from __future__ import annotations

import sys
from types import ModuleType

from smvm.errors import CompileError, UsageError

from . import (app, check, demo, execute, inject, node, nodes, run, simulate, status, sumo,
               sweep, view)
from .common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Parser

COMMANDS: tuple[ModuleType, ...] = (check, execute, run, simulate, sweep, sumo, demo, node,
                                    nodes, inject, status, app, view)


def build_parser() -> Parser:
    parser = Parser(prog="smvm", description="Smart-message virtual machine")
    parser.add_argument("--version", action="version", version=f"smvm {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.configure(sub.add_parser(command.NAME, help=command.HELP))
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("smvm")
    except PackageNotFoundError:  # run from a source tree
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare ``smvm``: what it can do
        parser.print_help()
        return EXIT_OK
    runner = next(c.run for c in COMMANDS if c.NAME == args.command)
    try:
        return runner(args)
    except UsageError as exc:
        print(f"smvm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CompileError as exc:  # a brick (or one it imports) is not valid SM code
        for error in exc.errors:
            print(error, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("smvm: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, never a traceback
        print(f"smvm: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


__all__ = ["COMMANDS", "build_parser", "main"]
