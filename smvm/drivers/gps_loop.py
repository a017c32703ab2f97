"""The daemon's GPS loop: NMEA lines from a source feed the node's location
I/O tags and its position, as they arrive (trio)."""
from __future__ import annotations

import logging
from typing import Callable

import trio

from .gps_tags import GpsFeed
from ._linesource import read_serial, read_tcp
from .nmea_replay import replay_file
from .nmea_tracker import NmeaTracker

log = logging.getLogger("smvm.node")


async def follow_gps(spec: str, core, clock: Callable[[], float]) -> None:
    """Feed the lines of ``spec`` (``tcp:HOST:PORT``, ``serial:DEVICE[@BAUD]``
    or ``file:PATH``, replayed at its recorded pace) to ``core``'s location
    tags, with receive times from ``clock``; a fix moves the node."""
    tracker = NmeaTracker()
    feed = GpsFeed(tracker, core.tagspace)

    def take(line) -> None:
        now = clock()
        core.woken(feed.feed(line, now))
        fix = tracker.location(now)
        if fix is not None:
            core.move_to((fix.lat, fix.lon))

    kind, _, where = spec.partition(":")
    if kind == "file":
        start = trio.current_time()
        for offset, line in replay_file(where):
            await trio.sleep_until(start + offset)
            take(line)
        return

    def pump_lines() -> None:
        if kind == "tcp":
            host, _, port = where.rpartition(":")
            lines = read_tcp(host, int(port))
        else:
            device, _, baud = where.partition("@")
            lines = read_serial(device, int(baud or 4800))
        for line in lines:
            trio.from_thread.run_sync(take, line)

    try:
        await trio.to_thread.run_sync(pump_lines, abandon_on_cancel=True)
    except (OSError, ValueError) as exc:
        log.warning("GPS source %s stopped: %s", spec, exc)
