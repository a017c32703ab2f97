"""Sets hold no value hashed by its address (``smvm.setmembers``): every
place SM code builds or grows a set goes through a check.

``GuardSetBuilding`` (before the migration analysis):

* set displays and comprehensions: ``_SM({...})`` checks what was built (a
  display of constants needs none, nor one only tested with ``in``);
* in a brick that may make dict views (``mentions_views``), ``|``, ``&``,
  ``^``, ``-`` and their in-place forms, which build sets from dict views
  (``d.keys() | xs``): ``_SO(a, b, "or_")``, or the
  operator itself where a plain name shows no dict view can be involved (a
  number on the left; for ``-`` and ``&`` a set, whose items the result
  takes; for ``|`` and ``^`` sets on both sides).

``GuardSetGrowing`` (after it, which flags calls that may migrate):

* ``o.add(x)``, ``o.update(xs)``, ``o.union(xs)``...: ``_SG(o, "add", x)``,
  or, for a plain name, the call as written where ``o`` is no set; a call
  that may reach a migrating method of the brick stays the guest frame's
  own call, each argument checked by ``_SA``;
* those methods taken as values (``f = s.add``): ``_SV(s, "add")``.

``hold_set_values`` (in a function that cannot migrate, whose locals never
travel): an operand or receiver computed by an expression (``v[0] -= d``,
``self.hash ^= z``, ``self.board.zobrist.update(...)``) is held in a
temporary ``_hN`` as it is computed, and the operator or method runs as
written where it holds a number or no set.

``set()``/``frozenset()`` and their fast consumers check in the VM.
"""
from __future__ import annotations

import ast
import copy
import itertools

from . import abi
from ._analysis import MIG_ATTR
from ._astutil import call, const, load

#: Set methods that take values in (``smvm.setmembers.GROWING``).
GROWING = frozenset({"add", "update", "union", "symmetric_difference",
                     "symmetric_difference_update"})
_OPERATORS = {ast.BitOr: "or_", ast.BitAnd: "and_", ast.BitXor: "xor", ast.Sub: "sub"}
_IN_PLACE = {ast.BitOr: "ior", ast.BitAnd: "iand", ast.BitXor: "ixor", ast.Sub: "isub"}
#: Operators whose result takes its items from a set on the left.
_FROM_LEFT = (ast.Sub, ast.BitAnd)
_NOT_DUPLICABLE = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                   ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def _duplicable(node: ast.expr) -> bool:
    """May ``node`` be written in both branches of a conditional (one runs)?"""
    return not any(isinstance(n, _NOT_DUPLICABLE) for n in ast.walk(node))


def _number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, bool)


def _kind_in(value: str | ast.expr, kinds: str) -> ast.expr:
    """``_type(value) in KINDS`` (``value``: a name, or an expression read again)."""
    read = load(value) if isinstance(value, str) else copy.deepcopy(value)
    return ast.Compare(left=call(abi.TYPE, read), ops=[ast.In()], comparators=[load(kinds)])


def _no_view(op: ast.operator, left: ast.expr, right: ast.expr) -> ast.expr | None:
    """A test, reading the plain name ``left`` again (and ``right`` only if
    it is a plain name), that ``left <op> right`` involves no dict view
    (None: no such test)."""
    if not isinstance(left, ast.Name):
        return None
    left = load(left.id)
    if isinstance(op, _FROM_LEFT):
        return _kind_in(left, abi.NUMBERS_OR_SETS)
    if not isinstance(right, ast.Name):
        return _kind_in(left, abi.NUMBERS)
    return ast.BoolOp(op=ast.Or(), values=[
        _kind_in(left, abi.NUMBERS),
        ast.BoolOp(op=ast.And(), values=[_kind_in(left, abi.SET_KINDS),
                                         _kind_in(right.id, abi.SET_KINDS)])])


def _pure(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Constant))


def _read(target: ast.expr) -> ast.expr | None:
    """The target of ``t op= v`` read as a value, where reading its parts
    again runs nothing (names and constants); None otherwise."""
    if isinstance(target, ast.Name):
        return load(target.id)
    if isinstance(target, ast.Attribute) and _pure(target.value):
        return ast.Attribute(value=copy.deepcopy(target.value), attr=target.attr, ctx=ast.Load())
    if isinstance(target, ast.Subscript) and _pure(target.value) and _pure(target.slice):
        return ast.Subscript(value=copy.deepcopy(target.value), slice=copy.deepcopy(target.slice),
                             ctx=ast.Load())
    return None


