"""An SM paused in a worker may hold most of that worker's address space; an
SM that then runs there and fails for want of memory it is still owed by its
own budget is not ended: it starts again from its last accepted state, in a
worker with room, and the node keeps serving."""
from __future__ import annotations

import trio

from smvm.client import inject
from smvm.daemon import NodeDaemon
from tests.patience import PATIENCE

from ._workers import (assert_still_serves, in_background, one_worker, paused_once_more,
                       worker_room)

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
#: Holds ``size`` bytes across many fuel slices (the rest of a worker's room).
FILLER = '''
def main(size, n):
    held = bytearray(size)
    total = 0
    for i in range(n):
        total += i % 7
    return len(held)
'''
#: Carries 15 MB of state (one 1 MB string, fifteen times) while it waits on
#: a tag: little to hold, about 25 MB to encode.
TRAVELLER = '''
def main():
    parts = ["x" * 1_000_000] * 15
    try:
        block_tag("never", 0.01)
    except TagTimeout:
        pass
    return sum(len(part) for part in parts)
'''
#: A result, and a state, of 90 MB (one 1 MB string ninety times): encoding
#: either takes more room than a crowded worker has, and either is too large
#: to leave the SM anyway, as it learns once it runs where its budget has room.
BIG_RESULT = 'def main():\n    return ["x" * 1_000_000] * 90\n'
BIG_STATE = '''
def main():
    parts = ["x" * 1_000_000] * 90
    block_tag("never", 0.01)
    return len(parts)
'''

HOG_SLICES = dict(slice_seconds=PATIENCE, memory_mb=256, fuel_per_sm=10 ** 12, fuel_slice=100_000)


async def start_beside_a_hog(nursery: trio.Nursery):
    """A one-worker daemon whose only worker holds the hog's 200 MB, the hog
    paused there: the daemon, its address and a wait for the hog's reply."""
    daemon = NodeDaemon(one_worker(**HOG_SLICES))
    address = await nursery.start(daemon.serve)
    hog = in_background(nursery, address, HOG, [3_000_000])
    await paused_once_more(daemon)
    return daemon, address, hog


def assert_restarted_in_a_fresh_worker(daemon: NodeDaemon) -> None:
    """An SM ran again after its worker ran short, and that worker was
    replaced once its paused SMs were done, killing none of them."""
    assert daemon.core.counters["sms_restarted"] >= 1
    assert daemon.pool.recycled >= 1 and daemon.pool.killed == 0


async def test_memory_held_by_a_paused_sm_does_not_end_its_neighbour() -> None:
    async with trio.open_nursery() as nursery:
        daemon, address, hog = await start_beside_a_hog(nursery)
        meek = await inject(address, MEEK, [], wait=True, timeout=PATIENCE)
        assert meek.ok, meek.error
        assert meek.value == 150_000_000
        held = await hog()
        assert held.ok, held.error
        assert held.value == 200_000_000 + sum(i % 7 for i in range(3_000_000))
        # the meek SM ran again, and its crowded worker was replaced, killing no SM
        assert_restarted_in_a_fresh_worker(daemon)
        # an SM past its own budget still ends for memory, once
        greedy = await inject(address, GREEDY, [], wait=True, timeout=PATIENCE)
        assert not greedy.ok and greedy.error["type"] == "MemoryExhausted"
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


async def test_a_state_crowded_out_while_encoded_is_carried_after_a_restart() -> None:
    """Encoding an SM's state as it waits on a tag needs room its worker
    lacks only because two SMs paused there hold it: the SM starts again and
    waits, carrying its state, once it runs where its budget has room."""
    async with trio.open_nursery() as nursery:
        daemon, address, hog = await start_beside_a_hog(nursery)
        # a second SM takes all but 16 MB of the room left: enough for the
        # traveller to run, not to encode its 15 MB state
        size = worker_room(daemon) - 16 * 1024 * 1024
        filler = in_background(nursery, address, FILLER, [size, 3_000_000])
        await paused_once_more(daemon)
        traveller = await inject(address, TRAVELLER, [], wait=True, timeout=PATIENCE)
        assert traveller.ok, traveller.error
        assert traveller.value == 15_000_000
        filled = await filler()
        assert filled.ok and filled.value == size, filled.error
        assert (await hog()).ok
        assert_restarted_in_a_fresh_worker(daemon)
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


async def _beside_a_hog(brick: str):
    """The reply to ``brick``, run while an SM paused in its worker holds
    200 MB there; the daemon must still serve afterwards."""
    async with trio.open_nursery() as nursery:
        daemon, address, hog = await start_beside_a_hog(nursery)
        reply = await inject(address, brick, [], wait=True, timeout=PATIENCE)
        assert (await hog()).ok
        # it ran again, where its own budget was the only limit
        assert_restarted_in_a_fresh_worker(daemon)
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()
    return reply


async def test_a_result_crowded_out_while_encoded_is_judged_where_it_has_room() -> None:
    """Not "does not fit in the memory budget", which blamed the SM for the
    hog's memory: run again with room, its result is simply too large."""
    reply = await _beside_a_hog(BIG_RESULT)
    assert not reply.ok and reply.error["type"] == "ResultError", reply.error
    assert "bytes exceeds the limit" in reply.error["message"]


async def test_a_state_crowded_out_while_encoded_is_judged_where_it_has_room() -> None:
    """Not "too large to carry" for want of the hog's memory: run again with
    room, its state is past the codec's size limit."""
    reply = await _beside_a_hog(BIG_STATE)
    assert not reply.ok and reply.error["type"] == "MigrationError", reply.error
    assert "exceeds the limit" in reply.error["message"]
