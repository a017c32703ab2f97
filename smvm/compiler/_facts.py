"""What the compiler knows of a local's value without running the function:
names that only ever hold an int (``for v in range(8)``, ``n = 0``,
``n += 1``), whose inline guards need not ask whether they hold a text
(``_type(v) not in _TX`` in ``v in cells``: an int compares with each item
in one step).

Only in functions that cannot migrate (their locals never travel, so no
continuation, forged or not, can put a text there), and only for names the
function binds in its own scope with nothing but such statements anywhere
in it, nested scopes included (a comprehension's, a nested function's or a
parameter of the same name would make the name mean something else there).
"""
from __future__ import annotations

import ast

from . import abi
from ._scopes import iter_own_scope

#: ``+=``, ``-=``, ``*=`` of an int by an int make an int.
_INT_OPERATORS = (ast.Add, ast.Sub, ast.Mult)


def _int_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _range_call(node: ast.expr, rebound: set[str]) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "range" and "range" not in rebound
            and 1 <= len(node.args) <= 3 and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args))


def _int_bindings(fn: ast.AST, rebound: set[str]) -> set[int]:
    """The ids of the ``Name`` targets in ``fn`` that bind an int."""
    out: set[int] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) \
                and _range_call(node.iter, rebound):
            out.add(id(node.target))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and _int_constant(node.value):
            out.add(id(node.targets[0]))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and isinstance(node.op, _INT_OPERATORS) and _int_constant(node.value):
            out.add(id(node.target))
    return out


def _other_bindings(fn: ast.AST, ints: set[int]) -> set[str]:
    """Names bound anywhere in ``fn`` by anything but an int binding."""
    out: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) \
                and id(node) not in ints:
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node is not fn:
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        elif isinstance(getattr(node, "name", None), str) and not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias)):
            out.add(node.name)  # match patterns' captures
        elif isinstance(getattr(node, "rest", None), str):
            out.add(node.rest)
    return out


def known_ints(fn: ast.FunctionDef, rebound: set[str]) -> frozenset[str]:
    """The names of ``fn``'s own scope that hold an int whenever they are
    bound (``rebound``: every name the brick binds, ``range`` among them
    when the brick rebinds it)."""
    ints = _int_bindings(fn, rebound)
    own = {node.id for node in iter_own_scope(fn)
           if isinstance(node, ast.Name) and id(node) in ints}
    return frozenset(own - _other_bindings(fn, ints))


def _text_test_of(node: ast.expr) -> str | None:
    """The name ``n`` of an inline guard's ``_type(n) not in _TX``."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 \
            and isinstance(node.ops[0], ast.NotIn) \
            and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == abi.TEXTS \
            and isinstance(node.left, ast.Call) and isinstance(node.left.func, ast.Name) \
            and node.left.func.id == abi.TYPE and len(node.left.args) == 1 \
            and isinstance(node.left.args[0], ast.Name):
        return node.left.args[0].id
    return None


def drop_text_tests(fn: ast.FunctionDef, ints: frozenset[str]) -> None:
    """Remove the inline guards' ``_type(n) not in _TX`` where ``n`` is in
    ``ints``, in ``fn``'s own statements and the comprehensions in them
    (never a nested function's: it may migrate)."""
    if not ints:
        return
    for node in iter_own_scope(fn):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            kept = [v for v in node.values if _text_test_of(v) not in ints]
            if len(kept) < len(node.values):
                node.values = kept or [ast.Constant(True)]
                if len(node.values) == 1:  # (an And of one value: still valid, but odd)
                    node.values.append(ast.Constant(True))
