"""The applications ``smvm app`` runs: each is a module ``apps.<name>.app``
with ``NAME``, ``SUMMARY``, ``SCENARIO`` (a TOML file whose ``[NAME]`` table
holds the parameters and their defaults), ``run(params, seed, out) ->
metrics`` and ``summary(metrics) -> str``; a module with ``sweep`` also runs
parameter sweeps."""
from __future__ import annotations

import importlib
import tomllib
from types import ModuleType

from smvm.errors import UsageError

APPS = ("hottest", "intrusion", "ezcab", "trafficview")


def load(name: str) -> ModuleType:
    if name not in APPS:
        raise UsageError(f"unknown application {name!r} (known: {', '.join(APPS)})")
    return importlib.import_module(f"apps.{name}.app")


def defaults(app: ModuleType, scenario: str | None = None) -> dict:
    """The parameters of the app's bundled scenario, or of another file of
    the same form (keys it leaves out keep the bundled values)."""
    with open(app.SCENARIO, "rb") as f:
        params = dict(tomllib.load(f)[app.NAME])
    if scenario is not None:
        with open(scenario, "rb") as f:
            given = tomllib.load(f)[app.NAME]
        unknown = sorted(set(given) - set(params))
        if unknown:
            raise UsageError(f"{scenario}: unknown parameter {unknown[0]!r} of {app.NAME}")
        for key, value in given.items():
            if type(value) is not type(params[key]) and not (
                    isinstance(params[key], float) and type(value) is int):
                raise UsageError(f"{scenario}: {key} must be like {params[key]!r}")
            params[key] = type(params[key])(value)
    return params


def parse_value(key: str, text: str, default: object) -> object:
    """``text`` as a value of the type of ``default``."""
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return value
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}[type(default)]
        raise UsageError(f"--param {key}: {text!r} is not {kind}") from None
    return text


def parameters(app: ModuleType, overrides: list[str], scenario: str | None = None
               ) -> tuple[dict, dict[str, list]]:
    """The scenario's parameters with ``KEY=VALUE`` overrides, and the keys
    given several comma-separated values (a sweep) with their values."""
    params = defaults(app, scenario)
    swept: dict[str, list] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        if key not in params:
            raise UsageError(f"--param {key}: unknown parameter of {app.NAME} "
                             f"(known: {', '.join(sorted(params))})")
        values = [parse_value(key, t.strip(), params[key]) for t in text.split(",")]
        if len(values) == 1:
            params[key] = values[0]
        else:
            swept[key] = values
    check = getattr(app, "check", None)
    if check is not None:
        problem = check(params)
        if problem:
            raise UsageError(problem)
    return params, swept
