"""Class 11: no text or hash an SM can make shows a host memory address
(functions, classes, methods, generators, iterators, bound builtin methods,
primitives, guarded builtins, instances without a ``__repr__``...), and no
result or error the host writes about an SM's values does either."""
from __future__ import annotations

import re

import pytest

from smvm.compiler import CompileError, compile_brick

from ._attack import assert_exec_still_serves, exec_sm

ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")

#: Each kind of guest-reachable host object, built by an expression.
KINDS = {
    "function": "f",
    "lambda": "lambda: 1",
    "class": "C",
    "instance without __repr__": "C()",
    "bound method": "C().m",
    "function from a class": "C.m",
    "generator": "g()",
    "bound builtin method": "[].append",
    "map": "map(f, [1])",
    "filter": "filter(None, [1])",
    "zip": "zip([1])",
    "enumerate": "enumerate([1])",
    "reversed": "reversed([1])",
    "list iterator": "iter([1])",
    "dict iterator": "iter({1: 2})",
    "object": "object()",
    "primitive": "create_tag",
    "guarded builtin": "sum",
    "guarded type": "list",
    "module": "math",
    "property": "property(f)",
    "staticmethod": "staticmethod(f)",
    "exception holding a function": "ValueError(f)",
    "list holding a function": "[f, g()]",
    "dict holding an instance": "{1: C()}",
    "super": "super",
}

#: Each way from a value to text or a number SM code has.
WAYS = {
    "str": "str(t)",
    "repr": "repr(t)",
    "format": "format(t)",
    "f-string": 'f"{t}"',
    "f-string !r": 'f"{t!r}"',
    "f-string !a with spec": 'f"{t!a:>5}"',
    "percent": '"%s %r %a" % (t, t, t)',
    "percent on bytes": 'b"%r" % (t,)',
    "percent-assign": "s %= (t,)",
    "str.format": '"{} {!r}".format(t, t)',
    "str.format_map": '"{x!s}".format_map({"x": t})',
    "hash": "hashed(t)",
    "hash of a tuple": "hashed((t, 1))",
}


def _brick(kind: str) -> str:
    lines = []
    for way, expression in sorted(WAYS.items()):
        if way == "percent-assign":
            lines.append(f"    s = '%r'\n    {expression}\n    out.append(s)")
        else:
            lines.append(f"    out.append({expression})")
    body = "\n".join(lines)
    return f'''
import math

class C:
    def m(self):
        return 1

def f():
    return 1

def g():
    yield 1

def hashed(x):
    try:
        return hash(x)
    except TypeError:  # unhashable
        return 0

def main():
    t = {KINDS[kind]}
    out = []
{body}
    return out
'''


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_text_or_hash_an_sm_makes_shows_a_host_address(kind: str) -> None:
    """Every way (WAYS) applied to one kind of object."""
    first, second = exec_sm(_brick(kind)), exec_sm(_brick(kind))
    assert first.error is None, first.error
    assert len(first.result) == len(WAYS)
    for way, shown, again in zip(sorted(WAYS), first.result, second.result):
        if type(shown) is int:  # a hash: the same wherever the object lives
            assert shown == again, way
            continue
        text = shown.decode() if type(shown) is bytes else shown
        assert type(text) is str and not ADDRESS.search(text), (way, text)


def test_hashes_of_functions_do_not_follow_their_address() -> None:
    """A function, a closure and an instance hash by their kind and name,
    wherever they live."""
    source = '''
def f():
    return 1

def main(n):
    junk = [[i] for i in range(n)]
    def inner():
        return 2
    return [hash(f), hash(inner), hash(main), hash(object())]
'''
    expected = [hash(("identity", "function", "f")), hash(("identity", "function", "main.<locals>.inner")),
                hash(("identity", "function", "main")), hash(("identity", "object", None))]
    assert exec_sm(source, 10).result == exec_sm(source, 5000).result == expected


def test_text_of_plain_values_is_unchanged() -> None:
    source = '''
def main():
    x = 3.5
    return [str(12), repr("a at 0x1234567>"), f"{x:>8.2f}|{7!r}|{'q'!a}", "%05d|%s" % (42, "b"),
            "{:x}".format(255), format(255, "08b"), 17 % 5, str(b"ab", "ascii"),
            str(object="o"), hash(7) == hash(7.0)]
'''
    result = exec_sm(source)
    assert result.error is None, result.error
    assert result.result == ["12", "'a at 0x1234567>'", "    3.50|7|'q'", "00042|b", "ff",
                             "11111111", 2, "ab", "o", True]
    assert_exec_still_serves()


def test_percent_assign_on_items_and_attributes() -> None:
    source = '''
class Box:
    def __init__(self):
        self.v = "<%s>"

def main():
    a = [10, "%r"]
    b = Box()
    i = 0
    a[i] %= 4
    a[1] %= (main,)
    b.v %= (Box,)
    return [a[0], a[1], b.v]
'''
    result = exec_sm(source)
    assert result.error is None, result.error
    assert result.result[0] == 2
    assert not ADDRESS.search(result.result[1]) and result.result[1].startswith("<function")
    assert result.result[2].startswith("<")