#: What can make a dict view: ``d.keys()``, ``d.items()``, and what reaches
#: a method by a name computed at run time.
_VIEW_ATTRIBUTES = frozenset({"keys", "items", "methodcaller", "attrgetter"})
_VIEW_NAMES = frozenset({"getattr", "methodcaller", "attrgetter"})


def mentions_views(tree: ast.Module) -> bool:
    """May the code of ``tree`` make a dict view? A brick that never names
    ``keys``, ``items``, ``getattr``, ``methodcaller`` or ``attrgetter``
    cannot, and its set operators need no check (an arriving state holding a
    view, or naming one of those, is refused for it: ``Brick.makes_views``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _VIEW_ATTRIBUTES:
            return True
        if isinstance(node, ast.Name) and node.id in _VIEW_NAMES:
            return True
        if isinstance(node, ast.alias) and not _VIEW_NAMES.isdisjoint(
                {node.name, node.asname}):  # ``from operator import methodcaller as m``
            return True
    return False


class GuardSetBuilding(ast.NodeTransformer):
    """Displays, comprehensions and (where the brick may make dict views)
    set operators (see the module)."""

    def __init__(self, views: bool = True) -> None:
        self.names = itertools.count()
        self.views = views

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        # ``x in {a, b}``: the set is only tested, never kept or walked
        node.left = self.visit(node.left)
        node.comparators = [
            ast.copy_location(ast.Set(elts=[self.visit(e) for e in c.elts]), c)
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(c, ast.Set) else self.visit(c)
            for op, c in zip(node.ops, node.comparators)]
        return node

    def visit_Set(self, node: ast.Set) -> ast.expr:
        self.generic_visit(node)
        if all(isinstance(e, ast.Constant) for e in node.elts):
            return node
        return ast.copy_location(call(abi.SET_CHECKED, node), node)

    def visit_SetComp(self, node: ast.SetComp) -> ast.expr:
        self.generic_visit(node)
        return ast.copy_location(call(abi.SET_CHECKED, node), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        op = _OPERATORS.get(type(node.op))
        if op is None or not self.views or _number(node.left) or _number(node.right):
            return node  # a number with a dict view is a TypeError
        test = _no_view(node.op, node.left, node.right)
        if test is None or not _duplicable(node.right):
            return ast.copy_location(call(abi.SET_OPERATE, node.left, node.right, const(op)), node)
        guarded = call(abi.SET_OPERATE, load(node.left.id), copy.deepcopy(node.right), const(op))
        return ast.copy_location(ast.IfExp(test=test, body=node, orelse=guarded), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        op = _IN_PLACE.get(type(node.op))
        if op is None or not self.views or _number(node.value):
            return node
        out: list[ast.stmt] = []
        target = node.target
        read = _read(target)
        if read is None:  # a computed target: its parts held first, in CPython's order
            target = self._hold_parts(target, out, node)
            read = _read(target)
        guarded = ast.copy_location(ast.Assign(targets=[target], value=call(
            abi.SET_OPERATE, read, node.value, const(op))), node)
        test = _no_view(node.op, target, node.value) if isinstance(target, ast.Name) else None
        if test is None or not _duplicable(node.value):
            return [*out, guarded] if out else guarded
        native = ast.AugAssign(target=copy.deepcopy(target), op=node.op,
                               value=copy.deepcopy(node.value))
        return ast.copy_location(ast.If(test=test, body=[native], orelse=[guarded]), node)

    def _hold_parts(self, target: ast.expr, out: list[ast.stmt], node: ast.stmt) -> ast.expr:
        def hold(part: ast.expr) -> ast.expr:
            if _pure(part):
                return part
            name = f"_s{next(self.names)}"
            out.append(ast.copy_location(ast.Assign(
                targets=[ast.Name(id=name, ctx=ast.Store())], value=part), node))
            return load(name)
        if isinstance(target, ast.Attribute):
            return ast.Attribute(value=hold(target.value), attr=target.attr, ctx=ast.Store())
        assert isinstance(target, ast.Subscript)
        value = hold(target.value)
        return ast.Subscript(value=value, slice=hold(target.slice), ctx=ast.Store())


class GuardSetGrowing(ast.NodeTransformer):
    """The growing methods, called or taken as values (see the module)."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and node.attr in GROWING:
            return ast.copy_location(call(abi.SET_METHOD, node.value, const(node.attr)), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in GROWING):
            self.generic_visit(node)
            return node
        func.value = self.visit(func.value)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        obj, name = func.value, const(func.attr)
        receiver = isinstance(obj, ast.Name)
        if getattr(node, MIG_ATTR, False):
            # a method of the brick by this name may migrate: the guest frame
            # calls it; each argument goes through the check on its own
            known = load(obj.id) if receiver else const(None)
            node.args = [a if isinstance(a, ast.Starred) else ast.copy_location(
                call(abi.SET_ARGUMENT, copy.deepcopy(known), name, a), a) for a in node.args]
            return node
        guarded = ast.Call(func=load(abi.SET_GROW), args=[obj, name, *node.args],
                           keywords=node.keywords)
        if not receiver or not all(_no_call(a) for a in node.args) \
                or not all(_no_call(k.value) for k in node.keywords):
            return ast.copy_location(guarded, node)
        plain = ast.Call(func=ast.Attribute(value=load(obj.id), attr=func.attr, ctx=ast.Load()),
                         args=copy.deepcopy(node.args), keywords=copy.deepcopy(node.keywords))
        test = _kind_in(obj.id, abi.SET_KINDS)
        if func.attr == "add" and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
            # ``seen.add(x)`` of a number or text: the real method
            test = ast.BoolOp(op=ast.And(), values=[test, ast.Compare(
                left=call(abi.TYPE, load(node.args[0].id)), ops=[ast.NotIn()],
                comparators=[load(abi.PLAIN_HASHED)])])
        return ast.copy_location(ast.IfExp(test=test, body=guarded, orelse=plain), node)


