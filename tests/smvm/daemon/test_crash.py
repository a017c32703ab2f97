"""Daemons with a state directory, killed with SIGKILL and started again: an
SM in the middle of 300 hops completes with its whole path, ends once, and
leaves nothing in any journal; a blocked SM wakes on the restarted node."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import trio

from smvm.client import inject
from smvm.daemon import JOURNAL
from smvm.journal import Journal
from smvm.testing import free_udp_ports
from tests.patience import PATIENCE

pytestmark = pytest.mark.slow

CYCLE = textwrap.dedent('''
    def pause(seconds):
        try:
            block_tag("never written", seconds)
        except TagTimeout:
            pass

    def main(hops):
        path = [node_id()]
        order = {"A": "B", "B": "C", "C": "A"}
        while len(path) <= hops:
            if node_id() == "B":
                pause(0.03)            # B holds it most of the time: the kills hit it there
            try:
                sys_migrate(order[node_id()])
            except MigrationError:
                pause(0.1)             # B is down: try again
                continue
            path.append(node_id())
        return path
''')

WAITER = textwrap.dedent('''
    def main():
        while "B" not in read_tag("neighbors"):
            try:
                block_tag("never written", 0.1)
            except TagTimeout:
                pass
        sys_migrate("B")
        return [node_id(), block_tag("go", 120.0)]
''')

SETTER = 'def main():\n    create_tag("go", "now", None, {"others": "rw"})\n    return 1\n'


class Cluster:
    """Three daemons A, B, C in their own processes, all peers of each other."""

    def __init__(self, root: Path):
        self.root = root
        self.ports = dict(zip("ABC", free_udp_ports(3)))
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts: dict[str, int] = {name: 0 for name in "ABC"}

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def start(self, name: str) -> None:
        peers = ",".join(f"127.0.0.1:{p}" for n, p in self.ports.items() if n != name)
        state = self.root / name
        state.mkdir(exist_ok=True)
        self.starts[name] += 1
        out = open(self.log(name), "a")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "apps.cli", "node", "--id", name, "--host", "127.0.0.1",
             "--port", str(self.ports[name]), "--peers", peers, "--state-dir", str(state),
             "--log-level", "INFO"], stdout=out, stderr=subprocess.STDOUT)

    async def ready(self, name: str) -> None:
        marker = f"listening on 127.0.0.1:{self.ports[name]}"
        with trio.fail_after(PATIENCE):
            while self.log(name).read_text().count(marker) < self.starts[name]:
                await trio.sleep(0.02)

    async def holds(self, name: str, sm_id: bytes) -> None:
        """Wait until ``name`` journals the SM after its last start."""
        journal = self.root / name / JOURNAL
        start = journal.stat().st_size if journal.exists() else 0
        with trio.fail_after(PATIENCE):
            while sm_id not in (journal.read_bytes()[start:] if journal.exists() else b""):
                await trio.sleep(0.005)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def address(self, name: str) -> tuple[str, int]:
        return ("127.0.0.1", self.ports[name])

    def journaled(self, name: str) -> list[str]:
        """SMs left in a stopped node's journal."""
        return [k for k in Journal(self.root / name / JOURNAL).live if k.startswith("sm/")]


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    for name in "ABC":
        c.start(name)
    yield c
    c.stop()


async def test_an_sm_survives_its_node_being_killed_five_times(cluster) -> None:
    for name in "ABC":
        await cluster.ready(name)
    rng = random.Random(3)
    outcome = None

    async def run_sm():
        nonlocal outcome
        outcome = await inject(cluster.address("A"), CYCLE, [300], wait=True, timeout=2 * PATIENCE)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_sm)
        for _ in range(5):
            await cluster.holds("B", b"A/1")   # then die at a random moment
            await trio.sleep(rng.uniform(0.0, 0.04))
            assert outcome is None, "the SM must still be running when B dies"
            cluster.kill("B")
            await trio.sleep(rng.uniform(0.0, 0.3))
            cluster.start("B")
            await cluster.ready("B")
    assert outcome.ok, outcome.error
    assert outcome.value == [("A", "B", "C")[i % 3] for i in range(301)]
    cluster.stop()
    logs = "".join(cluster.log(n).read_text() for n in "ABC")
    assert logs.count(f"SM {outcome.sm_id} finished") == 1
    assert cluster.starts["B"] == 6
    recovered = cluster.log("B").read_text().count(f"recovered SM {outcome.sm_id}")
    assert recovered >= 3, "B held the SM when it died, at least three times"
    assert all(cluster.journaled(n) == [] for n in "ABC"), "no SM left in any journal"


async def test_a_blocked_sm_wakes_after_its_node_restarts(cluster) -> None:
    for name in "ABC":
        await cluster.ready(name)
    outcome = None

    async def run_sm():
        nonlocal outcome
        outcome = await inject(cluster.address("A"), WAITER, [], wait=True, timeout=PATIENCE)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_sm)
        journal = cluster.root / "B" / JOURNAL
        with trio.fail_after(PATIENCE):  # wait until B has journaled the SM as blocked
            while not (journal.exists() and b"blocked" in journal.read_bytes()):
                await trio.sleep(0.02)
        cluster.kill("B")
        cluster.start("B")
        await cluster.ready("B")
        assert "recovered SM" in cluster.log("B").read_text()
        setter = await inject(cluster.address("B"), SETTER, [], wait=True, timeout=PATIENCE)
        assert setter.ok
    assert outcome.ok, outcome.error
    assert outcome.value == ["B", "now"]



async def test_a_result_waiting_for_delivery_survives_its_holders_crash(cluster) -> None:
    """The SM ends on B while its origin A is down; B holds the result in its
    journal, is killed and restarted, and delivers it when A is back: A takes
    it once, and B's journal lets it go."""
    for name in "ABC":
        await cluster.ready(name)
    started = await inject(cluster.address("A"), WAITER, [], wait=False, timeout=PATIENCE)
    assert started.ok and started.sm_id == "A/1"
    journal = cluster.root / "B" / JOURNAL
    with trio.fail_after(PATIENCE):
        while not (journal.exists() and b"blocked" in journal.read_bytes()):
            await trio.sleep(0.02)
    cluster.kill("A")  # the result's way home is gone
    setter = await inject(cluster.address("B"), SETTER, [], wait=True, timeout=PATIENCE)
    assert setter.ok
    with trio.fail_after(PATIENCE):  # the SM ended on B: B holds its result
        while b"result/A/1" not in journal.read_bytes():
            await trio.sleep(0.02)
    cluster.kill("B")
    cluster.start("B")
    await cluster.ready("B")
    cluster.start("A")
    await cluster.ready("A")
    with trio.fail_after(PATIENCE):
        while "SM A/1 finished on B" not in cluster.log("A").read_text():
            await trio.sleep(0.05)
    cluster.stop()
    assert "recovered the result of SM A/1" in cluster.log("B").read_text()
    assert cluster.log("A").read_text().count("SM A/1 finished on B") == 1
    assert not [k for k in Journal(journal).live if k.startswith("result/")], \
        "the delivered result left B's journal"
