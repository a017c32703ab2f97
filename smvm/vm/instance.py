"""Running one smart message on one node: start, capture, resume.

An ``SMInstance`` is one SM's activation on one node: a fresh module
namespace for its brick, its runtime (fuel, capture state) and the node's
primitives. ``start`` runs the entry function; ``resume`` rebuilds the stack
from a continuation received from another node. Both return an ``Outcome``:
the SM finished, failed, or asks to migrate (with its serialized state).
What crosses nodes is in ``migration``, what travels by name in
``references``; a sliced SM runs in a greenlet from ``runners``.
"""
from __future__ import annotations

import sys
import types
from itertools import islice
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import greenlet
from tagspace import Principal

from .. import guest_text, setmembers, statecodec
from ..budgets import SliceLimits
from ..compiler import Brick, abi
from ..continuation import qualname_of
from ..errors import ContinuationError, CPUTimeExhausted, SMVMError, StateEncodeError, UsageError
from ..guest_builtins import SHARED_BUILTINS, make_print
from ..guestclasses import ClassRegistry, make_attribute_builtins
from ..limits import MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS, MAX_RESULT_BYTES, truncate
from ..primitives import PRIMITIVES
from ..stdlib import Output
from ..values import Cell
from . import migration
from .defaults import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB, MAX_GUEST_DEPTH
from .frames import END, Capture
from .modules import SMModules
from .outcomes import (CROWDED, ErrorRecord, Failed, Finished, NodeHost, Outcome, Paused,
                       error_record)
from .references import Table, function_refs
from .runners import RunnerPool
from .runtime import ENTRY_CODES, RUNNING, Runtime

_NOCATCH = (MemoryError, RecursionError, SMVMError)
_PAUSED = object()  # what an SM's greenlet hands back when its slice is spent


