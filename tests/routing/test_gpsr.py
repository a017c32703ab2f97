"""GPSR brick (routing/bricks/gpsr.py): the SM-language check, Gabriel
planarisation, hand-traced routes, properties on random unit-disk graphs,
``geo_route`` against stub primitives, and one run through the simulator."""
from __future__ import annotations

import ast
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import Simulation, StaticPlacement, UnitDiskRadio
from sim.network import SimNetwork
from apps.cli import main as smvm_main
from smvm.compiler import compile_brick
from smvm.errors import MigrationTimeout, RouteUnreachable
from smvm.node import NodeConfig

from ._graphs import (BRICK, Graph, StubWorld, bfs_hops, components, load_gpsr, nearest,
                      random_unit_disk, range_for_degree, route, unit_disk)

GPSR = load_gpsr()
SOURCE = BRICK.read_text(encoding="utf-8")
PROPS = settings(derandomize=True, deadline=None, database=None)


# ---- the brick is valid SM code and links cleanly --------------------------------

def test_brick_compiles_in_the_sm_language(capsys) -> None:
    compile_brick(SOURCE, "routing/bricks/gpsr.py")
    assert smvm_main(["check", str(BRICK)]) == 0


def test_top_level_names_are_prefixed_for_linking() -> None:
    tree = ast.parse(SOURCE)
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        else:
            raise AssertionError(f"unexpected top-level statement at line {node.lineno}")
    assert "geo_route" in names and "gpsr_step" in names and "gpsr_gabriel" in names
    assert all(n == "geo_route" or n.startswith("gpsr_") for n in names), names


# ---- Gabriel planarisation ---------------------------------------------------------

def gabriel_brute(pos, nbrs, closed=False):
    """Edge kept iff no other neighbour is strictly inside (or, closed, on) the
    circle on pos-v; with integer coordinates: |2w - u - v|^2 vs |u - v|^2, exact."""
    kept = []
    for v, pv in nbrs.items():
        diam = (pos[0] - pv[0]) ** 2 + (pos[1] - pv[1]) ** 2
        ok = True
        for w, pw in nbrs.items():
            if w == v or tuple(pw) in (tuple(pos), tuple(pv)):
                continue
            c = (2 * pw[0] - pos[0] - pv[0]) ** 2 + (2 * pw[1] - pos[1] - pv[1]) ** 2
            if c < diam or (closed and c == diam):
                ok = False
        if ok:
            kept.append(v)
    return sorted(kept)


def test_gabriel_hand_cases() -> None:
    gabriel = GPSR["gpsr_gabriel"]
    # w at (1, 0.5) is inside the circle on (0,0)-(2,0): that edge goes
    assert gabriel([0, 0], {"v": [2, 0], "w": [1, 0.5]}) == ["w"]
    # w exactly on the circle: kept by the strict rule, dropped by the closed one
    assert gabriel([0, 0], {"v": [2, 0], "w": [1, 1]}) == ["v", "w"]
    assert gabriel([0, 0], {"v": [2, 0], "w": [1, 1]}, closed=True) == ["w"]
    # outside the circle: both stay
    assert gabriel([0, 0], {"v": [2, 0], "w": [1, 1.2]}) == ["v", "w"]
    assert gabriel([0, 0], {}) == []


@settings(PROPS, max_examples=60)
@given(st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), min_size=0, max_size=14),
       st.tuples(st.integers(-6, 6), st.integers(-6, 6)), st.booleans())
def test_gabriel_matches_brute_force(points, pos, closed) -> None:
    nbrs = {i: list(p) for i, p in enumerate(points) if p != pos}
    assert GPSR["gpsr_gabriel"](list(pos), nbrs, closed) == gabriel_brute(pos, nbrs, closed)


