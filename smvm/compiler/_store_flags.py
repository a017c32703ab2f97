"""Guest-class tests of a name done once per binding instead of once per use.

The attribute-store guard ``(o if _type(o) in _GC else _GS(o)).x = v`` (and
the same test in the guards of consuming calls' arguments) costs more than
the store itself. In a function that cannot migrate, a parameter that is
never rebound, or a ``for`` loop's variable bound by that loop alone, holds
one value per binding: its test is computed into a hidden flag right after
the binding (at entry, or first thing in the loop's body) and each use reads
the flag. Done only where it saves tests: two uses or more, or one inside a
loop.
"""
from __future__ import annotations

import ast
from typing import Iterator

from . import abi
from ._astutil import call, load

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, ast.While)


def flag_store_targets(fn: ast.FunctionDef) -> list[ast.stmt]:
    """Flag the parameters and the loop variables of ``fn``
    (see the module's docstring); returns the statements to run at entry."""
    bound = _bindings(fn)
    rebound_inside = {name for node in ast.walk(fn) if isinstance(node, (ast.Global, ast.Nonlocal))
                      for name in node.names}
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    prologue: list[ast.stmt] = []
    for name in params:
        if name in bound or name in rebound_inside:
            continue
        if _on_one_path(fn.body, name) >= 2:
            prologue.append(_flag(name, [t for t, _ in _tests(fn.body, name, False)], fn))
    for loop in _own_nodes(fn.body):
        if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name)):
            continue
        name = loop.target.id
        if bound.get(name) != 1 or name in params or name in rebound_inside:
            continue
        if _on_one_path(loop.body, name) >= 2:
            loop.body.insert(0, _flag(name, [t for t, _ in _tests(loop.body, name, False)], loop))
    for name, sites in _plain_assignments(fn).items():
        if bound.get(name) != len(sites) or name in params or name in rebound_inside:
            continue
        tests = [t for t, _ in _tests(fn.body, name, in_loop=False)]
        if _on_one_path(fn.body, name) < 2 * len(sites):
            continue
        first = next((i for i, stmt in enumerate(fn.body) if (fn.body, stmt) in sites), None)
        unbound_use = first is None or any(True for _ in _tests(fn.body[:first], name, False))
        flag = _flag(name, tests, fn)
        if unbound_use:
            # False until the first binding: a store before it reads the name
            # itself (in the guard's else branch), which fails as it would have
            prologue.append(ast.copy_location(
                ast.Assign(targets=flag.targets, value=ast.Constant(False)), fn))
        for block, stmt in sites:
            block.insert(block.index(stmt) + 1, _flag_statement(name, stmt))
    return prologue


def _plain_assignments(fn: ast.FunctionDef) -> dict[str, list[tuple[list[ast.stmt], ast.stmt]]]:
    """name -> the statements ``name = value`` of ``fn``'s own scope, each
    with the statement list that holds it."""
    out: dict[str, list[tuple[list[ast.stmt], ast.stmt]]] = {}
    for node in _own_nodes(fn.body):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for stmt in block:
                if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name)):
                    out.setdefault(stmt.targets[0].id, []).append((block, stmt))
        for handler in getattr(node, "handlers", []):
            for stmt in handler.body:
                if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name)):
                    out.setdefault(stmt.targets[0].id, []).append((handler.body, stmt))
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            out.setdefault(stmt.targets[0].id, []).append((fn.body, stmt))
    return out


def _flag(name: str, tests: list[ast.Compare], region: ast.AST) -> ast.stmt:
    """Make each of ``tests`` (inside ``region``) a load of the flag; return
    the statement that computes it."""
    _ReadFlag({id(t) for t in tests}, f"_sg_{name}").visit(region)
    return _flag_statement(name, region)


def _flag_statement(name: str, where: ast.AST) -> ast.Assign:
    value = ast.Compare(left=call(abi.TYPE, load(name)), ops=[ast.In()],
                        comparators=[load(abi.GUEST_CLASSES)])
    return ast.copy_location(ast.Assign(targets=[ast.Name(id=f"_sg_{name}", ctx=ast.Store())],
                                        value=value), where)


class _ReadFlag(ast.NodeTransformer):
    def __init__(self, tests: set[int], flag: str):
        self.tests = tests
        self.flag = flag

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if id(node) in self.tests:
            return ast.copy_location(load(self.flag), node)
        self.generic_visit(node)
        return node


def _bindings(fn: ast.FunctionDef) -> dict[str, int]:
    """How many nodes of ``fn``'s own scope (comprehensions included, to be
    safe) bind each name."""
    counts: dict[str, int] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
            continue
        elif isinstance(node, ast.ExceptHandler) and node.name:
            add(node.name)
        elif isinstance(node, ast.alias):
            add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return counts


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _tests(body: list[ast.stmt], name: str, in_loop: bool) -> Iterator[tuple[ast.Compare, bool]]:
    """The tests ``_type(name) in _GC`` of ``body``'s own scope (no
    comprehension: its variable may be another ``name``), with whether each
    is inside a loop of ``body``."""
    for node in body:
        yield from _tests_in(node, name, in_loop)


def _tests_in(node: ast.AST, name: str, in_loop: bool) -> Iterator[tuple[ast.Compare, bool]]:
    if isinstance(node, _SCOPES):
        return
    if _is_test(node, name):
        yield node, in_loop  # type: ignore[misc]
        return
    inner = in_loop or isinstance(node, _LOOPS)
    for child in ast.iter_child_nodes(node):
        looped = inner and not (isinstance(node, ast.For) and child is node.iter)
        yield from _tests_in(child, name, looped)


def _on_one_path(body: list[ast.stmt], name: str) -> int:
    """How many tests of ``name`` one run through ``body`` may make at most,
    as far as it matters here: of an ``if``, the branch with more; a test
    inside a loop counts as two (it may run many times)."""
    count = 0
    for stmt in body:
        if isinstance(stmt, ast.If):
            count += sum(1 for _ in _tests_in(stmt.test, name, False))
            count += max(_on_one_path(stmt.body, name), _on_one_path(stmt.orelse, name))
        elif isinstance(stmt, _LOOPS) or isinstance(stmt, ast.Try):
            found = list(_tests_in(stmt, name, False))
            count += 2 * any(looped for _, looped in found) + sum(not looped for _, looped in found)
        else:
            count += sum(1 for _ in _tests_in(stmt, name, False))
    return count


def _is_test(node: ast.AST, name: str) -> bool:
    return (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In)
            and isinstance(node.left, ast.Call) and isinstance(node.left.func, ast.Name)
            and node.left.func.id == abi.TYPE and len(node.left.args) == 1
            and isinstance(node.left.args[0], ast.Name) and node.left.args[0].id == name
            and isinstance(node.comparators[0], ast.Name)
            and node.comparators[0].id == abi.GUEST_CLASSES)
