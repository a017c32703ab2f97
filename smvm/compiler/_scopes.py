"""Scope facts the transforms need: which names each function binds."""
from __future__ import annotations

import ast
from typing import Iterator

FunctionNode = ast.FunctionDef | ast.Lambda
_SCOPE_NODES = (ast.FunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                ast.GeneratorExp)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def iter_own_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes evaluated in ``node``'s own scope (a function body or module).

    Nested function bodies are skipped (their defaults are ours); comprehension
    bodies are yielded too, since walrus targets inside them bind in our scope
    and their calls run while our frame is live.
    """
    if isinstance(node, ast.Lambda):
        roots: list[ast.AST] = [node.body]
    elif isinstance(node, ast.FunctionDef):
        roots = list(node.body)
    else:
        roots = list(getattr(node, "body", []))
    stack = list(reversed(roots))
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, (ast.FunctionDef, ast.Lambda)):
            inner = [*cur.args.defaults, *[d for d in cur.args.kw_defaults if d is not None]]
            if isinstance(cur, ast.FunctionDef):
                inner += cur.decorator_list
            stack.extend(reversed(inner))
            continue
        if isinstance(cur, ast.ClassDef):  # its body is a scope of its own
            stack.extend(reversed([*cur.bases, *cur.decorator_list]))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(cur))))


def params(fn: FunctionNode) -> list[str]:
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def comprehension_targets(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for gen in getattr(node, "generators", []):
        for sub in ast.walk(gen.target):
            if isinstance(sub, ast.Name):
                out.add(sub.id)
    return out


def declared(fn: ast.AST) -> tuple[set[str], set[str]]:
    """(global names, nonlocal names) declared in ``fn``'s own scope."""
    glob: set[str] = set()
    nonloc: set[str] = set()
    for node in iter_own_scope(fn):
        if isinstance(node, ast.Global):
            glob.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonloc.update(node.names)
    return glob, nonloc


def local_names(fn: ast.AST) -> set[str]:
    """Names bound in the own scope of a function (or the module)."""
    names: set[str] = set(params(fn)) if isinstance(fn, (ast.FunctionDef, ast.Lambda)) else set()
    comp_targets: set[str] = set()
    for node in iter_own_scope(fn):
        if isinstance(node, _COMPREHENSIONS):
            comp_targets |= comprehension_targets(node)
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
    # Comprehension targets belong to the comprehension, unless also bound here
    # by a walrus or an ordinary statement.
    walrus = {n.target.id for n in iter_own_scope(fn) if isinstance(n, ast.NamedExpr)}
    plain = {n.id for n in _own_statement_names(fn)}
    names -= (comp_targets - walrus - plain)
    glob, nonloc = declared(fn)
    return names - glob - nonloc


def _own_statement_names(fn: ast.AST) -> Iterator[ast.Name]:
    stack = list(getattr(fn, "body", [])) if not isinstance(fn, ast.Lambda) else []
    while stack:
        cur = stack.pop()
        if isinstance(cur, (ast.FunctionDef, ast.Lambda, ast.ClassDef, *_COMPREHENSIONS)):
            continue
        if isinstance(cur, ast.Name) and isinstance(cur.ctx, (ast.Store, ast.Del)):
            yield cur
        stack.extend(ast.iter_child_nodes(cur))


def all_functions(tree: ast.AST) -> list[FunctionNode]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
