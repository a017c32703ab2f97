"""Inline forms of the guards on computed values, the value held in a
temporary: ``_R.cut(a[i + 1:])``, ``_R.contains(x, self.items)``,
``_R.scan(self.items, "remove", x)``, ``_R.bounded(self.color)`` and the
store guard ``_GS(self.board).x = v`` test the value's kind (and size) once
it is computed, and call the guard only where it would charge something (or
where the store target is no instance of the brick's classes). ``str(i % 10)``,
``repr(a[0])`` and an f-string field ``{i % 97}`` make text natively where the
value's text is its value alone, as ``_inline`` does for plain names.

``_inline`` does the same for plain names, which can be read twice; a
computed value is bound with ``:=`` to a local ``_hN`` as it is computed, in
the order the guarded call computed it. Only in functions that cannot
migrate (their locals never travel) and only in the function's own
statements: never in a comprehension, a lambda or a class body, where ``:=``
binds elsewhere or is refused.
"""
from __future__ import annotations

import ast
import copy
import itertools

from . import _inline, abi
from ._astutil import attr, call, load
from ._facts import int_arithmetic

_SKIPPED = (ast.FunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
            ast.DictComp, ast.GeneratorExp)
_GUARDS = frozenset({"cut", "contains", "scan", "bounded", "nest"})


def _held(name: str, value: ast.expr) -> ast.NamedExpr:
    return ast.NamedExpr(target=ast.Name(id=name, ctx=ast.Store()), value=value)


def _kind_of(value: ast.expr) -> ast.Call:
    return call(abi.TYPE, value)


def _is_in(left: ast.expr, kinds: str) -> ast.Compare:
    return ast.Compare(left=left, ops=[ast.In()], comparators=[load(kinds)])


def _at_most(name: str, length: int) -> ast.Compare:
    return ast.Compare(left=call(abi.LEN, load(name)), ops=[ast.LtE()],
                       comparators=[ast.Constant(length)])


