"""Sweeps of an application's scenario: every combination of the swept
parameters, seeds 1..K, each run by the app's own ``run`` (in this process, a
process pool or Ray, through ``sim.engines``). Rows hold the numeric metrics
(nested ones flattened as ``naive.success_rate``); the summary holds their
mean and 95% confidence half-width per point. ``smvm app NAME --param
K=V1,V2`` and ``smvm sweep apps/NAME/scenario.toml --param K=V1,V2`` run it
for apps without a sweep of their own."""
from __future__ import annotations

import csv
import itertools
import json
import math
import statistics
from pathlib import Path

from sim.engines import execute, pack
from sim.sweep import clamped_error, interval_text, metric_range

from . import registry

_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228}


def numbers(metrics: dict, prefix: str = "") -> dict[str, float]:
    """The metrics that are numbers, nested dicts flattened (``params`` left out)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if key in ("params", "seed", "app"):
            continue
        if isinstance(value, dict):
            out.update(numbers(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[prefix + key] = float(value)
    return out


def _task(payload: bytes, index: int, seed: int) -> dict:
    import cloudpickle
    name, points, out = cloudpickle.loads(payload)
    folder = Path(out) / f"point{index}-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    return numbers(registry.load(name).run(dict(points[index]), seed, folder))


def sweep(app, base: dict, swept: dict[str, list], seeds: int, out: Path, jobs: int,
          engine: str = "local", ray_address: str | None = None) -> dict:
    keys = sorted(swept)
    points = [dict(base, **dict(zip(keys, combo)))
              for combo in itertools.product(*(swept[k] for k in keys))]
    tasks = [(i, seed) for i in range(len(points)) for seed in range(1, seeds + 1)]
    results = execute(_task, pack((app.NAME, points, str(out))), tasks, engine, jobs,
                      ray_address)
    rows = [{**{k: points[i][k] for k in keys}, "seed": seed, **res}
            for (i, seed), res in zip(tasks, results)]
    summary = summarise(rows, keys)
    result = {"swept": {k: swept[k] for k in keys}, "seeds": seeds, "rows": rows,
              "summary": summary}
    (out / "sweep.json").write_text(json.dumps(result, sort_keys=True, indent=1) + "\n",
                                    encoding="utf-8")
    metrics = _metric_names(rows, keys)
    with (out / "sweep.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*keys, "runs", *(c for m in metrics for c in (m, m + "_ci95"))])
        for s in summary:
            w.writerow([s[k] for k in keys] + [s["runs"]] +
                       [s.get(c) for m in metrics for c in (m, m + "_ci95")])
    _plot(summary, keys, getattr(app, "SWEEP_METRICS", metrics[:3]), out / "sweep.png")
    return result


def _metric_names(rows: list[dict], keys: list[str]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update((k, None) for k in row if k not in keys and k != "seed")
    return list(names)


def summarise(rows: list[dict], keys: list[str]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    out = []
    for point, group in groups.items():
        s = dict(zip(keys, point))
        s["runs"] = len(group)
        for metric in _metric_names(group, keys):
            values = [r[metric] for r in group if r.get(metric) is not None
                      and not math.isnan(r[metric])]
            s[metric] = round(statistics.fmean(values), 6) if values else None
            half = None
            if len(values) > 1:
                t = _T95.get(len(values) - 1, 1.96)
                half = round(t * statistics.stdev(values) / math.sqrt(len(values)), 6)
            s[metric + "_ci95"] = half
        out.append(s)
    return out


def _plot(summary: list[dict], keys: list[str], metrics, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    metrics = [m for m in metrics if any(s.get(m) is not None for s in summary)] or ["runs"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.8), squeeze=False)
    x = keys[0]
    for ax, metric in zip(axes[0], metrics):
        series: dict[tuple, list[dict]] = {}
        for s in summary:
            series.setdefault(tuple(s[k] for k in keys[1:]), []).append(s)
        for label, points in series.items():
            points = sorted((p for p in points if p.get(metric) is not None), key=lambda p: p[x])
            low, high = metric_range(metric, [p[metric] for p in points])
            bars = [clamped_error(p[metric], p.get(metric + "_ci95") or 0.0, low, high)
                    for p in points]
            ax.errorbar([p[x] for p in points], [p[metric] for p in points],
                        yerr=[[b[0] for b in bars], [b[1] for b in bars]], marker="o",
                        capsize=3, label=", ".join(f"{k}={v}" for k, v in zip(keys[1:], label))
                        or None)
        ax.set_xlabel(x)
        ax.set_ylabel(metric)
        runs = sorted({s["runs"] for s in summary})
        ax.set_title(f"{metric} (mean, 95% CI; n = {'/'.join(map(str, runs))} per point)",
                     fontsize=9)
        if len(series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary_text(result: dict) -> str:
    lines = []
    for s in result["summary"]:
        point = " ".join(f"{k}={s[k]}" for k in result["swept"])
        shown = [f"{m} " + interval_text(s[m], s.get(m + "_ci95") or math.nan,
                                          *metric_range(m, [s[m]]))
                 for m in _metric_names([s], list(result["swept"]) + ["runs"])
                 if not m.endswith("_ci95") and s[m] is not None][:8]
        lines.append(f"{point} ({s['runs']} runs): " + ", ".join(shown))
    return "\n".join(lines)


def app_of_scenario(path: str):
    """The app whose bundled-style scenario ``path`` is (a TOML file with a
    table named after an app and no simulator sections), or None."""
    import tomllib
    try:
        with open(path, "rb") as f:
            tables = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if any(k in tables for k in ("simulation", "radio", "nodes")):
        return None
    names = [name for name in registry.APPS if isinstance(tables.get(name), dict)]
    return registry.load(names[0]) if len(names) == 1 else None