def crossing_pairs(g: Graph, closed: bool) -> list:
    """Pairs of kept edges that cross at a point inside both."""
    def orient(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    edges = {tuple(sorted((u, v))) for u in g.pos
             for v in GPSR["gpsr_gabriel"](g.pos[u], g.neighbor_positions(u), closed)}
    out = []
    edges = sorted(edges)
    for i, (a, b) in enumerate(edges):
        for c, d in edges[i + 1:]:
            pa, pb, pc, pd = (g.pos[x] for x in (a, b, c, d))
            if (orient(pa, pb, pc) * orient(pa, pb, pd) < 0
                    and orient(pc, pd, pa) * orient(pc, pd, pb) < 0):
                out.append(((a, b), (c, d)))
    return out


def test_strict_gabriel_is_not_planar_on_a_lattice_the_closed_one_is() -> None:
    # squares with both diagonals in range: each diagonal has the other two
    # corners exactly on its circle, so the strict rule keeps crossing edges
    g = unit_disk(StaticPlacement.grid(3, 3, 10.0)._pos, 15.0)
    assert crossing_pairs(g, closed=False)
    assert crossing_pairs(g, closed=True) == []


@settings(PROPS, max_examples=40)
@given(st.integers(0, 10**6), st.integers(5, 40), st.booleans())
def test_planarised_graph_is_planar_symmetric_and_keeps_connectivity(seed, n, lattice) -> None:
    rng = random.Random(seed)
    if lattice:
        g = unit_disk([(rng.randint(0, 6), rng.randint(0, 6)) for _ in range(n)],
                      rng.choice([1.0, 1.5, 2.0, 2.9]))
    else:
        g = random_unit_disk(n, 100.0, rng.uniform(15, 45), seed)
    assert crossing_pairs(g, closed=True) == []
    # the planar subgraph the routing uses (co-located nodes merged) is
    # symmetric and keeps every component connected
    view, kept = GPSR["gpsr_view"], GPSR["gpsr_kept"]
    links = {u: set() for u in g.pos}
    for u in g.pos:
        rep_u, nb = view(u, list(g.pos[u]), g.neighbor_positions(u))
        for v in nb:
            if kept(list(g.pos[u]), v, nb, True):
                _, nb_v = view(v, list(g.pos[v]), g.neighbor_positions(v))
                assert kept(list(g.pos[v]), rep_u, nb_v, True), (u, v)
                links[u].add(v)
                links[v].add(u)
        for w in g.adj[u]:
            if g.pos[w] == g.pos[u]:
                links[u].add(w)
    merged = Graph(g.pos, g.range, {u: sorted(links[u]) for u in g.pos})
    assert sorted(map(sorted, components(merged))) == sorted(map(sorted, components(g)))


# ---- hand-traced routes ------------------------------------------------------------

def test_greedy_along_a_line() -> None:
    g = unit_disk([(10.0 * i, 0.0) for i in range(10)], 15.0)
    walk = route(GPSR, g, 0, (90.0, 0.0))
    assert walk.outcome == "arrive" and walk.path == list(range(10)) and not walk.perimeter
    # longer range: greedy jumps to the neighbour closest to the destination
    g = unit_disk([(10.0 * i, 0.0) for i in range(10)], 25.0)
    assert route(GPSR, g, 0, (90.0, 0.0)).path == [0, 2, 4, 6, 8, 9]


#   y=3   o  o  o  o  o        Range 1.2 on a unit lattice: only the four
#   y=2   o              o     axis neighbours are linked. Greedy from S
#   y=1   o              o     reaches S itself, a dead end (3,0 missing),
#   y=0   o  o  S        D     perimeter mode goes left and, by the
#   y=-1  o  o  o  o  o        right-hand rule, round the top.
VOID = ([(0, 0), (1, 0), (2, 0), (4, 0)]
        + [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3), (3, 3), (4, 3), (4, 2), (4, 1)]
        + [(0, -1), (1, -1), (2, -1), (3, -1), (4, -1)])


