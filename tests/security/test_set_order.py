"""A set iterates in its items' hash order, and CPython hashes functions,
classes, generators, ``object()``, builtins, bound methods and exceptions by
their memory address: a set of them would show the host's memory layout and
iterate differently on every node. No set of an SM may hold one
(``smvm.setmembers``): every way a guest builds or grows a set, and a forged
continuation holding such a set, ends in a clear ``TypeError`` (or the
state's refusal), and the node still serves. Sets of numbers, text, tuples
and brick instances work and travel as before."""
from __future__ import annotations

import pytest

from sim.testing import feed, pair, shuttle
from smvm import statecodec, wire
from smvm.guest_builtins import SHARED_BUILTINS, STATIC_REFS
from smvm.node import events as ev
from smvm.vm import FORMAT_VERSION

from ._attack import assert_core_still_serves, assert_exec_still_serves, exec_sm

_HEAD = '''
import operator

class Box:
    def __init__(self):
        self.items = set()

    def m(self):
        return 1

def f():
    return 1

def gen():
    yield 1

def attempt():
'''
#: One way into a set each: the statement(s) of ``attempt`` putting ``f``
#: (or another value hashed by its address) into a set.
ATTACKS = {
    "display": "return {f, 1}",
    "starred_display": "return {*[f]}",
    "comprehension": "return {g for g in [f]}",
    "set_of_list": "return set([f])",
    "set_of_generator": "return set(g for g in [f])",
    "frozenset": "return frozenset([f])",
    "add": "s = set()\n    s.add(f)",
    "add_on_an_attribute": "b = Box()\n    b.items.add(f)",
    "update": "s = {1}\n    s.update([2], [f])",
    "union": "return {1}.union([f])",
    "frozenset_union": "return frozenset([1]).union([f])",
    "symmetric_difference": "return {1}.symmetric_difference([f])",
    "symmetric_difference_update": "s = {1}\n    s.symmetric_difference_update([f])",
    "method_taken_as_value": "s = set()\n    add = s.add\n    add(f)",
    "method_given_to_map": "s = set()\n    list(map(s.add, [f]))",
    "getattr": "s = set()\n    getattr(s, 'update')([f])",
    "unbound_method": "s = set()\n    set.add(s, f)",
    "unbound_method_as_value": "grow = set.update\n    grow(set(), [f])",
    "keys_view_or": "return {1: 2}.keys() | [f]",
    "keys_view_of_function_keys": "k = {f: 1}.keys()\n    return k & k",
    "list_minus_keys_view": "return [f] - {1: 2}.keys()",
    "items_view": "d = {1: f}\n    return d.items() ^ set()",
    "item_of_a_list": "v = [{f: 1}.keys()]\n    return v[0] - set() | v[0]",
    "in_place_or_with_a_view": "s = set()\n    s |= {f: 1}.keys()",
    "in_place_on_an_attribute": "b = Box()\n    b.items |= {f: 1}.keys()",
    "in_place_on_an_item": "boxes = [set()]\n    boxes[0] ^= {f: 1}.keys()",
    "in_place_on_a_computed_target": "b = [Box()]\n    b[len(b) - 1].items |= {f: 1}.keys()",
    "operator_or": "return operator.or_({1: 2}.keys(), [f])",
    "operator_methodcaller": "s = set()\n    operator.methodcaller('add', f)(s)",
    "operator_attrgetter": "s = set()\n    operator.attrgetter('add')(s)(f)",
    "object": "return {object(), object()}",
    "class": "return {Box}",
    "generator": "return {gen()}",
    "builtin": "return {len, print}",
    "bound_method": "return {Box().m}",
    "exception": "return {ValueError(1)}",
    "tuple_holding_a_function": "return {(1, (2, f))}",
}


def _attack(body: str) -> str:
    return (_HEAD + "    " + body + "\n\ndef main():\n    try:\n        attempt()\n"
            "    except TypeError as e:\n        return str(e)\n    return 'not refused'\n")


@pytest.mark.parametrize("way", sorted(ATTACKS))
def test_no_way_puts_an_address_hashed_value_in_a_set(way: str) -> None:
    run = exec_sm(_attack(ATTACKS[way]))
    assert run.error is None, run.error
    assert ("depend on memory addresses" in run.result
            or "not available through operator" in run.result), run.result
    assert_exec_still_serves()


def test_a_migrating_add_method_of_the_brick_leaves_set_add_checked() -> None:
    """A brick whose class has an ``add`` method that may migrate keeps its
    ``.add(...)`` calls in the guest frame (so that method can be captured):
    their arguments are checked where the receiver is a set."""
    run = exec_sm('''
class Mover:
    def __init__(self):
        self.got = []

    def add(self, x):
        sys_migrate("1")
        self.got.append(x)

def f():
    return 1

def main():
    mover = Mover()
    mover.add(f)
    s = set()
    try:
        s.add(f)
    except TypeError as e:
        return [node_id(), len(mover.got), str(e)]
''')
    assert run.error is None, run.error
    assert run.result[:2] == ["1", 1] and "memory addresses" in run.result[2]
    assert_exec_still_serves()


@pytest.mark.parametrize("maker", [
    "from operator import methodcaller as call\n\ndef make(d):\n    return call('keys')(d)\n",
    "def make(d):\n    return getattr(d, 'ke' + 'ys')()\n",
    "import operator as op\n\ndef make(d):\n    return op.attrgetter('items')(d)()\n"])
def test_a_view_made_by_a_name_computed_at_run_time_is_checked_too(maker: str) -> None:
    """A brick reaching ``keys`` through a name built at run time still
    counts as one that may make dict views: its set operators are checked."""
    run = exec_sm(maker + "\ndef f():\n    return 1\n\ndef main():\n    try:\n"
                  "        return [f] - make({1: 2})\n    except TypeError as e:\n"
                  "        return str(e)\n")
    assert run.error is None and "memory addresses" in run.result, (run.error, run.result)
    assert_exec_still_serves()


