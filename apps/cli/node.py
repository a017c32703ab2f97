"""``smvm node``: run a node daemon over UDP."""
from __future__ import annotations

import argparse
import json

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "node"
HELP = "run a node daemon (UDP)"


def configure(n: argparse.ArgumentParser) -> None:
    n.add_argument("--id", required=True, help="this node's id")
    n.add_argument("--host", default="0.0.0.0", help="address to bind (default all)")
    n.add_argument("--port", type=int, default=4771, help="UDP port (default 4771)")
    n.add_argument("--peers", default="", metavar="HOST:PORT,...",
                   help="who this node talks to: it beacons to them, so it becomes their "
                        "neighbour (one way: they list this node too, or hear it by broadcast)")
    n.add_argument("--broadcast", default=None, help="broadcast address for beacons")
    where = n.add_mutually_exclusive_group()
    where.add_argument("--location", default=None, help="static position LAT,LON")
    where.add_argument("--gps", default=None, metavar="SOURCE",
                       help="NMEA source: tcp:HOST:PORT, serial:DEVICE[@BAUD] or file:PATH")
    n.add_argument("--tag", action="append", default=[], metavar="NAME=VALUE",
                   help="a tag this node carries (readable by every SM; VALUE as JSON)")
    n.add_argument("--shared-tag", action="append", default=[], metavar="NAME=VALUE",
                   help="a tag every SM may read, write and delete (VALUE as JSON), such as "
                        "a free cab's Taxi sign that a booking takes down")
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
    n.add_argument("--trace", default=None, metavar="FILE",
                   help="write what this node sees (SMs, hops, tag writes, its place and "
                        "neighbours) to FILE, one JSON record a line, for smvm view")
    n.add_argument("--log-level", default="INFO", type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="INFO (default) logs SMs ending and refusals; DEBUG also every "
                        "datagram in and out and neighbours appearing and going")


def run(args: argparse.Namespace) -> int:
    import logging

    import trio

    from smvm.daemon import DaemonConfig, run_daemon
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    _check_arguments(args)
    try:
        peers = _parse_peers(args.peers)
        tags = dict(_parse_tag(t) for t in args.tag)
        shared = dict(_parse_tag(t) for t in args.shared_tag)
        both = sorted(set(tags) & set(shared))
        if both:
            raise ValueError(f"tag {both[0]!r} is given both as --tag and --shared-tag")
        tags.update(shared)
        for name in args.actuator:
            if not name or name[0] == "_" or not name.isprintable() or len(name) > 256:
                raise ValueError(f"bad actuator name {name!r}")
        location = None
        if args.location:
            location = _location(args.location)
        if args.gps and args.gps.partition(":")[0] not in ("tcp", "serial", "file"):
            raise ValueError(f"bad GPS source {args.gps!r}: use tcp:HOST:PORT, "
                             "serial:DEVICE[@BAUD] or file:PATH")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.trust:
        from smvm.trust import parse_trust_file
        parse_trust_file(args.trust)  # a bad file is named before the daemon starts
    config = DaemonConfig(args.id, args.host, args.port, peers, args.broadcast, location, tags,
                          actuators=list(args.actuator), shared_tags=list(shared),
                          gps=args.gps,
                          state_dir=args.state_dir, signed=not args.unsigned,
                          trust_file=args.trust, trace=args.trace)
    if args.trace:
        try:
            open(args.trace, "a").close()  # a path it cannot write is named before serving
        except OSError as exc:
            raise UsageError(f"--trace {args.trace}: cannot write: {exc.strerror or exc}") from None
    try:
        trio.run(run_daemon, config)
    except BaseException as exc:  # noqa: BLE001 - trio groups what its tasks raised
        failure = _start_up_failure(exc)
        if failure is None:
            raise
        if isinstance(failure, UsageError):
            raise failure from None
        raise UsageError(f"cannot serve on {args.host}:{args.port}: "
                         f"{failure.strerror or failure}") from None
    return EXIT_OK


def _check_arguments(args: argparse.Namespace) -> None:
    """What the daemon would stumble on, named before it starts."""
    import os
    node_id = args.id
    if not node_id or len(node_id) > 256 or not node_id.isprintable() or node_id != node_id.strip():
        raise UsageError(f"bad --id {node_id!r}: a node id is 1 to 256 printable characters, "
                         "without leading or trailing spaces")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range (0-65535)")
    if args.gps and args.gps.startswith("file:"):
        path = args.gps[len("file:"):]
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise UsageError(f"--gps {args.gps}: no readable file {path!r}")
    if args.state_dir is not None:
        if os.path.exists(args.state_dir) and not os.path.isdir(args.state_dir):
            raise UsageError(f"--state-dir {args.state_dir}: exists and is not a directory")
        try:
            os.makedirs(args.state_dir, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--state-dir {args.state_dir}: cannot create it: "
                             f"{exc.strerror or exc}") from None
        if not os.access(args.state_dir, os.R_OK | os.W_OK | os.X_OK):
            raise UsageError(f"--state-dir {args.state_dir}: not a directory this user "
                             "can read and write")


def _location(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"bad --location {text!r}: expected LAT,LON in degrees") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"bad --location {text!r}: LAT in -90..90, LON in -180..180")
    return lat, lon


def _start_up_failure(exc: BaseException) -> BaseException | None:
    """The user's problem (an OSError of the socket or a file, a key that
    cannot be used) inside what trio raised, or None for anything else."""
    if isinstance(exc, BaseExceptionGroup):
        found = [_start_up_failure(e) for e in exc.exceptions]
        return next((f for f in found if f is not None), None)
    return exc if isinstance(exc, (OSError, UsageError)) else None


def _parse_peers(text: str) -> list[tuple[str, int]]:
    peers = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad peer {item!r}: expected HOST:PORT")
        peers.append((host, int(port)))
    return peers


def _parse_tag(text: str) -> tuple[str, object]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ValueError(f"bad tag {text!r}: expected NAME=VALUE")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw
