"""``dataclasses.dataclass`` for classes of SM code: ``__init__``,
``__repr__``, ``__eq__`` (and the orderings with ``order=True``) made from
the class's annotated fields, which the compiler lists in ``_smvm_fields``.
The methods are host functions that only read and set the instance's own
attributes; the values' own dunders they call run as guest code."""
from __future__ import annotations

from ..guestclasses import is_guest_class, registry_of

FIELDS = "_smvm_fields"
_DATACLASS_FIELDS = "_smvm_dataclass"
_MISSING = object()
_OPTIONS = frozenset({"init", "repr", "eq", "order"})


def dataclass(cls=None, /, **options):
    """``@dataclass`` or ``@dataclass(init=, repr=, eq=, order=)``."""
    extra = set(options) - _OPTIONS
    if extra:
        raise TypeError(f"dataclass({', '.join(sorted(extra))}=...) is not available in SM code")
    if cls is None:
        return lambda c: _make(c, **options)
    return _make(cls, **options)


def _fields_of(cls: type) -> list[tuple[str, object]]:
    fields: dict[str, object] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(base.__dict__.get(_DATACLASS_FIELDS, ()))
    for name in cls.__dict__.get(FIELDS, ()):
        default = cls.__dict__.get(name, _MISSING)
        if type(default) in (list, dict, set):
            raise ValueError(f"mutable default {type(default).__name__} for field {name} "
                             "is not allowed: use default_factory")
        fields[name] = default
    return list(fields.items())


def _make(cls, *, init=True, repr=True, eq=True, order=False):  # noqa: A002 - dataclass's names
    if not is_guest_class(cls):
        raise TypeError("dataclass() applies to classes of the brick only")
    fields = _fields_of(cls)
    type.__setattr__(cls, _DATACLASS_FIELDS, tuple(fields))
    names = [name for name, _ in fields]
    seen_default = False
    for name, default in fields:
        if default is _MISSING and seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        seen_default = seen_default or default is not _MISSING
    if init:
        type.__setattr__(cls, "__init__", _init(fields, cls.__qualname__))
    if repr:
        type.__setattr__(cls, "__repr__", _repr(names))
    if eq:
        type.__setattr__(cls, "__eq__", _compare(names, lambda a, b: a == b))
        if "__hash__" not in cls.__dict__ or registry_of(cls) is not None:
            type.__setattr__(cls, "__hash__", None)  # equal by fields: not by identity
    if order:
        for dunder, op in (("__lt__", lambda a, b: a < b), ("__le__", lambda a, b: a <= b),
                           ("__gt__", lambda a, b: a > b), ("__ge__", lambda a, b: a >= b)):
            type.__setattr__(cls, dunder, _compare(names, op))
    return cls


def _init(fields, qualname):
    count = len(fields)

    def __init__(self, *args, **kwargs):
        if len(args) > count:
            raise TypeError(f"{qualname}.__init__() takes {count + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        for index, (name, default) in enumerate(fields):
            if index < len(args):
                if name in kwargs:
                    raise TypeError(f"{qualname}.__init__() got multiple values for "
                                    f"argument {name!r}")
                value = args[index]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif default is not _MISSING:
                value = default
            else:
                raise TypeError(f"{qualname}.__init__() missing 1 required positional "
                                f"argument: {name!r}")
            setattr(self, name, value)
        for name in kwargs:
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")
    return __init__


def _repr(names):
    def __repr__(self):
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({inner})"
    return __repr__


def _compare(names, op):
    def compare(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return op(tuple(getattr(self, n) for n in names), tuple(getattr(other, n) for n in names))
    return compare
