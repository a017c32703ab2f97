"""GPS from NMEA 0183: a sans-I/O tracker, I/O tag adapters and line sources.

``NmeaTracker`` (``smvm.drivers.nmea_tracker``) is fed one line at a time
with the time it was received and keeps the current fix; ``GpsFeed`` and
``gps_io_tags`` (``smvm.drivers.gps_tags``) turn it into the node's
location I/O tags. Sources (``read_serial``, ``read_tcp`` in
``smvm.drivers._linesource``; ``replay_file``/``replay_lines`` in
``smvm.drivers.nmea_replay``) only produce lines; the caller feeds them to
the tracker with a receive time, real or virtual (the daemon's loop is
``smvm.drivers.gps_loop``). This module gathers them in one place.
"""
from __future__ import annotations

from ._linesource import LineSplitter, pump, read_serial, read_tcp
from ._nmea import checksum, classify, with_checksum
from .gps_tags import GpsFeed, gps_io_tags
from .nmea_replay import replay_file, replay_lines
from .nmea_tracker import COUNTERS, KNOT, Fix, Location, NmeaTracker, Satellite

__all__ = [
    "Fix", "Location", "Satellite", "NmeaTracker", "COUNTERS", "KNOT",
    "GpsFeed", "gps_io_tags", "replay_file", "replay_lines",
    "LineSplitter", "read_serial", "read_tcp", "pump", "classify", "checksum", "with_checksum",
]
