"""Process-level budgets around one execution slice of guest code."""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

try:
    import resource
except ImportError:  # pragma: no cover - non-POSIX
    resource = None  # type: ignore[assignment]


def _address_space_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def memory_budget(megabytes: float | None) -> Iterator[None]:
    """Let the process grow by at most ``megabytes`` while the block runs.

    An allocation past the budget fails up front with ``MemoryError`` (which
    the VM turns into ``MemoryExhausted``) instead of exhausting the host.
    """
    current = _address_space_bytes() if megabytes is not None and resource else None
    if current is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + int(megabytes * 1024 * 1024)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _stack_depth() -> int:
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@contextmanager
def recursion_budget(max_guest_depth: int) -> Iterator[None]:
    """Bound guest recursion (resumed frames use two host frames each)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 2 * max_guest_depth + 60)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


_expiry_callbacks: list = []
_handler_installed = False


def _on_sigprof(signum, frame) -> None:
    if _expiry_callbacks:
        _expiry_callbacks[-1]()


@contextmanager
def cpu_budget(seconds: float | None, on_expiry) -> Iterator[None]:
    """Call ``on_expiry`` (which raises) once the process has spent
    ``seconds`` of CPU time in the block: the backstop for single C-level
    operations that fuel cannot see (a multiplication of huge integers).

    Python runs signal handlers between bytecodes, so an operation already in
    progress finishes first. Only the main thread can set the timer; elsewhere
    (and without ``seconds``) the block runs unbounded by CPU time. The
    handler is installed once; each block only arms and disarms the timer.
    """
    global _handler_installed
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _handler_installed:
        signal.signal(signal.SIGPROF, _on_sigprof)
        _handler_installed = True
    _expiry_callbacks.append(on_expiry)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        _expiry_callbacks.pop()
