"""Classes written in SM code: how they are made, which stores they allow, and
how their instances travel.

A brick's ``class`` statement runs through ``ClassRegistry.build_class`` (the
``__build_class__`` of the SM's builtins): no keywords (so no metaclass), bases
only from the brick's own classes, ``object`` and the SM exceptions. Every
guest class is recorded in its SM's registry, which the compiled code reads to
allow attribute stores (``obj.x = v``) on guest instances and guest classes
only. Host code never calls a guest method: what it needs from a guest object
(a reference for its class, a printable name) it reads from the class, whose
metaclass is always ``type``.

Instances of a guest class that defines neither ``__eq__`` nor ``__hash__``
compare by identity, and CPython would hash them by their address: the order
in which a ``set`` of them iterates (or ``set.pop`` picks) would then follow
host memory — a leak of addresses and a run that differs from one process to
the next. Such classes hash by an *identity serial* instead: a number the
SM's registry hands out in the order its instances are first hashed, kept
outside the instance (so ``copy`` of one gets a serial of its own) and carried
with it when the SM migrates (``instance_fields`` / ``fill_instance``).
"""
from __future__ import annotations

import builtins
import types
import weakref
from typing import Any

from .compiler.policy import ALLOWED_DUNDERS, DENIED_ATTRIBUTES
from .values import GUEST_EXCEPTIONS

#: Class attribute marking a class made by SM code (inherited by its subclasses).
GUEST_MARK = "_smvm_guest"
#: Most classes one SM may define (module bodies run again on every node).
MAX_CLASSES = 1000
_BASES_OK = frozenset({object, *GUEST_EXCEPTIONS.values()})
#: Key under which an instance's identity serial travels with its attributes
#: (a dunder: no SM code can name it).
SERIAL_KEY = "__serial__"


def is_guest_class(cls: object) -> bool:
    """A class made by SM code (checked without running any guest code)."""
    return type(cls) is type and cls.__dict__.get(GUEST_MARK) is True


def guest_name(obj: object) -> str:
    """``<Name object>`` for a guest instance: host code that must show one
    (an error record, a result) never calls its ``__repr__``."""
    return f"<{type(obj).__name__} object>"


def safe_repr(obj: object) -> str:
    return guest_name(obj) if is_guest_class(type(obj)) else repr(obj)


def check_attribute_name(name: object) -> str:
    """The names SM code may read or write on an object at run time."""
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if name.startswith("__") or name in DENIED_ATTRIBUTES or not name.isidentifier():
        raise AttributeError(f"attribute {name!r} is not available in SM code")
    return name


NT_API = frozenset({"_asdict", "_replace", "_fields", "_field_defaults", "_make"})


def is_namedtuple(obj: object) -> bool:
    """A namedtuple class (or instance) made by ``collections.namedtuple``
    for SM code."""
    cls = obj if type(obj) is type else type(obj)
    return type(cls) is type and cls.__dict__.get("_smvm_nt") is True