@dataclass
class SMInstance:
    brick: Brick
    host: NodeHost
    sm_id: str = "sm"
    fuel_limit: int = DEFAULT_FUEL
    memory_mb: float | None = DEFAULT_MEMORY_MB
    fuel_used: int = 0
    principal: Any = None
    cpu_seconds: float | None = DEFAULT_CPU_SECONDS
    #: fuel units per scheduling slice (None: run to the end, no pausing)
    slice_fuel: int | None = None
    #: the idle greenlets of whoever runs this SM's slices (None: its own)
    runners: RunnerPool | None = field(default=None, repr=False)
    ns: dict = field(init=False, repr=False)
    runtime: Runtime = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rt = Runtime(self.fuel_limit, self.brick.fid_of_code, self.brick.functions)
        rt.owner = self  # how the shared primitives and builtins find this SM
        self.runtime = rt
        if self.principal is None:
            self.principal = Principal(self.sm_id, self.sm_id, str(self.host.node_id),
                                       self.brick.code_ids)
        #: code-domain part -> this SM's identity narrowed to it (``primitives``)
        self.narrowed_principals: dict = {}
        self.primitives = PRIMITIVES
        # Copied from the templates, not rebuilt: only what is bound to this
        # SM (its runtime, class registry, modules and log) is set here.
        builtins_ns = dict(_BUILTINS_TEMPLATE)
        self.classes = classes = ClassRegistry()
        builtins_ns["__build_class__"] = classes.build_class
        builtins_ns.update(make_attribute_builtins(classes))
        # print and sys.stdout: whole lines to the SM's log (charged as written)
        rt.output = self.output = Output(lambda text: self.host.log(
            self.sm_id, truncate(text, MAX_LOG_LINE_CHARS)))
        builtins_ns["print"] = make_print(self.output)
        self.ns = ns = dict(_NAMESPACE_TEMPLATE)
        ns["__builtins__"] = builtins_ns
        ns["__name__"] = self.brick.name
        abi.bind_hidden(ns, rt, classes, SMModules(self.sm_id))
        self._builtins = builtins_ns

    # ---- running -------------------------------------------------------------
    def start(self, entry: str, args: list | tuple | bytes = ()) -> Outcome:
        """Run ``entry(*args)``. ``args`` may be encoded (``statecodec``,
        as a new SM's arguments travel): they are decoded in the run, under
        its budgets, once the module has defined what they refer to."""
        def run():
            self._ensure_loaded()
            fn = self.ns.get(entry)
            if not isinstance(fn, types.FunctionType) or id(fn.__code__) not in self.brick.fid_of_code:
                raise _EntryMissing(entry)
            values = args
            if type(values) is bytes:
                values = statecodec.loads(values, functions=Table(self))
                if type(values) is not list:
                    raise ContinuationError("the arguments are not a list")
            if self.brick.fid_of_code[id(fn.__code__)] in self.brick.tick_free:
                _entry_tick(self.ns)
            return fn(*values)
        return self._run(run, entry)

    def resume(self, state: bytes, value: object = None, error: BaseException | None = None) -> Outcome:
        """Continue an SM from its serialized state: the suspension point
        returns ``value`` (or raises ``error``) and the SM runs on.

        Raises ``RemoteInputError`` (before running anything) when the state
        does not decode or does not fit this brick.
        """
        return self.resume_decoded(self._decode(state, value, error))

    def decode(self, state: bytes, value: object = None, error: BaseException | None = None) -> dict:
        """Decode and validate a continuation against this instance's brick
        (``RemoteInputError`` when it does not fit), for ``resume_decoded``:
        a receiving node checks an arriving SM once, then runs what it checked.

        Nothing of the brick runs here: references to functions its module
        defines are checked against the compiled brick, and such a state is
        decoded again, in the run, under the SM's budgets."""
        cont = self._decode(state, value, error)
        self.fuel_used = cont["fuel"]
        return cont

    def resume_decoded(self, cont: dict) -> Outcome:
        """Continue from a continuation that ``decode`` returned (once)."""
        def run():
            nonlocal cont
            self._ensure_loaded()
            cont = migration.settle(self, cont)  # what only the module defines
            migration.restore(self, cont)
            head = cont["frames"][0]
            info = self.brick.functions[head.fid]
            fn = self.ns.get(qualname_of(head.fid))
            if type(fn) is not types.FunctionType or fn.__code__ is not info.code:
                # the SM rebound its entry's name: run the original code
                fn = types.FunctionType(info.code, self.ns, info.code.co_name)
            return fn(*[None] * info.required_positional, _fr=head,
                      **{k: None for k in info.required_keywords})
        return self._run(run, cont["entry"])

    def _ensure_loaded(self) -> None:
        if "_loaded" not in self.ns:
            self._load_module()
            self.ns["_loaded"] = True

    def _load_module(self) -> None:
        for code in self.brick.prelude:  # the bricks linked in, dependencies first
            exec(code, self.ns)  # noqa: S102 - code produced by the SM compiler
        exec(self.brick.code, self.ns)  # noqa: S102 - code produced by the SM compiler
        # What the module body defines is rebuilt on every node: only names
        # the SM rebinds later travel as data.
        self._defined = {name: value for name, value in self.module_items()
                         if (type(value) is types.FunctionType
                             or (type(value) is type and value in self.classes.classes))
                         and not name.startswith("_")}

    def module_items(self) -> Iterator[tuple[str, Any]]:
        """The (name, value) pairs of the SM's namespace past the hidden
        names every namespace starts with: what its bricks and its code put
        there, in order. Those hidden names come first (the namespace is a
        copy of ``_NAMESPACE_TEMPLATE``) and guest code cannot remove them
        (names starting with '_' are reserved), so they are skipped in C
        instead of tested one by one on every capture; should the last of
        them not sit where it should, every item is given."""
        ns = self.ns
        if len(ns) >= _TEMPLATE_SIZE and next(islice(ns, _TEMPLATE_SIZE - 1, None)) == _LAST_HIDDEN:
            return islice(ns.items(), _TEMPLATE_SIZE, None)
        return iter(ns.items())

    def _run(self, body: Callable[[], object], entry: str) -> Outcome:
        rt = self.runtime
        rt.unwinding = False
        rt.start_fuel(self.fuel_used)
        self._entry = entry
        self._limits = SliceLimits(self.memory_mb, self.cpu_seconds, self._cpu_expired,
                                   MAX_GUEST_DEPTH)
        if self.slice_fuel is None:
            return self._conclude(self._execute(body))
        # Sliced: the SM runs in its own greenlet, which the runtime's fuel
        # top-up switches away from once the slice is spent (see ``_pause``).
        if self.runners is None:
            self.runners = RunnerPool()
        green = self._green = self.runners.take()
        green.parent = greenlet.getcurrent()
        return self._switch_in(green, self, body)

    def proceed(self) -> Outcome:
        """Run the next fuel slice of an SM that returned ``Paused``."""
        green = self.__dict__.get("_green")
        if green is None or green.dead:
            raise UsageError("this SM is not paused")
        green.parent = greenlet.getcurrent()
        return self._switch_in(green)

    def _switch_in(self, green: greenlet.greenlet, *args) -> Outcome:
        """Run a slice in the SM's greenlet. The recursion limit is global to
        the thread and the SM sets its own inside; whatever way the slice
        ends (paused at its depth edge, failed while arming), the caller gets
        its own limit back, and its own running SM: a paused slice leaves
        the greenlet with ``RUNNING`` still naming it."""
        limit = sys.getrecursionlimit()
        outer = RUNNING.rt
        try:
            return self._conclude(green.switch(*args))
        finally:
            RUNNING.rt = outer
            if sys.getrecursionlimit() != limit:
                sys.setrecursionlimit(limit)

    def release(self) -> None:
        """Let go of an activation whose run here is over (``Suspended``: it
        moved on or waits, and all of it is in its continuation's bytes).

        Its namespace, builtins, runtime and class registry hold one another
        in reference cycles (functions' globals, bound methods, the runtime's
        owner), so an activation dropped as it is waits for the garbage
        collector, whose passes then walk every arriving SM's namespace
        again. Emptied here, it is freed at once. Nothing of it runs after:
        the next slice of the SM is a new activation."""
        self.ns.clear()
        self._builtins.clear()
        self.classes.classes.clear()
        self.__dict__.pop("_refs_cache", None)  # it may name this SM
        rt = self.runtime
        rt.owner = rt.output = rt.pause = None
        rt.loop_fuel = rt._loop_units = None
        self.output = self._limits = None

    def abandon(self) -> None:
        """Drop a paused SM without running any more of its code (its
        ``finally`` blocks stay quiet, as when it runs out of fuel)."""
        green = self.__dict__.pop("_green", None)
        if green is not None and not green.dead:
            green.parent = greenlet.getcurrent()
            green.throw(greenlet.GreenletExit)
            self.__dict__.pop("_executed", None)
            self.runners.give(green)

    def _pause(self) -> None:
        """The slice is spent (called by ``Runtime.refuel`` in the SM's
        greenlet): leave the budgets, let the scheduler run others, and come
        back with the budgets entered again and a new slice."""
        rt = self.runtime
        self._limits.leave(keep_recursion=True)  # the scheduler restores it, see _conclude
        try:
            self._green.parent.switch(_PAUSED)
        except greenlet.GreenletExit:
            rt.unwinding = True  # dropped: no guest finally runs on the way out
            raise
        self._limits.enter()
        RUNNING.rt = rt
        rt.slice_end = rt.fuel_used() + self.slice_fuel

    def _execute(self, body: Callable[[], object]) -> tuple:
        """Run the guest code under the budgets: (value, the outcome of a
        capture, exception)."""
        rt = self.runtime
        limits = self._limits
        value = captured = ended = None
        outer, RUNNING.rt = RUNNING.rt, rt
        if self.slice_fuel is not None:
            rt.slice_end = rt.fuel_used() + self.slice_fuel
            rt.pause = self._pause
        returned = False
        try:
            try:
                limits.enter()
                value = body()
                returned = True
            except Capture as cap:
                # encoded here, inside the budgets armed for the slice, not
                # under a second memory budget of its own
                self.fuel_used = rt.fuel_used()
                captured = migration.suspend(self, cap, self._entry)
                # its frames are in the continuation now; the traceback's
                # frames and the SM's objects would hold each other in a cycle
                cap.__traceback__ = None
            finally:
                # only a returned value is encoded after this, under what the
                # slices left of the memory budget (``SliceLimits.outside``)
                limits.leave(count_growth=returned)
                self.output.flush()  # an open line is logged where it was printed
        except BaseException as exc:  # noqa: BLE001 - guest code may raise anything
            ended = exc
        RUNNING.rt = outer
        rt.slice_end = rt.pause = None
        return value, captured, ended

    def _conclude(self, result: object) -> Outcome:
        rt = self.runtime
        if result == ():  # a runner finished the SM's last slice
            result = self.__dict__.pop("_executed")
        if result is _PAUSED:
            self._limits.restore_recursion()  # out of the SM's deep stack now
            self.fuel_used = rt.fuel_used()
            return Paused(self.fuel_used, self)
        green = self.__dict__.pop("_green", None)
        if green is not None:
            self.runners.give(green)  # its loop waits for the next SM
        value, captured, ended = result  # type: ignore[misc]
        self.fuel_used = rt.fuel_used()
        if isinstance(ended, _EntryMissing):
            return self._failed(ErrorRecord("EntryError", f"the brick has no function '{ended.args[0]}'"))
        if isinstance(ended, MemoryError) and self._limits.crowded:
            # its process had less room than its budget still owed it (others
            # hold the rest): not its own fault, so its driver may run it again
            return self._failed(CROWDED)
        if ended is not None:
            return self._failed(error_record(ended, self.brick.name, self.memory_mb))
        if captured is None:
            try:
                try:
                    with self._limits.outside():
                        try:
                            blob = statecodec.dumps(value)
                        except StateEncodeError:  # functions in it, maybe: build the table
                            blob = None  # retried past the handler, whose traceback holds the first try
                        if blob is None:
                            blob = statecodec.dumps(value, functions=function_refs(self))
                except MemoryError:
                    if self._limits.crowded:  # as in a slice: others hold the room
                        return self._failed(CROWDED)
                    raise StateEncodeError("it does not fit in the memory budget") from None
            except StateEncodeError as exc:
                return self._failed(ErrorRecord(
                    "ResultError", truncate(f"result cannot be returned: {exc}", MAX_ERROR_CHARS)))
            if len(blob) > MAX_RESULT_BYTES:
                return self._failed(ErrorRecord(
                    "ResultError", f"result of {len(blob):,} bytes exceeds the limit of "
                    f"{MAX_RESULT_BYTES:,} bytes"))
            return Finished(value, self.fuel_used)
        return captured  # the outcome ``migration.suspend`` gave in the slice

    def _cpu_expired(self) -> None:
        self.runtime.unwinding = True
        raise CPUTimeExhausted(f"CPU time budget of {self.cpu_seconds:g} s exhausted")

    def _failed(self, record: ErrorRecord) -> Failed:
        return Failed(record, self.fuel_used)

    def function_refs(self) -> Mapping[int, str]:
        """id -> reference, for encoding values of this SM (while it runs)."""
        return function_refs(self)

    def function_table(self) -> Mapping[str, object]:
        """reference -> object, for decoding values of this SM (while it runs)."""
        return Table(self)

    def _decode(self, state: bytes, value: object, error: BaseException | None) -> dict:
        """Decode and check a continuation for this SM (``migration.decode``)."""
        return migration.decode(self, state, value, error)


