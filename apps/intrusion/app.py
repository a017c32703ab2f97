"""Intrusion detection: a field of motion/light sensors on a grid, a few
cameras, the user's node at the edge. A spatial program leaves a watcher on
every motion sensor (``bricks/intrusion.py``); intrusions are the scenario's
``[[intrusion.event]]`` tables (``at``, ``node``, ``tag = "motion"``, ``value``:
what is seen). Each intrusion is detected when a snapshot from that sensor's
motion reaches the user's ``alerts`` display; metrics, CSV, timeline plot."""
from __future__ import annotations

import csv
import math
from pathlib import Path

from sim.mobility import StaticPlacement

from ..world import World, percentile

NAME = "intrusion"
SUMMARY = "motion sensors wake a spatial program that brings the nearest camera's snapshot home"
BRICK = Path(__file__).parent / "bricks" / "intrusion.py"
SCENARIO = Path(__file__).parent / "scenario.toml"
SWEEP_METRICS = ("detected_share", "latency_p50", "bytes_per_detection")
IMAGE = (48, 32)   # pixels of a synthetic snapshot (8-bit grey)


class Field:
    """Node ids: grid sensors ``0..G-1`` (``r*cols + c`` at ``(c, r)*spacing``),
    then the cameras, then the user's node."""

    def __init__(self, p: dict):
        s = p["spacing"]
        self.cols = int(p["field"] // s) + 1
        self.sensors = [(c * s, r * s) for r in range(self.cols) for c in range(self.cols)]
        f = p["field"]
        spots = [(f / 4, f / 4), (3 * f / 4, 3 * f / 4), (3 * f / 4, f / 4), (f / 4, 3 * f / 4),
                 (f / 2, f / 2), (f / 2, f / 4), (f / 2, 3 * f / 4), (f / 4, f / 2),
                 (3 * f / 4, f / 2)]
        self.cameras = spots[:p["cameras"]]
        self.home = len(self.sensors) + len(self.cameras)
        self.home_at = (f / 2, -0.5 * s)

    def camera_ids(self) -> list[int]:
        return list(range(len(self.sensors), self.home))

    def points(self) -> list[tuple[float, float]]:
        return [*self.sensors, *self.cameras, self.home_at]

    def is_nearest_camera(self, sensor: int, camera: int) -> bool:
        """Is ``camera`` one of the cameras nearest to ``sensor`` (ties count)?"""
        at, points = self.sensors[sensor], self.points()
        best = min(math.dist(at, points[c]) for c in self.camera_ids())
        return math.dist(at, points[camera]) <= best + 1e-6


def snapshot(camera: int, t: float, flash: bool) -> dict:
    """A deterministic synthetic picture: the same camera and instant give the same bytes."""
    w, h = IMAGE
    frame = int(t * 10)
    base = (camera * 37 + frame * 11) % 256
    light = 90 if flash else 0
    pixels = bytes((base + x * 3 + y * 5 + light + (x * y + frame) % 17) % 256
                   for y in range(h) for x in range(w))
    return {"camera": str(camera), "frame": frame, "t": round(t, 3), "width": w, "height": h,
            "format": "gray8", "flash": flash, "pixels": pixels}


def intrusions(p: dict) -> list[dict]:
    return sorted(({"at": float(e["at"]), "node": int(e["node"]), "what": e.get("value")}
                   for e in p["event"]), key=lambda e: (e["at"], e["node"]))


def build(p: dict, seed: int) -> tuple[World, Field]:
    field = Field(p)
    world = World(seed, StaticPlacement(field.points()), range(field.home + 1),
                  radio_range=p["radio_range"], beacon_interval=p["beacon"],
                  neighbor_timeout=2.5 * p["beacon"],
                  tags={**{n: {"Motion": True} for n in range(len(field.sensors))},
                        **{c: {"Camera": True} for c in field.camera_ids()}})
    events = intrusions(p)
    for node in range(len(field.sensors)):
        mine = [e for e in events if e["node"] == node]

        def motion(t: float, mine=mine) -> dict:
            seen = [e for e in mine if e["at"] <= t]
            return {"count": len(seen), "what": seen[-1]["what"] if seen else None}
        world.sensor(node, "motion", motion, changes=[e["at"] for e in mine])
        world.sensor(node, "light", lambda t: p["day_lux"] if t < p["dusk"] else p["night_lux"])
    for cam in field.camera_ids():
        flash = world.actuator(cam, "flash", False)
        world.sensor(cam, "snapshot", lambda t, c=cam, f=flash: snapshot(c, t, f.value is True))
    world.actuator(field.home, "alerts")
    r = p["camera_radius"]
    world.inject(field.home, BRICK, [str(field.home), list(field.home_at),
                                     ["rect", 0.0, 0.0, p["field"], p["field"]],
                                     [r, 2 * r, 4 * r], p["timeout"],
                                     p["duration"] - p["start"] - 1.0], at=p["start"])
    return world, field


def match(events: list[dict], alerts: list[tuple[float, dict]]) -> list[dict]:
    """Each intrusion with the first alert that covers it: from its sensor,
    counting its motion, delivered after it happened."""
    rows, ordinal = [], {}
    for e in events:
        ordinal[e["node"]] = ordinal.get(e["node"], 0) + 1
        hit = next(((t, a) for t, a in alerts if a["sensor"] == str(e["node"])
                    and a["count"] >= ordinal[e["node"]] and t >= e["at"]), None)
        row = {**e, "detected_at": None, "latency": None, "camera": None, "snapshot_bytes": None,
               "flash": None}
        if hit is not None:
            t, a = hit
            row.update(detected_at=round(t, 6), latency=round(t - e["at"], 6),
                       camera=a["camera"],
                       snapshot_bytes=len(a["snapshot"]["pixels"]) if a["snapshot"] else 0,
                       flash=a["snapshot"]["flash"] if a["snapshot"] else None)
        rows.append(row)
    return rows


def run(p: dict, seed: int, out: Path) -> dict:
    world, field = build(p, seed)
    world.run(p["duration"])
    alerts = list(world.actuators[(str(field.home), "alerts")].writes)
    events = intrusions(p)
    rows = match(events, alerts)
    for row in rows:
        row["nearest"] = row["camera"] is not None and field.is_nearest_camera(
            row["node"], int(row["camera"]))
        row["in_time"] = row["latency"] is not None and row["latency"] <= p["deadline"]
    latencies = [r["latency"] for r in rows if r["latency"] is not None]
    traffic = world.traffic()
    sent = sum(v for k, v in traffic.items()
               if k.startswith("bytes_out.") and k.lower() != "bytes_out.beacon")
    detected = sum(r["in_time"] for r in rows)
    main = [sm for sm in world.sms() if sm.origin == str(field.home)]
    metrics = {
        "intrusions": len(rows), "detected": detected,
        "detected_share": round(detected / len(rows), 4) if rows else 1.0,
        "detected_late": sum(r["latency"] is not None and not r["in_time"] for r in rows),
        "missed": sum(r["latency"] is None for r in rows),
        "latency_p50": percentile(latencies, 50), "latency_p95": percentile(latencies, 95),
        "latency_max": max(latencies, default=None),
        "nearest_camera": sum(r["nearest"] for r in rows if r["camera"]),
        "with_snapshot": sum(bool(r["snapshot_bytes"]) for r in rows),
        "alerts": len(alerts), "bytes": sent,
        "bytes_per_detection": round(sent / detected) if detected else None,
        "watchers": main[0].result if main else None,
        "params": {k: v for k, v in p.items() if k != "event"},
    }
    _write(out / "intrusions.csv", rows)
    _plot(p, field, rows, out / "intrusion.png")
    return metrics


def _write(path: Path, rows: list[dict]) -> None:
    cols = ["at", "node", "what", "detected_at", "latency", "in_time", "camera", "nearest",
            "snapshot_bytes", "flash"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for row in rows:
            w.writerow([row.get(c) for c in cols])


def _plot(p: dict, field: Field, rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1, 1.6]})
    a.scatter(*zip(*field.sensors), s=10, c="grey", label="motion/light sensors")
    a.scatter(*zip(*field.cameras), marker="^", s=70, c="C0", label="cameras")
    a.scatter(*field.home_at, marker="s", s=50, c="C2", label="user")
    points = field.points()
    for row in rows:
        at = field.sensors[row["node"]]
        a.scatter(*at, marker="*", s=120, c="red", zorder=3)
        if row["camera"] is not None:
            a.plot(*zip(at, points[int(row["camera"])]), "r-", lw=0.8)
    a.scatter([], [], marker="*", c="red", label="intrusion → camera used")
    a.set_aspect("equal")
    a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2)
    a.set_title("the monitored field")
    sensors = sorted({r["node"] for r in rows})
    for row in rows:
        y = sensors.index(row["node"])
        b.scatter(row["at"], y, marker="*", s=90, c="red", zorder=3)
        b.plot([row["at"], row["at"] + p["deadline"]], [y, y], color="orange", lw=5, alpha=0.3)
        if row["detected_at"] is not None:
            b.scatter(row["detected_at"], y, marker="o", s=40,
                      c="green" if row["in_time"] else "purple", zorder=4)
            b.annotate(f"{1000 * row['latency']:.0f} ms", (row["at"], y), fontsize=6,
                       xytext=(0, 7), textcoords="offset points", ha="center")
        else:
            b.annotate("missed", (row["at"], y), fontsize=6, color="red", xytext=(0, 7),
                       textcoords="offset points", ha="center")
    b.axvline(p["dusk"], color="k", ls=":", lw=1)
    b.text(p["dusk"], -0.6, " dusk: flash on", fontsize=7)
    b.scatter([], [], marker="*", c="red", label="intrusion")
    b.scatter([], [], marker="o", c="green", label="snapshot at the user in time")
    b.plot([], [], color="orange", lw=5, alpha=0.3, label=f"deadline ({p['deadline']:g} s)")
    b.set_yticks(range(len(sensors)), [f"sensor {s}" for s in sensors], fontsize=7)
    b.set_xlabel("virtual time (s)")
    b.set_xlim(0, p["duration"])
    b.set_ylim(-0.8, len(sensors) + 0.6)
    b.legend(fontsize=7, loc="upper right", ncol=3)
    b.set_title("intrusions and detections")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summary(m: dict) -> str:
    return (f"intrusion detection: {m['detected']}/{m['intrusions']} intrusions detected in time "
            f"({m['detected_late']} late, {m['missed']} missed); latency p50 {m['latency_p50']} s "
            f"p95 {m['latency_p95']} s; the nearest camera in {m['nearest_camera']}; "
            f"{m['bytes']:,} bytes sent ({m['watchers']} watchers)")


