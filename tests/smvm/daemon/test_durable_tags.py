"""Tags that SMs create are the node's memory: with a state directory they
survive a restart while their lifetime lasts; I/O tags and the node's own
command-line tags are not journaled."""
from __future__ import annotations

import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from tests.patience import PATIENCE

WRITER = '''
def main():
    create_tag("memory", {"seen": [1, 2.5, "x"], "t": (1, 2)}, None, {"others": "rw"})
    create_tag("brief", "gone soon", 0.2, {"others": "r"})
    create_tag("private", 7)
    write_tag("memory", {"seen": [1, 2.5, "x", "again"], "t": (1, 2)})
    return 1
'''

READER = '''
def main():
    out = [read_tag("memory"), has_tag("brief"), has_tag("private"), read_tag("label")]
    try:
        read_tag("private")
    except TagAccessError:
        out.append("denied")
    return out
'''


async def _run_once(state_dir: str, source: str, settle: float = 0.0):
    config = DaemonConfig("keeper", "127.0.0.1", 0, seed=5, workers=0, advertise=False,
                          node=NodeConfig(beacon_interval=None), state_dir=state_dir,
                          tags={"label": "node tag"})
    daemon = NodeDaemon(config)
    async with trio.open_nursery() as nursery:
        address = await nursery.start(daemon.serve)
        outcome = await inject(address, source, [], wait=True, timeout=PATIENCE)
        await trio.sleep(settle)
        nursery.cancel_scope.cancel()
    return outcome


async def test_tags_created_by_sms_survive_a_restart_while_they_live(tmp_path) -> None:
    wrote = await _run_once(str(tmp_path), WRITER, settle=0.3)  # "brief" expires meanwhile
    assert wrote.ok, wrote.error
    read = await _run_once(str(tmp_path), READER)
    assert read.ok, read.error
    assert read.value == [{"seen": [1, 2.5, "x", "again"], "t": (1, 2)}, False, True,
                          "node tag", "denied"]
