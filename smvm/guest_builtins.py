"""The builtins an SM sees: safe pure functions, with guards where C code
could otherwise loop over a huge iterable or build a huge value."""
from __future__ import annotations

import builtins
import math
from types import SimpleNamespace
from typing import Any

from . import guest_text, setmembers
from .compiler.policy import ALLOWED_ATTRIBUTES, BUILTIN_NAMES, CALL_ONLY_ATTRIBUTES, MODULES
from .errors import VMBug
from .stdlib import SHARED as _STDLIB, GuestModule, Output, class_for_isinstance, print_to
from .values import GUEST_EXCEPTIONS
from .vm.frames import END
from .vm.guards import C_ITEMS_PER_FUEL
from .vm.runtime import RUNNING, Runtime

_PLAIN = ("abs", "bin", "bool", "callable", "chr", "divmod",
          "float", "hex", "int", "isinstance", "len", "next", "oct",
          "ord", "range", "reversed", "round",
          "super", "object", "property", "staticmethod", "classmethod",
          "NotImplemented")
#: Builtins each SM gets its own copy of (they close over its class registry
#: or its log).
_PER_SM = ("getattr", "setattr", "hasattr", "print")

#: Module namespaces handed to ``import`` statements are ``GuestModule``s
#: (plain namespaces, not the real modules, so nothing but the listed members
#: is reachable).


class _Checked:
    """A module function with a size check first; shown like a builtin."""

    __slots__ = ("_check", "_name", "_real")

    def __init__(self, name: str, real, check):
        self._name, self._real, self._check = name, real, check

    def __call__(self, *args):
        self._check(*args)
        return self._real(*args)

    def __repr__(self) -> str:
        return f"<built-in function {self._name}>"


def _at_most(name: str, limit: int):
    def check(n=None, *rest):
        if type(n) is int and n > limit:
            raise OverflowError(f"{name}() with n={n} is too large for an SM (limit {limit})")
    return check


def _no_huge_sum(iterable=None, *rest):
    # fsum walks its iterable in C: only sized ones it can charge for first
    if type(iterable) is range and len(iterable) > _MAX_C_WALK:
        raise OverflowError(f"math.fsum over {len(iterable):,} items is too long for an SM "
                            f"(limit {_MAX_C_WALK:,})")


#: Items C code may walk in one call it cannot be charged for while walking.
_MAX_C_WALK = 10_000_000


def _math_namespace() -> GuestModule:
    members = {name: getattr(math, name) for name in MODULES["math"]}
    members.update(factorial=_Checked("factorial", math.factorial, _at_most("factorial", 20_000)),
                   comb=_Checked("comb", math.comb, _at_most("comb", 100_000)),
                   perm=_Checked("perm", math.perm, _at_most("perm", 20_000)),
                   fsum=_Checked("fsum", math.fsum, _no_huge_sum))
    module = GuestModule(**members)
    module.__dict__["_name"] = "math"
    return module


#: The modules every SM shares (``random`` is per SM: see ``smvm.stdlib``).
GUEST_MODULES: dict[str, GuestModule] = {"math": _math_namespace(), **_STDLIB}
MODULE_NAMESPACES = frozenset(id(ns) for ns in GUEST_MODULES.values())


#: Containers whose size says what walking them costs (a short one: nothing).
_SMALL_OK = frozenset({list, tuple, str, bytes, dict, set, frozenset})


def _running() -> Runtime:
    """The runtime of the SM whose code calls a guarded builtin: they are
    shared by every SM, and only SM code, which runs under the VM, holds them."""
    rt = RUNNING.rt
    if rt is None:
        raise VMBug("a guarded builtin was called while no SM runs")
    return rt


