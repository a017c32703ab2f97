"""GPS driver: NMEA tracker on the recorded log, bad input, staleness, sources."""
from __future__ import annotations

import datetime as dt
import random
import socket
import threading
from itertools import islice
from pathlib import Path

import pytest
import serial

from smvm.drivers.gps import (KNOT, GpsFeed, LineSplitter, NmeaTracker, Satellite, classify,
                              pump, read_serial, read_tcp, replay_file, replay_lines,
                              with_checksum)
from tagspace import IOTagUnavailable, Principal, ReadOnlyTag, TagSpace, Woken

LOG = Path(__file__).resolve().parents[2] / "data" / "gps_drive.nmea"
SM = Principal("sm-1", "sm-1", "node-1")

# What the log holds (see tests/data/make_nmea_log.py).
EXPECTED_COUNTERS = {
    "lines": 1060, "sentences": 1054, "positions": 333, "empty": 1, "not_nmea": 1,
    "garbage": 2, "truncated": 2, "bad_checksum": 1, "malformed": 1, "unsupported": 1,
    "no_fix": 24,
}


def lat(dm: str) -> float:
    return int(dm[:2]) + float(dm[2:]) / 60


def lon(dm: str) -> float:
    return int(dm[:3]) + float(dm[3:]) / 60


def log_lines() -> list[str]:
    return [line for _, line in replay_file(LOG)]


def utc(h: int, m: int, s: int) -> float:
    return dt.datetime(2025, 6, 3, h, m, s, tzinfo=dt.timezone.utc).timestamp()


# --- the recorded log -------------------------------------------------------------------

def test_first_epoch_gga_rmc_gsa_gsv():
    tracker = NmeaTracker()
    timed = list(replay_file(LOG))
    first_epoch = [(t, line) for t, line in timed if t == 0.0]
    # banner, binary noise, proprietary sentence, then RMC, GGA, GSA and 3 GSV
    assert len(first_epoch) == 3 + 6
    assert tracker.feed_many(first_epoch) == 2
    fix = tracker.fix
    assert fix.lat == pytest.approx(lat("4031.29000"))
    assert fix.lon == pytest.approx(-lon("07427.76200"))
    assert fix.altitude == 27.0 and fix.quality == 1 and fix.satellites == 8 and fix.hdop == 1.21
    assert fix.speed == 0.0 and fix.heading is None  # standing still: no course
    assert fix.fix_type == 3 and tracker.fix_type == 3
    assert tracker.dop == (2.06, 1.21, 1.69)
    assert tracker.used_prns == (2, 7, 29, 18, 5, 15, 13, 30)
    assert tracker.satellites_in_view == 11
    assert len(tracker.sky["GP"]) == 11 and tracker.sky["GP"][0] == Satellite(2, 71, 15, 47)
    assert fix.fix_time == utc(14, 30, 0)
    assert fix.utc_time == dt.time(14, 30, 0, tzinfo=dt.timezone.utc)


def test_moving_fix_speed_and_heading():
    tracker = NmeaTracker()
    tracker.feed_many((t, line) for t, line in replay_file(LOG) if t <= 70.0)
    fix = tracker.fix
    assert fix.fix_time == utc(14, 31, 10)
    assert fix.lat == pytest.approx(lat("4031.48838"))
    assert fix.lon == pytest.approx(-lon("07427.43764"))
    assert fix.speed == pytest.approx(13.607 * KNOT) and fix.speed == pytest.approx(7.0, abs=1e-3)
    assert fix.heading == 120.83
    assert fix.satellites == 9


def test_whole_log_counters_and_last_fix():
    tracker = NmeaTracker()
    assert tracker.feed_many(replay_file(LOG)) == EXPECTED_COUNTERS["positions"]
    assert tracker.counters == EXPECTED_COUNTERS
    last_gga = [line for line in log_lines() if line.startswith("$GPGGA,143259")][0].split(",")
    assert tracker.fix.lat == pytest.approx(lat(last_gga[2]))
    assert tracker.fix.lon == pytest.approx(-lon(last_gga[4]))
    assert tracker.fix.fix_time == utc(14, 32, 59)
    loc = tracker.location(179.0)
    assert loc.age == 0.0 and not loc.stale and loc.speed == 0.0


