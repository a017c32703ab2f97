"""What a worker process gives up before it runs any SM: address space,
open files, new privileges, and (with a libseccomp binding) the system calls
that reach outside it; and, per slice, a CPU-time backstop from the kernel.
A flaw in the VM's own layers still cannot reach the host this way.
"""
from __future__ import annotations


def lower_privileges(memory_mb: float | None) -> list[str]:
    """Limits the worker keeps for its whole life; returns what was applied."""
    applied = []
    try:
        import resource

        from ..budgets import address_space_bytes
        if memory_mb:
            # what the interpreter maps already, the SM's budget, and a margin
            limit = (address_space_bytes() or 0) + int((memory_mb + 64) * 1024 * 1024)
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


def limit_cpu(seconds: float | None) -> None:
    """The kernel ends this worker if the slice about to run overruns its CPU
    time: the soft limit (SIGXCPU ends the process) is set to the CPU the
    worker has used so far plus the slice's allowance and a margin.

    Only the soft limit moves. A process without CAP_SYS_RESOURCE (any
    worker, as it should be) can lower its hard limit but never raise it
    again, so a hard limit set for one slice would stay for the worker's
    whole life: once the worker's total CPU reached it, the kernel would kill
    whichever SM happened to run then, an innocent one as likely as not.
    """
    if not seconds:
        return
    try:
        import resource
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = int(usage.ru_utime + usage.ru_stime) + 1
        soft = used + int(seconds) + 2
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ImportError, ValueError, OSError):
        pass
