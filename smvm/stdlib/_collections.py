"""``collections`` for SM code: deque, defaultdict, Counter, OrderedDict and
namedtuple, the host's own types behind guarded constructors; how their
values travel (``reduce`` / ``new`` / ``fill``, used by the state codec)."""
from __future__ import annotations

import collections as _host
import keyword

from ..guestclasses import NT_API, is_namedtuple, key_runs_guest_code
from ..vm.runtime import RUNNING
from ._guard import HostType, bounded

#: Marks a class ``namedtuple`` made for SM code (it travels by its name;
#: ``guestclasses.is_namedtuple`` reads it).
NT_MARK = "_smvm_nt"
MAX_FIELDS = 256


def namedtuple(typename, field_names, *, rename=False, defaults=None):
    """``collections.namedtuple``: a tuple class with named fields, recorded
    in the SM's runtime so its instances can travel by the class's name."""
    if type(typename) is not str or not typename.isidentifier() or typename.startswith("_") \
            or keyword.iskeyword(typename):
        raise ValueError(f"invalid namedtuple name {typename!r}")
    if type(field_names) is str:
        field_names = field_names.replace(",", " ").split()
    field_names = list(bounded(field_names))
    if len(field_names) > MAX_FIELDS:
        raise ValueError(f"a namedtuple may have at most {MAX_FIELDS} fields")
    if defaults is not None:
        defaults = tuple(bounded(defaults))
    cls = _host.namedtuple(typename, field_names, rename=rename, defaults=defaults,
                           module="__main__")
    type.__setattr__(cls, NT_MARK, True)
    rt = RUNNING.rt
    if rt is not None:
        rt.namedtuples[typename] = cls
    return cls


def _defaultdict(*args, **kwargs):
    if len(args) > 1:
        args = (args[0], bounded(args[1]), *args[2:])
    return _host.defaultdict(*args, **kwargs)


def build() -> dict:
    return {
        "deque": HostType(_host.deque, name="collections.deque"),
        "Counter": HostType(_host.Counter, name="collections.Counter"),
        "OrderedDict": HostType(_host.OrderedDict, name="collections.OrderedDict"),
        "defaultdict": _DefaultDictType(),
        "namedtuple": namedtuple,
    }


class _DefaultDictType(HostType):
    __slots__ = ()

    def __init__(self):
        super().__init__(_host.defaultdict, 1, "collections.defaultdict")


# ---- travelling ---------------------------------------------------------------
# A value is (kind, header, fields): the codec encodes header and fields as
# ordinary values; ``new`` makes the empty object from the header, ``fill``
# gives it its contents (so cycles through it resolve).

def _pairs(d: dict) -> list:
    return [[k, v] for k, v in d.items()]


def reduce(x: object, functions) -> tuple[str, object, list]:
    t = type(x)
    if t is _host.deque:
        return "deque", x.maxlen, list(x)
    if t is _host.Counter:
        return "Counter", None, _pairs(x)
    if t is _host.OrderedDict:
        return "OrderedDict", None, _pairs(x)
    if t is _host.defaultdict:
        return "defaultdict", x.default_factory, _pairs(x)
    ref = functions.get(id(t))
    if ref is None:
        raise TypeError(f"the namedtuple class {t.__name__!r} is not defined by the module")
    return "namedtuple", ref, list(x)


def new(kind: str, header: object, functions) -> object:
    if kind == "deque":
        if header is not None and (type(header) is not int or header < 0):
            raise ValueError("malformed deque")
        return _host.deque(maxlen=header)
    if kind == "Counter":
        return _host.Counter()
    if kind == "OrderedDict":
        return _host.OrderedDict()
    if kind == "defaultdict":
        if header is not None and not callable(header):
            raise ValueError("malformed defaultdict")
        return _host.defaultdict(header)
    if kind == "namedtuple":
        cls = functions.get(header) if type(header) is str and header.startswith("nt:") else None
        if cls is None or not is_namedtuple(cls):
            raise ValueError(f"unknown namedtuple class {str(header)[:80]!r}")
        return _Pending(cls)
    raise ValueError(f"unknown kind {kind!r}")


class _Pending:
    """A namedtuple being decoded: tuples are built once their items are."""

    __slots__ = ("cls",)

    def __init__(self, cls: type):
        self.cls = cls


def fill(obj: object, fields: object) -> object:
    """Give ``obj`` its contents; return the finished object."""
    if type(fields) is not list:
        raise ValueError("malformed collection")
    if type(obj) is _Pending:
        if len(fields) != len(obj.cls._fields):
            raise ValueError("namedtuple with the wrong number of fields")
        return tuple.__new__(obj.cls, fields)
    if type(obj) is _host.deque:
        if obj.maxlen is not None and len(fields) > obj.maxlen:
            raise ValueError("deque longer than its maxlen")
        obj.extend(fields)
        return obj
    for pair in fields:
        if type(pair) is not list or len(pair) != 2:
            raise ValueError("malformed mapping")
        if key_runs_guest_code(pair[0]):
            raise ValueError("a key whose hash would run SM code")
        obj[pair[0]] = pair[1]  # type: ignore[index]  # the host type's own store
    return obj


TYPES = frozenset({_host.deque, _host.Counter, _host.OrderedDict, _host.defaultdict})
KINDS = frozenset({"deque", "Counter", "OrderedDict", "defaultdict", "namedtuple"})
