"""Budgets a node keeps per family and per origin, so that no SM — however
many children it spawns, however long they block — can take the node for
itself (``NodeLimits``: SMs alive, blocked SMs, SMs spawned, fuel, log
bytes per family; SMs alive per origin), and the admission check itself."""
from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Hashable

import tagspace

from ..limits import NodeLimits
from . import events as ev
from ._eviction import make_room

#: Families whose spent fuel, spawns and log bytes a node remembers after
#: their last SM left (the oldest are forgotten first).
_REMEMBERED_FAMILIES = 4096


class FamilyBudgets:
    """What each family and origin holds or has spent on this node."""

    def __init__(self, limits: NodeLimits, fuel_per_sm: int):
        self.limits = limits
        self.family_fuel = limits.family_fuel_factor * fuel_per_sm
        self.client_fuel = limits.client_fuel_factor * fuel_per_sm
        self.alive: Counter[str] = Counter()
        self.by_origin: Counter[str] = Counter()
        self.blocked: Counter[str] = Counter()
        #: SMs alive here that inject clients started, by client address
        self.by_client: Counter[Hashable] = Counter()
        #: family -> [fuel spent, SMs spawned, log bytes]: kept a while
        #: after the family's last SM left, so leaving and coming back
        #: does not refill it
        self._spent: OrderedDict[str, list[int]] = OrderedDict()
        #: inject client -> fuel its SMs (and their descendants) spent here
        self._client_spent: OrderedDict[Hashable, int] = OrderedDict()

    def _account(self, family: str) -> list[int]:
        entry = self._spent.get(family)
        if entry is None:
            entry = self._spent[family] = [0, 0, 0]
            while len(self._spent) > _REMEMBERED_FAMILIES:
                self._spent.popitem(last=False)
        else:
            self._spent.move_to_end(family)
        return entry

    # ---- admission -------------------------------------------------------------
    def refusal(self, p: tagspace.Principal, *, spawned: bool = False,
                client: Hashable | None = None) -> str:
        """Why one more SM of ``p``'s family and origin (and inject
        ``client``) cannot live here ("" when it can)."""
        limits = self.limits
        if client is not None:
            if self.by_client[client] >= limits.max_sms_per_client:
                return (f"client {client} has {self.by_client[client]} SMs here "
                        f"(limit {limits.max_sms_per_client})")
            if self._client_spent.get(client, 0) >= self.client_fuel:
                return f"client {client} has spent its fuel here ({self.client_fuel:,} units)"
        if self.alive[p.family] >= limits.max_sms_per_family:
            return f"family {p.family} has {self.alive[p.family]} SMs here (limit {limits.max_sms_per_family})"
        if self.by_origin[p.origin] >= limits.max_sms_per_origin:
            return (f"origin {p.origin} has {self.by_origin[p.origin]} SMs here "
                    f"(limit {limits.max_sms_per_origin})")
        entry = self._spent.get(p.family)
        if entry is not None:
            if entry[0] >= self.family_fuel:
                return f"family {p.family} has spent its fuel here ({self.family_fuel:,} units)"
            if spawned and entry[1] >= limits.max_spawns_per_family:
                return (f"family {p.family} has started {entry[1]} SMs here "
                        f"(limit {limits.max_spawns_per_family})")
        return ""

    def entered(self, p: tagspace.Principal, *, spawned: bool = False,
                client: Hashable | None = None) -> None:
        self.alive[p.family] += 1
        self.by_origin[p.origin] += 1
        if client is not None:
            self.by_client[client] += 1
        if spawned:
            self._account(p.family)[1] += 1

    def count_spawn(self, p: tagspace.Principal) -> None:
        """``p``'s family started an SM of another family (``create_sm``)."""
        self._account(p.family)[1] += 1

    def left(self, p: tagspace.Principal, client: Hashable | None = None) -> None:
        _drop(self.alive, p.family)
        _drop(self.by_origin, p.origin)
        if client is not None:
            _drop(self.by_client, client)

    # ---- while SMs run -----------------------------------------------------------
    def spend(self, p: tagspace.Principal, fuel: int, client: Hashable | None = None) -> str:
        """Count fuel the SM spent; which budget it overran ("" when none):
        its family's, or its inject client's (the SMs a client started and
        their descendants share one)."""
        entry = self._account(p.family)
        entry[0] += fuel
        if client is not None:
            spent = self._client_spent.pop(client, 0) + fuel
            self._client_spent[client] = spent  # the most recent last
            while len(self._client_spent) > _REMEMBERED_FAMILIES:
                self._client_spent.popitem(last=False)
            if spent > self.client_fuel:
                return f"client fuel budget of {self.client_fuel:,} units"
        if entry[0] > self.family_fuel:
            return f"family fuel budget of {self.family_fuel:,} units"
        return ""

    def may_block(self, p: tagspace.Principal) -> bool:
        return self.blocked[p.family] < self.limits.max_blocked_per_family

    def block(self, p: tagspace.Principal) -> None:
        self.blocked[p.family] += 1

    def unblock(self, p: tagspace.Principal) -> None:
        _drop(self.blocked, p.family)

    def log_room(self, p: tagspace.Principal, size: int) -> int:
        """Count a log line of ``size`` bytes: 1 if it fits the family's
        budget, 0 for the first line past it, -1 for later ones."""
        entry = self._account(p.family)
        before = entry[2]
        entry[2] += size
        limit = self.limits.max_log_bytes_per_family
        if entry[2] <= limit:
            return 1
        return 0 if before <= limit else -1