def test_replay_timing_in_virtual_time():
    timed = list(replay_file(LOG, start=1000.0))
    times = [t for t, _ in timed]
    assert times == sorted(times)
    assert times[0] == 1000.0 and times[-1] == 1179.0
    by_time = {}
    for t, line in timed:
        by_time.setdefault(t, []).append(line)
    assert sorted(by_time) == [1000.0 + s for s in range(180)]  # one epoch per second
    for s, lines in by_time.items():
        hhmmss = (dt.datetime(2025, 6, 3, 14, 30) + dt.timedelta(seconds=s - 1000)).strftime(
            "%H%M%S")
        # every sentence that carries a time is stamped with its own second
        stamped = [ln for ln in lines if ln.startswith(("$GPRMC,", "$GPGGA,")) and "*" in ln]
        assert all(ln.split(",")[1].startswith(hhmmss) for ln in stamped
                   if classify(ln).kind == "ok")
    # the no-fix stretch keeps the pace: receivers still send the time
    assert [ln for ln in by_time[1115.0] if ln.startswith("$GPGGA")] == [
        with_checksum("GPGGA,143155.00,,,,,0,00,99.99,,,,,,")]


def test_replay_across_midnight_and_ignores_times_of_bad_lines():
    good = [with_checksum(f"GPGGA,{t}.00,4031.29000,N,07427.76200,W,1,08,1.0,27.0,M,,M,,")
            for t in ("235958", "235959", "000000", "000001")]
    broken = good[1].replace("235959", "120000")  # checksum no longer matches
    lines = [good[0], good[1], broken, "$GPGSA,A,3", good[2], good[3]]
    assert [t for t, _ in replay_lines(lines)] == [0.0, 1.0, 1.0, 1.0, 2.0, 3.0]
    assert [t for t, _ in replay_lines(x.encode() + b"\r\n" for x in good)] == [0, 1, 2, 3]


def test_no_fix_stretch_keeps_location_and_goes_stale():
    tracker = NmeaTracker(stale_after=5.0)
    timed = list(replay_file(LOG))
    tracker.feed_many((t, ln) for t, ln in timed if t <= 109.0)
    before = tracker.fix
    assert not tracker.location(109.0).stale
    tracker.feed_many((t, ln) for t, ln in timed if 110.0 <= t <= 121.0)
    assert tracker.fix is before  # twelve seconds of no-fix changed nothing
    assert tracker.counters["no_fix"] == 24
    assert tracker.last_no_fix == 121.0
    assert not tracker.location(114.0).stale
    loc = tracker.location(121.0)
    assert loc.stale and loc.age == 12.0 and loc.lat == before.lat
    tracker.feed_many((t, ln) for t, ln in timed if t == 122.0)
    assert not tracker.location(122.0).stale
    assert tracker.fix.lat != before.lat
    assert tracker.fix.satellites == 5 and tracker.fix.hdop == 2.1  # just reacquired


# --- bad input --------------------------------------------------------------------------

GGA = with_checksum("GPGGA,120000.00,4807.03800,N,01131.00000,E,1,08,0.9,545.4,M,46.9,M,,")
RMC = with_checksum("GPRMC,120001.00,A,4807.03800,N,01131.00000,E,10.0,84.40,230394,,,A")


@pytest.mark.parametrize("line,counter", [
    (GGA[:-1] + ("0" if GGA[-1] != "0" else "1"), "bad_checksum"),
    (GGA.replace("4807", "4808"), "bad_checksum"),
    (GGA[:30], "truncated"),
    (GGA[:-1], "truncated"),
    (GGA[:-3], "truncated"),
    (b"\xb5\x62\x01\x07\x5c\x00", "garbage"),
    (b"$GPGGA,\xff\xfe*00", "garbage"),
    ("$GPGGA,1,2\x07*00", "garbage"),
    ("$gp!gga,1*00", "garbage"),
    (GGA[:-2] + "ZZ", "garbage"),
    ("hello from the receiver", "not_nmea"),
    ("GPGGA,120000.00,4807.038,N*47", "not_nmea"),
    ("   \r\n", "empty"),
    (with_checksum("GPVTG,84.4,T,,M,10.0,N,18.5,K,A"), "unsupported"),
    (with_checksum("PGRME,15.0,M,45.0,M,25.0,M"), "unsupported"),
    (with_checksum("GPGGA,120000.00,4807.03800,X,01131.00000,E,1,08,0.9,545.4,M,,M,,"),
     "malformed"),
    (with_checksum("GPGGA,120000.00,9107.03800,N,01131.00000,E,1,08,0.9,545.4,M,,M,,"),
     "malformed"),
    (with_checksum("GPGGA,120000.00,4867.03800,N,01131.00000,E,1,08,0.9,545.4,M,,M,,"),
     "malformed"),
    (with_checksum("GPGGA,250000.00,4807.03800,N,01131.00000,E,1,08,0.9,545.4,M,,M,,"),
     "malformed"),
    (with_checksum("GPGGA,120000.00,,,,,1,08,0.9,545.4,M,,M,,"), "malformed"),
    (with_checksum("GPGGA,120000.00,4807.038,N,01131.000,E,one,08,0.9,545.4,M,,M,,"),
     "malformed"),
    (with_checksum("GPRMC,120001.00,X,4807.038,N,01131.000,E,10.0,84.4,230394,,,A"),
     "malformed"),
    (with_checksum("GPRMC,120001.00,A,4807.038,N,01131.000,E,-3,84.4,230394,,,A"), "malformed"),
    (with_checksum("GPRMC,120001.00,A,4807.038,N,01131.000,E,10.0,84.4,310294,,,A"),
     "malformed"),
    (with_checksum("GPGSA,A,7,01,02,,,,,,,,,,,1.0,1.0,1.0"), "malformed"),
    (with_checksum("GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,1e999,M,,M,,"), "malformed"),
    (with_checksum("GPGSV,2,3,08,01,40,083,46"), "malformed"),
    (with_checksum("GPGGA,120000.00,,,,,0,00,99.99,,,,,,"), "no_fix"),
    (with_checksum("GPGGA,120000.00,4807.038,N,01131.000,E,0,00,99.99,,,,,,"), "no_fix"),
    (with_checksum("GPRMC,120001.00,V,,,,,,,230394,,,N"), "no_fix"),
    (with_checksum("GPRMC,120001.00,V,4807.038,N,01131.000,E,,,230394,,,N"), "no_fix"),
    (with_checksum("GPRMC,120001.00,A,4807.038,N,01131.000,E,0.0,,230394,,,N"), "no_fix"),
])
def test_bad_lines_are_counted_and_never_move_the_fix(line, counter):
    tracker = NmeaTracker()
    assert tracker.feed(GGA, 1.0)
    fix = tracker.fix
    assert tracker.feed(line, 2.0) is False
    assert tracker.fix is fix
    assert tracker.counters[counter] == 1
    assert tracker.counters["positions"] == 1
    assert tracker.counters["lines"] == 2


