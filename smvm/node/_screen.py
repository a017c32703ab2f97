"""Checking an arriving continuation against its brick without building its
values, for a node whose SMs run elsewhere (in sandboxed workers)."""
from __future__ import annotations

from ..compiler import Brick
from ..continuation import screen


def screen_continuation(state: bytes, brick: Brick) -> int:
    """The fuel an arriving SM has spent, once its continuation is found to
    fit ``brick``; ``ContinuationError`` when it does not."""
    return screen(state, brick)["fuel"]
