"""Trace records: what a node saw, one JSON object per line, for replays.

The simulator and the node daemon (``smvm node --trace FILE``) write the same
records; ``sim.replay`` merges the files of one run into a replay. A file
starts with a header ``{"trace": VERSION, "source": ..., "node": ..., "t": ...,
"world": {...}}``; every later line is a record ``{"t": time, "k": kind, ...}``
(see ``docs/replay.md`` for every kind). The builders here are sans-I/O
(events in, plain dicts out); ``TraceWriter`` is the thin driver that writes
lines, and ``read_trace`` reads them back within limits.
"""
from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import tagspace

from .limits import safe_repr, truncate
from .node import events as ev
from .values import jsonable

#: Version of the record format; readers refuse other versions.
VERSION = 1
#: Seconds between position samples a daemon writes (only when it moved).
POSITION_PERIOD = 1.0
#: Characters of a value's JSON text kept in a record (longer: its repr, cut).
MAX_VALUE_CHARS = 256
#: Characters of a log line or error message kept in a record.
MAX_TEXT_CHARS = 500
#: Longest line a reader accepts, and the largest file.
MAX_LINE_CHARS = 1 << 16
MAX_TRACE_BYTES = 2 << 30


class TraceError(ValueError):
    """A trace file that cannot be read (the message names the file and line)."""


def _time(t: float) -> float:
    return round(float(t), 6)


