"""Decorators on functions: ``functools.lru_cache`` and ``functools.cache``
only (``@lru_cache``, ``@lru_cache(maxsize=128, typed=False)``, with
constant arguments, or through the module: ``@functools.cache``).

A cached function is called through the cache, host code that cannot be
captured: the compiler refuses one from which a migration point may be
reached, as it refuses such a generator.
"""
from __future__ import annotations

import ast

from ..errors import SourceError
from ._analysis import MIG_ATTR
from ._classes import METHOD_MARK
from ._scopes import iter_own_scope

CACHE_DECORATORS = frozenset({"lru_cache", "cache"})
_OPTIONS = frozenset({"maxsize", "typed"})


def is_cache_decorator(deco: ast.expr) -> bool:
    target = deco
    if isinstance(deco, ast.Call):
        target = deco.func
        if len(deco.args) > 1 or not all(isinstance(a, ast.Constant) for a in deco.args) \
                or not all(kw.arg in _OPTIONS and isinstance(kw.value, ast.Constant)
                           for kw in deco.keywords) or (
                isinstance(target, ast.Name | ast.Attribute)
                and getattr(target, "id", getattr(target, "attr", "")) == "cache"):
            return False  # functools.cache takes the function only
    if isinstance(target, ast.Name):
        return target.id in CACHE_DECORATORS
    return (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and target.attr in CACHE_DECORATORS)


def cached_errors(tree: ast.Module, migrating: set[int], filename: str) -> list[SourceError]:
    """A cached function from which the analysis cannot rule out a
    migration point (``migrating``)."""
    out = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.decorator_list and id(fn) in migrating \
                and not getattr(fn, METHOD_MARK, False):
            call = next((c for c in iter_own_scope(fn) if isinstance(c, ast.Call)
                         and getattr(c, MIG_ATTR, False)), fn)
            out.append(SourceError(filename, call.lineno, (
                f"cached function '{fn.name}' may reach a migration point here: its calls go "
                "through the cache, which cannot migrate (call only functions that never "
                "migrate from it)")))
    return out
