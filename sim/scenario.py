"""Scenario files (TOML): what to simulate, validated with clear errors.

See ``docs/sim.md`` for the format. Every problem names the key (and, where
it can be found, its line), and unknown keys are errors, not silently ignored.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from smvm.compiler import load_brick

from ._errors import SimError


class ScenarioError(SimError):
    """A scenario file is not valid; the message names the key and line."""


@dataclass(frozen=True)
class Inject:
    node: int
    brick: str        # source text
    brick_name: str
    args: list
    at: float


@dataclass(frozen=True)
class NodeSettings:
    """One ``[[node]]`` table: a node's own place, initial tags and actuators."""
    id: int
    position: tuple[float, float] | None = None
    path: tuple[tuple[float, float, float], ...] | None = None   # waypoints (t, x, y)
    tags: dict = field(default_factory=dict)
    actuators: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagEvent:
    """One ``[[event]]`` table: at virtual time ``at``, tag ``tag`` of ``node`` becomes ``value``."""
    at: float
    node: int
    tag: str
    value: object


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int = 1
    duration: float = 60.0
    radio_range: float = 100.0
    loss: float = 0.0
    bandwidth: float = 2e6
    delay: float = 0.001
    count: int = 10
    placement: str = "uniform"
    area: tuple[float, float] = (500.0, 500.0)
    spacing: float = 80.0
    mobility: str = "static"
    speed: tuple[float, float] = (1.0, 10.0)
    pause: float = 0.0
    blocks: tuple[int, int] = (5, 5)
    block: float = 100.0
    beacon_interval: float = 1.0
    trace: str | None = None      # SUMO FCD file (resolved path) for mobility "fcd"
    tags: dict[int, dict] = field(default_factory=dict)
    injects: tuple[Inject, ...] = ()
    node_settings: dict[int, NodeSettings] = field(default_factory=dict)
    events: tuple[TagEvent, ...] = ()

    def actuators(self, node: int) -> tuple[str, ...]:
        """The actuator tags of ``node`` (writable by every SM)."""
        settings = self.node_settings.get(node)
        return settings.actuators if settings else ()


_SCHEMA = {
    "simulation": {"name": str, "seed": int, "duration": float},
    "radio": {"range": float, "loss": float, "bandwidth": float, "delay": float},
    "nodes": {"count": int, "placement": str, "area": list, "spacing": float, "mobility": str,
              "speed": list, "pause": float, "blocks": list, "block": float,
              "beacon_interval": float, "trace": str},
}
_PLACEMENTS = ("uniform", "grid", "line")
_MOBILITY = ("static", "random_waypoint", "manhattan", "fcd")


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return _build(data, text, path)


def _line_of(text: str, section: str | None, key: str) -> str:
    """' (line N)' for ``key`` in ``[section]`` when it can be found."""
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            current = line.strip("[] ")
            if section is None and current == key:
                return f" (line {number})"
        elif current == section and line.split("=", 1)[0].strip() == key:
            return f" (line {number})"
    return ""


def _build(data: dict, text: str, path: Path) -> Scenario:
    def fail(section: str | None, key: str, why: str) -> ScenarioError:
        where = f"{section}.{key}" if section else key
        return ScenarioError(f"{path}: {where}{_line_of(text, section, key)}: {why}")

    known = set(_SCHEMA) | {"tags", "inject", "node", "event"}
    for key in data:
        if key not in known:
            raise fail(None, key, f"unknown section (known: {', '.join(sorted(known))})")
    values: dict = {"name": path.stem}
    for section, fields in _SCHEMA.items():
        table = data.get(section, {})
        if type(table) is not dict:
            raise fail(None, section, "must be a table")
        for key, value in table.items():
            kind = fields.get(key)
            if kind is None:
                raise fail(section, key, f"unknown key (known: {', '.join(sorted(fields))})")
            if kind is float and type(value) is int:
                value = float(value)
            if type(value) is not kind or (kind is float and not math.isfinite(value)):
                raise fail(section, key, f"must be {'a number' if kind is float else kind.__name__}")
            target = {"range": "radio_range"}.get(key, key)
            values[target] = value
    _check(values, fail)
    if values.get("mobility") == "fcd":
        values["trace"], values["count"] = _trace(path, values, fail)
    elif "trace" in values:
        raise fail("nodes", "trace", 'only used with mobility = "fcd"')
    node_items = data.get("node", [])
    if type(node_items) is not list:
        raise fail(None, "node", "must be an array of tables ([[node]])")
    if "count" not in values and node_items:
        values["count"] = len(node_items)  # every node is listed
    count = values.get("count", Scenario.count)
    values["tags"] = _tags(data.get("tags", []), count, fail)
    settings = _nodes(node_items, count, fail)
    for node, entry in settings.items():
        values["tags"].setdefault(node, {}).update(entry.tags)
    values["node_settings"] = settings
    values["events"] = tuple(_events(data.get("event", []), count, fail))
    values["injects"] = tuple(_injects(data.get("inject", []), count, path, fail))
    for key in ("area", "speed", "blocks"):
        if key in values:
            values[key] = tuple(values[key])
    return Scenario(**values)


