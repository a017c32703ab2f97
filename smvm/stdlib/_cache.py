"""``functools.lru_cache`` and ``functools.cache`` for SM code.

The cache belongs to the SM and travels with it: a cached function at
module level is a global like any other value the SM changes, so its
entries, order and hit/miss counts are carried by the state and the SM sees
after a hop what CPython's process would have. The entries are the SM's own
memory (counted against its memory budget like any value it makes, and
against the size of its state when it moves); ``maxsize`` bounds them,
``cache`` does not (as in CPython). The compiler refuses a cached function
that may migrate: its calls go through this host wrapper, which cannot be
captured.
"""
from __future__ import annotations

import functools as _ft
from collections import OrderedDict

from ..guestclasses import key_runs_guest_code
from ._guard import charge


class _Mark:
    """Separates positional arguments from the rest of a key (never an
    argument: SM code cannot reach it)."""

    __slots__ = ()


_MARK = _Mark()
_MISSING = object()


class CachedFunction:
    """A function with a least-recently-used cache of its results."""

    __slots__ = ("_function", "_maxsize", "_typed", "_entries", "_hits", "_misses")

    def __init__(self, function, maxsize, typed):
        self._function, self._maxsize, self._typed = function, maxsize, typed
        self._entries: OrderedDict = OrderedDict()
        self._hits = self._misses = 0

    def _key(self, args: tuple, kwargs: dict) -> object:
        if not kwargs and not self._typed:
            return args
        kinds = tuple(type(v).__qualname__ for v in (*args, *kwargs.values())) \
            if self._typed else ()
        return (_MARK, args, tuple(kwargs.items()), kinds)

    def __call__(self, *args, **kwargs):
        charge(1)
        key = self._key(args, kwargs)
        entries = self._entries
        value = entries.get(key, _MISSING)
        if value is not _MISSING:
            self._hits += 1
            entries.move_to_end(key)
            return value
        self._misses += 1
        value = self._function(*args, **kwargs)
        if self._maxsize is None or self._maxsize > 0:
            entries[key] = value
            if self._maxsize is not None and len(entries) > self._maxsize:
                entries.popitem(last=False)
        return value

    def cache_info(self):
        return CacheInfo(self._hits, self._misses, self._maxsize, len(self._entries))

    def cache_clear(self) -> None:
        self._entries.clear()
        self._hits = self._misses = 0

    def cache_parameters(self) -> dict:
        return {"maxsize": self._maxsize, "typed": self._typed}

    def __repr__(self) -> str:
        return "<functools._lru_cache_wrapper object>"


def _checked_maxsize(maxsize: object) -> int | None:
    if maxsize is None:
        return None
    if type(maxsize) is not int:
        raise TypeError("Expected first argument to be an integer, a callable, or None")
    return max(maxsize, 0)


def lru_cache(maxsize=128, typed=False):
    """``functools.lru_cache``: ``@lru_cache``, ``@lru_cache()``,
    ``@lru_cache(maxsize=..., typed=...)``."""
    if callable(maxsize) and type(maxsize) is not bool:
        return CachedFunction(maxsize, 128, bool(typed))
    size = _checked_maxsize(maxsize)

    def decorate(function):
        if not callable(function):
            raise TypeError("the first argument must be callable")
        return CachedFunction(function, size, bool(typed))

    return decorate


def cache(function):
    """``functools.cache``: ``lru_cache(maxsize=None)``."""
    return CachedFunction(function, None, False)


# ---- travelling ---------------------------------------------------------------

#: ``cache_info()``'s value: CPython's own namedtuple, carried as its four counts.
CacheInfo = _ft._CacheInfo


def reduce(x: object) -> tuple[str, object, list]:
    if type(x) is CacheInfo:
        return "CacheInfo", None, list(x)
    entries = []
    for key, value in x._entries.items():
        if key_runs_guest_code(key):
            raise TypeError("a cached function's arguments hash with guest code: "
                            "its cache cannot travel")
        if type(key) is tuple and key and key[0] is _MARK:
            entries.append([1, list(key[1]), [list(item) for item in key[2]], list(key[3]), value])
        else:
            entries.append([0, list(key), value])
    return "lru_cache", [x._function, x._maxsize, x._typed], [x._hits, x._misses, entries]


def new(kind: str, header: object) -> object:
    if kind == "CacheInfo":
        if header is not None:
            raise ValueError("malformed cache info")
        return CacheInfo  # built by fill, once its counts are decoded
    if type(header) is not list or len(header) != 3:
        raise ValueError("malformed cached function")
    function, maxsize, typed = header
    if not callable(function) or type(typed) is not bool or not (
            maxsize is None or (type(maxsize) is int and maxsize >= 0)):
        raise ValueError("malformed cached function")
    return CachedFunction(function, maxsize, typed)


def fill(obj: object, fields: object) -> object:
    if obj is CacheInfo:
        if type(fields) is not list or len(fields) != 4 or not all(
                type(n) is int or (n is None and i == 2) for i, n in enumerate(fields)):
            raise ValueError("malformed cache info")
        return CacheInfo(*fields)
    if type(fields) is not list or len(fields) != 3:
        raise ValueError("malformed cached function")
    hits, misses, entries = fields
    if type(hits) is not int or type(misses) is not int or hits < 0 or misses < 0 \
            or type(entries) is not list \
            or (obj._maxsize is not None and len(entries) > obj._maxsize):
        raise ValueError("malformed cached function")
    for entry in entries:
        key = _entry_key(entry)
        if key_runs_guest_code(key):
            raise ValueError("a cache key that would run guest code")
        obj._entries[key] = entry[-1]
    obj._hits, obj._misses = hits, misses
    return obj


def _entry_key(entry: object) -> object:
    if type(entry) is list and len(entry) == 3 and type(entry[0]) is int and entry[0] == 0 \
            and type(entry[1]) is list:
        return tuple(entry[1])
    if type(entry) is list and len(entry) == 5 and type(entry[0]) is int and entry[0] == 1 \
            and type(entry[1]) is list \
            and type(entry[2]) is list and type(entry[3]) is list \
            and all(type(item) is list and len(item) == 2 and type(item[0]) is str
                    for item in entry[2]) \
            and all(type(kind) is str for kind in entry[3]):
        return (_MARK, tuple(entry[1]), tuple(tuple(item) for item in entry[2]), tuple(entry[3]))
    raise ValueError("malformed cache entry")
