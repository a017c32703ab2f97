"""The tag space of one node: stored tags, I/O tags, quotas, lifetimes, waits.

Sans-I/O: every operation takes the current time ``now`` (seconds, real or
virtual) and nothing here reads a clock or sleeps. The node core calls
``expire`` and ``timeouts`` when ``next_expiry``/``next_deadline`` come due.
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping

from ._domains import (DEFAULT_ACCESS, READ, WRITE, Access, Protected, allowed,
                       describe_denial)
from ._errors import (AccessDenied, BadTagArgument, IOTagUnavailable, QuotaExceeded,
                      ReadOnlyTag, TagExists, TagMissing, TagUsageError)
from ._events import (Event, IOTagUpdated, TagCreated, TagDeleted, TagExpired, TagWritten,
                      TimedOut, Woken)
from ._iotags import Clock, NodeStatus, StaticValue, Unavailable
from ._principal import Principal, code_set
from ._tag import Tag, TagInfo
from ._values import (IMMUTABLE, MAX_NAME_LENGTH, TAG_OVERHEAD, ValueTooLarge, check_name,
                      copy_out, measure_copy, name_size)
from ._waiters import WaitQueue

_NO_LIMIT = 1 << 62
#: Largest value an I/O provider may return (estimated bytes).
IO_VALUE_LIMIT = 1 << 20

Observer = Callable[[Event], None]


def _lookup_name(name: object) -> None:
    """Names used to look a tag up only need to be str (a missing name is just missing)."""
    if type(name) is not str:
        raise BadTagArgument(f"tag names are str, got {type(name).__name__}")


class _IOEntry(Protected):
    __slots__ = ("name", "provider", "writable")

    def __init__(self, name: str, provider: object, writable: bool, owner: Principal,
                 access: Access, code: frozenset[str]):
        super().__init__(owner, access, code)
        self.name = name
        self.provider = provider
        self.writable = writable


class TagSpace:
    """Named, protected, expiring memory of one node, plus its I/O tags.

    Rules (see also ``tagspace`` package docs):

    * ``create`` of a name held by a live tag or an I/O tag raises
      ``TagExists``; it never overwrites (use ``write``). An expired tag's name
      is free again.
    * ``read`` needs "r", ``write`` and ``delete`` need "w" in the union of the
      requester's domains. ``exists`` needs no right: names are public, values
      are protected.
    * A successful ``write`` renews the tag by default (``renew=True``): its
      expiry becomes ``now + lifetime`` with the lifetime given at creation.
      ``renew=False`` keeps the expiry. Reads never renew.
    * A tag whose expiry has come (``now >= expires_at``) is gone for every
      operation at once, even before ``expire`` removes it.
    * Quotas: a tag is charged to its owner (also when someone else's write
      grows it) and to the node, by the size estimate of ``tagspace._values``.
    """

    def __init__(self, node_id: str, memory_limit_bytes: int | None = 1 << 20,
                 per_sm_limit_bytes: int | None = 64 << 10, *, standard_io: bool = True):
        for label, limit in (("memory_limit_bytes", memory_limit_bytes),
                             ("per_sm_limit_bytes", per_sm_limit_bytes)):
            if limit is not None and (type(limit) is not int or limit <= 0):
                raise TagUsageError(f"{label} must be a positive int or None, got {limit!r}")
        self.node_id = node_id
        #: The principal that owns the node's I/O tags (origin = this node).
        self.node_principal = Principal(f"node:{node_id}", f"node:{node_id}", node_id)
        self.memory_limit_bytes = memory_limit_bytes
        self.per_sm_limit_bytes = per_sm_limit_bytes
        limits = [x for x in (memory_limit_bytes, per_sm_limit_bytes) if x is not None]
        self._value_budget = min(limits) if limits else _NO_LIMIT
        self._tags: dict[str, Tag] = {}
        self._io: dict[str, _IOEntry] = {}
        self._used = 0
        self._used_by: dict[str, int] = {}
        self._expiry: list[tuple[float, int, Tag]] = []
        self._seq = itertools.count()
        self._waits = WaitQueue()
        self._waiting = self._waits.by_name  # names with waiters (shared, for a quick test)
        self._observers: list[Observer] = []
        self.status = NodeStatus(self)
        if standard_io:
            self.register_io("node_id", StaticValue(node_id))
            self.register_io("time", Clock())
            self.register_io("status", self.status)
            self.register_io("neighbors", StaticValue([]))
            self.register_io("location", Unavailable("no location source"))

    # --- accounting -----------------------------------------------------------

    @property
    def used_bytes(self) -> int:
        """Estimated bytes held by stored tags (expired ones until removed)."""
        return self._used

    @property
    def free_bytes(self) -> int | None:
        """Node tag memory left, or None without a node limit."""
        if self.memory_limit_bytes is None:
            return None
        return self.memory_limit_bytes - self._used

    @property
    def stored_count(self) -> int:
        return len(self._tags)

    def used_by(self, sm_id: str) -> int:
        """Estimated bytes of the tags owned by ``sm_id``."""
        return self._used_by.get(sm_id, 0)

    def _charge(self, owner_id: str, delta: int, name: str, now: float) -> None:
        """Account ``delta`` bytes to the owner and the node, or raise QuotaExceeded."""
        per_sm, node = self.per_sm_limit_bytes, self.memory_limit_bytes
        used_by = self._used_by
        if delta > 0 and ((per_sm is not None and used_by.get(owner_id, 0) + delta > per_sm)
                          or (node is not None and self._used + delta > node)):
            self.expire(now)  # expired tags may still hold memory
            sm_used = self._used_by.get(owner_id, 0)
            if per_sm is not None and sm_used + delta > per_sm:
                raise QuotaExceeded(
                    f"tag {name!r} needs {delta} more bytes but SM {owner_id!r} already holds "
                    f"{sm_used} of its per-SM limit of {per_sm} bytes",
                    name=name, limit_name="per_sm", limit=per_sm, used=sm_used, needed=delta)
            if node is not None and self._used + delta > node:
                raise QuotaExceeded(
                    f"tag {name!r} needs {delta} more bytes but node {self.node_id!r} already "
                    f"holds {self._used} of its tag memory limit of {node} bytes",
                    name=name, limit_name="node", limit=node, used=self._used, needed=delta)
        self._used += delta
        left = used_by.get(owner_id, 0) + delta
        if left:
            used_by[owner_id] = left
        else:
            del used_by[owner_id]

    def _too_large(self, name: str, at_least: int) -> QuotaExceeded:
        per_sm, node = self.per_sm_limit_bytes, self.memory_limit_bytes
        if per_sm is not None and (node is None or per_sm <= node):
            kind, limit = "per_sm", per_sm
        else:
            kind, limit = "node", node or 0
        label = "per-SM limit" if kind == "per_sm" else "node tag memory limit"
        return QuotaExceeded(f"value for tag {name!r} is larger than the {label} of {limit} bytes",
                             name=name, limit_name=kind, limit=limit, used=0, needed=at_least)

    # --- observers ------------------------------------------------------------

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer(event)`` for every event from now on."""
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        self._observers.remove(observer)

    def _emit(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)

    def _emit_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self._emit(event)

    # --- stored tags ------------------------------------------------------------

    def create(self, principal: Principal, name: str, value: object,
               lifetime: float | None = None, access: Access | Mapping[str, str] | None = None,
               code: Iterable[str] | None = None, *, now: float) -> tuple[Woken, ...]:
        """Create tag ``name`` owned by ``principal``; return the waits it ends.

        ``lifetime``: seconds from ``now`` (None: until deleted). ``access``:
        rights per domain (default owner "rw", others nothing). ``code``: brick
        hashes naming the code domain (default: the creator's bricks).
        """
        if type(name) is not str or not 0 < len(name) <= MAX_NAME_LENGTH or name[0] == "_" \
                or not name.isprintable():
            check_name(name)  # raises, saying what is wrong
        if name in self._io:
            raise TagExists(f"cannot create {name!r}: it is an I/O tag of node {self.node_id!r}",
                            name=name)
        old = self._tags.get(name)
        if old is not None:
            if old.expires_at is None or now < old.expires_at:
                raise TagExists(f"tag {name!r} already exists (owner {old.owner_id!r})", name=name)
            self._expire_one(old, now)
        if lifetime is not None:
            lifetime = _lifetime(lifetime, now)
        acc = DEFAULT_ACCESS if access is None else Access.from_spec(access)
        codes = principal.code if code is None else code_set(code)
        t = type(value)  # fast paths for common scalars; same sizes as measure_copy
        if t is int and value.bit_length() < 64 or t is float:  # type: ignore[union-attr]
            stored, vsize = value, 16
        else:
            try:
                stored, vsize = measure_copy(value, self._value_budget)
            except ValueTooLarge as e:
                raise self._too_large(name, e.at_least) from None
        size = TAG_OVERHEAD + (16 + len(name) if name.isascii() else name_size(name)) + vsize
        owner_id = principal.sm_id
        mine = self._used_by.get(owner_id, 0) + size
        per_sm, node = self.per_sm_limit_bytes, self.memory_limit_bytes
        if (per_sm is not None and mine > per_sm) or (
                node is not None and self._used + size > node):
            self._charge(owner_id, size, name, now)  # reclaims expired tags or raises
        else:
            self._used_by[owner_id] = mine
            self._used += size
        try:
            tag = Tag(name, stored, size, vsize, principal, acc, codes, lifetime, now)
        except BaseException:
            self._release(owner_id, size)  # nothing was created: nothing stays charged
            raise
        self._tags[name] = tag
        if tag.expires_at is not None:
            heap = self._expiry
            heapq.heappush(heap, (tag.expires_at, next(self._seq), tag))
            if len(heap) > 2 * len(self._tags) + 64:
                self._compact_expiry()
        woken = self._waits.wake(name, now, "created") if name in self._waiting else ()
        if self._observers:
            self._emit(TagCreated(name, principal.sm_id, now, size))
            self._emit_all(woken)
        return woken

    def read(self, principal: Principal, name: str, now: float) -> object:
        """The value of ``name`` (a private copy) if ``principal`` may read it."""
        try:
            tag = self._tags[name]
        except KeyError:
            return self._read_io(principal, name, now)
        except TypeError:
            _lookup_name(name)
            raise
        exp = tag.expires_at
        if exp is not None and now >= exp:
            raise TagMissing(f"tag {name!r} expired at t={exp}", name=name)
        if not (tag.others_bits & READ  # domains.allowed(), inlined for speed
                or (tag.owner_bits & READ and principal.sm_id == tag.owner_id)
                or (tag.family_bits & READ and principal.family == tag.family)
                or (tag.origin_bits & READ and principal.origin == tag.origin)
                or (tag.code_bits & READ and tag.code and tag.code <= principal.code)):
            raise self._denied(tag, principal, "read", name)
        v = tag.value
        return v if type(v) in IMMUTABLE else copy_out(v)

    def write(self, principal: Principal, name: str, value: object, now: float, *,
              renew: bool = True) -> tuple[Woken, ...]:
        """Replace the value of ``name``; return the waits it ends.

        With ``renew`` (default) the tag's expiry restarts: ``now + lifetime``.
        """
        try:
            tag = self._tags[name]
        except KeyError:
            return self._write_io(principal, name, value, now)
        except TypeError:
            _lookup_name(name)
            raise
        exp = tag.expires_at
        if exp is not None and now >= exp:
            raise TagMissing(f"tag {name!r} expired at t={exp}", name=name)
        if not (tag.others_bits & WRITE  # domains.allowed(), inlined for speed
                or (tag.owner_bits & WRITE and principal.sm_id == tag.owner_id)
                or (tag.family_bits & WRITE and principal.family == tag.family)
                or (tag.origin_bits & WRITE and principal.origin == tag.origin)
                or (tag.code_bits & WRITE and tag.code and tag.code <= principal.code)):
            raise self._denied(tag, principal, "write", name)
        t = type(value)  # fast paths for common scalars; same sizes as measure_copy
        if t is int and value.bit_length() < 64 or t is float:  # type: ignore[union-attr]
            stored, vsize = value, 16
        elif t is str and value.isascii():  # type: ignore[union-attr]
            stored, vsize = value, 16 + len(value)  # type: ignore[arg-type]
        else:
            try:
                stored, vsize = measure_copy(value, self._value_budget)
            except ValueTooLarge as e:
                raise self._too_large(name, e.at_least) from None
        delta = vsize - tag.value_size
        if delta:
            self._charge(tag.owner_id, delta, name, now)
            tag.size += delta
            tag.value_size = vsize
        tag.value = stored
        if renew and exp is not None:
            new = now + tag.lifetime  # type: ignore[operator]
            tag.expires_at = new
            if new < exp:  # time went backwards: the old heap entry would be late
                heapq.heappush(self._expiry, (new, next(self._seq), tag))
        woken = self._waits.wake(name, now, "written") if name in self._waiting else ()
        if self._observers:
            self._emit(TagWritten(name, principal.sm_id, now))
            self._emit_all(woken)
        return woken

    def delete(self, principal: Principal, name: str, now: float) -> None:
        """Remove ``name``; needs "w". Waiters on the name keep waiting."""
        _lookup_name(name)
        tag = self._live(name, now)
        if tag is None:
            if name in self._io:
                raise ReadOnlyTag(f"delete of tag {name!r} denied: it is an I/O tag of node "
                                  f"{self.node_id!r}", name=name, operation="delete",
                                  sm_id=principal.sm_id, domains=("io",))
            raise TagMissing(f"no tag {name!r}", name=name)
        if not allowed(tag, principal, WRITE):
            raise self._denied(tag, principal, "delete", name)
        self._remove(tag)
        if self._observers:
            self._emit(TagDeleted(name, principal.sm_id, now))

    def exists(self, name: str, now: float) -> bool:
        """Whether ``name`` is a live stored tag or an available I/O tag."""
        _lookup_name(name)
        if self._live(name, now) is not None:
            return True
        entry = self._io.get(name)
        if entry is None:
            return False
        available = getattr(entry.provider, "available", None)
        return True if available is None else bool(available(now))

    def info(self, name: str, now: float) -> TagInfo:
        """Metadata of a live stored tag or an I/O tag (host/tool API, no rights check)."""
        _lookup_name(name)
        tag = self._live(name, now)
        if tag is not None:
            return TagInfo(name, tag.owner, tag.access, tag.code, tag.lifetime, tag.expires_at,
                           tag.size)
        entry = self._io.get(name)
        if entry is None:
            raise TagMissing(f"no tag {name!r}", name=name)
        return TagInfo(name, entry.owner, entry.access, entry.code, None, None, 0, io=True)

    def stored_names(self, now: float) -> list[str]:
        """Sorted names of live stored tags (what a node advertises)."""
        return sorted(n for n, t in self._tags.items() if t.expires_at is None or now < t.expires_at)

    def names(self, now: float) -> list[str]:
        """Sorted names of live stored tags and available I/O tags."""
        live = [n for n, t in self._tags.items() if t.expires_at is None or now < t.expires_at]
        io = [n for n in self._io if self.exists(n, now)]
        return sorted(live + io)

    # --- lifetimes ------------------------------------------------------------

    def expire(self, now: float) -> list[str]:
        """Remove tags whose expiry is at or before ``now``; return their names.

        Tags already removed because their name was re-created, or to make room
        under a quota, were reported then (``TagExpired`` event) and are not
        listed again.
        """
        heap = self._expiry
        out: list[str] = []
        while heap and heap[0][0] <= now:
            _, _, tag = heapq.heappop(heap)
            if self._tags.get(tag.name) is not tag:
                continue  # deleted or replaced
            if tag.expires_at <= now:  # type: ignore[operator]
                self._expire_one(tag, now)
                out.append(tag.name)
            else:  # renewed since this entry was pushed
                heapq.heappush(heap, (tag.expires_at, next(self._seq), tag))  # type: ignore[arg-type]
        return out

    def next_expiry(self) -> float | None:
        """Earliest expiry among stored tags, or None; for the node's timer."""
        heap = self._expiry
        while heap:
            exp, _, tag = heap[0]
            if self._tags.get(tag.name) is not tag:
                heapq.heappop(heap)
            elif tag.expires_at != exp:
                heapq.heapreplace(heap, (tag.expires_at, next(self._seq), tag))  # type: ignore[arg-type]
            else:
                return exp
        return None

    def _live(self, name: str, now: float) -> Tag | None:
        tag = self._tags.get(name)
        if tag is None or (tag.expires_at is not None and now >= tag.expires_at):
            return None
        return tag

    def _remove(self, tag: Tag) -> None:
        del self._tags[tag.name]
        self._used -= tag.size
        left = self._used_by[tag.owner_id] - tag.size
        if left:
            self._used_by[tag.owner_id] = left
        else:
            del self._used_by[tag.owner_id]

    def _release(self, owner_id: str, size: int) -> None:
        self._used -= size
        left = self._used_by.get(owner_id, 0) - size
        if left > 0:
            self._used_by[owner_id] = left
        else:
            self._used_by.pop(owner_id, None)

    def _expire_one(self, tag: Tag, now: float) -> None:
        self._remove(tag)
        if self._observers:
            self._emit(TagExpired(tag.name, tag.owner_id, tag.expires_at, now))  # type: ignore[arg-type]

    def _compact_expiry(self) -> None:
        # Deleted and replaced tags leave entries behind; drop them all at once.
        self._expiry = [e for e in self._expiry if self._tags.get(e[2].name) is e[2]]
        heapq.heapify(self._expiry)

    def _denied(self, tag: Protected, principal: Principal, operation: str,
                name: str) -> AccessDenied:
        message, domains = describe_denial(tag, principal, operation, name)
        return AccessDenied(message, name=name, operation=operation, sm_id=principal.sm_id,
                            domains=domains)

    # --- waiters (block_tag) ----------------------------------------------------

    def wait(self, principal: Principal, name: str, token: Hashable, deadline: float | None, *,
             now: float | None = None) -> None:
        """Register that ``token`` (an SM) waits for ``name`` to be written.

        Any later ``create``/``write`` of ``name`` (or ``io_updated``) returns a
        ``Woken`` for it; ``timeouts`` returns a ``TimedOut`` once ``deadline``
        passes (None: no deadline). If ``name`` exists and ``principal`` cannot
        read it, ``AccessDenied`` is raised at once; waiting for a name that
        does not exist yet is allowed. ``now`` lets an expired tag count as
        absent.
        """
        _lookup_name(name)
        if deadline is not None and (type(deadline) not in (int, float) or math.isnan(deadline)):
            raise BadTagArgument(f"deadline must be a number or None, got {deadline!r}")
        tag: Protected | None = self._tags.get(name)
        if tag is not None and now is not None and self._live(name, now) is None:
            tag = None
        if tag is None:
            tag = self._io.get(name)
        if tag is not None and not allowed(tag, principal, READ):
            raise self._denied(tag, principal, "wait", name)
        self._waits.add(principal, name, token, deadline)

    def cancel_wait(self, token: Hashable) -> bool:
        """Forget ``token``'s wait (its SM ended or was killed)."""
        return self._waits.cancel(token)

    def timeouts(self, now: float) -> list[TimedOut]:
        """End and return the waits whose deadline is at or before ``now``."""
        out = self._waits.timeouts(now)
        if self._observers:
            self._emit_all(out)
        return out

    def next_deadline(self) -> float | None:
        """Earliest wait deadline, or None; for the node's timer."""
        return self._waits.next_deadline()

    def waiting(self, name: str) -> tuple[Hashable, ...]:
        """Tokens waiting on ``name``, in registration order."""
        return self._waits.tokens(name)

    # --- I/O tags ---------------------------------------------------------------

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
        self._io[name] = _IOEntry(name, provider, writable, self.node_principal, acc, codes)

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
            _lookup_name(name)
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
            _lookup_name(name)
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


def _lifetime(lifetime: object, now: float) -> float:
    """A tag's lifetime as a float whose expiry time is finite, or
    ``BadTagArgument`` (an int too big for a float included)."""
    try:
        if type(lifetime) is not float and type(lifetime) is not int:
            raise TypeError
        seconds = float(lifetime)
        if not 0 < seconds < math.inf or now + seconds == math.inf:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        shown = f"an int of {lifetime.bit_length()} bits" if type(lifetime) is int else repr(lifetime)
        raise BadTagArgument(
            f"lifetime must be a positive finite number of seconds or None, got {shown[:80]}"
        ) from None
    return seconds