class ClassRegistry:
    """One SM's guest classes: class -> reference name (``class:Qualname``)."""

    __slots__ = ("classes", "by_ref", "_serials", "_owners", "_next_serial")

    def __init__(self) -> None:
        self.classes: dict[type, str] = {}
        self.by_ref: dict[str, type] = {}
        #: id of a live instance -> its identity serial, and back
        self._serials: dict[int, int] = {}
        self._owners: dict[int, int] = {}
        self._next_serial = 1

    def identity_hash(self, obj: object) -> int:
        """The hash of an instance of a class hashed by identity: its serial
        (handed out the first time it is hashed; never its address)."""
        serial = self._serials.get(id(obj))
        if serial is None:
            serial = self._next_serial
            self._adopt(obj, serial)
        return serial

    def _hash_function(self) -> types.FunctionType:
        # a plain function: CPython's hash slot passes the instance to it
        identity_hash = self.identity_hash

        def __hash__(obj: object) -> int:
            return identity_hash(obj)
        __hash__.registry = self  # type: ignore[attr-defined]
        return __hash__

    def serial_of(self, obj: object) -> int | None:
        return self._serials.get(id(obj))

    def adopt_serial(self, obj: object, serial: object) -> None:
        """Give an arriving instance the serial it had where it came from."""
        if type(serial) is not int or not 0 < serial < 1 << 62 or serial in self._owners:
            raise ValueError("malformed instance identity")
        self._adopt(obj, serial)

    def _adopt(self, obj: object, serial: int) -> None:
        key = id(obj)
        self._serials[key] = serial
        self._owners[serial] = key
        self._next_serial = max(self._next_serial, serial + 1)
        weakref.finalize(obj, self._forget, key, serial)

    def _forget(self, key: int, serial: int) -> None:
        if self._serials.get(key) == serial:
            del self._serials[key]
        if self._owners.get(serial) == key:
            del self._owners[serial]

    def build_class(self, body: Any, name: str, *bases: object, **keywords: object) -> type:
        if keywords:
            raise TypeError("class keywords (metaclass=...) are not available in SM code")
        for base in bases:
            if base not in self.classes and base not in _BASES_OK:
                raise TypeError(f"a class of SM code may only derive from the brick's "
                                f"classes, object and exceptions, not {safe_repr(base)}")
        if len(self.classes) >= MAX_CLASSES:
            raise TypeError(f"more than {MAX_CLASSES} classes defined")
        cls = builtins.__build_class__(body, name, *bases)
        for key in cls.__dict__:
            if key.startswith("__") and key not in ALLOWED_DUNDERS and key not in _CLASS_KEYS:
                raise TypeError(f"class attribute {key!r} is not allowed")
        type.__setattr__(cls, GUEST_MARK, True)
        if cls.__hash__ is object.__hash__:  # compared by identity: hashed by serial
            type.__setattr__(cls, "__hash__", self._hash_function())
        self.register(cls)
        return cls

    def register(self, cls: type) -> None:
        ref = "class:" + cls.__qualname__
        old = self.by_ref.get(ref)
        if old is not None:
            self.classes.pop(old, None)
        self.classes[cls] = ref
        self.by_ref[ref] = cls

    def store_target(self, obj: object) -> object:
        """``obj`` if SM code may set attributes on it (a guest instance or
        class), else TypeError: host objects and shared classes stay as they are."""
        if type(obj) in self.classes or (type(obj) is type and obj in self.classes):
            return obj
        raise TypeError(f"cannot set attributes of {type(obj).__name__!r} objects in SM code")

    def class_of(self, obj: object) -> type:
        """``obj.__class__``: the brick's class of one of its instances (a
        value SM code can name anyway); the class of anything else would be
        host type machinery."""
        kind = type(obj)
        if kind in self.classes:
            return kind
        raise AttributeError(f"the class of a {kind.__name__!r} object is not available in SM "
                             "code (only the class of an instance of the brick's classes)")

    def private(self, obj: object, name: str) -> object:
        """``obj._name``: only on guest instances and classes (and the
        documented ``_asdict``, ``_replace``... of a namedtuple)."""
        if type(obj) in self.classes or (type(obj) is type and obj in self.classes):
            return getattr(obj, name)
        if name in NT_API and is_namedtuple(obj):
            return getattr(obj, name)
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")

    def class_data(self) -> dict[str, object]:
        """``Qualname.attr`` -> value of each data attribute of each class:
        classes are rebuilt on every node, what the SM stored in them travels."""
        out = {}
        for cls in self.classes:
            prefix = cls.__qualname__ + "."
            for key, value in cls.__dict__.items():
                if not key.startswith("_") and type(value) not in _CODE_KINDS:
                    out[prefix + key] = value
        return out

    def fits_class_data(self, name: str) -> bool:
        qualname, _, key = name.rpartition(".")
        try:
            check_attribute_name(key)
        except (TypeError, AttributeError):
            return False
        return not key.startswith("_") and "class:" + qualname in self.by_ref

    def set_class_data(self, name: str, value: object) -> None:
        qualname, _, key = name.rpartition(".")
        type.__setattr__(self.by_ref["class:" + qualname], key, value)

    def methods(self) -> dict[int, types.FunctionType]:
        """id(code) -> function, for every function defined in a class body."""
        out = {}
        for cls in self.classes:
            for value in cls.__dict__.values():
                if type(value) in (staticmethod, classmethod):
                    value = value.__func__
                elif type(value) is property:
                    for part in (value.fget, value.fset, value.fdel):
                        if type(part) is types.FunctionType:
                            out[id(part.__code__)] = part
                    continue
                if type(value) is types.FunctionType and value.__code__ is not _IDENTITY_CODE:
                    out[id(value.__code__)] = value
        return out


