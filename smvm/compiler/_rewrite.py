"""Source-level rewrites done before the capture transform.

* imports become assignments from the VM's module table, annotations go;
* calls that could break the sandbox are routed through runtime guards
  (``str.format``, iterable-consuming methods, ``**``);
* generator expressions given to a few builtins go to the real builtin.

Lambdas and shared variables are made ready to migrate in ``_closures``.
"""
from __future__ import annotations

import ast

from ..errors import SourceError
from . import _inline, abi, policy
from ._analysis import MIG_ATTR
from ._astutil import assign, attr, call, const, load, store


class Rejections(Exception):
    def __init__(self, errors: list[SourceError]):
        super().__init__(errors)
        self.errors = errors


class SimplifyImports(ast.NodeTransformer):
    """``import math`` -> ``math = _MODULES['math']``; drop annotations.
    Names from linked bricks are already in the SM's namespace: their import
    goes, an ``as`` becomes an assignment."""

    def __init__(self, bricks: frozenset[str] = frozenset()):
        self.bricks = bricks

    def visit_Import(self, node: ast.Import) -> list[ast.stmt]:
        return [ast.copy_location(assign(a.asname or a.name, ast.Subscript(
            value=load(abi.MODULES), slice=const(a.name), ctx=ast.Load())), node)
            for a in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> list[ast.stmt]:
        if node.module in self.bricks:
            return [ast.copy_location(assign(a.asname, load(a.name)), node)
                    for a in node.names if a.asname and a.asname != a.name]
        module = ast.Subscript(value=load(abi.MODULES), slice=const(node.module), ctx=ast.Load())
        return [ast.copy_location(assign(a.asname or a.name, attr(module, a.name)), node)
                for a in node.names]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        # Annotated names of a class body are its fields (dataclass): kept
        # as a plain list ``_fields_ = [...]`` the dataclass decorator reads.
        fields = [s.target.id for s in node.body
                  if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        self.generic_visit(node)
        if node.decorator_list:
            node.body.insert(0, ast.copy_location(assign("_smvm_fields", ast.List(
                elts=[const(f) for f in fields], ctx=ast.Load())), node))
        node.body = node.body or [ast.Pass()]
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.stmt | None:
        if node.value is None:
            return None
        return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node


class GuardCalls(ast.NodeTransformer):
    """Route sandbox-relevant operations through the runtime ``_R``
    (``.count``/``.index``/``.remove`` calls: ``GuardScans``, once the
    migration analysis has seen them as the method calls they are)."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in ("format", "format_map"):
                return ast.copy_location(ast.Call(
                    func=attr(abi.RUNTIME, "str_" + func.attr),
                    args=[func.value, *node.args], keywords=node.keywords), node)
            if func.attr in policy.CONSUMING_METHODS:
                first_only = func.attr in ("fromkeys", "join", "extend")
                node.args = [a if isinstance(a, ast.Starred) or (first_only and i) else
                             ast.copy_location(_inline.bounded(a), a)
                             for i, a in enumerate(node.args)]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.stmt:
        value, targets = node.value, node.targets
        if (len(targets) == 1 and isinstance(targets[0], (ast.Tuple, ast.List))
                and isinstance(value, ast.Tuple) and len(value.elts) == len(targets[0].elts)
                and not any(isinstance(e, ast.Starred) for e in (*value.elts, *targets[0].elts))):
            # ``a, b = b, a``: the tuple is unpacked at once (or never made),
            # so nothing can hash it: no depth check (``_R.nest``)
            node.targets = [self.visit(targets[0])]
            value.elts = [self.visit(e) for e in value.elts]
            return node
        self.generic_visit(node)
        return node

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        # a tuple in a tuple in a tuple...: hashing it recurses in C
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not all(
                isinstance(e, ast.Constant) for e in node.elts):
            return ast.copy_location(_inline.tuple_display(node), node)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        # ``x in big_list`` is a C loop: charged by the container's size.
        if len(node.ops) > 1 and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            return self.visit(_split_chain(node))
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) and not isinstance(
                node.comparators[0], (ast.Set, ast.Dict, ast.Tuple, ast.List, ast.Constant)):
            test = _inline.contains(node.left, node.comparators[0])
            if isinstance(node.ops[0], ast.NotIn):
                test = ast.UnaryOp(op=ast.Not(), operand=test)
            return ast.copy_location(test, node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        # A slice copies its items in C: charged by the result's size.
        self.generic_visit(node)
        if isinstance(node.slice, ast.Slice) and isinstance(node.ctx, ast.Load):
            return ast.copy_location(_inline.cut(node), node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            return ast.copy_location(call(attr(abi.RUNTIME, "power"), node.left, node.right), node)
        if isinstance(node.op, ast.Mod):  # '%s' % f shows no host address
            return ast.copy_location(_inline.modulo(node.left, node.right), node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.expr:
        # each f-string field shows no host address (smvm.guest_text.field)
        self.generic_visit(node)
        return ast.copy_location(ast.FormattedValue(value=_inline.text_field(node), conversion=-1,
                                                    format_spec=None), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt:
        self.generic_visit(node)
        if isinstance(node.op, ast.Mod):
            return _rewrite_mod_assign(node)
        if isinstance(node.op, ast.Pow) and isinstance(node.target, ast.Name):
            value = call(attr(abi.RUNTIME, "power"), load(node.target.id), node.value)
            return ast.copy_location(ast.Assign(targets=[store(node.target.id)], value=value), node)
        if isinstance(node.op, ast.Pow):
            raise Rejections([SourceError("", node.lineno, "'**=' is only supported on plain names")])
        return node


class GuardScans(ast.NodeTransformer):
    """``big_list.count(long_text)`` is a C loop charged before it runs:
    ``_R.scan(obj, "count", ...)``. A call the analysis flagged (some class
    of the brick has a ``count`` method that may migrate) stays a method call
    made by the guest frame, so a migration inside that method is captured:
    the capture transform charges it when the arguments are evaluated."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in policy.SCANNING_METHODS
                and not getattr(node, MIG_ATTR, False)):
            return ast.copy_location(_inline.scan(node), node)
        return node


def _split_chain(node: ast.Compare) -> ast.expr:
    """``a < b in c`` -> ``a < b and b in c`` (each ``in`` is then guarded);
    refused where a middle operand is more than a name or constant, which
    the split would evaluate twice."""
    middle = node.comparators[:-1]
    if not all(_side_effect_free(m) for m in middle):
        raise Rejections([SourceError("", node.lineno, (
            "a chained comparison with 'in' may only have names or constants between its "
            "operators (write the comparisons apart)"))])
    lefts = [node.left, *middle]
    parts = [ast.copy_location(ast.Compare(left=left, ops=[op], comparators=[right]), node)
             for left, op, right in zip(lefts, node.ops, node.comparators)]
    return ast.copy_location(ast.BoolOp(op=ast.And(), values=parts), node)


def _side_effect_free(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Constant))