def _guard_call(node: ast.AST) -> str | None:
    """The guard a generated ``_R.<guard>(...)`` call names (None: not one)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == abi.RUNTIME \
            and node.func.attr in _GUARDS:
        return node.func.attr
    return None


class HoldComputedValues(ast.NodeTransformer):
    """Rewrite the guard calls of one non-migrating function's own statements."""

    def __init__(self, names: "itertools.count[int]", ints: frozenset[str] = frozenset()):
        self.names = names
        self.ints = ints

    def run(self, fn: ast.FunctionDef) -> None:
        fn.body = [self.visit(stmt) for stmt in fn.body]

    def _temp(self) -> str:
        return f"_h{next(self.names)}"

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, _SKIPPED):
            return node  # its own scope (or defaults/decorators: left as they are)
        return super().generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == abi.STORE_TARGET \
                and len(node.args) == 1 and not node.keywords \
                and not isinstance(node.args[0], (ast.Name, ast.Starred)):
            # ``_GS(self.board).x = v``: a brick instance as it is
            h = self._temp()
            test = _is_in(_kind_of(_held(h, node.args[0])), abi.GUEST_CLASSES)
            return ast.copy_location(ast.IfExp(test=test, body=load(h),
                                               orelse=call(abi.STORE_TARGET, load(h))), node)
        if getattr(node, "_smvm_text_call", False):
            return ast.copy_location(self._text_call(node), node)
        if _is_text_field(node) and _inline._duplicable(node.args[2]):
            return ast.copy_location(self._text_field(node), node)
        guard = _guard_call(node)
        if guard is None or any(isinstance(a, ast.Starred) for a in node.args) \
                or not all(_inline._duplicable(a) for a in node.args[1:]) \
                or not all(_inline._duplicable(k.value) for k in node.keywords):
            return node
        if guard == "bounded" and isinstance(node.args[0], ast.Name):
            return node  # the fallback of ``_inline.bounded``'s own test
        if guard in ("contains", "scan") and all(_inline._pure(a) for a in node.args[:1 + (
                guard == "contains")]):
            return node  # plain names: the fallback of ``_inline``'s own test
        if guard == "cut" and isinstance(node.args[0], ast.Subscript) \
                and isinstance(node.args[0].value, ast.Name) \
                and isinstance(node.args[0].slice, ast.Slice) \
                and all(_inline._pure(p) for p in (node.args[0].slice.lower,
                                                   node.args[0].slice.upper,
                                                   node.args[0].slice.step)):
            return node
        made = getattr(self, "_" + guard)(node)
        return ast.copy_location(made, node) if made is not None else node

    def _text_call(self, node: ast.Call) -> ast.expr:
        """``str(x)``/``repr(x)`` (the guest's builtin): the real one where
        ``x`` holds a value whose text is its value alone."""
        h = self._temp()
        real = abi.STR if node.func.id == "str" else abi.REPR  # type: ignore[attr-defined]
        test = _is_in(_kind_of(_held(h, node.args[0])), abi.PLAIN_TEXT)
        return ast.IfExp(test=test, body=call(real, load(h)),
                         orelse=ast.Call(func=node.func, args=[load(h)], keywords=[]))

    def _text_field(self, node: ast.Call) -> ast.expr:
        """``_T.field(x, conversion, spec)``: the field formatted natively
        where ``x`` holds a value whose text is its value alone."""
        value, conversion, spec = node.args
        h = self._temp()
        spec_native = None if isinstance(spec, ast.Constant) and spec.value == "" else spec
        native: ast.expr = ast.JoinedStr(values=[ast.FormattedValue(
            value=load(h), conversion=conversion.value,  # type: ignore[attr-defined]
            format_spec=copy.deepcopy(spec_native))])
        if conversion.value == -1 and spec_native is None:  # type: ignore[attr-defined]
            native = load(h)  # the field around the guard formats it as it is
        test = _is_in(_kind_of(_held(h, value)), abi.PLAIN_TEXT)
        return ast.IfExp(test=test, body=native,
                         orelse=call(attr(abi.GUEST_TEXT, "field"), load(h), conversion, spec))

    def _cut(self, node: ast.Call) -> ast.expr | None:
        """``_R.cut(a[i:j])``: a short list, tuple, str or bytes as it is;
        where ``a`` is a name and ``i``, ``j`` int arithmetic of names known
        to hold ints (computing them runs no code that could grow ``a``),
        ``a`` is tested before it is cut, as ``_inline.cut`` does."""
        if len(node.args) != 1 or node.keywords:
            return None
        cut = node.args[0]
        if isinstance(cut, ast.Subscript) and isinstance(cut.value, ast.Name) \
                and isinstance(cut.slice, ast.Slice) and all(
                    int_arithmetic(b, self.ints)
                    for b in (cut.slice.lower, cut.slice.upper, cut.slice.step)):
            return ast.IfExp(test=_inline._short(cut.value, abi.SHORT_SLICED), body=cut,
                             orelse=call(attr(abi.RUNTIME, "cut"), copy.deepcopy(cut)))
        h = self._temp()
        test = ast.BoolOp(op=ast.And(), values=[
            _is_in(_kind_of(_held(h, node.args[0])), abi.SHORT_SLICED),
            _at_most(h, abi.SHORT_LENGTH)])
        return ast.IfExp(test=test, body=load(h), orelse=call(attr(abi.RUNTIME, "cut"), load(h)))

    def _nest(self, node: ast.Call) -> ast.expr | None:
        """``_R.nest(tuple(...))``: the tuple as it is where no item is a
        tuple (one level deep: the guard's own first test, in C, without
        the call); a display's guard is ``_inline.tuple_display``'s."""
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Tuple):
            return None
        h = self._temp()
        test = ast.Compare(left=load(abi.TUPLE), ops=[ast.NotIn()], comparators=[
            call(abi.MAP, load(abi.TYPE), _held(h, node.args[0]))])
        return ast.IfExp(test=test, body=load(h), orelse=call(attr(abi.RUNTIME, "nest"), load(h)))

    def _bounded(self, node: ast.Call) -> ast.expr | None:
        """``_R.bounded(x)``: a number, a brick instance or a container of
        fewer than ``C_ITEMS_PER_FUEL`` items as it is (the guard charges
        nothing for them)."""
        if len(node.args) != 1 or node.keywords:
            return None
        h = self._temp()
        test = ast.BoolOp(op=ast.Or(), values=[
            _is_in(_kind_of(_held(h, node.args[0])), abi.NUMBERS),
            _is_in(_kind_of(load(h)), abi.GUEST_CLASSES),
            ast.BoolOp(op=ast.And(), values=[_is_in(_kind_of(load(h)), abi.SHORT_WALKED),
                                             _at_most(h, _FREE_WALK - 1)])])
        return ast.IfExp(test=test, body=load(h),
                         orelse=call(attr(abi.RUNTIME, "bounded"), load(h)))

    def _contains(self, node: ast.Call) -> ast.expr | None:
        """``_R.contains(x, c)``: ``x`` then ``c`` computed into temporaries
        (``_type(...)`` of anything is truthy: the first test only binds
        ``x``), then ``x in c`` for a short list or tuple (``x`` no text,
        unless it is a name known to hold an int) or a set or dict, the
        guard otherwise."""
        if len(node.args) != 2 or node.keywords:
            return None
        item, box = self._temp(), self._temp()
        short = [_inline.kind_test(box, abi.SHORT_SCANNED, _held(box, node.args[1])),
                 _at_most(box, abi.SHORT_LENGTH)]
        if not (isinstance(node.args[0], ast.Name) and node.args[0].id in self.ints):
            short.append(ast.Compare(left=_kind_of(load(item)), ops=[ast.NotIn()],
                                     comparators=[load(abi.TEXTS)]))
        test = ast.BoolOp(op=ast.And(), values=[
            _kind_of(_held(item, node.args[0])),
            ast.BoolOp(op=ast.Or(), values=[
                ast.BoolOp(op=ast.And(), values=short),
                _is_in(_kind_of(load(box)), abi.HASHED)])])
        plain = ast.Compare(left=load(item), ops=[ast.In()], comparators=[load(box)])
        return ast.IfExp(test=test, body=plain,
                         orelse=call(attr(abi.RUNTIME, "contains"), load(item), load(box)))

    def _scan(self, node: ast.Call) -> ast.expr | None:
        """``_R.scan(obj, "count", x)``: ``obj`` computed into a temporary,
        then ``_inline.scan`` as for a plain name (its first test binds it)."""
        if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant) \
                or type(node.args[1].value) is not str:
            return None
        h = self._temp()
        method = ast.Call(func=ast.Attribute(value=load(h), attr=node.args[1].value,
                                             ctx=ast.Load()),
                          args=node.args[2:], keywords=node.keywords)
        made = _inline.scan(method)
        assert isinstance(made, ast.IfExp)
        first = _first_kind_test(made.test)
        if first is None or not (isinstance(first.args[0], ast.Name) and first.args[0].id == h):
            return None
        first.args[0] = _held(h, node.args[0])
        return made


