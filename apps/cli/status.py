"""``smvm status HOST:PORT``: what a running node daemon holds and has done."""
from __future__ import annotations

import argparse
import json

from smvm.errors import UsageError

from .common import EXIT_OK, parse_address

NAME = "status"
HELP = "show a running node's id, key, neighbours, SMs, tags and counters"


def configure(s: argparse.ArgumentParser) -> None:
    s.add_argument("node", metavar="HOST:PORT", help="address of the node daemon")
    s.add_argument("--timeout", type=float, default=3.0,
                   help="seconds to wait for the answer (default 3)")
    s.add_argument("--json", action="store_true",
                   help="print the status as one JSON object")


def run(args: argparse.Namespace) -> int:
    import trio

    from smvm.client import NodeUnreachable, query_status
    from smvm.errors import RemoteInputError
    from smvm.values import jsonable
    address = parse_address(args.node, "address")
    if not 0 < args.timeout <= 3600:
        raise UsageError(f"--timeout must be between 0 and 3600 seconds, got {args.timeout:g}")
    try:
        status = trio.run(lambda: query_status(address, timeout=args.timeout))
    except trio.TooSlowError:
        raise UsageError(f"no answer from {args.node} within {args.timeout:g} s") from None
    except (NodeUnreachable, RemoteInputError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(jsonable(status), allow_nan=False, sort_keys=True))
        return EXIT_OK
    try:
        text = describe(status)
    except (TypeError, ValueError, AttributeError) as exc:  # what a foreign node sent
        raise UsageError(f"{args.node} sent a status of an unexpected shape: {exc}") from None
    print(text)
    return EXIT_OK


def describe(status: dict) -> str:
    """The status for people, a few lines per section."""
    g = status.get
    signed = f"key {g('key')}" if g("signed") else "unsigned"
    uptime = g("uptime")
    lines = [f"node {g('node')} at {g('address') or '?'}, {signed}, "
             f"up {'?' if uptime is None else _seconds(uptime)}"]
    if g("position") is not None:
        lines.append("position: " + ", ".join(f"{v:g}" for v in g("position")))
    lines.append("peers (beaconed to): " + (", ".join(g("peers") or []) or "none"))
    neighbors = g("neighbors") or []
    lines.append(f"neighbours ({len(neighbors)}):")
    for nb in neighbors:
        where = "" if nb.get("position") is None else \
            " at " + ", ".join(f"{v:g}" for v in nb["position"])
        lines.append(f"  {str(nb.get('id')):<16} heard {_seconds(nb.get('age', 0))} ago via "
                     f"{nb.get('link')}{where}{' (static)' if nb.get('static') else ''}")
    states = g("sm_states") or {}
    sms = g("sms") or []
    lines.append(f"SMs ({sum(states.values())} of at most {g('max_sms')}): " +
                 ", ".join(f"{n} {state}" for state, n in states.items()))
    for sm in sms:
        detail = {"blocked": f" on tag {sm.get('tag')!r}",
                  "migrating": f" to {sm.get('target')}"}.get(sm.get("state"), "")
        lines.append(f"  {str(sm.get('id')):<16} {sm.get('state')}{detail}, family {sm.get('family')}, "
                     f"origin {sm.get('origin')}, {sm.get('hops')} hops, fuel {sm.get('fuel')}")
    tags = g("tags") or []
    lines.append(f"tags ({len(tags)}, {g('tag_bytes')} bytes):")
    for tag in tags:
        left = tag.get("expires_in")
        lines.append(f"  {str(tag.get('name')):<16} owner {tag.get('owner')}, "
                     f"{'no expiry' if left is None else 'expires in ' + _seconds(left)}")
    counters = g("counters") or {}
    lines.append("counters: " + ", ".join(f"{k}={v}" for k, v in counters.items()))
    if g("truncated"):
        lines.append("(some lists were cut to keep the answer small)")
    return "\n".join(lines)


def _seconds(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, (int, float)) else "?"
