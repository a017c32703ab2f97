"""Closures made ready to migrate, before the capture transform.

* lambdas that may migrate become nested ``def``s (statements can resume);
* variables shared with nested functions become explicit ``Cell`` boxes, so a
  frame and the closures it made still share them after a migration.
"""
from __future__ import annotations

import ast

from ..errors import SourceError
from . import abi
from ._analysis import Resolution, contains_flagged
from ._astutil import assign, attr, call, load
from ._rewrite import Rejections
from ._scopes import iter_own_scope, params


def _needs_def(lam: ast.Lambda) -> bool:
    """A lambda that may migrate, or that holds one (which must then be
    defined inside it), has to become a def."""
    if contains_flagged(lam.body):
        return True
    return any(isinstance(n, ast.Lambda) and contains_flagged(n.body)
               for n in ast.walk(lam.body))


class LiftMigratingLambdas:
    """Turn each lambda whose body may migrate into a ``def`` placed just
    before the statement that holds it (only statements can resume)."""

    def __init__(self, filename: str):
        self.filename = filename
        self.count = 0
        self.changed = False

    def run(self, tree: ast.Module) -> None:
        self._block(tree.body, in_function=False)

    def _block(self, body: list[ast.stmt], in_function: bool) -> None:
        index = 0
        while index < len(body):
            stmt = body[index]
            new_defs: list[ast.stmt] = []
            self._visit(stmt, new_defs, in_comprehension=False)
            for sub in _child_blocks(stmt):
                self._block(sub, in_function=True)
            body[index:index] = new_defs
            index += len(new_defs) + 1

    def _visit(self, node: ast.AST, out: list[ast.stmt], in_comprehension: bool) -> None:
        for fieldname, value in ast.iter_fields(node):
            if isinstance(node, (ast.stmt,)) and fieldname in ("body", "orelse", "finalbody", "handlers"):
                continue
            items = value if isinstance(value, list) else [value]
            for i, child in enumerate(items):
                if not isinstance(child, ast.AST):
                    continue
                if isinstance(child, ast.Lambda) and _needs_def(child):
                    if in_comprehension:
                        raise Rejections([SourceError(
                            self.filename, child.lineno,
                            "a lambda that may migrate cannot be written inside a "
                            "comprehension; define it with def before")])
                    name = f"_lambda{self.count}"
                    self.count += 1
                    fn = ast.FunctionDef(name=name, args=child.args,
                                         body=[ast.Return(value=child.body)],
                                         decorator_list=[], returns=None, type_comment=None)
                    ast.copy_location(fn, child)
                    ast.copy_location(fn.body[0], child)
                    # lambdas inside it become defs inside it (their scope)
                    self._block(fn.body, in_function=True)
                    out.append(fn)
                    replacement = ast.copy_location(load(name), child)
                    if isinstance(value, list):
                        value[i] = replacement
                    else:
                        setattr(node, fieldname, replacement)
                    self.changed = True
                    continue
                self._visit(child, out, in_comprehension or isinstance(
                    child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)))


def _child_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            blocks.append(value)
    for handler in getattr(stmt, "handlers", []):
        blocks.append(handler.body)
    return blocks


CELL_PREFIX = "_c_"
PROLOGUE_ATTR = "_smvm_prologue"


