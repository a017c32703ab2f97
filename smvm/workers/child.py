"""A worker process: SM slices run here, one at a time (sandbox layer 3).

The daemon starts workers as ``python -m smvm.workers.child``; each lowers
its own limits first (``smvm.workers.sandbox``), says it is ready, then reads
jobs on stdin and answers on stdout (``smvm.workers.messages``, framed by
``smvm.workers.pipe``). Inside, the slice pipeline (``smvm.slices``) runs the
slice, with the node reached through calls back to the daemon
(``smvm.workers.proxy``). A worker that dies or is killed takes only its SM
down.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace

from ..compiler import Brick, compile_brick
from ..errors import CompileError
from ..slices import Continue, run_slice
from ..vm import Paused, RunnerPool
from . import pipe
from .messages import decode_job, encode_outcome, failure
from .proxy import Channel, ProxyHost
from .sandbox import limit_cpu, lower_privileges

#: compiled bricks a worker keeps (as many as a node's code cache holds)
_BRICKS_KEPT = 64


class _Bricks:
    """The bricks compiled in this worker, the least recently compiled
    forgotten first."""

    def __init__(self, kept: int = _BRICKS_KEPT):
        self.kept = kept
        self._by_name: dict[str, Brick] = {}

    def __call__(self, source: str, name: str) -> Brick:
        brick = self._by_name.get(name)
        if brick is None or brick.source != source:
            brick = compile_brick(source, name)
            self._by_name.pop(name, None)
            self._by_name[name] = brick
            while len(self._by_name) > self.kept:
                del self._by_name[next(iter(self._by_name))]
        return brick


def run_job(message: list, channel: Channel | None, bricks, parked: dict,
            runners: RunnerPool | None = None) -> list:
    """Carry out one message from the daemon; return the answer.

    ``["run", run, node, job, view]`` starts or resumes an SM;
    ``["continue", run, view]`` runs the next fuel slice of the SM that run
    ``run`` left paused here, and ``["drop", run]`` discards it. A paused SM
    stays in ``parked`` (run -> its job, to continue); ``runners``: this
    worker's idle greenlets, which sliced SMs run in.
    """
    kind, run = message[0], message[1]
    if kind == "drop":
        job = parked.pop(run, None)
        if job is not None:
            job.step.handle.abandon()
        return ["dropped", run]
    if kind == "continue":
        job = parked.pop(run, None)
        if job is None:
            return ["done", run, failure("WorkerKilled", "the paused SM is not in this worker", 0)]
        job.step.handle.host.view = message[2]
        host = job.step.handle.host
    else:
        _, _, node_id, encoded, view = message
        limit_cpu(encoded["cpu_seconds"])  # compiling its brick is part of its slice
        try:
            job = decode_job(encoded, bricks)
        except CompileError as exc:
            return ["done", run, failure("CompileError", str(exc), encoded["fuel_used"])]
        host = ProxyHost(channel, node_id, view)
    limit_cpu(job.cpu_seconds)
    outcome = run_slice(job, host, runners)
    if isinstance(outcome, Paused):
        parked[run] = replace(job, step=Continue(outcome.handle))  # its next slice runs here too
    return ["done", run, encode_outcome(outcome)]


def main() -> None:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol messages on the real stdout
    memory = float(os.environ.get("SMVM_WORKER_MEMORY_MB", "0")) or None
    applied = lower_privileges(memory)
    pipe.write(out, ["ready", applied])
    channel = Channel(inp, out)
    bricks = _Bricks()
    parked: dict = {}  # run -> an SM paused between its fuel slices
    runners = RunnerPool()
    while True:
        try:
            message = pipe.read(inp)
        except EOFError:
            return
        pipe.write(out, run_job(message, channel, bricks, parked, runners))


if __name__ == "__main__":
    main()
