"""Durability: the states of each SM a driver with a journal keeps
(``SMDurable``/``SMReleased`` events, see ``smvm.node.durable``), and taking
SMs and hops back from that journal after a restart."""
from __future__ import annotations

import tagspace

from ..errors import RemoteInputError
from ..trust import pack_chain, unpack_chain
from . import events as ev
from ._hops import HopState, OutgoingHop
from ._records import SMRecord, Waiting, local_number
from .durable import Snapshot
from .durable import loads as load_snapshot


class Durability:
    """Mixed into ``NodeCore``: journal events out, journaled state back in."""

    def _durable(self, record: SMRecord, state: str, **fields) -> None:
        if not self.durable:
            return
        p = record.principal
        snap = Snapshot(p.sm_id, p.family, p.origin, record.brick.hash, state, record.fuel,
                        record.hops, record.bytes,
                        pack_chain(record.chain) if record.chain is not None else b"",
                        record.arrived_by, **fields)
        self._events.append(ev.SMDurable(p.sm_id, snap.dumps()))

    def _released(self, record: SMRecord) -> None:
        if self.durable:
            self._events.append(ev.SMReleased(record.sm_id, record.arrived_by, self._now))

    @property
    def ids_issued(self) -> int:
        """How many SM ids (``node/n``) this core has made."""
        return self._ids

    def continue_ids_after(self, issued: int) -> None:
        """Make new SM ids after ``node/issued`` (ids made before a restart)."""
        self._ids = max(self._ids, issued)

    def remember_hop(self, hop_id: bytes, when: float) -> None:
        """A hop admitted before a restart: its retransmissions are duplicates."""
        self._admitted[hop_id] = when

    def recover(self, data: bytes, now: float) -> str:
        """Take back an SM from its journaled snapshot (after a restart); its
        brick must be in the code cache. ``RemoteInputError`` if it cannot be."""
        self._now = now
        snap = load_snapshot(data)
        brick = self.cache.get(snap.brick)
        if brick is None:
            raise RemoteInputError(f"brick {snap.brick[:12]} of SM {snap.sm_id} is not stored")
        principal = tagspace.Principal(snap.sm_id, snap.family, snap.origin, brick.code_ids)
        record = SMRecord(snap.sm_id, brick, principal, fuel=snap.fuel, hops=snap.hops,
                          bytes=snap.bytes, arrived_by=snap.arrived_by)
        if snap.chain:
            record.chain = unpack_chain(snap.chain)
            if self.trust is not None:
                self.trust.restore(record.chain, snap.sm_id)
        if snap.arrived_by:
            self._admitted[snap.arrived_by] = now
        self._enter(record)
        self._ids = max(self._ids, local_number(snap.sm_id, self.node_id))
        if snap.state == "start":
            self._queue_start(record, snap.entry, snap.args)
        elif snap.state == "resume":
            self._queue_resume(record, snap.continuation)
        elif snap.state == "blocked":
            record.waiting = Waiting(snap.continuation, snap.tag, snap.timeout, principal, now)
            self.budgets.block(principal)
            self.tagspace.wait(principal, snap.tag, snap.sm_id, snap.deadline, now=now)
        else:  # the same hop again: the receiver may have admitted it already
            p = principal
            hop = OutgoingHop(snap.hop_id, snap.sm_id, snap.target, snap.continuation,
                              (brick.hash,), {"sm_id": p.sm_id, "family": p.family,
                                              "origin": p.origin},
                              record.fuel, HopState.OFFERED, record=record)
            if self.trust is not None and record.chain is not None:
                hop.provenance = pack_chain(self.trust.hop(
                    record.chain, snap.target, hop_id=snap.hop_id,
                    continuation=snap.continuation, now=now, sm_id=snap.sm_id))
            self._hops[snap.hop_id] = hop
            self._transmit(hop)
        return snap.sm_id