def void_graph(scale: float = 1.0) -> Graph:
    return unit_disk({f"{x},{y}": (x * scale, y * scale) for x, y in VOID}, 1.2 * scale)


def test_void_needs_perimeter_mode_and_follows_the_right_hand_rule() -> None:
    g = void_graph()
    walk = route(GPSR, g, "2,0", (4.0, 0.0))
    assert walk.outcome == "arrive" and walk.perimeter
    assert walk.path == ["2,0", "1,0", "0,0", "0,1", "0,2", "0,3", "1,3", "2,3", "3,3",
                         "4,3", "4,2", "4,1", "4,0"]
    assert bfs_hops(g, "2,0")["4,0"] == 4  # the way below is shorter; GPSR cannot know


def test_unreachable_when_the_destination_is_in_another_component() -> None:
    g = unit_disk([(0, 0), (1, 0), (2, 0), (10, 0), (11, 0)], 1.2)
    walk = route(GPSR, g, 0, (10.0, 0.0), radius=0.0)
    # greedy to 2, then the tour of the only face: 2 -> 1 -> 0 -> 1 -> 2, back at the first edge
    assert walk.outcome == "unreachable" and walk.path == [0, 1, 2, 1, 0, 1, 2]
    # nearest-node semantics: the same tour, then node 2 is the closest there is
    walk = route(GPSR, g, 0, (10.0, 0.0), radius=None)
    assert walk.outcome == "arrive" and walk.path == [0, 1, 2, 1, 0, 1, 2]


#: twelve nodes exactly 5 m from the origin (integer coordinates, so the
#: distances tie exactly), ids 1..12 counterclockwise from (5, 0)
RING = [(5, 0), (4, 3), (3, 4), (0, 5), (-3, 4), (-4, 3), (-5, 0), (-4, -3), (-3, -4),
        (0, -5), (3, -4), (4, -3)]


