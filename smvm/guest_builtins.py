"""The builtins an SM sees: safe pure functions, with guards where C code
could otherwise loop over a huge iterable or build a huge value."""
from __future__ import annotations

import builtins
import math
from types import SimpleNamespace
from typing import Any

from .compiler._policy import BUILTIN_NAMES, MODULES
from .runtime import Runtime
from .values import GUEST_EXCEPTIONS

_PLAIN = ("abs", "bin", "bool", "callable", "chr", "divmod", "enumerate", "filter",
          "float", "format", "hex", "int", "isinstance", "len", "map", "next", "oct",
          "ord", "range", "repr", "reversed", "round", "str", "zip")

#: Module namespaces handed to ``import`` statements (plain namespaces, not
#: the real modules, so nothing but the listed members is reachable).
GUEST_MODULES: dict[str, SimpleNamespace] = {
    "math": SimpleNamespace(**{name: getattr(math, name) for name in MODULES["math"]}),
}
MODULE_NAMESPACES = frozenset(id(ns) for ns in GUEST_MODULES.values())


class _Guarded:
    """Builtins that must charge fuel or check sizes through the SM's runtime."""

    __slots__ = ("rt",)

    def __init__(self, rt: Runtime):
        self.rt = rt

    def sum(self, iterable, /, start=0):
        return builtins.sum(self.rt.bounded(iterable), start)

    def min(self, *args, **kwargs):
        if len(args) == 1:
            return builtins.min(self.rt.bounded(args[0]), **kwargs)
        return builtins.min(*args, **kwargs)

    def max(self, *args, **kwargs):
        if len(args) == 1:
            return builtins.max(self.rt.bounded(args[0]), **kwargs)
        return builtins.max(*args, **kwargs)

    def sorted(self, iterable, /, *, key=None, reverse=False):
        return builtins.sorted(self.rt.bounded(iterable), key=key, reverse=reverse)

    def any(self, iterable, /):
        return builtins.any(self.rt.bounded(iterable))

    def all(self, iterable, /):
        return builtins.all(self.rt.bounded(iterable))

    def pow(self, base, exp, mod=None):
        return self.rt.power(base, exp, mod)

    def _container(self, real, args, kwargs):
        if args and not (real in (bytes, bytearray) and type(args[0]) in (int, str)):
            args = (self.rt.bounded(args[0]), *args[1:])
        return real(*args, **kwargs)

    def list(self, *args, **kwargs):
        return self._container(builtins.list, args, kwargs)

    def tuple(self, *args, **kwargs):
        return self._container(builtins.tuple, args, kwargs)

    def set(self, *args, **kwargs):
        return self._container(builtins.set, args, kwargs)

    def frozenset(self, *args, **kwargs):
        return self._container(builtins.frozenset, args, kwargs)

    def dict(self, *args, **kwargs):
        return self._container(builtins.dict, args, kwargs)

    def bytes(self, *args, **kwargs):
        return self._container(builtins.bytes, args, kwargs)

    def bytearray(self, *args, **kwargs):
        return self._container(builtins.bytearray, args, kwargs)


_GUARDED_NAMES = ("sum", "min", "max", "sorted", "any", "all", "pow", "list", "tuple",
                  "set", "frozenset", "dict", "bytes", "bytearray")
_REAL_TYPES = {name: getattr(builtins, name) for name in
               ("list", "tuple", "set", "frozenset", "dict", "bytes", "bytearray")}


def _iter(obj, /):
    return builtins.iter(obj)  # one argument only: iter(callable, sentinel) never ends


def _isinstance(obj, classinfo, /):
    # ``list``, ``dict``... are guarded functions for SM code; map them back.
    if type(classinfo) is tuple:
        classinfo = tuple(_TYPE_OF_GUARD.get(getattr(c, "__name__", None), c)
                          if getattr(c, "__func__", None) is not None else c for c in classinfo)
    elif getattr(classinfo, "__func__", None) is not None:
        classinfo = _TYPE_OF_GUARD.get(classinfo.__name__, classinfo)
    return builtins.isinstance(obj, classinfo)


_TYPE_OF_GUARD = dict(_REAL_TYPES)

_STATIC: dict[str, Any] = {name: getattr(builtins, name) for name in _PLAIN}
_STATIC.update(iter=_iter, isinstance=_isinstance, **GUEST_EXCEPTIONS)
_STATIC.update({"True": True, "False": False, "None": None})


def make_builtins(rt: Runtime) -> dict[str, Any]:
    """The ``__builtins__`` mapping for one SM's module namespace."""
    b = dict(_STATIC)
    guarded = _Guarded(rt)
    for name in _GUARDED_NAMES:
        b[name] = getattr(guarded, name)
    return b


_missing = (BUILTIN_NAMES - {"True", "False", "None"}) - set(_STATIC) - set(_GUARDED_NAMES)
assert not _missing, _missing

#: Reference strings of the builtins shared by every SM (they travel by name).
STATIC_REFS: dict[int, str] = {id(v): "builtin:" + k for k, v in _STATIC.items() if callable(v)}
STATIC_TABLE: dict[str, object] = {"builtin:" + k: v for k, v in _STATIC.items() if callable(v)}
GUARDED_NAMES = _GUARDED_NAMES
