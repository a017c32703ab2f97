"""The messages of the worker protocol, and their checks.

The daemon (``smvm.workers.pool``) sends a worker (``smvm.workers.child``):

- ``["run", run, job, view]``: run a slice of a new activation (``job`` is a
  ``SliceJob`` encoded by ``encode_job``);
- ``["continue", run, view]``: the next slice of the SM run ``run`` left paused;
- ``["drop", run]``: discard that paused SM;
- ``["reply", call, ok, value]``: the answer to a call.

A ``view`` is ``[now, neighbours]``: the node's clock and neighbours as the
slice starts. The worker answers ``["ready", limits]`` once, when it has
lowered its privileges; then ``["call", call, method, args]`` for what the SM
asks of the node, ``["done", run, outcome]`` (``encode_outcome``) and
``["dropped", run]``. A worker is untrusted: the daemon checks every outcome
(``decode_outcome``) and ends a worker that breaks the protocol.
"""
from __future__ import annotations

from typing import Callable

import tagspace

from .. import statecodec
from ..compiler import Brick
from ..errors import StateDecodeError, StateEncodeError
from ..limits import MAX_ERROR_CHARS, MAX_RESULT_BYTES, truncate
from ..slices import Resume, SliceJob, Start
from ..values import GUEST_EXCEPTIONS
from ..vm import CROWDED, ErrorRecord, Failed, Finished, Outcome, Paused, Suspended


def encode_job(job: SliceJob) -> dict:
    """A job that starts or resumes an SM, as plain data for a worker."""
    step = job.step
    if isinstance(step, Start):
        args = step.args if isinstance(step.args, bytes) else statecodec.dumps(list(step.args))
        encoded_step = ["start", step.entry, args]
    elif isinstance(step, Resume):
        value = None if step.value is None else statecodec.dumps(step.value)
        error = None if step.error is None else [type(step.error).__name__, str(step.error)]
        encoded_step = ["resume", step.state, value, error]
    else:
        raise ValueError(f"a {type(step).__name__} step runs where the SM is, not in a new job")
    p = job.principal
    return {"sm_id": job.sm_id, "source": job.brick.source, "name": job.brick.name,
            "principal": [p.sm_id, p.family, p.origin, sorted(p.code)], "step": encoded_step,
            "fuel_limit": job.fuel_limit, "fuel_used": job.fuel_used,
            "memory_mb": job.memory_mb, "cpu_seconds": job.cpu_seconds,
            "fuel_slice": job.fuel_slice}


def decode_job(message: dict, brick_for: Callable[[str, str], Brick]) -> SliceJob:
    """The job ``encode_job`` made; ``brick_for(source, name)`` compiles (or
    finds) its brick and raises ``CompileError``."""
    step = message["step"]
    if step[0] == "start":
        decoded_step = Start(step[1], step[2])  # its args are decoded in the run, under budgets
    else:
        _, state, value, error = step
        exc = None if error is None else GUEST_EXCEPTIONS.get(error[0], RuntimeError)(error[1])
        decoded_step = Resume(state, None if value is None else statecodec.loads(value), exc)
    ident = message["principal"]
    principal = tagspace.Principal(ident[0], ident[1], ident[2], frozenset(ident[3]))
    return SliceJob(message["sm_id"], brick_for(message["source"], message["name"]), principal,
                    decoded_step, fuel_limit=message["fuel_limit"],
                    fuel_used=message["fuel_used"], memory_mb=message["memory_mb"],
                    cpu_seconds=message["cpu_seconds"], fuel_slice=message["fuel_slice"])


def failure(error_type: str, message: str, fuel: int) -> list:
    """An outcome for an SM that could not run (as ``encode_outcome`` gives)."""
    return ["failed", {"type": error_type, "message": message, "line": None}, fuel]


def encode_outcome(outcome: Outcome) -> list:
    """How a slice ended, as plain data (a paused SM stays in the worker)."""
    if isinstance(outcome, Paused):
        return ["paused", outcome.fuel]
    if isinstance(outcome, Finished):
        try:  # results leave the node as plain data
            value = statecodec.dumps(outcome.value)
        except StateEncodeError as exc:
            return failure("ResultError", str(exc), outcome.fuel)
        except MemoryError:  # the VM encoded it within the SM's budget: others hold the room
            return failure(CROWDED.type, CROWDED.message, outcome.fuel)
        return ["finished", value, outcome.fuel]
    if isinstance(outcome, Failed):
        return ["failed", outcome.error.to_json(), outcome.fuel]
    return ["suspended", outcome.request, outcome.state, outcome.fuel]


def decode_outcome(result: object) -> Outcome:
    """The outcome a worker reported, checked (a worker is untrusted too:
    anything malformed raises ``ValueError``, and the worker goes)."""
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
