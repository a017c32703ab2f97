"""The hottest spot and EZCab on node daemons in network namespaces: four
hosts on one bridge, each daemon started with its tags, shared tags and
actuators on the command line, the applications' bricks injected with
``smvm inject`` as a user would.

Needs root and iproute2 (CI runs as root); skipped elsewhere, saying why.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apps.ezcab import app as ezcab
from apps.hottest import app as hottest
from tests import netns
from tests.netns import sh, wait_until_listening

# one namespace test at a time under -n: each starts a daemon process per host,
# and they wait for real interfaces
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("netns")]

PORT = "4771"
READY = textwrap.dedent('''
    def main(count):
        """Wait until this node hears ``count`` neighbours."""
        while len(read_tag("neighbors")) < count:
            try:
                block_tag("never written", 0.2)
            except TagTimeout:
                pass
        return sorted(read_tag("neighbors"))
''')
READ_ALL = textwrap.dedent('''
    def main(nodes, name):
        """Visit each node (all are neighbours here) and read tag ``name``."""
        seen = {}
        for node in nodes:
            sys_migrate(node)
            seen[node] = read_tag(name) if has_tag(name) else None
        return seen
''')


@pytest.fixture
def lan():
    """Four namespaces ``h0..h3`` (10.232.0.1-4) on a bridge in a fifth."""
    tag = netns.prefix()
    switch = f"smvm{tag}sw"
    hosts = [f"smvm{tag}h{i}" for i in range(4)]
    with netns.namespaces([switch, *hosts]):
        sh("ip", "-n", switch, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", switch, "link", "set", "br0", "up")
        for i, ns in enumerate(hosts):
            sh("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", f"p{i}",
               "netns", switch)
            sh("ip", "-n", switch, "link", "set", f"p{i}", "master", "br0")
            sh("ip", "-n", switch, "link", "set", f"p{i}", "up")
            sh("ip", "-n", ns, "addr", "add", f"10.232.0.{i + 1}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
        yield hosts


class Daemons:
    """One ``smvm node`` per host; node ``i`` is ``str(i)`` on host ``i``."""

    def __init__(self, hosts: list[str], folder: Path):
        self.hosts, self.folder, self.processes = hosts, folder, []

    def start(self, options: list[list[str]]) -> None:
        for i, (ns, extra) in enumerate(zip(self.hosts, options)):
            peers = ",".join(f"10.232.0.{j + 1}:{PORT}" for j in range(len(self.hosts)) if j != i)
            log = open(self.folder / f"node{i}.log", "w")
            self.processes.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable, "-m", "apps.cli", "node", "--id",
                 str(i), "--port", PORT, "--peers", peers, *extra],
                stdout=log, stderr=subprocess.STDOUT))
        wait_until_listening({str(i): p for i, p in enumerate(self.processes)},
                             {str(i): self.folder / f"node{i}.log" for i in range(len(self.hosts))})
        for i in range(len(self.hosts)):
            done = self._inject(i, READY, [len(self.hosts) - 1], 60.0)
            assert done.returncode == 0, (done.stdout, done.stderr)
        # one SM tours every host first, so each daemon has met the others
        # (learned their keys) before the application's SMs move
        others = [str(i) for i in range(1, len(self.hosts))]
        assert self.inject(0, READ_ALL, [[*others, "0"], "never"])["error"] is None

    def inject(self, node: int, brick: str | Path, args: list, timeout: float = 60.0) -> dict:
        done = self._inject(node, brick, args, timeout)
        assert done.returncode in (0, 1), (done.stdout, done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _inject(self, node: int, brick: str | Path, args: list, timeout: float):
        path = Path(brick) if isinstance(brick, Path) else self.folder / f"brick{len(brick)}.py"
        if not isinstance(brick, Path):
            path.write_text(brick)
        return subprocess.run(
            ["ip", "netns", "exec", self.hosts[node], sys.executable, "-m", "apps.cli", "inject",
             str(path), *[json.dumps(a) for a in args], "--node", f"127.0.0.1:{PORT}", "--wait",
             "--timeout", str(timeout), "--json"],
            capture_output=True, text=True, timeout=timeout + 30)

    def inject_many(self, jobs: list[tuple[int, Path, list]], timeout: float = 60.0) -> list:
        """Start several injections at once (concurrent clients); their records."""
        running = [subprocess.Popen(
            ["ip", "netns", "exec", self.hosts[node], sys.executable, "-m", "apps.cli", "inject",
             str(brick), *[json.dumps(a) for a in args], "--node", f"127.0.0.1:{PORT}",
             "--wait", "--timeout", str(timeout), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for node, brick, args in jobs]
        out = []
        for process in running:
            stdout, stderr = process.communicate(timeout=timeout + 30)
            assert process.returncode in (0, 1), (stdout, stderr)
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out

    def logs(self, lines: int = 30) -> str:
        """The end of every daemon's log, for a failure's message."""
        return "\n".join(f"--- node{i}.log\n" + "\n".join(
            (self.folder / f"node{i}.log").read_text().splitlines()[-lines:])
            for i in range(len(self.hosts)))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def daemons(lan, tmp_path):
    group = Daemons(lan, tmp_path)
    yield group
    group.stop()


def test_hottest_spot_on_four_daemons(daemons) -> None:
    # the user's node between two hills, two sprinklers on the Left Hill, a
    # hotter one on the Right Hill that the program must leave alone (a
    # daemon's position is its --location LAT,LON: the program's plane)
    left = ["circle", 20.0, 20.0, 15.0]
    sprinkler = ["--tag", "Sprinkler=true", "--actuator", "water", "--tag", "water=false"]
    daemons.start([
        ["--location", "40,21", "--tag", "irrigation=true", "--actuator", "hottest_rounds"],
        ["--location", "15,18", *sprinkler, "--tag", "temp=31.5"],
        ["--location", "26,24", *sprinkler, "--tag", "temp=34.0"],
        ["--location", "60,20", *sprinkler, "--tag", "temp=41.0"],
    ])
    record = daemons.inject(0, hottest.BRICK, ["0", [40.0, 21.0], left, 2.0, 45.0, 20.0], timeout=120.0)
    assert record["error"] is None, (record, daemons.logs())
    result = record["result"]
    assert result["rounds"] >= 2, result                 # re-run by the level trigger
    last = result["last"]
    assert last["chosen"][0] == "2" and last["temp"] == 34.0
    assert sorted(last["readings"]) == [["1", 31.5], ["2", 34.0]]
    valves = daemons.inject(0, READ_ALL, [["1", "2", "3"], "water"])["result"]
    assert valves == {"1": False, "2": True, "3": False}


def test_ezcab_on_four_daemons_books_one_cab_for_two_clients_at_once(daemons) -> None:
    # clients on hosts 0 and 1, a relay on 2, one free cab on 3
    daemons.start([
        ["--location", "0,0"], ["--location", "0,4"], ["--location", "10,2"],
        ["--location", "20,2", "--shared-tag", "Taxi=true"],
    ])
    jobs = [(c, ezcab.BRICK, [f"r{c}", str(c), [0.0, 4.0 * c], 3, 40.0]) for c in (0, 1)]
    records = daemons.inject_many(jobs)
    assert all(r["error"] is None for r in records), (records, daemons.logs())
    booked = [r["result"] for r in records if r["result"]["booked"]]
    assert len(booked) == 1 and booked[0]["cab"] == "3", (records, daemons.logs())
    loser = next(r["result"] for r in records if not r["result"]["booked"])
    assert loser["tries"] >= 1
    # the cab carries the booking of the client that got it, and no Taxi sign
    cab = daemons.inject(2, READ_ALL, [["3"], "BookedBy"])["result"]
    assert cab == {"3": booked[0]["rid"]}
    assert daemons.inject(2, READ_ALL, [["3"], "Taxi"])["result"] == {"3": None}
