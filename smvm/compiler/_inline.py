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
from ._astutil import attr, call, const, load


def _pure(node: ast.expr | None) -> bool:
    """Evaluated without running any code: a name, a constant, a negative number."""
    if node is None or isinstance(node, (ast.Name, ast.Constant)):
        return True
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
        and isinstance(node.operand, ast.Constant)


def _short(container: ast.Name, kinds: str) -> ast.expr:
    """``_type(c) in KINDS and _len(c) <= SHORT_LENGTH``"""
    return ast.BoolOp(op=ast.And(), values=[
        kind_test(container.id, kinds),
        ast.Compare(left=call(abi.LEN, load(container.id)), ops=[ast.LtE()],
                    comparators=[ast.Constant(abi.SHORT_LENGTH)])])


def kind_test(name: str, kinds: str, held: ast.expr | None = None) -> ast.expr:
    """``_type(name) in KINDS``; for a list or tuple, ``_type(name) is _list
    or _type(name) is _tuple`` (two identity tests cost less than a set's
    lookup, and a list passes the first). ``held``: what the first read of
    ``name`` is instead (a ``:=`` computing it)."""
    first = held if held is not None else load(name)
    if kinds != abi.SHORT_SCANNED:
        return ast.Compare(left=call(abi.TYPE, first), ops=[ast.In()], comparators=[load(kinds)])
    return ast.BoolOp(op=ast.Or(), values=[
        ast.Compare(left=call(abi.TYPE, first), ops=[ast.Is()], comparators=[load(abi.LIST)]),
        ast.Compare(left=call(abi.TYPE, load(name)), ops=[ast.Is()],
                    comparators=[load(abi.TUPLE)])])


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


def isinstance_of_class(node: ast.Call, classes: set[str] = frozenset()) -> ast.expr:  # type: ignore[assignment]
    """``isinstance(x, C)`` -> ``_isinstance(x, C) if _type(C) is _type else
    isinstance(x, C)``: the real builtin where ``C`` is a class (of the brick,
    an exception, ``int``...: ``type`` checks those in C code and runs no
    guest code), the guest builtin (which maps ``list``, ``deque``, tuples
    of classes... to the host's types) otherwise; the real builtin alone
    where ``C`` is a name in ``classes``, which only ever holds a class of
    the brick."""
    if len(node.args) != 2 or node.keywords or not isinstance(node.args[1], ast.Name) \
            or not _pure(node.args[0]):
        return node
    item, kind = node.args
    if kind.id in classes:
        return ast.copy_location(call(abi.ISINSTANCE, item, load(kind.id)), node)
    test = ast.Compare(left=call(abi.TYPE, load(kind.id)), ops=[ast.Is()],
                       comparators=[load(abi.TYPE)])
    return ast.copy_location(ast.IfExp(
        test=test, body=call(abi.ISINSTANCE, copy.deepcopy(item), load(kind.id)),
        orelse=node), node)


def scan(node: ast.Call) -> ast.expr:
    """``obj.count(x)``/``.index(x)``/``.remove(x)``, guarded by
    ``_R.scan``, or called as written where ``obj`` is an instance of the
    brick's classes (its own method, which ticks fuel) or a short list or
    tuple (and ``x`` no text): the guard would charge nothing there."""
    func = node.func
    assert isinstance(func, ast.Attribute)
    guarded = ast.Call(func=attr(abi.RUNTIME, "scan"),
                       args=[func.value, ast.Constant(func.attr), *node.args],
                       keywords=node.keywords)
    if not isinstance(func.value, ast.Name):
        return guarded
    obj = func.value.id
    tests: list[ast.expr] = [ast.Compare(left=call(abi.TYPE, load(obj)), ops=[ast.In()],
                                         comparators=[load(abi.GUEST_CLASSES)])]
    if len(node.args) == 1 and not node.keywords and _pure(node.args[0]):
        short = _short(func.value, abi.SHORT_SCANNED)
        item_test = _plain_item(copy.deepcopy(node.args[0]))
        if item_test is not None:
            short.values.append(item_test)
        tests.insert(0, short)
    plain = ast.Call(func=ast.Attribute(value=load(obj), attr=func.attr, ctx=ast.Load()),
                     args=copy.deepcopy(node.args), keywords=copy.deepcopy(node.keywords))
    test = tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.Or(), values=tests)
    return ast.IfExp(test=test, body=plain, orelse=guarded)


def bounded(arg: ast.expr) -> ast.expr:
    """An argument of a consuming method (``d.update(x)``), charged for the
    C code about to walk it (``_R.bounded``); a plain name holding an
    instance of the brick's classes is passed as it is (its own methods
    tick fuel), a number (not iterable: the real call says so) or a
    container of fewer than 16 items (``len // 16`` units: none), as the
    guard would."""
    guarded = call(attr(abi.RUNTIME, "bounded"), arg)
    if not isinstance(arg, ast.Name):
        return guarded
    own = ast.BoolOp(op=ast.Or(), values=[
        _type_in(arg.id, abi.GUEST_CLASSES), _type_in(arg.id, abi.NUMBERS),
        ast.BoolOp(op=ast.And(), values=[  # fewer items than the guard charges for
            _type_in(arg.id, abi.SHORT_WALKED),
            ast.Compare(left=call(abi.LEN, load(arg.id)), ops=[ast.LtE()],
                        comparators=[ast.Constant(15)])])])
    return ast.IfExp(test=own, body=load(arg.id), orelse=guarded)


