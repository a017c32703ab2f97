"""``smvm node``: run a node daemon over UDP."""
from __future__ import annotations

import argparse

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "node"
HELP = "run a node daemon (UDP)"


def configure(n: argparse.ArgumentParser) -> None:
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
                   help="a tag this node carries (readable by every SM; VALUE as JSON)")
    n.add_argument("--actuator", action="append", default=[], metavar="NAME",
                   help="a tag every SM may write (a device such as a valve); its initial "
                        "value is --tag NAME=... or null")
    n.add_argument("--state-dir", default=None, metavar="DIR",
                   help="keep the node's key, the keys it learned and the code cache here "
                        "across restarts")
    n.add_argument("--trust", default=None, metavar="FILE",
                   help="known-nodes file pinning node ids to public keys "
                        "(lines 'NODE-ID ed25519 BASE64-KEY'; others: trust on first use)")
    n.add_argument("--unsigned", action="store_true",
                   help="neither sign nor verify SMs (measurements only: any datagram sender "
                        "can then claim any SM identity)")
    n.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def run(args: argparse.Namespace) -> int:
    import logging

    import trio

    from smvm.daemon import DaemonConfig, parse_peers, parse_tag, run_daemon
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        peers = parse_peers(args.peers)
        tags = dict(parse_tag(t) for t in args.tag)
        for name in args.actuator:
            if not name or name[0] == "_" or not name.isprintable() or len(name) > 256:
                raise ValueError(f"bad actuator name {name!r}")
        location = None
        if args.location:
            lat, lon = (float(x) for x in args.location.split(","))
            location = (lat, lon)
        if args.gps and args.gps.partition(":")[0] not in ("tcp", "serial", "file"):
            raise ValueError(f"bad GPS source {args.gps!r}: use tcp:HOST:PORT, "
                             "serial:DEVICE[@BAUD] or file:PATH")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.trust:
        from smvm.trust import parse_trust_file
        parse_trust_file(args.trust)  # a bad file is named before the daemon starts
    config = DaemonConfig(args.id, args.host, args.port, peers, args.broadcast, location, tags,
                          actuators=list(args.actuator), gps=args.gps,
                          state_dir=args.state_dir, signed=not args.unsigned,
                          trust_file=args.trust)
    try:
        trio.run(run_daemon, config)
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK
