"""The compiler's fast paths keep the sandbox's guarantees: functions it
now knows cannot migrate (methods taken into locals, module functions as
parameter defaults) stay plain, the others stay resumable; generator
expressions given straight to builtins are still charged; the one-time
type test of ``self`` still refuses stores on host objects."""
from __future__ import annotations

import pytest

from sim.line import run_line
from smvm import compile_brick


def _resumable(source: str) -> set[str]:
    brick = compile_brick(source, "b.py")
    return {fid.split(":")[0] for fid, info in brick.functions.items() if info.resumable}


def test_a_local_bound_to_a_method_of_plain_data_does_not_make_a_migration_point():
    source = '''
def work(items):
    pop = items.pop
    push = items.append
    push(pop(0))
    return items

def main():
    sys_migrate("1")
    return work([1, 2, 3])
'''
    assert _resumable(source) == {"main"}
    assert run_line(source, []).result == [2, 3, 1]


def test_a_local_bound_to_a_migrating_method_still_migrates():
    source = '''
class Walker:
    def hop(self):
        sys_migrate("1")
        return node_id()

def main():
    step = Walker().hop
    return step()
'''
    assert _resumable(source) == {"main", "Walker.hop"}
    res = run_line(source, [])
    assert res.error is None and res.result == "1" and res.hops == 1


def test_a_parameter_that_always_holds_its_default_function():
    source = '''
from bisect import insort

def helper(x):
    return x + 1

def hop(x):
    sys_migrate("1")
    return x

def solve(x, f=helper, g=insort):
    out = []
    g(out, f(x))
    return out

def other(x, f=helper):
    return f(x)

def main():
    return solve(1), other(2, hop)
'''
    assert _resumable(source) == {"main", "hop", "other"}  # other is given hop
    res = run_line(source, [])
    assert res.error is None and res.result == ([2], 2) and res.hops == 1


@pytest.mark.parametrize("expr", [
    "sum(1 for x in range(10 ** 9))",
    "set(x for x in range(10 ** 9))",
    "max(x for x in range(10 ** 9))",
    "tuple(x for x in range(10 ** 9))",
])
def test_generator_expressions_given_to_builtins_are_charged(expr):
    res = run_line(f"def main():\n    return {expr}\n", [], fuel=200_000)
    assert res.error is not None and res.error.type in ("FuelExhausted", "MemoryExhausted")


def test_a_generator_expression_over_a_growing_list_ends():
    source = "def main():\n    items = [1]\n    return any(items.append(x) for x in items)\n"
    res = run_line(source, [], fuel=200_000)
    # walked chunk by chunk (items appended while a chunk is walked are not
    # seen; CPython would loop for ever): never an uncharged endless C loop
    assert res.error is None and res.result is False


def test_a_generator_expression_sees_appends_made_before_it_runs():
    source = ("def main():\n    items = [1, 2]\n    g = (x * 10 for x in items)\n"
              "    items.append(3)\n    return list(g)\n")
    assert run_line(source, []).result == [10, 20, 30]


def test_builtins_rebound_by_the_brick_are_called_as_written():
    # a local name: module-level rebinding of a builtin is refused (the
    # module namespace is shared by every brick linked into the SM)
    source = '''
def main():
    def set(values):
        return "mine"
    return set(x for x in range(3)), tuple(x for x in range(3)), any(x > 1 for x in [0, 2])
'''
    assert run_line(source, []).result == ("mine", (0, 1, 2), True)


def test_stores_on_self_still_refuse_host_objects():
    source = '''
class Box:
    def fill(self):
        self.value = 1
        return self

def main():
    ok = Box().fill().value
    try:
        Box.fill([])
    except TypeError:
        return ok, "refused"
'''
    assert run_line(source, []).result == (1, "refused")


def test_a_guest_method_named_like_a_consuming_one_takes_numbers():
    source = '''
class Table:
    def __init__(self):
        self.rows = []
    def update(self, a, b):
        self.rows.append(a + b)
        return self.rows

def main():
    return Table().update(1, 2)
'''
    assert run_line(source, []).result == [3]


def _text_calls(source: str) -> tuple[int, int]:
    """How many native text calls (``_str``/``_repr``) and native f-string
    fields (a field of a held ``_hN``) the brick's ``main`` has."""
    import ast
    brick = compile_brick(source, "b.py")
    main = next(n for n in ast.walk(brick.transformed)
                if isinstance(n, ast.FunctionDef) and n.name == "main")
    calls = sum(isinstance(n, ast.Call) and getattr(n.func, "id", "") in ("_str", "_repr")
                for n in ast.walk(main))
    fields = sum(isinstance(n, ast.IfExp) and isinstance(n.body, (ast.Name, ast.JoinedStr))
                 and "_T.field(_h" in ast.unparse(n.orelse) for n in ast.walk(main))
    return calls, fields


def test_text_of_a_computed_value_is_made_natively_where_it_is_plain():
    source = '''
def main(n):
    out = []
    for i in range(n):
        out.append(str(i % 10) + repr(out[-1:]) + f"<{i * 2}|{i + 1!r:>3}>")
    return out[-1]
'''
    assert _text_calls(source) == (2, 2)
    plain: dict = {}
    exec(compile(source, "b.py", "exec"), plain)  # noqa: S102 - the test's own source
    assert run_line(source, [3]).result == plain["main"](3)


def test_text_of_a_computed_value_in_a_migrating_function_keeps_the_guard():
    # a migrating function's locals travel: no hidden temporaries there
    source = '''
def main(n):
    sys_migrate("1")
    return str(n % 10) + f"{n + 1}"
'''
    assert _text_calls(source) == (0, 0)
    assert run_line(source, [13]).result == "314"
