"""TrafficView on a SUMO highway: one run per aggregation policy on the same
trace; every few seconds each vehicle's dataset is compared with SUMO's
truth (visible distance, position and speed error by distance ahead), and
the bytes the exchange cost are counted. Metrics, CSV, plot and a text
rendering of the road ahead."""
from __future__ import annotations

import csv
import math
from pathlib import Path

from sim.traces import FcdTrace

from ..world import World
from .highway import generate

NAME = "trafficview"
SUMMARY = "traffic ahead from vehicle-to-vehicle records, with ratio- and cost-based aggregation"
BRICK = Path(__file__).parent / "bricks" / "trafficview.py"
SCENARIO = Path(__file__).parent / "scenario.toml"
POLICIES = ("none", "ratio", "cost")
BIN_M = 250.0


def _on_road(trace: FcdTrace, node: int, t: float, length: float) -> float | None:
    x, _ = trace.position(node, t)
    return x if -1.0 <= x <= length + 1.0 else None


def _truth(trace: FcdTrace, n: int, t: float, length: float) -> tuple[float, float] | None:
    x = _on_road(trace, n, t, length)
    if x is None:
        return None
    before, after = _on_road(trace, n, t - 0.5, length), _on_road(trace, n, t + 0.5, length)
    if before is None or after is None:
        return x, 0.0
    return x, after - before


def _estimate(r: dict, t: float) -> float:
    return r["x"] + r["v"] * (t - r["t"])


