"""Where a sweep's runs execute: this process, a local process pool, or Ray.

The sweep's Python side (the scenario function, grid values, metric
extractors; closures and lambdas included) is serialised once with
cloudpickle into a *payload*; each task is ``(payload, point index, seed)``
and unpickles it afresh, so every run starts from the same objects whatever
the worker, the engine or the number of jobs, and rows come back in task
order. cloudpickle runs code when it loads: payloads are made and read by
this program only and are never accepted from the network (DESIGN §3).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import cloudpickle

from ._errors import ScenarioError

__all__ = ["ENGINES", "execute", "pack"]

ENGINES = ("local", "ray")
Task = tuple[int, int]   # (point index, seed)


def pack(obj: Any) -> bytes:
    """The payload shipped to workers (cloudpickle: functions travel by value
    when their module is a script the workers cannot import)."""
    try:
        return cloudpickle.dumps(obj)
    except Exception as exc:  # noqa: BLE001 - anything cloudpickle cannot serialise
        raise ScenarioError(f"the sweep cannot be sent to workers: {type(exc).__name__}: "
                            f"{exc}") from None


def execute(work: Callable[[bytes, int, int], dict], payload: bytes, tasks: Sequence[Task],
            engine: str, jobs: int, ray_address: str | None = None) -> list[dict]:
    """``work(payload, index, seed)`` for every task, results in task order.

    ``work`` must be importable by name (a module-level function), so that it
    travels by reference. ``engine`` "local": this process when ``jobs`` is 1,
    else a pool of ``jobs`` processes; "ray": the Ray cluster at
    ``ray_address``, or a local Ray instance with ``jobs`` CPUs.
    """
    if engine not in ENGINES:
        raise ScenarioError(f"unknown engine {engine!r} (local or ray)")
    if type(jobs) is not int or jobs < 1:
        raise ScenarioError(f"jobs must be a positive integer, got {jobs!r}")
    if engine == "ray":
        return _on_ray(work, payload, tasks, jobs, ray_address)
    if jobs == 1:
        return [work(payload, i, seed) for i, seed in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(work, payload, i, seed) for i, seed in tasks]
        return [f.result() for f in futures]


def _on_ray(work: Callable, payload: bytes, tasks: Sequence[Task], jobs: int,
            address: str | None) -> list[dict]:
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
        remote = ray.remote(work)
        shared = ray.put(payload)   # one copy in the object store, not one per task
        return ray.get([remote.remote(shared, i, seed) for i, seed in tasks])
    finally:
        if started:
            ray.shutdown()
