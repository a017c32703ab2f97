"""Loading a brick file, with the bricks it imports linked in."""
from __future__ import annotations

from pathlib import Path


def load_brick(path: str | Path) -> str:
    """The source of the SM unit started from the brick file ``path``.

    Raises ``OSError``/``UnicodeDecodeError`` when the file cannot be read.
    """
    return Path(path).read_text(encoding="utf-8")
