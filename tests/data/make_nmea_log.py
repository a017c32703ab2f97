"""Writes gps_drive.nmea: three minutes of a car driving, as a GPS receiver logs it.

Run once (``python tests/data/make_nmea_log.py``); the output is committed.
1 Hz epochs of RMC, GGA, GSA and GSV (3 messages) from 14:30:00 UTC on
3 June 2025, starting at 40.5215 N 74.4627 W. Besides the clean sentences the
log holds what real links deliver now and then:

* a boot banner (not NMEA) and a burst of binary noise before the first fix;
* a proprietary sentence (valid, but not one the tracker uses);
* an RMC whose data was corrupted in transit (checksum no longer matches);
* a GGA cut short (no checksum);
* a GSA head glued to the following GSV (dropped bytes);
* a line of printable garbage and an empty line;
* a GGA with a valid checksum but a nonsense latitude;
* 12 seconds without a fix (an underpass): GGA quality 0, RMC status V, GSA 1.

The checksums are computed here, independently of the code under test.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

START = (14, 30, 0)
DATE = "030625"
LAT0, LON0 = 40.5215, -74.4627
SECONDS = 180
NO_FIX = range(110, 122)
R_EARTH = 6_371_000.0
KNOT = 1852.0 / 3600.0


def cs(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"${body}*{x:02X}"


def hhmmss(t: int) -> str:
    s = START[0] * 3600 + START[1] * 60 + START[2] + t
    return f"{s // 3600:02d}{s // 60 % 60:02d}{s % 60:02d}.00"


def dm(value: float, width: int) -> str:
    value = abs(value)
    deg = int(value)
    minutes = (value - deg) * 60
    return f"{deg:0{width}d}{minutes:08.5f}"


def motion(t: int) -> tuple[float, float]:
    """(speed m/s, heading deg) during second t."""
    if t < 10:
        return 0.0, 45.0
    if t < 30:
        return 13.4 * (t - 10) / 20, 45.0
    if t < 60:
        return 13.4, 45.0 + 5.0 * (t - 30) / 30
    if t < 72:
        return 7.0, 50.0 + 85.0 * (t - 60) / 12
    if t < 110:
        return 12.0, 135.0
    if t < 122:
        return 11.0, 135.0 + 65.0 * (t - 110) / 12
    if t < 160:
        return 11.0, 200.0
    return max(0.0, 11.0 * (175 - t) / 15), 200.0


SATS = [  # prn, elevation, azimuth at t=0
    (2, 71, 15), (5, 44, 83), (7, 66, 311), (9, 12, 40), (13, 28, 210), (15, 35, 172),
    (18, 52, 124), (20, 8, 262), (24, 19, 297), (29, 60, 228), (30, 23, 99),
]


def main() -> None:
    rnd = random.Random(20250603)
    lat, lon = LAT0, LON0
    lines: list[str] = [
        "Receiver firmware 3.01 (build 1187), NMEA 4.10 output",
        "\xb5b\x05\x01\x02\x00\x06\x01\x0f8",
        cs("PSRF150,1"),
    ]
    for t in range(SECONDS):
        speed, heading = motion(t)
        if t > 0:  # move during the past second
            d = speed
            lat += math.degrees(d * math.cos(math.radians(heading)) / R_EARTH)
            lon += math.degrees(d * math.sin(math.radians(heading))
                                / (R_EARTH * math.cos(math.radians(lat))))
        sats = [(p, max(1, min(89, e + t // 60)), (a + t // 20) % 360, rnd.randint(30, 48))
                for p, e, a in SATS]
        tm = hhmmss(t)
        if t in NO_FIX:
            in_view = [(p, e, a, rnd.randint(8, 18)) for p, e, a, _ in sats if e > 60]
            lines.append(cs(f"GPRMC,{tm},V,,,,,,,{DATE},,,N"))
            lines.append(cs(f"GPGGA,{tm},,,,,0,00,99.99,,,,,,"))
            lines.append(cs("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99"))
            body = ",".join(f"{p:02d},{e:02d},{a:03d},{s:02d}" for p, e, a, s in in_view)
            lines.append(cs(f"GPGSV,1,1,{len(in_view):02d},{body}"))
            continue
        after = t - NO_FIX.stop  # seconds since the fix came back
        n_used = 5 + min(3, after) if 0 <= after < 4 else 8 + (t // 45) % 2
        used = sorted(sats, key=lambda s: -s[1])[:n_used]
        hdop = round(2.1 - 0.3 * after, 2) if 0 <= after < 4 else round(rnd.uniform(0.8, 1.3), 2)
        pdop, vdop = round(hdop * 1.7, 2), round(hdop * 1.4, 2)
        alt = 27.0 + 2.0 * math.sin(t / 30) + rnd.uniform(-0.3, 0.3)
        la, lo = dm(lat, 2), dm(lon, 3)
        course = f"{heading:.2f}" if speed > 0.1 else ""
        rmc = cs(f"GPRMC,{tm},A,{la},N,{lo},W,{speed / KNOT:.3f},{course},{DATE},,,A")
        gga = cs(f"GPGGA,{tm},{la},N,{lo},W,1,{n_used:02d},{hdop:.2f},{alt:.1f},M,-34.2,M,,")
        prns = [f"{p:02d}" for p, *_ in used] + [""] * (12 - n_used)
        gsa = cs(f"GPGSA,A,3,{','.join(prns)},{pdop:.2f},{hdop:.2f},{vdop:.2f}")
        gsv = []
        for k in range(3):
            group = sats[4 * k:4 * k + 4]
            body = ",".join(f"{p:02d},{e:02d},{a:03d},{s:02d}" for p, e, a, s in group)
            gsv.append(cs(f"GPGSV,3,{k + 1},{len(sats):02d},{body}"))
        if t == 30:  # one digit of the speed flipped in transit
            rmc = rmc.replace(f",{speed / KNOT:.3f},", f",{speed / KNOT + 1:.3f},")
        if t == 45:
            gga = gga[:38]
        if t == 60:
            gsv[0] = gsa[:17] + gsv[0]
            gsa = None
        if t == 150:  # checksummed, but the latitude is not a number
            gga = cs(f"GPGGA,{tm},40a1.2345,N,{lo},W,1,{n_used:02d},{hdop:.2f},{alt:.1f},"
                     "M,-34.2,M,,")
        lines += [rmc, gga] + ([gsa] if gsa else []) + gsv
        if t == 90:
            lines.append("$GP#~&%,@@ noise ,,*XX")
        if t == 100:
            lines.append("")
    out = Path(__file__).with_name("gps_drive.nmea")
    out.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    print(f"wrote {out} ({len(lines)} lines); last fix {lat:.6f} {lon:.6f}")


if __name__ == "__main__":
    main()
