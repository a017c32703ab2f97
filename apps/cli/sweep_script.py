"""Reading a sweep script: a Python file that defines what ``smvm sweep`` runs.

The script must define ``scenario`` (a function returning a ``sim.Scenario``,
called with one keyword argument per grid key and ``seed=`` if it takes one;
or a ``Scenario``) and ``grid`` (a dict: name -> list of values). It may
define ``extractors`` (a dict name -> ``fn(result) -> number``, or a list of
``fn(result) -> {name: number}``), ``seeds`` (a count or a list), ``jobs``
and ``engine`` ("local" or "ray"); command-line options win over them.

The script is run like ``python SCRIPT.py`` would run it, but under its own
module name, so its functions travel to workers by value (cloudpickle).
Scripts are trusted local code, like any program one runs.
"""
from __future__ import annotations

import runpy
from dataclasses import dataclass
from typing import Any

from smvm.errors import UsageError

#: the module name a script runs under (not __main__: its guard stays false)
RUN_NAME = "__smvm_sweep__"


@dataclass
class SweepScript:
    scenario: Any
    grid: dict
    extractors: Any = ()
    seeds: Any = None
    jobs: Any = None
    engine: Any = None


def user_error(path: str, exc: BaseException) -> str:
    """One line for an exception raised by a script's code."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{path}: {type(exc).__name__}{': ' + text if text else ''}"


def load_script(path: str) -> SweepScript:
    """Run the script and collect what it defines."""
    try:
        names = runpy.run_path(path, run_name=RUN_NAME)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: No such file or directory") from None
    except SyntaxError as exc:
        raise UsageError(f"{path}:{exc.lineno}: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - the script's own code failed
        raise UsageError(user_error(path, exc)) from None
    scenario = names.get("scenario", names.get("scenario_fn"))
    if scenario is None or "grid" not in names:
        raise UsageError(f"{path} must define scenario (a function returning a sim.Scenario, "
                         "or a Scenario) and grid (a dict: name -> list of values)")
    grid = names["grid"]
    if not isinstance(grid, dict):
        raise UsageError(f"{path}: grid must be a dict of name -> list of values")
    return SweepScript(scenario, grid, names.get("extractors", ()), names.get("seeds"),
                       names.get("jobs"), names.get("engine"))
