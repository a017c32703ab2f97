"""Field checks shared by frame constructors (local misuse) and the decoder.

Each helper returns the normalised value or raises ``WireUsageError``; the
decoder turns that into ``WireError`` since there the bad value came from the
network.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from .constants import BRICK_ID_LEN, IDENTITY_KEYS, MAX_ID_LEN
from .errors import WireUsageError

_UINT64_MAX = (1 << 64) - 1
_HEX = frozenset("0123456789abcdef")
_SCALAR_TYPES = (type(None), bool, int, float, str)


def fail(message: str) -> WireUsageError:
    return WireUsageError(message)


def text(name: str, value: object, *, max_len: int | None = None, empty: bool = True) -> str:
    if type(value) is not str:
        raise fail(f"{name} must be str, got {type(value).__name__}")
    if not empty and not value:
        raise fail(f"{name} must not be empty")
    if max_len is not None and len(value) > max_len:
        raise fail(f"{name} is longer than {max_len} characters")
    return value


def ident(name: str, value: object) -> str:
    """A node id, SM id, family or tag name: non-empty, at most MAX_ID_LEN."""
    return text(name, value, max_len=MAX_ID_LEN, empty=False)


def uint(name: str, value: object) -> int:
    if type(value) is not int:
        raise fail(f"{name} must be int, got {type(value).__name__}")
    if not 0 <= value <= _UINT64_MAX:
        raise fail(f"{name} must be in 0..2**64-1, got {value}")
    return value


def flag(name: str, value: object) -> bool:
    if type(value) is not bool:
        raise fail(f"{name} must be bool, got {type(value).__name__}")
    return value


def blob(name: str, value: object, *, size: int | None = None,
         min_len: int = 0, max_len: int | None = None) -> bytes:
    if type(value) is not bytes:
        if not isinstance(value, (bytearray, memoryview)):
            raise fail(f"{name} must be bytes, got {type(value).__name__}")
        value = bytes(value)
    if size is not None and len(value) != size:
        raise fail(f"{name} must be {size} bytes, got {len(value)}")
    if len(value) < min_len:
        raise fail(f"{name} must be at least {min_len} bytes")
    if max_len is not None and len(value) > max_len:
        raise fail(f"{name} must be at most {max_len} bytes, got {len(value)}")
    return value


def sequence(name: str, value: object) -> tuple:
    if type(value) is tuple:
        return value
    if type(value) is list:
        return tuple(value)
    raise fail(f"{name} must be a tuple, got {type(value).__name__}")


def brick_id(name: str, value: object) -> str:
    if type(value) is not str:
        raise fail(f"{name} must be a str (SHA-256 hex), got {type(value).__name__}")
    if len(value) != BRICK_ID_LEN or not _HEX.issuperset(value):
        raise fail(f"{name} must be {BRICK_ID_LEN} lowercase hex characters, got {value[:80]!r}")
    return value


def brick_ids(name: str, value: object) -> tuple[str, ...]:
    ids = sequence(name, value)
    for i, item in enumerate(ids):
        brick_id(f"{name}[{i}]", item)
    unique(name, ids)
    return ids


def unique(name: str, items: Iterable[object]) -> None:
    items = list(items)
    if len(set(items)) != len(items):
        raise fail(f"{name} holds the same brick id twice")


def position(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    pair = sequence("position", value)
    if len(pair) != 2:
        raise fail(f"position must be a pair, got {len(pair)} items")
    out = []
    for axis in pair:
        if type(axis) not in (float, int):
            raise fail(f"position must hold numbers, got {type(axis).__name__}")
        axis = float(axis)
        if not math.isfinite(axis):
            raise fail("position must be finite")
        out.append(axis)
    return (out[0], out[1])


def identity(value: object) -> dict[str, str]:
    if type(value) is not dict:
        raise fail(f"identity must be a dict, got {type(value).__name__}")
    if set(value) != set(IDENTITY_KEYS) or len(value) != len(IDENTITY_KEYS):
        raise fail(f"identity must have exactly the keys {', '.join(IDENTITY_KEYS)}")
    return {key: ident(f"identity[{key!r}]", value[key]) for key in IDENTITY_KEYS}


def code(value: object) -> tuple[tuple[str, str], ...]:
    pairs = sequence("code", value)
    out = []
    for i, pair in enumerate(pairs):
        pair = sequence(f"code[{i}]", pair)
        if len(pair) != 2:
            raise fail(f"code[{i}] must be a (brick id, source) pair")
        out.append((brick_id(f"code[{i}][0]", pair[0]), text(f"code[{i}][1]", pair[1])))
    unique("code", (bid for bid, _ in out))
    return tuple(out)


def error_record(value: object) -> dict | None:
    """An error record: str keys, scalar values (None, bool, int, float, str)."""
    if value is None:
        return None
    if type(value) is not dict:
        raise fail(f"error must be a dict or None, got {type(value).__name__}")
    for key, item in value.items():
        if type(key) is not str:
            raise fail(f"error keys must be str, got {type(key).__name__}")
        if type(item) not in _SCALAR_TYPES:
            raise fail(f"error[{key[:40]!r}] must be None, bool, int, float or str, "
                       f"got {type(item).__name__}")
        if type(item) is int and not -(1 << 63) <= item <= _UINT64_MAX:
            raise fail(f"error[{key[:40]!r}] does not fit 64 bits")
    return dict(value)


def outcome(ok: object, error: object) -> tuple[bool, dict | None]:
    ok = flag("ok", ok)
    error = error_record(error)
    if ok and error is not None:
        raise fail("a successful outcome carries no error record")
    if not ok and error is None:
        raise fail("a failed outcome needs an error record")
    return ok, error
