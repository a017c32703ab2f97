"""What a replay draws under the nodes: SUMO's roads, the spaces a spatial
program names, the area, and each node's initial tags (a trace header's ``world``)."""
from __future__ import annotations

import ast
import gzip
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from smvm.values import jsonable

#: Points of road geometry kept (the longest roads first beyond it).
MAX_ROAD_POINTS = 200_000
_NET_FILE = re.compile(r'<net-file value="([^"]+)"')


def find_net(fcd: str | Path) -> Path | None:
    """The SUMO network an FCD trace was driven on: the ``net-file`` SUMO
    notes in the trace's header, else the one ``*.net.xml`` next to it."""
    fcd = Path(fcd)
    try:
        with fcd.open("r", encoding="utf-8", errors="replace") as f:
            head = f.read(16384)
    except OSError:
        return None
    found = _NET_FILE.search(head)
    if found:
        path = Path(found.group(1))
        path = path if path.is_absolute() else fcd.parent / path
        if path.is_file():
            return path
    nets = sorted(fcd.parent.glob("*.net.xml")) + sorted(fcd.parent.glob("*.net.xml.gz"))
    return nets[0] if len(nets) == 1 else None


def road_lines(net: str | Path) -> list[list[float]]:
    """The centre lines of a SUMO network's roads, ``[x0, y0, x1, y1, ...]``
    each (one lane per edge, junction internals left out); [] for a file
    that is not a readable network."""
    net = Path(net)
    opener = gzip.open if net.name.endswith(".gz") else open
    lines: list[list[float]] = []
    try:
        with opener(net, "rb") as f:
            for _, elem in ET.iterparse(f, events=("end",)):
                if elem.tag != "edge":
                    continue
                if elem.get("function") not in (None, "normal"):
                    elem.clear()
                    continue
                shape = elem.get("shape")
                if shape is None:
                    lane = elem.find("lane")
                    shape = lane.get("shape") if lane is not None else None
                if shape:
                    points = [float(v) for pair in shape.split() for v in pair.split(",")[:2]]
                    if len(points) >= 4:
                        lines.append([round(v, 1) for v in points])
                elem.clear()
    except (OSError, EOFError, ET.ParseError, ValueError):
        return []
    if sum(len(line) for line in lines) > 2 * MAX_ROAD_POINTS:
        lines.sort(key=len, reverse=True)
        kept, total = [], 0
        for line in lines:
            if total + len(line) > 2 * MAX_ROAD_POINTS:
                break
            kept.append(line)
            total += len(line)
        lines = kept
    return lines


_SHAPES = {"circle": 2, "rect": 2, "polygon": 1}
_LINKED = "#smvm-link "


def program_spaces(source: str) -> list[dict]:
    """The spaces a spatial program names at its top level with literal
    coordinates (``Field = rect([0, 0], [720, 720])``, ``circle(...)``,
    ``polygon(...)`` and their unions ``A + B``), as
    ``{"name", "shapes"}`` with shapes in the library's form
    (``["circle", x, y, r]``, ``["rect", x0, y0, x1, y1]``, ``["polygon", n, ...]``).
    Spaces computed while the program runs are not known before it runs."""
    if source.startswith(_LINKED):  # a linked unit (load_brick): the program is its last part
        try:
            source = json.loads(source.split("\n", 1)[1])[-1][1]
        except (ValueError, IndexError, KeyError, TypeError, RecursionError):
            return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    known: dict[str, list] = {}
    out = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            continue
        shapes = _shapes(stmt.value, known)
        if shapes:
            known[stmt.targets[0].id] = shapes
            out.append({"name": stmt.targets[0].id, "shapes": shapes})
    return out


def _shapes(node: ast.expr, known: dict) -> list | None:
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _shapes(node.left, known), _shapes(node.right, known)
        return left + right if left and right else None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _SHAPES and len(node.args) == _SHAPES[node.func.id]
            and not node.keywords):
        return None
    try:
        args = [ast.literal_eval(a) for a in node.args]
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    try:
        if node.func.id == "circle":
            (x, y), r = args
            return [["circle", float(x), float(y), float(r)]]
        if node.func.id == "rect":
            (x0, y0), (x1, y1) = args
            return [["rect", min(x0, x1) * 1.0, min(y0, y1) * 1.0, max(x0, x1) * 1.0,
                     max(y0, y1) * 1.0]]
        points = [(float(x), float(y)) for x, y in args[0]]
        return [["polygon", len(points), *[v for p in points for v in p]]] if len(points) >= 3 \
            else None
    except (TypeError, ValueError):
        return None


def scenario_world(sc, sources: list[str] = ()) -> dict:
    """A trace header's ``world`` for scenario ``sc``: its name, area, radio
    range, initial tags and actuators per node, SUMO roads when its nodes
    drive a SUMO trace, and the spaces its programs (``sources``) name."""
    tags = {}
    for node in range(sc.count):
        own = {name: jsonable(value) for name, value in (sc.tags.get(node) or {}).items()}
        for name in sc.actuators(node):
            own.setdefault(name, None)
        if own:
            tags[str(node)] = own
    world = {"name": sc.name, "seed": sc.seed, "count": sc.count, "range": sc.radio_range,
             "tags": tags}
    if sc.mobility == "manhattan":
        world["area"] = [0.0, 0.0, sc.blocks[0] * sc.block, sc.blocks[1] * sc.block]
    elif sc.mobility == "random_waypoint" or (sc.mobility == "static"
                                              and sc.placement == "uniform"):
        world["area"] = [0.0, 0.0, float(sc.area[0]), float(sc.area[1])]
    if sc.mobility == "fcd" and sc.trace:
        net = find_net(sc.trace)
        if net is not None:
            world["roads"] = road_lines(net)
            world["net"] = net.name
    spaces = []
    for source in [*(inj.brick for inj in sc.injects), *sources]:
        for space in program_spaces(source):
            if space not in spaces:
                spaces.append(space)
    if spaces:
        world["spaces"] = spaces
    return world
