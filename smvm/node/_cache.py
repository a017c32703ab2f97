"""The code cache: compiled bricks by content hash, least recently used out.

Compiling an untrusted brick is bounded (``NodeLimits``: source size, syntax
nodes, call sites) and, in a node that asks for it (``deferred``), happens
off the caller's loop: a brick not compiled yet is queued, the frame that
brought it is dropped (its sender resends it), and the driver compiles the
queue elsewhere and hands each result back with ``finish``.
"""
from __future__ import annotations

import ast
from collections import OrderedDict
from functools import lru_cache

from ..compiler import Brick, brick_hash, compile_brick, unit_part
from ..errors import CompileError, RemoteInputError, SourceError
from ..limits import DEFAULT_NODE_LIMITS, NodeLimits


@lru_cache(maxsize=256)
def _compiled(source: str, name: str) -> Brick:
    """Compiling is deterministic and a Brick is never changed after it is
    built, so nodes in one process (a simulation) share the work."""
    return compile_brick(source, name)


def compile_bounded(source: str, name: str, limits: NodeLimits = DEFAULT_NODE_LIMITS) -> Brick:
    """Compile a brick whose size and shape are within ``limits`` (else
    ``CompileError``), so the work it takes is bounded."""
    def refuse(why: str) -> CompileError:
        return CompileError([SourceError(name, 0, why)])

    if len(source) > limits.max_brick_source:
        raise refuse(f"brick of {len(source):,} characters exceeds the limit of "
                     f"{limits.max_brick_source:,}")
    nodes, calls = _shape(source)
    if nodes > limits.max_brick_nodes:
        raise refuse(f"brick of {nodes:,} syntax nodes exceeds the limit of "
                     f"{limits.max_brick_nodes:,}")
    if calls > limits.max_brick_calls:
        raise refuse(f"brick with {calls:,} call sites exceeds the limit of "
                     f"{limits.max_brick_calls:,}")
    return _compiled(source, name)


@lru_cache(maxsize=256)
def _shape(source: str) -> tuple[int, int]:
    """Syntax nodes and call sites of a brick (0, 0 when it does not parse:
    the compiler then reports why)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0, 0
    nodes = calls = 0
    for node in ast.walk(tree):
        nodes += 1
        calls += type(node) is ast.Call
    return nodes, calls


class CodeCache:
    """Bricks a node holds, keyed by the SHA-256 of their source."""

    def __init__(self, capacity: int = 64, limits: NodeLimits = DEFAULT_NODE_LIMITS, *,
                 deferred: bool = False):
        if capacity < 1:
            raise ValueError("the code cache needs room for at least one brick")
        self.capacity = capacity
        self.limits = limits
        #: compile untrusted bricks elsewhere (``pending``/``finish``)
        self.deferred = deferred
        self._bricks: OrderedDict[str, Brick] = OrderedDict()
        #: hash -> (source, name) waiting to be compiled
        self.pending: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._failed: OrderedDict[str, CompileError] = OrderedDict()
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

    def add_untrusted(self, source: str, name: str) -> Brick | None:
        """A brick from a client (an inject request): compiled within the
        limits (``CompileError``), or None while it waits to be compiled."""
        brick_id = brick_hash(source)
        known = self._bricks.get(brick_id)
        if known is not None:
            return known
        return self._compile(brick_id, source, name)

    def add_remote(self, brick_id: str, source: str) -> Brick | None:
        """Keep a brick received from a peer, after checking its hash and
        compiling it (raises ``RemoteInputError``: nothing runs unchecked);
        None while it waits to be compiled."""
        known = self._bricks.get(brick_id)
        if known is not None and known.source == source:
            return known
        if brick_hash(source) != brick_id:
            raise RemoteInputError(f"brick {brick_id[:12]}... does not match its source")
        try:
            return self._compile(brick_id, source, f"brick-{brick_id[:12]}")
        except CompileError as exc:
            raise RemoteInputError(f"brick {brick_id[:12]}... does not compile: {exc.errors[0]}") from None

    def _compile(self, brick_id: str, source: str, name: str) -> Brick | None:
        failed = self._failed.get(brick_id)
        if failed is not None:
            raise failed
        if not self.deferred:
            try:
                return self._keep(compile_bounded(source, name, self.limits))
            except CompileError as exc:
                self._remember_failure(brick_id, exc)
                raise
        if brick_id not in self.pending and len(self.pending) < self.limits.max_pending_compiles:
            self.pending[brick_id] = (source, name)
        return None

    def take_pending(self) -> list[tuple[str, str, str]]:
        """(hash, source, name) of the bricks to compile; the driver calls
        ``finish`` for each (they stay pending until then)."""
        return [(b, src, name) for b, (src, name) in self.pending.items()]

    def finish(self, brick_id: str, outcome: Brick | CompileError) -> None:
        """The driver compiled a pending brick (or failed to)."""
        if self.pending.pop(brick_id, None) is None:
            return
        if isinstance(outcome, CompileError):
            self._remember_failure(brick_id, outcome)
        else:
            self._keep(outcome)

    def _remember_failure(self, brick_id: str, exc: CompileError) -> None:
        self._failed[brick_id] = exc
        while len(self._failed) > self.limits.max_compile_failures:
            self._failed.popitem(last=False)

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

    def add_part(self, unit: Brick, name: str) -> Brick | None:
        """The part ``name`` of the linked unit ``unit`` as a brick of its own
        (its code domain is the part's), kept like a received brick; None when
        the unit has no such part. Raises ``RemoteInputError`` when the part
        cannot run alone (it imports other bricks)."""
        source = unit_part(unit, name)
        if source is None:
            return None
        known = self._bricks.get(unit.parts[name])
        if known is not None:
            return known
        try:  # a part of a brick this node holds: compiled here, bounded
            return self._keep(compile_bounded(source, f"brick-{unit.parts[name][:12]}", self.limits))
        except CompileError as exc:
            raise RemoteInputError(f"part {name!r} does not compile: {exc.errors[0]}") from None

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
