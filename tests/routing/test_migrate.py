"""The routing bricks as SMs really use them: linked into an SM's brick, run on
the simulated network. On-demand discovery, route reuse, route errors on a
moved node, content-based migrate("Taxi"), and geographic + on-demand."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sim import Simulation, StaticPlacement, UnitDiskRadio
from sim.network import SimNetwork
from smvm.compiler import brick_hash, load_brick
from smvm.compiler._link import slim
from smvm.node import NodeConfig

ROUTING = Path(__file__).resolve().parents[2] / "routing" / "bricks"
SPACING, RANGE = 60.0, 100.0


def private(name: str) -> str:
    """The stored name of the discovery brick's private tag ``@name``."""
    return "@" + brick_hash(slim((ROUTING / "discovery.py").read_text(encoding="utf-8"))) + ":" + name  # a lattice: 8 neighbours inside, diagonals in range


class Moved(StaticPlacement):
    """A lattice where one node jumps far away at a given time."""

    def __init__(self, positions, node, at: float, to=(5000.0, 5000.0)):
        super().__init__(positions)
        self.node, self.at, self.to = node, at, to

    def position(self, node, t):
        if node == self.node and t >= self.at:
            return self.to
        return super().position(node, t)

    def next_change(self, node, t):
        return self.at if node == self.node and t < self.at else float("inf")


def lattice(cols: int, rows: int) -> list[tuple[float, float]]:
    return [(SPACING * (i % cols), SPACING * (i // cols)) for i in range(cols * rows)]


def unit(tmp_path: Path, body: str) -> str:
    path = tmp_path / "mover.py"
    path.write_text("from routing.migrate import migrate\n\n" + body, encoding="utf-8")
    return load_brick(path)


MOVE = '''
def main(target, timeout=None, near=None):
    try:
        hops = migrate(target, timeout, None, near)
    except MigrationTimeout:
        return ["timeout", node_id()]
    return [node_id(), hops]
'''


def network(mobility, tags=None, seed=3):
    sim = Simulation(seed)
    net = SimNetwork(sim, UnitDiskRadio(RANGE, rng=sim.rng), mobility,
                     NodeConfig(beacon_interval=0.5, neighbor_timeout=1.6))
    for node in mobility.nodes:
        net.add_node(node, (tags or {}).get(node))
    return sim, net


def frames_sent(net) -> int:
    total = Counter()
    for counters in net.counters().values():
        total.update({k: v for k, v in counters.items()
                      if k.startswith("frames_out.") and k != "frames_out.Beacon"})
    return sum(total.values())


def result(net, sm):
    rec = net.metrics.sms[sm]
    assert rec.error is None, rec.error
    return rec.result


def test_on_demand_discovers_a_route_and_a_second_sm_reuses_it(tmp_path: Path) -> None:
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(5, 5)))
    net.inject(0, source, [{"node": "24"}], at=2.0)
    sim.run(until=30.0)
    first_frames = frames_sent(net)
    [first] = net.metrics.sms
    assert result(net, first) == ["24", 4]  # the diagonal: four hops
    net.inject(0, source, [{"node": "24"}], at=31.0)
    sim.run(until=60.0)
    second = next(sm for sm in net.metrics.sms if sm != first)
    assert result(net, second) == ["24", 4]
    reuse_frames = frames_sent(net) - first_frames
    # no flood: the second SM follows the route tags, four hops of four frames
    assert reuse_frames <= 4 * 4 < first_frames / 5
    # and it took no discovery time: hops of milliseconds
    rec = net.metrics.sms[second]
    assert rec.ended_at - rec.injected_at < 0.5


def test_a_moved_node_breaks_the_route_and_the_sm_rediscovers(tmp_path: Path) -> None:
    source = unit(tmp_path, MOVE)

    def run(moving=None):
        # two rows of seven: six hops end to end, two ways through each column
        sim, net = network(Moved(lattice(7, 2), node=moving, at=20.0))
        net.inject(0, source, [{"node": "6"}], at=2.0)
        net.inject(0, source, [{"node": "6"}], at=25.0)
        sim.run(until=60.0)
        first, second = (net.metrics.sms[sm] for sm in sorted(net.metrics.sms))
        return net, first, second

    net, first, second = run()
    assert first.result == ["6", 6] and second.result == ["6", 6]
    reuse_time = second.ended_at - second.injected_at
    path = [node for _, node, *_ in first.track]
    assert [node for _, node, *_ in second.track] == path, "the second SM reuses the route"
    # now the route's node in the middle column leaves before the second SM
    middle = next(node for node in path if int(node) % 7 == 3)
    net, first, second = run(moving=int(middle))
    assert [node for _, node, *_ in first.track] == path  # same seed, same first run
    assert second.error is None and second.result[0] == "6"
    detour = [node for _, node, *_ in second.track]
    assert middle not in detour, "the new route avoids the node that left"
    # the route error cost a new discovery from where the route broke; reuse did not
    assert second.ended_at - second.injected_at > reuse_time
    assert [node for node, core in net.cores.items()
            if node != "0" and core.tagspace.exists(private("discovery_seq"), 60.0)]


def test_route_tags_belong_to_the_routing_brick_alone(tmp_path: Path) -> None:
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(3, 1)))
    net.inject(0, source, [{"node": "2"}], at=2.0)
    sim.run(until=20.0)
    discovery = brick_hash(slim((ROUTING / "discovery.py").read_text(encoding="utf-8")))
    info = net.cores["1"].tagspace.info(private("RouteTonode:2"), sim.now)
    assert info.code == frozenset({discovery}) and info.access.code == "rw"
    assert info.access.others == ""
    assert not net.cores["1"].tagspace.exists("RouteTonode:2", sim.now)  # a public name: free