def _entry_tick(ns: dict) -> None:
    """The tick an entry without one of its own (``Brick.tick_free``) takes
    as the host calls it: every started call costs a unit, as any call."""
    try:
        ns[abi.FUEL_POP]()
    except IndexError:
        ns[abi.REFUEL]()


def _register_entry_codes() -> None:
    for method in (SMInstance.start, SMInstance.resume_decoded):
        for const in method.__code__.co_consts:
            if isinstance(const, types.CodeType) and const.co_name == "run":
                ENTRY_CODES.add(const)


class _EntryMissing(Exception):
    pass


#: What every SM's ``__builtins__`` starts as: the shared builtins and primitives.
_BUILTINS_TEMPLATE: dict[str, Any] = {**SHARED_BUILTINS, **PRIMITIVES}
#: What every SM's module namespace starts as (one fixed order: saving an SM
#: iterates its namespace); ``abi.bind_hidden`` fills in the per-SM names.
_NAMESPACE_TEMPLATE: dict[str, Any] = {
    "__builtins__": None, "__name__": None,
    **abi.hidden_namespace(Runtime(0, {}, {}), ClassRegistry(), SMModules(""), capture=Capture,
                           cell=Cell, end=END, nocatch=_NOCATCH, text=guest_text,
                           sets=setmembers),
}
for _name in abi.PER_SM_HIDDEN:
    _NAMESPACE_TEMPLATE[_name] = None
_TEMPLATE_SIZE = len(_NAMESPACE_TEMPLATE)
_LAST_HIDDEN = next(reversed(_NAMESPACE_TEMPLATE))


_register_entry_codes()
