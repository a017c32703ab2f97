"""The scheduler: SMs living on the node, the ready queue of their slices,
and SMs blocked on tags.

An SM enters (injected, spawned, admitted, recovered), runs slice by slice
from the ready queue, blocks on a tag and wakes, and leaves (finished,
failed, or moved on). Each queue item is a ``Ready``: the SM and the step
its next slice takes (``smvm.slices``); slices run through the one slice
pipeline (``run_slice``), here or in a driver's workers, and their outcomes
are settled here.
"""
from __future__ import annotations

from dataclasses import dataclass

import tagspace

from ..compiler import Brick
from ..errors import TagError, TagTimeout
from ..slices import Continue, Decoded, Resume, Start, Step, job_for, new_instance, run_slice
from ..vm import ErrorRecord, Failed, Finished, Paused, SMInstance, Suspended
from . import events as ev
from ._host import SMHost
from ._records import SMRecord, Waiting, acting, trip


@dataclass(frozen=True)
class Arrived(Decoded):
    """Resume an SM checked on arrival from what was checked (one decode
    per hop); ``state`` is the continuation it came with, for a driver that
    runs it elsewhere (where it is decoded again)."""

    state: bytes = b""


@dataclass(frozen=True)
class Ready:
    """One SM slice due: the SM and the step it takes."""

    record: SMRecord
    step: Step

    @property
    def kind(self) -> str:
        """"start", "resume", "arrived" or "continue" (for views and logs)."""
        return _KINDS[type(self.step)]


_KINDS = {Start: "start", Resume: "resume", Arrived: "arrived", Decoded: "arrived",
          Continue: "continue"}


