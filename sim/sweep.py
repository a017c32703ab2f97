"""Parameter sweeps: scenario variants × seeds, run in parallel (see
``sim.engines``), summarised with means and 95% confidence intervals.

A sweep varies a TOML file or a ``Scenario`` over any of its fields, or calls a
Python function that builds the scenario from the grid's values (anything:
numbers, mobility models, functions) and, if it asks for it, the seed.
"""
from __future__ import annotations

import csv
import dataclasses
import inspect
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Mapping
from itertools import product
from pathlib import Path
from typing import Any

import cloudpickle

from .checks import FIELDS
from .engines import execute, pack
from .run import Extractors, run
from .scenario import Scenario, ScenarioError, load

#: Scenario keys ``--param`` may vary on the command line (``section.key`` -> field, type).
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
_TOML_KEYS = {f"{section}.{key}": name for name, (section, key, _) in FIELDS.items()}
ScenarioFn = Callable[..., Scenario] | Scenario | str | Path


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


def _maker(scenario_fn: ScenarioFn, names: list[str]) -> Callable[[dict, int], Scenario]:
    """``make(point, seed) -> Scenario`` for any form of ``scenario_fn``."""
    if isinstance(scenario_fn, (str, Path)):
        scenario_fn = load(scenario_fn)
    if isinstance(scenario_fn, Scenario):
        known = {f.name for f in dataclasses.fields(Scenario)}
        fields = {n: _TOML_KEYS.get(n, n) for n in names}
        for name, field in fields.items():
            if field not in known:
                raise ScenarioError(f"grid key {name!r} is not a scenario field (fields: "
                                    f"{', '.join(sorted(known))}; or TOML keys like radio.range)")
        return _Varied(scenario_fn, fields)
    if not callable(scenario_fn):
        raise ScenarioError(f"sweep needs a scenario file, a Scenario or a function returning "
                            f"one, got {type(scenario_fn).__name__}")
    return _Called(scenario_fn)


@dataclasses.dataclass
class _Varied:
    """A base scenario with the grid's values set on its fields."""
    base: Scenario
    fields: dict[str, str]   # grid key -> field

    def __call__(self, point: dict, seed: int) -> Scenario:
        return self.base.replace(**{self.fields[k]: v for k, v in point.items()})


@dataclasses.dataclass
class _Called:
    """``fn(**point)``, with ``seed=`` too when ``fn`` takes a ``seed`` parameter."""
    fn: Callable[..., Scenario]

    def __call__(self, point: dict, seed: int) -> Scenario:
        try:
            wants_seed = "seed" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            wants_seed = False
        made = self.fn(**point, seed=seed) if wants_seed else self.fn(**point)
        if not isinstance(made, Scenario):
            raise ScenarioError(f"the scenario function returned {type(made).__name__}, "
                                "not a Scenario")
        return made


def labels(values: list) -> list:
    """How grid values appear in rows: plain values as they are, others by name
    (functions, classes) or type, numbered when two would read the same."""
    shown = [v if v is None or type(v) in (bool, int, float, str)
             else getattr(v, "__name__", None) or type(v).__name__ for v in values]
    if len(set(map(repr, shown))) == len(shown):
        return shown
    return [f"{s}#{i}" if [repr(x) for x in shown].count(repr(s)) > 1 else s
            for i, s in enumerate(shown)]


def sweep(scenario_fn: ScenarioFn, grid: Mapping[str, Iterable], seeds: int | Iterable[int] = 3,
          engine: str = "local", jobs: int = 2, *, extractors: Extractors = (),
          ray_address: str | None = None) -> list[dict]:
    """Every combination of ``grid``'s values × every seed; one row per run, in
    the same order and with the same values whatever the engine and ``jobs``.

    ``scenario_fn``: a TOML file or a ``Scenario`` (grid keys are its fields,
    or TOML keys such as ``radio.range``), or a function called with one
    keyword argument per grid key (and ``seed=`` if it has a ``seed``
    parameter) that returns a ``Scenario``. ``seeds``: a count K (seeds 1..K)
    or the seeds themselves. ``extractors`` add metrics to every run (see
    ``sim.run.run``). ``engine``: "local" (``jobs`` processes; 1 runs here) or
    "ray" (``ray_address``'s cluster, or a local Ray instance with ``jobs``
    CPUs). The functions may be closures or lambdas: they travel with
    cloudpickle.
    """
    names = list(grid)
    values = [list(grid[n]) for n in names]
    if not names or any(not v for v in values):
        raise ScenarioError("the grid needs at least one key, each with at least one value")
    seed_list = list(range(1, seeds + 1)) if isinstance(seeds, int) else list(seeds)
    if not seed_list or not all(type(s) is int for s in seed_list):
        raise ScenarioError(f"seeds must be a positive count or a list of ints, got {seeds!r}")
    make = _maker(scenario_fn, names)
    combos = list(product(*(range(len(v)) for v in values)))   # value indexes
    points = [{n: values[k][j] for k, (n, j) in enumerate(zip(names, c))} for c in combos]
    for point in points:   # bad values fail here, in one line, before any worker starts
        for seed in seed_list:
            make(point, seed)
    shown = [labels(v) for v in values]
    rows_of = [{n: shown[k][j] for k, (n, j) in enumerate(zip(names, c))} for c in combos]
    payload = pack((make, points, extractors))
    tasks = [(i, seed) for i in range(len(points)) for seed in seed_list]
    results = execute(_task, payload, tasks, engine, jobs, ray_address)
    return [{**rows_of[i], "seed": seed, **metrics} for (i, seed), metrics in zip(tasks, results)]