def _no_call(node: ast.expr) -> bool:
    """May ``node`` be written in both branches of a conditional after the
    migration analysis (no call in it that may migrate: none becomes a resume
    point twice)?"""
    return _duplicable(node) and not any(isinstance(n, ast.Call) and getattr(n, MIG_ATTR, False)
                                         for n in ast.walk(node))


_NEW_CODE = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Yield,
             ast.YieldFrom, ast.Await)


def _copyable(node: ast.expr) -> bool:
    """May ``node`` of a function that cannot migrate be written in both
    branches of a conditional (it makes no code object of its own)?"""
    return not any(isinstance(n, _NEW_CODE) for n in ast.walk(node))


_OWN_SCOPE_ONLY = (ast.FunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
                   ast.DictComp, ast.GeneratorExp)
_BINARY = {"or_": ast.BitOr, "and_": ast.BitAnd, "xor": ast.BitXor, "sub": ast.Sub,
           "ior": ast.BitOr, "iand": ast.BitAnd, "ixor": ast.BitXor, "isub": ast.Sub}


def _named(name: str, value: ast.expr) -> ast.NamedExpr:
    return ast.NamedExpr(target=ast.Name(id=name, ctx=ast.Store()), value=value)


def _generated(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == name and not node.keywords \
        and not any(isinstance(a, ast.Starred) for a in node.args)


class HoldSetValues(ast.NodeTransformer):
    """Rewrite the set checks of one non-migrating function's own statements."""

    def __init__(self, names: "itertools.count[int]"):
        self.names = names

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, _OWN_SCOPE_ONLY):
            return node  # its own scope: ``:=`` would bind elsewhere
        return super().generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if _generated(node, abi.SET_OPERATE) and len(node.args) == 3 \
                and not isinstance(node.args[0], ast.Name) and _copyable(node.args[1]):
            # ``_SO(a, b, "sub")``: ``a`` held, ``h - b`` where it is a number
            h = f"_h{next(self.names)}"
            op = _BINARY[node.args[2].value]  # type: ignore[attr-defined]
            native = ast.BinOp(left=load(h), op=op(), right=copy.deepcopy(node.args[1]))
            test = _kind_in(_named(h, node.args[0]), abi.NUMBERS)
            return ast.copy_location(ast.IfExp(test=test, body=native, orelse=call(
                abi.SET_OPERATE, load(h), node.args[1], node.args[2])), node)
        if _generated(node, abi.SET_GROW) and len(node.args) >= 2 \
                and not isinstance(node.args[0], ast.Name) \
                and all(_copyable(a) for a in node.args[2:]):
            # ``_SG(self.items, "add", x)``: the receiver held, its own method
            # called where it is no set
            h = f"_h{next(self.names)}"
            plain = ast.Call(func=ast.Attribute(value=load(h), attr=node.args[1].value,
                                                ctx=ast.Load()),
                             args=copy.deepcopy(node.args[2:]), keywords=[])
            test = _kind_in(_named(h, node.args[0]), abi.SET_KINDS)
            return ast.copy_location(ast.IfExp(test=test, body=call(
                abi.SET_GROW, load(h), *node.args[1:]), orelse=plain), node)
        return node


def hold_set_values(fn: ast.FunctionDef, names: "itertools.count[int]") -> None:
    """Inline the set checks of ``fn``'s own statements (``fn`` does not migrate)."""
    holder = HoldSetValues(names)
    fn.body = [holder.visit(stmt) for stmt in fn.body]
