"""Spatial programs run in simulated worlds: the hottest spot, reference
consistency, casting, relative spaces, composition and timeouts."""
from __future__ import annotations

from pathlib import Path

from sim.program import run_program
from sim.scenario import load
from smvm.compiler import load_brick

DATA = Path(__file__).parent / "data"
HILLS = DATA / "two_hills.toml"

# ground truth of two_hills.toml
LEFT_HOT = {"22": 35.0, "24": 37.2, "31": 36.0, "33": 38.5}
RIGHT_HOT = {"27": 45.0}


def run(tmp_path: Path, source: str, scenario: Path = HILLS, args=(), **kw):
    brick = tmp_path / "prog.py"
    brick.write_text(source)
    return run_program(load(scenario), load_brick(brick), list(args), name="prog.py", **kw)


def test_hottest_spot_waters_the_hottest_hot_node_inside_the_left_hill() -> None:
    outcome = run_program(load(HILLS), load_brick(DATA / "hottest.py"), name="hottest.py")
    assert outcome.error is None
    # node 27 (45.0) is hotter but on the other hill; node 23 (50.0) is not Hot
    assert outcome.result == [38.5, "33"]
    cores = outcome.run.network.cores
    space = cores["33"].tagspace
    assert space.read(space.node_principal, "water", outcome.run.until) is True
    others = [n for n in (*LEFT_HOT, *RIGHT_HOT) if n != "33"]
    assert all(cores[n].tagspace.read(cores[n].tagspace.node_principal, "water", 0.0) is None
               for n in others)
    assert outcome.hops > 0 and outcome.bytes > 0 and outcome.time > 0


CONSISTENCY = '''
from spatial.sp import circle

Hill = circle([200.0, 200.0], 150.0)

def main():
    first = [{Hill: Hot[i]}.temp for i in range(4)]
    where = []
    for i in [2, 0, 3, 1, 2]:
        {Hill: Hot[i]}.seen = i
        where.append([i, node_id(), read_tag("seen")])
    return [first, where]
'''


def test_same_index_same_node_distinct_indexes_distinct_nodes(tmp_path) -> None:
    outcome = run(tmp_path, CONSISTENCY)
    assert outcome.error is None, outcome.error
    first, where = outcome.result
    assert sorted(first) == sorted(LEFT_HOT.values())
    node_of = {}
    for i, node, seen in where:
        assert seen == i
        assert node_of.setdefault(i, node) == node, "an index moved to another node"
    assert sorted(node_of.values()) == sorted(LEFT_HOT)
    assert [LEFT_HOT[node_of[i]] for i in range(4)] == first


CAST = '''
from spatial.sp import circle, OutOfSpace
from routing.gpsr import geo_route

Left = circle([160.0, 40.0], 100.0)
Right = circle([720.0, 40.0], 100.0)

def main():
    before = [{Left: Hot[0]}.temp, node_id()]
    geo_route([0.0, 0.0])
    try:
        block_tag("nothing", 40.0)          # the Hot node drives to the right hill meanwhile
    except TagTimeout:
        pass
    try:
        {Left: Hot[0]}.temp
        original = "no error"
    except OutOfSpace as exc:
        original = "OutOfSpace"
    cast = [{Right: {Left: Hot[0]}}.temp, node_id(), read_tag("position")]
    return [before, original, cast]
'''


def test_a_cast_follows_a_node_that_moved_while_the_original_reference_is_out_of_space(
        tmp_path) -> None:
    outcome = run(tmp_path, CAST, DATA / "moving.toml")
    assert outcome.error is None, outcome.error
    before, original, cast = outcome.result
    assert before == [30.0, "12"]
    assert original == "OutOfSpace"
    assert cast[:2] == [30.0, "12"] and cast[2] == [720.0, 40.0]


RANGE = '''
from spatial.sp import circle, range_of

Hill = circle([200.0, 200.0], 150.0)

def main():
    {Hill: Hot[0]}.temp
    near = node_id()
    snapshot = {range_of({Hill: Hot[0]}, 90.0): Camera[0]}.snapshot
    return [near, snapshot, node_id()]
'''


