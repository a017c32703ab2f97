"""``smvm exec``'s world: an in-process line of nodes ``0 .. N-1``.

Every migration serialises the whole SM to bytes and resumes it from those
bytes on the target node, exactly as a real hop would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compiler import compile_brick
from .errors import RemoteInputError, UsageError
from .vm import (
    DEFAULT_FUEL, DEFAULT_MEMORY_MB, ErrorRecord, Failed, Finished, Migrate, SMInstance,
)

#: Virtual time one hop takes on the line (seconds).
HOP_DELAY = 0.01
MAX_HOPS = 1_000_000


@dataclass
class LineNode:
    node_id: int
    size: int
    world: "LineWorld"

    def neighbors(self) -> list[int]:
        return [n for n in (self.node_id - 1, self.node_id + 1) if 0 <= n < self.size]

    def now(self) -> float:
        return self.world.clock

    def read_io_tag(self, name: str) -> Any:
        if name == "neighbors":
            return self.neighbors()
        if name == "node_id":
            return self.node_id
        if name == "time":
            return self.world.clock
        raise KeyError(name)

    def log(self, sm_id: str, text: str) -> None:
        self.world.log.append({"node": self.node_id, "time": self.world.clock, "sm": sm_id, "text": text})


@dataclass
class LineWorld:
    clock: float = 0.0
    log: list = field(default_factory=list)


@dataclass
class ExecResult:
    """How an SM run on the line ended."""

    result: object
    error: ErrorRecord | None
    node: int
    hops: int
    bytes: int
    fuel: int
    log: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"result": self.result, "error": self.error.to_json() if self.error else None,
                "node": self.node, "hops": self.hops, "bytes": self.bytes, "fuel": self.fuel}


def run_line(source: str, args: list | tuple = (), *, nodes: int = 3, fuel: int | None = None,
             memory_mb: float | None = None, filename: str = "<brick>",
             entry: str = "main") -> ExecResult:
    """Run ``entry(*args)`` of a brick as an SM starting on node 0 of a line.

    Raises ``CompileError`` when the brick is invalid and ``UsageError`` for
    bad parameters; every guest problem is reported in the result instead.
    """
    if type(nodes) is not int or nodes < 1:
        raise UsageError("the line needs at least one node")
    fuel = DEFAULT_FUEL if fuel is None else fuel
    if fuel <= 0:
        raise UsageError("fuel must be positive")
    memory_mb = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    if memory_mb <= 0:
        raise UsageError("memory must be positive")
    brick = compile_brick(source, filename)
    world = LineWorld()
    line = [LineNode(i, nodes, world) for i in range(nodes)]
    sm = SMInstance(brick, line[0], fuel_limit=fuel, memory_mb=memory_mb)
    outcome = sm.start(entry, list(args))
    node, hops, moved = 0, 0, 0
    while isinstance(outcome, Migrate):
        hops += 1
        moved += len(outcome.state)
        world.clock += HOP_DELAY
        node = outcome.target
        if hops > MAX_HOPS:
            outcome = Failed(ErrorRecord("MigrationError", f"more than {MAX_HOPS} hops"), outcome.fuel)
            break
        receiver = SMInstance(brick, line[node], fuel_limit=fuel, memory_mb=memory_mb,
                              fuel_used=outcome.fuel)
        try:
            outcome = receiver.resume(outcome.state)
        except RemoteInputError as exc:  # our own state failed validation: a VM bug
            outcome = Failed(ErrorRecord("VMBug", f"{type(exc).__name__}: {exc}"), outcome.fuel)
    if isinstance(outcome, Finished):
        return ExecResult(outcome.value, None, node, hops, moved, outcome.fuel, world.log)
    assert isinstance(outcome, Failed)
    return ExecResult(None, outcome.error, node, hops, moved, outcome.fuel, world.log)
