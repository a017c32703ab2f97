"""An SM paused in a worker may hold most of that worker's address space; an
SM that then runs there and fails for want of memory it is still owed by its
own budget is not ended: it starts again from its last accepted state, in a
worker with room, and the node keeps serving."""
from __future__ import annotations

import trio

from smvm.client import inject
from smvm.daemon import NodeDaemon
from tests.patience import PATIENCE

from ._workers import assert_still_serves, in_background, one_worker, paused_once_more

#: Holds 200 MB (of its 256 MB budget) across many fuel slices.
HOG = '''
def main(n):
    held = bytearray(200_000_000)
    total = 0
    for i in range(n):
        total += i % 7
    return len(held) + total
'''
#: Needs 150 MB, well within its own budget.
MEEK = "def main():\n    return len(bytearray(150_000_000))\n"
#: Past its own budget, whatever its worker holds: it ends for memory.
GREEDY = "def main():\n    return len(bytearray(400_000_000))\n"


async def test_memory_held_by_a_paused_sm_does_not_end_its_neighbour() -> None:
    daemon = NodeDaemon(one_worker(slice_seconds=PATIENCE, memory_mb=256,
                                   fuel_per_sm=10 ** 12, fuel_slice=100_000))
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        hog = in_background(nursery, address, HOG, [3_000_000])
        # the hog holds its 200 MB, paused in the only worker
        await paused_once_more(daemon)
        meek = await inject(address, MEEK, [], wait=True, timeout=PATIENCE)
        assert meek.ok, meek.error
        assert meek.value == 150_000_000
        held = await hog()
        assert held.ok, held.error
        assert held.value == 200_000_000 + sum(i % 7 for i in range(3_000_000))
        # the meek SM ran again, and its crowded worker was replaced, killing no SM
        assert daemon.core.counters["sms_restarted"] >= 1
        assert daemon.pool.recycled >= 1 and daemon.pool.killed == 0
        # an SM past its own budget still ends for memory, once
        greedy = await inject(address, GREEDY, [], wait=True, timeout=PATIENCE)
        assert not greedy.ok and greedy.error["type"] == "MemoryExhausted"
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()
