"""Runtime value types that SM state may hold besides plain data."""
from __future__ import annotations

import builtins

from . import errors


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
    errors.MigrationError, errors.TagError, errors.TagAccessError,
    errors.TagNotFound, errors.TagTimeout, errors.TagQuotaError, errors.TagExists,
)

#: Exception classes SM code can name, raise, catch and carry across a
#: migration (by name). Nothing outside this table is visible to guests.
GUEST_EXCEPTIONS: dict[str, type[BaseException]] = {
    **{name: getattr(builtins, name) for name in _BUILTIN_EXCEPTION_NAMES},
    **{cls.__name__: cls for cls in _SM_EXCEPTIONS},
}
