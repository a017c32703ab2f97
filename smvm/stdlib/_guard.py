"""Fuel and size guards for the standard modules, charged to the SM that is
running (the VM sets ``RUNNING.rt`` whenever an SM's code runs)."""
from __future__ import annotations

from ..vm.guards import C_ITEMS_PER_FUEL
from ..vm.runtime import RUNNING


def charge(units: int) -> None:
    """Spend ``units`` of the running SM's fuel (work done in host code)."""
    rt = RUNNING.rt
    if rt is not None and units > 0:
        rt.charge(units)


def charge_items(n: int) -> None:
    """Charge for C code walking ``n`` items."""
    charge(n // C_ITEMS_PER_FUEL)


def bounded(iterable: object) -> object:
    """``iterable``, charged (or metered) for C code about to walk it."""
    rt = RUNNING.rt
    return iterable if rt is None else rt.bounded(iterable)


def nested(maker, *args):
    """An iterator of other iterators, refused when nested too deeply."""
    rt = RUNNING.rt
    return maker(*args) if rt is None else rt.nested_iterator(maker, *args)


class Metered:
    """A host generator handed to SM code, charged one unit per item (a
    host generator's frame ticks no fuel of its own)."""

    __slots__ = ("_it",)

    def __init__(self, iterator):
        self._it = iterator

    def __iter__(self):
        return self

    def __next__(self):
        charge(1)
        return next(self._it)


def checked_name(name: object) -> str:
    """An attribute name SM code may reach (also dotted, for attrgetter)."""
    from ..guestclasses import check_attribute_name
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    for part in name.split("."):
        check_attribute_name(part)
        if part.startswith("_"):  # SM code reaches those on its own objects only
            raise AttributeError(f"attribute {part!r} is not available here in SM code")
    return name


class HostType:
    """A host container type as SM code sees it: calling it charges for the
    iterable it consumes (argument ``at``); only whitelisted members of the
    real type are reachable, and no raw type object."""

    __slots__ = ("_real", "_at", "_name")

    def __init__(self, real: type, at: int = 0, name: str | None = None):
        self._real, self._at, self._name = real, at, name or real.__name__

    def __getattr__(self, name: str):
        from ..compiler.policy import ALLOWED_ATTRIBUTES, CALL_ONLY_ATTRIBUTES
        if name.startswith("_") or name not in ALLOWED_ATTRIBUTES or name in CALL_ONLY_ATTRIBUTES:
            raise AttributeError(name)
        value = getattr(self._real, name)
        if type(value) is type:
            raise AttributeError(name)
        return value

    def __call__(self, *args, **kwargs):
        at = self._at
        if len(args) > at:
            args = (*args[:at], bounded(args[at]), *args[at + 1:])
        return self._real(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<class '{self._name}'>"


class AbstractType(HostType):
    """An abstract class of ``collections.abc`` as SM code sees it: good for
    ``isinstance`` only (which reads a class's methods, never runs them);
    calling it is CPython's error and no member of it is reachable."""

    __slots__ = ()

    def __getattr__(self, name: str):
        raise AttributeError(name)

    def __call__(self, *args, **kwargs):
        missing = sorted(self._real.__abstractmethods__)
        if not missing:  # the views: made by dict methods, not by SM code
            raise TypeError(f"{self._name} is for isinstance() only in SM code")
        raise TypeError(f"Can't instantiate abstract class {self._name} with abstract "
                        f"method{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