def test_destination_enclosed_by_the_source_component_but_not_linked() -> None:
    g = unit_disk({0: (0, 0), **{i + 1: p for i, p in enumerate(RING)}}, 3.2)
    assert g.adj[0] == [] and all(len(g.adj[i]) == 2 for i in range(1, 13))
    walk = route(GPSR, g, 4, (0.0, 0.0), radius=0.0)
    # no neighbour is closer: perimeter mode tours the inner face once
    assert walk.outcome == "unreachable" and walk.perimeter
    assert walk.path == [4, 3, 2, 1, 12, 11, 10, 9, 8, 7, 6, 5, 4]
    # nearest node: all twelve tie at 5 m and the smallest id wins; after the
    # tour the SM goes back to it the shorter way (3 hops back, not 9 on)
    walk = route(GPSR, g, 4, (0.0, 0.0), radius=None)
    assert walk.outcome == "arrive"
    assert walk.path == [4, 3, 2, 1, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    walk = route(GPSR, g, 11, (0.0, 0.0), radius=None)
    assert walk.path == [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 12, 11, 12, 1]  # 2 hops back


def test_radius_stops_at_the_first_node_close_enough() -> None:
    g = unit_disk([(10.0 * i, 0.0) for i in range(10)], 15.0)
    walk = route(GPSR, g, 0, (95.0, 0.0), radius=25.0)
    assert walk.outcome == "arrive" and walk.end == 7
    assert route(GPSR, g, 0, (200.0, 0.0), radius=25.0).outcome == "unreachable"
    walk = route(GPSR, g, 0, (200.0, 0.0), radius=None)
    assert walk.outcome == "arrive" and walk.end == 9


def test_collinear_destination_beyond_an_edge_and_duplicates() -> None:
    # dest on the edge 0-1, nearer node 0: a local minimum whose face is the
    # edge itself; the tour (there and back) proves node 0 is the closest
    g = unit_disk([(0.0, 0.0), (4.0, 0.0)], 5.0)
    assert route(GPSR, g, 0, (1.0, 0.0), radius=None).path == [0, 1, 0]
    assert route(GPSR, g, 0, (1.0, 0.0), radius=0.0).outcome == "unreachable"
    # co-located nodes count as one; the SM may end on any of them
    g = unit_disk([(0, 0), (1, 0), (1, 0), (2, 0), (2, 0), (3, 0)], 1.0)
    walk = route(GPSR, g, 0, (3.0, 0.0))
    assert walk.outcome == "arrive" and walk.path == [0, 1, 3, 5]
    walk = route(GPSR, g, 2, (2.0, 0.0))
    assert walk.outcome == "arrive" and g.pos[walk.end] == (2.0, 0.0)
    walk = route(GPSR, g, 4, (0.0, 0.0))
    assert walk.outcome == "arrive" and walk.path == [4, 1, 0]


def test_step_leaves_the_given_state_alone() -> None:
    g = void_graph()
    state = None
    node = "2,0"
    for _ in range(3):
        action, nxt, new = GPSR["gpsr_step"](node, list(g.pos[node]), g.neighbor_positions(node),
                                             [4.0, 0.0], 0.0, state)
        if state is not None:
            snapshot = repr(state)
            GPSR["gpsr_step"](node, list(g.pos[node]), g.neighbor_positions(node),
                              [4.0, 0.0], 0.0, state)
            assert repr(state) == snapshot
        node, state = nxt, new


# ---- properties on random unit-disk graphs -----------------------------------------

def make_graph(seed: int, n: int, kind: str) -> Graph:
    rng = random.Random(seed)
    if kind == "lattice":          # collinear, co-circular and duplicate points galore
        k = rng.randint(2, 7)
        return unit_disk([(rng.randint(0, k), rng.randint(0, k)) for _ in range(n)],
                         rng.choice([1.0, 1.5, 2.0, 2.3]))
    if kind == "line":
        return unit_disk([(rng.randint(0, 30), 0) for _ in range(n)], rng.choice([1.0, 2.0, 3.5]))
    degree = {"sparse": 4.0, "medium": 8.0, "dense": 16.0}[kind]
    return random_unit_disk(n, 100.0, range_for_degree(n, 100.0, degree), seed)


KINDS = st.sampled_from(["sparse", "medium", "dense", "lattice", "line"])


@settings(PROPS, max_examples=60)
@given(st.integers(0, 10**9), st.integers(5, 60), KINDS)
def test_connected_pairs_are_delivered(seed, n, kind) -> None:
    g = make_graph(seed, n, kind)
    rng = random.Random(seed + 1)
    src = rng.randrange(n)
    dst = rng.choice(sorted(bfs_hops(g, src)))
    walk = route(GPSR, g, src, g.pos[dst], radius=0.0)
    assert walk.outcome == "arrive" and g.pos[walk.end] == g.pos[dst]


@settings(PROPS, max_examples=40)
@given(st.integers(0, 10**9), st.integers(5, 60), KINDS)
def test_a_destination_in_another_component_is_unreachable(seed, n, kind) -> None:
    g = make_graph(seed, n, kind)
    rng = random.Random(seed + 1)
    src = rng.randrange(n)
    mine = bfs_hops(g, src)
    others = [u for u in g.pos if u not in mine and g.pos[u] not in {g.pos[m] for m in mine}]
    if others:
        dest = g.pos[rng.choice(others)]
    else:                          # all linked: aim beyond everyone's reach
        dest = (max(x for x, _ in g.pos.values()) + 2 * g.range, 0.5)
    walk = route(GPSR, g, src, dest, radius=0.0)
    assert walk.outcome == "unreachable"
    assert set(walk.path) <= set(mine)


@settings(PROPS, max_examples=50)
@given(st.integers(0, 10**9), st.integers(5, 60), KINDS,
       st.sampled_from([None, None, 0.5, 5.0, 20.0]))
def test_any_point_reaches_the_closest_node_or_one_within_radius(seed, n, kind, radius) -> None:
    g = make_graph(seed, n, kind)
    rng = random.Random(seed + 2)
    src = rng.randrange(n)
    xs = [p[0] for p in g.pos.values()]
    ys = [p[1] for p in g.pos.values()]
    dest = (rng.uniform(min(xs) - 5, max(xs) + 5), rng.uniform(min(ys) - 5, max(ys) + 5))
    walk = route(GPSR, g, src, dest, radius=radius)
    best_d2, best = nearest(g, bfs_hops(g, src), dest)
    if radius is None:
        assert walk.outcome == "arrive" and g.pos[walk.end] == g.pos[best]
    elif best_d2 <= (radius + 1e-9) ** 2:
        end = g.pos[walk.end]
        assert walk.outcome == "arrive"
        assert (end[0] - dest[0]) ** 2 + (end[1] - dest[1]) ** 2 <= (radius + 1e-9) ** 2
    else:
        assert walk.outcome == "unreachable"


@settings(PROPS, max_examples=30)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=25), st.integers(0, 12),
       st.sampled_from([0.0, None]))
