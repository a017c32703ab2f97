"""The spatial notation of DESIGN §7, ``{Left_Hill: Hot[i]}.temp``: pure syntax.

A one-item dict display ``{S: P}``, ``{S: P[i]}`` or ``{S: P[i, t]}`` (``P`` a
bare name, taken literally as the tag name) is a *spatial reference* where it is

* the object of an attribute that is not called: ``ref.name`` (read),
  ``ref.name = v`` (write), ``ref.name op= v`` (update), ``del ref.name``;
* the value of another such display (casting: ``{S1: {S2: P[i]}}``);
* the first argument of ``range_of``.

Anywhere else it stays a dict (``{key: values[0]}``, ``{k: v}.items()``). Each
reference becomes a call of the spatial library, the brick ``spatial.sp``:
``sref(S, "P", i, t)``, ``scast(S1, ref)``, ``sread(ref, "name")``,
``swrite(ref, "name", v)``, ``supdate(ref, "name", "+", v)`` and
``sdelete(ref, "name")``; the brick is imported for the names used (and so
linked into the SM). Those calls migrate, so every access is a migration point.
All semantics live in the brick; this module only rewrites the tree, before the
whitelist check, the same way on every node that compiles the brick.
"""
from __future__ import annotations

import ast

from ..errors import SourceError

LIBRARY = "spatial.sp"
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
        ast.BitOr: "|", ast.BitXor: "^"}


def rewrite(tree: ast.Module, filename: str) -> list[SourceError]:
    """Rewrite the notation in ``tree`` in place; return the problems found."""
    notation = _Notation(filename)
    notation.visit(tree)
    if notation.used and not notation.errors:
        _import(tree, notation.used)
    return notation.errors


def _is_display(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and len(node.keys) == 1 and node.keys[0] is not None


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
    return ast.copy_location(call, like)


class _Notation(ast.NodeTransformer):
    def __init__(self, filename: str):
        self.filename = filename
        self.errors: list[SourceError] = []
        self.used: set[str] = set()

    def _fail(self, node: ast.AST, message: str) -> ast.AST:
        self.errors.append(SourceError(self.filename, getattr(node, "lineno", 1), message))
        return node

    def _use(self, name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
        self.used.add(name)
        return _call(name, args, like)

    def reference(self, node: ast.Dict) -> ast.expr:
        """``sref(...)`` or ``scast(...)`` for a display in a reference position."""
        space, value = self.visit(node.keys[0]), node.values[0]
        if _is_display(value):
            return self._use("scast", [space, self.reference(value)], node)
        if isinstance(value, ast.Name):
            prop, extra = value.id, [ast.Constant(0)]
        elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
            prop = value.value.id
            extra = list(value.slice.elts) if isinstance(value.slice, ast.Tuple) else [value.slice]
            if not 1 <= len(extra) <= 2 or any(isinstance(e, (ast.Slice, ast.Starred))
                                                for e in extra):
                return self._fail(value, "a spatial reference takes P[index] or "
                                         "P[index, timeout]")
            extra = [self.visit(e) for e in extra]
        else:
            return self._fail(value, "not a spatial reference: in {space: P[i]} the property P "
                                     "must be a bare name, optionally indexed")
        return self._use("sref", [space, ast.Constant(prop), *extra], node)

    def _target(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and _is_display(node.value)

    # ---- reads ---------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _is_display(node.value) and isinstance(node.ctx, ast.Load):
            ref = self.reference(node.value)
            return self._use("sread", [ref, ast.Constant(node.attr)], node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Attribute) and _is_display(func.value):
            # a dict method ({k: v}.items()): tag values are never called
            func.value = self.generic_visit(func.value)
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        if isinstance(func, ast.Name) and func.id == "range_of" and node.args \
                and _is_display(node.args[0]):
            node.args = [self.reference(node.args[0]), *(self.visit(a) for a in node.args[1:])]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    # ---- writes --------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if not any(self._spatial_in(t) for t in node.targets):
            return self.generic_visit(node)
        if len(node.targets) != 1 or not self._target(node.targets[0]):
            return self._fail(node, "a spatial write must be the only target of its assignment")
        target = node.targets[0]
        call = self._use("swrite", [self.reference(target.value), ast.Constant(target.attr),
                                    self.visit(node.value)], node)
        return ast.copy_location(ast.Expr(call), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if not self._target(node.target):
            return self.generic_visit(node)
        op = _OPS.get(type(node.op))
        if op is None:
            return self._fail(node, f"operator {type(node.op).__name__} cannot update a tag")
        target = node.target
        call = self._use("supdate", [self.reference(target.value), ast.Constant(target.attr),
                                     ast.Constant(op), self.visit(node.value)], node)
        return ast.copy_location(ast.Expr(call), node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if self._target(node.target):
            return self._fail(node, "a spatial write cannot be annotated")
        return self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> ast.AST:
        if not any(self._target(t) for t in node.targets):
            return self.generic_visit(node)
        if len(node.targets) != 1:
            return self._fail(node, "delete one spatial tag per del statement")
        target = node.targets[0]
        call = self._use("sdelete", [self.reference(target.value), ast.Constant(target.attr)],
                         node)
        return ast.copy_location(ast.Expr(call), node)

    def _spatial_in(self, target: ast.expr) -> bool:
        """Whether a spatial attribute is stored to anywhere in ``target``."""
        return any(self._target(n) and isinstance(n.ctx, ast.Store) for n in ast.walk(target))

    def visit_For(self, node: ast.For) -> ast.AST:
        if self._spatial_in(node.target):
            return self._fail(node, "a spatial tag cannot be a loop variable")
        return self.generic_visit(node)


def _import(tree: ast.Module, used: set[str]) -> None:
    """Import the library functions the rewrite used, unless already imported."""
    have = {alias.asname or alias.name for stmt in tree.body
            if isinstance(stmt, ast.ImportFrom) and stmt.module == LIBRARY
            for alias in stmt.names}
    missing = sorted(used - have)
    if not missing:
        return
    first = tree.body[0] if tree.body else None
    line = getattr(first, "lineno", 1)
    stmt = ast.ImportFrom(module=LIBRARY, level=0, lineno=line, end_lineno=line, col_offset=0,
                          end_col_offset=0,
                          names=[ast.alias(name=n, lineno=line, end_lineno=line, col_offset=0,
                                           end_col_offset=0) for n in missing])
    docstring = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                 and isinstance(first.value.value, str))
    tree.body.insert(1 if docstring else 0, stmt)
