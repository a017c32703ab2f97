"""The daemon's side of sandbox layer 3: a pool of worker processes.

Each SM slice runs in a worker (``smvm.workers.child``); the worker's calls
for the node (tags, neighbours, time, new SMs, logs) are answered here, on
the daemon's own thread, against the node core (``smvm.workers.calls``). A
worker that dies, overruns its wall-clock allowance or breaks the protocol
is killed and replaced; only its SM ends (with ``WorkerKilled``), and the
daemon keeps serving.

A worker's address space is capped at one SM's memory budget plus a margin,
and SMs paused in it keep what they hold, so the SM running there may find
less room than its budget still owes it. Such a slice fails with
``MemoryCrowded`` (the VM sees its allowance was cut by the worker's hard
limit), not ``MemoryExhausted``: the SM starts again from its last accepted
state, like the SMs of a killed worker, and the crowded worker takes no new
SM; it finishes the SMs paused in it and is then replaced. This needs no
accounting of who holds what, the worker's memory stays bounded, and an SM
ends for memory only where its own budget was the limit (a fresh worker).
"""
from __future__ import annotations

import os
import subprocess
import sys

import trio

from ..limits import DEFAULT_NODE_LIMITS
from ..slices import Continue, Step, job_for
from ..vm import ErrorRecord, Failed, Paused
from . import pipe
from .calls import answer
from .messages import decode_outcome, encode_job

#: What ``WorkerPool.run`` returns for an SM lost with a worker it did not bring down.
LOST = None


class _Worker:
    def __init__(self, process: trio.Process, max_message: int = DEFAULT_NODE_LIMITS.max_worker_message):
        self.process = process
        self.frames = pipe.FrameReader(max_message)
        self.limits: list[str] = []
        self.busy = True  # running a slice (a new worker starts with one)
        self.alive = True
        self.parked: set[int] = set()  # runs paused here between fuel slices
        self.dropped: list[int] = []  # paused runs the node gave up: discard them
        #: an SM found no room for its budget here: no new SMs, replaced once empty
        self.crowded = False
        self.freed: trio.lowlevel.ParkingLot | None = None  # the pool's, woken when it empties

    async def send(self, message: object) -> None:
        data = pipe.pack(message)
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
            complete, message = self.frames.next()
            if complete:
                return message
            chunk = await self.process.stdout.receive_some(1 << 16)
            if not chunk:
                raise EOFError("worker closed its output")
            self.frames.feed(chunk)


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
            if self.worker.crowded and not self.worker.parked and self.worker.freed is not None:
                self.worker.freed.unpark_all()  # it may be replaced now