def _task(payload: bytes, index: int, seed: int) -> dict:
    """One run in a worker: unpickle the sweep afresh, build, run, summarise."""
    make, points, extractors = cloudpickle.loads(payload)
    result = run(make(points[index], seed), seed, extractors=extractors)
    return _row(result)


def _row(result: Any) -> dict:
    metrics = result.metrics()
    sms = metrics["sms"]
    done = [sm for sm in sms if sm["completion_s"] is not None and sm["error"] is None]
    row = {
        "delivery": len(done) / len(sms) if sms else math.nan,
        "completion_s": statistics.fmean(sm["completion_s"] for sm in done) if done else math.nan,
        "hops": statistics.fmean(sm["hops"] for sm in done) if done else math.nan,
        "kbytes": sum(f["bytes"] for f in metrics["frames"].values()) / 1024,
        "frames": sum(f["count"] for f in metrics["frames"].values()),
    }
    clash = set(row) & set(result.extracted)
    if clash:
        raise ScenarioError(f"metric {sorted(clash)[0]!r} is built in; name yours differently")
    return {**row, **result.extracted}


def metric_names(rows: list[dict], names: list[str]) -> list[str]:
    """The metrics of a sweep's rows: the built-in ones, then the extractors'."""
    extra = [k for k in (rows[0] if rows else {}) if k not in names and k != "seed"
             and k not in METRICS]
    return [*METRICS, *extra]


def summarise(rows: list[dict], names: list[str]) -> list[dict]:
    """Mean and 95% confidence half-width of each metric per parameter point."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[n] for n in names), []).append(row)
    table = []
    for key, group in groups.items():
        out = dict(zip(names, key))
        out["runs"] = len(group)
        for metric in metric_names(rows, names):
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


#: What each built-in metric can be: an interval never reaches past it.
METRIC_RANGES = {"delivery": (0.0, 1.0), "completion_s": (0.0, math.inf), "hops": (0.0, math.inf),
                 "kbytes": (0.0, math.inf), "frames": (0.0, math.inf)}


#: a metric named as a share of a whole (an app's delivery or hit ratio)
_A_SHARE = re.compile(r"(ratio|rate|fraction|share|delivery)")


def metric_range(metric: str, values: list) -> tuple[float, float]:
    """The possible range of ``metric``: known for the built-in ones; for a
    script's own metric, [0, 1] for a share (by its name) every run kept
    there, else non-negative when every run gave a value >= 0."""
    if metric in METRIC_RANGES:
        return METRIC_RANGES[metric]
    seen = [v for v in values if isinstance(v, (int, float)) and not math.isnan(v)]
    if seen and min(seen) >= 0 and max(seen) <= 1 and _A_SHARE.search(metric):
        return 0.0, 1.0
    return (0.0, math.inf) if seen and min(seen) >= 0 else (-math.inf, math.inf)


def clamped_error(mean: float, half: float, low: float, high: float) -> tuple[float, float]:
    """The lengths below and above ``mean`` of its interval ``mean ± half``
    cut to [low, high] (zero when there is no interval)."""
    if math.isnan(mean) or math.isnan(half):
        return 0.0, 0.0
    return max(0.0, mean - max(low, mean - half)), max(0.0, min(high, mean + half) - mean)


def interval_text(mean: float, half: float, low: float, high: float) -> str:
    """``mean ± half`` as text; an interval that reaches past the metric's
    possible range [low, high] shows its ends cut to the range instead."""
    if math.isnan(mean):
        return "-"
    if math.isnan(half):
        return f"{mean:.3g}"
    if mean - half >= low and mean + half <= high:
        return f"{mean:.3g} ± {half:.2g}"
    return f"{mean:.3g} [{max(low, mean - half):.3g}, {min(high, mean + half):.3g}]"


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
    shown = ["completion_s", "kbytes", "delivery", *metric_names(rows, names)[len(METRICS):]]
    fig, axes = plt.subplots(1, len(shown), figsize=(4.4 * len(shown), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], shown):
        low, high = metric_range(metric, [r.get(metric) for r in rows])
        series: dict[tuple, list[dict]] = {}
        for row in table:
            series.setdefault(tuple(row[n] for n in names[1:]), []).append(row)
        for label, points in series.items():
            points.sort(key=lambda r: r[x_name])
            bars = [clamped_error(p[metric], p[metric + "_ci95"], low, high) for p in points]
            ax.errorbar([p[x_name] for p in points], [p[metric] for p in points],
                        yerr=[[b[0] for b in bars], [b[1] for b in bars]], marker="o",
                        capsize=3,
                        label=", ".join(f"{n}={v}" for n, v in zip(names[1:], label)) or None)
        ax.set_xlabel(x_name)
        ax.set_ylabel(metric)
        if len(series) > 1:
            ax.legend(fontsize=7)
    per_point = sorted({row["runs"] for row in table})
    fig.suptitle(f"sweep over {', '.join(names)}: {len(rows)} runs "
                 f"({'/'.join(map(str, per_point))} per point); mean and 95% interval, "
                 "cut at the metric's possible range", fontsize=9)
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)
    return paths
