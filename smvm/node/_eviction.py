"""Room for a new SM on a node full of SMs waiting on tags.

SMs that block on a tag nobody writes hold their place for ever. Senders
with many addresses could fill every node-wide and per-origin place with
them, and each would stay within its own budgets. So when a new SM would be
refused only because the node (``NodeConfig.max_sms``) or its origin
(``NodeLimits.max_sms_per_origin``) is full, the node may end one waiting SM
to make room. Ending SMs must not become a weapon in turn: a flood of
newcomers from many addresses could otherwise end every waiting SM as soon as
it blocks (a benign SM waiting a moment for a reply included) and cycle its
own SMs through the node's places as fast as it sends. Hence the rules:

* only an SM that comes from outside (an inject or a migration) makes room;
  ``spawn`` and ``create_sm`` never do, so one SM cannot end many others by
  spawning;
* only SMs waiting on a tag are ended (a running SM never is), and only
  those that have waited here at least
  ``NodeLimits.min_wait_before_eviction`` seconds (30 by default). An SM
  waiting less than that is never a victim, however many addresses send
  newcomers; each place turns over at most once in that time, so newcomers
  get in this way at most ``places / min_wait`` per second;
* of those long waiters, the victim belongs to the *holder* with the most of
  them in the full scope (an inject client for the SMs a client started and
  their descendants, else the origin node), and only if that holder has more
  of them than the newcomer's holder: nobody is ended to make room for a
  holder that already waits as much;
* of that holder's SMs, one waiting with no timeout goes first, then the one
  with the longest timeout, then the oldest.

The victim ends with an ``Evicted`` error, reported to its origin (and its
inject client) like any other end.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Hashable

from ..vm import ErrorRecord
from . import events as ev
from ._records import trip

if TYPE_CHECKING:  # pragma: no cover
    import tagspace

    from .core import NodeCore


@dataclass(frozen=True)
class Candidate:
    """An SM waiting on a tag, as the eviction policy sees it (a candidate victim)."""

    sm_id: str
    holder: Hashable
    timeout: float | None


def holder_of(client: Hashable | None, origin: str) -> Hashable:
    """Whose place a waiting SM takes: its inject client's, else its origin's."""
    return ("client", client) if client is not None else ("origin", origin)


def pick_victim(waiting: list[Candidate], requester: Hashable | None) -> Candidate | None:
    """The SM to end for a newcomer of ``requester`` (``waiting`` oldest
    first), or None when no holder waits more than the requester does."""
    counts = Counter(w.holder for w in waiting)
    if not counts:
        return None
    most = max(counts.values())
    if most <= counts.get(requester, 0):
        return None
    holder = next(w.holder for w in waiting if counts[w.holder] == most)
    theirs = [(i, w) for i, w in enumerate(waiting) if w.holder == holder]
    _, victim = max(theirs, key=lambda iw: (iw[1].timeout is None, iw[1].timeout or 0.0, -iw[0]))
    return victim


def make_room(core: "NodeCore", principal: "tagspace.Principal | None",
              client: Hashable | None, *, evict: bool = True) -> bool:
    """End a waiting SM so that the newcomer (``principal``, started by
    ``client``; None: not known yet, an offer) fits; whether there is room
    now (with ``evict`` False: whether there could be)."""
    sms, config = core._sms, core.config
    waited_since = core._now - config.limits.min_wait_before_eviction
    newcomer = principal is None or principal.sm_id not in sms
    if newcomer and len(sms) >= config.max_sms:
        scope = None  # the whole node is full
    elif principal is not None and \
            core.budgets.by_origin[principal.origin] >= config.limits.max_sms_per_origin:
        scope = principal.origin
    else:
        return False
    waiting = [Candidate(r.sm_id, holder_of(r.client, r.principal.origin), r.waiting.timeout)
               for r in sms.values()
               if r.waiting is not None and r.waiting.since <= waited_since
               and (scope is None or r.principal.origin == scope)]
    requester = None if principal is None else holder_of(client, principal.origin)
    victim = pick_victim(waiting, requester)
    if victim is None:
        return False
    if evict:
        evict_waiting(core, victim)
    return True


def evict_waiting(core: "NodeCore", victim: Candidate) -> None:
    record = core._sms[victim.sm_id]
    tag = record.waiting.tag
    record.waiting = None
    core.budgets.unblock(record.principal)
    core.tagspace.cancel_wait(record.sm_id)
    core.counters["sms_evicted"] += 1
    core.counters["sms_failed"] += 1
    error = ErrorRecord("Evicted", (
        f"ended on node {core.node_id} to make room: the node was full and this SM's "
        f"sender had the most SMs waiting on tags there (it waited on {tag!r})")).to_json()
    core._events.append(ev.SMFailed(record.sm_id, core.node_id, error, core._now))
    core._report(record, False, None, error)
    core._answer_inject(record.sm_id, False, None, error, trip(record, core.node_id))
    core._leave(record)