def test_range_of_is_a_circle_around_the_referenced_node(tmp_path) -> None:
    scenario = tmp_path / "cams.toml"
    scenario.write_text(HILLS.read_text() + '''
[[node]]
id = 2                  # (160, 0): a camera nearer to the start, far from the hill's nodes
tags = { Camera = true, snapshot = "far" }
[[node]]
id = 12                                 # (160, 80): next to node 22 (160, 160)
tags = { Camera = true, snapshot = "near 22" }
''')
    outcome = run(tmp_path, RANGE, scenario)
    assert outcome.error is None, outcome.error
    near, snapshot, camera = outcome.result
    assert near == "22"   # the walk from node 0 meets node 22 first
    assert (snapshot, camera) == ("near 22", "12")


UNION = '''
from spatial.sp import circle, SpatialTimeout

Left = circle([200.0, 200.0], 150.0)
Right = circle([600.0, 200.0], 150.0)

def main():
    found = {}
    i = 0
    while True:
        try:
            temp = {(Left + Right): Hot[i, 20.0]}.temp
        except SpatialTimeout:
            return [found, i]
        found[node_id()] = temp
        i += 1
'''


def test_a_union_of_spaces_holds_the_nodes_of_both(tmp_path) -> None:
    outcome = run(tmp_path, UNION)
    assert outcome.error is None, outcome.error
    found, count = outcome.result
    assert found == {**LEFT_HOT, **RIGHT_HOT} and count == 5


EMPTY = '''
from spatial.sp import circle, rect, polygon, SpatialTimeout

def main(which, timeout):
    spaces = {"far": circle([5000.0, 5000.0], 50.0),
              "cold": rect([600.0, 500.0], [720.0, 720.0]),
              "nothing": polygon([[100.0, 500.0], [300.0, 500.0], [200.0, 700.0]])}
    start = now()
    try:
        {spaces[which]: Hot[0, timeout]}.temp
        return ["found", node_id()]
    except SpatialTimeout as exc:
        return ["SpatialTimeout", now() - start, str(exc)]
'''


def test_an_empty_space_times_out_and_a_walked_space_gives_up_early(tmp_path) -> None:
    far = run(tmp_path, EMPTY, args=["far", 5.0])
    assert far.error is None and far.result[0] == "SpatialTimeout"
    # no node near (5000, 5000): routing ends at the nearest node, outside the space
    cold = run(tmp_path, EMPTY, args=["cold", 30.0])
    assert cold.result[0] == "SpatialTimeout"
    assert cold.result[1] < 30.0 and "nodes walked" in cold.result[2]
    uncaught = run(tmp_path, "from spatial.sp import circle\n"
                             "def main():\n"
                             "    return {circle([9000.0, 0.0], 10.0): Hot[0, 2.0]}.temp\n")
    assert uncaught.error["type"] == "SpatialTimeout" and uncaught.error["line"] == 3


def test_the_intrusion_example_finds_the_camera_near_the_motion() -> None:
    outcome = run_program(load(DATA / "intrusion.toml"), load_brick(DATA / "intrusion.py"),
                          name="intrusion.py")
    assert outcome.error is None, outcome.error
    assert outcome.result == [[560.0, 400.0], "someone at the fence", "66"]
    camera = outcome.run.network.cores["66"].tagspace
    assert camera.provider("alarm").value is True
    assert outcome.run.network.cores["11"].tagspace.provider("alarm").value is None


DIRECT = '''
from spatial.sp import rect, sref, sread, swrite

def main(prop):
    ref = sref(rect([50.0, -10.0], [250.0, 10.0]), prop, 1, 5.0)   # a name computed at run time
    swrite(ref, "note", "hi")
    return [sread(ref, "temp"), sread(ref, "note"), node_id()]
'''


def test_the_library_functions_are_callable_with_computed_names(tmp_path) -> None:
    outcome = run(tmp_path, DIRECT, DATA / "zone.toml", args=["Hot"])
    assert outcome.error is None, outcome.error
    temp, note, node = outcome.result
    assert note == "hi" and temp == {"1": 31.5, "2": 29.0}[node]
