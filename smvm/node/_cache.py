"""The code cache: compiled bricks by content hash, least recently used out."""
from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

from ..compiler import Brick, brick_hash, compile_brick, unit_part
from ..errors import CompileError, RemoteInputError


@lru_cache(maxsize=256)
def _compiled(source: str, name: str) -> Brick:
    """Compiling is deterministic and a Brick is never changed after it is
    built, so nodes in one process (a simulation) share the work."""
    return compile_brick(source, name)


class CodeCache:
    """Bricks a node holds, keyed by the SHA-256 of their source."""

    def __init__(self, capacity: int = 64):
        if capacity < 1:
            raise ValueError("the code cache needs room for at least one brick")
        self.capacity = capacity
        self._bricks: OrderedDict[str, Brick] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __contains__(self, brick_id: str) -> bool:
        return brick_id in self._bricks

    def __len__(self) -> int:
        return len(self._bricks)

    def get(self, brick_id: str) -> Brick | None:
        brick = self._bricks.get(brick_id)
        if brick is None:
            self.misses += 1
            return None
        self.hits += 1
        self._bricks.move_to_end(brick_id)
        return brick

    def add_source(self, source: str, name: str) -> Brick:
        """Compile and keep a local brick (raises ``CompileError``)."""
        return self._keep(_compiled(source, name))

    def add_remote(self, brick_id: str, source: str) -> Brick:
        """Keep a brick received from a peer, after checking its hash and
        compiling it (raises ``RemoteInputError``: nothing runs unchecked)."""
        if brick_hash(source) != brick_id:
            raise RemoteInputError(f"brick {brick_id[:12]}... does not match its source")
        known = self._bricks.get(brick_id)
        if known is not None:
            return known
        try:
            brick = _compiled(source, f"brick-{brick_id[:12]}")
        except CompileError as exc:
            raise RemoteInputError(f"brick {brick_id[:12]}... does not compile: {exc.errors[0]}") from None
        return self._keep(brick)

    def _keep(self, brick: Brick) -> Brick:
        self._bricks[brick.hash] = brick
        self._bricks.move_to_end(brick.hash)
        while len(self._bricks) > self.capacity:
            self._bricks.popitem(last=False)
        return brick

    def add_part(self, unit: Brick, name: str) -> Brick | None:
        """The part ``name`` of the linked unit ``unit`` as a brick of its own
        (its code domain is the part's), kept like a received brick; None when
        the unit has no such part. Raises ``RemoteInputError`` when the part
        cannot run alone (it imports other bricks)."""
        source = unit_part(unit, name)
        if source is None:
            return None
        return self.add_remote(unit.parts[name], source)

    def bricks(self) -> list[Brick]:
        return list(self._bricks.values())

    def find(self, name_or_id: str) -> Brick | None:
        """A brick by id, or by the name it was added under."""
        brick = self._bricks.get(name_or_id)
        if brick is not None:
            return brick
        return next((b for b in self._bricks.values() if b.name == name_or_id), None)

    def missing(self, brick_ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(b for b in brick_ids if b not in self._bricks)
