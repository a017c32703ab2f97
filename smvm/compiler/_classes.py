"""Classes in SM code: what the whitelist check allows in and around a
``class`` statement, and the rewrite that guards attribute stores.

A class is plain guest code: its methods are functions of the brick (fuel,
migration and all), its instances carry their attributes from node to node.
What the host's type machinery would run behind the scenes stays out: only
the dunder methods in ``ALLOWED_DUNDERS`` may be defined, a class takes no
keywords (no metaclass), and attributes are set through a guard that lets SM
code change its own objects only (see ``smvm.guestclasses``).
"""
from __future__ import annotations

import ast
from typing import Any

from . import abi, policy
from ._astutil import attr, call, const, load

METHOD_MARK = "_smvm_method"
_BODY_OK = (ast.FunctionDef, ast.Assign, ast.AnnAssign, ast.Pass)
_PROPERTY_PARTS = frozenset({"setter", "getter", "deleter"})


def module_classes(tree: ast.Module) -> frozenset[str]:
    """Names bound by a module-level ``class`` and by nothing else."""
    classes = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}
    other = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, (ast.Store, ast.Del))}
    other |= {s.name for s in ast.walk(tree) if isinstance(s, ast.FunctionDef)}
    return frozenset(classes - other)


def _is_docstring(index: int, stmt: ast.stmt) -> bool:
    return (index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def check_class(v: Any, node: ast.ClassDef) -> None:
    """The rules of a ``class`` statement (``v``: the validator)."""
    v.check_name(node, node.name, "class name")
    for kw in node.keywords:
        v.error(kw, "class keywords (metaclass=...) are not supported")
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and not deco.args and all(
                kw.arg and isinstance(kw.value, ast.Constant) for kw in deco.keywords):
            deco = deco.func
        if not (isinstance(deco, ast.Name) and deco.id in policy.CLASS_DECORATORS):
            v.error(deco, "the only class decorator is dataclass (or dataclass(option=constant, ...))")
    for index, stmt in enumerate(node.body):
        if isinstance(stmt, ast.FunctionDef):
            setattr(stmt, METHOD_MARK, True)
        elif isinstance(stmt, ast.Assign) and any(not isinstance(t, ast.Name) for t in stmt.targets):
            v.error(stmt, "a class body may only assign plain names")
        elif not isinstance(stmt, _BODY_OK) and not _is_docstring(index, stmt):
            v.error(stmt, "a class body may only hold methods, assignments and a docstring")


def check_method(v: Any, node: ast.FunctionDef) -> None:
    name = node.name
    if name.startswith("__") and name not in policy.ALLOWED_DUNDERS:
        v.error(node, f"method '{name}' is not allowed: only the value dunders "
                      "(see docs/language.md) may be defined")
    elif name in policy.DENIED_ATTRIBUTES:
        v.error(node, f"method name '{name}' is reserved")
    for deco in node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in policy.METHOD_DECORATORS:
            continue
        if (isinstance(deco, ast.Attribute) and deco.attr in _PROPERTY_PARTS
                and isinstance(deco.value, ast.Name)):
            deco.smvm_property_part = True  # type: ignore[attr-defined]
            continue
        v.error(deco, "method decorators: property (and .setter), staticmethod, classmethod")


def _names_a_class(v: Any, value: ast.expr) -> bool:
    """``super()`` / ``super(C, self)`` or a module-level class of the brick."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
        return True
    return isinstance(value, ast.Name) and value.id in v.class_names


def check_attribute(v: Any, node: ast.Attribute) -> None:
    name = node.attr
    if name == "__class__" and isinstance(node.ctx, ast.Load):
        return  # read through the registry: brick instances only (GuardAttributes)
    if name.startswith("__"):
        if not (name in policy.ALLOWED_DUNDERS and isinstance(node.ctx, ast.Load)
                and _names_a_class(v, node.value)):
            v.error(node, f"attribute '{name}' is not allowed (a dunder may only be "
                          "named on super() or on a class of the brick)")
    elif name in policy.DENIED_ATTRIBUTES and not getattr(node, "smvm_property_part", False):
        v.error(node, f"attribute '{name}' is not allowed: it reaches the host's "
                      "frames, code or classes")


class GuardAttributes(ast.NodeTransformer):
    """``obj.x = v`` / ``del obj.x`` only on guest objects; ``obj._x`` and
    ``obj.__class__`` reads only on guest objects. A plain-name target checks its type inline (one
    dict lookup): ``(o if _type(o) in _GC else _GS(o)).x = v``."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            node.value = ast.copy_location(_store_target(node.value), node.value)
        elif node.attr == "__class__":
            return ast.copy_location(call(abi.CLASS_OF, node.value), node)
        elif node.attr.startswith("_") and not node.attr.startswith("__"):
            private = call(abi.PRIVATE_ATTRIBUTE, node.value, const(node.attr))
            return ast.copy_location(private, node)
        return node


def _store_target(value: ast.expr) -> ast.expr:
    if isinstance(value, ast.Name):
        fast = ast.Compare(left=call(abi.TYPE, load(value.id)), ops=[ast.In()],
                           comparators=[load(abi.GUEST_CLASSES)])
        return ast.IfExp(test=fast, body=load(value.id),
                         orelse=call(abi.STORE_TARGET, load(value.id)))
    return call(abi.STORE_TARGET, value)


__all__ = ["GuardAttributes", "METHOD_MARK", "attr", "check_attribute", "check_class",
           "check_method", "module_classes"]


#: Module metadata a brick may set (strings only; dropped, never bound).
_METADATA = frozenset({"__author__", "__contact__", "__version__", "__credits__", "__license__",
                       "__email__", "__maintainer__", "__status__", "__date__",
                       "__copyright__"})


def _only_strings(value: ast.expr) -> bool:
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(isinstance(e, ast.Constant) and type(e.value) is str for e in value.elts)
    return isinstance(value, ast.Constant) and type(value.value) is str


def _inert(stmt: ast.stmt, names: frozenset[str]) -> bool:
    return (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in names
            and _only_strings(stmt.value))


def drop_inert_dunders(tree: ast.Module) -> None:
    """Drop what ordinary code sets but the SM language has no use for:
    module metadata strings (``__author__ = "..."``) and a class's
    ``__slots__`` of names (instances keep their attribute dict, which is
    how they travel; SM code cannot tell the difference except that an
    attribute outside the slots does not raise)."""
    tree.body = [s for s in tree.body if not _inert(s, _METADATA)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [s for s in node.body if not _inert(s, frozenset({"__slots__"}))] \
                or [ast.copy_location(ast.Pass(), node)]
