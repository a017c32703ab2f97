"""Sandbox layer 3: SM slices run in a worker process.

The daemon starts workers as ``python -m smvm.worker``; each reads jobs from
stdin and answers on stdout (4-byte big-endian length, then msgpack). Inside,
the ordinary VM runs the slice; every primitive that needs the node (tags,
neighbours, time, new SMs, logs) becomes a call back to the daemon. The
worker lowers its own limits first (address space, CPU time, no new
privileges, a seccomp filter when the platform has a binding for one), so a
flaw in layers 1 and 2 still cannot reach the host, and a worker that dies or
is killed takes only its SM down.
"""
from __future__ import annotations

import os
import struct
import sys
from typing import Any, BinaryIO

import msgpack

from . import statecodec
from .values import GUEST_EXCEPTIONS

_HEADER = struct.Struct(">I")
MAX_MESSAGE = 64 << 20
#: compiled bricks a worker keeps (as many as a node's code cache holds)
_BRICKS_KEPT = 64


def write_message(stream: BinaryIO, message: object) -> None:
    data = msgpack.packb(message, use_bin_type=True)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise ValueError("message too large")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class _Channel:
    def __init__(self, inp: BinaryIO, out: BinaryIO):
        self.inp, self.out = inp, out
        self.calls = 0

    def call(self, method: str, *args: object) -> object:
        self.calls += 1
        write_message(self.out, ["call", self.calls, method, statecodec.dumps(list(args))])
        reply = read_message(self.inp)
        if reply[0] != "reply" or reply[1] != self.calls:
            raise RuntimeError("worker protocol out of step")
        if reply[2]:
            return statecodec.loads(reply[3])
        cls = GUEST_EXCEPTIONS.get(reply[3][0], RuntimeError)
        raise cls(reply[3][1])


class _ProxyTags:
    """The node's tag space, across the process boundary."""

    def __init__(self, channel: _Channel):
        self.channel = channel

    # Each call names the code domain it acts in (the brick whose code made
    # it, ``primitives.caller``); the daemon grants no more than the SM's.
    def create(self, principal, name, value, lifetime=None, access=None, code=None, *, now):
        self.channel.call("tag.create", name, value, lifetime, access,
                          None if code is None else list(code), sorted(principal.code))
        return ()

    def read(self, principal, name, now):
        return self.channel.call("tag.read", name, sorted(principal.code))

    def write(self, principal, name, value, now, *, renew=True):
        self.channel.call("tag.write", name, value, sorted(principal.code))
        return ()

    def delete(self, principal, name, now):
        self.channel.call("tag.delete", name, sorted(principal.code))

    def exists(self, name, now):
        return self.channel.call("tag.exists", name)

    def wait(self, principal, name, token, deadline, *, now=None):
        self.channel.call("tag.check_wait", name, sorted(principal.code))

    def cancel_wait(self, token):
        return True


class _ProxyHost:
    """The node for an SM in this worker. The node's clock and neighbours are
    those at the start of the slice, sent with the job: what an SM running in
    the daemon's own process sees too, since the node takes no input while a
    slice runs there. Everything else is a call back to the daemon."""

    def __init__(self, channel: _Channel, node_id: str, view: list | None = None):
        self.channel = channel
        self.node_id = node_id
        self.tagspace = _ProxyTags(channel)
        self.view = view

    def neighbors(self):
        if self.view is not None:
            return list(self.view[1])
        return self.channel.call("neighbors")

    def now(self):
        if self.view is not None:
            return self.view[0]
        return self.channel.call("now")

    def wake(self, woken):
        pass  # the daemon wakes waiters when it applies the write

    def spawn(self, parent, entry, args):
        return self.channel.call("spawn", entry, args)

    def create_sm(self, parent, brick, entry, args):
        return self.channel.call("create_sm", brick, entry, args)

    def log(self, sm_id, text):
        self.channel.call("log", text)


def lower_privileges(memory_mb: float | None) -> list[str]:
    """Limits the worker keeps for its whole life; returns what was applied."""
    applied = []
    try:
        import resource

        from ._limits import _address_space_bytes
        if memory_mb:
            # what the interpreter maps already, the SM's budget, and a margin
            limit = (_address_space_bytes() or 0) + int((memory_mb + 64) * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            applied.append(f"address space +{memory_mb:g} MB")
        resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))
        applied.append("16 open files")
    except (ImportError, ValueError, OSError):
        pass
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(38, 1, 0, 0, 0) == 0:  # PR_SET_NO_NEW_PRIVS
            applied.append("no new privileges")
    except (OSError, AttributeError):
        pass
    try:
        try:
            import pyseccomp as seccomp  # ctypes binding to the system's libseccomp
        except ImportError:
            import seccomp  # type: ignore[import-not-found, no-redef]  # libseccomp's own
        filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in ("execve", "execveat", "fork", "vfork", "clone3", "socket", "connect",
                     "bind", "listen", "accept", "accept4", "ptrace", "kill", "tkill", "tgkill",
                     "mount", "umount2", "chroot", "pivot_root", "setuid", "setgid"):
            filt.add_rule(seccomp.ERRNO(1), name)
        filt.load()
        applied.append("seccomp")
    except Exception:  # noqa: BLE001 - no binding here: rely on the other layers
        pass
    return applied