class Cellify:
    """Give each variable shared with a nested function an explicit Cell."""

    def __init__(self, res: Resolution, filename: str):
        self.res = res
        self.filename = filename
        self.errors: list[SourceError] = []

    def run(self, tree: ast.Module) -> None:
        owners: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)) and id(node) in self.res.captured:
                owners[id(node)] = node
        if not owners:
            return
        shared = {key: names for key, names in self.res.captured.items() if key in owners}
        # Rewrite every Name that resolves to a shared variable, in any scope.
        for node in ast.walk(tree):
            for fieldname, value in ast.iter_fields(node):
                items = value if isinstance(value, list) else [value]
                for i, child in enumerate(items):
                    repl = self._replacement(child, shared)
                    if repl is None:
                        continue
                    if isinstance(value, list):
                        value[i] = repl
                    else:
                        setattr(node, fieldname, repl)
        for key, fn in owners.items():
            self._fix_owner(fn, shared[key])
        for node in ast.walk(tree):
            if isinstance(node, ast.Nonlocal):
                node.names = [n for n in node.names if not self._is_shared_anywhere(n, shared)]
        # drop emptied nonlocal statements
        for node in ast.walk(tree):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    kept = [s for s in block if not (isinstance(s, ast.Nonlocal) and not s.names)]
                    block[:] = kept or [ast.Pass()]

    @staticmethod
    def _is_shared_anywhere(name: str, shared: dict[int, set[str]]) -> bool:
        return any(name in names for names in shared.values())

    def _replacement(self, child: object, shared: dict[int, set[str]]) -> ast.AST | None:
        if isinstance(child, ast.Name):
            scope = self.res.scope_of.get(id(child))
            if scope is None or id(scope) not in shared or child.id not in shared[id(scope)]:
                return None
            cell = ast.Attribute(value=load(CELL_PREFIX + child.id), attr="v", ctx=child.ctx)
            if isinstance(child.ctx, ast.Del):
                self.errors.append(SourceError(self.filename, child.lineno,
                                               f"cannot delete '{child.id}': a nested function uses it"))
            return ast.copy_location(cell, child)
        if isinstance(child, ast.NamedExpr):
            scope = self.res.scope_of.get(id(child.target))
            if scope is not None and id(scope) in shared and child.target.id in shared[id(scope)]:
                value = child.value
                cell = load(CELL_PREFIX + child.target.id)
                repl = call(attr(abi.RUNTIME, "set_cell"), cell, value)
                return ast.copy_location(repl, child)
        return None

    def _fix_owner(self, fn: ast.AST, names: set[str]) -> None:
        prologue: list[ast.stmt] = []
        own_params = set(params(fn))  # type: ignore[arg-type]
        for name in sorted(names):
            init = call(abi.CELL, load(name)) if name in own_params else call(abi.CELL)
            prologue.append(assign(CELL_PREFIX + name, init))
        if isinstance(fn, ast.Lambda):
            # A lambda owning shared variables: only its parameters can be
            # shared (lambdas bind nothing else); wrap via a helper call.
            raise Rejections([SourceError(self.filename, fn.lineno,
                                          "a lambda whose parameters are used by a nested "
                                          "lambda is not supported; use def")])
        setattr(fn, PROLOGUE_ATTR, prologue + getattr(fn, PROLOGUE_ATTR, []))
        # def statements and except handlers binding shared names
        for node in list(iter_own_scope(fn)):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                continue
            for block_name in ("body", "orelse", "finalbody"):
                block = getattr(node, block_name, None)
                if isinstance(block, list):
                    self._fix_block(block, names)
            if isinstance(node, ast.ExceptHandler) and node.name in names:
                hidden = "_hx_" + node.name
                node.body.insert(0, ast.Assign(
                    targets=[ast.Attribute(value=load(CELL_PREFIX + node.name), attr="v",
                                           ctx=ast.Store())], value=load(hidden)))
                node.name = hidden
        self._fix_block(fn.body, names)  # type: ignore[union-attr]

    @staticmethod
    def _fix_block(block: list[ast.stmt], names: set[str]) -> None:
        index = 0
        while index < len(block):
            stmt = block[index]
            if isinstance(stmt, ast.FunctionDef) and stmt.name in names and not getattr(
                    stmt, "_smvm_celled", False):
                stmt._smvm_celled = True  # type: ignore[attr-defined]
                block.insert(index + 1, ast.Assign(
                    targets=[ast.Attribute(value=load(CELL_PREFIX + stmt.name), attr="v",
                                           ctx=ast.Store())], value=load(stmt.name)))
                index += 1
            index += 1
