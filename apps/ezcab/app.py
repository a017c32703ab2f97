"""EZCab on a SUMO street grid: a fleet of cabs cruising (SUMO's taxi device),
some of them free; clients at street corners book cabs with the EZCab bricks
(``bricks/ezcab.py``), and, in a second run on the same trace with the same
requests, with the naive ``find_taxi`` search. Metrics, CSV and plots."""
from __future__ import annotations

import csv
import random
from pathlib import Path

from sim.sumo import generate_fcd
from sim.traces import FcdTrace

from ..world import World, WithStatic, percentile

NAME = "ezcab"
SUMMARY = "book cabs over car-to-car links (EZCab), compared with the naive find_taxi search"
BRICK = Path(__file__).parent / "bricks" / "ezcab.py"
SCENARIO = Path(__file__).parent / "scenario.toml"


def sumo_trace(folder: Path, p: dict, seed: int) -> tuple[Path, frozenset[str]]:
    """The cabs' trace (SUMO, run once per folder and parameters)."""
    key = f"cabs{p['cabs']}-grid{p['grid']}-block{p['block']:g}-dur{p['duration']:g}-seed{seed}"
    where = folder / key
    fcd, taxis = where / "drive.fcd.xml", where / "taxis.txt"
    if not (fcd.is_file() and taxis.is_file()):
        done = generate_fcd(where, grid=p["grid"], block=p["block"], duration=p["duration"],
                            period=1000.0, seed=seed, taxis=p["cabs"],
                            customer_period=10 * p["duration"])
        taxis.write_text("\n".join(sorted(done.taxis)) + "\n", encoding="utf-8")
    return fcd, frozenset(taxis.read_text(encoding="utf-8").split())


