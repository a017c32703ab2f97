"""What the subcommands share: exit statuses, the parser class, reading bricks
and arguments."""
from __future__ import annotations

import argparse
import json
import sys

from smvm.errors import UsageError

EXIT_OK, EXIT_GUEST_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a one-line message
        print(f"smvm: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def read_brick(path: str) -> str:
    """The linked source of the brick at ``path`` (see ``load_brick``)."""
    from smvm.compiler import load_brick
    try:
        return load_brick(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}")


def parse_address(text: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` of a node, or a ``UsageError`` naming ``option``."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"bad {option} {text!r}: expected HOST:PORT (port 1-65535)")
    return host, int(port)


#: How deeply an argument's lists and objects may nest.
MAX_ARG_DEPTH = 100


def parse_arg(text: str) -> object:
    """An SM argument: a JSON literal, or the text itself when it is not JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        deep = True
    except ValueError:
        return text
    else:
        deep = _too_deep(value, MAX_ARG_DEPTH)
    if deep:
        raise UsageError(f"argument {text[:12]}... nests deeper than {MAX_ARG_DEPTH} levels")
    return value


def _too_deep(value: object, room: int) -> bool:
    if isinstance(value, (list, dict)):
        if room == 0:
            return True
        items = value.values() if isinstance(value, dict) else value
        return any(_too_deep(v, room - 1) for v in items)
    return False
