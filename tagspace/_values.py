"""Plain-data values: validation, defensive copies and the size estimate.

Tag values are plain data -- None, bool, int, float, str, bytes, and list,
tuple, dict and set of plain data (dict keys and set elements: hashable plain
data, i.e. scalars and tuples of them), nested at most ``MAX_DEPTH`` deep.
Values are copied in on create/write and out on read, so no SM can change a
stored tag except through ``write``.

Size estimate (deterministic, independent of the host's ``sys.getsizeof``):

===================  ==========================================
None, bool           8
float                16
int                  16, plus 8 per further 64 bits beyond 64
str                  16 + length of its UTF-8 encoding
bytes                16 + length
list, tuple          16 + 8 per element + the elements
set                  16 + 16 per element + the elements
dict                 16 + 16 per item + keys + values
===================  ==========================================

A stored tag costs ``TAG_OVERHEAD`` (64) + the size of its name (as a str) +
the size of its value.
"""
from __future__ import annotations

from ._errors import BadTagArgument

TAG_OVERHEAD = 64
MAX_DEPTH = 32
MAX_NAME_LENGTH = 256

_FIXED = {type(None): 8, bool: 8, float: 16}
#: Types whose values are immutable all the way down (no copy needed).
IMMUTABLE = frozenset((type(None), bool, int, float, str, bytes))


class ValueTooLarge(Exception):
    """Internal: the value exceeds the byte budget given to ``measure_copy``."""

    def __init__(self, at_least: int):
        super().__init__(at_least)
        self.at_least = at_least


