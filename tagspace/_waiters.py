"""SMs blocked on a tag (``block_tag``), with their deadlines. Sans-I/O."""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable

from ._errors import TagUsageError
from ._events import TimedOut, Woken
from ._principal import Principal


class _Wait:
    __slots__ = ("token", "name", "sm_id", "deadline", "seq")

    def __init__(self, token: Hashable, name: str, sm_id: str, deadline: float | None, seq: int):
        self.token = token
        self.name = name
        self.sm_id = sm_id
        self.deadline = deadline
        self.seq = seq


class WaitQueue:
    """Tokens waiting for a write to a tag name, and their deadlines.

    A token (chosen by the node core, e.g. the SM id) waits for one name at a
    time. ``wake`` hands out every token waiting on a name, in registration
    order; ``timeouts`` hands out, in deadline order, those whose deadline is
    at or before ``now``. Either way the wait is over.
    """

    def __init__(self) -> None:
        #: name -> {token: wait}; a name is a key only while someone waits on it.
        self.by_name: dict[str, dict[Hashable, _Wait]] = {}
        self._by_token: dict[Hashable, _Wait] = {}
        self._heap: list[tuple[float, int, _Wait]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._by_token)

    def __contains__(self, token: Hashable) -> bool:
        return token in self._by_token

    def add(self, principal: Principal, name: str, token: Hashable, deadline: float | None) -> None:
        """Register ``token`` as waiting for ``name`` until ``deadline`` (None: forever)."""
        try:
            hash(token)
        except TypeError:
            raise TagUsageError(
                f"wait token must be hashable, got {type(token).__name__}") from None
        if token in self._by_token:
            raise TagUsageError(
                f"token {token!r} is already waiting on {self._by_token[token].name!r}")
        w = _Wait(token, name, principal.sm_id, deadline, next(self._seq))
        self._by_token[token] = w
        self.by_name.setdefault(name, {})[token] = w
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, w.seq, w))
            self._compact()

    def waiting_on(self, name: str) -> bool:
        return name in self.by_name

    def tokens(self, name: str) -> tuple[Hashable, ...]:
        """Tokens currently waiting on ``name``, in registration order."""
        return tuple(self.by_name.get(name, ()))

    def wake(self, name: str, now: float, cause: str) -> tuple[Woken, ...]:
        """End every wait on ``name``; return one ``Woken`` per token."""
        waits = self.by_name.pop(name, None)
        if not waits:
            return ()
        by_token = self._by_token
        for token in waits:
            del by_token[token]
        return tuple(Woken(w.token, name, w.sm_id, now, cause) for w in waits.values())

    def cancel(self, token: Hashable) -> bool:
        """Forget ``token``'s wait (the SM ended); True if it was waiting."""
        w = self._by_token.pop(token, None)
        if w is None:
            return False
        waits = self.by_name[w.name]
        del waits[token]
        if not waits:
            del self.by_name[w.name]
        return True

    def _live(self, w: _Wait) -> bool:
        return self._by_token.get(w.token) is w

    def timeouts(self, now: float) -> list[TimedOut]:
        """End and return the waits whose deadline is at or before ``now``."""
        out: list[TimedOut] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, w = heapq.heappop(heap)
            if self._live(w):
                self.cancel(w.token)
                out.append(TimedOut(w.token, w.name, w.sm_id, w.deadline))  # type: ignore[arg-type]
        return out

    def next_deadline(self) -> float | None:
        """Earliest deadline among live waits, or None."""
        heap = self._heap
        while heap and not self._live(heap[0][2]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _compact(self) -> None:
        # Woken or cancelled waits leave entries behind; rebuild when they dominate.
        if len(self._heap) > 64 and len(self._heap) > 2 * len(self._by_token):
            self._heap = [e for e in self._heap if self._live(e[2])]
            heapq.heapify(self._heap)
