"""Layer 1 of the sandbox: the whitelist check of a brick's syntax tree.

Every problem is collected (not only the first) and reported as a
``SourceError``; nothing is transformed here.
"""
from __future__ import annotations

import ast
import warnings

from ..errors import SourceError
from ..values import GUEST_EXCEPTIONS
from . import policy
from ._marks import OWN_DOMAIN, is_mark
from ._scopes import bound_anywhere, statement_bindings
from ._classes import METHOD_MARK, check_attribute, check_class, check_method, module_classes
from ._decorators import is_cache_decorator

MAX_SOURCE_BYTES = 1 << 20


def parse(source: str, filename: str) -> ast.Module:
    """Parse ``source``; syntax problems become a one-item error list."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise _Rejected([SourceError(filename, 1, f"brick larger than {MAX_SOURCE_BYTES} bytes")])
    try:
        with warnings.catch_warnings():  # e.g. invalid escapes: not the node's log's business
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=filename, type_comments=False)
    except SyntaxError as exc:
        raise _Rejected([SourceError(filename, exc.lineno or 1, f"syntax error: {exc.msg}")])
    except (RecursionError, MemoryError, ValueError) as exc:
        raise _Rejected([SourceError(filename, 1, f"cannot parse brick: {type(exc).__name__}")])


def drop_future_imports(tree: ast.Module, filename: str) -> list[SourceError]:
    """Remove the leading ``from __future__ import ...`` statements (each
    feature allowed is a no-op here, ``policy.FUTURE_FEATURES``); the errors
    for features that are not."""
    errors = []
    start = 1 if tree.body and isinstance(tree.body[0], ast.Expr) \
        and isinstance(tree.body[0].value, ast.Constant) else 0
    end = start
    while end < len(tree.body) and isinstance(tree.body[end], ast.ImportFrom) \
            and tree.body[end].module == "__future__" and not tree.body[end].level:
        for alias in tree.body[end].names:
            if alias.name not in policy.FUTURE_FEATURES or alias.asname:
                errors.append(SourceError(filename, tree.body[end].lineno, (
                    f"'from __future__ import {alias.name}' is not allowed "
                    f"(allowed: {', '.join(sorted(policy.FUTURE_FEATURES))})")))
        end += 1
    del tree.body[start:end]
    return errors


class _Rejected(Exception):
    def __init__(self, errors: list[SourceError]):
        super().__init__(errors)
        self.errors = errors


def module_bindings(stmt: ast.stmt) -> list[tuple[str, ast.AST]]:
    """The names a module-level statement binds to something new, with
    where (``X = X`` and ``from a_brick import X`` keep what ``X`` is: a brick
    re-exports an exception that way)."""
    if isinstance(stmt, ast.ImportFrom) and stmt.module not in policy.MODULES:
        return [(a.asname, stmt) for a in stmt.names if a.asname not in (None, a.name)]
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Name) \
            and stmt.targets[0].id == stmt.value.id:
        return []
    return [(name, stmt if isinstance(where, ast.alias) else where)
            for name, where in statement_bindings(stmt)]


def shared_builtin_rebindings(tree: ast.Module) -> list[tuple[str, int]]:
    """Builtins and guest exceptions a brick binds at module level or
    declares global: refused in a linked unit, whose bricks share one
    namespace (the other bricks' code would call the rebound one)."""
    names = policy.BUILTIN_NAMES | set(GUEST_EXCEPTIONS)
    found = [(name, getattr(where, "lineno", 1)) for stmt in tree.body
             for name, where in module_bindings(stmt) if name in names]
    found += [(name, node.lineno) for node in ast.walk(tree) if isinstance(node, ast.Global)
              for name in node.names if name in names]
    return found


class Validator(ast.NodeVisitor):
    """Collects whitelist violations for one brick."""

    def __init__(self, filename: str, tree: ast.Module, bricks: dict[str, frozenset[str]]):
        self.filename = filename
        self.bricks = bricks
        self.errors: list[SourceError] = []
        self.known_names = (
            bound_anywhere(tree) | policy.BUILTIN_NAMES | policy.PRIMITIVE_NAMES
            | set(GUEST_EXCEPTIONS)
        )
        self._call_funcs: set[int] = set()
        self._module_functions = {id(s) for s in tree.body if isinstance(s, ast.FunctionDef)}
        self.class_names = module_classes(tree)

    def error(self, node: ast.AST, message: str) -> None:
        self.errors.append(SourceError(self.filename, getattr(node, "lineno", 1), message))

    def check_name(self, node: ast.AST, name: str, what: str) -> None:
        if name.startswith("_") and name != "_":
            self.error(node, f"{what} '{name}' starts with '_': such names are reserved")

    # -- generic rule: deny every node kind not whitelisted ------------------
    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind not in policy.ALLOWED_NODES:
            why = policy.REJECTED_WHY.get(kind)
            self.error(node, why or f"{kind.__name__} is not allowed in SM code")
            if kind is ast.AsyncFunctionDef:
                return
        super().generic_visit(node)

    def check_rebinding(self, node: ast.AST, name: str) -> None:
        """The primitives are the node's, never the brick's: bound at module
        level (shared by every brick linked into the SM) one would change
        what other bricks' code calls (a routing brick's ``sys_migrate``).
        Builtins a brick may redefine for itself, unless it is linked with
        others (``shared_builtin_rebindings``)."""
        if name in policy.PRIMITIVE_NAMES:
            self.error(node, f"'{name}' is an SM primitive: it cannot be rebound at module "
                             "level or declared global")

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            for name, where in module_bindings(stmt):
                self.check_rebinding(where, name)
        for index, stmt in enumerate(node.body):
            allowed = (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Import,
                       ast.ImportFrom)
            is_docstring = (index == 0 and isinstance(stmt, ast.Expr)
                            and isinstance(stmt.value, ast.Constant)
                            and isinstance(stmt.value.value, str))
            if not isinstance(stmt, allowed) and not is_docstring and type(stmt) in policy.ALLOWED_NODES:
                self.error(stmt, "only function definitions, imports and assignments "
                                 "are allowed at module level")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if getattr(node, METHOD_MARK, False):
            check_method(self, node)
        else:
            self.check_name(node, node.name, "function name")
            marks = [d for d in node.decorator_list if is_mark(d)]
            if marks and (len(node.decorator_list) > 1 or id(node) not in self._module_functions):
                self.error(node, f"@{OWN_DOMAIN} marks a module-level function, alone")
            for deco in node.decorator_list:
                if not (is_cache_decorator(deco) or is_mark(deco)):
                    self.error(deco, "decorators: functools.lru_cache or functools.cache on "
                                     "functions; @own_domain alone on module-level functions; "
                                     "property, staticmethod, classmethod on methods")
            if marks:  # the mark is no name the brick uses
                decorators, node.decorator_list = node.decorator_list, []
                self.generic_visit(node)
                node.decorator_list = decorators
                return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        check_class(self, node)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.check_name(node, node.arg, "parameter")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, node.id, "name")
        if (isinstance(node.ctx, ast.Load) and node.id not in self.known_names
                and (node.id == "_" or not node.id.startswith("_"))):
            self.error(node, f"unknown name '{node.id}' (not defined in the brick "
                             "and not an SM builtin)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        check_attribute(self, node)
        if (isinstance(node.ctx, ast.Load) and node.attr in policy.CALL_ONLY_ATTRIBUTES
                and id(node) not in self._call_funcs):
            self.error(node, f"'.{node.attr}' may only be called directly")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._call_funcs.add(id(node.func))
        for kw in node.keywords:
            if kw.arg is not None:
                self.check_name(kw, kw.arg, "keyword argument")
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in policy.MODULES:
                self.error(node, f"import of '{alias.name}' is not allowed "
                                 f"(allowed: {', '.join(sorted(policy.MODULES))})")
            elif "." in alias.name and not alias.asname:
                self.error(node, f"'import {alias.name}' needs a name: write "
                                 f"'from {alias.name} import ...' or 'import {alias.name} as ...'")
                continue
            self.check_name(node, alias.asname or alias.name, "name")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":  # the leading ones are gone (drop_future_imports)
            self.error(node, "from __future__ imports must occur at the beginning of the file")
            return
        members = policy.MODULES.get(node.module or "")
        if members is None and not node.level and node.module in self.bricks:
            members = self.bricks[node.module]
        elif members is None or node.level:
            self.error(node, f"import from '{node.module}' is not allowed: neither a module "
                             f"the SM language provides ({', '.join(sorted(policy.MODULES))}) "
                             "nor a brick linked in (bricks are linked when the SM is "
                             "started from its file)")
            return
        for alias in node.names:
            if alias.name == "*":
                self.error(node, "'import *' is not allowed")
            elif alias.name not in members:
                what = (f"brick '{node.module}' defines no" if node.module in self.bricks
                        else f"'{node.module}' has no allowed member")
                self.error(node, f"{what} '{alias.name}'")
            self.check_name(node, alias.asname or alias.name, "name")

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.check_name(node, name, "name")
            self.check_rebinding(node, name)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self.check_name(node, name, "name")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.check_name(node, node.name, "name")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (complex, type(...))):
            self.error(node, f"{type(node.value).__name__} constants are not supported")


def validate(tree: ast.Module, filename: str,
             bricks: dict[str, frozenset[str]] | None = None) -> list[SourceError]:
    """Return every whitelist violation in ``tree`` (empty when valid);
    ``bricks``: the linked bricks it may import from, with their names."""
    validator = Validator(filename, tree, bricks or {})
    try:
        validator.visit(tree)
    except RecursionError:
        validator.error(tree, "brick is nested too deeply")
    # Imports are only meaningful at module level (module objects cannot migrate).
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ClassDef) and inner is not node:
                    validator.error(inner, "classes are only allowed at module level "
                                           "(a class travels by its name in the brick)")
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    validator.error(inner, "imports are only allowed at module level")
    validator.errors.sort(key=lambda e: e.line)
    return validator.errors