def _int_size(v: int) -> int:
    n = v.bit_length()
    return 16 if n <= 64 else 8 + 8 * ((n + 63) // 64)


def _str_size(v: str) -> int:
    return 16 + (len(v) if v.isascii() else len(v.encode("utf-8", "surrogatepass")))


def _not_plain(v: object, where: str = "") -> BadTagArgument:
    return BadTagArgument(
        f"tag values must be plain data (None, bool, int, float, str, bytes, list, tuple, "
        f"dict, set){where}; got {type(v).__name__}")


class _Walker:
    """Copies a container value while charging its size against a budget.

    Container headers are charged before their elements are visited, so the
    work done is bounded by the budget (every element visited costs at least
    8 bytes of header) even for values built with heavy sharing.
    """

    __slots__ = ("budget", "used")

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0

    def _take(self, n: int) -> None:
        self.used += n
        if self.used > self.budget:
            raise ValueTooLarge(self.used)

    def copy(self, v: object, depth: int) -> object:
        t = type(v)
        fixed = _FIXED.get(t)
        if fixed is not None:
            self._take(fixed)
            return v
        if t is int:
            self._take(_int_size(v))  # type: ignore[arg-type]
            return v
        if t is str:
            self._take(_str_size(v))  # type: ignore[arg-type]
            return v
        if t is bytes:
            self._take(16 + len(v))  # type: ignore[arg-type]
            return v
        if depth >= MAX_DEPTH:
            raise BadTagArgument(f"tag value nested deeper than {MAX_DEPTH} levels")
        if t is list or t is tuple:
            self._take(16 + 8 * len(v))  # type: ignore[arg-type]
            items = []
            append = items.append
            for x in v:  # type: ignore[attr-defined]
                tx = type(x)
                if tx is int and x.bit_length() < 64 or tx is float:
                    self.used += 16
                    append(x)
                elif tx is str and x.isascii():
                    self.used += 16 + len(x)
                    append(x)
                else:
                    append(self.copy(x, depth + 1))
            if self.used > self.budget:
                raise ValueTooLarge(self.used)
            return items if t is list else tuple(items)
        if t is dict:
            self._take(16 + 16 * len(v))  # type: ignore[arg-type]
            out = {}
            for k, x in v.items():  # type: ignore[attr-defined]
                tk = type(k)
                if tk is str and k.isascii():
                    self.used += 16 + len(k)
                else:
                    k = self.key(k, depth + 1)
                tx = type(x)
                if tx is int and x.bit_length() < 64 or tx is float:
                    self.used += 16
                elif tx is str and x.isascii():
                    self.used += 16 + len(x)
                else:
                    x = self.copy(x, depth + 1)
                out[k] = x
            if self.used > self.budget:
                raise ValueTooLarge(self.used)
            return out
        if t is set:
            self._take(16 + 16 * len(v))  # type: ignore[arg-type]
            return {self.key(k, depth + 1) for k in v}  # type: ignore[attr-defined]
        raise _not_plain(v)

    def key(self, k: object, depth: int) -> object:
        t = type(k)
        if t in IMMUTABLE:
            return self.copy(k, depth)
        if t is tuple:
            if depth >= MAX_DEPTH:
                raise BadTagArgument(f"tag value nested deeper than {MAX_DEPTH} levels")
            self._take(16 + 8 * len(k))  # type: ignore[arg-type]
            return tuple([self.key(x, depth + 1) for x in k])  # type: ignore[attr-defined]
        raise _not_plain(k, " (dict keys and set elements: hashable scalars and tuples)")


def measure_copy(value: object, budget: int) -> tuple[object, int]:
    """Validate ``value`` as plain data; return ``(private copy, size)``.

    Raises ``BadTagArgument`` for non-plain data and ``ValueTooLarge`` as soon
    as the size passes ``budget`` (so the work is bounded by the budget even
    for values built with heavy sharing).
    """
    t = type(value)
    size = _FIXED.get(t)
    if size is None:
        if t is int:
            size = _int_size(value)  # type: ignore[arg-type]
        elif t is str:
            size = _str_size(value)  # type: ignore[arg-type]
        elif t is bytes:
            size = 16 + len(value)  # type: ignore[arg-type]
        elif (t is list or t is tuple) and 16 + 8 * len(value) <= budget:  # type: ignore[arg-type]
            # flat sequences of numbers and ASCII strings: no walker needed
            size = 16 + 8 * len(value)  # type: ignore[arg-type]
            for x in value:  # type: ignore[attr-defined]
                tx = type(x)
                if tx is int and x.bit_length() < 64 or tx is float:
                    size += 16
                elif tx is str and x.isascii():
                    size += 16 + len(x)
                else:
                    break
            else:
                if size > budget:
                    raise ValueTooLarge(size)
                return (list(value) if t is list else value), size  # type: ignore[call-overload]
            walker = _Walker(budget)
            return walker.copy(value, 0), walker.used
        else:
            walker = _Walker(budget)
            copy = walker.copy(value, 0)
            return copy, walker.used
    if size > budget:
        raise ValueTooLarge(size)
    return value, size


def estimate_size(value: object) -> int:
    """The deterministic size estimate of a plain-data value, in bytes."""
    return measure_copy(value, 1 << 62)[1]


def copy_out(v: object) -> object:
    """Deep copy of a stored (already validated) value for a reader."""
    t = type(v)
    if t is list:
        return [copy_out(x) for x in v]  # type: ignore[attr-defined]
    if t is dict:
        return {k: copy_out(x) for k, x in v.items()}  # type: ignore[attr-defined]
    if t is tuple:
        return tuple([copy_out(x) for x in v])  # type: ignore[attr-defined]
    if t is set:
        return set(v)  # type: ignore[arg-type]
    return v


def lookup_name(name: object) -> None:
    """Names used to look a tag up only need to be str (a missing name is just missing)."""
    if type(name) is not str:
        raise BadTagArgument(f"tag names are str, got {type(name).__name__}")


def check_name(name: object, *, reserved_ok: bool = False) -> str:
    """Validate a tag name and return it.

    A name is a non-empty printable str of at most ``MAX_NAME_LENGTH``
    characters. Names starting with "_" are reserved for I/O tags the node
    registers (``reserved_ok``); SMs cannot create them.
    """
    if type(name) is not str:
        raise BadTagArgument(f"tag names are str, got {type(name).__name__}")
    if not name:
        raise BadTagArgument("tag names must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BadTagArgument(f"tag name longer than {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise BadTagArgument(f"tag name {name!r} contains non-printable characters")
    if name[0] == "_" and not reserved_ok:
        raise BadTagArgument(
            f"tag name {name!r}: names starting with '_' are reserved for the node")
    return name


def name_size(name: str) -> int:
    """Size estimate of a tag name (as a str value)."""
    return _str_size(name)
