"""A hostile SM that brings its worker process down (past the wall-clock or
CPU backstop) ends alone: the SMs paused in the
same worker start again from their last accepted state, the worker is
replaced and the daemon keeps serving."""
from __future__ import annotations

import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from tests.patience import PATIENCE

#: Pauses between fuel slices several times (so it is parked in the worker).
PATIENT = '''
def main(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total
'''
#: One C-level call far longer than the wall-clock allowance of a slice.
LONG_CALL = "def main():\n    return sum(range(10 ** 10))\n"
QUICK = "def main():\n    return node_id()\n"


def _config(**node) -> DaemonConfig:
    node.setdefault("beacon_interval", None)
    return DaemonConfig("solo", "127.0.0.1", 0, seed=1, advertise=False, signed=False,
                        workers=1, slice_seconds=1.0, node=NodeConfig(**node))


async def _patient_and_killer(killer) -> None:
    daemon = NodeDaemon(_config(fuel_per_sm=10 ** 12, fuel_slice=300_000))
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        results = {}

        async def patient():
            results["patient"] = await inject(address, PATIENT, [4_000_000], wait=True,
                                              timeout=PATIENCE)
        nursery.start_soon(patient)
        # the patient SM has run a slice and waits, paused in the only worker
        await daemon.wait_until(lambda: daemon.core.counters["requeues"] >= 1, timeout=PATIENCE)
        outcome = await killer(daemon, address)
        assert not outcome.ok and outcome.error["type"] == "WorkerKilled"
        with trio.fail_after(PATIENCE):
            while "patient" not in results:
                await trio.sleep(0.05)
        assert results["patient"].ok, results["patient"].error
        assert results["patient"].value == sum(i % 7 for i in range(4_000_000))
        assert daemon.pool.killed >= 1 and daemon.core.counters["sms_restarted"] >= 1
        quick = await inject(address, QUICK, [], wait=True, timeout=PATIENCE)
        assert quick.ok and quick.value == "solo"
        nursery.cancel_scope.cancel()


async def test_a_slice_past_its_wall_clock_loses_only_its_own_sm() -> None:
    async def killer(daemon, address):
        return await inject(address, LONG_CALL, [], wait=True, timeout=PATIENCE)
    await _patient_and_killer(killer)
