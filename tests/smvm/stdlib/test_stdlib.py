"""The standard modules in SM code: per-SM random generators, guards that
charge fuel for host work or refuse oversized inputs, and values that
travel mid-use (the differential corpus compares them with CPython)."""
from __future__ import annotations

import random

import pytest

from sim.line import LineWorld, run_line
from smvm import CompileError, compile_brick
from smvm.stdlib._random import sm_seed
from smvm.vm import Finished, Migrate, SMInstance

DRAWS = '''
import random

def main(n):
    out = [random.random() for i in range(n)]
    sys_migrate("1")
    out += [random.random() for i in range(n)]
    return out
'''


def _start(source: str, sm_id: str, *args, fuel: int = 10 ** 8):
    host = LineWorld(2, fuel, 256).nodes[0]
    return SMInstance(compile_brick(source, "b.py"), host, sm_id=sm_id, fuel_limit=fuel).start(
        "main", list(args))


def test_default_generator_is_seeded_from_the_sm_id_and_travels():
    brick = compile_brick(DRAWS, "draws.py")
    world = LineWorld(2, 10 ** 8, 256)
    first = SMInstance(brick, world.nodes[0], sm_id="a/1").start("main", [3])
    assert isinstance(first, Migrate)
    done = SMInstance(brick, world.nodes[1], sm_id="a/1").resume(first.state)
    assert isinstance(done, Finished)
    expected = random.Random(sm_seed("a/1"))
    assert done.value == [expected.random() for _ in range(6)]


def test_two_sms_draw_different_sequences_and_one_sm_the_same_each_run():
    one = _start(DRAWS, "x/1", 4)
    again = _start(DRAWS, "x/1", 4)
    other = _start(DRAWS, "y/7", 4)
    assert one.state == again.state
    assert one.state != other.state


def test_explicit_seed_gives_cpythons_sequence():
    source = "import random\n\ndef main():\n    r = random.Random(99)\n" \
             "    random.seed(7)\n    return [r.random(), random.random(), r.randint(1, 10**6)]\n"
    res = run_line(source, [])
    r, g = random.Random(99), random.Random(7)
    assert res.result == [r.random(), g.random(), r.randint(1, 10 ** 6)]


def test_seed_without_value_draws_from_the_sm_generator_not_the_host():
    source = "import random\n\ndef main():\n    random.seed()\n    return random.random()\n"
    assert run_line(source, []).result == run_line(source, []).result


@pytest.mark.parametrize(("expr", "error", "words"), [
    ("random.getrandbits(10 ** 7)", "OverflowError", "too large"),
    ("json.loads('[' * 500 + ']' * 500)", "ValueError", "nested more than 200"),
    ("json.dumps([1], default=str)", "TypeError", "not available"),
    ("operator.attrgetter('_x')", "AttributeError", "not available"),
    ("collections.namedtuple('P', 'a', module='os')", "TypeError", "module"),
    ("random.sample(range(10), 3, counts=[1] * 10)", "TypeError", "counts"),
])
def test_guards_refuse_with_one_clear_line(expr, error, words):
    source = ("import random\nimport json\nimport operator\nimport collections\n\n"
              f"def main():\n    return {expr}\n")
    res = run_line(source, [])
    assert res.error is not None and res.error.type == error
    assert words in res.error.message and "\n" not in res.error.message


@pytest.mark.parametrize("call", [
    "list(itertools.product(range({n}), repeat=1))[:1]",
    "next(itertools.islice(itertools.count(), {n}, None))",
    "next(itertools.permutations(range({n}), 1))",
    "heapq.nsmallest(1, range({n}))",
    "statistics.fmean(range({n}))",
    "json.loads(json.dumps(list(range({n}))))[:1]",
])
def test_host_work_is_charged_by_its_size(call):
    source = ("import itertools\nimport heapq\nimport statistics\nimport json\n\n"
              "def main(n):\n    return " + call.format(n="n") + "\n")
    small = run_line(source, [1_000]).fuel
    big = run_line(source, [200_000]).fuel
    assert big > small + 200_000 // 32


def test_work_past_the_fuel_budget_ends_the_sm():
    source = "import itertools\n\ndef main():\n    return next(itertools.product(range(10 ** 8)))\n"
    res = run_line(source, [], fuel=100_000)
    assert res.error is not None and res.error.type == "FuelExhausted"


def test_unknown_modules_are_ordinary_compile_errors():
    with pytest.raises(CompileError) as err:
        compile_brick("from os import path\nimport array\nfrom random import nope\n", "m.py")
    lines = [str(e) for e in err.value.errors]
    assert len(lines) == 3 and all(line.startswith("m.py:") for line in lines)
    assert "'random' has no allowed member 'nope'" in lines[2]


def test_namedtuple_api_and_print_to_the_log():
    source = '''
from collections import namedtuple

P = namedtuple("P", "x y", defaults=[0])

def main():
    p = P(1)
    sys_migrate("1")
    q = p._replace(y=5)
    print("moved", q, sep=": ")
    return p._asdict(), q, P._fields, P._make([3, 4]), P._field_defaults
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    asdict, q, fields, made, defaults = res.result
    assert asdict == {"x": 1, "y": 0} and tuple(q) == (1, 5) and fields == ("x", "y")
    assert tuple(made) == (3, 4) and defaults == {"y": 0}
    assert [entry["text"] for entry in res.log] == ["moved: P(x=1, y=5)"]


def test_a_values_cycle_through_a_defaultdict_and_its_factory_travels():
    source = '''
from collections import defaultdict

def main():
    table = defaultdict(lambda: len(table))
    table["a"]
    sys_migrate("1")
    table["b"]
    return dict(table)
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    assert res.result == {"a": 0, "b": 1} and res.hops == 1
