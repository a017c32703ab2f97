"""A daemon fed by a GPS over TCP serves the position to SMs."""
from __future__ import annotations

from pathlib import Path

import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.drivers.nmea_tracker import NmeaTracker
from smvm.node import NodeConfig
from tests.patience import PATIENCE

LOG = Path(__file__).resolve().parents[2] / "data" / "gps_drive.nmea"
WHERE = '''
def main():
    fix = read_tag("location")
    return round(fix["lat"], 3), round(fix["lon"], 3), fix["stale"]
'''


async def test_location_tag_follows_an_nmea_stream_over_tcp() -> None:
    lines = [line for line in LOG.read_bytes().splitlines(keepends=True)][:200]
    # The drive ends where the last line that moved the position puts it; the
    # receiver then stands there, repeating that fix, so the position the SM
    # reads and the one the test compares with are the same, and fresh.
    tracker = NmeaTracker()
    last_move = max(i for i, line in enumerate(lines) if tracker.feed(line, float(i)))
    tracker = NmeaTracker()
    for i, line in enumerate(lines[:last_move + 1]):
        tracker.feed(line, float(i))
    end = (round(tracker.fix.lat, 3), round(tracker.fix.lon, 3))
    got_client = trio.Event()

    async def serve_nmea(stream):
        got_client.set()
        for line in lines:
            await stream.send_all(line)
        while True:  # a receiver standing still, keeping its connection open
            await stream.send_all(lines[last_move])
            await trio.sleep(0.2)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            lambda task_status: trio.serve_tcp(serve_nmea, 0, host="127.0.0.1",
                                               task_status=task_status))
        port = listeners[0].socket.getsockname()[1]
        daemon = NodeDaemon(DaemonConfig("gps-node", "127.0.0.1", 0, seed=3, workers=0,
                                         advertise=False, node=NodeConfig(beacon_interval=None),
                                         gps=f"tcp:127.0.0.1:{port}"))
        address = await nursery.start(daemon.serve)
        await got_client.wait()
        await daemon.wait_until(lambda: daemon.core.position is not None and tuple(
            round(x, 3) for x in daemon.core.position) == end, timeout=PATIENCE)
        outcome = await inject(address, WHERE, [], wait=True, timeout=PATIENCE)
        assert outcome.ok, outcome.error
        lat, lon, stale = outcome.value
        assert (lat, lon) == end
        assert stale is False
        nursery.cancel_scope.cancel()
