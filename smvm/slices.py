"""The slice pipeline: one SM execution slice, from a typed job to an outcome.

Every place that runs SM code goes through ``run_slice``: the node core
(``NodeCore.run_ready``, in the driver's own process), the simulator's
``smvm exec`` line and the worker processes (``smvm.workers.child``). A job
says which SM runs, under which budgets, and what step it takes; the outcome
is the VM's (``Finished``, ``Failed``, ``Suspended`` or ``Paused``).

A continuation that does not fit the brick is reported the same way
wherever it runs: the SM fails with ``ContinuationError``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import tagspace

from .compiler import Brick
from .errors import RemoteInputError
from .vm import ErrorRecord, Failed, NodeHost, Outcome, RunnerPool, SMInstance, Suspended


@dataclass(frozen=True)
class Start:
    """Run ``entry(*args)`` of a new SM (``args`` possibly encoded)."""

    entry: str
    args: Any


@dataclass(frozen=True)
class Resume:
    """Resume an SM from its encoded state, answering what it waited for."""

    state: bytes
    value: object = None
    error: BaseException | None = None


@dataclass(frozen=True)
class Continue:
    """Run the next fuel slice of an SM paused where it ran before
    (``handle``: what its ``Paused`` outcome carried)."""

    handle: Any


@dataclass(frozen=True)
class Decoded:
    """Resume an SM whose continuation the node already decoded on arrival."""

    instance: SMInstance
    continuation: dict


Step = Union[Start, Resume, Continue, Decoded]


@dataclass(frozen=True)
class SliceJob:
    """One slice of one SM: who it is, its budgets, and the step it takes."""

    sm_id: str
    brick: Brick
    principal: tagspace.Principal
    step: Step
    fuel_limit: int
    fuel_used: int
    memory_mb: float | None
    cpu_seconds: float | None
    #: fuel units before the SM pauses for others (None: run until it ends)
    fuel_slice: int | None


def job_for(record: Any, config: Any, step: Step) -> SliceJob:
    """The job for a node's ready SM ``record`` (its id, brick, principal and
    fuel so far) under the node's ``config`` (``NodeConfig``)."""
    return SliceJob(record.sm_id, record.brick, record.principal, step,
                    fuel_limit=config.fuel_per_sm, fuel_used=record.fuel,
                    memory_mb=config.memory_mb, cpu_seconds=config.cpu_seconds,
                    fuel_slice=config.fuel_slice)


def new_instance(job: SliceJob, host: NodeHost, runners: RunnerPool | None = None) -> SMInstance:
    """A fresh activation of the job's SM, seeing the node through ``host``
    (``runners``: the caller's idle greenlets, for a sliced SM)."""
    return SMInstance(job.brick, host, sm_id=job.sm_id, fuel_limit=job.fuel_limit,
                      memory_mb=job.memory_mb, fuel_used=job.fuel_used,
                      principal=job.principal, cpu_seconds=job.cpu_seconds,
                      slice_fuel=job.fuel_slice, runners=runners)


def run_slice(job: SliceJob, host: NodeHost, runners: RunnerPool | None = None) -> Outcome:
    """Run one slice of the job's SM and return how it ended (``runners``:
    the caller's pool of idle greenlets, which a sliced SM runs in)."""
    step = job.step
    if isinstance(step, Continue):
        instance = step.handle
        outcome = instance.proceed()
    elif isinstance(step, Decoded):
        instance = step.instance
        outcome = instance.resume_decoded(step.continuation)
    else:
        instance = new_instance(job, host, runners)
        if isinstance(step, Start):
            outcome = instance.start(step.entry, step.args)
        else:
            try:
                outcome = instance.resume(step.state, step.value, step.error)
            except RemoteInputError as exc:  # its state does not fit its brick
                return Failed(ErrorRecord("ContinuationError", str(exc)), job.fuel_used)
    if type(outcome) is Suspended and type(instance) is SMInstance:
        # it moved on or waits, all of it in its continuation: free the
        # activation now rather than leave its cycles to the collector
        instance.release()
    return outcome
