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
from smvm.compiler._facts import known_ints, known_lists

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


# ---- ``x in c`` where ``x`` is known to hold an int ------------------------------------

def test_a_range_loop_variable_skips_the_text_test_and_equals_cpython():
    source = ("def main(n):\n    cells = [[1, 2, 3], [2], (3, 4), {5}, {6: 1}]\n    out = []\n"
              "    for v in range(n):\n"
              "        out.append(sum(1 if v in cell else 0 for cell in cells))\n"
              "        out.append([v in cell for cell in cells])\n"
              "        if v in cells[0]:\n            out.append(-v)\n"
              "    return out\n")
    text = _transformed(source)
    assert "_TX" not in text and "_list" in text
    assert _run(source, 8)[0] == in_cpython(source, 8)


@pytest.mark.parametrize("rebinding", [
    "    v = 'x' * 4096\n",                      # plainly rebound to a text
    "    for v in texts:\n        pass\n",          # a loop over something else
    "    v += 'x'\n",                             # an operator other than an int's
    "    [(v := t) for t in texts]\n",            # a walrus in a comprehension
    "    def inner(v='x' * 4096):\n        return v\n",  # a nested function's parameter
    "    global v\n",                             # a global of the module
])
def test_a_name_bound_otherwise_anywhere_keeps_its_text_test(rebinding):
    source = ("texts = ['x' * 4096 + str(i) for i in range(200)]\n\n"
              "def main(n):\n    found = 0\n    for v in range(n):\n        pass\n"
              + rebinding + "    found += v in texts\n    return found\n")
    fn = _function(source, "main")
    assert "v" not in known_ints(fn, set())
    if "global" not in rebinding:
        assert "_type(v) not in _TX" in _transformed(source)


def test_a_long_text_scanned_in_a_short_list_is_still_charged():
    """``p`` is bound by a ``range`` loop and by a text: its scans of a
    short list of long texts are charged by the texts' length."""
    source = ("def main(n):\n    c = ['x' * 4096 + str(i) for i in range(200)]\n"
              "    found = 0\n    for p in range(3):\n        found += p in c\n"
              "    p = 'x' * 4096\n    for _ in range(n):\n        found += p in c\n"
              "    return found\n")
    few, few_fuel = _run(source, 10)
    many, many_fuel = _run(source, 110)
    assert few == many == 0
    assert many_fuel - few_fuel >= 100 * 200 * 64 // 16  # each scan: 200 texts of 64 chunks
    res = exec_sm(source.replace("return found", "while True:\n        found += p in c"), 10,
                  fuel=1_000_000)
    assert res.error is not None and res.error.type == "FuelExhausted"
    assert_exec_still_serves()


def test_a_migrating_function_keeps_its_text_tests():
    """Its locals travel: a continuation could hold a text where the source
    binds only ints."""
    source = ("def main(n):\n    c = [1, 2]\n    found = 0\n    for v in range(n):\n"
              "        found += v in c\n        sys_migrate(read_tag('neighbors')[-1])\n    return found\n")
    assert "_type(v) not in _TX" in _transformed(source)


def test_known_ints_are_only_the_functions_own_plain_int_names():
    source = ("def f(a, n):\n    i = 0\n    j = 1\n    j += 2\n    k = 1\n    k /= 2\n"
              "    for r in range(n, 2 * n, 3):\n        pass\n    for s in range(*a):\n"
              "        pass\n    t = True\n    g = (u for u in range(3))\n    return a\n")
    assert known_ints(_function(source, "f"), set()) == {"i", "j", "r"}
    assert known_ints(_function(source, "f"), {"range"}) == {"i", "j"}  # range rebound


def _function(source: str, name: str) -> ast.FunctionDef:
    return next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.FunctionDef) and n.name == name)


# ---- slices of a name known to hold a list, bounds of int arithmetic -------------------

def test_slices_of_a_known_list_equal_cpython():
    source = ("def main(n):\n    xs = list(range(n))\n    out = []\n    k = 2\n"
              "    for i in range(-3, n + 3):\n"
              "        out.append((xs[i + 1:], xs[i:i + 1], xs[-i:], xs[:i * 2], xs[i::k],"
              " xs[::-1][i:]))\n"
              "    return out\n")
    text = _transformed(source)
    assert "xs[i + 1:] if _len(xs) <= 256 else" in text  # no kind test: xs holds a list
    for n in (0, 3, 40):
        assert _run(source, n)[0] == in_cpython(source, n)


def test_slices_of_a_long_known_list_are_charged_and_end_at_the_budget():
    source = ("def main(n):\n    xs = list(range(n))\n    total = 0\n"
              "    for i in range(10):\n        total += len(xs[i + 1:])\n    return total\n")
    short, short_fuel = _run(source, 300)
    long, long_fuel = _run(source, 300_000)
    assert short == in_cpython(source, 300) and long == in_cpython(source, 300_000)
    assert long_fuel - short_fuel >= 10 * (300_000 - 300) // 16  # each copy charged
    endless = ("def main(n):\n    xs = list(range(n))\n    i = 0\n"
               "    while True:\n        ys = xs[i + 1:]\n")
    res = exec_sm(endless, 1_000_000, fuel=2_000_000)
    assert res.error is not None and res.error.type == "FuelExhausted"
    assert_exec_still_serves()


@pytest.mark.parametrize("rebinding", [
    "    xs = 'x' * 4096\n", "    xs += 'x'\n", "    for xs in [[1]]:\n        pass\n",
    "    xs = ident([1])\n", "    def inner(xs=None):\n        return xs\n",
])
def test_a_list_name_bound_otherwise_keeps_its_kind_test(rebinding):
    source = ("def ident(x):\n    return x\n\ndef main(n):\n    xs = [1, 2]\n" + rebinding
              + "    i = 0\n    return xs[i + 1:]\n")
    assert "xs" not in known_lists(_function(source, "main"), set())
    assert "_type(xs) in _SL" in _transformed(source)


def test_known_lists_are_lists_the_function_makes():
    source = ("def f(a):\n    p = [1]\n    q = list(a)\n    r = sorted(a)\n    s = [x for x in a]\n"
              "    t = (1,)\n    u = a\n    return a\n")
    assert known_lists(_function(source, "f"), set()) == {"p", "q", "r", "s"}
    assert known_lists(_function(source, "f"), {"list", "sorted"}) == {"p", "s"}


def test_a_comprehension_variable_shadows_a_known_int_only_inside():
    source = ("def main(n):\n    out = 0\n    texts = ['ab', 'cd']\n    xs = [1, 2, 3]\n"
              "    for i in range(n):\n        out += i in xs\n"
              "        out += sum(1 for i in texts if i in texts)\n    return out\n")
    text = _transformed(source)
    assert "_type(i) not in _TX" in text  # inside the generator expression, i is a text
    assert _run(source, 4)[0] == in_cpython(source, 4)


# ---- tuple(...) of a generator expression: depth checked inline ------------------------

def test_tuples_made_by_tuple_of_a_generator_are_still_checked_for_depth():
    source = ("def main(n):\n    t = ()\n    for i in range(n):\n"
              "        t = tuple(x for x in (t, i))\n    return len(t)\n")
    assert "_map(_type" in _transformed(source)
    assert _run(source, 50)[0] == in_cpython(source, 50)
    res = exec_sm(source, 400, fuel=10**6)
    assert res.error is not None and res.error.type == "ValueError"
    assert "nested more than" in res.error.message
    flat = "def main(n):\n    return tuple(x * 2 for x in range(n))\n"
    assert _run(flat, 100)[0] == in_cpython(flat, 100)
    assert_exec_still_serves()
