"""``smvm nodes``: list node daemons advertised on the LAN."""
from __future__ import annotations

import argparse
import json

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "nodes"
HELP = "list node daemons advertised on the LAN (zeroconf)"


def configure(d: argparse.ArgumentParser) -> None:
    d.add_argument("--timeout", type=float, default=2.0, help="seconds to listen (default 2)")
    d.add_argument("--interface", action="append", default=None, metavar="ADDR",
                   help="interface address to browse on (default: all)")
    d.add_argument("--json", action="store_true", help="print one JSON list")


def run(args: argparse.Namespace) -> int:
    from smvm.discovery import browse
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
