"""Tag lifetimes: the expiry heap, removal of expired tags, and the check
of a lifetime argument (part of ``TagSpace``)."""
from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable

from ._errors import BadTagArgument
from ._events import Event, TagExpired
from ._tag import Tag


class Lifetimes:
    """Expiry of stored tags, in ``now`` order (sans-I/O)."""

    _tags: dict[str, Tag]
    _remove: Callable[[Tag], None]
    _expiry: list[tuple[float, int, Tag]]
    _seq: itertools.count
    _observers: list[Callable[[Event], None]]
    _emit: Callable[[Event], None]

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

    def _expire_one(self, tag: Tag, now: float) -> None:
        self._remove(tag)
        if self._observers:
            self._emit(TagExpired(tag.name, tag.owner_id, tag.expires_at, now))  # type: ignore[arg-type]

    def _compact_expiry(self) -> None:
        # Deleted and replaced tags leave entries behind; drop them all at once.
        self._expiry = [e for e in self._expiry if self._tags.get(e[2].name) is e[2]]
        heapq.heapify(self._expiry)


def checked_lifetime(lifetime: object, now: float) -> float:
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
