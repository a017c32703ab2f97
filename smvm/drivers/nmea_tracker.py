"""GPS from NMEA 0183: a sans-I/O tracker of the receiver's fix.

``NmeaTracker`` is fed one line at a time together with the time it was
received (``feed(line, now)``) and keeps the current fix. It never raises on
bad input: every line is counted in ``counters`` under one of

    lines, sentences, positions, empty, not_nmea, garbage, truncated,
    bad_checksum, malformed, unsupported, no_fix

and only a valid GGA (quality > 0) or RMC (status A) moves the position.
``location(now)`` reports the fix with its age, ``stale`` once it is older
than ``stale_after`` seconds.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pynmea2

from ._nmea import classify

__all__ = ["COUNTERS", "Fix", "KNOT", "Location", "NmeaTracker", "Satellite"]

KNOT = 1852.0 / 3600.0  # m/s
COUNTERS = ("lines", "sentences", "positions", "empty", "not_nmea", "garbage", "truncated",
            "bad_checksum", "malformed", "unsupported", "no_fix")

_UTC = _dt.timezone.utc
_LAT = re.compile(r"(\d{2})(\d{2}(?:\.\d+)?)\Z")
_LON = re.compile(r"(\d{3})(\d{2}(?:\.\d+)?)\Z")
_TIME = re.compile(r"(\d{2})(\d{2})(\d{2}(?:\.\d+)?)\Z")
_DATE = re.compile(r"(\d{2})(\d{2})(\d{2})\Z")


class _Malformed(ValueError):
    """A sentence with a valid checksum carries a field that makes no sense."""


@dataclass(frozen=True, slots=True)
class Fix:
    """The receiver's latest position and what came with it.

    ``speed`` in m/s, ``heading`` in degrees true, ``altitude`` in metres
    above mean sea level; ``quality`` is the GGA fix quality (1 GPS, 2 DGPS,
    4 RTK, ...), ``fix_type`` the GSA type (2 = 2D, 3 = 3D). ``fix_time`` is
    the sentence's UTC time as POSIX seconds (None until an RMC gave the
    date); ``received_at`` the local receive time of the last position update.
    """

    lat: float
    lon: float
    received_at: float
    utc_time: _dt.time | None = None
    fix_time: float | None = None
    altitude: float | None = None
    speed: float | None = None
    heading: float | None = None
    quality: int | None = None
    satellites: int | None = None
    hdop: float | None = None
    fix_type: int | None = None
    speed_at: float | None = None  # receive time of the last speed/heading (RMC)


@dataclass(frozen=True, slots=True)
class Location:
    """A fix as seen at time ``now``: ``age`` seconds old, ``stale`` if too old."""

    lat: float
    lon: float
    altitude: float | None
    speed: float | None
    heading: float | None
    fix_time: float | None
    age: float
    stale: bool

    def as_tag_value(self) -> dict[str, object]:
        """Plain data for the ``location`` I/O tag."""
        return {"lat": self.lat, "lon": self.lon, "alt": self.altitude, "speed": self.speed,
                "heading": self.heading, "time": self.fix_time, "age": self.age,
                "stale": self.stale}


@dataclass(frozen=True, slots=True)
class Satellite:
    prn: int
    elevation: int | None
    azimuth: int | None
    snr: int | None


# --- strict field conversion -------------------------------------------------------

def _field(msg: pynmea2.NMEASentence, name: str) -> str:
    i = type(msg).name_to_idx[name]
    return msg.data[i].strip() if i < len(msg.data) else ""


def _opt_float(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _Malformed(f"{what}: {text!r}") from None
    if not math.isfinite(value):
        raise _Malformed(f"{what}: {text!r}")
    return value


def _opt_int(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise _Malformed(f"{what}: {text!r}")
    return int(text)


def _coord(text: str, hemi: str, pattern: re.Pattern[str], pos: str, neg: str,
           limit: float) -> float:
    m = pattern.match(text)
    if m is None or hemi not in (pos, neg):
        raise _Malformed(f"coordinate {text!r} {hemi!r}")
    degrees, minutes = int(m.group(1)), float(m.group(2))
    value = degrees + minutes / 60.0
    if minutes >= 60.0 or value > limit:
        raise _Malformed(f"coordinate out of range: {text!r}")
    return -value if hemi == neg else value


def _utc_time(text: str) -> _dt.time:
    m = _TIME.match(text)
    if m is None:
        raise _Malformed(f"time {text!r}")
    h, mi, s = int(m.group(1)), int(m.group(2)), float(m.group(3))
    if h > 23 or mi > 59 or s >= 61.0:
        raise _Malformed(f"time {text!r}")
    s = min(s, 59.999999)  # a leap second shows as :60
    return _dt.time(h, mi, int(s), int(round((s - int(s)) * 1e6)) % 1_000_000, tzinfo=_UTC)


def _utc_date(text: str) -> _dt.date:
    m = _DATE.match(text)
    if m is None:
        raise _Malformed(f"date {text!r}")
    day, month, yy = (int(g) for g in m.groups())
    try:
        return _dt.date(2000 + yy if yy < 80 else 1900 + yy, month, day)
    except ValueError:
        raise _Malformed(f"date {text!r}") from None


def _seconds(t: _dt.time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


# --- the tracker -------------------------------------------------------------------

class NmeaTracker:
    """Keeps the current GPS fix from NMEA lines; never raises on bad input.

    Handles GGA (position, altitude, quality, satellites, HDOP), RMC
    (position, speed, heading, date), GSA (fix type, DOPs, satellites used)
    and GSV (satellites in view) from any talker (GP, GN, GL, ...).
    """

    def __init__(self, stale_after: float = 5.0):
        if not stale_after > 0:
            raise ValueError("stale_after must be positive")
        self.stale_after = stale_after
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.fix: Fix | None = None
        self.last_no_fix: float | None = None  # receive time of the last no-fix report
        self.fix_type: int | None = None
        self.dop: tuple[float | None, float | None, float | None] = (None, None, None)
        self.used_prns: tuple[int, ...] = ()
        self.in_view: dict[str, int] = {}  # talker -> satellites in view
        self.sky: dict[str, tuple[Satellite, ...]] = {}  # talker -> last complete GSV cycle
        self._gsv_parts: dict[str, list[Satellite]] = {}
        self._date: _dt.date | None = None
        self._date_tod: float | None = None  # time of day that came with _date
        self._handlers = {"GGA": self._gga, "RMC": self._rmc, "GSA": self._gsa, "GSV": self._gsv}

    # feeding ------------------------------------------------------------------------

    def feed(self, line: str | bytes, now: float) -> bool:
        """Process one line received at ``now``; True if the position moved."""
        c = self.counters
        c["lines"] += 1
        framed = classify(line)
        if framed.salvaged:
            c["truncated"] += 1
        if framed.kind != "ok":
            c[framed.kind] += 1
            return False
        c["sentences"] += 1
        sid = framed.sentence_id or ""
        handler = None if sid.startswith("P") else self._handlers.get(sid[2:])
        if handler is None:
            c["unsupported"] += 1
            return False
        try:
            msg = pynmea2.parse(framed.text, check=True)
            return handler(msg, now)
        except (_Malformed, pynmea2.ParseError, ValueError, IndexError):
            c["malformed"] += 1
            return False

    def feed_many(self, timed_lines: Iterable[tuple[float, str | bytes]]) -> int:
        """Feed ``(now, line)`` pairs (e.g. from ``replay_file``); return position updates."""
        return sum(self.feed(line, now) for now, line in timed_lines)

    def _no_fix(self, now: float) -> bool:
        self.counters["no_fix"] += 1
        self.last_no_fix = now
        return False

    def _gga(self, msg: pynmea2.NMEASentence, now: float) -> bool:
        quality = _opt_int(_field(msg, "gps_qual"), "GGA quality")
        if not quality:  # 0 or empty: no fix
            return self._no_fix(now)
        tod = _utc_time(_field(msg, "timestamp"))
        lat = _coord(_field(msg, "lat"), _field(msg, "lat_dir"), _LAT, "N", "S", 90.0)
        lon = _coord(_field(msg, "lon"), _field(msg, "lon_dir"), _LON, "E", "W", 180.0)
        self._update(now, tod, lat, lon,
                     altitude=_opt_float(_field(msg, "altitude"), "GGA altitude"),
                     quality=quality,
                     satellites=_opt_int(_field(msg, "num_sats"), "GGA satellites"),
                     hdop=_opt_float(_field(msg, "horizontal_dil"), "GGA HDOP"))
        return True

    def _rmc(self, msg: pynmea2.NMEASentence, now: float) -> bool:
        status = _field(msg, "status")
        mode = _field(msg, "mode_indicator")
        if status == "V" or mode == "N":
            return self._no_fix(now)
        if status != "A":
            raise _Malformed(f"RMC status {status!r}")
        tod = _utc_time(_field(msg, "timestamp"))
        lat = _coord(_field(msg, "lat"), _field(msg, "lat_dir"), _LAT, "N", "S", 90.0)
        lon = _coord(_field(msg, "lon"), _field(msg, "lon_dir"), _LON, "E", "W", 180.0)
        knots = _opt_float(_field(msg, "spd_over_grnd"), "RMC speed")
        course = _opt_float(_field(msg, "true_course"), "RMC course")
        if (knots is not None and knots < 0) or (course is not None and not 0 <= course <= 360):
            raise _Malformed("RMC speed/course out of range")
        date_text = _field(msg, "datestamp")
        if date_text:
            self._date, self._date_tod = _utc_date(date_text), _seconds(tod)
        self._update(now, tod, lat, lon,
                     speed=None if knots is None else knots * KNOT,
                     heading=None if course is None else course % 360.0,
                     speed_at=now)
        return True

    def _gsa(self, msg: pynmea2.NMEASentence, now: float) -> bool:
        fix_type = _opt_int(_field(msg, "mode_fix_type"), "GSA fix type")
        if fix_type not in (1, 2, 3):
            raise _Malformed(f"GSA fix type {fix_type!r}")
        prns = []
        for i in range(1, 13):
            prn = _opt_int(_field(msg, f"sv_id{i:02d}"), "GSA PRN")
            if prn is not None:
                prns.append(prn)
        self.fix_type = fix_type
        self.used_prns = tuple(prns)
        self.dop = (_opt_float(_field(msg, "pdop"), "PDOP"),
                    _opt_float(_field(msg, "hdop"), "HDOP"),
                    _opt_float(_field(msg, "vdop"), "VDOP"))
        if self.fix is not None and fix_type > 1:
            self.fix = replace(self.fix, fix_type=fix_type)
        return False

    def _gsv(self, msg: pynmea2.NMEASentence, now: float) -> bool:
        total = _opt_int(_field(msg, "num_messages"), "GSV count")
        number = _opt_int(_field(msg, "msg_num"), "GSV number")
        in_view = _opt_int(_field(msg, "num_sv_in_view"), "GSV in view")
        if not total or not number or number > total or in_view is None:
            raise _Malformed("GSV numbering")
        sats = []
        for i in range(1, 5):
            prn = _opt_int(_field(msg, f"sv_prn_num_{i}"), "GSV PRN")
            if prn is not None:
                sats.append(Satellite(prn, _opt_int(_field(msg, f"elevation_deg_{i}"), "elevation"),
                                      _opt_int(_field(msg, f"azimuth_{i}"), "azimuth"),
                                      _opt_int(_field(msg, f"snr_{i}"), "SNR")))
        talker = msg.talker
        self.in_view[talker] = in_view
        parts = [] if number == 1 else self._gsv_parts.get(talker, [])
        parts = parts + sats
        if number == total:
            self.sky[talker] = tuple(parts)
            self._gsv_parts.pop(talker, None)
        else:
            self._gsv_parts[talker] = parts
        return False

    def _update(self, now: float, tod: _dt.time, lat: float, lon: float, **fields: object) -> None:
        fix_time = None
        if self._date is not None and self._date_tod is not None:
            date = self._date
            shift = _seconds(tod) - self._date_tod
            if shift < -43200:  # past midnight, before the next RMC brought the new date
                date += _dt.timedelta(days=1)
            elif shift > 43200:
                date -= _dt.timedelta(days=1)
            fix_time = _dt.datetime.combine(date, tod).timestamp()
        if self.fix is None:
            self.fix = Fix(lat, lon, now, tod, fix_time, fix_type=self.fix_type,
                           **fields)  # type: ignore[arg-type]
        else:
            self.fix = replace(self.fix, lat=lat, lon=lon, received_at=now, utc_time=tod,
                               fix_time=fix_time, **fields)
        self.counters["positions"] += 1

    # reading ------------------------------------------------------------------------

    @property
    def satellites_in_view(self) -> int | None:
        return sum(self.in_view.values()) if self.in_view else None

    def is_stale(self, now: float) -> bool:
        """True when there is no fix or it is older than ``stale_after``."""
        return self.fix is None or now - self.fix.received_at > self.stale_after

    def location(self, now: float) -> Location | None:
        """The fix as seen at ``now`` (None before the first fix)."""
        fix = self.fix
        if fix is None:
            return None
        age = now - fix.received_at
        return Location(fix.lat, fix.lon, fix.altitude, fix.speed, fix.heading, fix.fix_time,
                        age, age > self.stale_after)
