"""The GPS I/O tags (``location``, ``speed``, ``heading``, ``gps_fix``),
backed by an ``NmeaTracker``, and ``GpsFeed``, which registers them in a tag
space and wakes the SMs waiting on them when the fix moves."""
from __future__ import annotations

from tagspace import IOTag, IOTagUnavailable, TagSpace, Woken

from .nmea_tracker import NmeaTracker

__all__ = ["GpsFeed", "gps_io_tags"]


class _LocationTag(IOTag):
    """``location``: lat/lon/alt/speed/heading/time plus ``age`` and ``stale``."""

    def __init__(self, tracker: NmeaTracker):
        self.tracker = tracker

    def available(self, now: float) -> bool:
        return self.tracker.fix is not None

    def read(self, now: float) -> object:
        loc = self.tracker.location(now)
        if loc is None:
            raise IOTagUnavailable("no GPS fix yet")
        return loc.as_tag_value()


class _MotionTag(IOTag):
    """``speed`` (m/s) or ``heading`` (degrees): unavailable when stale or unknown."""

    def __init__(self, tracker: NmeaTracker, field: str):
        self.tracker = tracker
        self.field = field

    def _value(self, now: float) -> float | None:
        fix = self.tracker.fix
        if fix is None or fix.speed_at is None or now - fix.speed_at > self.tracker.stale_after:
            return None
        return getattr(fix, self.field)

    def available(self, now: float) -> bool:
        return self._value(now) is not None

    def read(self, now: float) -> object:
        value = self._value(now)
        if value is None:
            raise IOTagUnavailable(f"no recent GPS {self.field}")
        return value


class _FixTag(IOTag):
    """``gps_fix``: quality, satellites, HDOP, fix type, satellites in view, validity."""

    def __init__(self, tracker: NmeaTracker):
        self.tracker = tracker

    def read(self, now: float) -> object:
        t = self.tracker
        fix = t.fix
        return {
            "valid": not t.is_stale(now),
            "quality": None if fix is None else fix.quality,
            "satellites": None if fix is None else fix.satellites,
            "hdop": None if fix is None else fix.hdop,
            "fix_type": t.fix_type,
            "in_view": t.satellites_in_view,
            "age": None if fix is None else now - fix.received_at,
        }


def gps_io_tags(tracker: NmeaTracker) -> dict[str, IOTag]:
    """I/O tag providers backed by ``tracker``: location, speed, heading, gps_fix."""
    return {"location": _LocationTag(tracker), "speed": _MotionTag(tracker, "speed"),
            "heading": _MotionTag(tracker, "heading"), "gps_fix": _FixTag(tracker)}


class GpsFeed:
    """Binds a tracker to a tag space: registers the GPS I/O tags and reports updates.

    ``feed(line, now)`` feeds the tracker and, when the position moved,
    tells the space (``io_updated``) so SMs blocked on ``location``, ``speed``,
    ``heading`` or ``gps_fix`` wake; it returns those wake-ups.
    """

    def __init__(self, tracker: NmeaTracker, space: TagSpace):
        self.tracker = tracker
        self.space = space
        self.names = tuple(gps_io_tags(tracker))
        for name, provider in gps_io_tags(tracker).items():
            space.register_io(name, provider, replace=True)

    def feed(self, line: str | bytes, now: float) -> tuple[Woken, ...]:
        if not self.tracker.feed(line, now):
            return ()
        woken: tuple[Woken, ...] = ()
        for name in self.names:
            woken += self.space.io_updated(name, now)
        return woken
