"""A scenario as TOML text: the file that ``sim.scenario.load`` reads back to an
equal scenario. Paths (bricks, traces) are written absolute, so the text can be
saved anywhere. Python models (a mobility function, a link model, metric
extractors) have no TOML form: writing a scenario that holds one is an error
naming the field."""
from __future__ import annotations

import json
import math
from typing import Any

from .checks import FIELDS
from .checks import FieldError

_DEFAULTS = {"link": "unit_disk", "extractors": ()}


def _value(value: Any, where: str) -> str:
    """A TOML value (inline; tables as inline tables)."""
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if not math.isfinite(value):
            return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
        return repr(value)
    if type(value) is str:
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if type(value) in (list, tuple):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(v, where)}"
                               for k, v in value.items()) + "}"
    section, _, key = where.partition(".")
    raise FieldError(section if key else None, key or where,
                     f"{type(value).__name__} has no TOML form")


def to_toml(sc: Any) -> str:
    """The TOML text of scenario ``sc``."""
    for name, default in _DEFAULTS.items():
        if getattr(sc, name) != default:
            raise FieldError("radio" if name == "link" else None, name,
                             "a Python model has no TOML form")
    if type(sc.mobility) is not str:
        raise FieldError("nodes", "mobility", "a Python model has no TOML form")
    sections: dict[str, list[str]] = {"simulation": [], "radio": [], "nodes": []}
    for field, (section, key, _) in FIELDS.items():
        value = getattr(sc, field)
        if value is None or (field == "count" and sc.mobility == "fcd"):
            continue
        sections[section].append(f"{key} = {_value(value, f'{section}.{key}')}")
    out = []
    for section, lines in sections.items():
        out += [f"[{section}]", *lines, ""]
    own = {n: s.tags for n, s in sc.node_settings.items()}
    groups: dict[tuple[str, str], list[int]] = {}   # tags given by [[tags]] tables
    values: dict[tuple[str, str], Any] = {}
    for node, tags in sorted(sc.tags.items()):
        for name, value in tags.items():
            if name in own.get(node, {}) and own[node][name] == value:
                continue  # written with its [[node]] table
            key = (name, _value(value, "tags.value"))
            groups.setdefault(key, []).append(node)
            values[key] = value
    for key, nodes in groups.items():
        out += ["[[tags]]", f"nodes = {_value(nodes, 'tags.nodes')}",
                f"name = {_value(key[0], 'tags.name')}",
                f"value = {_value(values[key], 'tags.value')}", ""]
    for node, s in sorted(sc.node_settings.items()):
        out += ["[[node]]", f"id = {node}"]
        if s.position is not None:
            out.append(f"position = {_value(s.position, 'node.position')}")
        if s.path is not None:
            out.append(f"path = {_value(s.path, 'node.path')}")
        if s.tags:
            out.append(f"tags = {_value(s.tags, 'node.tags')}")
        if s.actuators:
            out.append(f"actuators = {_value(s.actuators, 'node.actuators')}")
        out.append("")
    for event in sc.events:
        out += ["[[event]]", f"at = {_value(event.at, 'event.at')}", f"node = {event.node}",
                f"tag = {_value(event.tag, 'event.tag')}",
                f"value = {_value(event.value, 'event.value')}", ""]
    for inj in sc.injects:
        if inj.path is None:
            raise FieldError("inject", "brick", "a brick given as source text has no file to "
                                                "name (use Inject.from_file)")
        out += ["[[inject]]", f"node = {inj.node}", f"brick = {_value(inj.path, 'inject.brick')}",
                f"args = {_value(inj.args, 'inject.args')}", f"at = {_value(inj.at, 'inject.at')}",
                ""]
    return "\n".join(out)
