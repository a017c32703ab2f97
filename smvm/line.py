"""``smvm exec``'s world: an in-process line of nodes ``0 .. N-1`` in
virtual time.

Every node has a tag space; SMs run one at a time from an event queue (hops
take ``HOP_DELAY`` of virtual time, ``block_tag`` waits until a write or its
deadline, tags expire on the virtual clock). Every migration serialises the
whole SM to bytes and resumes it from those bytes on the target node, exactly
as a real hop would; a blocked SM is parked as bytes too.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

import tagspace

from .compiler import Brick, compile_brick
from .errors import RemoteInputError, TagTimeout, UsageError
from .primitives import load_args
from .vm import (
    DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB, ErrorRecord, Failed, Finished, SMInstance, Suspended,
)

#: Virtual time one hop takes on the line (seconds).
HOP_DELAY = 0.01
MAX_EVENTS = 1_000_000
MAX_SMS = 10_000


class LineNode:
    """One node of the line: its id, neighbours and tag space."""

    def __init__(self, node_id: int, size: int, world: "LineWorld"):
        self.node_id = node_id
        self.world = world
        self.tagspace = tagspace.TagSpace(str(node_id))
        self.tagspace.register_io("node_id", tagspace.StaticValue(node_id), replace=True)
        self.tagspace.register_io("neighbors", tagspace.StaticValue(
            [n for n in (node_id - 1, node_id + 1) if 0 <= n < size]), replace=True)

    def neighbors(self) -> list[int]:
        return self.tagspace.read(self.tagspace.node_principal, "neighbors", self.world.clock)

    def now(self) -> float:
        return self.world.clock

    def wake(self, woken: tuple) -> None:
        for event in woken:
            self.world.wake(self, event.token, event.name)

    def spawn(self, parent: SMInstance, entry: str, args: bytes) -> str:
        p = parent.principal
        return self.world.new_sm(self, parent.brick, entry, args, family=p.family, origin=p.origin,
                                 parent=parent)

    def create_sm(self, parent: SMInstance, brick: str, entry: str, args: bytes) -> str:
        found = self.world.bricks.get(brick)
        if found is None:
            raise ValueError(f"no brick named {brick!r} on node {self.node_id} "
                             f"(known: {', '.join(sorted(self.world.bricks))})")
        return self.world.new_sm(self, found, entry, args, family=None,
                                 origin=parent.principal.origin, parent=parent)

    def log(self, sm_id: str, text: str) -> None:
        self.world.log.append({"node": self.node_id, "time": round(self.world.clock, 9),
                               "sm": sm_id, "text": text})


@dataclass
class SMRecord:
    sm_id: str
    brick: Brick
    principal: tagspace.Principal
    node: int
    fuel: int = 0
    hops: int = 0
    bytes: int = 0
    outcome: Finished | Failed | None = None
    waiting: tuple | None = None  # (node, state, token) while blocked


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


class LineWorld:
    """The event loop: (time, seq) ordered actions on SMs of the line."""

    def __init__(self, size: int, fuel: int, memory_mb: float,
                 cpu_seconds: float | None = DEFAULT_CPU_SECONDS):
        self.cpu_seconds = cpu_seconds
        self.clock = 0.0
        self.log: list[dict] = []
        self.fuel = fuel
        self.memory_mb = memory_mb
        self.nodes = [LineNode(i, size, self) for i in range(size)]
        self.bricks: dict[str, Brick] = {}
        self.sms: dict[str, SMRecord] = {}
        self._queue: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)

    # ---- scheduling --------------------------------------------------------------
    def at(self, time: float, action) -> None:
        heapq.heappush(self._queue, (time, next(self._seq), action))

    def new_sm(self, node: LineNode, brick: Brick, entry: str, args: bytes, *,
               family: str | None, origin: str, parent: SMInstance | None = None) -> str:
        if len(self.sms) >= MAX_SMS:
            raise RuntimeError(f"too many SMs (limit {MAX_SMS})")
        sm_id = f"sm{next(self._ids)}"
        principal = tagspace.Principal(sm_id, family or sm_id, origin, brick.code_ids)
        rec = SMRecord(sm_id, brick, principal, node.node_id)
        self.sms[sm_id] = rec
        self.at(self.clock, lambda: self._start(rec, entry, args))
        return sm_id

    def wake(self, node: LineNode, token: str, name: str) -> None:
        rec = self.sms.get(token)
        if rec is None or rec.waiting is None:
            return
        node_id, state, _ = rec.waiting
        rec.waiting = None
        value = None
        try:
            value = self.nodes[node_id].tagspace.read(rec.principal, name, self.clock)
        except tagspace.TagSpaceError:
            value = None  # woken, but it cannot (or can no longer) read the value
        self.at(self.clock, lambda: self._resume(rec, state, value, None))

    def run(self) -> None:
        events = 0
        while self._queue:
            events += 1
            if events > MAX_EVENTS:
                raise RuntimeError(f"more than {MAX_EVENTS} events")
            time, _, action = heapq.heappop(self._queue)
            self.clock = max(self.clock, time)
            action()

    # ---- running SMs ---------------------------------------------------------------
    def _instance(self, rec: SMRecord) -> SMInstance:
        return SMInstance(rec.brick, self.nodes[rec.node], sm_id=rec.sm_id, fuel_limit=self.fuel,
                          memory_mb=self.memory_mb, fuel_used=rec.fuel, principal=rec.principal,
                          cpu_seconds=self.cpu_seconds)

    def _start(self, rec: SMRecord, entry: str, args: bytes | list) -> None:
        sm = self._instance(rec)
        if isinstance(args, bytes):
            args = load_args(sm, args)
        self._handle(rec, sm.start(entry, args))

    def _resume(self, rec: SMRecord, state: bytes, value: object, error: BaseException | None) -> None:
        sm = self._instance(rec)
        try:
            outcome = sm.resume(state, value, error)
        except RemoteInputError as exc:  # our own state failed validation: a VM bug
            outcome = Failed(ErrorRecord("VMBug", f"{type(exc).__name__}: {exc}"), rec.fuel)
        self._handle(rec, outcome)

    def _handle(self, rec: SMRecord, outcome) -> None:
        rec.fuel = outcome.fuel
        if not isinstance(outcome, Suspended):
            rec.outcome = outcome
            return
        request = outcome.request
        if request["kind"] == "migrate":
            rec.hops += 1
            rec.bytes += len(outcome.state)
            rec.node = request["target"]
            self.at(self.clock + HOP_DELAY, lambda: self._resume(rec, outcome.state, None, None))
            return
        # block_tag: park the state until a write wakes it or the deadline passes
        node = self.nodes[rec.node]
        timeout = request["timeout"]
        deadline = None if timeout is None else self.clock + timeout
        rec.waiting = (rec.node, outcome.state, rec.sm_id)
        node.tagspace.wait(rec.principal, request["tag"], rec.sm_id, deadline, now=self.clock)
        if deadline is not None:
            self.at(deadline, lambda: self._timeout(rec, node, request["tag"], timeout))

    def _timeout(self, rec: SMRecord, node: LineNode, name: str, timeout: float) -> None:
        if rec.waiting is None:
            return
        _, state, _ = rec.waiting
        rec.waiting = None
        node.tagspace.cancel_wait(rec.sm_id)
        error = TagTimeout(f"no write to tag {name!r} within {timeout:g} s")
        self._resume(rec, state, None, error)


def run_line(source: str, args: list | tuple = (), *, nodes: int = 3, fuel: int | None = None,
             memory_mb: float | None = None, filename: str = "<brick>",
             entry: str = "main", cpu_seconds: float | None = DEFAULT_CPU_SECONDS) -> ExecResult:
    """Run ``entry(*args)`` of a brick as an SM starting on node 0 of a line.

    SMs it spawns or creates run too, in virtual time, until none can run.
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
    if cpu_seconds is not None and not cpu_seconds > 0:
        raise UsageError("the CPU time budget must be positive")
    world = LineWorld(nodes, fuel, memory_mb, cpu_seconds)
    world.bricks[_brick_name(filename)] = brick
    main_id = world.new_sm(world.nodes[0], brick, entry, list(args), family=None, origin="0")
    world.run()
    rec = world.sms[main_id]
    outcome = rec.outcome
    if outcome is None:
        blocked = "waiting on a tag nobody writes" if rec.waiting else "never finished"
        outcome = Failed(ErrorRecord("TagTimeout" if rec.waiting else "VMBug",
                                     f"the SM is {blocked}"), rec.fuel)
    if isinstance(outcome, Finished):
        return ExecResult(outcome.value, None, rec.node, rec.hops, rec.bytes, outcome.fuel,
                          world.log, len(world.sms))
    return ExecResult(None, outcome.error, rec.node, rec.hops, rec.bytes, outcome.fuel,
                      world.log, len(world.sms))


def _brick_name(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".py") else base
