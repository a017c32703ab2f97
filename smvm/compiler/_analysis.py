"""Name resolution and the migration analysis.

A call is a *potential migration point* when its callee may reach
``sys_migrate``: a migration primitive, a brick function that is itself
migrating, or any function value the compiler cannot see through (a local,
a parameter, a subscript...). Method calls on plain data and builtins never
migrate. Flagged calls get ``MIG_ATTR`` set; a function containing one is
*migrating* and is compiled for capture and resume.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..errors import SourceError
from . import abi, policy
from ._scopes import (
    FunctionNode, comprehension_targets, declared, iter_own_scope, local_names,
)

MIG_ATTR = "_smvm_mig"
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class _Scope:
    node: ast.AST
    kind: str  # "module" | "function" | "comprehension" | "class"
    names: set[str]
    globals: set[str] = field(default_factory=set)


@dataclass
class Resolution:
    """Where each Name node's variable lives."""

    scope_of: dict[int, ast.AST] = field(default_factory=dict)  # id(Name) -> scope node
    captured: dict[int, set[str]] = field(default_factory=dict)  # id(function) -> names
    module_names: set[str] = field(default_factory=set)


def resolve(tree: ast.Module) -> Resolution:
    res = Resolution(module_names=local_names(tree))
    module = _Scope(tree, "module", res.module_names)

    def lookup(name: str, chain: list[_Scope]) -> tuple[_Scope, bool]:
        crossed = False
        for scope in reversed(chain):
            if scope.kind == "comprehension":
                if name in scope.names:
                    return scope, crossed
                continue
            if scope.kind == "class":  # seen from its own body only
                if scope is chain[-1] and name in scope.names:
                    return scope, crossed
                continue
            if scope.kind == "function":
                if name in scope.globals:
                    return module, crossed
                if name in scope.names:
                    return scope, crossed
                crossed = True
                continue
            return scope, crossed
        return module, crossed

    def function_scope(fn: FunctionNode) -> _Scope:
        names = local_names(fn)
        glob, _ = declared(fn)
        return _Scope(fn, "function", names, glob)

    def walk(node: ast.AST, chain: list[_Scope]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            for d in [*node.args.defaults, *[k for k in node.args.kw_defaults if k]]:
                walk(d, chain)
            inner = chain + [function_scope(node)]
            for stmt in (node.body if isinstance(node, ast.FunctionDef) else [node.body]):
                walk(stmt, inner)
            return
        if isinstance(node, ast.ClassDef):
            for expr in [*node.bases, *node.decorator_list]:
                walk(expr, chain)
            inner = chain + [_Scope(node, "class", local_names(node))]
            for stmt in node.body:
                walk(stmt, inner)
            return
        if isinstance(node, _COMPREHENSIONS):
            gens = node.generators
            walk(gens[0].iter, chain)
            inner = chain + [_Scope(node, "comprehension", comprehension_targets(node))]
            for i, gen in enumerate(gens):
                walk(gen.target, inner)
                if i:
                    walk(gen.iter, inner)
                for cond in gen.ifs:
                    walk(cond, inner)
            if isinstance(node, ast.DictComp):
                walk(node.key, inner)
                walk(node.value, inner)
            else:
                walk(node.elt, inner)
            return
        if isinstance(node, ast.Name):
            scope, crossed = lookup(node.id, chain)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and scope.kind == "comprehension":
                # walrus inside a comprehension binds in the enclosing function
                pass
            res.scope_of[id(node)] = scope.node
            if crossed and scope.kind == "function":
                res.captured.setdefault(id(scope.node), set()).add(node.id)
            return
        for child in ast.iter_child_nodes(node):
            walk(child, chain)

    for stmt in tree.body:
        walk(stmt, [module])
    return res


def _module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Module-level names bound only by a ``def``."""
    defs: dict[str, ast.FunctionDef] = {}
    other: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in defs:
                other.add(stmt.name)
            defs[stmt.name] = stmt
        else:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    other.add(node.id)
    # names rebound anywhere via `global` count as unknown values
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            other.update(node.names)
    return {k: v for k, v in defs.items() if k not in other}


def _math_names(tree: ast.Module) -> set[str]:
    """Names bound to members of the SM language's modules (whose functions
    never migrate): by ``import``/``from ... import``, or by a module-level
    ``name = module.member`` when nothing else binds ``name``."""
    out: set[str] = set()
    modules: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) or (isinstance(stmt, ast.ImportFrom)
                                            and stmt.module in policy.MODULES):
            for alias in stmt.names:
                out.add(alias.asname or alias.name)
                if isinstance(stmt, ast.Import):
                    modules.add(alias.asname or alias.name)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            # the form ``SimplifyImports`` gives imports: _MODULES['m'](.name)
            value = stmt.value
            member = isinstance(value, ast.Attribute)
            if member:
                value = value.value
            if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) \
                    and value.value.id == abi.MODULES:
                out.add(stmt.targets[0].id)
                if not member:
                    modules.add(stmt.targets[0].id)
    aliases = {stmt.targets[0].id for stmt in tree.body
               if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
               and isinstance(stmt.targets[0], ast.Name)
               and isinstance(stmt.value, ast.Attribute)
               and isinstance(stmt.value.value, ast.Name) and stmt.value.value.id in modules}
    if aliases:
        bindings: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                bindings[node.id] = bindings.get(node.id, 0) + 1
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bindings[node.name] = bindings.get(node.name, 0) + 2
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    bindings[name] = bindings.get(name, 0) + 2
        out |= {name for name in aliases if bindings.get(name) == 1 and name not in modules}
    return out


def analyse(tree: ast.Module, res: Resolution, foreign: dict[str, bool] | None = None) -> set[int]:
    """Flag potential migration points; return ids of migrating functions.

    ``foreign``: names taken from other bricks, and whether each migrates.
    """
    foreign = foreign or {}
    module_fns = _module_functions(tree)
    imported = _math_names(tree)
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
    calls_of: dict[int, list[ast.Call]] = {}
    for fn in functions:
        calls_of[id(fn)] = [
            n for n in iter_own_scope(fn) if isinstance(n, ast.Call)
        ]
    migrating: set[int] = set()
    by_name = {name: fn for name, fn in module_fns.items()}
    classes = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}
    method_of = {id(m): m.name for s in tree.body if isinstance(s, ast.ClassDef)
                 for m in s.body if isinstance(m, ast.FunctionDef)}
    migrating_methods: set[str] = set()

    generators = {id(fn) for fn in functions if is_generator(fn)}

    attr_locals = {id(fn): _attribute_locals(fn) for fn in functions}
    defaults_of = _fixed_defaults(tree, module_fns)

    def may_migrate(call: ast.Call, fn: ast.AST | None = None) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute):
            # obj.m(): may migrate when some class of the brick has a
            # migrating method of that name (plain data's methods never do)
            return func.attr in migrating_methods
        if not isinstance(func, ast.Name):
            return True
        scope = res.scope_of.get(id(func))
        if scope is not None and not isinstance(scope, ast.Module):
            # a local or enclosing variable: an unknown function value, unless
            # every binding of it takes a method (``pop = items.pop``)
            default = defaults_of.get(id(scope), {}).get(func.id)
            if default is not None:  # ``bisect=bisect``: the module's function
                return may_migrate(ast.Call(func=default, args=[], keywords=[]))
            attrs = attr_locals.get(id(scope), {}).get(func.id)
            return attrs is None or not attrs.isdisjoint(migrating_methods)
        name = func.id
        if name in foreign and name not in res.module_names:
            return foreign[name]
        if name in by_name:
            # calling a generator function runs none of its body
            return id(by_name[name]) in migrating and id(by_name[name]) not in generators
        if name in classes:
            return False  # a constructor: __init__ runs from C (type.__call__), never resumable
        if name in res.module_names:
            return name not in imported
        return name in policy.MIGRATION_PRIMITIVES

    genexp_calls: dict[int, set[int]] = {}

    def in_genexp(fn: ast.AST, call: ast.Call) -> bool:
        # Calls inside a generator expression run in a generator frame that
        # cannot be captured: they stay unflagged, and a migration attempted
        # from one is reported at run time.
        if id(fn) not in genexp_calls:
            genexp_calls[id(fn)] = {
                id(sub) for node in iter_own_scope(fn) if isinstance(node, ast.GeneratorExp)
                for sub in ast.walk(node) if isinstance(sub, ast.Call)
            }
        return id(call) in genexp_calls[id(fn)]

    changed = True
    while changed:
        changed = False
        for fn in functions:
            if id(fn) in migrating:
                continue
            if any(may_migrate(c) for c in calls_of[id(fn)] if not in_genexp(fn, c)):
                migrating.add(id(fn))
                if id(fn) in method_of and id(fn) not in generators:
                    migrating_methods.add(method_of[id(fn)])
                changed = True
    for fn in functions:
        for call in calls_of[id(fn)]:
            if may_migrate(call) and not in_genexp(fn, call):
                setattr(call, MIG_ATTR, True)
    return migrating


_OWN_SCOPE_STOPS = (ast.FunctionDef, ast.Lambda, ast.GeneratorExp)


def _fixed_defaults(tree: ast.Module, module_fns: dict) -> dict[int, dict[str, ast.Name]]:
    """Parameters of module functions that always hold their default, a
    module-level name (``def solve(..., bisect=bisect)``): the function is
    only ever called directly by its name, no call passes that parameter,
    and the function never rebinds it. fn id -> parameter -> the default."""
    loads: dict[str, int] = {}
    calls: dict[str, list[ast.Call]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.setdefault(node.func.id, []).append(node)
    out: dict[int, dict[str, ast.Name]] = {}
    for name, fn in module_fns.items():
        found = calls.get(name, [])
        if loads.get(name, 0) != len(found) or any(
                isinstance(a, ast.Starred) for c in found for a in c.args) or any(
                kw.arg is None for c in found for kw in c.keywords):
            continue  # used as a value, or called with * / **: anything may come in
        positional = [*fn.args.posonlyargs, *fn.args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults):]],
                            fn.args.defaults))
        defaults.update((a.arg, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d)
        index = {a.arg: i for i, a in enumerate(positional)}
        rebound = {n.id for n in iter_own_scope(fn) if isinstance(n, ast.Name)
                   and not isinstance(n.ctx, ast.Load)}
        fixed = {}
        for param, default in defaults.items():
            if not isinstance(default, ast.Name) or param in rebound:
                continue
            if any((param in index and len(c.args) > index[param])
                   or any(kw.arg == param for kw in c.keywords) for c in found):
                continue
            fixed[param] = default
        if fixed:
            out[id(fn)] = fixed
    return out


def _attribute_locals(fn: ast.AST) -> dict[str, set[str]]:
    """Local names of ``fn`` bound only by ``name = obj.attr`` (never a
    parameter, loop target or anything else): name -> the attribute names."""
    if isinstance(fn, ast.Lambda):
        return {}
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    params |= {a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None}
    attrs: dict[str, set[str]] = {}
    simple: dict[str, int] = {}
    stores: dict[str, int] = {}
    for node in iter_own_scope(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Attribute):
            name = node.targets[0].id
            attrs.setdefault(name, set()).add(node.value.attr)
            simple[name] = simple.get(name, 0) + 1
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 1000
        elif isinstance(node, (ast.FunctionDef, ast.ExceptHandler)):
            name = getattr(node, "name", None)
            if name:
                stores[name] = stores.get(name, 0) + 1000
    return {name: found for name, found in attrs.items()
            if name not in params and stores.get(name, 0) == simple[name]}


def is_generator(fn: ast.AST) -> bool:
    """Does ``fn`` (a def or lambda) hold ``yield`` in its own body?"""
    return any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in iter_own_scope(fn))


def generator_errors(tree: ast.Module, migrating: set[int], filename: str) -> list:
    """A generator's frame cannot be captured: refuse every generator from
    which the analysis cannot rule out a migration point (``migrating``)."""
    out = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.Lambda)) and id(fn) in migrating \
                and is_generator(fn):
            call = next((c for c in iter_own_scope(fn) if isinstance(c, ast.Call)
                         and getattr(c, MIG_ATTR, False)), fn)
            name = getattr(fn, "name", "<lambda>")
            out.append(SourceError(filename, call.lineno, (
                f"generator '{name}' may reach a migration point here: a generator's "
                "frame cannot migrate (call only functions that never migrate from it)")))
    return out


def contains_flagged(node: ast.AST) -> bool:
    """Does ``node`` hold a flagged call in its own scope (not inside nested
    functions, lambdas or generator expressions, unless ``node`` is one)?"""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.Call) and getattr(cur, MIG_ATTR, False):
            return True
        if cur is not node and isinstance(cur, _OWN_SCOPE_STOPS):
            continue
        stack.extend(ast.iter_child_nodes(cur))
    return False