class _Guarded:
    """Builtins that must charge fuel or check sizes through the runtime of
    the SM that calls them (one set, shared by every SM)."""

    __slots__ = ()

    def sum(self, iterable, /, start=0):
        rt = RUNNING.rt or _running()
        if type(start) in (int, float, bool):
            return builtins.sum(rt.bounded(iterable), start)
        # Adding sequences copies the running total each step: charge for it.
        total = start
        for item in rt.bounded(iterable):
            rt.charge(len(total) // C_ITEMS_PER_FUEL + 1 if hasattr(total, "__len__") else 1)
            total = total + item
        return total

    def min(self, *args, **kwargs):
        rt = RUNNING.rt or _running()
        if len(args) == 1 and not (type(args[0]) in _SMALL_OK and len(args[0]) < C_ITEMS_PER_FUEL):
            return builtins.min(rt.bounded(args[0]), **kwargs)
        return builtins.min(*args, **kwargs)

    def max(self, *args, **kwargs):
        rt = RUNNING.rt or _running()
        if len(args) == 1 and not (type(args[0]) in _SMALL_OK and len(args[0]) < C_ITEMS_PER_FUEL):
            return builtins.max(rt.bounded(args[0]), **kwargs)
        return builtins.max(*args, **kwargs)

    def sorted(self, iterable, /, *, key=None, reverse=False):
        rt = RUNNING.rt or _running()
        return builtins.sorted(rt.bounded(iterable), key=key, reverse=reverse)

    def any(self, iterable, /):
        rt = RUNNING.rt or _running()
        return builtins.any(rt.bounded(iterable))

    def all(self, iterable, /):
        rt = RUNNING.rt or _running()
        return builtins.all(rt.bounded(iterable))

    def pow(self, base, exp, mod=None):
        rt = RUNNING.rt or _running()
        return rt.power(base, exp, mod)

    def filter(self, function, iterable, /):
        rt = RUNNING.rt or _running()
        return rt.nested_iterator(builtins.filter, function, iterable)

    def map(self, function, iterable, /, *iterables):
        rt = RUNNING.rt or _running()
        return rt.nested_iterator(builtins.map, function, iterable, *iterables)

    def zip(self, *iterables, strict=False):
        rt = RUNNING.rt or _running()
        maker = _strict_zip if strict else builtins.zip
        return rt.nested_iterator(maker, *iterables)

    def enumerate(self, iterable, start=0):
        rt = RUNNING.rt or _running()
        return rt.nested_iterator(builtins.enumerate, iterable, start)



class GuardedType:
    """A container type as SM code sees it: calling it charges fuel for the
    iterable it consumes; its alternative constructors stay available."""

    # '_'-prefixed: SM code can name no attribute of it but the real type's
    # methods (``list.real`` would otherwise hand out the raw type)
    __slots__ = ("_real",)

    def __init__(self, real: type):
        self._real = real

    def __getattr__(self, name: str):
        # Only reached for names the compiler allowed (never '_'-prefixed).
        if name.startswith("_") or name not in ALLOWED_ATTRIBUTES or name in CALL_ONLY_ATTRIBUTES:
            raise AttributeError(name)
        value = getattr(self._real, name)
        if type(value) is type:  # no raw type object through any member
            raise AttributeError(name)
        return value

    def __call__(self, *args, **kwargs):
        rt = RUNNING.rt
        if rt is None:
            _running()  # raises: no SM runs
        if args and not (self._real in (builtins.bytes, builtins.bytearray)
                         and type(args[0]) in (int, str)):
            args = (rt.bounded(args[0]), *args[1:])
        value = self._real(*args, **kwargs)
        return rt.nest(value) if type(value) is tuple else value

    def __repr__(self) -> str:
        return repr(self._real)


class _SetType(GuardedType):
    """``set`` and ``frozenset`` as SM code sees them: what they are given is
    checked (``smvm.setmembers``), and so is what ``set.add``,
    ``set.union``... take in."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return setmembers.checked(GuardedType.__call__(self, *args, **kwargs))

    def __getattr__(self, name: str):
        checked = setmembers.UNBOUND.get((self._real, name))
        return checked if checked is not None else GuardedType.__getattr__(self, name)


class _TextType(GuardedType):
    """``str`` as SM code sees it: the type (``isinstance``, ``str.join``),
    and a conversion that shows no host address (``smvm.guest_text``)."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        if len(args) > 1 or "encoding" in kwargs or "errors" in kwargs:
            return str(*args, **kwargs)  # decoding bytes
        if kwargs.keys() - {"object"}:
            raise TypeError(f"str() got an unexpected keyword argument {next(iter(kwargs))!r}")
        return guest_text.guest_str(args[0] if args else kwargs.get("object", ""))


def _strict_zip(*iterables):
    return builtins.zip(*iterables, strict=True)


_GUARDED_NAMES = ("sum", "min", "max", "sorted", "any", "all", "pow",
                  "filter", "map", "zip", "enumerate")
_GUARDED_TYPES = ("list", "tuple", "set", "frozenset", "dict", "bytes", "bytearray")


def _iter(obj, *sentinel):
    if sentinel:  # iter(callable, sentinel) could call C functions for ever
        raise TypeError("iter(callable, sentinel) is not available in SM code")
    return builtins.iter(obj)


_iter.__name__ = _iter.__qualname__ = "iter"


def _real_classinfo(classinfo, depth=0):
    # ``list``, ``dict``... are GuardedType objects for SM code; map them back.
    if isinstance(classinfo, GuardedType):
        return classinfo._real
    real = class_for_isinstance(classinfo)
    if real is not None:
        return real
    if type(classinfo) is tuple and depth < 16:
        return tuple(_real_classinfo(c, depth + 1) for c in classinfo)
    return classinfo


def _isinstance(obj, classinfo, /):
    if type(classinfo) is type:  # a guest class, an exception
        return builtins.isinstance(obj, classinfo)
    return builtins.isinstance(obj, _real_classinfo(classinfo))

_STATIC: dict[str, Any] = {name: getattr(builtins, name) for name in _PLAIN}
_STATIC.update(iter=_iter, isinstance=_isinstance, str=_TextType(str),
               repr=guest_text.guest_repr, format=guest_text.guest_format,
               hash=guest_text.guest_hash, **GUEST_EXCEPTIONS)
_STATIC.update({"True": True, "False": False, "None": None})


_GUARDED = _Guarded()
#: The builtins every SM shares (the guarded ones find the calling SM's
#: runtime as they run): each SM's ``__builtins__`` starts as a copy of them.
SHARED_BUILTINS: dict[str, Any] = {
    **_STATIC,
    **{name: getattr(_GUARDED, name) for name in _GUARDED_NAMES},
    **{name: GuardedType(getattr(builtins, name)) for name in _GUARDED_TYPES},
    "set": _SetType(builtins.set), "frozenset": _SetType(builtins.frozenset),
}


_missing = (BUILTIN_NAMES - {"True", "False", "None"}) - set(_STATIC) - set(_GUARDED_NAMES) \
    - set(_GUARDED_TYPES) - set(_PER_SM)
assert not _missing, _missing

#: Reference strings of the builtins shared by every SM (they travel by name).
STATIC_REFS: dict[int, str] = {id(v): "builtin:" + k for k, v in SHARED_BUILTINS.items()
                                if callable(v)}
STATIC_TABLE: dict[str, object] = {"builtin:" + k: v for k, v in SHARED_BUILTINS.items()
                                   if callable(v)}
STATIC_REFS[id(END)] = "const:end"
STATIC_TABLE["const:end"] = END
# Unbound methods (``str.upper``) travel by name too.
for _type in (str, bytes, bytearray, list, tuple, dict, set, frozenset, int, float, range):
    for _name in ALLOWED_ATTRIBUTES:
        _value = getattr(_type, _name, None)
        # call-only methods (``str.format``) are never values: SM code
        # reaches them only through the compiler's guarded call
        if _value is not None and callable(_value) and not _name.startswith("_") \
                and _name not in CALL_ONLY_ATTRIBUTES and type(_value) is not type:
            # set.add, set.union...: the checked forms SM code sees
            _value = setmembers.UNBOUND.get((_type, _name), _value)
            STATIC_REFS.setdefault(id(_value), f"method:{_type.__name__}.{_name}")
            STATIC_TABLE[f"method:{_type.__name__}.{_name}"] = _value
for _module, _ns in GUEST_MODULES.items():
    STATIC_REFS[id(_ns)] = "module:" + _module
    STATIC_TABLE["module:" + _module] = _ns
    for _name, _value in vars(_ns).items():
        if callable(_value):
            STATIC_REFS[id(_value)] = f"{_module}:{_name}"
            STATIC_TABLE[f"{_module}:{_name}"] = _value
for _name in ("stdout", "stderr"):  # sys.stdout: shared, writes to the running SM's log
    STATIC_REFS[id(getattr(_STDLIB["sys"], _name))] = "sys:" + _name
    STATIC_TABLE["sys:" + _name] = getattr(_STDLIB["sys"], _name)
STATIC_REFS[id(_STDLIB["itertools"].chain.from_iterable)] = "itertools:chain.from_iterable"
STATIC_TABLE["itertools:chain.from_iterable"] = _STDLIB["itertools"].chain.from_iterable
GUARDED_NAMES = _GUARDED_NAMES + _GUARDED_TYPES


def make_print(output: Output) -> Any:
    """``print`` for one SM: to its log (``output``, whole lines), to an
    ``io.StringIO`` or to an object of the brick with a ``write`` method."""

    def print(*values, sep=" ", end="\n", file=None, flush=False):  # noqa: A001 - the guest's name
        print_to(output, values, sep, end, file, flush)

    return print