def bounded(value: object) -> object:
    """``value`` as JSON-safe data when its text is short, else its repr, cut."""
    shown = jsonable(value)
    try:
        text = json.dumps(shown, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return safe_repr(value, MAX_VALUE_CHARS)
    return shown if len(text) <= MAX_VALUE_CHARS else safe_repr(value, MAX_VALUE_CHARS)


def header(source: str, t: float, *, node: str | None = None, world: dict | None = None) -> dict:
    """The first line of a trace: who wrote it (``source`` "sim" or "daemon"),
    the node (a daemon's id), the start time and what the world looks like
    (area, radio range, roads, spaces, each node's initial tags)."""
    return {"trace": VERSION, "source": source, "node": node, "t": _time(t), "world": world or {}}


def position(node: str, t: float, x: float | None, y: float | None, *, geo: bool = False) -> dict:
    """Where ``node`` is at ``t``: metres (``x``/``y``), or with ``geo``
    degrees (``x`` the latitude, ``y`` the longitude: a daemon's location);
    None: not on the map."""
    if x is not None and (not math.isfinite(x) or not math.isfinite(y)):
        x = y = None
    keys = ("lat", "lon") if geo else ("x", "y")
    rounded = (None, None) if x is None else (round(x, 7 if geo else 2), round(y, 7 if geo else 2))
    return {"t": _time(t), "k": "pos", "node": node, keys[0]: rounded[0], keys[1]: rounded[1]}


def neighbours(node: str, t: float, ids: list[str]) -> dict:
    """The nodes ``node`` hears at ``t`` (a daemon's radio links)."""
    return {"t": _time(t), "k": "nbrs", "node": node, "ids": sorted(str(i) for i in ids)}


def tag_set(node: str, t: float, name: str, value: object) -> dict:
    """A tag of ``node`` set from outside (a scenario event, a sensor reading)."""
    return {"t": _time(t), "k": "tag", "node": node, "op": "set", "name": name, "by": "",
            "value": bounded(value)}


def from_node_event(node: str, event: ev.Event, t: float | None = None) -> dict | None:
    """The record of a node core's event seen on ``node`` (None: not traced)."""
    if isinstance(event, ev.SMStarted):
        return {"t": _time(event.time), "k": "start", "sm": event.sm_id, "node": node,
                "brick": event.brick, "parent": event.parent}
    if isinstance(event, ev.HopCompleted):
        started = event.time if event.started is None else event.started
        return {"t": _time(event.time), "k": "hop", "sm": event.sm_id, "node": node,
                "to": event.target, "t0": _time(started), "bytes": event.bytes,
                "code": event.code_sent}
    if isinstance(event, ev.SMAdmitted):
        return {"t": _time(event.time), "k": "arrive", "sm": event.sm_id, "node": node,
                "from": event.source}
    if isinstance(event, ev.HopFailed):
        return {"t": _time(event.time), "k": "hop_failed", "sm": event.sm_id, "node": node,
                "to": event.target, "reason": truncate(str(event.reason), MAX_TEXT_CHARS)}
    if isinstance(event, ev.SMFinished):
        return {"t": _time(event.time), "k": "end", "sm": event.sm_id, "node": event.node,
                "by": node, "result": bounded(event.value)}
    if isinstance(event, ev.SMFailed):
        error = {k: event.error.get(k) for k in ("type", "message", "line")}
        error["message"] = truncate(str(error["message"]), MAX_TEXT_CHARS)
        return {"t": _time(event.time), "k": "error", "sm": event.sm_id, "node": event.node,
                "by": node, "error": bounded(error)}
    if isinstance(event, ev.LogLine):
        return {"t": _time(event.time), "k": "log", "sm": event.sm_id, "node": node,
                "text": truncate(event.text, MAX_TEXT_CHARS)}
    if isinstance(event, ev.FrameRefused):
        return {"t": _time(event.time), "k": "refused", "node": node, "kind": event.kind,
                "from": event.source, "reason": truncate(str(event.reason), MAX_TEXT_CHARS)}
    return None


_TAG_OPS = {tagspace.TagCreated: "create", tagspace.TagWritten: "write",
            tagspace.TagDeleted: "delete", tagspace.TagExpired: "expire"}


def from_tag_event(node: str, event: tagspace.Event, value: object = None) -> dict | None:
    """The record of a tag-space event on ``node``: tag writes and the waits
    they end (``wake``: a trigger firing). ``value`` is the tag's new value
    when the driver could read it."""
    op = _TAG_OPS.get(type(event))
    if op is not None:
        by = getattr(event, "by", None) or getattr(event, "owner", "")
        record = {"t": _time(event.time), "k": "tag", "node": node, "op": op,
                  "name": event.name, "by": by}
        if op in ("create", "write") and value is not None:
            record["value"] = bounded(value)
        return record
    if isinstance(event, tagspace.Woken):
        return {"t": _time(event.time), "k": "wake", "node": node, "sm": event.sm_id,
                "name": event.name, "cause": event.cause}
    return None


# reads tags as any SM would: a trace shows only values everyone may read
_ANYONE = tagspace.Principal("trace:observer", "trace:observer", "trace:observer")


def observe_tag(node: str, space: tagspace.TagSpace, event: tagspace.Event) -> dict | None:
    """The record of a tag-space event as an observer registered with
    ``space.add_observer`` sees it: with the new value when every SM may read
    it. The driver's own writes (the node principal's) are left to it (None):
    it records them with their value (``tag_set``)."""
    me = space.node_principal.sm_id
    if getattr(event, "by", None) == me or (isinstance(event, tagspace.TagCreated)
                                            and event.owner == me):
        return None
    value = None
    if isinstance(event, (tagspace.TagCreated, tagspace.TagWritten)):
        try:
            value = space.read(_ANYONE, event.name, event.time)
        except tagspace.TagSpaceError:
            value = None
    return from_tag_event(node, event, value)


def readable_tags(space: tagspace.TagSpace, now: float) -> dict:
    """The stored tags of ``space`` every SM may read, with their values."""
    out = {}
    for name in space.stored_names(now):
        try:
            out[name] = bounded(space.read(_ANYONE, name, now))
        except tagspace.TagSpaceError:
            continue
    return out


class NodeTracer:
    """What one node writes to its trace (sans-I/O: a daemon feeds it and
    writes what it returns): its events, and its place and neighbours every
    ``period`` seconds when they changed (with the place it held until then,
    so that the line the viewer draws between samples stays true)."""

    def __init__(self, node_id: str, period: float = POSITION_PERIOD):
        self.node_id, self.period = node_id, period
        self._next = -math.inf
        self._place: tuple | None = None
        self._place_seen = -math.inf   # last sample time that saw self._place
        self._place_written = -math.inf
        self._neighbours: list | None = None

    def events(self, events: list) -> list[dict]:
        return [r for r in (from_node_event(self.node_id, e) for e in events) if r is not None]

    def sample(self, now: float, place: tuple[float, float] | None,
               neighbour_ids: list[str]) -> list[dict]:
        """Records for the node's ``place`` (lat, lon) and neighbours at ``now``."""
        if now < self._next:
            return []
        self._next = now + self.period
        out = []
        place = tuple(place) if place is not None else None
        if place != self._place:
            if self._place is not None and self._place_seen > self._place_written:
                out.append(position(self.node_id, self._place_seen, *self._place, geo=True))
            lat, lon = place if place is not None else (None, None)
            out.append(position(self.node_id, now, lat, lon, geo=True))
            self._place, self._place_written = place, now
        self._place_seen = now
        ids = sorted(str(i) for i in neighbour_ids)
        if ids != self._neighbours:
            out.append(neighbours(self.node_id, now, ids))
            self._neighbours = ids
        return out


def encode(record: dict) -> str:
    """One line of a trace file (keys in a fixed order: same run, same bytes)."""
    return json.dumps(record, separators=(",", ":"), allow_nan=False, sort_keys=True) + "\n"


class TraceWriter:
    """Appends records to a trace file (a thin driver: open, write, flush)."""

    def __init__(self, path: str | Path, first: dict):
        self.path = Path(path)
        self._file: IO[str] = self.path.open("w", encoding="utf-8")
        self.write(first)

    def write(self, record: dict) -> None:
        self._file.write(encode(record))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_trace(path: str | Path) -> tuple[dict, Iterator[dict]]:
    """The header of the trace at ``path`` (plain or gzipped) and an iterator
    over its records; ``TraceError`` for a file that is not a trace."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise TraceError(f"{path}: not a file")
        if size > MAX_TRACE_BYTES:
            raise TraceError(f"{path}: larger than {MAX_TRACE_BYTES >> 30} GiB")
        opener = gzip.open if path.name.endswith(".gz") else open
        f = opener(path, "rt", encoding="utf-8")
        first = f.readline(MAX_LINE_CHARS + 1)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise TraceError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    head = _decode(path, 1, first)
    if not isinstance(head, dict) or "trace" not in head:
        f.close()
        raise TraceError(f"{path}: not a trace file (its first line is not a trace header)")
    if head["trace"] != VERSION:
        f.close()
        raise TraceError(f"{path}: trace format version {head['trace']!r}; this reader knows "
                         f"version {VERSION}")
    return head, _records(path, f)


def _records(path: Path, f) -> Iterator[dict]:
    with f:
        number = 1
        try:
            while True:
                line = f.readline(MAX_LINE_CHARS + 1)
                number += 1
                if not line:
                    return
                if not line.strip():
                    continue
                record = _decode(path, number, line)
                if not isinstance(record, dict) or type(record.get("k")) is not str \
                        or type(record.get("t")) not in (int, float):
                    raise TraceError(f"{path}:{number}: not a trace record (needs t and k)")
                yield record
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise TraceError(f"{path}:{number}: cannot read: {exc}") from None


def _decode(path: Path, number: int, line: str) -> object:
    if len(line) > MAX_LINE_CHARS:
        raise TraceError(f"{path}:{number}: line longer than {MAX_LINE_CHARS} characters")
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise TraceError(f"{path}:{number}: not JSON: {exc}") from None
