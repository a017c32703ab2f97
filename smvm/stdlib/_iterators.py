"""``itertools``, ``functools`` and ``operator`` for SM code: the host's C
implementations behind guards. Inputs an iterator copies whole (the pools
of ``product``, ``permutations``...) are charged first; iterators of
iterators are refused past the nesting depth C code can walk safely;
``attrgetter``/``methodcaller`` only reach names SM code could reach."""
from __future__ import annotations

import functools as _ft
import itertools as _it
import operator as _op

from . import _cache
from .. import setmembers
from ._guard import bounded, charge, checked_name, nested
from ..compiler.stdlib_members import FUNCTOOLS, ITERTOOLS, OPERATOR

#: Iterators that copy their inputs into tuples when made.
_POOLED = ("combinations", "combinations_with_replacement", "permutations")
#: Iterator types of this module that travel with the SM (by the constructor
#: call and state their ``__reduce__`` gives).
TRAVELLING = {getattr(_it, name): name for name in ITERTOOLS - {"pairwise", "groupby"}}


def _product(*iterables, repeat=1):
    pools = [tuple(bounded(p)) for p in iterables]
    if type(repeat) is int and repeat > 1:
        charge(sum(map(len, pools)) * repeat // 16)
    return nested(_kw(_it.product, repeat=repeat), *pools)


def _kw(maker, **kwargs):
    return lambda *args: maker(*args, **kwargs)


def _pooled(name):
    maker = getattr(_it, name)

    def pooled(iterable, *rest):
        return nested(maker, tuple(bounded(iterable)), *rest)
    pooled.__name__ = pooled.__qualname__ = name
    return pooled


def _islice(iterable, *args):
    # islice skips its start in C before the first item: charge for it
    start = args[0] if len(args) > 1 else 0
    if type(start) is int and start > 0:
        charge(start // 16)
    return nested(_it.islice, iterable, *args)


def _cycle(iterable):
    return nested(_it.cycle, iterable)


def _plain(name):
    maker = getattr(_it, name)

    def made(*args, **kwargs):
        return nested(_kw(maker, **kwargs), *args) if kwargs else nested(maker, *args)
    made.__name__ = made.__qualname__ = name
    return made


def build_itertools() -> dict:
    members = {name: _plain(name) for name in ITERTOOLS}
    members.update({name: _pooled(name) for name in _POOLED})
    members.update(product=_product, islice=_islice, cycle=_cycle,
                   count=_it.count, repeat=_it.repeat)
    members["chain"].from_iterable = _from_iterable
    return members


def _from_iterable(iterable):
    """``chain.from_iterable``: the iterators it chains are only met while it
    runs (their depth unknown when it is made), so a Python frame walks them:
    nesting them deeply ends in RecursionError, never in a C stack overflow."""
    return _chain_lazily(iterable)


def _chain_lazily(iterable):
    for inner in iterable:
        yield from inner


# ---- functools ----------------------------------------------------------------

def _reduce(function, iterable, *initial):
    return _ft.reduce(function, bounded(iterable), *initial)


def build_functools() -> dict:
    members = {"reduce": _reduce, "partial": _ft.partial, "cmp_to_key": _ft.cmp_to_key,
               "lru_cache": _cache.lru_cache, "cache": _cache.cache}
    assert set(members) == FUNCTOOLS
    return members


# ---- operator -------------------------------------------------------------------

def _attrgetter(attr, *attrs):
    for name in (attr, *attrs):
        _not_growing(checked_name(name))
    return _op.attrgetter(attr, *attrs)


def _methodcaller(name, /, *args, **kwargs):
    return _op.methodcaller(_not_growing(checked_name(name)), *args, **kwargs)


def _not_growing(name: str) -> str:
    # they would hand out or call a set's method unchecked (smvm.setmembers)
    if name.rpartition(".")[2] in setmembers.GROWING:
        raise TypeError(f"{name!r} is not available through operator in SM code: "
                        "call the method itself")
    return name


def _set_operator(name: str):
    real = getattr(_op, name)

    def operate(a, b, /):
        return setmembers.operate(a, b, name)
    operate.__name__ = operate.__qualname__ = real.__name__
    return operate


def _pow(a, b):
    from ..vm.runtime import RUNNING
    rt = RUNNING.rt
    return _op.pow(a, b) if rt is None else rt.power(a, b)


def _scan(fn):
    def scanning(a, b):
        from ..vm.runtime import RUNNING
        rt = RUNNING.rt
        if rt is not None:
            rt._charge_scan(a, b)
        return fn(a, b)
    scanning.__name__ = scanning.__qualname__ = fn.__name__
    return scanning


def build_operator() -> dict:
    members = {name: getattr(_op, name) for name in OPERATOR}
    members.update(attrgetter=_attrgetter, methodcaller=_methodcaller, pow=_pow, ipow=_pow,
                   contains=_scan(_op.contains), countOf=_scan(_op.countOf),
                   indexOf=_scan(_op.indexOf))
    # the set operators build sets from dict views: checked
    members.update({name: _set_operator(name) for name in
                    ("or_", "and_", "xor", "sub", "ior", "iand", "ixor", "isub")})
    return members


# ---- travelling: an iterator as the constructor call and state its
# ``__reduce__`` gives, rebuilt through the same guarded constructors ----------

_BY_NAME = {name: t for t, name in TRAVELLING.items()}


def reduce(x: object) -> tuple[str, None, list]:
    reduced = x.__reduce__()  # type: ignore[attr-defined]
    state = reduced[2] if len(reduced) > 2 else None
    if reduced[0] is not type(x):
        raise TypeError(f"cannot carry a {type(x).__name__} iterator in this state")
    return TRAVELLING[type(x)], None, [list(reduced[1]), state]


class _Pending:
    __slots__ = ()


_PENDING = _Pending()


def new(kind: object, header: object) -> object:
    if kind not in _BY_NAME or header is not None:
        raise ValueError(f"unknown value kind {str(kind)[:40]!r}")
    return _PENDING


def fill(obj: object, kind: str, fields: object) -> object:
    if type(fields) is not list or len(fields) != 2 or type(fields[0]) is not list:
        raise ValueError(f"malformed {kind} iterator")
    made = nested(_BY_NAME[kind], *fields[0])
    if fields[1] is not None:
        made.__setstate__(fields[1])
    return made