def _rewrite_mod_assign(node: ast.AugAssign) -> ast.stmt:
    """``x %= y`` -> ``x = _T.mod(x, y)``; an item or attribute of a name is
    read again (``a[i] %= n``), anything else is refused."""
    target = node.target
    if isinstance(target, ast.Name):
        read: ast.expr = load(target.id)
    elif isinstance(target, ast.Subscript) and _side_effect_free(target.value) \
            and _side_effect_free(target.slice):
        read = ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
    elif isinstance(target, ast.Attribute) and _side_effect_free(target.value):
        read = ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load())
    else:
        raise Rejections([SourceError("", node.lineno, (
            "'%=' is only supported on names, and on items and attributes of names"))])
    value = _inline.modulo(read, node.value)
    return ast.copy_location(ast.Assign(targets=[target], value=value), node)


#: Builtins that may take a generator expression straight to the real C
#: function: the generator's iterable is charged as it is consumed
#: (``Runtime.lazy_counted``) and its frame ticks fuel, so the guarded
#: wrapper's per-call work buys nothing there.
_FAST_CONSUMERS = frozenset(abi.FAST_CONSUMERS)
_FAST_KEYWORDS = {"sorted": {"key", "reverse"}, "min": {"key", "default"},
                  "max": {"key", "default"}}
#: Consumers given a short container of a plain name call the real builtin
#: (``_inline.short_walk``; a tuple is still checked for depth: not here).
_SHORT_WALKERS = _FAST_CONSUMERS - {"tuple"}


class FastConsumers(ast.NodeTransformer):
    """``set(x for x in xs)`` -> ``_C_set(...)`` (the real builtin) where the
    brick does not rebind the name; a tuple made so is still checked for
    depth (``_R.nest``). ``isinstance(x, C)`` calls the real builtin when
    ``C`` is a class (``_inline.isinstance_of_class``; ``classes``: the
    names that can only hold a class of the brick)."""

    def __init__(self, bound: set[str], classes: set[str] = frozenset()):  # type: ignore[assignment]
        self.bound = bound
        self.classes = classes

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id == "isinstance" and func.id not in self.bound:
            return _inline.isinstance_of_class(node, self.classes)
        if isinstance(func, ast.Name) and func.id in ("str", "repr") and func.id not in self.bound:
            return ast.copy_location(_inline.text_call(node), node)
        if (isinstance(func, ast.Name) and func.id in _SHORT_WALKERS and func.id not in self.bound
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name)
                and (func.id == "dict" or all(kw.arg in _FAST_KEYWORDS.get(func.id, ())
                                              for kw in node.keywords))):
            return ast.copy_location(
                _inline.short_walk(node, abi.FAST_CONSUMER_PREFIX + func.id), node)
        if (isinstance(func, ast.Name) and func.id in _FAST_CONSUMERS and func.id not in self.bound
                and len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp)
                and all(kw.arg in _FAST_KEYWORDS.get(func.id, ()) for kw in node.keywords)):
            node.func = ast.copy_location(load(abi.FAST_CONSUMER_PREFIX + func.id), func)
            node.args[0]._smvm_consumed = True  # type: ignore[attr-defined]  # (see Instrument)
            if func.id == "tuple":
                return ast.copy_location(call(attr(abi.RUNTIME, "nest"), node), node)
        return node
