"""``bisect``, ``heapq``, ``json``, ``string``, ``statistics`` and ``copy``
for SM code: the host's implementations, charged for the work they do in
host code and kept to plain data (``json`` takes no hooks, ``copy`` copies
what the SM could build)."""
from __future__ import annotations

import bisect as _bisect
import copy as _copy
import heapq as _heapq
import json as _json
import statistics as _statistics
import string as _string

from ._guard import Metered, bounded, charge, charge_items
from ..compiler.stdlib_members import BISECT, JSON, STATISTICS, STRING

#: Deepest nesting of ``[``/``{`` ``json.loads`` accepts (its C parser
#: recurses once per level).
MAX_JSON_DEPTH = 200


def build_bisect() -> dict:
    return {name: getattr(_bisect, name) for name in BISECT}


def _heapify(heap):
    charge_items(len(heap))
    _heapq.heapify(heap)


def _n_best(fn):
    def best(n, iterable, key=None):
        return fn(n, bounded(iterable), key=key)
    best.__name__ = best.__qualname__ = fn.__name__
    return best


def _merge(*iterables, key=None, reverse=False):
    return Metered(_heapq.merge(*iterables, key=key, reverse=reverse))


def build_heapq() -> dict:
    return {"heappush": _heapq.heappush, "heappop": _heapq.heappop, "heapify": _heapify,
            "heappushpop": _heapq.heappushpop, "heapreplace": _heapq.heapreplace,
            "nlargest": _n_best(_heapq.nlargest), "nsmallest": _n_best(_heapq.nsmallest),
            "merge": _merge}


# ---- json ---------------------------------------------------------------------

_DUMPS_OPTIONS = frozenset({"skipkeys", "ensure_ascii", "check_circular", "allow_nan",
                            "indent", "separators", "sort_keys"})


def _dumps(obj, **options):
    extra = set(options) - _DUMPS_OPTIONS
    if extra:
        raise TypeError(f"json.dumps({', '.join(sorted(extra))}=...) is not available in SM code")
    indent = options.get("indent")
    if type(indent) is str and len(indent) > 64 or type(indent) is int and indent > 64:
        raise ValueError("json indent too large for an SM")
    text = _json.dumps(obj, **options)
    charge_items(len(text))
    return text


def _json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _loads(s, **options):
    if options:
        raise TypeError("json.loads takes no options in SM code (no hooks)")
    if type(s) in (bytes, bytearray):
        s = bytes(s).decode("utf-8")
    if type(s) is not str:
        raise TypeError(f"the JSON object must be str or bytes, not {type(s).__name__}")
    charge_items(len(s))
    if s.count("[") + s.count("{") > MAX_JSON_DEPTH:
        charge(len(s) // 4)
        if _json_depth(s) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep "
                             "is not accepted in SM code")
    return _json.loads(s)


def build_json() -> dict:
    members = {"dumps": _dumps, "loads": _loads, "JSONDecodeError": ValueError}
    assert set(members) == JSON
    return members


# ---- string, statistics, copy -----------------------------------------------------

def build_string() -> dict:
    return {name: getattr(_string, name) for name in STRING}


def _statistic(fn):
    def statistic(data, *args, **kwargs):
        data = list(bounded(data))
        charge(len(data))  # host Python code walks it, item by item
        return fn(data, *args, **kwargs)
    statistic.__name__ = statistic.__qualname__ = fn.__name__
    return statistic


def build_statistics() -> dict:
    return {name: _statistic(getattr(_statistics, name)) for name in STATISTICS}


def _copy_copy(x):
    if hasattr(type(x), "__len__") and type(x) in (list, dict, set, bytearray):
        charge_items(len(x))
    return _copy.copy(x)


def _deepcopy(x):
    memo: dict = {}
    result = _copy.deepcopy(x, memo)
    charge(len(memo))  # one entry per object copied (mutable ones and more)
    return result


def build_copy() -> dict:
    return {"copy": _copy_copy, "deepcopy": _deepcopy}
