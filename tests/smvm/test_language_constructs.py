"""The constructs added to the SM language for ordinary programs: methods
named like list's scanning methods, ``with``, ``print(file=...)`` and
``functools.lru_cache``; each checked for what CPython does and for what it
costs (fuel), beside the differential corpus (``corpus/class_scan_methods``,
``corpus/with_*``...)."""
from __future__ import annotations

import pytest

from sim.line import run_line

_SCAN = '''
class Bag:
    def count(self, item):
        sys_migrate("1")
        return 0


def main(n):
    items = ["x" * 4096 + str(i) for i in range(n)]
    probe = "x" * 4096 + "-"
    found = items.count(probe) + len(items)
    return found, Bag().count(probe)
'''


def test_scan_calls_that_may_run_a_migrating_method_are_still_charged():
    """``items.count(long_text)`` compares up to the text's end with each
    item: charged by length times items, also where the call had to stay a
    plain method call because a brick class has a migrating ``count``."""
    small = run_line(_SCAN, [2000], fuel=10_000_000)
    assert small.error is None and small.result == (2000, 0) and small.node == "1"
    cheap = run_line(_SCAN.replace('"x" * 4096 + "-"', '"-"'), [2000], fuel=10_000_000)
    assert cheap.error is None
    # 2000 items x (1 + 4097 // 64) chunks / 16 items per unit: ~8,000 units more
    assert small.fuel - cheap.fuel >= 7_000


_PRINTS = '''
import sys


def main(n):
    print("a", "b", sep="-", end="")
    print("c")
    for i in range(n):
        print(i, end=" ")
        sys_migrate("1" if node_id() != "1" else "2")
    print()
    out = sys.stdout
    sys_migrate("2")
    out.write("w1\\nw2")
    out.flush()
    print("x", flush=True, end="")
    print("y", "z", sep=None, end=None)
    print("to stderr", end="", file=sys.stderr)
    print("still stdout")
    return sys.maxsize > 2 ** 31
'''


def test_print_and_sys_stdout_write_the_text_cpython_writes_a_line_at_a_time():
    """The log gets what CPython's stdout gets: a line per newline; an open
    line is logged on a flush or when the SM leaves the node (the text is
    the same, only cut there too)."""
    import contextlib
    import io
    import sys as host_sys

    namespace = {"sys_migrate": lambda target: None, "node_id": lambda: "0"}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(_PRINTS, "prints.py", "exec"), namespace)  # noqa: S102 - our own text
        assert namespace["main"](3) is (host_sys.maxsize > 2 ** 31)
    res = run_line(_PRINTS, [3])
    assert res.error is None and res.result is True
    lines = [(entry["node"], entry["text"]) for entry in res.log]
    stdout_lines = [text for _, text in lines if text != "to stderr"]
    assert "".join(stdout_lines) == out.getvalue().replace("\n", "")
    assert lines == [("0", "a-bc"), ("0", "0 "), ("1", "1 "), ("2", "2 "), ("1", ""),
                     ("2", "w1"), ("2", "w2"), ("2", "x"), ("2", "y z"),
                     ("2", "still stdout"), ("2", "to stderr")]
    assert err.getvalue() == "to stderr"


def _compile_errors(source: str) -> list[str]:
    from smvm.compiler import check_source
    return [str(e) for e in check_source(source, "c.py")]


def test_a_cached_function_that_may_migrate_is_refused_where_it_would():
    found = _compile_errors('''
from functools import lru_cache

def hop():
    sys_migrate("1")

@lru_cache
def visit(n):
    hop()
    return n
''')
    assert found == ["c.py:9: cached function 'visit' may reach a migration point here: its calls "
                     "go through the cache, which cannot migrate (call only functions that never "
                     "migrate from it)"]


def test_cache_decorators_take_constants_only():
    assert _compile_errors('''
from functools import lru_cache, cache

SIZE = 3

@lru_cache(maxsize=SIZE)
def f(n):
    return n

@cache()
def g(n):
    return n

@lru_cache(maxsize=2, user=1)
def h(n):
    return n
''') == ["c.py:6: decorators: functools.lru_cache or functools.cache on functions; "
         "@own_domain alone on module-level functions; property, staticmethod, classmethod on methods"] + [
        f"c.py:{line}: decorators: functools.lru_cache or functools.cache on functions; "
        "@own_domain alone on module-level functions; property, staticmethod, classmethod on methods" for line in (10, 14)]


def test_a_cache_is_bounded_by_maxsize_and_charged_per_call():
    source = '''
from functools import lru_cache

@lru_cache(maxsize=100)
def ident(n):
    return n

def main(n):
    for k in range(n):
        ident(k)
    sys_migrate("1")
    return ident.cache_info().currsize, ident(n - 1), ident.cache_info().hits
'''
    res = run_line(source, [5000])
    assert res.error is None and res.result == (100, 4999, 1)
    # the cache held 100 entries when it travelled, not 5000
    small = run_line(source, [150])
    assert small.error is None and res.bytes - small.bytes < 2000


@pytest.mark.parametrize("program", ["hexiom", "generators"])
def test_pyperformance_programs_compile_unchanged_and_answer_as_cpython(program):
    """hexiom prints its board to an io.StringIO (print(..., end="",
    file=output)); generators starts with ``from __future__ import
    annotations`` and imports ``collections.abc.Iterator`` for them: the
    programs as the suite ships them, harness replaced."""
    pytest.importorskip("pyperformance")
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "_pyperformance.py")
    spec = importlib.util.spec_from_file_location("_pyperformance", path)
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    source = suite.program_source(program)
    plain: dict = {}
    exec(compile(source, program, "exec"), plain)  # noqa: S102 - the suite's program
    res = run_line(source, [suite.HARNESS[program][1]], nodes=1, filename=program + ".py")
    assert res.error is None, res.error
    assert res.result == plain["main"](suite.HARNESS[program][1])


def test_a_brick_method_named_format_is_called():
    """``obj.format(...)`` goes through the guarded ``str.format``; on an
    instance of the brick's class it is that class's method."""
    source = '''
class Money:
    def __init__(self, cents):
        self.cents = cents

    def format(self, sign="$"):
        return sign + str(self.cents // 100) + "." + str(self.cents % 100).zfill(2)

    def format_map(self, table):
        return table.get(self.cents, "?")


def main():
    m = Money(1234)
    return m.format(), m.format(sign="EUR "), m.format_map({1234: "ok"}), "{}-{x}".format(1, x=2)
'''
    res = run_line(source, [])
    assert res.error is None and res.result == ("$12.34", "EUR 12.34", "ok", "1-2")
    refused = run_line("def main():\n    return (5).format()\n", [])
    assert (refused.error.type, refused.error.message) == (
        "AttributeError", "'int' object has no attribute 'format'")