def _is_text_field(node: ast.Call) -> bool:
    """Is ``node`` a generated ``_T.field(value, conversion, spec)`` whose
    value is computed (a plain name's field is inlined already)?"""
    func = node.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == abi.GUEST_TEXT and func.attr == "field"
            and len(node.args) == 3 and not node.keywords
            and not isinstance(node.args[0], (ast.Name, ast.Starred))
            and isinstance(node.args[1], ast.Constant))


def _first_kind_test(test: ast.expr) -> ast.Call | None:
    """The ``_type(name)`` call evaluated first in ``test``."""
    while isinstance(test, ast.BoolOp):
        test = test.values[0]
    if isinstance(test, ast.Compare) and isinstance(test.left, ast.Call) \
            and isinstance(test.left.func, ast.Name) and test.left.func.id == abi.TYPE:
        return test.left
    return None


#: ``Guards.bounded`` charges ``len // C_ITEMS_PER_FUEL``: nothing below this.
_FREE_WALK = 16


def hold_computed_values(fn: ast.FunctionDef, names: "itertools.count[int]",
                         ints: frozenset[str] = frozenset()) -> None:
    """Inline the guards of ``fn``'s own statements (``fn`` does not migrate;
    ``ints``: names of its own known to hold an int, ``_facts``)."""
    HoldComputedValues(names, ints).run(fn)


__all__ = ["hold_computed_values"]
