"""The standard modules SM code may import, besides ``math``: ``random``,
``itertools``, ``functools``, ``operator``, ``bisect``, ``heapq``,
``collections`` (and the abstract classes of ``collections.abc``), ``json``, ``string``, ``statistics``, ``copy``,
``dataclasses``, ``io`` (``StringIO``) and ``sys`` (``stdout``, ``stderr``).

Each is a namespace of the host's own implementations behind guards (fuel
for the work they do in host code, sizes for what they allocate, no hooks
into host machinery). ``random`` is per SM (a generator seeded from the
SM's id, whose state travels with it); the others are shared by every SM.
The values they return travel: ``host_kind``/``reduce``/``new``/``fill``
give the state codec their contents.
"""
from __future__ import annotations

import collections.abc as _abc
from types import SimpleNamespace

from . import _cache, _collections, _data, _guard, _io, _iterators, _random
from ._collections import NT_API, is_namedtuple
from ._dataclass import dataclass
from ._io import Output, print_to
from ..compiler.stdlib_members import MEMBERS, VALUE_METHODS

__all__ = ["GuestModule", "GuestRandom", "MEMBERS", "Output", "print_to", "class_for_isinstance", "NT_API", "SHARED", "VALUE_METHODS", "fill", "host_kind",
           "is_namedtuple", "new", "random_module", "reduce"]


#: The generators ``random`` hands out (and each SM's default one).
GuestRandom = _random.Random


class GuestModule(SimpleNamespace):
    """A module as SM code sees it: only its listed members, and a text that
    shows no host object (addresses included)."""

    def __repr__(self) -> str:
        return f"<module {self.__dict__.get('_name', '?')!r}>"


def _module(name: str, members: dict) -> GuestModule:
    if set(members) != MEMBERS[name]:
        raise AssertionError(f"{name}: {set(members) ^ MEMBERS[name]}")
    module = GuestModule(**members)
    module.__dict__["_name"] = name
    return module


#: The modules every SM shares (their functions travel by name).
SHARED: dict[str, GuestModule] = {
    "itertools": _module("itertools", _iterators.build_itertools()),
    "functools": _module("functools", _iterators.build_functools()),
    "operator": _module("operator", _iterators.build_operator()),
    "bisect": _module("bisect", _data.build_bisect()),
    "heapq": _module("heapq", _data.build_heapq()),
    "collections": _module("collections", _collections.build()),
    "collections.abc": _module("collections.abc", {
        name: _guard.AbstractType(getattr(_abc, name)) for name in MEMBERS["collections.abc"]}),
    "json": _module("json", _data.build_json()),
    "string": _module("string", _data.build_string()),
    "statistics": _module("statistics", _data.build_statistics()),
    "copy": _module("copy", _data.build_copy()),
    "dataclasses": _module("dataclasses", {"dataclass": dataclass}),
    "io": _module("io", _io.build_io()),
    "sys": _module("sys", _io.build_sys()),
}


def random_module(sm_id: str) -> tuple[GuestModule, _random.Random]:
    """One SM's ``random``, and its default generator (whose state travels)."""
    members, default = _random.build(sm_id)
    return _module("random", members), default


def class_for_isinstance(classinfo: object) -> type | None:
    """The host class behind a type of these modules as SM code sees it
    (``collections.deque``, ``random.Random``), for ``isinstance``."""
    if type(classinfo) in (_guard.HostType, _guard.AbstractType, _collections._DefaultDictType):
        return classinfo._real
    if type(classinfo) is _random._RandomType:
        return _random.Random
    return None


# ---- travelling -----------------------------------------------------------------

_KINDS: dict[type, str] = {_random.Random: "random"}
_KINDS.update((t, "collections") for t in _collections.TYPES)
_KINDS.update((t, "itertools") for t in _iterators.TRAVELLING)
_KINDS[_io.StringIO] = "io"
_KINDS[_cache.CachedFunction] = _KINDS[_cache.CacheInfo] = "functools"


def host_kind(t: type) -> str | None:
    """The module whose values of type ``t`` travel, if any."""
    kind = _KINDS.get(t)
    if kind is None and type(t) is type and t.__dict__.get(_collections.NT_MARK) is True:
        return "collections"
    return kind


def reduce(x: object, functions) -> tuple[str, object, object]:
    """(kind, header, fields) of a value whose type ``host_kind`` knows."""
    kind = host_kind(type(x))
    if kind == "random":
        return "random", None, _random.reduce(x)
    if kind == "collections":
        return _collections.reduce(x, functions)
    if kind == "io":
        return _io.reduce(x)
    if kind == "functools":
        return _cache.reduce(x)
    return _iterators.reduce(x)


def new(kind: object, header: object, functions) -> object:
    """The empty value (``fill`` completes it); ValueError when malformed."""
    if kind == "random":
        return _random.new(header)
    if kind in _collections.KINDS:
        return _collections.new(kind, header, functions)
    if kind == "StringIO":
        return _io.new(header)
    if kind in ("lru_cache", "CacheInfo"):
        return _cache.new(kind, header)
    return _iterators.new(kind, header)


def fill(obj: object, kind: str, fields: object) -> object:
    """Complete ``obj`` with its decoded fields; return the finished value."""
    if kind == "random":
        _random.fill(obj, fields)
        return obj
    if kind in _collections.KINDS:
        return _collections.fill(obj, fields)
    if kind == "StringIO":
        return _io.fill(obj, fields)
    if kind in ("lru_cache", "CacheInfo"):
        return _cache.fill(obj, fields)
    return _iterators.fill(obj, kind, fields)


#: Kinds built after their contents (immutable: numbered once built).
BUILT_AFTER = frozenset({"namedtuple", "CacheInfo"}) | frozenset(_iterators.TRAVELLING.values())
