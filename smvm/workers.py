"""The daemon's side of sandbox layer 3: a pool of worker processes.

Each SM slice runs in a worker (``smvm.worker``); the worker's calls for the
node (tags, neighbours, time, new SMs, logs) are answered here, on the
daemon's own thread, against the node core. A worker that dies, overruns its
wall-clock allowance or breaks the protocol is killed and replaced; only its
SM ends (with ``WorkerKilled``), and the daemon keeps serving.
"""
from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys

import msgpack
import tagspace
import trio

from . import statecodec
from .errors import StateDecodeError
from .limits import DEFAULT_NODE_LIMITS, MAX_ERROR_CHARS, MAX_RESULT_BYTES, truncate
from .primitives import _guest_error
from .vm import ErrorRecord, Failed, Finished, Paused, Suspended

_HEADER = struct.Struct(">I")
#: What ``WorkerPool.run`` returns for an SM lost with a worker it did not bring down.
LOST = None


class _Worker:
    def __init__(self, process: trio.Process, max_message: int = DEFAULT_NODE_LIMITS.max_worker_message):
        self.process = process
        self.max_message = max_message
        self.buffer = bytearray()
        self.limits: list[str] = []
        self.busy = True  # running a slice (a new worker starts with one)
        self.alive = True
        self.parked: set[int] = set()  # runs paused here between fuel slices
        self.dropped: list[int] = []  # paused runs the node gave up: discard them

    async def send(self, message: object) -> None:
        data = msgpack.packb(message, use_bin_type=True)
        data = _HEADER.pack(len(data)) + data
        try:
            # straight into the pipe when it has room (the usual case): no
            # trip through the scheduler before the worker can start
            sent = os.write(self.process.stdin.fileno(), data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            await self.process.stdin.send_all(data[sent:])

    async def receive(self) -> object:
        while True:
            if len(self.buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self.buffer)
                if size > self.max_message:
                    raise ValueError(f"worker message of {size:,} bytes is over the limit")
                if len(self.buffer) >= _HEADER.size + size:
                    data = bytes(self.buffer[_HEADER.size:_HEADER.size + size])
                    del self.buffer[:_HEADER.size + size]
                    return msgpack.unpackb(data, raw=False, strict_map_key=False)
            chunk = await self.process.stdout.receive_some(1 << 16)
            if not chunk:
                raise EOFError("worker closed its output")
            self.buffer += chunk


class _Parked:
    """Where an SM paused between fuel slices lives: its worker and run."""

    __slots__ = ("worker", "run")

    def __init__(self, worker: _Worker, run: int):
        self.worker = worker
        self.run = run

    def abandon(self) -> None:
        """The node no longer wants this SM: its worker discards it before
        its next job."""
        if self.run in self.worker.parked:
            self.worker.parked.discard(self.run)
            self.worker.dropped.append(self.run)


class WorkerPool:
    """Runs SM slices in ``size`` worker processes.

    An SM that spends its fuel slice stays paused in its worker (alive, in
    memory: it can only be captured at its own call sites), so its next slice
    runs in the same worker, after the slices queued before it.
    """

    def __init__(self, core, size: int = 2, *, wall_seconds: float = 30.0):
        self.core = core
        self.size = size
        self.wall_seconds = wall_seconds
        self._workers: list[_Worker] = []
        self._starting = 0
        self._freed = trio.lowlevel.ParkingLot()
        self._runs = 0
        self.killed = 0

    @property
    def _idle(self) -> list[_Worker]:
        return [w for w in self._workers if not w.busy]

    async def _spawn(self) -> _Worker:
        env = dict(os.environ)
        env["SMVM_WORKER_MEMORY_MB"] = str(self.core.config.memory_mb or 0)
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "smvm.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env)
        worker = _Worker(process, self.core.config.limits.max_worker_message)
        hello = await worker.receive()
        worker.limits = list(hello[1]) if isinstance(hello, list) and hello[:1] == ["ready"] else []
        return worker

    async def _acquire(self, pinned: _Worker | None) -> _Worker:
        """A worker for one slice: ``pinned`` (where a paused SM waits), else
        an idle one (the fewest paused SMs first), else a new one."""
        while True:
            if pinned is not None:
                if not pinned.alive:
                    raise EOFError("the worker holding the paused SM is gone")
                if not pinned.busy:
                    pinned.busy = True
                    return pinned
            else:
                idle = self._idle
                if idle:
                    worker = min(idle, key=lambda w: len(w.parked))
                    worker.busy = True
                    return worker
                if len(self._workers) + self._starting < self.size:
                    self._starting += 1
                    try:
                        worker = await self._spawn()
                    finally:
                        self._starting -= 1
                    self._workers.append(worker)
                    return worker
            await self._freed.park()

    def _release(self, worker: _Worker) -> None:
        worker.busy = False
        self._freed.unpark_all()

    async def run(self, record, kind: str, payload) -> object:
        """Run one slice of ``record``'s SM; return its outcome (``Paused``
        with a handle for the "continue" entry when the slice ran out), or
        ``LOST`` for an SM paused in a worker that another SM's slice brought
        down (the node starts it again from its last accepted state)."""
        pinned = payload if kind == "continue" else None
        try:
            worker = await self._acquire(pinned.worker if pinned is not None else None)
        except EOFError:
            return LOST
        if pinned is not None:
            run = pinned.run
            worker.parked.discard(run)
        else:
            self._runs += 1
            run = self._runs
        try:
            with trio.move_on_after(self.wall_seconds) as scope:
                outcome = await self._drive(worker, record, kind, payload, run)
            if scope.cancelled_caught:
                raise TimeoutError(f"the slice ran over {self.wall_seconds:g} s")
        except (EOFError, OSError, TimeoutError, ValueError, TypeError, IndexError, KeyError,
                AttributeError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            await self._kill(worker)
            why = str(exc) if isinstance(exc, TimeoutError) else "its worker process died"
            return Failed(ErrorRecord("WorkerKilled", f"the SM was stopped: {why}"), record.fuel)
        if isinstance(outcome, Paused):
            worker.parked.add(run)
            outcome = Paused(outcome.fuel, _Parked(worker, run))
        self._release(worker)
        return outcome

    async def _kill(self, worker: _Worker) -> None:
        """End a worker; the SMs paused in it end when their turn comes."""
        self.killed += 1
        worker.alive = False
        if worker in self._workers:
            self._workers.remove(worker)
        worker.parked.clear()
        worker.dropped.clear()
        self._freed.unpark_all()
        with trio.CancelScope(shield=True):
            worker.process.kill()
            await worker.process.wait()

    async def aclose(self) -> None:
        for worker in list(self._workers):
            await self._kill(worker)

    async def _drive(self, worker: _Worker, record, kind: str, payload, run: int):
        core = self.core
        while worker.dropped:
            await worker.send(["drop", worker.dropped.pop()])
            await worker.receive()
        host = core.host_for(record)
        view = [host.now(), host.neighbors()]  # the node as the slice starts
        if kind == "continue":
            await worker.send(["continue", run, view])
        else:
            if kind == "start":
                entry, args = payload
                blob = args if isinstance(args, bytes) else statecodec.dumps(list(args))
                wire_payload = [entry, blob]
            else:
                state, value, error = payload
                wire_payload = [state, None if value is None else statecodec.dumps(value),
                                None if error is None else [type(error).__name__, str(error)]]
            p = record.principal
            await worker.send(["run", run, record.brick.source, record.brick.name, record.sm_id,
                               [p.sm_id, p.family, p.origin, sorted(p.code)], core.node_id,
                               core.config.fuel_per_sm, record.fuel, core.config.memory_mb,
                               core.config.cpu_seconds, kind, wire_payload,
                               core.config.fuel_slice, view])
        while True:
            message = await worker.receive()
            if message[0] == "call":
                await worker.send(self._answer(host, record, message))
                continue
            return _outcome(message[2], record)

    def _answer(self, host, record, message) -> list:
        _, call_id, method, blob = message
        try:
            if type(blob) is not bytes or type(method) is not str:
                raise TypeError("malformed call")
            # decoded on the daemon's loop: colliding keys refused
            args = statecodec.loads(blob, limits=statecodec.UNTRUSTED_LIMITS)
            if type(args) is not list:
                raise TypeError("malformed call")
            value = self._call(host, record, method, args)
            return ["reply", call_id, True, statecodec.dumps(value)]
        except tagspace.TagSpaceError as exc:
            guest = _guest_error(exc)
            return ["reply", call_id, False, [type(guest).__name__, truncate(str(guest), MAX_ERROR_CHARS)]]
        except StateDecodeError as exc:
            return ["reply", call_id, False, ["ValueError", truncate(str(exc), MAX_ERROR_CHARS)]]
        except (ValueError, TypeError, RuntimeError, IndexError, KeyError) as exc:
            return ["reply", call_id, False, [type(exc).__name__, truncate(str(exc), MAX_ERROR_CHARS)]]

    def _call(self, host, record, method: str, args: list) -> object:
        p, now = record.principal, host.now()
        space = self.core.tagspace
        if method == "neighbors":
            return host.neighbors()
        if method == "now":
            return host.now()
        if method == "log":
            if type(args[0]) is not str:
                raise TypeError("log text must be a string")
            return host.log(record.sm_id, args[0])
        if method == "spawn":
            return host.spawn(_Parent(record), args[0], args[1])
        if method == "create_sm":
            return host.create_sm(_Parent(record), args[0], args[1], args[2])
        if method == "tag.exists":
            return space.exists(args[0], now)
        if method.startswith("tag."):
            # the code domain of the brick whose code made the call, as in
            # the daemon's own process: never more than the SM carries
            p = _acting(p, args.pop())
        if method == "tag.create":
            name, value, lifetime, access, code = args
            host.wake(space.create(p, name, value, lifetime, access, code, now=now))
            return None
        if method == "tag.read":
            return space.read(p, args[0], now)
        if method == "tag.write":
            host.wake(space.write(p, args[0], args[1], now))
            return None
        if method == "tag.delete":
            return space.delete(p, args[0], now)
        if method == "tag.check_wait":
            space.wait(p, args[0], ("probe", record.sm_id), None, now=now)
            space.cancel_wait(("probe", record.sm_id))
            return None
        raise ValueError(f"unknown call {method!r}")


def _acting(principal: tagspace.Principal, code: object) -> tagspace.Principal:
    """``principal`` in the code domain a worker's call names (a subset of
    the SM's own: anything else is a broken protocol)."""
    if type(code) is not list or not all(type(c) is str for c in code):
        raise TypeError("malformed call")
    narrowed = frozenset(code)
    if narrowed == principal.code:
        return principal
    if not narrowed <= principal.code:
        raise TypeError("a call named a code domain the SM does not carry")
    return dataclasses.replace(principal, code=narrowed)


def _outcome(result: object, record) -> object:
    """The outcome a worker reported, checked (a worker is untrusted too:
    anything malformed or oversized breaks the protocol, and the worker goes)."""
    if type(result) is not list or not result:
        raise ValueError("malformed outcome")
    kind = result[0]
    if kind == "finished" and len(result) == 3 and type(result[1]) is bytes and type(result[2]) is int:
        if len(result[1]) > MAX_RESULT_BYTES:
            return Failed(ErrorRecord("ResultError", f"result of {len(result[1]):,} bytes exceeds "
                                      f"the limit of {MAX_RESULT_BYTES:,} bytes"), result[2])
        try:
            value = statecodec.loads(result[1], limits=statecodec.UNTRUSTED_LIMITS)
        except StateDecodeError as exc:
            return Failed(ErrorRecord("ResultError", truncate(str(exc), MAX_ERROR_CHARS)), result[2])
        return Finished(value, result[2])
    if kind == "failed" and len(result) == 3 and type(result[1]) is dict and type(result[2]) is int:
        error = result[1]
        line = error.get("line")
        return Failed(ErrorRecord(truncate(str(error.get("type")), 80),
                                  truncate(str(error.get("message")), MAX_ERROR_CHARS),
                                  line if type(line) is int else None), result[2])
    if kind == "paused" and len(result) == 2 and type(result[1]) is int:
        return Paused(result[1], None)
    if kind == "suspended" and len(result) == 4 and _request_ok(result[1]) \
            and type(result[2]) is bytes and type(result[3]) is int:
        return Suspended(result[1], result[2], result[3])
    raise ValueError("malformed outcome")


def _request_ok(request: object) -> bool:
    if type(request) is not dict:
        return False
    if request.get("kind") == "migrate":
        return "target" in request
    timeout = request.get("timeout")
    return (request.get("kind") == "block" and type(request.get("tag")) is str
            and (timeout is None or type(timeout) in (int, float) and 0 <= timeout <= 1e9))


class _Parent:
    """What the node needs of the SM that asks for a new one (``host.spawn``)."""

    def __init__(self, record):
        self.principal = record.principal
        self.brick = record.brick