class WorkerPool:
    """Runs SM slices in ``size`` worker processes.

    An SM that spends its fuel slice stays paused in its worker (alive, in
    memory: it can only be captured at its own call sites), so its next slice
    runs in the same worker.

    Slices waiting for a worker take it least-fuel-first (then first come):
    the SM that has spent the least fuel so far goes next. An SM that needs
    little (a benign request) thus never queues behind SMs that spin through
    slice after slice (a flood of hostile ones from many addresses, each
    within its budgets); those share what is left.
    """

    def __init__(self, core, size: int = 2, *, wall_seconds: float = 30.0):
        self.core = core
        self.size = size
        self.wall_seconds = wall_seconds
        self._workers: list[_Worker] = []
        self._starting = 0
        self._freed = trio.lowlevel.ParkingLot()
        #: slices waiting for a worker: ticket -> (fuel spent, ticket, pinned worker)
        self._waiting: dict[int, tuple[int, int, _Worker | None]] = {}
        self._tickets = 0
        self._runs = 0
        self.killed = 0
        #: crowded workers replaced once the SMs paused in them were done
        self.recycled = 0

    @property
    def workers(self) -> tuple[_Worker, ...]:
        """The worker processes alive now (each with its ``limits``)."""
        return tuple(self._workers)

    @property
    def idle(self) -> list[_Worker]:
        """The live workers running no slice just now."""
        return [w for w in self._workers if not w.busy]

    async def _spawn(self) -> _Worker:
        env = dict(os.environ)
        env["SMVM_WORKER_MEMORY_MB"] = str(self.core.config.memory_mb or 0)
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "smvm.workers.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env)
        worker = _Worker(process, self.core.config.limits.max_worker_message)
        worker.freed = self._freed
        hello = await worker.receive()
        worker.limits = list(hello[1]) if isinstance(hello, list) and hello[:1] == ["ready"] else []
        return worker

    def _next_for(self, worker: _Worker) -> int:
        """The ticket of the waiting slice that ``worker`` serves next (a
        crowded worker serves only the SMs paused in it)."""
        return min((w for w in self._waiting.values()
                    if w[2] is worker or (w[2] is None and not worker.crowded)),
                   default=(0, 0, None))[1]

    async def _acquire(self, pinned: _Worker | None, spent: int = 0) -> _Worker:
        """A worker for one slice of an SM that has spent ``spent`` fuel:
        ``pinned`` (where a paused SM waits), else an idle one (the fewest
        paused SMs first), else a new one; a free worker goes to the waiting
        slice that has spent least."""
        self._tickets += 1
        ticket = self._tickets
        self._waiting[ticket] = (spent, ticket, pinned)
        try:
            while True:
                for worker in [w for w in self._workers
                               if w.crowded and not w.busy and not w.parked]:
                    await self._recycle(worker)
                if pinned is not None:
                    if not pinned.alive:
                        raise EOFError("the worker holding the paused SM is gone")
                    if not pinned.busy and self._next_for(pinned) == ticket:
                        pinned.busy = True
                        return pinned
                else:
                    for worker in sorted((w for w in self.idle if not w.crowded),
                                         key=lambda w: len(w.parked)):
                        if self._next_for(worker) == ticket:
                            worker.busy = True
                            return worker
                    if len(self._workers) + self._starting < self.size:
                        self._starting += 1
                        self._waiting.pop(ticket)  # not in line while its worker starts
                        try:
                            worker = await self._spawn()
                        finally:
                            self._starting -= 1
                        self._workers.append(worker)
                        return worker
                await self._freed.park()
        finally:
            self._waiting.pop(ticket, None)
            self._freed.unpark_all()  # the next in line may take what this one passed by

    def _release(self, worker: _Worker) -> None:
        worker.busy = False
        self._freed.unpark_all()

    async def run(self, record, step: Step) -> object:
        """Run one slice of ``record``'s SM; return its outcome (``Paused``
        with a handle for a ``Continue`` step when the slice ran out), or
        ``LOST`` for an SM paused in a worker that another SM's slice brought
        down (the node starts it again from its last accepted state)."""
        pinned = step.handle if type(step) is Continue else None
        try:
            worker = await self._acquire(pinned.worker if pinned is not None else None,
                                         record.fuel)
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
                outcome = await self._drive(worker, record, step, run)
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
        elif isinstance(outcome, Failed) and outcome.error.type == "MemoryCrowded":
            worker.crowded = True
            outcome = LOST  # not its fault: it runs again, elsewhere or later
        self._release(worker)
        return outcome

    async def _recycle(self, worker: _Worker) -> None:
        """Replace a crowded worker once no SM is paused in it."""
        worker.busy = True  # taken by no one while it ends
        self.recycled += 1
        await self._stop(worker)

    async def _kill(self, worker: _Worker) -> None:
        """End a worker; the SMs paused in it end when their turn comes."""
        self.killed += 1
        await self._stop(worker)

    async def _stop(self, worker: _Worker) -> None:
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
            await self._stop(worker)

    async def _drive(self, worker: _Worker, record, step: Step, run: int):
        core = self.core
        while worker.dropped:
            await worker.send(["drop", worker.dropped.pop()])
            await worker.receive()
        host = core.host_for(record)
        view = [host.now(), host.neighbors()]  # the node as the slice starts
        if type(step) is Continue:
            await worker.send(["continue", run, view])
        else:
            job = job_for(record, core.config, step)
            await worker.send(["run", run, core.node_id, encode_job(job), view])
        while True:
            message = await worker.receive()
            if message[0] == "call":
                await worker.send(answer(core, host, record, message))
                continue
            return decode_outcome(message[2])
