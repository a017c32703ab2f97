"""Same seed, same run: a kernel + mobility + lossy radio flooding scenario, traced."""
from __future__ import annotations

from sim import ManhattanGrid, RandomWaypoint, Simulation, UnitDiskRadio


def flood_trace(seed: int, model_kind: str) -> list:
    sim = Simulation(seed)
    if model_kind == "rwp":
        model = RandomWaypoint(40, area=(800, 800), speed=(2, 15), pause=(0, 5), rng=sim.rng)
    else:
        model = ManhattanGrid(40, blocks=(5, 5), block=160, speed=(5, 15), rng=sim.rng)
    radio = UnitDiskRadio(180, loss=0.2, bandwidth_bps=1e6, delay_s=0.002, rng=sim.rng)
    for n in model.nodes:
        radio.attach(n, lambda t, n=n: model.position(n, t), lambda t, n=n: model.next_change(n, t))
    trace = []
    seen: set = set()

    def receive(node, msg):
        trace.append((round(sim.now, 9), node, msg))
        if (node, msg) in seen:
            return
        seen.add((node, msg))
        sim.schedule(sim.rng.uniform(0, 0.01), send, node, msg)

    def send(node, msg):
        for dst, arrival in radio.broadcast(node, 200, sim.now):
            sim.schedule_at(arrival, receive, dst, msg)

    for k in range(8):
        sim.schedule(k * 30.0, receive, sim.rng.choice(model.nodes), k)
    sim.run(until=400)
    return trace + [radio.stats]


def test_same_seed_identical_trace():
    for kind in ("rwp", "manhattan"):
        a, b = flood_trace(3, kind), flood_trace(3, kind)
        assert len(a) > 100
        assert a == b


def test_different_seeds_differ():
    for kind in ("rwp", "manhattan"):
        assert flood_trace(3, kind) != flood_trace(4, kind)