def _check(v: dict, fail) -> None:
    positive = {"duration": "simulation", "radio_range": "radio", "bandwidth": "radio",
                "spacing": "nodes", "block": "nodes", "beacon_interval": "nodes"}
    for key, section in positive.items():
        if key in v and not v[key] > 0:
            raise fail(section, "range" if key == "radio_range" else key, "must be positive")
    if "loss" in v and not 0 <= v["loss"] < 1:
        raise fail("radio", "loss", "must be in [0, 1)")
    if "delay" in v and v["delay"] < 0:
        raise fail("radio", "delay", "must not be negative")
    if "count" in v and not 1 <= v["count"] <= 100_000:
        raise fail("nodes", "count", "must be between 1 and 100000")
    if v.get("placement", "uniform") not in _PLACEMENTS:
        raise fail("nodes", "placement", f"must be one of {', '.join(_PLACEMENTS)}")
    if v.get("mobility", "static") not in _MOBILITY:
        raise fail("nodes", "mobility", f"must be one of {', '.join(_MOBILITY)}")
    for key, n in (("area", 2), ("speed", 2), ("blocks", 2)):
        if key in v and (len(v[key]) != n or not all(type(x) in (int, float) and x >= 0
                                                      for x in v[key])):
            raise fail("nodes", key, f"must be a list of {n} non-negative numbers")
    if "speed" in v and not 0 < v["speed"][0] <= v["speed"][1]:
        raise fail("nodes", "speed", "must be [min, max] with 0 < min <= max")


def _trace(path: Path, values: dict, fail) -> tuple[str, int]:
    """The FCD file's resolved path and its number of vehicles (the nodes)."""
    from .traces import FcdTrace
    from ._errors import ModelError
    if "trace" not in values:
        raise fail("nodes", "mobility", 'mobility = "fcd" needs nodes.trace (a SUMO FCD file)')
    trace_path = (path.parent / values["trace"]).resolve()
    try:
        vehicles = len(FcdTrace.from_file(trace_path).names)
    except ModelError as exc:
        raise fail("nodes", "trace", str(exc)) from None
    if "count" in values and values["count"] != vehicles:
        raise fail("nodes", "count", f"the trace has {vehicles} vehicles")
    return str(trace_path), vehicles


def _tags(items, count: int, fail) -> dict[int, dict]:
    if type(items) is not list:
        raise fail(None, "tags", "must be an array of tables ([[tags]])")
    out: dict[int, dict] = {}
    for item in items:
        unknown = set(item) - {"nodes", "name", "value"}
        if unknown:
            raise fail("tags", sorted(unknown)[0], "unknown key (known: name, nodes, value)")
        nodes, name = item.get("nodes"), item.get("name")
        if type(name) is not str or not name:
            raise fail("tags", "name", "must be a non-empty string")
        if type(nodes) is not list or not all(type(n) is int and 0 <= n < count for n in nodes):
            raise fail("tags", "nodes", f"must be a list of node numbers 0..{count - 1}")
        for n in nodes:
            out.setdefault(n, {})[name] = item.get("value", True)
    return out


