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
