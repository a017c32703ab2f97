"""The I/O tags of a tag space: names served by providers (sensors,
actuators, node facts) instead of stored values (part of ``TagSpace``)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ._domains import READ, WRITE, Access, Protected, allowed
from ._errors import (AccessDenied, BadTagArgument, IOTagUnavailable, QuotaExceeded,
                      ReadOnlyTag, TagMissing, TagUsageError)
from ._events import Event, IOTagUpdated, TagWritten, Woken
from ._principal import Principal, code_set
from ._tag import Tag
from ._values import ValueTooLarge, check_name, lookup_name, measure_copy
from ._waiters import WaitQueue

#: Largest value an I/O provider may return (estimated bytes).
IO_VALUE_LIMIT = 1 << 20


class IOEntry(Protected):
    __slots__ = ("name", "provider", "writable")

    def __init__(self, name: str, provider: object, writable: bool, owner: Principal,
                 access: Access, code: frozenset[str]):
        super().__init__(owner, access, code)
        self.name = name
        self.provider = provider
        self.writable = writable


class IOTags:
    """Registration of I/O tags, and reads and writes through their providers."""

    node_id: str
    node_principal: Principal
    _tags: dict[str, Tag]
    _io: dict[str, IOEntry]
    _waits: WaitQueue
    _waiting: dict
    _observers: list[Callable[[Event], None]]
    _emit: Callable[[Event], None]
    _emit_all: Callable[[Iterable[Event]], None]
    _denied: Callable[..., AccessDenied]

    def register_io(self, name: str, provider: object,
                    access: Access | Mapping[str, str] | None = None,
                    code: Iterable[str] | None = None, *, replace: bool = False) -> None:
        """Make ``name`` an I/O tag served by ``provider``.

        Default access: everyone ("others") may read, and write too when the
        provider is writable. The owner domain is ``node_principal``, so
        "origin" means SMs whose family started on this node. Names may start
        with "_" (reserved for the node).
        """
        check_name(name, reserved_ok=True)
        if not callable(getattr(provider, "read", None)):
            raise TagUsageError(f"I/O provider for {name!r} has no read(now) method")
        writable = bool(getattr(provider, "writable", False)) and callable(
            getattr(provider, "write", None))
        if name in self._io and not replace:
            raise TagUsageError(f"I/O tag {name!r} is already registered")
        if name in self._tags:
            raise TagUsageError(f"cannot register I/O tag {name!r}: a stored tag has that name")
        if access is None:
            acc = Access(owner="", others="rw" if writable else "r")
        else:
            acc = Access.from_spec(access)
            if not writable and any(b & WRITE for b in acc.bits()):
                raise TagUsageError(f"I/O tag {name!r}: provider accepts no writes, "
                                    f"so access cannot grant 'w'")
        codes = frozenset() if code is None else code_set(code)
        self._io[name] = IOEntry(name, provider, writable, self.node_principal, acc, codes)

    def unregister_io(self, name: str) -> bool:
        """Remove an I/O tag; True if it was registered."""
        return self._io.pop(name, None) is not None

    def provider(self, name: str) -> object:
        """The provider serving I/O tag ``name``."""
        try:
            return self._io[name].provider
        except KeyError:
            raise TagUsageError(f"no I/O tag {name!r}") from None

    def io_names(self) -> list[str]:
        return sorted(self._io)

    def set_io(self, name: str, value: object, now: float) -> tuple[Woken, ...]:
        """Host side: set a ``StaticValue`` I/O tag (e.g. ``neighbors``) and wake its waiters."""
        provider = self.provider(name)
        setter = getattr(provider, "set", None)
        if not callable(setter):
            raise TagUsageError(f"I/O provider of {name!r} has no set(value) method")
        setter(value)
        return self.io_updated(name, now)

    def io_updated(self, name: str, now: float) -> tuple[Woken, ...]:
        """Host side: a driver has a new value for ``name``; wake its waiters."""
        if name not in self._io:
            raise TagUsageError(f"no I/O tag {name!r}")
        woken = self._waits.wake(name, now, "io") if name in self._waiting else ()
        if self._observers:
            self._emit(IOTagUpdated(name, now))
            self._emit_all(woken)
        return woken

    def _read_io(self, principal: Principal, name: str, now: float) -> object:
        entry = self._io.get(name)
        if entry is None:
            lookup_name(name)
            raise TagMissing(f"no tag {name!r}", name=name)
        if not allowed(entry, principal, READ):
            raise self._denied(entry, principal, "read", name)
        read_for = getattr(entry.provider, "read_for", None)
        try:
            if read_for is not None:  # a per-SM view (e.g. an SM's own provenance)
                value = read_for(principal, now)
            else:
                value = entry.provider.read(now)  # type: ignore[attr-defined]
        except IOTagUnavailable as e:
            raise IOTagUnavailable(f"I/O tag {name!r} has no value: {e}", name=name) from None
        try:
            return measure_copy(value, IO_VALUE_LIMIT)[0]
        except (BadTagArgument, ValueTooLarge) as e:
            raise TagUsageError(
                f"I/O provider of {name!r} returned a value that is not plain data "
                f"under {IO_VALUE_LIMIT} bytes: {e}") from None

    def _write_io(self, principal: Principal, name: str, value: object,
                  now: float) -> tuple[Woken, ...]:
        entry = self._io.get(name)
        if entry is None:
            lookup_name(name)
            raise TagMissing(f"no tag {name!r}", name=name)
        if not entry.writable:
            raise ReadOnlyTag(
                f"write of tag {name!r} denied: it is a read-only I/O tag of node "
                f"{self.node_id!r} ({type(entry.provider).__name__} accepts no writes)",
                name=name, operation="write", sm_id=principal.sm_id, domains=("io",))
        if not allowed(entry, principal, WRITE):
            raise self._denied(entry, principal, "write", name)
        try:
            stored, _ = measure_copy(value, IO_VALUE_LIMIT)
        except ValueTooLarge as e:
            raise QuotaExceeded(f"value for I/O tag {name!r} is larger than {IO_VALUE_LIMIT} bytes",
                                name=name, limit_name="io", limit=IO_VALUE_LIMIT,
                                needed=e.at_least) from None
        entry.provider.write(stored, now)  # type: ignore[attr-defined]
        woken = self._waits.wake(name, now, "written") if name in self._waiting else ()
        if self._observers:
            self._emit(TagWritten(name, principal.sm_id, now, io=True))
            self._emit_all(woken)
        return woken
