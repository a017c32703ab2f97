"""Class 9 (continued): SMs that spin through slice after slice (a flood of
them from many addresses, each within its budgets) do not starve a benign SM
in a daemon's workers: a free worker goes to the waiting slice whose SM has
spent the least fuel (``smvm.workers.pool``), so a short request runs next."""
from __future__ import annotations

import types

import pytest
import trio
import trio.testing

from smvm.workers.pool import WorkerPool


def one_busy_worker(crowded: bool):
    """A pool whose only worker is running a slice, with two SMs paused in
    it; and a slice runner that records in ``order`` when each slice gets
    the worker (a slice ``pinned`` to it belongs to an SM paused there)."""
    pool = WorkerPool(core=None, size=1)
    worker = types.SimpleNamespace(busy=True, alive=True, parked={1, 2}, crowded=crowded)
    pool._workers.append(worker)
    order: list[str] = []

    async def slice_of(name: str, spent: int, pinned: bool) -> None:
        taken = await pool._acquire(worker if pinned else None, spent)
        order.append(name)
        await trio.sleep(0)
        pool._release(taken)
    return pool, worker, order, slice_of


async def queue_slices(nursery: trio.Nursery, slice_of, slices) -> None:
    for name, spent, pinned in slices:
        nursery.start_soon(slice_of, name, spent, pinned)
        await trio.testing.wait_all_tasks_blocked()


async def test_a_free_worker_goes_to_the_slice_that_spent_least() -> None:
    pool, worker, order, slice_of = one_busy_worker(crowded=False)
    async with trio.open_nursery() as nursery:
        await queue_slices(nursery, slice_of, [
            ("spinner 1", 9_000_000, True), ("spinner 2", 5_000_000, True),
            ("benign", 1_000, False), ("spinner 3", 7_000_000, True), ("fresh", 0, False)])
        pool._release(worker)  # the slice running when they came ends
    assert order == ["fresh", "benign", "spinner 2", "spinner 3", "spinner 1"]
    assert not pool._waiting


async def test_a_crowded_worker_serves_only_the_sms_paused_in_it() -> None:
    """A worker where an SM found no room for its budget takes no new SM,
    however little it spent: the SMs paused there go on (first the one that
    spent least) and the new ones wait for room."""
    pool, worker, order, slice_of = one_busy_worker(crowded=True)
    async with trio.open_nursery() as nursery:
        await queue_slices(nursery, slice_of, [
            ("paused 1", 9_000_000, True), ("fresh", 0, False), ("paused 2", 5_000_000, True)])
        pool._release(worker)
        await trio.testing.wait_all_tasks_blocked()
        assert order == ["paused 2", "paused 1"]  # "fresh" still waits
        nursery.cancel_scope.cancel()


async def test_a_slice_pinned_to_a_dead_worker_gives_way() -> None:
    pool = WorkerPool(core=None, size=1)
    dead = types.SimpleNamespace(busy=True, alive=False, parked=set(), crowded=False)
    with pytest.raises(EOFError):
        await pool._acquire(dead, 0)
    assert not pool._waiting
