"""The command line of an application run the app tests share."""
from __future__ import annotations

from pathlib import Path


def app_argv(name: str, out: Path, params: list[str], seed: int = 1) -> list[str]:
    """``smvm app NAME`` with a seed, an output folder, JSON metrics and the
    ``--param`` items given (``key=value``)."""
    argv = ["app", name, "--seed", str(seed), "--out", str(out), "--json"]
    for item in params:
        argv += ["--param", item]
    return argv
