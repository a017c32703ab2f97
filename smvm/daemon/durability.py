"""What a daemon with a state directory keeps across a crash, in its journal:
the SMs it admitted (before their hop is acknowledged), results in its
custody, the hop ids it admitted (their retransmissions stay duplicates), the
tags SMs made, and the block of SM ids it may issue (never reused).
"""
from __future__ import annotations

import logging
import os

import tagspace

from .. import statecodec
from ..errors import RemoteInputError
from ..journal import Journal
from ..node import NodeCore
from ..node import events as ev

log = logging.getLogger("smvm.node")

#: The journal of admitted SMs, in the state directory.
JOURNAL = "journal"
#: SM ids are reserved in blocks, journaled, so a restarted node never reuses one.
ID_BLOCK, ID_BLOCK_KEY = 1024, "ids"


class NodeJournal:
    """The journal of one node core, written as its events come."""

    def __init__(self, core: NodeCore, state_dir: str, sync: str):
        self.core = core
        self.journal = Journal(os.path.join(state_dir, JOURNAL), sync=sync)
        self._dirty_tags: set[str] = set()
        self._ids_reserved = 0

    def __len__(self) -> int:
        return len(self.journal.live)

    def recover(self, now: float) -> None:
        """Take back what the journal holds (a restart after a crash), then
        follow the node's tags and reserve the next block of SM ids."""
        self._recover(now)
        self.core.tagspace.add_observer(self._tag_changed)
        # SM ids are never reused across restarts: they name owners of tags
        self._ids_reserved = int(self.journal.live.get(ID_BLOCK_KEY, b"0"))
        self.core.continue_ids_after(self._ids_reserved)
        self._reserve_ids()

    def _reserve_ids(self) -> None:
        self._ids_reserved = self.core.ids_issued + ID_BLOCK
        self.journal.put(ID_BLOCK_KEY, str(self._ids_reserved).encode("ascii"))

    def _tag_changed(self, event) -> None:
        """Tags SMs create are the node's memory: note which to journal."""
        if isinstance(event, (tagspace.TagCreated, tagspace.TagDeleted, tagspace.TagExpired)) or (
                isinstance(event, tagspace.TagWritten) and not event.io):
            self._dirty_tags.add(event.name)

    def _recover(self, now: float) -> None:
        core, journal = self.core, self.journal
        node_id = core.node_id
        forget = now - core.config.remember_hops
        records = sorted(journal.live.items(), key=lambda kv: not kv[0].startswith("tag/"))
        for key, value in records:  # tags first: recovered SMs may wait on them
            kind, _, name = key.partition("/")
            if key == ID_BLOCK_KEY:
                continue
            try:
                if kind == "tag":
                    if not tagspace.restore_tag(core.tagspace, statecodec.loads(value), now):
                        journal.delete(key)  # its lifetime passed while the node was down
                elif kind == "seen":
                    when = float(value.decode("ascii"))
                    if when < forget:
                        journal.delete(key)
                    else:
                        core.remember_hop(bytes.fromhex(name), when)
                elif kind == "sm":
                    log.info("node %s recovered SM %s from its journal", node_id,
                             core.recover(value, now))
                elif kind == "result":
                    log.info("node %s recovered the result of SM %s from its journal",
                             node_id, core.recover_result(value, now))
            except (RemoteInputError, ValueError, KeyError, TypeError,
                    tagspace.TagSpaceError) as exc:
                log.warning("dropping journal record %s: %s", key, exc)
                journal.delete(key)

    def record(self, events: list, now: float) -> None:
        """Make SM states durable before anything the node queued is sent (an
        ACK among it), and forget SMs that left or ended."""
        journal = self.journal
        with journal.batch():  # one disk flush for all of it
            for event in events:
                if isinstance(event, ev.SMDurable):
                    journal.put("sm/" + event.sm_id, event.snapshot)
                elif isinstance(event, ev.ResultHeld):
                    journal.put("result/" + event.sm_id, event.record)
                elif isinstance(event, ev.ResultReleased):
                    journal.delete("result/" + event.sm_id)
                elif isinstance(event, ev.SMReleased):
                    journal.delete("sm/" + event.sm_id)
                    if event.arrived_by:  # its retransmissions stay duplicates after a restart
                        journal.put("seen/" + event.arrived_by.hex(),
                                    repr(event.time).encode("ascii"))
            self._record_tags(now)
            if self.core.ids_issued >= self._ids_reserved - ID_BLOCK // 2:
                self._reserve_ids()

    def _record_tags(self, now: float) -> None:
        space = self.core.tagspace
        node = space.node_principal.sm_id
        for name in self._dirty_tags:
            record = tagspace.export_tag(space, name, now)
            if record is not None and record["owner"][0] == node:
                continue  # the node's own tags come from its command line
            if record is None:
                self.journal.delete("tag/" + name)
            else:
                self.journal.put("tag/" + name, statecodec.dumps(record))
        self._dirty_tags.clear()