def _injects(items, count: int, path: Path, fail):
    if type(items) is not list:
        raise fail(None, "inject", "must be an array of tables ([[inject]])")
    for item in items:
        unknown = set(item) - {"node", "brick", "args", "at"}
        if unknown:
            raise fail("inject", sorted(unknown)[0], "unknown key (known: args, at, brick, node)")
        node, brick = item.get("node", 0), item.get("brick")
        if type(node) is not int or not 0 <= node < count:
            raise fail("inject", "node", f"must be a node number 0..{count - 1}")
        if type(brick) is not str:
            raise fail("inject", "brick", "must be the path of a brick file")
        brick_path = (path.parent / brick).resolve()
        try:
            source = load_brick(brick_path)
        except OSError as exc:
            raise fail("inject", "brick", f"cannot read {brick_path}: {exc.strerror}") from None
        args = item.get("args", [])
        if type(args) is not list:
            raise fail("inject", "args", "must be a list")
        at = item.get("at", 0.0)
        if type(at) not in (int, float) or at < 0:
            raise fail("inject", "at", "must be a non-negative time in seconds")
        yield Inject(node, source, brick_path.name, list(args), float(at))


_NODE_KEYS = ("actuators", "id", "path", "position", "tags")


def _point(value, n: int) -> bool:
    return (type(value) is list and len(value) == n
            and all(type(x) in (int, float) and math.isfinite(x) for x in value))


def _plain(value) -> bool:
    """TOML values an SM can hold (no dates or times)."""
    if type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(_plain(v) for v in value.values())
    return False


def _nodes(items: list, count: int, fail) -> dict[int, NodeSettings]:
    out: dict[int, NodeSettings] = {}
    for item in items:
        if type(item) is not dict:
            raise fail(None, "node", "must be an array of tables ([[node]])")
        unknown = set(item) - set(_NODE_KEYS)
        if unknown:
            raise fail("node", sorted(unknown)[0], f"unknown key (known: {', '.join(_NODE_KEYS)})")
        node = item.get("id")
        if type(node) is not int or not 0 <= node < count:
            raise fail("node", "id", f"must be a node number 0..{count - 1}")
        if node in out:
            raise fail("node", "id", f"node {node} is listed twice")
        position, path = item.get("position"), item.get("path")
        if position is not None and path is not None:
            raise fail("node", "path", "give a node either position or path, not both")
        if position is not None:
            if not _point(position, 2):
                raise fail("node", "position", "must be [x, y] (two numbers)")
            position = (float(position[0]), float(position[1]))
        if path is not None:
            if type(path) is not list or not path or not all(_point(p, 3) for p in path):
                raise fail("node", "path", "must be a non-empty list of waypoints [t, x, y]")
            times = [p[0] for p in path]
            if times[0] < 0 or any(not b > a for a, b in zip(times, times[1:])):
                raise fail("node", "path", "waypoint times must be >= 0 and increasing")
            path = tuple((float(t), float(x), float(y)) for t, x, y in path)
        tags = item.get("tags", {})
        if type(tags) is not dict or not all(type(k) is str and k for k in tags):
            raise fail("node", "tags", "must be a table of tag names to values")
        if not all(_plain(v) for v in tags.values()):
            raise fail("node", "tags", "values must be plain data (no dates or times)")
        actuators = item.get("actuators", [])
        if type(actuators) is not list or not all(type(a) is str and a for a in actuators):
            raise fail("node", "actuators", "must be a list of tag names")
        out[node] = NodeSettings(node, position, path, dict(tags), tuple(actuators))
    return out


def _events(items, count: int, fail):
    if type(items) is not list:
        raise fail(None, "event", "must be an array of tables ([[event]])")
    for item in items:
        unknown = set(item) - {"at", "node", "tag", "value"}
        if unknown:
            raise fail("event", sorted(unknown)[0], "unknown key (known: at, node, tag, value)")
        at, node, tag = item.get("at"), item.get("node"), item.get("tag")
        if type(at) not in (int, float) or not 0 <= at < math.inf:
            raise fail("event", "at", "must be a non-negative time in seconds")
        if type(node) is not int or not 0 <= node < count:
            raise fail("event", "node", f"must be a node number 0..{count - 1}")
        if type(tag) is not str or not tag:
            raise fail("event", "tag", "must be a non-empty string")
        if "value" not in item or not _plain(item["value"]):
            raise fail("event", "value", "must be given, as plain data (no dates or times)")
        yield TagEvent(float(at), node, tag, item["value"])