def check(p: dict) -> str | None:
    """A problem with the parameters, or None."""
    for key in ("field", "spacing", "radio_range", "beacon", "duration", "timeout", "deadline",
                "camera_radius"):
        if not p[key] > 0:
            return f"--param {key}: must be positive"
    if not 1 <= p["cameras"] <= 9:
        return "--param cameras: must be 1 to 9"
    events = p.get("event")
    if not isinstance(events, list):
        return "intrusion.event: must be [[intrusion.event]] tables"
    sensors = (int(p["field"] // p["spacing"]) + 1) ** 2
    for k, e in enumerate(events):
        if not isinstance(e, dict) or set(e) - {"at", "node", "tag", "value"} \
                or not {"at", "node"} <= set(e):
            return f"intrusion.event[{k}]: needs at and node (and tag = \"motion\", value)"
        if e.get("tag", "motion") != "motion":
            return f"intrusion.event[{k}]: tag must be \"motion\""
        if type(e["node"]) is not int or not 0 <= e["node"] < sensors:
            return f"intrusion.event[{k}]: node must be a sensor, 0..{sensors - 1}"
        if not isinstance(e["at"], (int, float)) or not p["start"] < e["at"] < p["duration"]:
            return f"intrusion.event[{k}]: at must be within the run ({p['start']:g}, " \
                   f"{p['duration']:g})"
    return None
