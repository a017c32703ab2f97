"""Hottest spot: sprinklers with temperature sensors wander two hills; every
``period`` seconds a level trigger re-runs a spatial program that waters the
hottest sprinkler on the Left Hill and closes the valve it opened before
(``bricks/hottest.py``). Each round is checked against the truth: the
sensors' readings at the moment the valve was opened."""
from __future__ import annotations

import csv
import random
from pathlib import Path

from ..world import World, percentile
from .field import Layout, Weather, layout

NAME = "hottest"
SUMMARY = "water the hottest sprinkler on the Left Hill every minute (spatial program + level trigger)"
BRICK = Path(__file__).parent / "bricks" / "hottest.py"
SCENARIO = Path(__file__).parent / "scenario.toml"
ROUNDS_TAG = "hottest_rounds"
SAMPLE_S = 5.0
SWEEP_METRICS = ("correct_share", "bytes_per_round", "round_time_p50")


def build(p: dict, seed: int) -> tuple[World, Layout, Weather]:
    """The world of one run, with the program injected at the home node."""
    rng = random.Random(seed)
    where = layout(p, rng)
    mobility = where.mobility()
    world = World(seed, mobility, where.nodes, radio_range=p["radio_range"],
                  beacon_interval=p["beacon"], neighbor_timeout=2.5 * p["beacon"],
                  tags={where.home: {"irrigation": True},
                        **{n: {"Sprinkler": True} for n in where.sprinklers}})

    def writes(node: int) -> list:
        device = world.actuators.get((str(node), "water"))
        return device.writes if device else []
    weather = Weather(p, where, rng, writes)
    for node in where.sprinklers:
        world.actuator(node, "water", False)
        world.sensor(node, "temp", lambda t, n=node: weather.reading(n, world.position(n, t), t))
    world.actuator(where.home, ROUNDS_TAG)
    expires = p["duration"] - p["start"] - 2 * p["timeout"]
    world.inject(where.home, BRICK, [str(where.home), list(where.home_at), where.left.space(),
                                     p["period"], expires, p["timeout"]], at=p["start"])
    return world, where, weather


def judge(report: dict, where: Layout, weather: Weather, world: World) -> dict:
    """A round's row: what it chose, and the Left Hill's truly hottest then."""
    row = {"seq": report["seq"], "started": report.get("started"),
           "chosen_at": report.get("chosen_at"), "chosen": None, "chosen_temp": None,
           "hottest": None, "hottest_temp": None, "correct": False,
           "timeouts": report.get("timeouts", 0), "read": len(report.get("readings", [])),
           "lost": bool(report.get("lost"))}
    if report.get("chosen") is None:
        return row
    t = report["chosen_at"]
    truth = {n: weather.reading(n, world.mobility.position(n, t), t)
             for n in where.left_sprinklers}
    hottest = max(truth, key=lambda n: (truth[n], -n))
    chosen = int(report["chosen"][0])
    row.update(chosen=chosen, chosen_temp=truth.get(chosen), hottest=hottest,
               hottest_temp=truth[hottest], correct=truth.get(chosen) == truth[hottest])
    return row


def open_valves(world: World, where: Layout, t: float) -> int:
    """Valves open at ``t`` (after that instant's writes)."""
    count = 0
    for node in where.sprinklers:
        state = False
        for when, value in world.actuators[(str(node), "water")].writes:
            if when > t:
                break
            state = value is True
        count += state
    return count


def run(p: dict, seed: int, out: Path) -> dict:
    world, where, weather = build(p, seed)
    world.run(p["duration"])
    published = world.actuators[(str(where.home), ROUNDS_TAG)].writes
    rows = [judge(record["value"], where, weather, world) for _, record in published]
    for (at, _), row in zip(published, rows):
        row["valves_open"] = open_valves(world, where, at)
        row["round_s"] = None if row["started"] is None else round(at - row["started"], 4)
    traffic = world.traffic()
    sent = sum(v for k, v in traffic.items()
               if k.startswith("bytes_out.") and k.lower() != "bytes_out.beacon")
    times = [r["round_s"] for r in rows if r["round_s"] is not None]
    main = [sm for sm in world.sms() if sm.origin == str(where.home) and sm.sm_id.endswith("/1")]
    metrics = {
        "rounds": len(rows),
        "correct_rounds": sum(r["correct"] for r in rows),
        "correct_share": round(sum(r["correct"] for r in rows) / len(rows), 4) if rows else 0.0,
        "lost_rounds": sum(r["lost"] for r in rows),
        "access_timeouts": sum(r["timeouts"] for r in rows),
        "bytes_per_round": round(sent / len(rows)) if rows else None,
        "round_time_p50": percentile(times, 50), "round_time_p95": percentile(times, 95),
        "max_open_valves": max((r["valves_open"] for r in rows), default=0),
        "sprinklers_read_min": min((r["read"] for r in rows), default=0),
        "program_error": main[0].error["type"] if main and main[0].error else None,
        "params": dict(p),
    }
    _write_rows(out / "rounds.csv", rows)
    samples = _samples(p, where, weather, world)
    _write_samples(out / "temperatures.csv", samples)
    _plot(p, where, weather, world, rows, samples, out / "hottest.png")
    return metrics


