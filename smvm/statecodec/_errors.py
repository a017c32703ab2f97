"""The errors raised inside the codec's walks."""
from __future__ import annotations

from ..errors import StateDecodeError


class Unencodable(Exception):
    """Raised deep in the full encoder; containers prepend their step to
    ``path`` as it unwinds, so the path costs nothing unless something fails."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def describe(self) -> str:
        steps = self.path[::-1]
        if len(steps) > 12:
            steps[6:-6] = [f"...{len(steps) - 12} more..."]
        where = "".join(steps) or "the top level"
        return f"{self.message} (at {where})"


def key_step(key: object) -> str:
    """How a dict key shows in an ``Unencodable`` path."""
    text = repr(key)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"[{text}]"


def name_of(f: object) -> str:
    return getattr(f, "__qualname__", None) or type(f).__name__


def fail(message: str) -> StateDecodeError:
    """The one error decoding raises, for whatever is wrong with the input."""
    return StateDecodeError(message)
