"""NMEA recordings replayed in virtual time: each line gets the time at which
the receiver sent it, from the UTC times the sentences carry."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from os import PathLike

from ._nmea import classify
from .nmea_tracker import _Malformed, _seconds, _utc_time

__all__ = ["replay_file", "replay_lines"]

_TIME_FIELD = {"GGA": 1, "RMC": 1, "GNS": 1, "ZDA": 1, "GLL": 5, "GBS": 1, "GST": 1}


def _sentence_time(line: str) -> float | None:
    """Seconds of the day of a checksummed sentence that carries a UTC time."""
    framed = classify(line)
    if framed.kind != "ok" or framed.sentence_id is None:
        return None
    index = _TIME_FIELD.get(framed.sentence_id[2:])
    if index is None or framed.sentence_id.startswith("P"):
        return None
    fields = framed.text[1:-3].split(",")  # type: ignore[index]
    if index >= len(fields):
        return None
    try:
        return _seconds(_utc_time(fields[index]))
    except _Malformed:
        return None


def replay_lines(lines: Iterable[str | bytes], start: float = 0.0) -> Iterator[tuple[float, str]]:
    """Give each line the virtual time at which a receiver sent it.

    The first sentence with a valid checksum and a UTC time maps to
    ``start``; later times follow the sentences' UTC clock (across midnight
    too). A line without a usable time (GSA, GSV, broken lines) takes the
    time of the latest one seen, so a simulator or test can feed the lines
    at the recorded pace without sleeping. Times never go backwards.
    """
    origin: float | None = None
    last_tod: float | None = None
    days = 0
    current = start
    for raw in lines:
        line = raw.decode("latin-1") if isinstance(raw, (bytes, bytearray)) else raw
        line = line.rstrip("\r\n")
        tod = _sentence_time(line)
        if tod is not None:
            if last_tod is not None and tod < last_tod - 43200:
                days += 1
            last_tod = tod
            t = tod + 86400 * days
            if origin is None:
                origin = t
            current = max(current, start + (t - origin))
        yield current, line


def replay_file(path: str | PathLike[str], start: float = 0.0) -> Iterator[tuple[float, str]]:
    """``replay_lines`` over a recorded NMEA log (any line endings; bytes kept as latin-1)."""
    with open(path, "rb") as f:
        yield from replay_lines(f, start)