def test_collinear_and_duplicate_points(xs, target, radius) -> None:
    # every node on one line, many on the same spot, dest on the line too
    g = unit_disk([(float(x), 2.0 * x) for x in xs], 2.5)
    dest = (float(target), 2.0 * target)
    walk = route(GPSR, g, 0, dest, radius=radius)
    best_d2, best = nearest(g, bfs_hops(g, 0), dest)
    if radius is None or best_d2 == 0:
        assert walk.outcome == "arrive" and g.pos[walk.end] == g.pos[best]
    else:
        assert walk.outcome == "unreachable"


def test_seeded_sweep_of_graphs_points_and_radii() -> None:
    """Many more cases than the hypothesis budget, still a second or two:
    every walk ends without a loop, at the right node or proving unreachable."""
    kinds = ["sparse", "medium", "dense", "lattice", "line"]
    for seed in range(3000):
        rng = random.Random(seed)
        n = rng.randint(2, 60)
        g = make_graph(seed, n, kinds[seed % len(kinds)])
        src = rng.randrange(n)
        mine = bfs_hops(g, src)
        if seed % 2:
            dest = g.pos[rng.randrange(n)]
        else:
            xs = [p[0] for p in g.pos.values()]
            dest = (rng.uniform(min(xs) - 5, max(xs) + 5), rng.uniform(-5, 105))
        radius = rng.choice([0.0, None, rng.uniform(0.0, 20.0)])
        walk = route(GPSR, g, src, dest, radius=radius)
        best_d2, best = nearest(g, mine, dest)
        end = g.pos[walk.end]
        if radius is None:
            assert walk.outcome == "arrive" and end == g.pos[best], seed
        elif best_d2 <= (radius + 1e-9) ** 2:
            assert walk.outcome == "arrive", seed
            assert (end[0] - dest[0]) ** 2 + (end[1] - dest[1]) ** 2 <= (radius + 1e-9) ** 2
        else:
            assert walk.outcome == "unreachable", seed


# ---- geo_route with stub primitives --------------------------------------------------

def stub_route(world: StubWorld, *args, **kwargs):
    ns = load_gpsr(**world.primitives())
    return ns["geo_route"](*args, **kwargs)


@pytest.mark.parametrize("ids", [str, lambda u: u], ids=["str-ids", "raw-ids"])
def test_geo_route_moves_the_sm_and_counts_hops(ids) -> None:
    world = StubWorld(void_graph(), "2,0", ids=ids)
    assert stub_route(world, (4, 0), 0) == 12
    assert world.node == "4,0"
    world = StubWorld(unit_disk([(10.0 * i, 0.0) for i in range(6)], 15.0), 0, ids=ids)
    assert stub_route(world, [50, 0]) == 5 and world.node == 5


