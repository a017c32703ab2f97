"""Trace records (one or several files: a simulated run, or the daemons of a
run on devices) merged into the replay data the viewer plays.

The data is compact JSON: positions as integer decimetres and milliseconds,
each the difference from the node's previous sample; nodes, SMs and event
kinds by index. See ``docs/replay.md`` for the layout and the limits.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: Metres per position unit and seconds per time unit in the encoded samples.
POSITION_QUANTUM = 0.1
TIME_QUANTUM = 0.001
#: Timeline events kept; past it, tag writes and log lines are thinned evenly
#: (SM starts, ends, errors, failed hops and trigger firings are always kept).
MAX_EVENTS = 100_000
#: Hops kept (the first ones in time).
MAX_HOPS = 300_000
_EARTH_M = 6_371_000.0
_KEEP_ALWAYS = ("start", "end", "error", "hop_failed", "wake", "refused")
EVENT_KINDS = ("start", "end", "error", "hop_failed", "tag", "wake", "log", "refused")


class ReplayError(ValueError):
    """Traces that make no replay (the message says why, in one line)."""


@dataclass
class _SM:
    id: str
    origin: str | None = None
    start: float | None = None
    brick: str = ""
    parent: str = ""
    end: float | None = None
    node: str | None = None
    result: object = None
    error: object = None
    hops: list = field(default_factory=list)


def build(traces: Iterable[tuple[dict, Iterator[dict]]], *, title: str | None = None) -> dict:
    """The replay data of ``traces`` (pairs of header and records, as
    ``smvm.trace.read_trace`` gives them); ``ReplayError`` when they hold nothing to show."""
    headers, records = [], []
    for head, items in traces:
        headers.append(head)
        records.extend(items)
    if not headers:
        raise ReplayError("no trace files")
    epoch = min(h.get("t", 0.0) for h in headers)
    world, tags = _merge_worlds(headers)
    records.sort(key=lambda r: r["t"])
    for r in records:
        r["t"] = r["t"] - epoch
    if not records and not tags:
        raise ReplayError("the traces hold no records")
    nodes: dict[str, dict] = {}

    def node(name) -> dict:
        name = str(name)
        entry = nodes.get(name)
        if entry is None:
            entry = nodes[name] = {"samples": [], "nbrs": []}
        return entry

    for name in tags:
        node(name)
    sms: dict[str, _SM] = {}
    arrivals: dict[tuple[str, str], list[float]] = {}
    hops_seen: set = set()
    events: list[tuple] = []
    for r in records:
        k, t = r["k"], r["t"]
        if k == "pos":
            geo = "lat" in r
            a, b = (r.get("lon"), r.get("lat")) if geo else (r.get("x"), r.get("y"))
            node(r["node"])["samples"].append((t, a, b, geo))
            continue
        if k == "nbrs":
            node(r["node"])["nbrs"].append((t, [str(i) for i in r.get("ids", [])]))
            continue
        where = str(r.get("node", ""))
        if where:
            node(where)
        sm_id = r.get("sm")
        sm = None
        if sm_id is not None:
            sm = sms.get(sm_id) or sms.setdefault(sm_id, _SM(str(sm_id)))
        if k == "start":
            if sm.start is None:
                sm.start, sm.origin = t, where
                sm.brick, sm.parent = str(r.get("brick", "")), str(r.get("parent", ""))
                events.append((t, "start", where, sm_id, sm.brick))
        elif k == "arrive":
            arrivals.setdefault((sm_id, where), []).append(t)
        elif k == "hop":
            to = str(r.get("to"))
            node(to)
            key = (sm_id, where, to, round(r.get("t0", t), 6))
            if key not in hops_seen:
                hops_seen.add(key)
                sm.hops.append([float(r.get("t0", t)) - epoch if "t0" in r else t, t, where, to,
                                int(r.get("bytes", 0) or 0)])
        elif k in ("end", "error"):
            if sm.end is None or (where == str(r.get("by", where)) and t < sm.end):
                sm.end, sm.node = t, where
                if k == "end":
                    sm.result, sm.error = r.get("result"), None
                else:
                    sm.error = r.get("error")
                if r.get("by", where) == where:
                    events.append((t, k, where, sm_id, _short(r.get("result") if k == "end"
                                                              else r.get("error"))))
        elif k == "hop_failed":
            events.append((t, k, where, sm_id, f"to {r.get('to')}: {r.get('reason', '')}"))
        elif k == "tag":
            text = f"{r.get('op')} {r.get('name')}"
            if "value" in r:
                text += f" = {_short(r['value'])}"
            events.append((t, k, where, sm_id or (r.get("by") or None), text,
                           r.get("op"), r.get("name"), r.get("value"), "value" in r))
        elif k == "wake":
            events.append((t, k, where, sm_id, f"{r.get('name')} ({r.get('cause')})"))
        elif k == "log":
            events.append((t, k, where, sm_id, str(r.get("text", ""))))
        elif k == "refused":
            events.append((t, k, where, None, f"{r.get('kind')}: {r.get('reason', '')}"))
    _arrival_times(sms, arrivals)
    end = max([world.get("until") or 0.0, *(r["t"] for r in records[-1:])])
    return _encode(world, tags, nodes, sms, events, end, epoch, title, headers)


def _merge_worlds(headers: list[dict]) -> tuple[dict, dict]:
    world: dict = {}
    tags: dict[str, dict] = {}
    for head in headers:
        w = head.get("world") or {}
        for key, value in w.items():
            if key == "tags":
                for name, own in (value or {}).items():
                    tags.setdefault(str(name), {}).update(own or {})
            elif key not in world:
                world[key] = value
        if head.get("node") is not None:
            tags.setdefault(str(head["node"]), {})
    world["sources"] = sorted({str(h.get("source")) for h in headers})
    return world, tags


def _arrival_times(sms: dict, arrivals: dict) -> None:
    """A hop's arrow ends when the receiver admitted the SM (its own trace's
    time) when that is known, else when the sender heard the ACK."""
    for sm in sms.values():
        sm.hops.sort(key=lambda h: h[0])
        for hop in sm.hops:
            times = arrivals.get((sm.id, hop[3]), [])
            inside = [t for t in times if hop[0] <= t <= hop[1]]
            if inside:
                hop[1] = inside[0]


def _short(value: object, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _node_order(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda n: (0, int(n), "") if n.isdigit() else (1, 0, n))


def _project(nodes: dict) -> None:
    """lon/lat samples (daemons' locations) to metres around their mean."""
    geo = [s for entry in nodes.values() for s in entry["samples"] if s[3] and s[1] is not None]
    if not geo:
        return
    lon0 = sum(s[1] for s in geo) / len(geo)
    lat0 = sum(s[2] for s in geo) / len(geo)
    kx = math.radians(1) * _EARTH_M * math.cos(math.radians(lat0))
    ky = math.radians(1) * _EARTH_M
    for entry in nodes.values():
        entry["samples"] = [
            (t, None, None, False) if x is None
            else ((t, (x - lon0) * kx, (y - lat0) * ky, False) if g else (t, x, y, False))
            for t, x, y, g in entry["samples"]]


def _encode(world, tags, nodes, sms, events, end, epoch, title, headers) -> dict:
    _project(nodes)
    order = _node_order(nodes)
    index = {name: i for i, name in enumerate(order)}
    layout = None
    if not any(s[1] is not None for entry in nodes.values() for s in entry["samples"]):
        layout = "circle"  # nobody knows where they are: a ring, to see the hops
        radius = max(50.0, 15.0 * len(order))
        for i, name in enumerate(order):
            a = 2 * math.pi * i / max(1, len(order))
            nodes[name]["samples"] = [(0.0, radius * math.cos(a), radius * math.sin(a), False)]
    xs, ys = [], []
    for entry in nodes.values():
        for _, x, y, _ in entry["samples"]:
            if x is not None:
                xs.append(x)
                ys.append(y)
    for line in world.get("roads", []):
        xs.extend(line[0::2])
        ys.extend(line[1::2])
    area = world.get("area")
    if area:
        xs.extend([area[0], area[2]])
        ys.extend([area[1], area[3]])
    bounds = [min(xs, default=0.0), min(ys, default=0.0), max(xs, default=1.0),
              max(ys, default=1.0)]
    roles = _roles(tags)
    node_data = []
    for name in order:
        entry = nodes[name]
        own = tags.get(name, {})
        node_data.append({"id": name, "tags": own, "role": roles.get(name),
                          "p": _samples(entry["samples"]),
                          "n": [[_ms(t), [index[i] for i in ids if i in index]]
                                for t, ids in entry["nbrs"]]})
    sm_order = sorted(sms.values(), key=lambda s: (s.start if s.start is not None else math.inf,
                                                   s.id))
    sm_index = {sm.id: i for i, sm in enumerate(sm_order)}
    hop_total = 0
    sm_data = []
    for sm in sm_order:
        hops = sm.hops[:max(0, MAX_HOPS - hop_total)]
        hop_total += len(hops)
        sm_data.append({
            "id": sm.id, "origin": index.get(sm.origin), "brick": sm.brick,
            "parent": sm.parent, "start": _ms(sm.start), "end": _ms(sm.end),
            "node": index.get(sm.node), "result": sm.result, "error": sm.error,
            "bytes": sum(h[4] for h in sm.hops),
            "hops": [[_ms(h[0]), _ms(h[1]), index[h[2]], index[h[3]], h[4]] for h in hops]})
    kept, dropped = _thin(events)
    event_data = []
    tag_events = []
    for e in kept:
        kind = EVENT_KINDS.index(e[1])
        who = index.get(e[2], -1)
        sm_i = sm_index.get(e[3], -1)
        event_data.append([_ms(e[0]), kind, who, sm_i, e[4]])
    for e in events:  # every tag change, for a node's tags at a time (not only those shown)
        if e[1] == "tag" and e[2] in index:
            change = [_ms(e[0]), index[e[2]], e[5], e[6]]
            tag_events.append(change + [e[7]] if e[8] else change)
    return {
        "v": 1, "title": title or _title(world),
        "t1": _ms(end), "epoch": epoch or None, "bounds": [round(v, 1) for v in bounds],
        "range": world.get("range"),
        "roads": [[_q(v) for v in line] for line in world.get("roads", [])],
        "spaces": world.get("spaces", []), "layout": layout, "q": POSITION_QUANTUM,
        "tq": TIME_QUANTUM, "sources": world.get("sources", []),
        "nodes": node_data, "sms": sm_data, "kinds": list(EVENT_KINDS), "events": event_data,
        "tags": tag_events, "dropped": dropped,
        "hops_dropped": sum(len(s.hops) for s in sm_order) - hop_total,
    }


def _title(world: dict) -> str:
    name = world.get("name") or "replay"
    return f"{name}, seed {world['seed']}" if world.get("seed") is not None else name


def _roles(tags: dict) -> dict:
    """A node's role: its first tag (by name) with a true value, such as Taxi."""
    out = {}
    for name, own in tags.items():
        for tag in sorted(own):
            if own[tag] is True or (own[tag] not in (None, False, 0, "") and tag[:1].isupper()):
                out[name] = tag
                break
    return out


def _ms(t: float | None) -> int | None:
    return None if t is None else int(round(t / TIME_QUANTUM))


def _q(v: float) -> int:
    return int(round(v / POSITION_QUANTUM))


def _samples(samples: list) -> list:
    """[dt, dx, dy, ...] from the previous sample (dx None: off the map;
    deltas then count from the last place on the map)."""
    out: list = []
    last_t, last_x, last_y = 0, 0, 0
    for t, x, y, _ in samples:
        ti = _ms(t)
        out.append(ti - last_t)
        last_t = ti
        if x is None:
            out.extend((None, None))
            continue
        xi, yi = _q(x), _q(y)
        out.extend((xi - last_x, yi - last_y))
        last_x, last_y = xi, yi
    return out


def _thin(events: list) -> tuple[list, dict]:
    if len(events) <= MAX_EVENTS:
        return events, {}
    always = [e for e in events if e[1] in _KEEP_ALWAYS]
    rest = [e for e in events if e[1] not in _KEEP_ALWAYS]
    room = max(0, MAX_EVENTS - len(always))
    step = len(rest) / room if room else math.inf
    chosen = [rest[int(i * step)] for i in range(room)] if room else []
    dropped: dict[str, int] = {}
    chosen_ids = {id(e) for e in chosen}
    for e in rest:
        if id(e) not in chosen_ids:
            dropped[e[1]] = dropped.get(e[1], 0) + 1
    kept = sorted(always + chosen, key=lambda e: e[0])
    return kept, dropped