def _drop(counter: Counter, key: str) -> None:
    n = counter[key] - 1
    if n > 0:
        counter[key] = n
    else:
        del counter[key]


class Admission:
    """Mixed into ``NodeCore``: whether an SM may come in, and refusing it."""

    def _admission(self, fuel: int, memory: int, tag_memory: int,
                   principal: tagspace.Principal | None = None, *, spawned: bool = False,
                   client: Hashable | None = None) -> str:
        """Why an SM with these needs cannot come in ("" when it can); for an
        SM from outside (not ``spawned``), a node or origin full of SMs
        waiting on tags ends one fairly to make room (``_eviction``)."""
        reason = self._needs_refused(fuel, memory, tag_memory, principal, spawned=spawned,
                                     client=client)
        if spawned:
            return reason
        for _ in range(2):  # the node, then the origin, may each need a place
            if not reason.startswith(("node busy", "origin ")):
                return reason
            if principal is None:  # an offer: room is made when its SM arrives
                return "" if make_room(self, None, None, evict=False) else reason
            other = self.budgets.refusal(principal, spawned=spawned, client=client)
            if not (other == "" or other.startswith("origin ")) or \
                    not make_room(self, principal, client):
                return reason
            reason = self._needs_refused(fuel, memory, tag_memory, principal,
                                         spawned=spawned, client=client)
        return reason

    def _needs_refused(self, fuel: int, memory: int, tag_memory: int,
                       principal: tagspace.Principal | None = None, *, spawned: bool = False,
                       client: Hashable | None = None) -> str:
        config = self.config
        if len(self._sms) >= config.max_sms and (principal is None or principal.sm_id not in self._sms):
            return f"node busy: {len(self._sms)} SMs"
        if principal is not None:
            refusal = self.budgets.refusal(principal, spawned=spawned, client=client)
            if refusal:
                return refusal
        if fuel > config.fuel_per_sm:
            return f"needs {fuel} fuel; this node grants {config.fuel_per_sm}"
        granted = int((config.memory_mb or 0) * 1024 * 1024)
        if config.memory_mb and memory > granted:
            return f"needs {memory} bytes of memory; this node grants {granted}"
        free = self.tagspace.free_bytes
        if tag_memory > min(config.tag_memory_per_sm, free if free is not None else tag_memory):
            return f"needs {tag_memory} bytes of tag memory; {free} free here"
        return ""

    def _refuse_sm(self, sm_id: str, source: Hashable, reason: str) -> None:
        """An SM this node has no room for: refused at once, never queued."""
        self.counters["sms_rejected"] += 1
        self._events.append(ev.SMRefused(sm_id, str(source), reason, self._now))