def test_percent_assign_on_an_expression_target_is_refused() -> None:
    with pytest.raises(CompileError, match="'%=' is only supported"):
        compile_brick("def main():\n    a = [[1]]\n    a[0][0] %= 2\n")


def test_errors_and_results_the_host_writes_show_no_address() -> None:
    raised = exec_sm("def f():\n    return 1\n\ndef main():\n    raise ValueError(f, [f])\n")
    assert raised.error is not None and raised.error.type == "ValueError"
    assert not ADDRESS.search(raised.error.message), raised.error.message
    logged = exec_sm("def main():\n    log(main, [main])\n    print(main)\n    return 1\n")
    assert logged.error is None
    lines = [str(entry) for entry in logged.log]
    assert len(lines) == 2 and not any(ADDRESS.search(line) for line in lines), lines
    assert_exec_still_serves()


# ---- iteration order of values hashed by identity ----------------------------------

IDENTITY_SET = '''
import copy

class C:
    def __init__(self, n):
        self.n = n

class E(ValueError):
    pass

def main(junk_size):
    junk = [[i] * (i % 7) for i in range(junk_size)]  # moves where new objects land
    items = [C(i) for i in range(64)]
    errors = [E(i) for i in range(16)]
    mixed = list(reversed(items[:32])) + items[32:]
    s = set(mixed)
    s.discard(items[5])
    popped = s.pop().n
    twin = copy.copy(items[0])
    both = {items[0], twin}
    return [[x.n for x in s], popped, [e.args[0] for e in set(errors)],
            len(both), hash(items[40]) == hash(items[40]), frozenset(items[:3]) == frozenset(items[:3])]
'''


def test_sets_of_brick_instances_iterate_in_an_order_free_of_addresses() -> None:
    """A set of instances of brick classes (compared by identity) iterates
    in the order of their identity serials — the order they were first
    hashed — the same however the host laid them out in memory."""
    runs = [exec_sm(IDENTITY_SET, n) for n in (0, 3, 1000, 20000)]
    assert all(r.error is None for r in runs), [r.error for r in runs]
    assert all(r.result == runs[0].result for r in runs)
    order, popped, errors, both, stable, equal = runs[0].result
    first_hashed = list(range(31, -1, -1)) + list(range(32, 64))
    assert [popped] + order == [n for n in first_hashed if n != 5]
    assert errors == list(range(16))
    assert both == 2 and stable and equal  # a copy is another object, with its own serial
    assert_exec_still_serves()


def test_identity_serials_travel_with_a_migrating_sm() -> None:
    """The set keeps its members and its order across a hop; instances made
    after the hop get serials after those that came (no two alike)."""
    from sim.testing import pair, shuttle
    from smvm.node import events as ev
    source = '''
class C:
    def __init__(self, n):
        self.n = n

def main():
    items = [C(i) for i in range(20)]
    s = set(reversed(items))
    before = [x.n for x in s]
    sys_migrate("b")
    more = [C(100 + i) for i in range(5)]
    for x in more:
        s.add(x)
    return [before, [x.n for x in s], items[3] in s, len(s), len({hash(x) for x in s})]
'''
    results = []
    for _ in range(2):
        a, b = pair()
        a.inject(source, [], 0.0)
        shuttle(a, b, run_b=True)
        [done] = [e for e in b.events() if isinstance(e, ev.SMFinished)]
        results.append(done.value)
    assert results[0] == results[1]
    before, after, member, size, distinct = results[0]
    assert before == list(range(19, -1, -1))
    assert after == before + list(range(100, 105))
    assert member and size == 25 and distinct == 25
    assert_exec_still_serves()


def test_an_arriving_state_cannot_give_two_instances_one_identity() -> None:
    """A crafted continuation claiming one serial for many instances (to make
    a set of them collide in C, outside every budget) is refused."""
    from smvm.guestclasses import ClassRegistry, fill_instance, new_instance, SERIAL_KEY
    registry = ClassRegistry()
    cls = registry.build_class(lambda: None, "C")
    first, second = new_instance(cls), new_instance(cls)
    fill_instance(first, {"x": 1, SERIAL_KEY: 7}, None)
    assert hash(first) == 7
    with pytest.raises(ValueError, match="identity"):
        fill_instance(second, {SERIAL_KEY: 7}, None)
    with pytest.raises(ValueError, match="identity"):
        fill_instance(new_instance(cls), {SERIAL_KEY: "7"}, None)
    assert hash(new_instance(cls)) == 8  # serials go on after the highest that arrived
    assert_exec_still_serves()


def test_dataclasses_compared_by_fields_stay_unhashable() -> None:
    source = '''
from dataclasses import dataclass

@dataclass
class P:
    x: int

def main():
    try:
        {P(1)}
    except TypeError:
        return "unhashable"
    return "hashed"
'''
    result = exec_sm(source)
    assert result.error is None and result.result == "unhashable"
    assert_exec_still_serves()
