"""Tag space throughput against plain dicts, measured side by side in one run.

For read, write and create, times the TagSpace operation (rights check,
lifetime check, size estimate and quota accounting, copy of the value) and
two baselines over the same names and values, interleaved and best of
several repeats (the garbage collector is off while timing, as in timeit):

* ``dict``: the bare dict operation in the same loop (``d[k]``, ``d[k] = v``);
* ``dict API``: a minimal store whose methods take the same arguments as
  TagSpace's and do only the dict operation, so the ratio shows what the
  protection, lifetime and quota work costs on top of the call itself.

    python benchmarks/tagspace.py [--repeat N] [--n N]   (or: python -m benchmarks.tagspace)
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and its own
# name would shadow the tagspace package: look in the repository root instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from tagspace import Principal, TagSpace  # noqa: E402

OWNER = Principal("sm-owner", "fam-A", "node-1", frozenset({"sha256:route"}))
SIBLING = Principal("sm-sibling", "fam-A", "node-1", frozenset())
STRANGER = Principal("sm-x", "fam-X", "node-9", frozenset())


class DictStore:
    """The baseline: TagSpace's call shapes over a bare dict."""

    def __init__(self) -> None:
        self.d: dict[str, object] = {}

    def create(self, principal, name, value, lifetime=None, access=None, code=None, *, now):
        self.d[name] = value

    def read(self, principal, name, now):
        return self.d[name]

    def write(self, principal, name, value, now, *, renew=True):
        self.d[name] = value


def _time(fn: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """One timed run; the garbage collector is off while timing, as in ``timeit``."""
    if setup is not None:
        setup()
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def bench(n: int, repeat: int) -> list[tuple[str, float, float, float]]:
    names = [f"tag{i}" for i in range(64)]
    loop = names * (n // len(names))
    count = len(loop)
    fresh = [f"new{i}" for i in range(n)]
    state: dict[str, object] = {}

    def filled_space(access: dict[str, str]) -> TagSpace:
        space = TagSpace("node-1", None, None)
        for i, name in enumerate(names):
            space.create(OWNER, name, i, lifetime=60.0, access=access, now=0.0)
        return space

    space = filled_space({"family": "rw"})  # owner and family; others nothing
    public = filled_space({"others": "r"})  # anyone may read
    store = DictStore()
    d: dict[str, object] = {}
    for i, name in enumerate(names):
        store.create(OWNER, name, i, now=0.0)
        d[name] = i

    def ts_read(who: Principal, space: TagSpace) -> Callable[[], None]:
        def run() -> None:
            read = space.read
            for name in loop:
                read(who, name, 1.0)
        return run

    def api_read() -> None:
        read = store.read
        for name in loop:
            read(OWNER, name, 1.0)

    def dict_read() -> None:
        for name in loop:
            d[name]

    def ts_write(value: object) -> Callable[[], None]:
        def run() -> None:
            write = space.write
            for name in loop:
                write(OWNER, name, value, 1.0)
        return run

    def api_write(value: object) -> Callable[[], None]:
        def run() -> None:
            write = store.write
            for name in loop:
                write(OWNER, name, value, 1.0)
        return run

    def dict_write(value: object) -> Callable[[], None]:
        def run() -> None:
            for name in loop:
                d[name] = value
        return run

    def new_space() -> None:
        state["space"] = TagSpace("node-1", None, None)
        state["store"] = DictStore()
        state["dict"] = {}

    def ts_create() -> None:
        create = state["space"].create  # type: ignore[attr-defined]
        for name in fresh:
            create(OWNER, name, 1, 60.0, now=0.0)

    def api_create() -> None:
        create = state["store"].create  # type: ignore[attr-defined]
        for name in fresh:
            create(OWNER, name, 1, 60.0, now=0.0)

    def dict_create() -> None:
        dd = state["dict"]
        for name in fresh:
            dd[name] = 1  # type: ignore[index]

    cases: list[tuple[str, Callable[[], None], Callable[[], None], Callable[[], None], int,
                      Callable[[], object] | None]] = [
        ("read (owner)", ts_read(OWNER, space), api_read, dict_read, count, None),
        ("read (family)", ts_read(SIBLING, space), api_read, dict_read, count, None),
        ("read (others)", ts_read(STRANGER, public), api_read, dict_read, count, None),
        ("write int (renew)", ts_write(7), api_write(7), dict_write(7), count, None),
        ("write str (renew)", ts_write("hello"), api_write("hello"), dict_write("hello"), count,
         None),
        ("write [1,2,3]", ts_write([1, 2, 3]), api_write([1, 2, 3]), dict_write([1, 2, 3]),
         count, None),
        ("create (lifetime)", ts_create, api_create, dict_create, n, new_space),
    ]
    rows = []
    for label, ts_fn, api_fn, dict_fn, ops, setup in cases:
        t_ts = t_api = t_dict = float("inf")
        for _ in range(repeat):  # interleave, so a noisy moment hits all three
            t_ts = min(t_ts, _time(ts_fn, setup))
            t_api = min(t_api, _time(api_fn, setup))
            t_dict = min(t_dict, _time(dict_fn, setup))
        rows.append((label, t_ts / ops * 1e9, t_api / ops * 1e9, t_dict / ops * 1e9))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--n", type=int, default=64_000, help="operations per timed loop")
    args = parser.parse_args()
    rows = bench(args.n, args.repeat)
    print(f"{'operation':<20}{'TagSpace ns':>12}{'dict API ns':>12}{'dict ns':>9}"
          f"{'x dict API':>12}{'x dict':>8}")
    for label, t_ts, t_api, t_dict in rows:
        print(f"{label:<20}{t_ts:>12.0f}{t_api:>12.0f}{t_dict:>9.0f}"
              f"{t_ts / t_api:>12.2f}{t_ts / t_dict:>8.2f}")
    print(f"ns per operation, loop included, garbage collector off; best of {args.repeat}. "
          "Target: <= 5x.")


if __name__ == "__main__":
    main()
