"""Runtime value types that SM state may hold besides plain data."""
from __future__ import annotations

import builtins
import json
import math

from . import errors
from .limits import long_int_placeholder, safe_repr


class Cell:
    """A variable shared between a function and the nested functions using it.

    The compiler lifts nested functions to module level and turns each captured
    variable into a ``Cell``; a closure value is ``functools.partial(lifted,
    *cells)``. Cells are mutable and keep their identity across migrations.
    """

    __slots__ = ("v",)

    def __init__(self, v: object = None):
        self.v = v

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Cell({self.v!r})"


_BUILTIN_EXCEPTION_NAMES = (
    "Exception", "ArithmeticError", "AssertionError", "AttributeError",
    "IndexError", "KeyError", "LookupError", "NameError", "NotImplementedError",
    "OverflowError", "RuntimeError", "StopIteration", "TypeError",
    "UnboundLocalError", "ValueError", "ZeroDivisionError", "UnicodeError",
)

_SM_EXCEPTIONS = (
    errors.MigrationError, errors.MigrationTimeout, errors.RouteUnreachable, errors.TagError, errors.TagAccessError,
    errors.TagNotFound, errors.TagTimeout, errors.TagQuotaError, errors.TagExists,
    errors.SpatialError, errors.SpatialTimeout, errors.OutOfSpace,
)

#: Exception classes SM code can name, raise, catch and carry across a
#: migration (by name). Nothing outside this table is visible to guests.
GUEST_EXCEPTIONS: dict[str, type[BaseException]] = {
    **{name: getattr(builtins, name) for name in _BUILTIN_EXCEPTION_NAMES},
    **{cls.__name__: cls for cls in _SM_EXCEPTIONS},
}


#: About 4,000 decimal digits: within Python's int-to-text limit.
_MAX_JSON_INT_BITS = 13_000


def jsonable(value: object) -> object:
    """A JSON-safe view of an SM value: tuples become lists, sets sorted lists,
    non-string keys and what JSON cannot express their repr or JSON text."""
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        # JSON text of an int past Python's digit limit cannot be made
        return value if value.bit_length() <= _MAX_JSON_INT_BITS else long_int_placeholder(value)
    if type(value) is float:
        return value if math.isfinite(value) else repr(value)
    if type(value) in (list, tuple):
        return [jsonable(v) for v in value]  # type: ignore[union-attr]
    if type(value) in (set, frozenset):
        return sorted((jsonable(v) for v in value), key=repr)  # type: ignore[union-attr]
    if type(value) is dict:
        return {(k if type(k) is str else json.dumps(jsonable(k))): jsonable(v)
                for k, v in value.items()}  # type: ignore[union-attr]
    return safe_repr(value)
