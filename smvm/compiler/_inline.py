"""Inline forms of the scan and slice guards: ``x in c`` and ``c[a:b]`` run
as they are where ``c`` turns out to be of a kind and size whose guard would
charge nothing (a short list, a set...), and call the guard otherwise.

The test reads the container a second time, so it is only made where every
operand is a plain name or constant: nothing evaluated between the test and
the operation can rebind the container (a call or an operator could, and a
long list scanned after a short one was tested would escape its charge)."""
from __future__ import annotations

import ast
import copy

from . import abi
from ._astutil import attr, call, load


def _pure(node: ast.expr | None) -> bool:
    """Evaluated without running any code: a name, a constant, a negative number."""
    if node is None or isinstance(node, (ast.Name, ast.Constant)):
        return True
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
        and isinstance(node.operand, ast.Constant)


def _short(container: ast.Name, kinds: str) -> ast.expr:
    """``_type(c) in KINDS and _len(c) <= SHORT_LENGTH``"""
    return ast.BoolOp(op=ast.And(), values=[
        ast.Compare(left=call(abi.TYPE, load(container.id)), ops=[ast.In()],
                    comparators=[load(kinds)]),
        ast.Compare(left=call(abi.LEN, load(container.id)), ops=[ast.LtE()],
                    comparators=[ast.Constant(abi.SHORT_LENGTH)])])


def _plain_item(item: ast.expr) -> ast.expr | None:
    """The test that ``item`` compares with each item in one step (not a
    text, which compares up to its length); None when it needs none."""
    if isinstance(item, ast.UnaryOp):  # a negative number
        return None
    if isinstance(item, ast.Constant):
        value = item.value
        if type(value) in (str, bytes) and len(value) >= 64:
            return ast.Constant(False)
        return None
    return ast.Compare(left=call(abi.TYPE, item), ops=[ast.NotIn()],
                       comparators=[load(abi.TEXTS)])


def contains(item: ast.expr, container: ast.expr) -> ast.expr:
    """``item in container``, guarded (``_R.contains``) or inline."""
    guarded = call(attr(abi.RUNTIME, "contains"), item, container)
    if not (isinstance(container, ast.Name) and _pure(item)):
        return guarded
    short = _short(container, abi.SHORT_SCANNED)
    item_test = _plain_item(copy.deepcopy(item))
    if item_test is not None:
        short.values.append(item_test)
    hashed = ast.Compare(left=call(abi.TYPE, load(container.id)), ops=[ast.In()],
                         comparators=[load(abi.HASHED)])
    plain = ast.Compare(left=copy.deepcopy(item), ops=[ast.In()],
                        comparators=[load(container.id)])
    return ast.IfExp(test=ast.BoolOp(op=ast.Or(), values=[short, hashed]), body=plain,
                     orelse=guarded)


def cut(node: ast.Subscript) -> ast.expr:
    """``value[a:b:c]`` (a load), guarded by its result's size (``_R.cut``)
    or inline."""
    guarded = call(attr(abi.RUNTIME, "cut"), node)
    value, piece = node.value, node.slice
    if not (isinstance(value, ast.Name) and isinstance(piece, ast.Slice)
            and _pure(piece.lower) and _pure(piece.upper) and _pure(piece.step)):
        return guarded
    return ast.IfExp(test=_short(value, abi.SHORT_SLICED), body=copy.deepcopy(node),
                     orelse=guarded)


def isinstance_of_class(node: ast.Call) -> ast.expr:
    """``isinstance(x, C)`` -> ``_isinstance(x, C) if _type(C) is _type else
    isinstance(x, C)``: the real builtin where ``C`` is a class (of the brick,
    an exception, ``int``...: ``type`` checks those in C code and runs no
    guest code), the guest builtin (which maps ``list``, ``deque``, tuples
    of classes... to the host's types) otherwise."""
    if len(node.args) != 2 or node.keywords or not isinstance(node.args[1], ast.Name) \
            or not _pure(node.args[0]):
        return node
    item, kind = node.args
    test = ast.Compare(left=call(abi.TYPE, load(kind.id)), ops=[ast.Is()],
                       comparators=[load(abi.TYPE)])
    return ast.copy_location(ast.IfExp(
        test=test, body=call(abi.ISINSTANCE, copy.deepcopy(item), load(kind.id)),
        orelse=node), node)
