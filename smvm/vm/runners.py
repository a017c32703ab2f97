"""The greenlets sliced SMs run in, reused from one SM to the next.

A fresh greenlet's first switch costs far more than a switch, so each thread
keeps its idle runners; an SM's instance takes one for as long as it is
paused between slices and gives it back when it ends.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

import greenlet

if TYPE_CHECKING:
    from .instance import SMInstance

_runners = threading.local()


def idle_runners() -> list:
    """This thread's idle runners (an SM gives its runner back here)."""
    idle = _runners.__dict__.get("idle")
    if idle is None:
        idle = _runners.idle = []
    return idle


def runner() -> greenlet.greenlet:
    """A greenlet to run one SM's slices in. Each loops, running
    ``instance._execute(body)`` for whoever switches in with
    ``(instance, body)``, and hands the result back to its parent."""
    idle = idle_runners()
    while idle:
        green = idle.pop()
        if not green.dead:
            return green
    return greenlet.greenlet(_run_slices)


def _run_slices(instance: "SMInstance", body: Callable[[], object]) -> None:
    while True:
        # the result goes back through the instance: an idle runner's frame
        # keeps nothing of the SM alive
        instance._executed = instance._execute(body)
        del instance, body
        instance, body = greenlet.getcurrent().parent.switch()
