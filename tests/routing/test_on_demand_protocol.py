"""On-demand discovery's protocol, watched on the simulated network in virtual
time: the rings of the expanding ring search (how far each reaches, when each
starts), duplicate suppression per request, the application SM blocked on the
route tag while discovery SMs search, and route errors invalidating routes.

Each run records the trace (SM starts, arrivals, hops) and every node's tag
events; the assertions read those records, never the wall clock."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from sim import StaticPlacement
from smvm.compiler import brick_hash
from smvm.compiler._link import slim
from tagspace import Principal, TagCreated, TagDeleted, TagWritten, Woken

from ._graphs import bfs_hops, unit_disk
from .test_migrate import MOVE, RANGE, ROUTING, Moved, lattice, network, private, unit

SEARCH = '''
def main(target, timeout=None):
    try:
        hops = migrate(target, timeout)
    except RouteUnreachable:
        return ["unreachable", node_id()]
    except MigrationTimeout:
        return ["timeout", node_id()]
    return [node_id(), hops]
'''


class Watched:
    """A simulated network whose trace records and tag events are kept."""

    def __init__(self, mobility, seed: int = 3) -> None:
        self.sim, self.net = network(mobility, seed=seed)
        self.records: list[dict] = []
        self.net.trace = self.records.append
        self.tags: list[tuple[str, object]] = []
        for node, core in self.net.cores.items():
            core.tagspace.add_observer(lambda event, node=str(node): self.tags.append((node, event)))

    def started_by(self, parent: str) -> list[dict]:
        """The SMs ``parent`` started (its discovery SMs: one per ring)."""
        return [r for r in self.records if r["k"] == "start" and r.get("parent") == parent]

    def family_of(self, root: str) -> set[str]:
        """``root`` and every copy spawned from it, transitively."""
        children = defaultdict(list)
        for r in self.records:
            if r["k"] == "start" and r.get("parent"):
                children[r["parent"]].append(r["sm"])
        family, todo = set(), [root]
        while todo:
            sm = todo.pop()
            family.add(sm)
            todo.extend(children[sm])
        return family

    def reached(self, request: str) -> set[int]:
        """The nodes a request's copies marked as seen (a copy handled there)."""
        return {int(node) for node, event in self.tags if isinstance(event, TagCreated)
                and event.name == private("discovery_seen:" + request)}


def test_rings_grow_by_rfc_3561_and_wait_by_the_measured_hop_time(tmp_path: Path) -> None:
    """A target that is nowhere: TTL 1, 3, 5, 7 (TTL_START, TTL_INCREMENT,
    TTL_THRESHOLD), then NET_DIAMETER three times (RREQ_RETRIES = 2), each
    ring reaching exactly its TTL in hops; a ring waits
    2 * NODE_TRAVERSAL * (TTL + TIMEOUT_BUFFER), the first on the RFC's 40 ms
    (nothing measured yet), the later small rings on the hop time the node
    measured meanwhile; the network-wide ring's wait doubles on each retry."""
    positions = lattice(12, 2)  # two rows of twelve: eleven hops end to end
    run = Watched(StaticPlacement(positions))
    run.net.inject(0, unit(tmp_path, SEARCH), [{"node": "99"}], at=2.0)
    run.sim.run(until=60.0)
    [app] = run.net.metrics.sms
    assert run.net.metrics.sms[app].result == ["unreachable", "0"]

    rings = run.started_by(app)
    assert len(rings) == 7 and all(r["node"] == "0" for r in rings)
    hops = bfs_hops(unit_disk(positions, RANGE), 0)
    reach = [max(hops[n] for n in run.reached(f"0.{k}")) for k in range(1, 8)]
    assert reach == [1, 3, 5, 7, 11, 11, 11]  # 11: the whole network (TTL 35)

    starts = [r["t"] for r in rings] + [run.net.metrics.sms[app].ended_at]
    waits = [b - a for a, b in zip(starts, starts[1:])]
    per_hop = [wait / (2 * (ttl + 2)) for wait, ttl in zip(waits, (1, 3, 5, 7))]
    assert per_hop[0] == pytest.approx(0.04, abs=1e-6)  # NODE_TRAVERSAL_TIME by default
    # then the node's own measurement: a quiet hop (two least round trips), at least 10 ms
    assert 0.01 - 1e-6 <= per_hop[1] < 0.04
    assert per_hop[1] == pytest.approx(per_hop[2], abs=1e-6) == pytest.approx(per_hop[3], abs=1e-6)
    net_wide = waits[4:]
    assert net_wide[0] >= 2 * 0.04 * 35 - 1e-6  # NET_TRAVERSAL_TIME on at least 40 ms a hop
    assert net_wide[1] == pytest.approx(2 * net_wide[0], abs=1e-3)
    assert net_wide[2] == pytest.approx(4 * net_wide[0], abs=1e-3)