def test_glued_lines_salvage_the_complete_sentence():
    tracker = NmeaTracker()
    assert tracker.feed(GGA[:25] + RMC, 1.0)
    assert tracker.counters["truncated"] == 1 and tracker.counters["positions"] == 1
    assert tracker.fix.speed == pytest.approx(10.0 * KNOT) and tracker.fix.heading == 84.4


def test_other_talkers_and_bytes_lines():
    tracker = NmeaTracker()
    gn = with_checksum("GNGGA,120000.00,4807.03800,S,01131.00000,W,2,12,0.6,545.4,M,46.9,M,,")
    assert tracker.feed(gn.encode() + b"\r\n", 5.0)
    assert tracker.fix.lat < 0 and tracker.fix.lon < 0 and tracker.fix.quality == 2
    assert tracker.fix.fix_time is None  # no date yet (no RMC)


def test_gga_after_midnight_uses_next_date():
    tracker = NmeaTracker()
    tracker.feed(with_checksum("GPRMC,235959.50,A,4807.038,N,01131.000,E,1.0,10.0,310525,,,A"),
                 0.0)
    tracker.feed(with_checksum("GPGGA,000000.50,4807.038,N,01131.000,E,1,08,0.9,5.0,M,,M,,"), 1.0)
    assert tracker.fix.fix_time == dt.datetime(2025, 6, 1, 0, 0, 0, 500000,
                                               tzinfo=dt.timezone.utc).timestamp()


def test_fuzzed_lines_never_raise():
    rnd = random.Random(7)
    tracker = NmeaTracker()
    valid = [ln for ln in log_lines() if classify(ln).kind == "ok"][:200]
    for i in range(3000):
        base = rnd.choice(valid)
        kind = i % 4
        if kind == 0:
            line: str | bytes = bytes(rnd.randrange(256) for _ in range(rnd.randrange(80)))
        elif kind == 1:
            cut = rnd.randrange(len(base))
            line = base[:cut] + rnd.choice("$*,.\r0A9") + base[cut + 1:]
        elif kind == 2:
            body = base[1:-3]
            fields = body.split(",")
            fields[rnd.randrange(len(fields))] = rnd.choice(["", "-1", "x", "99999", "1e999"])
            line = with_checksum(",".join(fields))  # valid checksum, odd content
        else:
            line = base[:rnd.randrange(len(base))]
        tracker.feed(line, float(i))
    assert tracker.counters["lines"] == 3000
    for value in (tracker.fix.lat, tracker.fix.lon):
        assert -180.0 <= value <= 180.0


# --- staleness ----------------------------------------------------------------------------

def test_staleness_boundary():
    tracker = NmeaTracker(stale_after=2.0)
    assert tracker.location(0.0) is None and tracker.is_stale(0.0)
    tracker.feed(GGA, 10.0)
    assert not tracker.location(12.0).stale and not tracker.is_stale(12.0)
    assert tracker.location(12.001).stale and tracker.is_stale(12.001)
    assert tracker.location(12.5).age == 2.5
    with pytest.raises(ValueError):
        NmeaTracker(stale_after=0)


