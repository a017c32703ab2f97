"""Scenarios: what to simulate, from a TOML file or built in Python, validated
with clear errors.

See ``docs/sim.md`` for the format. Every problem names the key (and, where
it can be found, its line), and unknown keys are errors, not silently ignored.
A ``Scenario`` built in code is checked by the same rules (``sim.checks``) and
its errors name the same keys; ``to_toml()`` writes the file that loads back
to an equal scenario.
"""
from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smvm.compiler import load_brick

from ._errors import ScenarioError
from .checks import FieldError, check_fields, check_nodes

__all__ = ["Inject", "NodeSettings", "Scenario", "ScenarioError", "TagEvent", "load"]


@dataclass(frozen=True)
class Inject:
    """An SM to start on ``node`` at virtual time ``at``: the brick's source text,
    its file name, and the file itself when it came from one (``from_file``)."""
    node: int
    brick: str        # source text
    brick_name: str
    args: list
    at: float
    path: str | None = field(default=None, compare=False)

    @classmethod
    def from_file(cls, brick: str | Path, node: int = 0, args: list | tuple = (),
                  at: float = 0.0) -> Inject:
        """The brick file at ``brick`` (linked, see ``smvm.compiler.load_brick``)."""
        path = Path(brick).resolve()
        try:
            source = load_brick(path)
        except OSError as exc:
            raise FieldError("inject", "brick", f"cannot read {path}: {exc.strerror}") from None
        return cls(node, source, path.name, list(args), float(at), str(path))


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
    """One ``[[event]]`` table: at time ``at``, tag ``tag`` of ``node`` becomes ``value``."""
    at: float
    node: int
    tag: str
    value: object


@dataclass(frozen=True)
class Scenario:
    """What to simulate. Fields are the TOML keys (``radio_range`` is
    ``radio.range``), plus Python models a file cannot hold: ``mobility`` may
    also be a ``Mobility`` subclass or instance or a function ``(node, t) -> (x,
    y)``, ``link`` a ``LinkModel`` or a function ``(a, b, t) -> loss``, and
    ``extractors`` the run's extra metrics (see ``sim.models``)."""
    name: str = "scenario"
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
    mobility: Any = "static"
    speed: tuple[float, float] = (1.0, 10.0)
    pause: float = 0.0
    blocks: tuple[int, int] = (5, 5)
    block: float = 100.0
    beacon_interval: float = 1.0
    trace: str | None = None      # SUMO FCD file (resolved path) for mobility "fcd"
    signed: bool = False          # nodes sign SMs and verify chains (docs/security.md)
    tags: dict[int, dict] = field(default_factory=dict)
    injects: tuple[Inject, ...] = ()
    node_settings: dict[int, NodeSettings] = field(default_factory=dict)
    events: tuple[TagEvent, ...] = ()
    link: Any = "unit_disk"
    extractors: Any = ()

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, value in check_fields(values, FieldError).items():
            if value is not values[name]:
                object.__setattr__(self, name, value)
        tags = {n: dict(t) for n, t in self.tags.items()} if isinstance(self.tags, dict) else {}
        for node, settings in self.node_settings.items():   # a node's own tags come last
            tags.setdefault(node, {}).update(settings.tags)
        if isinstance(self.tags, dict):
            object.__setattr__(self, "tags", tags)
        object.__setattr__(self, "injects", tuple(self.injects))
        object.__setattr__(self, "events", tuple(self.events))
        check_nodes(self, FieldError)

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file (``load``)."""
        return load(path)

    def to_toml(self) -> str:
        """The TOML text of this scenario; ``ScenarioError`` for a Python model,
        which has no TOML form."""
        from .tomlwrite import to_toml
        return to_toml(self)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with ``changes`` (validated like a new scenario)."""
        return dataclasses.replace(self, **changes)

    def actuators(self, node: int) -> tuple[str, ...]:
        """The actuator tags of ``node`` (writable by every SM)."""
        settings = self.node_settings.get(node)
        return settings.actuators if settings else ()


_SCHEMA = {
    "simulation": {"name": str, "seed": int, "duration": float},
    "radio": {"range": float, "loss": float, "bandwidth": float, "delay": float},
    "nodes": {"count": int, "placement": str, "area": list, "spacing": float, "mobility": str,
              "speed": list, "pause": float, "blocks": list, "block": float,
              "beacon_interval": float, "trace": str, "signed": bool},
}


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


def _line_of(text: str, section: str | None, key: str, nth: int = 0) -> str:
    """' (line N)' for ``key`` in ``[section]`` (its ``nth`` table, for an
    array of tables such as ``[[inject]]``) when it can be found."""
    current, seen = None, -1
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            current = line.strip("[] ")
            if current == section:
                seen += 1
            if section is None and current == key:
                return f" (line {number})"
        elif current == section and seen == nth and line.split("=", 1)[0].strip() == key:
            return f" (line {number})"
    return ""


def _build(data: dict, text: str, path: Path) -> Scenario:
    def fail(section: str | None, key: str, why: str, nth: int = 0) -> ScenarioError:
        where = f"{section}.{key}" if section else key
        return ScenarioError(f"{path}: {where}{_line_of(text, section, key, nth)}: {why}")

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
    values = check_fields(values, fail)
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
    values["node_settings"] = _nodes(node_items, count, fail)
    values["events"] = tuple(_events(data.get("event", []), count, fail))
    values["injects"] = tuple(_injects(data.get("inject", []), count, path, fail,
                                       values.get("duration", Scenario.duration)))
    try:
        return Scenario(**values)
    except FieldError as exc:
        raise fail(exc.section, exc.key, exc.why) from None


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


def _injects(items, count: int, path: Path, fail, duration: float):
    from smvm.compiler import check_source
    from smvm.errors import CompileError
    if type(items) is not list:
        raise fail(None, "inject", "must be an array of tables ([[inject]])")
    for i, item in enumerate(items):
        def bad(key: str, why: str) -> ScenarioError:
            return fail("inject", key, why, i)
        unknown = set(item) - {"node", "brick", "args", "at"}
        if unknown:
            raise bad(sorted(unknown)[0], "unknown key (known: args, at, brick, node)")
        node, brick = item.get("node", 0), item.get("brick")
        if type(node) is not int or not 0 <= node < count:
            raise bad("node", f"must be a node number 0..{count - 1}")
        if type(brick) is not str:
            raise bad("brick", "must be the path of a brick file")
        brick_path = (path.parent / brick).resolve()
        try:
            source = load_brick(brick_path)
            errors = check_source(source, str(brick_path))
        except OSError as exc:
            raise bad("brick", f"cannot read {brick_path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise bad("brick", f"{brick_path} is not UTF-8 text") from None
        except CompileError as exc:
            errors = exc.errors
        if errors:  # found before the run starts, named by the scenario's line
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise bad("brick", f"{errors[0]}{more}")
        args = item.get("args", [])
        if type(args) is not list:
            raise bad("args", "must be a list")
        at = item.get("at", 0.0)
        if type(at) not in (int, float) or at < 0:
            raise bad("at", "must be a non-negative time in seconds")
        if at >= duration:
            raise bad("at", f"{at:g} s is not before the end of the simulation "
                            f"(simulation.duration = {duration:g} s): it would never run")
        yield Inject(node, source, brick_path.name, list(args), float(at), str(brick_path))


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