def test_the_refusal_names_what_and_why() -> None:
    run = exec_sm("def f():\n    return 1\n\ndef main():\n    return {f}\n")
    assert run.error.type == "TypeError"
    assert run.error.message == (
        "a set cannot hold a function: its place in a set would depend on memory addresses; "
        "use a list, or a dict, which keeps insertion order")
    assert run.error.line == 5


PLAIN_SETS = '''
import operator

class Node:
    def __init__(self, n):
        self.n = n

def main():
    nodes = [Node(i) for i in range(6)]
    numbers = {3, 1, 2.5, True}
    numbers.add(7)
    numbers.update([8], (9,))
    numbers |= {10}
    numbers -= {1}
    words = set("hello") | {"world"}
    pairs = {(1, "a"), (2, ("b", None))}
    frozen = frozenset(pairs) | frozenset([(3, b"c")])
    mine = {node for node in nodes}
    mine.add(Node(99))
    seen = set()
    list(map(seen.add, [4, 5]))
    adder = seen.add  # a checked method of the set, carried with it
    keys = {"x": 1, "y": 2}.keys() | ["z"]
    both = operator.and_({1, 2, 3}, {2, 3, 4})
    sys_migrate("b")
    mine.discard(nodes[0])
    numbers.add(11)
    adder(6)
    return [sorted(numbers), sorted(words), sorted(map(str, pairs)), len(frozen),
            sorted(x.n for x in mine), [x.n for x in mine], sorted(seen), sorted(keys),
            sorted(both), {1: f"{n}" for n in range(1)}, 5 in numbers]
'''


def test_sets_of_values_hashed_by_value_or_serial_work_and_travel() -> None:
    outcomes = []
    for _ in range(2):
        a, b = pair()
        a.inject(PLAIN_SETS, [], 0.0)
        shuttle(a, b, run_b=True)
        [done] = [e for e in b.events() if isinstance(e, ev.SMFinished)]
        outcomes.append(done.value)
    assert outcomes[0] == outcomes[1]  # the same order, run after run
    numbers, words, pairs, frozen, mine, order, seen, keys, both, _, member = outcomes[0]
    assert numbers == [2.5, 3, 7, 8, 9, 10, 11] and words == ["e", "h", "l", "o", "world"]
    assert pairs == ["(1, 'a')", "(2, ('b', None))"] and frozen == 3
    assert mine == [1, 2, 3, 4, 5, 99] and order == [1, 2, 3, 4, 5, 99]  # serial order
    assert seen == [4, 5, 6] and keys == ["x", "y", "z"] and both == [2, 3] and not member
    assert_exec_still_serves()


def _forged(b, global_value: object) -> wire.Transfer:
    """A continuation of a one-hop brick whose module global ``s`` holds
    ``global_value`` (encoded with the builtins' references)."""
    brick = b.cache.bricks()[0]
    fid = next(f for f in brick.functions if f.startswith("main"))
    state = statecodec.dumps({
        "v": FORMAT_VERSION, "brick": brick.hash, "entry": "main", "frames": [[fid, 1, {}]],
        "globals": {"s": global_value}, "defaults": {},
        "request": {"kind": "migrate", "target": "b"}, "fuel": 0}, functions=STATIC_REFS)
    return wire.Transfer(b"h" * 16, "a/9", {"sm_id": "a/9", "family": "a/9", "origin": "a"},
                         state, (), b"")


HOPPER = "s = None\n\ndef main():\n    sys_migrate('b')\n    return sorted(map(str, s))\n"
LEN, ABS = SHARED_BUILTINS["len"], SHARED_BUILTINS["abs"]


@pytest.mark.parametrize("forged", ["set", "frozenset", "tuple_in_a_set", "bound_add",
                                    "dict_view", "view_maker"])
def test_a_forged_continuation_holding_such_a_set_is_refused(forged: str) -> None:
    """Also a dict view, or ``dict.keys``, for a brick that makes none (its
    set operators are not checked: ``Brick.makes_views``)."""
    a, b = pair()
    a.inject(HOPPER, [], 0.0)
    shuttle(a, b)  # b now holds the brick
    assert not b.cache.bricks()[0].makes_views
    value = {"set": {LEN, ABS}, "frozenset": frozenset([LEN]),
             "tuple_in_a_set": {(1, LEN)},
             "bound_add": {1}.add,  # a raw set.add, which SM code never holds
             "dict_view": {1: 2}.keys(), "view_maker": dict.keys}[forged]
    answers = feed(b, _forged(b, value), link="a")
    assert [type(x).__name__ for x in answers] == ["Reject"]
    assert_core_still_serves(b)


def test_the_same_continuation_with_a_set_of_numbers_is_accepted() -> None:
    """The forged continuations above differ from this one only in the set:
    it is their set that is refused."""
    a, b = pair()
    a.inject(HOPPER, [], 0.0)
    shuttle(a, b)
    answers = feed(b, _forged(b, {3, 1, 2}), link="a")
    assert [type(x).__name__ for x in answers] == ["Ack"]


def test_a_brick_that_makes_dict_views_may_carry_one() -> None:
    """(Its set operators are checked.)"""
    a, b = pair()
    a.inject(HOPPER + "\ndef names(d):\n    return d.keys() - {1}\n", [], 0.0)
    shuttle(a, b)
    assert b.cache.bricks()[0].makes_views
    answers = feed(b, _forged(b, {1: 2}.keys()), link="a")
    assert [type(x).__name__ for x in answers] == ["Ack"]
