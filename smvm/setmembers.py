"""A set or frozenset of an SM holds no value that CPython hashes by its
memory address.

A set iterates in the order of its items' hashes. Functions, classes,
generators, ``object()``, modules, builtins, bound methods, exceptions and
other host objects hash by their address (so does a tuple or frozenset
holding one), so a set of them would iterate in a different order on every
node and in every run. Such a value is refused where a guest builds or grows
a set: the compiler routes set displays, comprehensions, the growing methods
and the set operators here, and ``set()``, ``frozenset()``, the standard
modules and the state codec call ``check`` too. Instances of the brick's
classes hash by an identity serial (``smvm.guestclasses``) and are welcome;
dict keys stay free (a dict keeps insertion order).

The scan is ``set(map(type, items))`` in C; only kinds outside the plain
ones are looked at one by one.
"""
from __future__ import annotations

import functools
import operator
import types
from collections.abc import Iterable

from .guestclasses import is_guest_class, registry_of

#: Kinds hashed by their value (None by its fixed place in the interpreter).
PLAIN = _PLAIN = frozenset({int, float, complex, bool, str, bytes, type(None), range})
#: Kinds holding items whose hashes make theirs.
_HOLDERS = frozenset({tuple, frozenset})
#: Kinds whose own hash function reads an address (the others that do inherit
#: ``object.__hash__``, which ``_address_hashed`` tests).
_OWN_ADDRESS_HASH = frozenset({
    types.MethodType, types.BuiltinFunctionType, types.MethodWrapperType,
    types.WrapperDescriptorType, types.MethodDescriptorType, types.ClassMethodDescriptorType,
    types.GetSetDescriptorType, types.MemberDescriptorType})
_SETS = (set, frozenset)
#: How deep a tuple of tuples is looked into (guest tuples are shallower:
#: ``MAX_VALUE_DEPTH``).
_MAX_DEPTH = 256
_WHY = ("its place in a set would depend on memory addresses; use a list, or a dict, "
        "which keeps insertion order")


def _address_hashed(kind: type) -> bool:
    if is_guest_class(kind):  # the brick's classes: by serial, or by their own __hash__
        return kind.__hash__ is object.__hash__ and registry_of(kind) is None
    return kind.__hash__ is object.__hash__ or kind in _OWN_ADDRESS_HASH


_NAMES = {type: "a class", types.FunctionType: "a function", types.MethodType: "a bound method",
          types.BuiltinFunctionType: "a builtin function", types.GeneratorType: "a generator",
          object: "an object()"}


def _name(kind: type) -> str:
    name = _NAMES.get(kind)
    if name is not None:
        return name
    if issubclass(kind, BaseException):
        return "an exception"
    return {"GuestModule": "a module", "GuardedType": "a builtin",
            "_TextType": "a builtin"}.get(kind.__name__, f"a {kind.__name__!r} value")


def refused(items: Iterable) -> str | None:
    """What, in ``items``, no set of an SM may hold (None: nothing)."""
    kinds = set(map(type, items))
    if kinds <= _PLAIN:
        return None
    depth = 0
    while True:
        held: list = []
        for kind in kinds - _PLAIN:
            if kind in _HOLDERS or (issubclass(kind, tuple) and not is_guest_class(kind)):
                held.append(kind)
            elif _address_hashed(kind):
                return _name(kind)
        if not held or depth >= _MAX_DEPTH:
            return None
        # the items of the tuples and frozensets among them, one level down
        inner = [item for item in items if type(item) in held]
        items = [x for holder in inner for x in holder]
        kinds = set(map(type, items))
        depth += 1
        if kinds <= _PLAIN:
            return None


def check(items: Iterable) -> None:
    """Raise ``TypeError`` if a set of an SM may not hold something in ``items``."""
    what = refused(items)
    if what is not None:
        raise TypeError(f"a set cannot hold {what}: {_WHY}")


def checked(s):
    """``s`` (a set an SM just built), checked."""
    check(s)
    return s