def _samples(p, where: Layout, weather: Weather, world: World) -> list[tuple]:
    rows, t = [], 0.0
    while t <= p["duration"]:
        for node in where.sprinklers:
            x, y = world.mobility.position(node, t)
            side = "left" if node in where.left_sprinklers else "right"
            rows.append((round(t, 3), node, side, round(x, 1), round(y, 1),
                         weather.reading(node, (x, y), t)))
        t += SAMPLE_S
    return rows


def _write_rows(path: Path, rows: list[dict]) -> None:
    cols = ["seq", "started", "chosen_at", "chosen", "chosen_temp", "hottest", "hottest_temp",
            "correct", "timeouts", "read", "lost", "valves_open", "round_s"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for row in rows:
            w.writerow([row.get(c) for c in cols])


def _write_samples(path: Path, samples: list[tuple]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "node", "hill", "x", "y", "temp"])
        w.writerows(samples)


def _plot(p, where: Layout, weather: Weather, world: World, rows: list[dict],
          samples: list[tuple], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.1, 1]})
    done = [r for r in rows if r["chosen"] is not None]
    t = done[-1]["chosen_at"] if done else p["duration"]
    width, height = where.right.x + where.right.r + 50.0, 2 * where.left.y
    xs, ys = np.linspace(0, width, 160), np.linspace(0, height, 80)
    grid = np.array([[weather.air((x, y), t) for x in xs] for y in ys])
    shown = a.imshow(grid, origin="lower", extent=(0, width, 0, height), cmap="inferno",
                     alpha=0.85)
    fig.colorbar(shown, ax=a, label="air temperature (°C)", shrink=0.8)
    for hill, name in ((where.left, "Left Hill"), (where.right, "Right Hill")):
        a.add_patch(plt.Circle((hill.x, hill.y), hill.r, fill=False, color="white", ls="--"))
        a.text(hill.x, hill.y + hill.r + 8, name, color="white", ha="center", fontsize=8)
    a.scatter(*zip(*where.relays), s=6, c="lightgrey", label="relays")
    a.scatter(*where.home_at, marker="s", c="cyan", s=40, label="user")
    for node in where.sprinklers:
        x, y = world.mobility.position(node, t)
        a.scatter(x, y, c="deepskyblue", s=30, edgecolors="black", zorder=3)
        a.annotate(f"{weather.reading(node, (x, y), t):.1f}", (x, y), fontsize=6, color="white",
                   xytext=(3, 3), textcoords="offset points")
    if done:
        x, y = world.mobility.position(done[-1]["chosen"], t)
        a.scatter(x, y, s=160, facecolors="none", edgecolors="lime", linewidths=2,
                  label="watered", zorder=4)
    a.set_title(f"t = {t:.0f} s: sensors' readings, the watered sprinkler")
    a.legend(fontsize=7, loc="lower left")
    for node in where.left_sprinklers:
        series = [(s[0], s[5]) for s in samples if s[1] == node]
        b.plot(*zip(*series), lw=1, label=f"sprinkler {node}")
    for r in done:
        style = dict(marker="o", color="green") if r["correct"] else dict(marker="x", color="red")
        b.scatter(r["chosen_at"], r["chosen_temp"], s=60, zorder=3, **style)
    b.scatter([], [], marker="o", color="green", label="watered: the hottest")
    b.scatter([], [], marker="x", color="red", label="watered: not the hottest")
    b.set_xlabel("virtual time (s)")
    b.set_ylabel("Left Hill sensors (°C)")
    b.legend(fontsize=6, ncol=2)
    b.set_title(f"{sum(r['correct'] for r in rows)}/{len(rows)} rounds chose the hottest")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summary(m: dict) -> str:
    share = f"{100 * m['correct_share']:.0f}%"
    kb = "-" if m["bytes_per_round"] is None else f"{m['bytes_per_round'] / 1024:.1f} KiB"
    return (f"hottest spot: {m['rounds']} rounds, the Left Hill's hottest sprinkler watered in "
            f"{m['correct_rounds']} ({share}); {m['access_timeouts']} access timeouts, "
            f"{m['lost_rounds']} lost rounds; {kb} sent per round; round time p50 "
            f"{m['round_time_p50']} s p95 {m['round_time_p95']} s; at most "
            f"{m['max_open_valves']} valve(s) open after a round")


def check(p: dict) -> str | None:
    """A problem with the parameters, or None."""
    if p["sprinklers"] < 1:
        return "--param sprinklers: must be at least 1"
    for key in ("hill_radius", "relay_spacing", "radio_range", "beacon", "duration", "period",
                "timeout", "spot_period", "spot_width", "cooling_time", "speed_min"):
        if not p[key] > 0:
            return f"--param {key}: must be positive"
    if p["speed_max"] < p["speed_min"]:
        return "--param speed_max: must be at least speed_min"
    if p["hill_gap"] < 0 or p["pause"] < 0 or p["start"] < 0:
        return "--param hill_gap, pause and start must not be negative"
    if p["duration"] - p["start"] - 2 * p["timeout"] < p["period"]:
        return "--param duration: too short for a round after start"
    return None
