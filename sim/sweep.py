"""Parameter sweeps: a grid of scenario variants × seeds, run in parallel
worker processes, summarised with means and 95% confidence intervals."""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import statistics
from concurrent.futures import ProcessPoolExecutor
from itertools import product
from pathlib import Path

from .run import run
from .scenario import Scenario, ScenarioError, load

#: Scenario keys a sweep may vary (``section.key`` -> field, type).
PARAMETERS: dict[str, tuple[str, type]] = {
    "simulation.duration": ("duration", float),
    "radio.range": ("radio_range", float),
    "radio.loss": ("loss", float),
    "radio.bandwidth": ("bandwidth", float),
    "radio.delay": ("delay", float),
    "nodes.count": ("count", int),
    "nodes.spacing": ("spacing", float),
    "nodes.pause": ("pause", float),
    "nodes.block": ("block", float),
    "nodes.beacon_interval": ("beacon_interval", float),
}
METRICS = ("delivery", "completion_s", "hops", "kbytes", "frames")
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def parse_param(text: str) -> tuple[str, list]:
    """``radio.range=100,200`` -> ("radio.range", [100.0, 200.0])."""
    name, sep, values = text.partition("=")
    if not sep or name not in PARAMETERS:
        raise ScenarioError(f"bad --param {text!r}: use NAME=V1,V2,... with NAME one of "
                            f"{', '.join(PARAMETERS)}")
    kind = PARAMETERS[name][1]
    try:
        parsed = [kind(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(f"bad values for {name}: {values!r}") from None
    if not parsed:
        raise ScenarioError(f"no values for {name}")
    return name, parsed


def _point(base: Scenario, overrides: dict, seed: int) -> dict:
    """One run, summarised (module level: it runs in a worker process; the
    scenario travels whole, brick sources included, so remote workers need no
    files)."""
    sc = dataclasses.replace(base, **{PARAMETERS[k][0]: v for k, v in overrides.items()})
    _check(sc)
    metrics = run(sc, seed=seed).metrics()
    sms = metrics["sms"]
    done = [sm for sm in sms if sm["completion_s"] is not None and sm["error"] is None]
    return {
        **overrides, "seed": seed,
        "delivery": len(done) / len(sms) if sms else math.nan,
        "completion_s": statistics.fmean(sm["completion_s"] for sm in done) if done else math.nan,
        "hops": statistics.fmean(sm["hops"] for sm in done) if done else math.nan,
        "kbytes": sum(f["bytes"] for f in metrics["frames"].values()) / 1024,
        "frames": sum(f["count"] for f in metrics["frames"].values()),
    }


def _check(sc: Scenario) -> None:
    if sc.count < 1 or sc.radio_range <= 0 or not 0 <= sc.loss < 1:
        raise ScenarioError("a swept value is out of range")
    if any(inj.node >= sc.count for inj in sc.injects):
        raise ScenarioError("an [[inject]] node does not exist with this nodes.count")


def sweep(path: str, params: dict[str, list], seeds: int, jobs: int = 2, *,
          engine: str = "local", ray_address: str | None = None) -> list[dict]:
    """Every combination of ``params`` with seeds 1..``seeds``; one row per run,
    in a deterministic order whatever the engine and number of jobs.

    ``engine``: "local" (a process pool of ``jobs`` workers) or "ray" (a Ray
    cluster at ``ray_address``, or a local Ray instance with ``jobs`` CPUs)."""
    base = load(path)
    names = list(params)
    points = [(dict(zip(names, combo)), seed) for combo in product(*params.values())
              for seed in range(1, seeds + 1)]
    if engine == "ray":
        return _on_ray(base, points, jobs, ray_address)
    if engine != "local":
        raise ScenarioError(f"unknown engine {engine!r} (local or ray)")
    if jobs <= 1:
        return [_point(base, o, s) for o, s in points]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_point, base, o, s) for o, s in points]
        return [f.result() for f in futures]


def _on_ray(base: Scenario, points: list, jobs: int, address: str | None) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise ScenarioError("the ray engine needs Ray: pip install 'smvm[ray]'") from None
    started = not ray.is_initialized()
    if started:
        options = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=jobs, **options)
    try:
        remote = ray.remote(_point)
        return ray.get([remote.remote(base, o, s) for o, s in points])
    finally:
        if started:
            ray.shutdown()


def summarise(rows: list[dict], names: list[str]) -> list[dict]:
    """Mean and 95% confidence half-width of each metric per parameter point."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[n] for n in names), []).append(row)
    table = []
    for key, group in groups.items():
        out = dict(zip(names, key))
        out["runs"] = len(group)
        for metric in METRICS:
            values = [r[metric] for r in group if not math.isnan(r[metric])]
            mean = statistics.fmean(values) if values else math.nan
            half = math.nan
            if len(values) > 1:
                t = _T95.get(len(values) - 1) or _T95[min(k for k in _T95 if k >= len(values) - 1)] \
                    if len(values) - 1 <= 30 else 1.96
                half = t * statistics.stdev(values) / math.sqrt(len(values))
            out[metric] = mean
            out[metric + "_ci95"] = half
        table.append(out)
    return table


def write_sweep(table: list[dict], rows: list[dict], names: list[str], out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "sweep.json", out / "sweep.csv", out / "sweep.png"]
    clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
             for r in table]
    paths[0].write_text(json.dumps({"summary": clean, "runs": [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in rows]}, indent=1, sort_keys=True) + "\n")
    with paths[1].open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    x_name = names[0]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, metric in zip(axes, ("completion_s", "kbytes", "delivery")):
        series: dict[tuple, list[dict]] = {}
        for row in table:
            series.setdefault(tuple(row[n] for n in names[1:]), []).append(row)
        for label, points in series.items():
            points.sort(key=lambda r: r[x_name])
            ax.errorbar([p[x_name] for p in points], [p[metric] for p in points],
                        yerr=[0 if math.isnan(p[metric + "_ci95"]) else p[metric + "_ci95"]
                              for p in points], marker="o", capsize=3,
                        label=", ".join(f"{n}={v}" for n, v in zip(names[1:], label)) or None)
        ax.set_xlabel(x_name)
        ax.set_ylabel(metric)
        if len(series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)
    return paths
