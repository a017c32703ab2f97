"""The constructs added to the SM language for ordinary programs: methods
named like list's scanning methods, ``with``, ``print(file=...)`` and
``functools.lru_cache``; each checked for what CPython does and for what it
costs (fuel), beside the differential corpus (``corpus/class_scan_methods``,
``corpus/with_*``...)."""
from __future__ import annotations

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