def member(value):
    """``value``, which an SM adds to a set, checked."""
    if type(value) not in _PLAIN:
        check((value,))
    return value


def _clean(arg):
    """An iterable given to a growing set method: a set or frozenset is clean
    already; anything else is taken into a tuple and checked."""
    if type(arg) in _SETS:
        return arg
    items = tuple(arg)
    check(items)
    return items


#: Set methods that take values in, and what they take.
GROWING = frozenset({"add", "update", "union", "symmetric_difference",
                     "symmetric_difference_update"})


def _set_add(s, value, /):
    return s.add(member(value))


def _grower(kind: type, name: str):
    real = getattr(kind, name)

    def method(s, /, *others):
        return real(s, *map(_clean, others))
    method.__name__ = method.__qualname__ = name
    return method


_set_add.__name__ = _set_add.__qualname__ = "add"
#: ``set.<name>`` and ``frozenset.<name>`` as SM code sees them: the real
#: method, with what it takes in checked.
UNBOUND: dict[tuple[type, str], object] = {(set, "add"): _set_add}
UNBOUND.update({(set, name): _grower(set, name) for name in GROWING - {"add"}})
UNBOUND.update({(frozenset, name): _grower(frozenset, name)
                for name in ("union", "symmetric_difference")})


def grow(obj, name: str, /, *args, **kwargs):
    """``obj.<name>(*args)`` for one of the ``GROWING`` names: checked where
    ``obj`` is a set or frozenset, called as it is otherwise (a dict's
    ``update``, a method of the brick's classes that cannot migrate)."""
    if type(obj) is set and name == "add" and len(args) == 1 and not kwargs:
        return obj.add(member(args[0]))  # the usual case, in one call
    for kind in _SETS:
        if isinstance(obj, kind):
            return UNBOUND[kind, name](obj, *args, **kwargs)
    return getattr(obj, name)(*args, **kwargs)


def grow_argument(obj, name: str, arg, /):
    """An argument of ``obj.<name>(...)`` called by the SM's own frame (a
    method of the brick by that name may migrate): checked where ``obj`` is
    a set or frozenset, or, with ``obj`` None (not known), wherever it holds
    what no set may."""
    if obj is None or isinstance(obj, (set, frozenset)):
        return member(arg) if name == "add" else _clean(arg)
    return arg


def grow_arguments(obj, name: str, /, *args) -> tuple:
    """``grow_argument`` of each of ``args`` (given with ``*``)."""
    return tuple(grow_argument(obj, name, arg) for arg in args)


def new_set(iterable=(), /):
    """``set(...)`` handed straight to the real type by the compiler (which
    gives it one argument, a generator expression or a name)."""
    s = set(iterable)
    if not _PLAIN.issuperset(map(type, s)):  # ``check``'s common case, in C
        check(s)
    return s


def new_frozenset(iterable=(), /):
    s = frozenset(iterable)
    if not _PLAIN.issuperset(map(type, s)):
        check(s)
    return s


def method_value(obj, name: str, /):
    """``obj.<name>`` taken as a value: for a set or frozenset, its checked
    method bound to it (a partial, which travels with the SM)."""
    for kind in _SETS:
        if isinstance(obj, kind) and (kind, name) in UNBOUND:
            return functools.partial(UNBOUND[kind, name], obj)
    return getattr(obj, name)


#: The set operators: dict views' (``d.keys() | xs``) build sets from
#: anything iterable.
_OPERATORS = {name: getattr(operator, name) for name in (
    "or_", "and_", "xor", "sub", "ior", "iand", "ixor", "isub")}


def operate(left, right, name: str, /):
    """``left <op> right`` for ``|``, ``&``, ``^``, ``-`` and their in-place
    forms (``name`` as in ``operator``), a set result checked where a dict
    view made it."""
    result = _OPERATORS[name](left, right)
    if type(result) is set and (type(left) not in _SETS or type(right) not in _SETS):
        check(result)
    return result
