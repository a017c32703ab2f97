"""A hostile SM that brings its worker process down (past the wall-clock or
CPU backstop) ends alone: the SMs paused in the
same worker start again from their last accepted state, the worker is
replaced and the daemon keeps serving."""
from __future__ import annotations

import os

import pytest
import trio

from smvm.client import inject
from smvm.daemon import NodeDaemon
from tests.patience import PATIENCE

from ._workers import PATIENT, assert_still_serves, in_background, one_worker, paused_once_more

#: One C-level call far longer than the wall-clock allowance of a slice.
LONG_CALL = "def main():\n    return sum(range(10 ** 10))\n"


async def _patient_and_killer(killer) -> None:
    daemon = NodeDaemon(one_worker(fuel_per_sm=10 ** 12, fuel_slice=300_000))
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        patient = in_background(nursery, address, PATIENT, [4_000_000])
        await paused_once_more(daemon)
        outcome = await killer(daemon, address)
        assert not outcome.ok and outcome.error["type"] == "WorkerKilled"
        reply = await patient()
        assert reply.ok, reply.error
        assert reply.value == sum(i % 7 for i in range(4_000_000))
        assert daemon.pool.killed >= 1 and daemon.core.counters["sms_restarted"] >= 1
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


async def test_a_slice_past_its_wall_clock_loses_only_its_own_sm() -> None:
    async def killer(daemon, address):
        return await inject(address, LONG_CALL, [], wait=True, timeout=PATIENCE)
    await _patient_and_killer(killer)


async def test_an_sm_paused_through_any_number_of_kills_still_completes() -> None:
    """Each kill ends the SM that caused it; the innocent SM paused beside it
    starts again every time, however often hostile neighbours kill its
    worker (a bound of three restarts let a fourth killer end it). Its
    slices are short: it starts from scratch after each kill, and sixty of
    them keep it from finishing before the next killer takes the worker."""
    daemon = NodeDaemon(one_worker(fuel_per_sm=10 ** 12, fuel_slice=50_000))
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        patient = in_background(nursery, address, PATIENT, [3_000_000], timeout=4 * PATIENCE)
        for kill in range(4):
            # the patient SM has run a slice since it last started: it waits,
            # paused in the only worker, when the killer takes the worker
            await paused_once_more(daemon)
            outcome = await inject(address, LONG_CALL, [], wait=True, timeout=PATIENCE)
            assert not outcome.ok and outcome.error["type"] == "WorkerKilled"
            assert daemon.pool.killed == kill + 1
        reply = await patient()
        assert reply.ok, reply.error
        assert reply.value == sum(i % 7 for i in range(3_000_000))
        assert daemon.core.counters["sms_restarted"] >= 4
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
async def test_a_worker_serves_slices_past_the_cpu_allowance_of_its_first() -> None:
    """The kernel's CPU backstop follows each slice: a worker whose slices
    add up to more CPU than one slice may take keeps serving, and no SM
    within its own budget is killed (the limit set for the first slice used
    to stay for the worker's life, killing whichever SM ran when the worker's
    total reached it: at most 3 s past the CPU it had used then, here)."""
    daemon = NodeDaemon(one_worker(slice_seconds=PATIENCE, cpu_seconds=0.9, fuel_per_sm=10 ** 12,
                                fuel_slice=300_000))
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        outcome = await inject(address, PATIENT, [100], wait=True, timeout=PATIENCE)
        assert outcome.ok, outcome.error
        worker = daemon.pool.workers[0].process.pid
        used, until = 0.0, _cpu_seconds(worker) + 3.2
        while used <= until:
            outcome = await inject(address, PATIENT, [400_000], wait=True, timeout=PATIENCE)
            assert outcome.ok, (used, outcome.error)
            assert outcome.value == sum(i % 7 for i in range(400_000))
            used = _cpu_seconds(worker)
        assert daemon.pool.killed == 0 and daemon.pool.workers[0].process.pid == worker
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()
