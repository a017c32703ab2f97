"""The compiler's one scope analysis: which names each scope binds.

The validator, the name resolution and the capture transform all ask it, so
they agree; in a migrating function a name the capture transform missed would
be a local lost on migration. The rules are Python's:

- a scope binds its parameters and every name a statement or expression of
  its own assigns, deletes, defines (``def``, ``class``), imports (the first
  part of a dotted name) or catches (``except ... as``);
- a walrus binds in the enclosing function, also from inside a comprehension
  or generator expression, and from a nested function's default values;
- a comprehension's loop variables are its own, not the enclosing scope's
  (unless that scope binds the same name some other way);
- ``global`` and ``nonlocal`` names are not locals.
"""
from __future__ import annotations

import ast
from typing import Iterator

FunctionNode = ast.FunctionDef | ast.Lambda
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def iter_own_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes evaluated in ``node``'s own scope (a function, class or module body).

    Nested function bodies are skipped (their defaults are ours); comprehension
    bodies are yielded too, since walrus targets inside them bind in our scope
    and their calls run while our frame is live.
    """
    if isinstance(node, ast.Lambda):
        roots: list[ast.AST] = [node.body]
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


def _names_bound_by(node: ast.AST) -> Iterator[str]:
    """The names ``node`` itself binds (the one rule every analysis applies)."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        yield node.id
    elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name
    elif isinstance(node, ast.alias) and node.name != "*":
        yield node.asname or node.name.split(".")[0]
    elif isinstance(node, ast.arg):
        yield node.arg


def plain_class_names(tree: ast.AST) -> set[str]:
    """The names bound only by ``class`` statements with no decorator and no
    keyword (``metaclass=``...): wherever such a name is loaded, it holds a
    class of the brick (or is not bound yet)."""
    classes: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(tree):
        plain = isinstance(node, ast.ClassDef) and not node.decorator_list and not node.keywords
        for name in _names_bound_by(node):
            (classes if plain else other).add(name)
    return classes - other


def _loop_variables(comprehension: ast.AST) -> list[ast.Name]:
    return [sub for gen in getattr(comprehension, "generators", [])
            for sub in ast.walk(gen.target) if isinstance(sub, ast.Name)]


def comprehension_targets(node: ast.AST) -> set[str]:
    """The loop variables of a comprehension (bound in its own scope)."""
    return {name.id for name in _loop_variables(node)}


def comprehension_inner_parts(e: ast.AST) -> list[ast.expr]:
    """What a comprehension evaluates in its own scope: all but the first
    iterable (which its enclosing scope evaluates)."""
    parts = []
    for i, gen in enumerate(e.generators):
        if i:
            parts.append(gen.iter)
        parts.extend(gen.ifs)
    if isinstance(e, ast.DictComp):
        parts += [e.key, e.value]
    else:
        parts.append(e.elt)
    return parts


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


def bindings(scope: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Each binding in ``scope``'s own scope: (name, the node binding it),
    in source order; ``global``/``nonlocal`` declarations not applied."""
    if isinstance(scope, (ast.FunctionDef, ast.Lambda)):
        args = scope.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                yield arg.arg, arg
    loop_variables: set[int] = set()
    for node in iter_own_scope(scope):
        if isinstance(node, _COMPREHENSIONS):
            loop_variables.update(id(name) for name in _loop_variables(node))
        elif id(node) not in loop_variables:
            for name in _names_bound_by(node):
                yield name, node


def statement_bindings(stmt: ast.stmt) -> Iterator[tuple[str, ast.AST]]:
    """The bindings one statement makes in the scope it stands in."""
    return bindings(ast.Module(body=[stmt], type_ignores=[]))


def local_names(scope: ast.AST) -> set[str]:
    """Names local to a function, class or module: bound there, not declared
    ``global`` or ``nonlocal``."""
    glob, nonloc = declared(scope)
    return {name for name, _ in bindings(scope)} - glob - nonloc


def bound_anywhere(tree: ast.AST) -> set[str]:
    """Every name the tree binds in any of its scopes (a load of any other
    name can only find a builtin)."""
    return {name for node in ast.walk(tree) for name in _names_bound_by(node)}
