"""The daemon's own timers on trio's virtual clock (pytest-trio's
``autojump_clock``): beacons, neighbour ageing and a GPS log replayed at its
pace take seconds of the daemon's time and none of the test's.

These daemons run no SM (an injected brick is compiled in a thread, which a
jumping clock would race) and no worker processes: everything they do is
timers and loopback datagrams, which arrive before the loop next looks.
"""
from __future__ import annotations

from pathlib import Path

import trio

from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.daemon.driver import TICK
from smvm.drivers.gps import NmeaTracker, replay_file
from smvm.node import NodeConfig

LOG = Path(__file__).resolve().parents[2] / "data" / "gps_drive.nmea"


def _daemon(node_id: str, **extra) -> NodeDaemon:
    return NodeDaemon(DaemonConfig(node_id, "127.0.0.1", 0, workers=0, advertise=False,
                                   seed=1, **extra))


def _hears(daemon: NodeDaemon) -> list[str]:
    return daemon.core.neighbor_table.ids(daemon.clock())


async def test_a_silent_neighbour_is_forgotten_after_its_timeout(autojump_clock) -> None:
    node = NodeConfig(beacon_interval=1.0, neighbor_timeout=3.5)
    a, b = _daemon("a", node=node), _daemon("b", node=node)
    async with trio.open_nursery() as nursery:
        address_a = await nursery.start(a.serve)
        b_scope, b_stopped = trio.CancelScope(), trio.Event()

        async def serve_b(task_status=trio.TASK_STATUS_IGNORED) -> None:
            with b_scope:
                await b.serve(task_status=task_status)
            b_stopped.set()
        address_b = await nursery.start(serve_b)
        a.add_peer(address_b)
        b.add_peer(address_a)
        start = trio.current_time()
        await a.wait_until(lambda: _hears(a) == ["b"], timeout=60)
        await b.wait_until(lambda: _hears(b) == ["a"], timeout=60)
        # the peers were added after each daemon's first beacon: the next one
        # (a beacon interval later) makes them neighbours
        assert 1.0 <= trio.current_time() - start <= 1.0 + TICK

        # a minute of beacons every second: b never ages out of a's table
        for _ in range(60):
            await trio.sleep(1.0)
            assert _hears(a) == ["b"] and _hears(b) == ["a"]
        assert b.core.counters["frames_in.Beacon"] >= 60

        b_scope.cancel()  # b falls silent (a beacon it was sending as it stopped still counts)
        await b_stopped.wait()
        last_heard = a.core.neighbor_table.entries(a.clock())[0].last_heard
        await a.wait_until(lambda: _hears(a) == [], timeout=60)
        silent_for = a.clock() - last_heard
        # forgotten once the timeout is reached, by the timer set for it
        assert 3.5 <= silent_for <= 3.5 + TICK, silent_for
        nursery.cancel_scope.cancel()


async def test_a_gps_log_is_replayed_at_its_recorded_pace(autojump_clock) -> None:
    # what a receiver would have reported at each second of the drive
    tracker, expected = NmeaTracker(), {}
    for offset, line in replay_file(LOG):
        tracker.feed(line, offset)
        fix = tracker.location(offset)
        if fix is not None:
            expected[offset] = (fix.lat, fix.lon)
    duration = max(expected)
    assert duration >= 60 and len(set(expected.values())) > 30, "a drive, not a parked car"

    daemon = _daemon("gps-node", node=NodeConfig(beacon_interval=None), gps=f"file:{LOG}")
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.serve)
        start = trio.current_time()
        seen = {}
        for second in range(int(duration) + 1):
            # half a second after each recorded second: its lines were fed
            await trio.sleep_until(start + second + 0.5)
            seen[float(second)] = daemon.core.position
        nursery.cancel_scope.cancel()
    wanted = {t: p for t, p in expected.items() if t == int(t)}
    assert {t: seen[t] for t in wanted} == wanted
    # the drive took its recorded minutes of the daemon's time
    assert trio.current_time() - start >= duration
