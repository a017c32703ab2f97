"""``smvm exec``'s result, and its entry point.

The line of nodes it runs on is a simulation: ``sim.line`` (node cores on
the simulator's kernel and radio). ``smvm`` does not import the simulator
when it is imported: ``run_line`` (and ``LineWorld``, for tests and tools)
load it when first used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .vm import DEFAULT_CPU_SECONDS, ErrorRecord


@dataclass
class ExecResult:
    """How the main SM of a run on the line ended."""

    result: object
    error: ErrorRecord | None
    node: int
    hops: int
    bytes: int
    fuel: int
    log: list = field(default_factory=list)
    sms: int = 1

    def to_json(self) -> dict:
        return {"result": self.result, "error": self.error.to_json() if self.error else None,
                "node": self.node, "hops": self.hops, "bytes": self.bytes, "fuel": self.fuel,
                "log": self.log, "sms": self.sms}


def run_line(source: str, args: list | tuple = (), *, nodes: int = 3, fuel: int | None = None,
             memory_mb: float | None = None, filename: str = "<brick>",
             entry: str = "main", cpu_seconds: float | None = DEFAULT_CPU_SECONDS) -> ExecResult:
    """Run ``entry(*args)`` of a brick as an SM starting on node 0 of a line
    of ``nodes`` nodes (see ``sim.line.run_line``)."""
    from sim.line import run_line as run
    return run(source, args, nodes=nodes, fuel=fuel, memory_mb=memory_mb, filename=filename,
               entry=entry, cpu_seconds=cpu_seconds)


def __getattr__(name: str) -> Any:
    if name in ("LineWorld", "LineHost", "FRAME_DELAY"):
        from sim import line
        return getattr(line, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