# --- I/O tags -------------------------------------------------------------------------------

def test_gps_feeds_location_io_tags():
    space = TagSpace("node-1")
    tracker = NmeaTracker(stale_after=3.0)
    feed = GpsFeed(tracker, space)
    assert not space.exists("location", 0.0)
    with pytest.raises(IOTagUnavailable, match="no GPS fix"):
        space.read(SM, "location", 0.0)
    assert space.read(SM, "gps_fix", 0.0)["valid"] is False
    space.wait(SM, "location", "tok", deadline=10.0)
    assert feed.feed("garbage", 0.5) == ()
    woken = feed.feed(RMC, 1.0)
    assert woken == (Woken("tok", "location", "sm-1", 1.0, "io"),)
    loc = space.read(SM, "location", 1.5)
    assert loc == {"lat": pytest.approx(48.1173), "lon": pytest.approx(11.516666666),
                   "alt": None, "speed": pytest.approx(10.0 * KNOT), "heading": 84.4,
                   "time": dt.datetime(1994, 3, 23, 12, 0, 1, tzinfo=dt.timezone.utc).timestamp(),
                   "age": 0.5, "stale": False}
    assert space.read(SM, "speed", 1.5) == pytest.approx(5.144, abs=1e-3)
    assert space.read(SM, "heading", 1.5) == 84.4
    feed.feed(GGA, 2.0)
    assert space.read(SM, "gps_fix", 2.0) == {"valid": True, "quality": 1, "satellites": 8,
                                              "hdop": 0.9, "fix_type": None, "in_view": None,
                                              "age": 0.0}
    assert space.read(SM, "location", 2.0)["alt"] == 545.4
    # stale: location still readable but flagged; speed and heading are gone
    assert space.read(SM, "location", 10.0)["stale"] is True
    with pytest.raises(IOTagUnavailable):
        space.read(SM, "speed", 10.0)
    assert not space.exists("heading", 10.0)
    for name in ("location", "speed", "heading", "gps_fix"):
        with pytest.raises(ReadOnlyTag):
            space.write(SM, name, 0, 2.0)


# --- sources ------------------------------------------------------------------------------

def test_line_splitter():
    s = LineSplitter(max_line=10)
    assert s.feed(b"$A*00\r\n$B") == [b"$A*00"]
    assert s.feed(b"*11\n\n") == [b"$B*11", b""]
    assert s.feed(b"0123456789ABCDEF") == [b"0123456789"]  # cut, rest skipped
    assert s.feed(b"GHIJ\nok") == []
    assert s.flush() == b"ok" and s.flush() is None


def test_tcp_source_against_loopback_server():
    data = LOG.read_bytes()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5.0)
    port = server.getsockname()[1]
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = server.accept()
            with conn:
                rnd = random.Random(3)
                i = 0
                while i < len(data):  # odd chunk sizes split lines anywhere
                    n = rnd.choice((1, 7, 64, 1500))
                    conn.sendall(data[i:i + n])
                    i += n
        except BaseException as e:  # surfaced in the main thread
            errors.append(e)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        tracker = NmeaTracker()
        ticks = iter(range(10**6))
        n = pump(read_tcp("127.0.0.1", port, timeout=5.0), tracker.feed,
                 clock=lambda: float(next(ticks)))
    finally:
        thread.join(5.0)
        server.close()
    assert not errors and not thread.is_alive()
    assert n == EXPECTED_COUNTERS["lines"]
    assert tracker.counters == EXPECTED_COUNTERS


def test_tcp_source_times_out_on_a_silent_peer():
    server = socket.create_server(("127.0.0.1", 0))
    try:
        lines = read_tcp("127.0.0.1", server.getsockname()[1], timeout=0.05)
        with pytest.raises(TimeoutError):
            next(lines)
    finally:
        server.close()


def test_serial_source_over_pyserial_loopback():
    data = LOG.read_bytes()[:4000]

    def open_loop(port, baudrate, timeout):
        dev = serial.serial_for_url("loop://", baudrate=baudrate, timeout=timeout)
        dev.write(data)
        return dev

    lines = list(islice(read_serial("loop://", 9600, timeout=0.05, open_port=open_loop), 20))
    assert lines[0] == b"Receiver firmware 3.01 (build 1187), NMEA 4.10 output"
    assert lines[3].startswith(b"$GPRMC,143000.00,A,")
    tracker = NmeaTracker()
    for i, line in enumerate(lines):
        tracker.feed(line, float(i))
    assert tracker.counters["positions"] >= 4


def test_serial_source_stops_on_request():
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    lines = list(read_serial("loop://", timeout=0.01, stop=stop))
    assert lines == [] and len(calls) == 4