class Scheduler:
    """Mixed into ``NodeCore``: what lives here and what runs next."""

    # ---- the ready queue ------------------------------------------------------------
    def _queue_start(self, record: SMRecord, entry: str, args) -> None:
        self._ready.append(Ready(record, Start(entry, args)))

    def _queue_resume(self, record: SMRecord, state: bytes, value: object = None,
                      error: BaseException | None = None) -> None:
        self._ready.append(Ready(record, Resume(state, value, error)))

    def _queue_arrived(self, record: SMRecord, state: bytes, instance: SMInstance,
                       decoded: dict) -> None:
        self._ready.append(Ready(record, Arrived(instance, decoded, state)))

    @property
    def queue_length(self) -> int:
        """SM slices waiting in the ready queue."""
        return len(self._ready)

    def queued(self) -> list[tuple[str, str]]:
        """(SM id, kind) of each slice in the ready queue, in turn order; kind
        is "start", "resume", "arrived" (checked on arrival, resumed from what
        was checked) or "continue" (paused: its slice was spent)."""
        return [(item.record.sm_id, item.kind) for item in self._ready]

    def _lives_here(self, record: SMRecord) -> bool:
        """Not left, nor replaced by a newer visit of the same SM."""
        return self._sms.get(record.sm_id) is record

    # ---- running slices -------------------------------------------------------------
    def run_ready(self) -> None:
        """Run the due SM slices here, in this process. Each SM gets at most
        one fuel slice per call: one that spends it waits at the back of the
        queue (``has_ready`` stays true) for the next call."""
        sliced: set[int] = set()
        ready = self._ready
        while ready:
            record, step = ready[0].record, ready[0].step
            if type(step) is Continue and id(record) in sliced:
                break  # its next turn is the next call's
            ready.popleft()
            if not self._lives_here(record):
                if type(step) is Continue:
                    self._abandon(step.handle)
                continue  # it left (or a newer visit of the same SM replaced it)
            outcome = run_slice(job_for(record, self.config, step), SMHost(self, record),
                                self.runners)
            if type(outcome) is Paused:
                sliced.add(id(record))
            self._settle(record, outcome)

    def take_ready(self) -> list[Ready]:
        """The SM slices due now, for a driver that runs them elsewhere (in
        worker processes); it hands each outcome back with ``settle``. A
        ``Continue`` step carries the ``handle`` of the ``Paused`` outcome the
        driver settled earlier. (An SM that came in by a hop is handed over
        as a ``Resume`` from its continuation: where it runs, it is decoded
        again.)"""
        items = []
        while self._ready:
            item = self._ready.popleft()
            record, step = item.record, item.step
            if not self._lives_here(record):
                if type(step) is Continue:
                    self._abandon(step.handle)
                continue
            if type(step) is Arrived:  # checked here; decoded again where it runs
                step = Resume(step.state)
                item = Ready(record, step)
            if type(step) is not Continue:
                record.accepted = (step, record.fuel)
            items.append(item)
        return items

    def settle(self, record: SMRecord, outcome, now: float) -> None:
        """Take the outcome of a slice run elsewhere."""
        self._now = now
        if self._lives_here(record):
            self._settle(record, outcome)
        elif isinstance(outcome, Paused):
            self._abandon(outcome.handle)

    def restart(self, record: SMRecord, now: float) -> None:
        """The SM's state in memory was lost with a worker process that
        another SM brought down: it starts again from the last state it was
        handed out from (what it did since then may be done again).

        As often as that happens: the SM that brought the worker down is the
        one that ends, so every restart costs the attacker an SM, and a count
        of restarts would let hostile neighbours end an innocent SM by killing
        its worker a few times. The work done again is charged to the SM's
        family like any other, so its family budget still bounds it."""
        self._now = now
        if not self._lives_here(record):
            return
        if record.accepted is None:
            self._settle(record, Failed(ErrorRecord(
                "WorkerKilled", "the SM was stopped: its worker process died"), record.fuel))
            return
        record.restarts += 1
        step, fuel = record.accepted
        record.fuel = fuel
        self.counters["sms_restarted"] += 1
        self._ready.append(Ready(record, step))

    def host_for(self, record: SMRecord) -> SMHost:
        """The node as the SM of ``record`` sees it (for a worker's calls)."""
        return SMHost(self, record)

    def _instance(self, record: SMRecord) -> SMInstance:
        """A fresh activation of the SM of ``record`` on this node (to decode
        an arriving state; nothing of it runs)."""
        return new_instance(job_for(record, self.config, Resume(b"")), SMHost(self, record),
                            self.runners)

    def _abandon(self, handle: object) -> None:
        abandon = getattr(handle, "abandon", None)
        if abandon is not None:
            abandon()

    # ---- living here ----------------------------------------------------------------
    def _enter(self, record: SMRecord, *, spawned: bool = False) -> None:
        """``record``'s SM lives here now (a newer visit replaces an older one)."""
        old = self._sms.get(record.sm_id)
        if old is not None:
            self.budgets.left(old.principal, old.client)
        self._sms[record.sm_id] = record
        self.budgets.entered(record.principal, spawned=spawned, client=record.client)

    def _leave(self, record: SMRecord) -> None:
        if self._sms.get(record.sm_id) is record:
            del self._sms[record.sm_id]
            self.budgets.left(record.principal, record.client)
            self._released(record)

    def _settle(self, record: SMRecord, outcome) -> None:
        # fuel spent here: the simulator turns it into virtual execution time
        spent = max(0, outcome.fuel - record.fuel)
        self.counters["fuel_used"] += spent
        self.counters["slices"] += 1
        record.fuel = outcome.fuel
        now = self._now
        overrun = self.budgets.spend(record.principal, spent, record.client)
        if overrun and isinstance(outcome, (Paused, Suspended)):
            # its family (or client) spent the fuel it may use here: the SM ends
            if isinstance(outcome, Paused):
                self._abandon(outcome.handle)
            outcome = Failed(ErrorRecord("FuelExhausted", (
                f"{overrun} on node {self.node_id} exhausted")), outcome.fuel)
        if isinstance(outcome, Paused):
            # its slice is spent: the other ready SMs go first
            self.counters["requeues"] += 1
            self._ready.append(Ready(record, Continue(outcome.handle)))
        elif isinstance(outcome, Finished):
            self.counters["sms_finished"] += 1
            self._events.append(ev.SMFinished(record.sm_id, self.node_id, outcome.value, now))
            self._report(record, True, outcome.value, None)
            self._answer_inject(record.sm_id, True, outcome.value, None, trip(record, self.node_id))
            self._leave(record)
        elif isinstance(outcome, Failed):
            self.counters["sms_failed"] += 1
            error = outcome.error.to_json()
            self._events.append(ev.SMFailed(record.sm_id, self.node_id, error, now))
            self._report(record, False, None, error)
            self._answer_inject(record.sm_id, False, None, error, trip(record, self.node_id))
            self._leave(record)
        elif outcome.request["kind"] == "migrate":
            self._start_hop(record, outcome)
        else:
            self._block(record, outcome)

    # ---- blocking on tags -----------------------------------------------------------
    def _block(self, record: SMRecord, outcome: Suspended) -> None:
        request = outcome.request
        if not self.budgets.may_block(record.principal):
            error = TagError(f"too many SMs of this family wait on tags on node {self.node_id} "
                             f"(limit {self.config.limits.max_blocked_per_family})")
            self._queue_resume(record, outcome.state, error=error)
            return
        timeout = request["timeout"]
        deadline = None if timeout is None else self._now + timeout
        as_code = acting(record.principal, request.get("code"))
        record.waiting = Waiting(outcome.state, request["tag"], timeout, as_code, self._now)
        self.budgets.block(record.principal)
        self.tagspace.wait(as_code, request["tag"], record.sm_id, deadline, now=self._now)
        self._durable(record, "blocked", continuation=outcome.state, tag=request["tag"],
                      deadline=deadline, timeout=timeout)

    def woken(self, events: tuple) -> None:
        """Tag waits that ended (``Woken`` events from the tag space): resume those SMs."""
        for event in events:
            self._wake(event.token, event.name)

    def _wake(self, token: str, name: str) -> None:
        record = self._sms.get(token)
        if record is None or record.waiting is None:
            return
        waiting, record.waiting = record.waiting, None
        self.budgets.unblock(record.principal)
        try:  # in the code domain of the brick that called block_tag
            value = self.tagspace.read(waiting.acting, name, self._now)
        except tagspace.TagSpaceError:
            value = None
        self._queue_resume(record, waiting.state, value)

    def _wait_timed_out(self, token: str, name: str) -> None:
        record = self._sms.get(token)
        if record is None or record.waiting is None:
            return
        waiting, record.waiting = record.waiting, None
        self.budgets.unblock(record.principal)
        error = TagTimeout(f"no write to tag {name!r} within {waiting.timeout:g} s")
        self._queue_resume(record, waiting.state, error=error)

    # ---- new SMs from running ones (the VM's host calls these) ------------------------
    def _spawn(self, parent: SMInstance, entry: str, args: bytes, *, brick: Brick,
               family: str | None) -> str:
        """A new SM here: same family (spawn) or a new one (create_sm, family None)."""
        sm_id = f"{self.node_id}/{self._ids + 1}"
        principal = tagspace.Principal(sm_id, family or sm_id, parent.principal.origin,
                                       brick.code_ids)
        parent_record = self._sms.get(parent.principal.sm_id)
        # charged to the inject client that started its ancestor, if any
        client = parent_record.client if parent_record is not None else None
        # a new family (create_sm) is charged to its creator's family too
        reason = self._admission(0, 0, 0, parent.principal, spawned=True, client=client) or \
            self._admission(0, 0, 0, principal, spawned=True, client=client)
        if reason:
            self._refuse_sm(sm_id, parent.principal.sm_id, reason)
            raise RuntimeError(f"cannot start another SM: {reason}")
        self._ids += 1
        record = SMRecord(sm_id, brick, principal, client=client)
        record.chain = self._birth(principal, brick, args, parent=parent.principal.sm_id,
                                   parent_chain=parent_record.chain if parent_record else None)
        self._enter(record, spawned=True)
        self._events.append(ev.SMStarted(sm_id, self.node_id, self._now, brick.name,
                                         parent.principal.sm_id))
        if family is None:
            self.budgets.count_spawn(parent.principal)
        self._queue_start(record, entry, args)
        self._durable(record, "start", entry=entry, args=args)
        return sm_id
