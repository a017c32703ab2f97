"""Process-level budgets around one execution slice of guest code.

One mechanism arms them: ``SliceLimits``, entered when a slice starts and
left when it pauses or ends (the VM's ``SMInstance``). ``memory_budget``
bounds one step outside a slice (encoding an SM's state or result;
``SliceLimits.outside`` for an SM's own).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

try:
    import resource
except ImportError:  # pragma: no cover - non-POSIX
    resource = None  # type: ignore[assignment]


_statm: tuple[int, int] | None = None  # (pid, fd): kept open, read with pread
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def address_space_bytes() -> int | None:
    """The process's address-space size (from /proc; None where there is none).

    Read around every slice, so the file stays open (per process: a forked
    child reopens its own)."""
    global _statm
    pid = os.getpid()
    if _statm is None or _statm[0] != pid:
        try:
            _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC))
        except (OSError, AttributeError):
            _statm = (pid, -1)
    if _statm[1] < 0:
        return None
    try:
        return int(os.pread(_statm[1], 128, 0).split()[0]) * _PAGE
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextmanager
def memory_budget(megabytes: float | None, owed: int | None = None) -> Iterator[bool]:
    """Let the process grow by at most ``megabytes`` while the block runs.

    An allocation past the budget fails up front with ``MemoryError`` (which
    the VM turns into ``MemoryExhausted``) instead of exhausting the host.
    Yields whether the process's hard limit leaves the block fewer than
    ``owed`` bytes (what an SM's budget still owes it): then others in the
    process hold the rest, and a ``MemoryError`` is not the SM's own.
    """
    current = address_space_bytes() if megabytes is not None and resource else None
    if current is None:
        yield False
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + int(megabytes * 1024 * 1024)
    crowded = False
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
        crowded = owed is not None and hard < current + owed
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield crowded
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _stack_depth() -> int:
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


_expiry_callbacks: list = []
_handler_installed = False


def _on_sigprof(signum, frame) -> None:
    if _expiry_callbacks:
        _expiry_callbacks[-1]()


class SliceLimits:
    """The budgets of one SM execution (a start or a resume), kept across the
    fuel slices it runs in.

    ``enter`` arms them when a slice starts; ``leave`` disarms them before the
    SM pauses, so the slices of other SMs in between are neither charged nor
    limited by them, and ``enter`` arms what is left when the SM continues:
    the recursion limit is the same (computed at the first entry), the memory
    allowance is the budget less what earlier slices grew the address space
    by, and the CPU timer restarts with the time the earlier slices left.
    Leaving twice is harmless.
    """

    def __init__(self, memory_mb: float | None, cpu_seconds: float | None, on_cpu_expiry,
                 max_guest_depth: int):
        self.memory_mb = memory_mb
        self.cpu_left = cpu_seconds
        self.on_cpu_expiry = on_cpu_expiry
        self.max_guest_depth = max_guest_depth
        self.grown = 0  # bytes the address space grew by in earlier slices
        #: the running slice's allowance was cut short by the process's hard
        #: limit (what others hold in a shared worker): a MemoryError then
        #: does not show the SM went past its own budget
        self.crowded = False
        self._depth_limit: int | None = None
        self._active = False
        self._recursion_before: int | None = None
        self._memory: tuple[int, int, int] | None = None  # (start, soft, hard)
        self._grown_from: int | None = None  # a paused slice's start, counted after the switch
        self._timer = False
        self._cpu_start = 0.0

    @contextmanager
    def outside(self) -> Iterator[None]:
        """Bound a step taken for the SM between or after its slices
        (encoding its result or its state) by its whole memory budget again,
        and set ``crowded`` when the process's hard limit leaves the step
        less than the budget still owes the SM: a ``MemoryError`` in the step
        is then not the SM's own either."""
        owed = None
        if self.memory_mb is not None:
            owed = max(0, int(self.memory_mb * 1024 * 1024) - self.grown)
        with memory_budget(self.memory_mb, owed) as crowded:
            self.crowded = crowded
            yield

    def enter(self) -> None:
        global _handler_installed
        if self._active:
            return
        self._active = True  # from here on ``leave`` undoes whatever was armed
        if self.memory_mb is not None and resource is not None:
            current = address_space_bytes()
            if current is not None:
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                allowance = max(0, int(self.memory_mb * 1024 * 1024) - self.grown)
                limit = current + allowance
                if hard != resource.RLIM_INFINITY:
                    limit = min(limit, hard)
                self.crowded = limit < current + allowance
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                self._memory = (current, soft, hard)
        if self.cpu_left is not None and threading.current_thread() is threading.main_thread():
            if not _handler_installed:
                signal.signal(signal.SIGPROF, _on_sigprof)
                _handler_installed = True
            if self.cpu_left <= 0:
                # spent in earlier slices (each perhaps shorter than the
                # timer's tick, so it never fired): end the SM now
                self.on_cpu_expiry()
            _expiry_callbacks.append(self.on_cpu_expiry)
            self._timer = True
            self._cpu_start = time.process_time()
            signal.setitimer(signal.ITIMER_PROF, max(self.cpu_left, 1e-3))
        # last, so the calls above still have the caller's headroom (an SM
        # paused at its recursion limit raises RecursionError here)
        if self._depth_limit is None:
            self._depth_limit = _stack_depth() + 2 * self.max_guest_depth + 60
        before = sys.getrecursionlimit()
        sys.setrecursionlimit(self._depth_limit)
        self._recursion_before = before

    def leave(self, keep_recursion: bool = False, *, count_growth: bool = True) -> None:
        """Disarm the budgets. ``keep_recursion``: the SM is pausing, maybe
        deep in its recursion, past the caller's own limit; its greenlet's
        depth is not the scheduler's, so the scheduler puts the limit back
        (``restore_recursion``) once it has switched out. ``count_growth``
        false: the run is over and nothing will use what its slices grew the
        address space by (no later slice, no ``outside`` step), so it is not
        read again (``/proc/self/statm``, about a tenth of a cached hop's
        budget work in a daemon)."""
        if not self._active:
            return
        self._active = False
        # Only C calls until the limits are disarmed: an SM may pause at the
        # very edge of its recursion limit, and a RecursionError half-way would
        # leave the memory limit armed for everyone after it.
        memory, self._memory = self._memory, None
        try:
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory[1], memory[2]))
            if self._timer:
                self._timer = False
                signal.setitimer(signal.ITIMER_PROF, 0)
                _expiry_callbacks.pop()
                # counted here, not read back from the timer: it moves in kernel
                # ticks, and a slice may be shorter than one
                self.cpu_left -= time.process_time() - self._cpu_start
        finally:
            if not keep_recursion:
                self.restore_recursion()
        if memory is not None and not keep_recursion:
            if count_growth:
                self._count_growth(memory[0])
        elif memory is not None:
            self._grown_from = memory[0]

    def restore_recursion(self) -> None:
        """Put back the recursion limit the caller had before ``enter``."""
        before, self._recursion_before = self._recursion_before, None
        if before is not None:
            sys.setrecursionlimit(before)
        start, self._grown_from = self._grown_from, None
        if start is not None:
            self._count_growth(start)

    def _count_growth(self, start: int) -> None:
        now = address_space_bytes()
        if now is not None:
            self.grown += max(0, now - start)
