"""The bricks a daemon keeps in its state directory (``bricks/HASH.py``): an
SM recovered from the journal after a restart finds its code there. A brick
is written once, when the node's code cache takes it in; at start-up each
stored one is checked against its hash as it is loaded.
"""
from __future__ import annotations

import logging
import os

from ..compiler import Brick
from ..errors import RemoteInputError
from ..node import CodeCache

log = logging.getLogger("smvm.node")


class BrickStore:
    """Bricks on disk under ``folder``, kept in step with a code cache."""

    def __init__(self, folder: str):
        self.folder = folder
        self._saved: set[str] = set()

    def load_into(self, cache: CodeCache) -> None:
        """Put the stored bricks in ``cache``, then store each brick it takes
        in from now on."""
        os.makedirs(self.folder, exist_ok=True)
        for entry in sorted(os.listdir(self.folder)):
            brick_id, ext = os.path.splitext(entry)
            if ext != ".py":
                continue
            try:
                with open(os.path.join(self.folder, entry), encoding="utf-8") as f:
                    cache.add_remote(brick_id, f.read())
                self._saved.add(brick_id)
            except (OSError, UnicodeDecodeError, RemoteInputError) as exc:
                log.warning("ignoring stored brick %s: %s", entry, exc)
        for brick in cache.bricks():  # stored under another name, or given at start-up
            self.save(brick)
        cache.on_added = self.save

    def save(self, brick: Brick) -> None:
        if brick.hash in self._saved:
            return
        path = os.path.join(self.folder, brick.hash + ".py")
        try:
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(brick.source)
            os.replace(path + ".tmp", path)
            self._saved.add(brick.hash)
        except OSError as exc:
            log.warning("cannot store brick %s: %s", brick.hash[:12], exc)
