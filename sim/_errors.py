"""Errors raised by the simulator.

One root, ``SimError``. ``SchedulingError`` (also a ``ValueError``) is local
misuse of the kernel: an event in the past, a non-finite time, a nested
``run``. ``ModelError`` (also a ``ValueError``) is a bad model parameter or a
query a model cannot answer (an unknown node, a negative time).

Exceptions raised by event callbacks are *not* wrapped: they leave
``Simulation.run`` unchanged, with a note giving the event time and callback.
"""
from __future__ import annotations


class SimError(Exception):
    """Root of every error raised by ``sim``."""


class SchedulingError(SimError, ValueError):
    """The kernel was asked to do something impossible (time going backwards, ...)."""


class ModelError(SimError, ValueError):
    """A radio or mobility model got a bad parameter or an impossible query."""


class ScenarioError(SimError):
    """A scenario is not valid; the message names the key (and, in a file, its line)."""