def test_each_node_handles_one_copy_of_each_request(tmp_path: Path) -> None:
    """Copies of one request meet on many nodes (several arrive at some);
    only the first is handled there: one seen mark and one set of forwarded
    copies per node and request."""
    run = Watched(StaticPlacement(lattice(6, 6)))
    run.net.inject(0, unit(tmp_path, SEARCH), [{"node": "99"}, 6.0], at=2.0)
    run.sim.run(until=20.0)
    [app] = run.net.metrics.sms
    assert run.net.metrics.sms[app].result == ["timeout", "0"]
    duplicates = 0
    for ring in run.started_by(app):
        family = run.family_of(ring["sm"])
        arrivals = Counter(r["node"] for r in run.records
                           if r["k"] == "arrive" and r["sm"] in family)
        duplicates += sum(n - 1 for n in arrivals.values())
        forwarders = defaultdict(set)  # node -> the copies that sent copies on from it
        for r in run.records:
            if r["k"] == "start" and r["sm"] in family and r["sm"] != ring["sm"]:
                forwarders[r["node"]].add(r["parent"])
        assert forwarders and all(len(copies) == 1 for copies in forwarders.values()), forwarders
    assert duplicates > 0, "the test needs copies meeting on a node"
    marks = Counter((node, e.name) for node, e in run.tags
                    if isinstance(e, (TagCreated, TagWritten)) and e.name.startswith(private("discovery_seen:")))
    assert marks and set(marks.values()) == {1}


def test_the_application_sm_blocks_on_the_route_tag_until_the_answer_writes_it(
        tmp_path: Path) -> None:
    """While discovery SMs search, the application SM stays on its node,
    blocked on ``@RouteTo<key>``; the answer's arrival writes the tag, which
    wakes it, and its first hop follows."""
    run = Watched(StaticPlacement(lattice(5, 5)))
    run.net.inject(0, unit(tmp_path, MOVE), [{"node": "24"}], at=2.0)
    run.sim.run(until=2.02)
    [app] = run.net.metrics.sms
    view = run.net.cores["0"].sm(app)
    assert view is not None and (view.state, view.tag) == ("blocked", "@RouteTonode:24")
    run.sim.run(until=30.0)
    assert run.net.metrics.sms[app].result == ["24", 4]
    [wake] = [e for node, e in run.tags if isinstance(e, Woken) and e.sm_id == app]
    assert wake.name == private("RouteTonode:24") and wake.cause in ("created", "written")
    # the answer (a discovery SM, not the application) wrote the route at the origin
    writes = [e for node, e in run.tags if node == "0" and e.name == private("RouteTonode:24")
              and isinstance(e, (TagCreated, TagWritten))]
    assert writes and writes[0].time == wake.time
    writer = writes[0].owner if isinstance(writes[0], TagCreated) else writes[0].by
    assert writer != app and writer in run.family_of(run.started_by(app)[-1]["sm"])
    first_hop = min(r["t0"] for r in run.records if r["k"] == "hop" and r["sm"] == app)
    assert first_hop >= round(wake.time, 6)  # trace times are kept to the microsecond


def test_a_route_error_invalidates_the_route_and_asks_for_a_fresher_one(tmp_path: Path) -> None:
    """A node on the route leaves. The SM that meets the broken link deletes
    the route there (keeping its length and sequence number), and searches
    from there once: a first ring of the lost length + TTL_INCREMENT, asking
    for a route fresher than the lost one, so the nodes behind it, whose
    routes run through the broken link, do not answer with them. The new
    route carries a higher number and the SM goes on without turning back."""
    source = unit(tmp_path, MOVE)

    def run(moving=None) -> tuple[Watched, str]:
        watched = Watched(Moved(lattice(7, 2), node=moving, at=20.0))
        watched.net.inject(0, source, [{"node": "6"}], at=2.0)
        watched.net.inject(0, source, [{"node": "6"}], at=25.0)
        watched.sim.run(until=30.0)  # before the marks of the route error expire
        return watched, sorted(watched.net.metrics.sms)[1]

    before, second = run()
    path = [node for _, node, *_ in before.net.metrics.sms[second].track]
    middle = next(node for node in path if int(node) % 7 == 3)
    broken_at = path[path.index(middle) - 1]
    lost_hops = len(path) - 1 - path.index(broken_at)

    after, second = run(moving=int(middle))
    record = after.net.metrics.sms[second]
    assert record.result[0] == "6"
    track = [node for _, node, *_ in record.track]
    assert len(track) == len(set(track)), f"the SM turned back: {track}"
    assert middle not in track and broken_at in track

    deleted = [e for node, e in after.tags if node == broken_at and isinstance(e, TagDeleted)
               and e.name == private("RouteTonode:6")]
    assert [e.by for e in deleted] == [second]
    [ring] = after.started_by(second)  # one search, from where the route broke
    assert ring["node"] == broken_at
    positions = [p for i, p in enumerate(lattice(7, 2)) if i != int(middle)]
    ids = [i for i in range(14) if i != int(middle)]
    graph = unit_disk(dict(zip(ids, positions)), RANGE)
    hops = bfs_hops(graph, int(broken_at))
    request = f"{broken_at}.1"
    reach = max(hops[n] for n in after.reached(request))
    assert reach == min(lost_hops + 2, max(hops.values()))  # TTL: the lost length + 2

    domain = Principal("observer", "observer", "observer",
                       frozenset({brick_hash(slim((ROUTING / "discovery.py").read_text()))}))
    space = after.net.cores[broken_at].tagspace
    lost = space.read(domain, "@RouteLostnode:6", after.sim.now)
    route = space.read(domain, "@RouteTonode:6", after.sim.now)
    assert lost[0] == lost_hops and route[2] > lost[1] >= 1
