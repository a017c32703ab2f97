"""The node as an SM in a worker process sees it: every primitive that needs
the node (tags, neighbours, time, new SMs, logs) becomes a call back to the
daemon, which answers it against the node core (``smvm.workers.calls``).
"""
from __future__ import annotations

from typing import BinaryIO

from .. import statecodec
from ..values import GUEST_EXCEPTIONS
from . import pipe


class Channel:
    """Calls to the daemon over the worker's pipes, one at a time."""

    def __init__(self, inp: BinaryIO, out: BinaryIO):
        self.inp, self.out = inp, out
        self.calls = 0

    def call(self, method: str, *args: object) -> object:
        self.calls += 1
        pipe.write(self.out, ["call", self.calls, method, statecodec.dumps(list(args))])
        reply = pipe.read(self.inp)
        if reply[0] != "reply" or reply[1] != self.calls:
            raise RuntimeError("worker protocol out of step")
        if reply[2]:
            return statecodec.loads(reply[3])
        cls = GUEST_EXCEPTIONS.get(reply[3][0], RuntimeError)
        raise cls(reply[3][1])


class ProxyTags:
    """The node's tag space, across the process boundary."""

    def __init__(self, channel: Channel):
        self.channel = channel

    # Each call names the code domain it acts in (the brick whose code made
    # it, ``primitives.caller``); the daemon grants no more than the SM's.
    def create(self, principal, name, value, lifetime=None, access=None, code=None, *, now):
        self.channel.call("tag.create", name, value, lifetime, access,
                          None if code is None else list(code), sorted(principal.code))
        return ()

    def read(self, principal, name, now):
        return self.channel.call("tag.read", name, sorted(principal.code))

    def write(self, principal, name, value, now, *, renew=True):
        self.channel.call("tag.write", name, value, sorted(principal.code))
        return ()

    def delete(self, principal, name, now):
        self.channel.call("tag.delete", name, sorted(principal.code))

    def exists(self, name, now, principal):
        return self.channel.call("tag.exists", name, sorted(principal.code))

    def wait(self, principal, name, token, deadline, *, now=None):
        self.channel.call("tag.check_wait", name, sorted(principal.code))

    def cancel_wait(self, token):
        return True


class ProxyHost:
    """The node for an SM in this worker (a ``NodeHost``). The node's clock
    and neighbours are those at the start of the slice, sent with the job:
    what an SM running in the daemon's own process sees too, since the node
    takes no input while a slice runs there. Everything else is a call back
    to the daemon."""

    def __init__(self, channel: Channel, node_id: str, view: list | None = None):
        self.channel = channel
        self.node_id = node_id
        self.tagspace = ProxyTags(channel)
        self.view = view

    def neighbors(self):
        if self.view is not None:
            return list(self.view[1])
        return self.channel.call("neighbors")

    def now(self):
        if self.view is not None:
            return self.view[0]
        return self.channel.call("now")

    def wake(self, woken):
        pass  # the daemon wakes waiters when it applies the write

    def spawn(self, parent, entry, args):
        return self.channel.call("spawn", entry, args)

    def create_sm(self, parent, brick, entry, args):
        return self.channel.call("create_sm", brick, entry, args)

    def log(self, sm_id, text):
        self.channel.call("log", text)