def test_geo_route_retries_a_failing_hop() -> None:
    world = StubWorld(unit_disk([(10.0 * i, 0.0) for i in range(6)], 25.0), 0)
    world.flaky = {2: 2}        # fails twice, then goes through
    assert stub_route(world, [50, 0], 0) == 3
    assert world.node == 5 and world.attempts == [2, 2, 2, 4, 5]


def test_geo_route_routes_around_a_neighbour_that_keeps_failing() -> None:
    world = StubWorld(unit_disk([(10.0 * i, 0.0) for i in range(6)], 25.0), 0)
    world.dead = {2}
    assert stub_route(world, [50, 0], 0) == 3
    assert world.node == 5 and world.attempts == [2, 2, 2, 1, 3, 5]


def test_geo_route_timeout_leaves_the_sm_where_it_is() -> None:
    world = StubWorld(unit_disk([(10.0 * i, 0.0) for i in range(10)], 15.0), 0, hop_time=1.0)
    with pytest.raises(MigrationTimeout):
        stub_route(world, [90, 0], 0, timeout=3.5)
    assert world.node == 4  # hops left at t = 0, 1, 2, 3; at t = 4 the time was up


def test_geo_route_unreachable_and_hop_limit() -> None:
    world = StubWorld(unit_disk([(0, 0), (1, 0), (2, 0), (10, 0)], 1.2), 0)
    with pytest.raises(RouteUnreachable):
        stub_route(world, [10, 0], 0)
    assert world.node == 2
    world = StubWorld(unit_disk([(10.0 * i, 0.0) for i in range(10)], 15.0), 0)
    with pytest.raises(RouteUnreachable, match="gave up after 3 hops"):
        stub_route(world, [90, 0], 0, max_hops=3)
    assert world.node == 3
    world = StubWorld(unit_disk([(0, 0), (1, 0)], 1.2), 0)
    world.read_tag = lambda name: None
    with pytest.raises(RouteUnreachable, match="position"):
        stub_route(world, [1, 0], 0)


# ---- end to end through the simulator ------------------------------------------------

MAIN = '''

def main(dest, radius):
    try:
        hops = geo_route(dest, radius)
    except RouteUnreachable:
        return ["unreachable", node_id()]
    return [node_id(), hops]
'''


def simulate(dest, radius, start: int = 2):
    sim = Simulation(5)
    placement = StaticPlacement([(80.0 * x, 80.0 * y) for x, y in VOID])
    net = SimNetwork(sim, UnitDiskRadio(100.0, rng=sim.rng), placement,
                     NodeConfig(beacon_interval=1.0))
    for i in range(len(VOID)):
        net.add_node(i)
    net.inject(start, SOURCE + MAIN, [list(dest), radius], at=2.5, name="gpsr_main.py")
    sim.run(until=10.0)
    [record] = net.metrics.sms.values()
    return record


def test_simulated_sm_crosses_the_void_to_the_destination_node() -> None:
    record = simulate((320.0, 0.0), 0)
    assert record.error is None
    dest = str(VOID.index((4, 0)))
    assert record.result == [dest, 12] and record.hops == 12 and record.ended_on == dest
    expected = ["2,0", "1,0", "0,0", "0,1", "0,2", "0,3", "1,3", "2,3", "3,3",
                "4,3", "4,2", "4,1", "4,0"]
    names = {str(i): f"{x},{y}" for i, (x, y) in enumerate(VOID)}
    assert [names[node] for _, node, _, _ in record.track] == expected


def test_simulated_sm_reports_an_unreachable_point() -> None:
    # no node at (3,0): radius 0 cannot be met
    record = simulate((240.0, 0.0), 0)
    assert record.error is None and record.result[0] == "unreachable"
    # nearest node: (2,0), (4,0) and (3,-1) are all 80 m away; ids are strings
    # here, so "16" (3,-1) is the smallest
    record = simulate((240.0, 0.0), None)
    assert record.error is None
    assert VOID[16] == (3, -1) and record.result[0] == "16" and record.ended_on == "16"
