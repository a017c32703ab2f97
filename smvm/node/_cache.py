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
from collections.abc import Callable

from .. import wire
from ..compiler import Brick, brick_hash, compile_brick, unit_part
from ..errors import CompileError, RemoteInputError, SourceError
from ..limits import DEFAULT_NODE_LIMITS, NodeLimits
from ..vm import RunnerPool


class CompiledBricks:
    """Compiled bricks by source and name, least recently used out.

    Compiling is deterministic and a Brick is never changed after it is
    built, so the cores of one process (a simulation) may share one: the
    simulator passes the same ``SharedCaches`` to all of its cores."""

    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self._bricks: OrderedDict[tuple[str, str], Brick] = OrderedDict()
        self._shapes: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def compile(self, source: str, name: str) -> Brick:
        """The brick of ``source`` (``CompileError`` when it does not compile)."""
        key = (source, name)
        brick = self._bricks.get(key)
        if brick is None:
            brick = _remember(self._bricks, key, compile_brick(source, name), self.capacity)
        else:
            self._bricks.move_to_end(key)
        return brick

    def shape(self, source: str) -> tuple[int, int]:
        """Syntax nodes and call sites of a brick (0, 0 when it does not parse:
        the compiler then reports why)."""
        shape = self._shapes.get(source)
        if shape is None:
            shape = _remember(self._shapes, source, _shape(source), self.capacity)
        else:
            self._shapes.move_to_end(source)
        return shape


class RecentFrames:
    """Short messages decoded lately: a broadcast beacon reaches every
    neighbour as the same bytes, and frames are immutable."""

    #: messages up to this size are remembered
    SMALL = 512

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self._frames: dict[bytes, object] = {}

    def decode(self, message: bytes):
        """The frame of ``message`` (``wire.WireError`` when it is none)."""
        if len(message) > self.SMALL:
            return wire.decode(message)
        frame = self._frames.get(message)
        if frame is None:
            frame = wire.decode(message)
            if len(self._frames) >= self.capacity:
                self._frames.clear()
            self._frames[message] = frame
        return frame


class SharedCaches:
    """What the cores of one process may share (pass one to each core; a
    core without one keeps its own); the cores share one thread."""

    def __init__(self) -> None:
        self.bricks = CompiledBricks()
        self.frames = RecentFrames()
        #: idle greenlets the cores' sliced SMs run in
        self.runners = RunnerPool()


def _remember(table: OrderedDict, key, value, capacity: int):
    table[key] = value
    if len(table) > capacity:
        table.popitem(last=False)
    return value


def compile_bounded(source: str, name: str, limits: NodeLimits = DEFAULT_NODE_LIMITS,
                    compiled: CompiledBricks | None = None) -> Brick:
    """Compile a brick whose size and shape are within ``limits`` (else
    ``CompileError``), so the work it takes is bounded (``compiled``: the
    bricks compiled before, to reuse)."""
    def refuse(why: str) -> CompileError:
        return CompileError([SourceError(name, 0, why)])

    if len(source) > limits.max_brick_source:
        raise refuse(f"brick of {len(source):,} characters exceeds the limit of "
                     f"{limits.max_brick_source:,}")
    nodes, calls = _shape(source) if compiled is None else compiled.shape(source)
    if nodes > limits.max_brick_nodes:
        raise refuse(f"brick of {nodes:,} syntax nodes exceeds the limit of "
                     f"{limits.max_brick_nodes:,}")
    if calls > limits.max_brick_calls:
        raise refuse(f"brick with {calls:,} call sites exceeds the limit of "
                     f"{limits.max_brick_calls:,}")
    return compile_brick(source, name) if compiled is None else compiled.compile(source, name)


def _shape(source: str) -> tuple[int, int]:
    """Syntax nodes and call sites of a brick (0, 0 when it does not parse)."""
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
                 deferred: bool = False, compiled: CompiledBricks | None = None):
        if capacity < 1:
            raise ValueError("the code cache needs room for at least one brick")
        self.capacity = capacity
        self.limits = limits
        #: bricks compiled before (shared by the cores of a simulation)
        self.compiled = compiled if compiled is not None else CompiledBricks()
        #: compile untrusted bricks elsewhere (``pending``/``finish``)
        self.deferred = deferred
        self._bricks: OrderedDict[str, Brick] = OrderedDict()
        #: hash -> (source, name) waiting to be compiled
        self.pending: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._failed: OrderedDict[str, CompileError] = OrderedDict()
        self.hits = 0
        self.misses = 0
        #: called with each brick the cache takes in (a daemon stores it)
        self.on_added: Callable[[Brick], None] | None = None

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
        return self._keep(self.compiled.compile(source, name))

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
                return self._keep(compile_bounded(source, name, self.limits, self.compiled))
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
        new = brick.hash not in self._bricks
        self._bricks[brick.hash] = brick
        self._bricks.move_to_end(brick.hash)
        while len(self._bricks) > self.capacity:
            self._bricks.popitem(last=False)
        if new and self.on_added is not None:
            self.on_added(brick)
        return brick

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
            return self._keep(compile_bounded(source, f"brick-{unit.parts[name][:12]}", self.limits,
                                              self.compiled))
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