def _limit_cpu(seconds: float | None) -> None:
    """The kernel ends this worker if the slice overruns its CPU time."""
    if not seconds:
        return
    try:
        import resource
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = int(usage.ru_utime + usage.ru_stime) + 1
        soft = used + int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 2))
    except (ImportError, ValueError, OSError):
        pass


def run_job(job: list, channel: _Channel, bricks: dict, parked: dict | None = None) -> list:
    """Run one slice; return the outcome message.

    ``["run", id, ...]`` starts or resumes an SM; ``["continue", id, view]``
    runs the next fuel slice of the SM that job ``id`` left paused here, and
    ``["drop", id]`` discards it. A paused SM stays in ``parked``. A view is
    ``[now, neighbours]``: the node's clock and neighbours as the slice starts.
    """
    from tagspace import Principal

    from .compiler import compile_brick
    from .errors import CompileError
    from .vm import SMInstance
    parked = {} if parked is None else parked
    if job[0] == "continue":
        sm = parked.pop(job[1], None)
        if sm is None:
            return ["done", job[1], ["failed", {"type": "WorkerKilled", "message":
                                                "the paused SM is not in this worker", "line": None}, 0]]
        if len(job) > 2:
            sm.host.view = job[2]
        _limit_cpu(sm.cpu_seconds)
        return _report(job[1], sm.proceed(), parked)
    if job[0] == "drop":
        sm = parked.pop(job[1], None)
        if sm is not None:
            sm.abandon()
        return ["dropped", job[1]]
    (_, job_id, source, name, sm_id, ident, node_id, fuel_limit, fuel_used, memory_mb,
     cpu_seconds, kind, payload, *rest) = job
    fuel_slice = rest[0] if rest else None
    view = rest[1] if len(rest) > 1 else None
    brick = bricks.get(name)
    if brick is None or brick.source != source:
        try:
            brick = compile_brick(source, name)
        except CompileError as exc:
            return ["done", job_id, ["failed", {"type": "CompileError", "message": str(exc),
                                                "line": None}, fuel_used]]
        bricks.pop(name, None)
        bricks[name] = brick
        while len(bricks) > _BRICKS_KEPT:  # the least recently compiled go first
            del bricks[next(iter(bricks))]
    principal = Principal(ident[0], ident[1], ident[2], frozenset(ident[3]))
    sm = SMInstance(brick, _ProxyHost(channel, node_id, view), sm_id=sm_id, fuel_limit=fuel_limit,
                    memory_mb=memory_mb, fuel_used=fuel_used, principal=principal,
                    cpu_seconds=cpu_seconds, slice_fuel=fuel_slice)
    _limit_cpu(cpu_seconds)
    if kind == "start":
        entry, args = payload
        outcome = sm.start(entry, args)  # decoded in the run, under its budgets
    else:
        state, value, error = payload
        exc = None if error is None else GUEST_EXCEPTIONS.get(error[0], RuntimeError)(error[1])
        outcome = sm.resume(state, None if value is None else statecodec.loads(value), exc)
    return _report(job_id, outcome, parked)


def _report(job_id: object, outcome: object, parked: dict) -> list:
    from .errors import StateEncodeError
    from .vm import Failed, Finished, Paused
    if isinstance(outcome, Paused):
        parked[job_id] = outcome.handle  # its next slice runs here too
        return ["done", job_id, ["paused", outcome.fuel]]
    if isinstance(outcome, Finished):
        try:  # results leave the node as plain data
            value = statecodec.dumps(outcome.value)
        except StateEncodeError as exc:
            return ["done", job_id, ["failed", {"type": "ResultError", "message": str(exc),
                                                "line": None}, outcome.fuel]]
        return ["done", job_id, ["finished", value, outcome.fuel]]
    if isinstance(outcome, Failed):
        return ["done", job_id, ["failed", outcome.error.to_json(), outcome.fuel]]
    return ["done", job_id, ["suspended", outcome.request, outcome.state, outcome.fuel]]


def main() -> None:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol messages on the real stdout
    memory = float(os.environ.get("SMVM_WORKER_MEMORY_MB", "0")) or None
    applied = lower_privileges(memory)
    write_message(out, ["ready", applied])
    channel = _Channel(inp, out)
    bricks: dict = {}
    parked: dict = {}  # job id -> an SM paused between its fuel slices
    while True:
        try:
            job = read_message(inp)
        except EOFError:
            return
        write_message(out, run_job(job, channel, bricks, parked))


if __name__ == "__main__":
    main()
