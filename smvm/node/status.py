"""What a node tells about itself: the inspection API of the node core
(``NodeCore.status``) and the bounded answer to a status query over the wire
(``smvm status``).

A status query can come from anyone who can send a datagram, with a forged
source address, so the answer is never much larger than the query: at most
``resend_factor`` times its size (the client pads its query to ask for more)
and never more than ``MAX_STATUS_BYTES``. Lists that do not fit are cut, and
the answer says so. It names tags and SMs but shows no tag values and no SM
data.
"""
from __future__ import annotations

from collections import Counter

from .. import statecodec, wire
from ._inspect import SM_STATES

__all__ = ["MAX_STATUS_BYTES", "MIN_STATUS_QUERY", "SM_STATES", "fit_status", "node_status"]

#: Largest status answer, whatever the query's size.
MAX_STATUS_BYTES = 64 * 1024
#: Smallest status query (whole message) a node answers; smaller ones are
#: dropped (their answer could not say anything and still be small).
MIN_STATUS_QUERY = 256
#: The lists of a status that are cut, longest first, when it does not fit.
_LISTS = ("tags", "sms", "neighbors", "counters")


def node_status(core, now: float) -> dict:
    """Everything ``smvm status`` shows, as plain data: who the node is, its
    neighbours with ages and positions, the SMs it holds and their states,
    its stored tags (names, owners, lifetimes: no values) and its counters."""
    trust = core.trust
    status = {
        "node": core.node_id,
        "key": trust.key.fingerprint if trust is not None else None,
        "signed": trust is not None,
        "time": now,
        "uptime": None if core.started_at is None else max(0.0, now - core.started_at),
        "position": None if core.position is None else [float(v) for v in core.position],
        "neighbors": [_neighbor(nb, now) for nb in core.neighbors(now)],
        **_sms(core),
        **_tags(core.tagspace, now),
        "max_sms": core.config.max_sms,
        "counters": dict(sorted(core.counters.items())),
        "truncated": False,
    }
    if core.driver_info is not None:
        status.update(core.driver_info())
    return status


def _neighbor(nb, now: float) -> dict:
    return {"id": nb.node_id, "age": max(0.0, now - nb.last_heard), "link": _link(nb.link),
            "position": None if nb.position is None else [float(v) for v in nb.position],
            "static": nb.static}


def _link(link: object) -> str:
    if type(link) is tuple and len(link) == 2:
        return f"{link[0]}:{link[1]}"
    return str(link)


def _sms(core) -> dict:
    sms = []
    for sm in core.sms():
        item = {"id": sm.sm_id, "family": sm.family, "origin": sm.origin, "fuel": sm.fuel,
                "hops": sm.hops, "state": sm.state}
        if sm.tag is not None:
            item["tag"] = sm.tag
        if sm.target is not None:
            item["target"] = sm.target
        sms.append(item)
    counts = Counter(item["state"] for item in sms)
    return {"sms": sms, "sm_states": {state: counts[state] for state in SM_STATES}}


def _tags(space, now: float) -> dict:
    tags = []
    for name in space.stored_names(now):
        info = space.info(name, now)
        tags.append({"name": name, "owner": info.owner.sm_id, "size": info.size,
                     "expires_in": None if info.expires_at is None else info.expires_at - now})
    return {"tags": tags, "tag_bytes": space.used_bytes, "io_tags": space.io_names()}


def fit_status(status: dict, room: int) -> bytes | None:
    """``status`` encoded in at most ``room`` bytes, its longest lists cut
    (and ``truncated`` set) until it fits; None if even the bare facts do not."""
    status = dict(status)
    while True:
        blob = statecodec.dumps(status)
        if len(blob) <= room:
            return blob
        cuttable = [name for name in _LISTS if status.get(name)]
        if not cuttable:
            return None
        longest = max(cuttable, key=lambda name: len(status[name]))
        items = status[longest]
        keep = len(items) // 2
        status[longest] = dict(list(items.items())[:keep]) if type(items) is dict else items[:keep]
        status["truncated"] = True


class StatusQueries:
    """Mixed into ``NodeCore``: the answer to a STATUS query."""

    def _on_status_query(self, frame, link) -> None:
        """Describe this node, in an answer no larger than the query allows."""
        self.counters["status_queries"] += 1
        room = min(MAX_STATUS_BYTES, self.config.limits.resend_factor * self._message_size)
        blob = None
        if self._message_size >= MIN_STATUS_QUERY:
            framing = 128 + wire.FRAGMENT_HEADER_LEN * (room // 1000 + 1)  # fields, fragments
            blob = fit_status(node_status(self, self._now), room - framing)
        if blob is None:
            self.counters["status_not_answered"] += 1
            return
        self._send(link, wire.StatusReply(frame.request_id, blob))
