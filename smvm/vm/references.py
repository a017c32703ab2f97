"""What travels by name: the references of one SM's objects, both ways.

Functions a brick defines at module level, its classes and methods, the
builtins, primitives and standard-module objects every SM shares travel as
reference strings (``statecodec`` ext 7); nested functions travel as their
code's reference plus their cells. ``function_refs`` maps objects to those
strings for encoding; ``Table`` maps strings back, on demand, for decoding.
"""
from __future__ import annotations

import types
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..compiler import abi
from ..guest_builtins import STATIC_REFS, STATIC_TABLE
from ..primitives import PRIMITIVES

if TYPE_CHECKING:
    from .instance import SMInstance


def module_functions(sm: SMInstance) -> dict[str, types.FunctionType]:
    """fid -> function, of the functions the brick's module defines (not
    methods; what their defaults travel with)."""
    fid_of_code = sm.brick.fid_of_code
    return {fid_of_code[id(v.__code__)]: v for _, v in sm.module_items()
            if type(v) is types.FunctionType and id(v.__code__) in fid_of_code
            and not v.__closure__ and "<locals>" not in v.__qualname__}


def function_map(sm: SMInstance) -> dict[str, types.FunctionType]:
    """fid -> this SM's module-level function (they travel by name)."""
    cached = sm.__dict__.get("_fn_cache")
    if cached is not None:
        return cached
    fid_of_code = sm.brick.fid_of_code
    fns = {}
    for _, value in sm.module_items():
        # Module-level defs travel by name; closures kept in globals travel
        # as code plus cells, like any other nested function.
        if type(value) is types.FunctionType and id(value.__code__) in fid_of_code \
                and not value.__closure__ and "<locals>" not in value.__qualname__:
            fns[fid_of_code[id(value.__code__)]] = value
    for code_id, method in sm.classes.methods().items():
        fid = fid_of_code.get(code_id)
        if fid is not None:
            fns[fid] = method  # methods travel by name too (also those using super())
    if "_loaded" in sm.ns:  # module functions are all defined by now
        sm._fn_cache = fns
    return fns


def function_refs(sm: SMInstance) -> Mapping[int, str]:
    """id(object) -> reference, for everything that travels by name
    (code objects too: nested functions travel as code plus cells)."""
    refs = sm.__dict__.get("_refs_cache")
    if refs is None:
        refs = _Refs(sm)
        if "_loaded" in sm.ns:  # its module's functions are all defined by now
            sm._refs_cache = refs
    return refs


class _Refs(dict):
    """id -> reference: this SM's own objects, then the objects shared by
    every SM (not copied), then the brick's code objects (``code:`` refs).

    The SM's functions, classes and namedtuples are listed only when the
    encoder first meets an object that is none of the shared ones: most
    states name only primitives and builtins (a hop's ``sys_migrate``), and
    those objects are the SM's own, never shared, so the order in which
    they are looked up changes no reference. Its ``random`` module's
    members are listed at once, before the shared objects, as always."""

    __slots__ = ("codes", "sm")

    def __init__(self, sm: SMInstance):
        super().__init__(sm.ns[abi.MODULES].refs())
        self.codes = sm.brick.fid_of_code
        self.sm = sm  # until its own objects are listed

    def _list_own(self) -> None:
        sm, self.sm = self.sm, None
        own = {id(fn): "fn:" + fid for fid, fn in function_map(sm).items()}
        own.update((id(cls), ref) for cls, ref in sm.classes.classes.items())
        own.update((id(cls), "nt:" + name) for name, cls in sm.runtime.namedtuples.items())
        own.update(self)  # the random module's members
        self.update(own)

    def get(self, key, default=None):
        value = dict.get(self, key)
        if value is not None:
            return value
        value = _SHARED_REFS.get(key)
        if value is not None:
            return value
        if self.sm is not None:
            self._list_own()
            value = dict.get(self, key)
            if value is not None:
                return value
        fid = self.codes.get(key)
        return "code:" + fid if fid is not None else default


#: What every SM shares, both ways: the builtins, the standard modules'
#: objects and the primitives.
_SHARED_REFS: dict[int, str] = {**STATIC_REFS, **{id(fn): "prim:" + name
                                                  for name, fn in PRIMITIVES.items()}}
_SHARED_TABLE: dict[str, object] = {**STATIC_TABLE, **{"prim:" + name: fn
                                                       for name, fn in PRIMITIVES.items()}}


def _stand_in() -> None:
    """What a module function's reference decodes to while an arriving SM is
    only checked (its module has not run, so the function does not exist
    yet): a function, as what holds it may require, one per reference, put
    right once the module has run (``migration.settle``)."""


#: References to what makes dict views (``Brick.makes_views``).
_VIEW_MAKERS = frozenset({"builtin:getattr", "method:dict.keys", "method:dict.items",
                          "operator:methodcaller", "operator:attrgetter"})


class Table:
    """reference -> object for one SM, resolved on demand: building the whole
    table for every SM that arrives costs more than the few lookups its state
    needs."""

    __slots__ = ("sm", "deferred", "stopped", "stand_ins")

    def __init__(self, sm: "SMInstance"):
        self.sm = sm
        #: a module function was named before the module ran (the SM is only
        #: being checked): a stand-in was used (``Deferred``), put right later
        self.deferred = False
        self.stopped = False  # a class was named before the module ran
        #: id(stand-in) -> (the function id it stands for, the stand-in)
        self.stand_ins: dict[int, tuple[str, types.FunctionType]] = {}

    @property
    def makes_views(self) -> bool:
        """May the state hold dict views (``Brick.makes_views``)?"""
        return self.sm.brick.makes_views

    def get(self, ref: str, default=None):
        kind, _, name = ref.partition(":")
        sm = self.sm
        if ref in _VIEW_MAKERS and not sm.brick.makes_views:
            return default  # the brick makes no dict view: its state names nothing that does
        if kind in ("fn", "code") and name in sm.brick.tick_free:
            return default  # never a value in the brick's code (``Brick.tick_free``)
        if kind == "fn":
            if "_loaded" not in sm.ns:
                info = sm.brick.functions.get(name)
                if info is None or "<locals>" in info.code.co_qualname:
                    return default
                self.deferred = True
                stand_in = types.FunctionType(_stand_in.__code__, _stand_in.__globals__)
                self.stand_ins[id(stand_in)] = (name, stand_in)
                return stand_in
            return function_map(sm).get(name, default)
        if kind == "class":
            if "_loaded" not in sm.ns:
                # the module defines it: the decode stops here, and only the
                # state's shape is checked until the module has run
                self.deferred = self.stopped = True
                return default
            return sm.classes.by_ref.get(ref, default)
        if kind == "code":
            info = sm.brick.functions.get(name)
            return (info.code, sm.ns) if info is not None else default
        if kind == "random":
            return sm.ns[abi.MODULES].member(name, default)
        if kind == "nt":
            if "_loaded" not in sm.ns:
                self.deferred = self.stopped = True
                return default
            return sm.runtime.namedtuples.get(name, default)
        return _SHARED_TABLE.get(ref, default)

    def __getitem__(self, ref: str):
        value = self.get(ref)
        if value is None:
            raise KeyError(ref)
        return value

    def __contains__(self, ref: object) -> bool:
        return type(ref) is str and self.get(ref) is not None