def plan(p: dict, seed: int, trace: FcdTrace, taxis: frozenset[str]):
    """Clients (pairs at the same corner), free cabs and the requests."""
    rng = random.Random(seed)
    corners = [(i * p["block"], j * p["block"]) for i in range(p["grid"])
               for j in range(p["grid"])]
    clients = []
    for _ in range(0, p["clients"], 2):
        x, y = rng.choice(corners)
        clients += [(x + 3.0, y + 3.0), (x - 3.0, y - 3.0)]
    clients = clients[:p["clients"]]
    cabs = [i for i, name in enumerate(trace.names) if name in taxis]
    free = sorted(rng.sample(cabs, round(p["free_ratio"] * len(cabs))))
    first = len(trace.names)
    requests = []
    for k in range(p["requests"]):
        # two clients of a corner ask at the same instant: they compete for one cab
        at = p["start"] + (k // 2) * p["gap"]
        requests.append({"rid": f"r{k}", "client": first + k % len(clients), "at": at})
    return clients, free, requests


def simulate(p: dict, seed: int, fcd: Path, taxis: frozenset[str], naive: bool) -> dict:
    trace = FcdTrace.from_file(fcd)
    clients, free, requests = plan(p, seed, trace, taxis)
    mobility = WithStatic(trace, clients)
    world = World(seed, mobility, mobility.nodes, radio_range=p["radio_range"],
                  beacon_interval=p["beacon"], neighbor_timeout=2.5 * p["beacon"])
    for cab in free:
        world.set_tag(cab, "Taxi", True, at=0.0, access={"others": "rw"})
    for r in requests:
        where = list(mobility.position(r["client"], 0.0))
        world.inject(r["client"], BRICK, [r["rid"], str(r["client"]), where, p["hop_limit"],
                                          p["deadline"], naive, p["reach"] * p["radio_range"]],
                     at=r["at"], entry="book")
    world.run(p["duration"])
    rows = []
    results = {sm.result["rid"]: sm.result for sm in world.sms()
               if isinstance(sm.result, dict) and "rid" in sm.result}
    for r in requests:
        res = results.get(r["rid"], {})
        rows.append({"rid": r["rid"], "client": r["client"], "at": r["at"],
                     "booked": bool(res.get("booked")), "cab": res.get("cab"),
                     "latency": res.get("latency"), "tries": res.get("tries")})
    booked_by = {str(c): world.read_tag(c, "BookedBy") for c in free}
    confirmed: dict[str, list[str]] = {}
    for row in rows:
        if row["booked"]:
            confirmed.setdefault(row["cab"], []).append(row["rid"])
    double = sum(1 for cab, rids in confirmed.items()
                 if len(rids) > 1 or booked_by.get(cab) != rids[0])
    orphaned = sum(1 for cab, rid in booked_by.items() if rid is not None and cab not in confirmed)
    traffic = world.traffic()
    sent = sum(v for k, v in traffic.items()
               if k.startswith("bytes_out.") and k != "bytes_out.beacon")
    latencies = [row["latency"] for row in rows if row["booked"]]
    booked = len(latencies)
    return {
        "requests": len(rows), "booked": booked,
        "success_rate": round(booked / len(rows), 4) if rows else 0.0,
        "double_booked": double, "orphaned": orphaned,
        "latency_p50": _r(percentile(latencies, 50)), "latency_p95": _r(percentile(latencies, 95)),
        "bytes_per_booking": round(sent / booked) if booked else None,
        "cabs": len([i for i, n in enumerate(trace.names) if n in taxis]), "free_cabs": len(free),
        "rows": rows,
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def run(p: dict, seed: int, out: Path) -> dict:
    """One run of each: EZCab and naive, same trace, same requests."""
    fcd, taxis = sumo_trace(out / "sumo", p, seed)
    ez = simulate(p, seed, fcd, taxis, naive=False)
    nv = simulate(p, seed, fcd, taxis, naive=True)
    with (out / "requests.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "rid", "client", "at", "booked", "cab", "latency_s", "tries"])
        for mode, res in (("ezcab", ez), ("naive", nv)):
            for row in res["rows"]:
                w.writerow([mode, row["rid"], row["client"], row["at"], row["booked"],
                            row["cab"], row["latency"], row["tries"]])
    metrics = {k: v for k, v in ez.items() if k != "rows"}
    metrics["naive"] = {k: v for k, v in nv.items() if k != "rows"}
    metrics["params"] = dict(p)
    _plot(ez["rows"], nv["rows"], metrics, out / "ezcab.png")
    return metrics


def _plot(ez: list[dict], nv: list[dict], metrics: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(12, 4))
    for rows, label in ((ez, "EZCab"), (nv, "naive find_taxi")):
        xs = sorted(r["latency"] for r in rows if r["booked"])
        a.step(xs, [(i + 1) / len(rows) for i in range(len(xs))], where="post", label=label)
    a.set_xlabel("booking latency (s)")
    a.set_ylabel("fraction of requests booked")
    a.legend()
    modes = [("EZCab", metrics), ("naive", metrics["naive"])]
    b.bar([m for m, _ in modes], [v["success_rate"] for _, v in modes], color=["C0", "C1"])
    b.set_ylim(0, 1.05)
    b.set_ylabel("success rate")
    c.bar([m for m, _ in modes], [(v["bytes_per_booking"] or 0) / 1024 for _, v in modes],
          color=["C0", "C1"])
    c.set_ylabel("KiB sent per booking (beacons excluded)")
    fig.suptitle(f"EZCab: {metrics['requests']} requests, {metrics['cabs']} cabs "
                 f"({metrics['free_cabs']} free), hop limit {metrics['params']['hop_limit']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary(m: dict) -> str:
    nv = m["naive"]
    return "\n".join([
        f"EZCab: {m['booked']}/{m['requests']} booked (success {m['success_rate']:.2f}), "
        f"double bookings {m['double_booked']}, latency p50 {m['latency_p50']} s "
        f"p95 {m['latency_p95']} s, {m['bytes_per_booking']} B per booking",
        f"naive: {nv['booked']}/{nv['requests']} booked (success {nv['success_rate']:.2f}), "
        f"double bookings {nv['double_booked']}, latency p50 {nv['latency_p50']} s "
        f"p95 {nv['latency_p95']} s, {nv['bytes_per_booking']} B per booking",
    ])


# ---- sweep: cab density x hop limit, EZCab and naive on the same traces ---------------------
def _point(job: tuple) -> dict:
    p, seed, fcd, taxis, naive = job
    res = simulate(p, seed, Path(fcd), frozenset(taxis), naive)
    return {k: v for k, v in res.items() if k != "rows"}


def sweep(base: dict, swept: dict[str, list], seeds: int, out: Path, jobs: int) -> dict:
    """Every combination of the swept values with seeds 1..``seeds``; the
    naive search runs once per point and seed whatever the hop limit."""
    import itertools
    from concurrent.futures import ProcessPoolExecutor
    keys = sorted(swept)
    points = [dict(base, **dict(zip(keys, combo)))
              for combo in itertools.product(*(swept[k] for k in keys))]
    jobs_list, labels, naive_seen = [], [], set()
    for p in points:
        for seed in range(1, seeds + 1):
            fcd, taxis = sumo_trace(out / "sumo", p, seed)
            point = {k: p[k] for k in keys}
            jobs_list.append((p, seed, str(fcd), sorted(taxis), False))
            labels.append({**point, "seed": seed, "mode": "ezcab"})
            naive_key = (tuple((k, v) for k, v in point.items() if k != "hop_limit"), seed)
            if naive_key not in naive_seen:
                naive_seen.add(naive_key)
                jobs_list.append((p, seed, str(fcd), sorted(taxis), True))
                labels.append({**{k: v for k, v in point.items() if k != "hop_limit"},
                               "seed": seed, "mode": "naive"})
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_point, jobs_list))
    else:
        results = [_point(j) for j in jobs_list]
    rows = [{**label, **res} for label, res in zip(labels, results)]
    summary = _summarise(rows, keys)
    with (out / "sweep.csv").open("w", newline="") as f:
        w = csv.writer(f)
        cols = [*keys, "mode", "runs", "success_rate", "latency_p50", "double_booked",
                "bytes_per_booking"]
        w.writerow(cols)
        for s in summary:
            w.writerow([s.get(c, "") for c in cols])
    result = {"swept": {k: swept[k] for k in keys}, "seeds": seeds, "rows": rows,
              "summary": summary}
    import json
    (out / "sweep.json").write_text(json.dumps(result, sort_keys=True, indent=1) + "\n",
                                    encoding="utf-8")
    _plot_sweep(summary, keys, out / "sweep.png")
    return result


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _summarise(rows: list[dict], keys: list[str]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        ident = tuple((k, row[k]) for k in keys if k in row) + (("mode", row["mode"]),)
        groups.setdefault(ident, []).append(row)
    out = []
    for ident, group in groups.items():
        s = dict(ident)
        s["runs"] = len(group)
        for metric in ("success_rate", "latency_p50", "bytes_per_booking"):
            s[metric] = _mean([g[metric] for g in group])
        s["double_booked"] = sum(g["double_booked"] for g in group)
        out.append(s)
    return out


def _plot_sweep(summary: list[dict], keys: list[str], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x_key = "cabs" if "cabs" in keys else keys[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    series: dict[str, list[dict]] = {}
    for s in summary:
        label = "naive find_taxi" if s["mode"] == "naive" else "EZCab" + "".join(
            f" {k}={s[k]}" for k in keys if k != x_key)
        series.setdefault(label, []).append(s)
    for label, points in sorted(series.items()):
        points.sort(key=lambda s: s[x_key])
        style = "k--" if label.startswith("naive") else "-o"
        for ax, metric in zip(axes, ("success_rate", "latency_p50")):
            ax.plot([s[x_key] for s in points], [s[metric] for s in points], style, label=label)
    axes[0].set_ylabel("success rate")
    axes[1].set_ylabel("booking latency p50 (s)")
    for ax in axes:
        ax.set_xlabel(x_key)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sweep_summary(result: dict) -> str:
    lines = []
    for s in result["summary"]:
        point = " ".join(f"{k}={s[k]}" for k in result["swept"] if k in s)
        lines.append(f"{s['mode']:6} {point}: success {s['success_rate']}, latency p50 "
                     f"{s['latency_p50']} s, {s['bytes_per_booking']} B/booking, "
                     f"double bookings {s['double_booked']} ({s['runs']} runs)")
    return "\n".join(lines)


def check(p: dict) -> str | None:
    """A problem with the parameters, or None."""
    for key in ("cabs", "grid", "clients", "requests", "hop_limit"):
        if p[key] < (2 if key == "grid" else 1):
            return f"--param {key}: must be at least {2 if key == 'grid' else 1}"
    for key in ("block", "duration", "radio_range", "beacon", "deadline", "gap"):
        if not p[key] > 0:
            return f"--param {key}: must be positive"
    if not 0 <= p["free_ratio"] <= 1:
        return "--param free_ratio: must be in [0, 1]"
    if p["start"] < 0:
        return "--param start: must not be negative"
    return None
