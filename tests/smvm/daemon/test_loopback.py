"""Three node daemons on loopback: an SM injected at the first visits all
three over real UDP and comes back with their ids."""
from __future__ import annotations

import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from smvm.testing import hear_each_other, start_daemons
from tests.daemons import beaconing, start_mesh
from tests.patience import PATIENCE

TOUR = '''
def main(order):
    seen = [node_id()]
    for target in order:
        sys_migrate(target)
        seen.append(node_id())
    return seen
'''


async def test_an_sm_tours_three_daemons_and_comes_back() -> None:
    async with trio.open_nursery() as nursery:
        daemons, addresses = await start_mesh(nursery, ["n1", "n2", "n3"])
        outcome = await inject(addresses[0], TOUR, [["n2", "n3", "n1"]], wait=True,
                               timeout=PATIENCE)
        assert outcome.ok, outcome.error
        assert outcome.value == ["n1", "n2", "n3", "n1"]
        record = outcome.to_json()
        assert (record["node"], record["hops"]) == ("n1", 3)
        assert record["bytes"] > 0 and record["fuel"] > 0 and record["sm"] == outcome.sm_id
        # each arrival was admitted once (acks may still be in flight)
        assert sum(d.core.counters["sms_admitted"] for d in daemons) == 3
        nursery.cancel_scope.cancel()


async def test_the_result_comes_back_from_where_the_sm_ended() -> None:
    async with trio.open_nursery() as nursery:
        daemons, addresses = await start_mesh(nursery, ["a", "b", "c"])
        outcome = await inject(addresses[0], TOUR, [["b", "c"]], wait=True, timeout=PATIENCE)
        assert outcome.ok and outcome.value == ["a", "b", "c"]
        failing = "def main():\n    sys_migrate('b')\n    return 1 / 0\n"
        outcome = await inject(addresses[0], failing, [], wait=True, timeout=PATIENCE)
        assert not outcome.ok
        assert outcome.error["type"] == "ZeroDivisionError" and outcome.error["line"] == 3
        assert (outcome.trip["node"], outcome.trip["hops"]) == ("b", 1), "it ended on b"
        nursery.cancel_scope.cancel()


async def test_bad_bricks_are_refused_with_their_errors() -> None:
    async with trio.open_nursery() as nursery:
        daemons, addresses = await start_mesh(nursery, ["x"])
        outcome = await inject(addresses[0], "import os\n", [], wait=True, timeout=PATIENCE)
        assert not outcome.ok and outcome.error["type"] == "CompileError"
        assert "import of 'os' is not allowed" in outcome.error["message"]
        nursery.cancel_scope.cancel()


async def test_the_code_cache_survives_a_restart_in_the_state_dir(tmp_path) -> None:
    async def run_once() -> tuple[int, int]:
        config = DaemonConfig("keeper", "127.0.0.1", 0, seed=5, workers=0, advertise=False,
                              node=NodeConfig(beacon_interval=None), state_dir=str(tmp_path))
        daemon = NodeDaemon(config)
        cached_at_start = len(daemon.core.cache)
        async with trio.open_nursery() as nursery:
            address = await nursery.start(daemon.serve)
            outcome = await inject(address, TOUR, [[]], wait=True, timeout=PATIENCE)
            assert outcome.ok and outcome.value == ["keeper"]
            nursery.cancel_scope.cancel()
        return cached_at_start, len(daemon.core.cache)

    assert await run_once() == (0, 1)
    assert await run_once() == (1, 1), "the brick was loaded back, checked against its hash"
    (tmp_path / "bricks" / ("0" * 64 + ".py")).write_text("def main():\n    return 1\n")
    assert (await run_once())[0] == 1, "a stored brick that does not match its name is ignored"


async def test_on_demand_routing_across_daemons_and_the_result_walks_back(tmp_path) -> None:
    """a - b - c, with no link between a and c: an SM with the routing bricks
    finds c by on-demand discovery over real UDP, and its result comes back to
    a through b (c cannot reach a directly)."""
    from smvm.compiler import load_brick

    (tmp_path / "to_c.py").write_text(
        "from routing.migrate import migrate\n\n"
        "def main(target):\n"
        "    hops = migrate({'node': target}, 120.0)\n"
        "    return [node_id(), hops]\n", encoding="utf-8")
    ids = ["a", "b", "c"]
    async with trio.open_nursery() as nursery:
        line = [(0, 1), (1, 2)]
        daemons = await start_daemons(nursery, beaconing(ids), line)
        await hear_each_other(daemons, line, timeout=PATIENCE)
        outcome = await inject(daemons[0].address, load_brick(tmp_path / "to_c.py"), ["c"],
                               wait=True, timeout=PATIENCE)
        assert outcome.ok, outcome.error
        assert outcome.value == ["c", 2]
        assert daemons[1].core.counters["results_forwarded"] == 1
        nursery.cancel_scope.cancel()