def evaluate(world: World, trace: FcdTrace, t: float, length: float, acc: dict) -> None:
    """Compare every vehicle's dataset with the truth at ``t``."""
    truth = {}
    for n in range(len(trace.names)):
        tv = _truth(trace, n, t, length)
        if tv is not None:
            truth[str(n)] = tv
    for node, (x, _) in truth.items():
        data = world.read_tag(node, "tv_data")
        if not data:
            continue
        records = list(data["own"].values()) + data["agg"]
        far = 0.0
        for r in records:
            est = _estimate(r, t)
            if est < x - 1.0:
                continue
            reach = est if r["id"] is not None else r["hi"] + r["v"] * (t - r["t"])
            far = max(far, reach - x)
            if r["id"] is not None:
                if r["id"] == node or r["id"] not in truth:
                    continue
                tx, tvel = truth[r["id"]]
                perr, verr = abs(tx - est), abs(tvel - r["v"])
            else:
                lo = r["lo"] + r["v"] * (t - r["t"])
                hi = r["hi"] + r["v"] * (t - r["t"])
                inside = [v for v in truth.values() if lo - 1.0 <= v[0] <= hi + 1.0]
                if not inside:
                    continue
                perr = abs(sum(v[0] for v in inside) / len(inside) - est)
                verr = abs(sum(v[1] for v in inside) / len(inside) - r["v"])
            b = int((est - x) // BIN_M)
            acc["bins"].setdefault(b, []).append((perr, verr))
            acc["pos"].append(perr)
            acc["speed"].append(verr)
        if x <= length / 3:  # two thirds of the road ahead: room to see far
            acc["visible"].append(far)


def simulate(p: dict, seed: int, fcd: Path, policy: str) -> dict:
    trace = FcdTrace.from_file(fcd)
    nodes = list(range(len(trace.names)))
    world = World(seed, trace, nodes, radio_range=p["radio_range"], beacon_interval=p["beacon"],
                  neighbor_timeout=2.5 * p["beacon"])
    for n in nodes:
        start = trace.next_change(n, -1.0)
        if start < p["duration"]:
            world.inject(n, BRICK, [p["period"], p["capacity"], policy, p["max_age"],
                                    p["reach"] * p["radio_range"], p["region"]],
                         at=start, entry="vehicle")
    acc: dict = {"bins": {}, "pos": [], "speed": [], "visible": []}
    world.every(p["sample"], lambda t: evaluate(world, trace, t, p["length"], acc),
                start=p["warmup"], until=p["duration"])
    shown: list[str] = []
    world.every(1.0, lambda t: shown.append(_render(world, trace, p)),
                start=p["duration"] - 2.0, until=p["duration"] - 2.0)
    world.run(p["duration"])
    traffic = world.traffic()
    sent = sum(v for k, v in traffic.items()
               if k.startswith("bytes_out.") and k != "bytes_out.beacon")
    on_road = sum(_time_on_road(trace, n, p["duration"], p["length"]) for n in nodes)
    rendering = shown[0] if shown else ""
    return {
        "visible_distance_m": _mean(acc["visible"]), "error_m": _mean(acc["pos"]),
        "speed_error_mps": _mean(acc["speed"]), "bytes_per_s": round(sent / on_road, 1),
        "error_by_distance": {str(int(b * BIN_M)): _mean([e[0] for e in v])
                              for b, v in sorted(acc["bins"].items())},
        "samples": len(acc["visible"]), "road_ahead": rendering,
    }


def _time_on_road(trace: FcdTrace, n: int, duration: float, length: float) -> float:
    steps = [t / 2 for t in range(int(duration * 2))]
    return 0.5 * sum(1 for t in steps if _on_road(trace, n, t, length) is not None)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _render(world: World, trace: FcdTrace, p: dict, width: int = 72) -> str:
    """The road ahead of a vehicle near the back, as it knows it
    ('>' a vehicle, a digit an aggregate of that many, '+' ten or more) and
    as it is ('>' a vehicle)."""
    t = world.now
    on = [(x, n) for n in range(len(trace.names))
          if (x := _on_road(trace, n, t, p["length"])) is not None]
    # the rearmost vehicle that has been on the road a while
    rear = [(x, n) for x, n in on if x >= p["length"] / 10] or on
    if not on:
        return ""
    x0, me = min(rear)
    scale = (p["length"] - x0) / width or 1.0
    known, real = [" "] * width, [" "] * width
    for x, _ in on:
        col = int((x - x0) / scale)
        if 0 <= col < width:
            real[col] = ">"
    data = world.read_tag(me, "tv_data") or {"own": {}, "agg": []}
    for r in list(data["own"].values()) + data["agg"]:
        col = int((_estimate(r, t) - x0) / scale)
        if 0 <= col < width:
            known[col] = ">" if r["n"] == 1 else (str(r["n"]) if r["n"] < 10 else "+")
    return (f"vehicle {me} at x={x0:.0f} m, t={t:.0f} s; one column = {scale:.0f} m\n"
            f"known |{''.join(known)}|\ntruth |{''.join(real)}|")


def run(p: dict, seed: int, out: Path) -> dict:
    fcd = generate(out / "sumo" / f"highway-seed{seed}", length=p["length"], lanes=p["lanes"],
                   spacing=p["spacing"], duration=p["duration"], speed=p["speed"], seed=seed)
    results = {policy: simulate(p, seed, fcd, policy) for policy in POLICIES}
    metrics = {key: {policy: results[policy][key] for policy in POLICIES}
               for key in ("visible_distance_m", "error_m", "speed_error_mps", "bytes_per_s",
                           "error_by_distance", "road_ahead")}
    metrics["params"] = dict(p)
    with (out / "error_by_distance.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["policy", "distance_m", "position_error_m"])
        for policy in POLICIES:
            for d, err in results[policy]["error_by_distance"].items():
                w.writerow([policy, d, err])
    with (out / "policies.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["policy", "visible_distance_m", "error_m", "speed_error_mps", "bytes_per_s"])
        for policy in POLICIES:
            r = results[policy]
            w.writerow([policy, r["visible_distance_m"], r["error_m"], r["speed_error_mps"],
                        r["bytes_per_s"]])
    (out / "road_ahead.txt").write_text(
        "\n\n".join(f"[{policy}]\n{results[policy]['road_ahead']}" for policy in POLICIES) + "\n",
        encoding="utf-8")
    _plot(results, out / "trafficview.png")
    return metrics


def _plot(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for policy in POLICIES:
        pts = sorted((int(d), e) for d, e in results[policy]["error_by_distance"].items()
                     if e is not None)
        a.plot([d + BIN_M / 2 for d, _ in pts], [e for _, e in pts], "-o", label=policy)
    a.set_xlabel("distance ahead (m)")
    a.set_ylabel("position error (m)")
    a.legend()
    a.set_title("error vs distance")
    xs = range(len(POLICIES))
    b.bar(xs, [results[p]["visible_distance_m"] or 0 for p in POLICIES], color=["C0", "C1", "C2"])
    b.set_xticks(list(xs), [f"{p}\n{results[p]['bytes_per_s']:.0f} B/s" for p in POLICIES])
    b.set_ylabel("visible distance (m)")
    b.set_title("visible distance (bytes/s per vehicle)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary(m: dict) -> str:
    lines = ["policy  visible (m)  position error (m)  speed error (m/s)  bytes/s per vehicle"]
    for policy in POLICIES:
        lines.append(f"{policy:7} {m['visible_distance_m'][policy]!s:>11}  "
                     f"{m['error_m'][policy]!s:>18}  {m['speed_error_mps'][policy]!s:>17}  "
                     f"{m['bytes_per_s'][policy]!s:>19}")
    lines.append("the road ahead with cost-based aggregation:\n" + m["road_ahead"]["cost"])
    return "\n".join(lines)


def check(p: dict) -> str | None:
    for key in ("length", "spacing", "duration", "speed", "radio_range", "beacon", "period",
                "max_age", "region", "sample"):
        if not p[key] > 0:
            return f"--param {key}: must be positive"
    if p["capacity"] < 1 or p["lanes"] < 1:
        return "--param capacity and lanes: must be at least 1"
    if not 0 < p["reach"] <= 1:
        return "--param reach: must be in (0, 1]"
    if not 0 <= p["warmup"] < p["duration"]:
        return "--param warmup: must be in [0, duration)"
    if p["length"] / p["spacing"] > 400:
        return "--param spacing: too many vehicles on the road (length / spacing > 400)"
    return None
