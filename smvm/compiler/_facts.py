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
    """``range(...)`` or ``reversed(range(...))`` of the builtins."""
    if _builtin_call(node, "reversed", rebound) and len(node.args) == 1:  # type: ignore[attr-defined]
        node = node.args[0]  # type: ignore[attr-defined]
    return _builtin_call(node, "range", rebound) and 1 <= len(node.args) <= 3  # type: ignore[attr-defined]


def _builtin_call(node: ast.expr, name: str, rebound: set[str]) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == name and name not in rebound and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args))


def _makes_list(node: ast.expr, rebound: set[str]) -> bool:
    """A list display or comprehension, ``list(...)``/``sorted(...)`` (the
    builtins, or the compiler's direct forms of them)."""
    if isinstance(node, (ast.List, ast.ListComp)):
        return True
    if isinstance(node, ast.IfExp):
        return _makes_list(node.body, rebound) and _makes_list(node.orelse, rebound)
    return any(_builtin_call(node, name, rebound) for name in ("list", "sorted")) or any(
        _builtin_call(node, abi.FAST_CONSUMER_PREFIX + name, set()) for name in ("list", "sorted"))


def _list_bindings(fn: ast.AST, rebound: set[str]) -> set[int]:
    """The ids of the ``Name`` targets in ``fn`` that bind a new list."""
    return {id(node.targets[0]) for node in ast.walk(fn)
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and _makes_list(node.value, rebound)}


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


def _comprehension_targets(fn: ast.AST) -> set[int]:
    """The ids of the names comprehensions in ``fn`` bind (their own:
    ``drop_known_tests`` does not look inside a comprehension binding the
    name it knows)."""
    return {id(n) for node in ast.walk(fn) if isinstance(node, ast.comprehension)
            for n in ast.walk(node.target) if isinstance(n, ast.Name)}


def _other_bindings(fn: ast.AST, ints: set[int]) -> set[str]:
    """Names bound anywhere in ``fn`` by anything but an int binding (or a
    comprehension's own variable)."""
    out: set[str] = set()
    ints = ints | _comprehension_targets(fn)
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
    return _known(fn, _int_bindings(fn, rebound))


def known_lists(fn: ast.FunctionDef, rebound: set[str]) -> frozenset[str]:
    """The names of ``fn``'s own scope that hold a list whenever they are
    bound (a list stays one: nothing changes an object's type)."""
    return _known(fn, _list_bindings(fn, rebound))


def _known(fn: ast.FunctionDef, sites: set[int]) -> frozenset[str]:
    own = {node.id for node in iter_own_scope(fn)
           if isinstance(node, ast.Name) and id(node) in sites}
    return frozenset(own - _other_bindings(fn, sites))


def int_arithmetic(node: ast.expr | None, ints: frozenset[str]) -> bool:
    """Is ``node`` (a slice bound) None, or made of int constants and names
    in ``ints`` by ``+``, ``-``, ``*`` and negation, so that computing it
    runs no guest code?"""
    if node is None or _int_constant(node) or (isinstance(node, ast.Name) and node.id in ints):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return int_arithmetic(node.operand, ints)
    return isinstance(node, ast.BinOp) and isinstance(node.op, _INT_OPERATORS) \
        and int_arithmetic(node.left, ints) and int_arithmetic(node.right, ints)


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


def _kind_test_of(node: ast.expr) -> str | None:
    """The name ``c`` of an inline guard's ``_type(c) in _SL`` (``_SQ``,
    ``_SW``) or ``_type(c) is _list or _type(c) is _tuple``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
        names = {_kind_test_of(v) for v in node.values}
        return names.pop() if len(names) == 1 else None
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1
            and isinstance(node.comparators[0], ast.Name)
            and isinstance(node.left, ast.Call) and isinstance(node.left.func, ast.Name)
            and node.left.func.id == abi.TYPE and len(node.left.args) == 1
            and isinstance(node.left.args[0], ast.Name)):
        return None
    kinds = node.comparators[0].id
    if (isinstance(node.ops[0], ast.In) and kinds in _HOLD_LISTS) or (
            isinstance(node.ops[0], ast.Is) and kinds in (abi.LIST, abi.TUPLE)):
        return node.left.args[0].id
    return None


#: The kinds of an inline guard's ``in`` test that take in every list.
_HOLD_LISTS = frozenset({abi.SHORT_SLICED, abi.SHORT_SCANNED, abi.SHORT_WALKED})


def drop_known_tests(fn: ast.FunctionDef, ints: frozenset[str], lists: frozenset[str]) -> None:
    """Remove, from the inline guards' tests, ``_type(n) not in _TX`` where
    ``n`` is in ``ints`` and the kind test of a container in ``lists``
    (leaving its length test), in ``fn``'s own statements and the
    comprehensions in them (never a nested function's: it may migrate)."""
    if ints or lists:
        fn.body = [_drop_known_tests(stmt, ints, lists) for stmt in fn.body]  # type: ignore[misc]


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _drop_known_tests(node: ast.AST, ints: frozenset[str], lists: frozenset[str]) -> ast.AST:
    """``node`` with the tests dropped (itself, changed in place, or the
    one value left of an ``and`` whose other tests went)."""
    if isinstance(node, _SCOPES):
        return node  # a scope of its own (a nested function may migrate)
    if isinstance(node, _COMPREHENSIONS):  # its own variables are no longer ours
        bound = {n.id for gen in node.generators for n in ast.walk(gen.target)
                 if isinstance(n, ast.Name)}
        ints, lists = ints - bound, lists - bound
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            value[:] = [_drop_known_tests(v, ints, lists) if isinstance(v, ast.AST) else v
                        for v in value]
        elif isinstance(value, ast.AST):
            setattr(node, field, _drop_known_tests(value, ints, lists))
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        kept = [v for v in node.values
                if _text_test_of(v) not in ints and _kind_test_of(v) not in lists]
        if len(kept) < len(node.values):
            if len(kept) == 1:
                return kept[0]
            node.values = kept or [ast.Constant(True), ast.Constant(True)]
    return node
