"""Functions that need no fuel tick of their own ("leaves").

Every guest function ticks one fuel unit as it starts, so that work with no
loop of its own is still charged: recursion, and functions that C code
calls (``sorted(key=f)``, ``map(f, ...)``) where no guest loop counts the
turns. A leaf is a function for which neither can happen:

- it is a module-level function or a method of a module-level class,
  undecorated (so the name is the function), not a generator, its class
  undecorated too, and it defines no function, lambda or class inside;
- it is never a value: every mention of its name is the callee of a call
  written in the brick (``f(...)``, ``obj.f(...)``), never stored, passed,
  returned, rebound, declared ``global`` or written as a string; for
  methods, the brick names neither ``getattr``, ``methodcaller`` nor
  ``attrgetter`` (the ways to reach an attribute by a computed name), the
  name is not one host types use (``keys``, ``write``: C code calls those
  on whatever it is given) and not a dunder (C code calls those);
- it calls no other leaf: every call it makes reaches either C code or a
  function that ticks.

So a leaf runs only where guest code calls it by name, at most once per
call written in an already charged stretch of its caller (each of its own
loops still charges its turns), and a chain of uncharged calls is one leaf
deep: the work per charged unit stays bounded by the brick's size, as for
any straight-line code. A forged state cannot make one a value either: the
decoder refuses references to leaves (``Brick.tick_free``). Only bricks on
their own qualify (a unit's other bricks could import the function or
reach a method by name); a function that may migrate keeps its tick.
"""
from __future__ import annotations

import ast

from .policy import ALLOWED_ATTRIBUTES

#: Names that reach an attribute through a computed name.
_DYNAMIC_ATTRIBUTES = frozenset({"getattr", "methodcaller", "attrgetter"})
#: Protocol names C code calls on objects it is given, beyond those host
#: types have (``ALLOWED_ATTRIBUTES``: ``keys``, ``write``...) and dunders.
_PROTOCOL_NAMES = frozenset({"send", "throw", "fileno"})
#: Mark left on the ``FunctionDef`` of each leaf.
MARK = "_smvm_tick_free"


def _is_generator(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(fn))


def _dynamic_attributes(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _DYNAMIC_ATTRIBUTES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _DYNAMIC_ATTRIBUTES:
            return True
        if isinstance(node, ast.alias) and not _DYNAMIC_ATTRIBUTES.isdisjoint(
                {node.name, node.asname}):
            return True
    return False


def _candidates(tree: ast.Module, marked: frozenset[str]) -> tuple[
        dict[str, ast.FunctionDef], dict[str, list[ast.FunctionDef]]]:
    """Module-level functions and methods of the right shape, by name."""
    defs: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = defs.get(node.name, 0) + 1

    def shaped(fn: ast.stmt) -> bool:
        return (isinstance(fn, ast.FunctionDef) and not fn.decorator_list
                and not fn.name.startswith("_") and not _is_generator(fn)
                and not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                           ast.ClassDef)) and n is not fn for n in ast.walk(fn)))

    functions = {stmt.name: stmt for stmt in tree.body
                 if shaped(stmt) and defs[stmt.name] == 1 and stmt.name not in marked}
    methods: dict[str, list[ast.FunctionDef]] = {}
    count: dict[str, int] = {}
    if not _dynamic_attributes(tree):
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef) or cls.decorator_list or cls.keywords:
                continue
            for fn in cls.body:
                if shaped(fn) and fn.name not in ALLOWED_ATTRIBUTES \
                        and fn.name not in _PROTOCOL_NAMES:  # type: ignore[attr-defined]
                    methods.setdefault(fn.name, []).append(fn)  # type: ignore[arg-type]
        # every def of the name is such a method (no function, no nested def)
        count = {name: len(fns) for name, fns in methods.items()}
    methods = {name: fns for name, fns in methods.items()
               if defs[name] == count[name] and name not in functions}
    return functions, methods


def _never_values(tree: ast.Module, names: set[str]) -> set[str]:
    """Those of ``names`` mentioned only as the callee of a call."""
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    spoilt: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            if not (isinstance(node.ctx, ast.Load) and id(node) in callees):
                spoilt.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in names:
            if isinstance(node.ctx, ast.Load) and id(node) not in callees:
                spoilt.add(node.attr)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            spoilt.update(names.intersection(node.names))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value in names:
            spoilt.add(node.value)
        elif isinstance(node, ast.arg) and node.arg in names:
            spoilt.add(node.arg)
        elif isinstance(node, ast.alias) and (node.asname or node.name) in names:
            spoilt.add(node.asname or node.name)
    return names - spoilt


def _calls_any(fn: ast.FunctionDef, functions: set[str], methods: set[str]) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in functions:
                return True
            if isinstance(func, ast.Attribute) and func.attr in methods:
                return True
    return False


def mark_tick_free(tree: ast.Module, marked: frozenset[str] = frozenset()) -> None:
    """Mark the leaves of ``tree`` (see the module; ``marked``: its
    ``@own_domain`` functions, which keep their tick)."""
    functions, methods = _candidates(tree, marked)
    usable = _never_values(tree, set(functions) | set(methods))
    functions = {name: fn for name, fn in functions.items() if name in usable}
    methods = {name: fns for name, fns in methods.items() if name in usable}
    names, method_names = set(functions), set(methods)
    for fn in [*functions.values(), *(f for fns in methods.values() for f in fns)]:
        if not _calls_any(fn, names, method_names):
            setattr(fn, MARK, True)


def unmark(fn: ast.FunctionDef) -> None:
    """``fn`` keeps its tick (it may migrate)."""
    if hasattr(fn, MARK):
        delattr(fn, MARK)


def keep_callees_of(tree: ast.Module, migrating: list[ast.FunctionDef]) -> None:
    """A function that may migrate holds the callee of a call whose
    arguments reach a migration point in its state (``f(a(), hop())``):
    what such functions call by name keeps its tick (a state may name it)."""
    functions: set[str] = set()
    methods: set[str] = set()
    for fn in migrating:
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    functions.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    methods.add(node.func.attr)
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name in functions:
            unmark(stmt)
        elif isinstance(stmt, ast.ClassDef):
            for fn in stmt.body:
                if isinstance(fn, ast.FunctionDef) and fn.name in methods:
                    unmark(fn)


def is_tick_free(fn: ast.AST) -> bool:
    return getattr(fn, MARK, False) is True
