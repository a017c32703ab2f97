"""The one validation of a scenario's values, for TOML files and Python code alike.

``check_fields(values, fail)`` checks the scenario fields present in ``values``
and returns them normalised (ints as floats where a number is meant, lists as
tuples); ``fail(section, key, why)`` makes the error. Problems are named by
their TOML key (``radio.range``), so a scenario built in code with a bad value
gets the error a TOML file with that value gets, less the file and line.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import ScenarioError

#: Scenario field -> (TOML section, TOML key, kind)
FIELDS: dict[str, tuple[str, str, type]] = {
    "name": ("simulation", "name", str),
    "seed": ("simulation", "seed", int),
    "duration": ("simulation", "duration", float),
    "radio_range": ("radio", "range", float),
    "loss": ("radio", "loss", float),
    "bandwidth": ("radio", "bandwidth", float),
    "delay": ("radio", "delay", float),
    "count": ("nodes", "count", int),
    "placement": ("nodes", "placement", str),
    "area": ("nodes", "area", list),
    "spacing": ("nodes", "spacing", float),
    "mobility": ("nodes", "mobility", str),
    "speed": ("nodes", "speed", list),
    "pause": ("nodes", "pause", float),
    "blocks": ("nodes", "blocks", list),
    "block": ("nodes", "block", float),
    "beacon_interval": ("nodes", "beacon_interval", float),
    "trace": ("nodes", "trace", str),
    "signed": ("nodes", "signed", bool),
}
PLACEMENTS = ("uniform", "grid", "line")
MOBILITY = ("static", "random_waypoint", "manhattan", "fcd")
LINKS = ("unit_disk",)
MAX_NODES = 100_000

Fail = Callable[[str | None, str, str], Exception]


class FieldError(ScenarioError):
    """A bad value in a scenario built in code: ``section.key: why``."""

    def __init__(self, section: str | None, key: str, why: str) -> None:
        super().__init__(f"{section}.{key}: {why}" if section else f"{key}: {why}")
        self.section, self.key, self.why = section, key, why

    def __reduce__(self):  # travels back from sweep workers intact
        return FieldError, (self.section, self.key, self.why)


def _is_model(value: Any, base: str) -> bool:
    """A Python model: an instance or subclass of the named base class, or a function."""
    if base == "mobility":
        from .mobility import Mobility as Base
    else:
        from .links import LinkModel as Base
    return (isinstance(value, Base) or (isinstance(value, type) and issubclass(value, Base))
            or (callable(value) and not isinstance(value, type)))


def _typed(field: str, value: Any, fail: Fail) -> Any:
    section, key, kind = FIELDS[field]
    if field == "trace" and value is None:
        return None
    if field == "mobility" and type(value) is not str and _is_model(value, "mobility"):
        return value
    if kind is float and type(value) is int:
        value = float(value)
    if kind is list and type(value) is tuple:
        value = list(value)
    if type(value) is not kind or (kind is float and not math.isfinite(value)):
        raise fail(section, key, f"must be {'a number' if kind is float else kind.__name__}")
    return tuple(value) if kind is list else value


def check_fields(values: dict[str, Any], fail: Fail) -> dict[str, Any]:
    """Types and ranges of the fields in ``values``; the values normalised."""
    v = {k: _typed(k, x, fail) if k in FIELDS else x for k, x in values.items()}
    positive = ("duration", "radio_range", "bandwidth", "spacing", "block", "beacon_interval")
    for field in positive:
        if field in v and not v[field] > 0:
            raise fail(FIELDS[field][0], FIELDS[field][1], "must be positive")
    if "loss" in v and not 0 <= v["loss"] < 1:
        raise fail("radio", "loss", "must be in [0, 1)")
    for field in ("delay", "pause"):
        if field in v and v[field] < 0:
            raise fail(FIELDS[field][0], FIELDS[field][1], "must not be negative")
    if "count" in v and not 1 <= v["count"] <= MAX_NODES:
        raise fail("nodes", "count", f"must be between 1 and {MAX_NODES}")
    if v.get("placement", "uniform") not in PLACEMENTS:
        raise fail("nodes", "placement", f"must be one of {', '.join(PLACEMENTS)}")
    if type(v.get("mobility", "static")) is str and v.get("mobility", "static") not in MOBILITY:
        raise fail("nodes", "mobility", f"must be one of {', '.join(MOBILITY)}")
    for field in ("area", "speed", "blocks"):
        if field in v and (len(v[field]) != 2 or not all(type(x) in (int, float) and x >= 0
                                                         for x in v[field])):
            raise fail("nodes", field, "must be a list of 2 non-negative numbers")
    if "speed" in v and not 0 < v["speed"][0] <= v["speed"][1]:
        raise fail("nodes", "speed", "must be [min, max] with 0 < min <= max")
    if "link" in v and not (v["link"] in LINKS or (type(v["link"]) is not str
                                                    and _is_model(v["link"], "link"))):
        names = " or ".join(map(repr, LINKS))
        raise fail("radio", "link", f"must be {names}, a LinkModel or a function (a, b, t) -> loss")
    if "extractors" in v:
        v["extractors"] = _extractors(v["extractors"], fail)
    return v


def _extractors(value: Any, fail: Fail) -> Any:
    if isinstance(value, Mapping):
        if all(type(k) is str and k and callable(f) for k, f in value.items()):
            return dict(value)
    elif isinstance(value, (list, tuple)) and all(callable(f) for f in value):
        return tuple(value)
    raise fail(None, "extractors", "must map metric names to functions of a run, or be a "
                                   "list of functions of a run returning {name: number}")


def check_nodes(sc: Any, fail: Fail) -> None:
    """Every node a scenario names exists (tags, injects, [[node]] and [[event]] tables)."""
    count, span = sc.count, f"0..{sc.count - 1}"

    def node_ok(n: Any) -> bool:
        return type(n) is int and 0 <= n < count
    if sc.mobility == "fcd" and sc.trace is None:
        raise fail("nodes", "mobility", 'mobility = "fcd" needs nodes.trace (a SUMO FCD file)')
    if sc.trace is not None and sc.mobility != "fcd":
        raise fail("nodes", "trace", 'only used with mobility = "fcd"')
    if not isinstance(sc.tags, Mapping) or not all(
            node_ok(n) and isinstance(t, Mapping) for n, t in sc.tags.items()):
        raise fail("tags", "nodes", f"must be a list of node numbers {span}")
    for inj in sc.injects:
        if not node_ok(inj.node):
            raise fail("inject", "node", f"must be a node number {span}")
        if type(inj.at) not in (int, float) or not 0 <= inj.at < math.inf:
            raise fail("inject", "at", "must be a non-negative time in seconds")
    for node in sc.node_settings:
        if not node_ok(node):
            raise fail("node", "id", f"must be a node number {span}")
    for event in sc.events:
        if not node_ok(event.node):
            raise fail("event", "node", f"must be a node number {span}")
