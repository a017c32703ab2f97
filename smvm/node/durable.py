"""What a node writes to its journal so that an SM it admitted survives a crash.

A snapshot is one SM's last durable state, as msgpack: who it is, its brick
(by hash: the daemon keeps bricks in its state directory), its signed chain,
the hop that brought it (so a retransmission after a restart is recognised),
and one of four states:

- ``start``: not run yet (injected or spawned here): entry and arguments;
- ``resume``: admitted from a hop: the continuation that came with it;
- ``blocked``: waiting on a tag: the continuation, the tag and the deadline;
- ``leaving``: handing itself to a neighbour: the hop id, the target and the
  continuation sent, so the same hop is retried rather than a new one made.

Between two durable states an SM may run part of a slice again after a crash
(its tag writes since the last snapshot may happen twice); hops, and so SMs,
stay exactly-once.
"""
from __future__ import annotations

from dataclasses import dataclass

import msgpack

from ..errors import RemoteInputError

VERSION = 1
STATES = ("start", "resume", "blocked", "leaving")
MAX_SNAPSHOT = 64 << 20


@dataclass(frozen=True)
class Snapshot:
    sm_id: str
    family: str
    origin: str
    brick: str             # hash of the SM's brick
    state: str             # one of STATES
    fuel: int
    hops: int
    bytes: int
    chain: bytes = b""     # packed provenance chain (empty when unsigned)
    arrived_by: bytes = b""  # hop id that brought it here (empty if born here)
    continuation: bytes = b""
    entry: str = ""        # start: the function and its encoded arguments
    args: bytes = b""
    tag: str = ""          # blocked: the tag and the absolute deadline (None: none)
    deadline: float | None = None
    timeout: float | None = None
    hop_id: bytes = b""    # leaving: the hop in progress, to whom
    target: str = ""

    def dumps(self) -> bytes:
        return msgpack.packb([VERSION, *[getattr(self, f) for f in _FIELDS]], use_bin_type=True)


_FIELDS = tuple(Snapshot.__dataclass_fields__)


def loads(data: bytes) -> Snapshot:
    """A snapshot read back from the journal (``RemoteInputError`` if damaged)."""
    try:
        items = msgpack.unpackb(data, raw=False, max_bin_len=MAX_SNAPSHOT,
                                max_str_len=MAX_SNAPSHOT)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError) as exc:
        raise RemoteInputError(f"journal snapshot does not decode: {exc}") from None
    if type(items) is not list or len(items) != len(_FIELDS) + 1 or items[0] != VERSION:
        raise RemoteInputError("journal snapshot of another version or shape")
    snap = Snapshot(*items[1:])
    if snap.state not in STATES:
        raise RemoteInputError(f"journal snapshot in unknown state {snap.state!r}")
    return snap
