"""The tag space of one node: stored tags, I/O tags, quotas, lifetimes, waits.

Sans-I/O: every operation takes the current time ``now`` (seconds, real or
virtual) and nothing here reads a clock or sleeps. The node core calls
``expire`` and ``timeouts`` when ``next_expiry``/``next_deadline`` come due.
This module holds the stored tags' operations and the waits; the accounting
(``_quotas``), the lifetimes (``_lifetimes``) and the I/O tags (``_ioregistry``) are
parts of ``TagSpace`` in modules of their own.
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping

from ._domains import (DEFAULT_ACCESS, READ, WRITE, Access, Protected, allowed,
                       describe_denial)
from ._errors import AccessDenied, BadTagArgument, ReadOnlyTag, TagNameTaken, TagMissing, TagUsageError
from ._events import Event, TagCreated, TagDeleted, TagWritten, TimedOut, Woken
from ._ioregistry import IOEntry, IOTags
from ._iotags import Clock, NodeStatus, StaticValue, Unavailable
from ._lifetimes import Lifetimes, checked_lifetime
from ._principal import Principal, code_set
from ._private import resolved
from ._quotas import Quotas
from ._tag import Tag, TagInfo
from ._values import (IMMUTABLE, MAX_NAME_LENGTH, TAG_OVERHEAD, ValueTooLarge, check_name,
                      copy_out, lookup_name, measure_copy, name_size)
from ._waiters import WaitQueue

_NO_LIMIT = 1 << 62

Observer = Callable[[Event], None]


class TagSpace(Quotas, Lifetimes, IOTags):
    """Named, protected, expiring memory of one node, plus its I/O tags.

    Rules (see also ``tagspace`` package docs):

    * ``create`` of a name held by a live tag or an I/O tag raises
      ``TagNameTaken``; it never overwrites (use ``write``). An expired tag's name
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
        self._io: dict[str, IOEntry] = {}
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
        name = resolved(principal, name, "create")
        if name in self._io:
            raise TagNameTaken(f"cannot create {name!r}: it is an I/O tag of node {self.node_id!r}",
                            name=name)
        old = self._tags.get(name)
        if old is not None:
            if old.expires_at is None or now < old.expires_at:
                raise TagNameTaken(f"tag {name!r} already exists (owner {old.owner_id!r})", name=name)
            self._expire_one(old, now)
        if lifetime is not None:
            lifetime = checked_lifetime(lifetime, now)
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
        if type(name) is str and name[:1] == "@":
            name = resolved(principal, name, "read")
        try:
            tag = self._tags[name]
        except KeyError:
            return self._read_io(principal, name, now)
        except TypeError:
            lookup_name(name)
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
        if type(name) is str and name[:1] == "@":
            name = resolved(principal, name, "write")
        try:
            tag = self._tags[name]
        except KeyError:
            return self._write_io(principal, name, value, now)
        except TypeError:
            lookup_name(name)
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
        lookup_name(name)
        name = resolved(principal, name, "delete")
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

    def exists(self, name: str, now: float, principal: Principal | None = None) -> bool:
        """Whether ``name`` is a live stored tag or an available I/O tag (a
        private ``@`` name: in ``principal``'s code domain; without one, the
        stored name itself)."""
        lookup_name(name)
        if principal is not None:
            name = resolved(principal, name, "test")
        if self._live(name, now) is not None:
            return True
        entry = self._io.get(name)
        if entry is None:
            return False
        available = getattr(entry.provider, "available", None)
        return True if available is None else bool(available(now))

    def info(self, name: str, now: float) -> TagInfo:
        """Metadata of a live stored tag or an I/O tag (host/tool API, no rights check)."""
        lookup_name(name)
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
        lookup_name(name)
        name = resolved(principal, name, "wait")
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
