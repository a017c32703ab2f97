"""The greenlets sliced SMs run in, reused from one SM to the next.

A fresh greenlet's first switch costs far more than a switch, so whoever runs
SM slices (a node core, a worker process) owns a ``RunnerPool`` of idle
runners and hands it to the instances it makes; an instance takes a runner
for as long as it is paused between slices and gives it back when it ends.
An idle runner holds nothing of the SMs it ran. A greenlet can only be
switched to from the thread that made it: a pool serves one thread.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import greenlet

if TYPE_CHECKING:
    from .instance import SMInstance


class RunnerPool:
    """Idle runners of one slice runner (see the module's docstring)."""

    __slots__ = ("_idle",)

    def __init__(self) -> None:
        self._idle: list[greenlet.greenlet] = []

    def take(self) -> greenlet.greenlet:
        """A greenlet to run one SM's slices in. Each loops, running
        ``instance._execute(body)`` for whoever switches in with
        ``(instance, body)``, and hands the result back to its parent."""
        idle = self._idle
        while idle:
            green = idle.pop()
            if not green.dead:
                return green
        return greenlet.greenlet(_run_slices)

    def give(self, green: greenlet.greenlet) -> None:
        """An SM ended: its runner waits for the next SM."""
        self._idle.append(green)

    def __len__(self) -> int:
        return len(self._idle)


def _run_slices(instance: "SMInstance", body: Callable[[], object]) -> None:
    while True:
        # the result goes back through the instance: an idle runner's frame
        # keeps nothing of the SM alive
        instance._executed = instance._execute(body)
        del instance, body
        instance, body = greenlet.getcurrent().parent.switch()
