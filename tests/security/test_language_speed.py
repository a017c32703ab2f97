"""Attacks on the cheaper forms of generator expressions consumed by builtins
(``sum(x for x in xs)``: a sequence walked as it is where no item can grow
it), of ``set(...)``/``frozenset(...)`` of them, and of the inline ``x in c``
test: long and endless iterables are still charged, a list grown while it is
walked still ends, a set still refuses values hashed by their address, and
every result equals CPython's."""
from __future__ import annotations

import ast

import pytest

from smvm import compile_brick

from ._attack import assert_exec_still_serves, exec_sm


def in_cpython(source: str, *args):
    namespace: dict = {}
    exec(compile(source, "cpython", "exec"), namespace)  # noqa: S102 - the test's own source
    return namespace["main"](*args)


def _run(source: str, *args, fuel: int = 10**8):
    res = exec_sm(source, *args, fuel=fuel)
    assert res.error is None, res.error
    return res.result, res.fuel


def test_an_inert_generator_expression_walks_its_sequence_as_it_is():
    source = "def main(n):\n    c = list(range(n))\n    return sum(x * 2 for x in c)\n"
    assert "consumed_sized" in _transformed(source)
    for n in (0, 5, 4096, 4097, 20_000):
        result, fuel = _run(source, n)
        assert result == in_cpython(source, n)
        assert fuel >= n  # each item charged, on the fast path and past it


def test_an_expression_whose_items_call_methods_is_still_walked_to_its_length():
    source = ("def main():\n    c = [1, 2]\n"
              "    return sum(1 for x in c if c.append(x) is None)\n")
    assert "consumed_counted" in _transformed(source)
    assert _run(source)[0] == 2  # CPython loops for ever; here the walk ends


@pytest.mark.parametrize("iterable", [
    "range(10 ** 20)", "range(10 ** 20, 0, -1)", "range(0, 10 ** 19, 3)", "'x' * 10 ** 7",
    "list(range(10 ** 6))", "tuple(range(10 ** 6))", "b'y' * 10 ** 7",
])
@pytest.mark.parametrize("consumer", ["sum", "max", "set", "frozenset", "any", "tuple"])
def test_long_and_huge_iterables_of_inert_expressions_end_at_the_budget(consumer, iterable):
    item = "x is None" if consumer == "any" else "1"  # any(): never true, walks everything
    source = f"def main():\n    while True:\n        {consumer}({item} for x in {iterable})\n"
    res = exec_sm(source, fuel=300_000)
    assert res.error is not None and res.error.type in ("FuelExhausted", "MemoryExhausted")
    assert_exec_still_serves()


def test_a_budget_stops_inert_expressions_at_its_limit():
    source = ("def main():\n    c = list(range(200))\n    t = 0\n"
              "    for _ in range(10 ** 9):\n        t += sum(x for x in c)\n    return t\n")
    for budget in (5_000, 77_777, 300_001):
        res = exec_sm(source, fuel=budget)
        assert res.error is not None and res.error.type == "FuelExhausted"
        assert res.fuel == budget


@pytest.mark.parametrize("maker", ["set", "frozenset"])
def test_a_set_of_a_generator_expression_still_refuses_address_hashed_values(maker):
    source = (f"def f():\n    return 1\n\ndef main():\n    return {maker}(g for g in [f, f])\n")
    res = exec_sm(source)
    assert res.error is not None and res.error.type == "TypeError"
    assert "a set cannot hold" in res.error.message
    nested = (f"def f():\n    return 1\n\ndef main():\n"
              f"    return {maker}((1, (g,)) for g in [f])\n")
    res = exec_sm(nested)
    assert res.error is not None and res.error.type == "TypeError"
    plain = f"def main():\n    return sorted({maker}((i % 3, str(i)) for i in range(9)))\n"
    assert _run(plain)[0] == in_cpython(plain)
    assert_exec_still_serves()


def _transformed(source: str) -> str:
    return ast.unparse(compile_brick(source, "b").transformed)
