"""Three hosts in network namespaces joined by veth links (n1 - n2 - n3): an
SM injected at n1 tours the line across real interfaces and comes back.

Needs root and iproute2 (CI runs as root); skipped elsewhere, saying why.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests import netns
from tests.netns import sh, wait_until_listening

# one namespace test at a time under -n: each starts a daemon process per host,
# and they wait for real interfaces
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("netns")]

TOUR = textwrap.dedent('''
    def wait_for(target):
        while target not in read_tag("neighbors"):
            try:
                block_tag("never written", 0.2)
            except TagTimeout:
                pass

    def main(route):
        seen = [node_id()]
        for target in route:
            wait_for(target)
            sys_migrate(target)
            seen.append(node_id())
        return seen
''')


@pytest.fixture
def line_of_hosts():
    tag = netns.prefix()
    names = [f"smvm{tag}n{i}" for i in (1, 2, 3)]
    links = [(f"s{tag}a12", f"s{tag}b12"), (f"s{tag}a23", f"s{tag}b23")]
    with netns.namespaces(names):
        (a12, b12), (a23, b23) = links
        sh("ip", "link", "add", a12, "netns", names[0], "type", "veth", "peer", b12, "netns", names[1])
        sh("ip", "link", "add", a23, "netns", names[1], "type", "veth", "peer", b23, "netns", names[2])
        for ns, dev, addr in ((names[0], a12, "10.231.12.1/24"), (names[1], b12, "10.231.12.2/24"),
                              (names[1], a23, "10.231.23.2/24"), (names[2], b23, "10.231.23.3/24")):
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        yield names


def test_an_sm_tours_three_hosts_across_real_interfaces(line_of_hosts, tmp_path) -> None:
    n1, n2, n3 = line_of_hosts
    peers = {n1: "10.231.12.2:4771", n2: "10.231.12.1:4771,10.231.23.3:4771",
             n3: "10.231.23.2:4771"}
    daemons = []
    try:
        for node_id, ns in (("n1", n1), ("n2", n2), ("n3", n3)):
            log = open(tmp_path / f"{node_id}.log", "w")
            daemons.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable, "-m", "apps.cli", "node", "--id",
                 node_id, "--port", "4771", "--peers", peers[ns], "--log-level", "INFO"],
                stdout=log, stderr=subprocess.STDOUT))
        # inject reports a port nobody listens on at once: wait until all three listen
        wait_until_listening(dict(zip(("n1", "n2", "n3"), daemons)),
                             {n: tmp_path / f"{n}.log" for n in ("n1", "n2", "n3")})
        brick = tmp_path / "tour.py"
        brick.write_text(TOUR)
        done = subprocess.run(
            ["ip", "netns", "exec", n1, sys.executable, "-m", "apps.cli", "inject", str(brick),
             json.dumps(["n2", "n3", "n2", "n1"]), "--node", "127.0.0.1:4771", "--wait",
             "--timeout", "40", "--json"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (done.stdout, done.stderr)
        record = json.loads(done.stdout.strip().splitlines()[-1])
        assert record["error"] is None
        assert record["result"] == ["n1", "n2", "n3", "n2", "n1"]
    finally:
        for process in daemons:
            process.terminate()
        for process in daemons:
            try:
                assert process.wait(timeout=10) == 0, "a daemon did not stop cleanly on SIGTERM"
            except subprocess.TimeoutExpired:
                process.kill()
                raise
