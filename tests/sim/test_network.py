"""Node cores on the simulated radio: SMs migrate hop by hop in virtual time,
and the same seed gives the same run."""
from __future__ import annotations

import json

from sim import RandomWaypoint, Simulation, StaticPlacement, UnitDiskRadio
from sim.network import SimNetwork
from smvm.node import NodeConfig

WALK_UP = '''
def main():
    path = [node_id()]
    while True:
        higher = [n for n in read_tag("neighbors") if int(n) > int(node_id())]
        if not higher:
            return path
        sys_migrate(max(higher, key=int))
        path.append(node_id())
'''


def line_network(seed: int, loss: float = 0.0) -> tuple[Simulation, SimNetwork]:
    sim = Simulation(seed)
    radio = UnitDiskRadio(100.0, loss=loss, rng=sim.rng)
    placement = StaticPlacement([(80.0 * i, 0.0) for i in range(10)])
    net = SimNetwork(sim, radio, placement, NodeConfig(beacon_interval=1.0))
    for i in range(10):
        net.add_node(i)
    return sim, net


def test_an_sm_walks_a_line_of_nodes_hop_by_hop() -> None:
    sim, net = line_network(seed=1)
    net.inject(0, WALK_UP, at=2.5)  # after the first beacons
    sim.run(until=10.0)
    [record] = net.metrics.sms.values()
    assert record.result == [str(i) for i in range(10)]
    assert record.hops == 9 and record.ended_on == "9"
    assert 2.5 < record.ended_at < 3.0, "nine hops take milliseconds of virtual time"
    offers = sum(c["frames_out.Offer"] for c in net.counters().values() if "frames_out.Offer" in c)
    assert offers == 9


def run_mobile(seed: int) -> str:
    sim = Simulation(seed)
    radio = UnitDiskRadio(120.0, loss=0.1, rng=sim.rng)
    mobility = RandomWaypoint(12, (400.0, 400.0), (1.0, 10.0), 0.5, rng=sim.rng)
    net = SimNetwork(sim, radio, mobility, NodeConfig(beacon_interval=1.0))
    for i in range(12):
        net.add_node(i)
    for k in range(4):
        net.inject(k, WALK_UP, at=3.0 + k)
    sim.run(until=30.0)
    sms = {sm: (r.result, r.ended_at, r.hops, r.error) for sm, r in sorted(net.metrics.sms.items())}
    return json.dumps({"sms": sms, "counters": net.counters()}, sort_keys=True, default=repr)


def test_same_seed_same_run_different_seed_different_run() -> None:
    first, again, other = run_mobile(7), run_mobile(7), run_mobile(8)
    assert first == again
    assert first != other


def test_sm_execution_costs_virtual_time() -> None:
    busy = '''
def main():
    total = 0
    for i in range(200_000):
        total += i
    sys_migrate("1")
    return total
'''
    results = {}
    for spf in (0.0, 1e-6):
        sim = Simulation(3)
        radio = UnitDiskRadio(100.0, rng=sim.rng)
        net = SimNetwork(sim, radio, StaticPlacement([(0.0, 0.0), (50.0, 0.0)]),
                         NodeConfig(beacon_interval=1.0), seconds_per_fuel=spf)
        net.add_node(0)
        net.add_node(1)
        net.inject(0, busy, at=2.5)
        sim.run(until=5.0)
        [record] = net.metrics.sms.values()
        results[spf] = record.ended_at - record.injected_at
    # ~200,000 units at 1 us each: the hop leaves about 0.2 s later
    assert 0.19 < results[1e-6] - results[0.0] < 0.25


def test_receivers_of_a_broadcast_get_it_in_the_radios_order_and_at_its_times() -> None:
    """Receivers hearing a frame at the same time are served in one event; the
    order and times are the radio's, as with one event per receiver."""
    class Skewed(UnitDiskRadio):
        def broadcast(self, src, payload_len, now):
            out = super().broadcast(src, payload_len, now)
            # the second receiver hears it later than the first and third
            return [(n, t + (0.5 if k == 1 else 0.0)) for k, (n, t) in enumerate(out)]

    sim = Simulation(1)
    radio = Skewed(100.0)
    net = SimNetwork(sim, radio, StaticPlacement([(0.0, 0.0), (10.0, 0.0), (20.0, 0.0),
                                                  (30.0, 0.0)]), NodeConfig(beacon_interval=None))
    heard = []
    for i in range(4):
        core = net.add_node(i)
        core.receive = (lambda original, i: lambda d, link, now: (
            heard.append((now, i, link)), original(d, link, now)))(core.receive, i)
    net._transmit("0", "*", b"not a frame")
    sim.run()
    arrival = 0.001 + 11 * 8 / 2e6
    assert heard == [(arrival, 1, "0"), (arrival, 3, "0"), (arrival + 0.5, 2, "0")]
