"""Network namespaces for the tests that run daemons on real interfaces.

They need root and iproute2 (CI runs as root); elsewhere the tests skip, and
``unavailable()`` says why.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.patience import PATIENCE


def unavailable() -> str:
    """Why namespaces cannot be made here ("" when they can)."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    probe = f"smvm-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create network namespaces: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ""


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


def prefix() -> str:
    """A short tag unique to this process, for names that must not clash
    with those of a test running beside it."""
    return f"{os.getpid() % 10000}"


@contextlib.contextmanager
def namespaces(names: list[str]):
    """Namespaces ``names``, loopback up in each, deleted afterwards; skips
    the test when they cannot be made here."""
    why = unavailable()
    if why:
        pytest.skip(why)
    try:
        for ns in names:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        yield names
    finally:
        for ns in names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def wait_until_listening(processes: dict[str, subprocess.Popen], logs: dict[str, Path]) -> None:
    """Return once every daemon's log says it listens; fail at once, with its
    log, if one exits first. The patience is only a guard against a hang."""
    waiting = dict(logs)
    give_up = time.monotonic() + PATIENCE
    while waiting:
        for name, log in list(waiting.items()):
            text = Path(log).read_text()
            if "listening on" in text:
                del waiting[name]
            elif processes[name].poll() is not None:
                pytest.fail(f"daemon {name} exited with {processes[name].returncode}:\n{text}")
        if waiting:
            assert time.monotonic() < give_up, f"no daemon {sorted(waiting)} listened in {PATIENCE:.0f} s"
            time.sleep(0.05)
