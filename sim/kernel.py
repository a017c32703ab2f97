"""Discrete-event kernel: a heap of ``(time, seq, handle)`` run in virtual time.

Why this shape: ``seq`` is a global counter, so events at the same time run in
the order they were scheduled (FIFO) and the heap never compares handles; the
run is deterministic for a given seed. Cancellation is lazy (the entry stays in
the heap, flagged, and is skipped when popped); the heap is compacted when
cancelled entries outnumber live ones, so cancel-heavy timers do not leak.

The simulation owns the run's only randomness source, ``sim.rng``
(``random.Random(seed)``); models take it (or RNGs derived from it) as a
parameter instead of using the ``random`` module's global state.
"""
from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from typing import Any

from ._errors import SchedulingError

__all__ = ["Handle", "Simulation"]

_INF = float("inf")


class Handle:
    """A scheduled event; ``cancel()`` keeps it from running."""

    __slots__ = ("_sim", "args", "callback", "cancelled", "time")

    def __init__(self, sim: Simulation, time: float, callback: Callable[..., Any],
                 args: tuple[Any, ...]) -> None:
        self._sim = sim
        self.time = time
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> bool:
        """Cancel the event; returns False when it had already run or been cancelled."""
        if self.cancelled or self._sim is None:
            return False
        self.cancelled = True
        sim, self._sim = self._sim, None
        self.callback = None  # type: ignore[assignment]  # drop references early
        self.args = ()
        sim._cancelled_one()
        return True

    @property
    def pending(self) -> bool:
        """True while the event is scheduled and has neither run nor been cancelled."""
        return self._sim is not None

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else ("pending" if self._sim else "done")
        return f"<Handle t={self.time!r} {state} {self.callback!r}>"


class Simulation:
    """Virtual clock, event heap and the run's RNG.

    ``run()`` pops events in ``(time, scheduling order)`` and calls them; a
    callback's exception propagates out of ``run`` as is, with a note naming the
    event time and the callback (``BaseException.add_note``). The clock only moves
    forward: scheduling before ``now`` raises ``SchedulingError``.
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._now = 0.0
        self._heap: list[tuple[float, int, Handle]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._running = False
        self._stop = False
        self.events_run = 0

    # --- time -----------------------------------------------------------------

    @property
    def now(self) -> float:
        """Current virtual time (seconds)."""
        return self._now

    # --- scheduling -----------------------------------------------------------

    def schedule(self, delay: float, callback: Callable[..., Any], *args: Any) -> Handle:
        """Run ``callback(*args)`` ``delay`` seconds from now (``delay >= 0``, finite)."""
        if not 0.0 <= delay < _INF:
            raise SchedulingError(f"delay must be finite and >= 0, got {delay!r}")
        t = self._now + delay
        h = Handle(self, t, callback, args)
        heapq.heappush(self._heap, (t, next(self._seq), h))
        return h

    def schedule_at(self, time: float, callback: Callable[..., Any], *args: Any) -> Handle:
        """Run ``callback(*args)`` at absolute virtual ``time`` (``>= now``, finite)."""
        if not self._now <= time < _INF:
            raise SchedulingError(
                f"cannot schedule at t={time!r}: now is {self._now!r} (time never goes back)")
        h = Handle(self, time, callback, args)
        heapq.heappush(self._heap, (time, next(self._seq), h))
        return h

    def _cancelled_one(self) -> None:
        self._cancelled += 1
        heap = self._heap
        if self._cancelled > 64 and self._cancelled * 2 > len(heap):
            # Compact: keep live entries; (time, seq) keys are unchanged, so order is too.
            # In place: a running loop holds a reference to this list.
            heap[:] = [e for e in heap if not e[2].cancelled]
            heapq.heapify(heap)
            self._cancelled = 0

    # --- inspection -----------------------------------------------------------

    def peek(self) -> float | None:
        """Time of the next live event, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
            self._cancelled -= 1
        return heap[0][0] if heap else None

    @property
    def pending(self) -> int:
        """Number of live (not cancelled, not yet run) events."""
        return len(self._heap) - self._cancelled

    # --- running --------------------------------------------------------------

    def stop(self) -> None:
        """Make the current ``run`` return after the event being executed."""
        self._stop = True

    def run(self, until: float | None = None, max_events: int | None = None) -> int:
        """Run events in order; return how many ran.

        Stops when no event is left, after ``max_events`` events, on ``stop()``,
        or before the first event later than ``until`` (events *at* ``until`` run).
        When it stops because of ``until`` or an empty heap, the clock is left at
        ``until`` (if given); otherwise at the last event's time.
        """
        if self._running:
            raise SchedulingError("run() called from inside a callback")
        if until is not None and not self._now <= until:
            raise SchedulingError(f"until={until!r} is before now={self._now!r}")
        if max_events is not None and max_events < 0:
            raise SchedulingError(f"max_events must be >= 0, got {max_events!r}")
        limit = _INF if until is None else until
        budget = -1 if max_events is None else max_events
        heap = self._heap
        pop = heapq.heappop
        count = 0
        drained = False
        self._running = True
        self._stop = False
        try:
            while True:
                if count == budget or self._stop:
                    break
                if not heap:
                    drained = True
                    break
                entry = pop(heap)
                t, _, h = entry
                if t > limit:
                    heapq.heappush(heap, entry)
                    drained = True
                    break
                if h.cancelled:
                    self._cancelled -= 1
                    continue
                self._now = t
                h._sim = None
                count += 1
                try:
                    h.callback(*h.args)
                except BaseException as exc:
                    exc.add_note(f"raised by simulation event at t={t!r}: {h.callback!r}")
                    raise
        finally:
            self._running = False
            self.events_run += count
        if drained and until is not None:
            self._now = until
        return count
