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


def make_builtins(rt: Runtime) -> dict[str, Any]:
    """The ``__builtins__`` mapping for one SM's module namespace."""
    b: dict[str, Any] = {name: getattr(builtins, name) for name in _PLAIN}
    bounded = rt.bounded

    def g_sum(iterable, /, start=0):
        return builtins.sum(bounded(iterable), start)

    def g_minmax(real):
        def guarded(*args, **kwargs):
            if len(args) == 1:
                return real(bounded(args[0]), **kwargs)
            return real(*args, **kwargs)
        guarded.__name__ = real.__name__
        return guarded

    def g_sorted(iterable, /, *, key=None, reverse=False):
        return builtins.sorted(bounded(iterable), key=key, reverse=reverse)

    def g_container(real):
        def guarded(*args, **kwargs):
            if args and not (real in (bytes, bytearray) and type(args[0]) in (int, str)):
                args = (bounded(args[0]), *args[1:])
            return real(*args, **kwargs)
        guarded.__name__ = real.__name__
        return guarded

    def g_any(iterable, /):
        return builtins.any(bounded(iterable))

    def g_all(iterable, /):
        return builtins.all(bounded(iterable))

    def g_iter(obj, /):
        return builtins.iter(obj)

    def g_pow(base, exp, mod=None):
        return rt.power(base, exp, mod)

    b.update(
        sum=g_sum, min=g_minmax(builtins.min), max=g_minmax(builtins.max), sorted=g_sorted,
        list=g_container(list), tuple=g_container(tuple), set=g_container(set),
        frozenset=g_container(frozenset), dict=g_container(dict), bytes=g_container(bytes),
        bytearray=g_container(bytearray), any=g_any, all=g_all, iter=g_iter, pow=g_pow,
    )
    real_types = {b[name]: getattr(builtins, name) for name in
                  ("list", "tuple", "set", "frozenset", "dict", "bytes", "bytearray")}

    def g_isinstance(obj, classinfo, /):
        if type(classinfo) is tuple:
            classinfo = tuple(real_types.get(c, c) for c in classinfo)
        else:
            classinfo = real_types.get(classinfo, classinfo)
        return builtins.isinstance(obj, classinfo)

    b["isinstance"] = g_isinstance
    b.update(GUEST_EXCEPTIONS)
    b["True"], b["False"], b["None"] = True, False, None
    missing = (BUILTIN_NAMES - {"True", "False", "None"}) - set(b)
    assert not missing, missing
    return b