def test_discovery_is_a_small_sm_of_its_own_in_expanding_rings(tmp_path: Path) -> None:
    """The flood carries the discovery brick alone: nodes it reached but the
    application SM never visited hold that brick and not the application's.
    A target four hops away is found within the rings up to TTL_THRESHOLD
    (TTL 1, 3, 5, 7), with no flood of the whole network (TTL 35)."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(5, 5)))
    net.inject(0, source, [{"node": "24"}], at=2.0)
    sim.run(until=10.0)
    [sm] = net.metrics.sms
    assert result(net, sm) == ["24", 4]
    discovery = brick_hash(slim((ROUTING / "discovery.py").read_text(encoding="utf-8")))
    visited = {node for _, node, *_ in net.metrics.sms[sm].track}
    flooded = [core for node, core in net.cores.items()
               if node not in visited and discovery in core.cache]
    assert flooded and all(brick_hash(source) not in core.cache for core in flooded)
    assert net.cores["0"].tagspace.exists(private("discovery_seq"), sim.now)
    rings = [name for name in net.cores["0"].tagspace.names(sim.now)
             if name.startswith(private("discovery_seen:"))]
    assert sorted(rings)[:3] == [private("discovery_seen:0.1"), private("discovery_seen:0.2"),
                                 private("discovery_seen:0.3")]
    assert len(rings) <= 4


def test_content_based_migrate_reaches_the_nearest_taxi(tmp_path: Path) -> None:
    source = unit(tmp_path, MOVE)
    taxis = {2: {"Taxi": True}, 24: {"Taxi": True}}  # two and four hops from 0
    sim, net = network(StaticPlacement(lattice(5, 5)), taxis)
    net.inject(0, source, ["Taxi"], at=2.0)
    sim.run(until=30.0)
    [sm] = net.metrics.sms
    assert result(net, sm) == ["2", 2]


def test_content_based_migrate_times_out_cleanly_when_there_is_no_taxi(tmp_path: Path) -> None:
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(4, 4)))
    net.inject(5, source, ["Taxi", 4.0], at=2.0)
    sim.run(until=60.0)
    [sm] = net.metrics.sms
    rec = net.metrics.sms[sm]
    assert result(net, sm) == ["timeout", "5"]  # caught by the SM, which stayed put
    assert 6.0 <= rec.ended_at <= 6.5


@pytest.mark.parametrize("near, expect_geo", [((240.0, 240.0), True), (None, False)])
def test_geographic_then_on_demand(tmp_path: Path, near, expect_geo: bool) -> None:
    """With the target's last known place, the SM goes there by GPSR and needs
    no discovery; without it, it floods."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(5, 5)))
    net.inject(0, source, [{"node": "24"}, None, None if near is None else list(near)], at=2.0)
    sim.run(until=30.0)
    [sm] = net.metrics.sms
    assert result(net, sm)[0] == "24"
    discoveries = sum(core.tagspace.exists(private("discovery_seq"), sim.now) for core in net.cores.values())
    assert discoveries == (0 if expect_geo else 1)


def test_geographic_leg_falls_back_to_on_demand_when_the_target_moved(tmp_path: Path) -> None:
    """The last known location is stale: GPSR ends at the node nearest to it,
    which is not the target, so the SM switches to on-demand."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(5, 5)))
    net.inject(0, source, [{"node": "20"}, None, [240.0, 240.0]], at=2.0)
    sim.run(until=30.0)
    [sm] = net.metrics.sms
    assert result(net, sm)[0] == "20"
    track = [node for _, node, *_ in net.metrics.sms[sm].track]
    assert "24" in track  # went to the stale location first
    assert net.cores["24"].tagspace.exists(private("discovery_seq"), sim.now)  # and discovered from there


def test_migrate_to_a_place_ends_at_the_nearest_node_or_within_a_radius(tmp_path: Path) -> None:
    source = unit(tmp_path, '''
def main(place, radius=None):
    try:
        hops = migrate(place, 20.0, radius)
    except RouteUnreachable:
        return ["unreachable", node_id()]
    return [node_id(), hops]
''')
    sim, net = network(StaticPlacement(lattice(5, 5)))
    net.inject(0, source, [[170.0, 235.0]], at=2.0)          # nearest: node 23 at (180, 240)
    net.inject(0, source, [[170.0, 235.0], 1.0], at=10.0)    # nobody within 1 m
    net.inject(0, source, [[170.0, 235.0], 30.0], at=20.0)   # node 23 is 11 m away
    sim.run(until=40.0)
    nearest, none_within, within = (net.metrics.sms[sm].result for sm in sorted(net.metrics.sms))
    assert nearest[0] == "23" and none_within[0] == "unreachable" and within[0] == "23"