#: Syntax that must not be compiled twice (a function or a scope of its own)
#: or that suspends the frame.
_NOT_DUPLICABLE = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                   ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def _duplicable(node: ast.expr | None) -> bool:
    """May ``node`` appear in both branches of a conditional (only one of
    which runs)?"""
    return node is None or not any(isinstance(n, _NOT_DUPLICABLE) for n in ast.walk(node))


def _type_in(name: str, kinds: str) -> ast.expr:
    """``_type(name) in KINDS``"""
    return ast.Compare(left=call(abi.TYPE, load(name)), ops=[ast.In()], comparators=[load(kinds)])


def modulo(left: ast.expr, right: ast.expr) -> ast.expr:
    """``left % right``: the operator itself where ``left`` is a number (only
    %-formatting of text can show a host address, ``smvm.guest_text.mod``),
    the guarded call otherwise. A guest ``__rmod__`` of ``right`` runs as
    guest code either way."""
    guarded = call(attr(abi.GUEST_TEXT, "mod"), left, right)
    if isinstance(left, ast.Constant) and type(left.value) in (int, float):
        return ast.BinOp(left=left, op=ast.Mod(), right=right)
    if not (isinstance(left, ast.Name) and _duplicable(right)):
        return guarded
    native = ast.BinOp(left=load(left.id), op=ast.Mod(), right=copy.deepcopy(right))
    return ast.IfExp(test=_type_in(left.id, abi.NUMBERS), body=native, orelse=guarded)


def text_field(node: ast.FormattedValue) -> ast.expr:
    """The value of one f-string field ``{value!conversion:spec}``, as text
    with no host address: formatted natively where ``value`` (a plain name)
    holds a number, a string, bytes, None or a range, through
    ``smvm.guest_text.field`` otherwise."""
    spec = node.format_spec
    guarded = call(attr(abi.GUEST_TEXT, "field"), node.value, const(node.conversion),
                   spec or const(""))
    if not (isinstance(node.value, ast.Name) and _duplicable(spec)):
        return guarded
    native = ast.JoinedStr(values=[ast.FormattedValue(
        value=load(node.value.id), conversion=node.conversion,
        format_spec=copy.deepcopy(spec))])
    return ast.IfExp(test=_type_in(node.value.id, abi.PLAIN_TEXT), body=native, orelse=guarded)


def text_call(node: ast.Call) -> ast.expr:
    """``str(x)``/``repr(x)`` of a plain name: the real builtin where ``x``
    holds a value whose text is its value alone, the guest's otherwise."""
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        return node
    if not isinstance(node.args[0], ast.Name):
        node._smvm_text_call = True  # type: ignore[attr-defined]  # ``_held`` may hold it
        return node
    name = node.args[0].id
    real = abi.STR if node.func.id == "str" else abi.REPR  # type: ignore[attr-defined]
    return ast.IfExp(test=_type_in(name, abi.PLAIN_TEXT), body=call(real, load(name)),
                     orelse=node)


def short_walk(node: ast.Call, real: str) -> ast.expr:
    """``min(x)``, ``sum(x)``, ``list(x)``... of a plain name: the real
    builtin ``real`` where ``x`` is a container of at most ``SHORT_LENGTH``
    items (the guarded builtin would charge at most as much as a scan of
    that length, which the guards leave free), the guarded one otherwise."""
    if len(node.args) != 1 or not isinstance(node.args[0], ast.Name) \
            or not all(kw.arg and _duplicable(kw.value) for kw in node.keywords):
        return node
    name = node.args[0].id
    test = ast.BoolOp(op=ast.And(), values=[
        _type_in(name, abi.SHORT_WALKED),
        ast.Compare(left=call(abi.LEN, load(name)), ops=[ast.LtE()],
                    comparators=[ast.Constant(abi.SHORT_LENGTH)])])
    native = ast.Call(func=load(real), args=[load(name)], keywords=copy.deepcopy(node.keywords))
    return ast.IfExp(test=test, body=native, orelse=node)


def tuple_display(node: ast.Tuple) -> ast.expr:
    """A tuple display checked for depth (``_R.nest``); one of up to four
    names and constants, none of them a tuple, is one level deep: the test
    ``_type(a) is not _tuple and ...`` replaces the call (the names are read
    again with nothing run in between)."""
    guarded = call(attr(abi.RUNTIME, "nest"), node)
    items = node.elts
    if len(items) > 4 or not all(
            isinstance(e, ast.Name) or (isinstance(e, ast.Constant) and type(e.value) is not tuple)
            for e in items):
        return guarded
    tests: list[ast.expr] = [
        ast.Compare(left=call(abi.TYPE, load(e.id)), ops=[ast.IsNot()],
                    comparators=[load(abi.TUPLE)])
        for e in items if isinstance(e, ast.Name)]
    test = tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.And(), values=tests)
    return ast.IfExp(test=test, body=copy.deepcopy(node), orelse=guarded)
