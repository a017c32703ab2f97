"""The node as one SM sees it: the VM's ``NodeHost`` for one SM of a core
(its neighbours, clock, spawning, starting other bricks, logging)."""
from __future__ import annotations

from ..errors import RemoteInputError
from ..limits import MAX_LOG_LINE_CHARS, truncate
from ..vm import SMInstance
from . import events as ev
from ._records import SMRecord


class SMHost:
    """The VM's host for the SM of ``record`` on ``core``."""

    def __init__(self, core, record: SMRecord):
        self.core = core
        self.record = record
        self.node_id = core.node_id
        self.tagspace = core.tagspace

    def neighbors(self) -> list[str]:
        return self.core.neighbor_table.ids(self.core._now)

    def now(self) -> float:
        return self.core._now

    def wake(self, woken: tuple) -> None:
        self.core.woken(woken)

    def spawn(self, parent: SMInstance, entry: str, args: bytes) -> str:
        return self.core._spawn(parent, entry, args, brick=parent.brick,
                                family=parent.principal.family)

    def create_sm(self, parent: SMInstance, brick: str, entry: str, args: bytes) -> str:
        try:  # a brick the SM carries first: what it carries is what it means
            found = self.core.cache.add_part(parent.brick, brick) or self.core.cache.find(brick)
        except RemoteInputError as exc:
            raise ValueError(f"cannot start brick {brick!r} alone: {exc}") from None
        if found is None:
            raise ValueError(f"no brick named {brick!r} on node {self.core.node_id}")
        mine = parent.brick.parts and list(parent.brick.parts.values())[-1]
        if found.hash not in (parent.brick.hash, mine) and entry not in found.own_domain:
            # the new SM would act in that brick's code domain from the start
            raise ValueError(f"create_sm starts another brick ({brick!r}) only at a function "
                             f"it marks @own_domain, and {entry!r} is not one")
        return self.core._spawn(parent, entry, args, brick=found, family=None)

    def log(self, sm_id: str, text: str) -> None:
        core = self.core
        text = truncate(text, MAX_LOG_LINE_CHARS)  # a worker's lines too
        room = core.budgets.log_room(self.record.principal, len(text))
        if room < 0:
            core.counters["log_lines_dropped"] += 1
            return
        if room == 0:
            core.counters["log_lines_dropped"] += 1
            text = (f"[log budget of {core.config.limits.max_log_bytes_per_family:,} bytes for "
                    f"this family spent on node {core.node_id}: later lines are dropped]")
        core._events.append(ev.LogLine(sm_id, core.node_id, core._now, text))
