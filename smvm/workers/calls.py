"""The daemon's answers to the calls of an SM in a worker process: tags,
neighbours, time, new SMs and logs, applied to the node core on the daemon's
own thread with no more rights than the SM carries. What a worker sends is
untrusted: its arguments are decoded with the untrusted limits, and a call
that names a code domain the SM does not carry breaks the protocol.
"""
from __future__ import annotations

import dataclasses

import tagspace

from .. import statecodec
from ..errors import StateDecodeError
from ..limits import MAX_ERROR_CHARS, truncate
from ..primitives import guest_error


def answer(core, host, record, message: list) -> list:
    """The reply to a worker's ``["call", id, method, args]`` for the SM of
    ``record``, answered against ``core`` as the SM sees it (``host``). A
    refusal goes back as the guest exception the SM gets."""
    _, call_id, method, blob = message
    try:
        if type(blob) is not bytes or type(method) is not str:
            raise TypeError("malformed call")
        # decoded on the daemon's loop: colliding keys refused
        args = statecodec.loads(blob, limits=statecodec.UNTRUSTED_LIMITS)
        if type(args) is not list:
            raise TypeError("malformed call")
        value = _call(core, host, record, method, args)
        return ["reply", call_id, True, statecodec.dumps(value)]
    except tagspace.TagSpaceError as exc:
        guest = guest_error(exc)
        return ["reply", call_id, False, [type(guest).__name__, truncate(str(guest), MAX_ERROR_CHARS)]]
    except StateDecodeError as exc:
        return ["reply", call_id, False, ["ValueError", truncate(str(exc), MAX_ERROR_CHARS)]]
    except (ValueError, TypeError, RuntimeError, IndexError, KeyError) as exc:
        return ["reply", call_id, False, [type(exc).__name__, truncate(str(exc), MAX_ERROR_CHARS)]]


def _call(core, host, record, method: str, args: list) -> object:
    p, now = record.principal, host.now()
    space = core.tagspace
    if method == "neighbors":
        return host.neighbors()
    if method == "now":
        return host.now()
    if method == "log":
        if type(args[0]) is not str:
            raise TypeError("log text must be a string")
        return host.log(record.sm_id, args[0])
    if method == "spawn":
        return host.spawn(_Parent(record), args[0], args[1])
    if method == "create_sm":
        return host.create_sm(_Parent(record), args[0], args[1], args[2])
    if method.startswith("tag."):
        # the code domain of the brick whose code made the call, as in
        # the daemon's own process: never more than the SM carries
        p = _acting(p, args.pop())
    if method == "tag.exists":
        return space.exists(args[0], now, p)
    if method == "tag.create":
        name, value, lifetime, access, code = args
        host.wake(space.create(p, name, value, lifetime, access, code, now=now))
        return None
    if method == "tag.read":
        return space.read(p, args[0], now)
    if method == "tag.write":
        host.wake(space.write(p, args[0], args[1], now))
        return None
    if method == "tag.delete":
        return space.delete(p, args[0], now)
    if method == "tag.check_wait":
        space.wait(p, args[0], ("probe", record.sm_id), None, now=now)
        space.cancel_wait(("probe", record.sm_id))
        return None
    raise ValueError(f"unknown call {method!r}")


def _acting(principal: tagspace.Principal, code: object) -> tagspace.Principal:
    """``principal`` in the code domain a worker's call names (a subset of
    the SM's own: anything else is a broken protocol)."""
    if type(code) is not list or not all(type(c) is str for c in code):
        raise TypeError("malformed call")
    narrowed = frozenset(code)
    if narrowed == principal.code:
        return principal
    if not narrowed <= principal.code:
        raise TypeError("a call named a code domain the SM does not carry")
    return dataclasses.replace(principal, code=narrowed)


class _Parent:
    """What the node needs of the SM that asks for a new one (``host.spawn``)."""

    def __init__(self, record):
        self.principal = record.principal
        self.brick = record.brick