_IDENTITY_CODE = ClassRegistry()._hash_function().__code__
_CODE_KINDS = (types.FunctionType, staticmethod, classmethod, property)
_CLASS_KEYS = frozenset({"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
                         "__annotations__", "__classcell__"})


def make_attribute_builtins(registry: ClassRegistry) -> dict[str, Any]:
    """``getattr``, ``setattr`` and ``hasattr`` as SM code sees them: the
    names a dot could not reach stay out of reach."""

    def guest_getattr(obj, name, *default):
        if len(default) > 1:
            raise TypeError("getattr expected at most 3 arguments")
        name = check_attribute_name(name)
        try:
            if name.startswith("_"):
                return registry.private(obj, name)
            if isinstance(obj, (set, frozenset)):  # set.add...: checked (smvm.setmembers)
                from .setmembers import method_value
                return method_value(obj, name)
            return getattr(obj, name)
        except AttributeError:
            if default:
                return default[0]
            raise

    def guest_setattr(obj, name, value, /):
        setattr(registry.store_target(obj), check_attribute_name(name), value)

    def guest_hasattr(obj, name, /):
        try:
            guest_getattr(obj, name)
        except AttributeError:
            return False
        return True

    guest_getattr.__name__ = guest_getattr.__qualname__ = "getattr"
    guest_setattr.__name__ = guest_setattr.__qualname__ = "setattr"
    guest_hasattr.__name__ = guest_hasattr.__qualname__ = "hasattr"
    return {"getattr": guest_getattr, "setattr": guest_setattr, "hasattr": guest_hasattr}


# ---- travelling -----------------------------------------------------------------

def key_runs_guest_code(key: object, depth: int = 0) -> bool:
    """Would hashing ``key`` (a dict key, a set item being rebuilt) call a
    guest ``__hash__``/``__eq__``? The state codec refuses such keys: it must
    not run guest code."""
    t = type(key)
    if t in (str, int, float, bool, bytes, type(None)):
        return False
    if depth > 64:
        return True
    if isinstance(key, (tuple, frozenset)):
        if is_guest_class(t):
            return True
        return any(key_runs_guest_code(item, depth + 1) for item in key)
    if is_guest_class(t):
        return not hashed_by_identity(t) or t.__eq__ is not object.__eq__
    return False


def registry_of(cls: type) -> ClassRegistry | None:
    """The registry whose serials hash instances of ``cls`` (None: the
    class is not hashed by identity serial)."""
    function = cls.__hash__
    if type(function) is not types.FunctionType or function.__code__ is not _IDENTITY_CODE:
        return None
    return function.registry  # type: ignore[attr-defined]


def hashed_by_identity(cls: type) -> bool:
    return cls.__hash__ is object.__hash__ or registry_of(cls) is not None


def instance_fields(obj: object) -> tuple[dict, list | None]:
    """What an instance of a guest class carries: its attributes and, for an
    exception, its ``args``."""
    extra = list(obj.args) if isinstance(obj, BaseException) else None
    registry = registry_of(type(obj))
    serial = None if registry is None else registry.serial_of(obj)
    if serial is not None:
        return {**obj.__dict__, SERIAL_KEY: serial}, extra
    return obj.__dict__, extra


def new_instance(cls: object) -> object:
    """An empty instance of guest class ``cls`` (no guest code runs)."""
    if not is_guest_class(cls):
        raise ValueError("instance of a class that is not a guest class")
    if issubclass(cls, BaseException):
        return cls.__new__(cls)  # type: ignore[call-overload]  # builtin: no guest __new__
    return object.__new__(cls)  # type: ignore[arg-type]


def fill_instance(obj: object, attrs: object, extra: object) -> None:
    """Give a new instance its attributes (and an exception its args)."""
    if type(attrs) is dict and SERIAL_KEY in attrs:
        attrs = dict(attrs)
        serial = attrs.pop(SERIAL_KEY)
        registry = registry_of(type(obj))
        if registry is None:
            raise ValueError("malformed instance identity")
        registry.adopt_serial(obj, serial)
    if type(attrs) is not dict or any(type(k) is not str or k.startswith("__")
                                      or k in DENIED_ATTRIBUTES for k in attrs):
        raise ValueError("malformed instance attributes")
    if isinstance(obj, BaseException):
        if type(extra) is not list:
            raise ValueError("malformed exception instance")
        obj.args = tuple(extra)
    elif extra is not None:
        raise ValueError("malformed instance")
    obj.__dict__.update(attrs)
