"""The inspection API of a node core: what it holds, as plain read-only
views (its SMs with their states and budgets, its neighbours, its counters),
for tests, ``smvm status`` and the simulator's metrics."""
from __future__ import annotations

from dataclasses import dataclass

#: SM states, in the order they are shown.
SM_STATES = ("running", "ready", "paused", "blocked", "migrating")


@dataclass(frozen=True)
class SMView:
    """One SM living on a node, as seen from outside."""
    sm_id: str
    family: str
    origin: str
    #: one of ``SM_STATES``: running (a slice of it runs now, in a worker
    #: process), ready (due to start or resume), paused (its fuel slice was
    #: spent; it waits for its next turn), blocked (on ``tag``), migrating
    #: (a hop to ``target`` is under way)
    state: str
    fuel: int  # fuel units spent so far, on every node it visited
    fuel_limit: int  # what it may spend in all (this node's grant per SM)
    hops: int
    tag: str | None = None
    target: str | None = None

    @property
    def fuel_left(self) -> int:
        return max(0, self.fuel_limit - self.fuel)


class Inspection:
    """Mixed into ``NodeCore``: read-only views of its state."""

    def sms(self) -> list[SMView]:
        """The SMs living here, in the order they came."""
        queued = {id(item.record): item.kind for item in self._ready}
        leaving = {hop.sm_id: hop.target for hop in self._hops.values()}
        return [self._view(record, queued, leaving) for record in self._sms.values()]

    def sm(self, sm_id: str) -> SMView | None:
        """The SM ``sm_id`` if it lives here."""
        record = self._sms.get(sm_id)
        if record is None:
            return None
        queued = {id(item.record): item.kind for item in self._ready if item.record is record}
        leaving = {hop.sm_id: hop.target for hop in self._hops.values() if hop.sm_id == sm_id}
        return self._view(record, queued, leaving)

    def _view(self, record, queued: dict, leaving: dict) -> SMView:
        p = record.principal
        tag = target = None
        if record.waiting is not None:
            state, tag = "blocked", record.waiting.tag
        elif p.sm_id in leaving:
            state, target = "migrating", leaving[p.sm_id]
        elif id(record) in queued:
            state = "paused" if queued[id(record)] == "continue" else "ready"
        else:  # a slice of it runs now (in a worker process)
            state = "running"
        return SMView(p.sm_id, p.family, p.origin, state, record.fuel, self.config.fuel_per_sm,
                      record.hops, tag, target)

    @property
    def sms_here(self) -> int:
        """SMs living on this node (running, ready, blocked or leaving)."""
        return len(self._sms)

    def hops_under_way(self) -> list[tuple[str, str, str]]:
        """(SM id, target, state) of each hop from this node not yet answered."""
        return [(hop.sm_id, hop.target, hop.phase.value) for hop in self._hops.values()]
