"""Running one smart message on one node: start, capture, resume.

An ``SMInstance`` is one SM's activation on one node: a fresh module
namespace for its brick, its runtime (fuel, capture state) and the node's
primitives. ``start`` runs the entry function; ``resume`` rebuilds the stack
from a continuation received from another node. Both return an ``Outcome``:
the SM finished, failed, or asks to migrate (with its serialized state).
"""
from __future__ import annotations

import sys
import threading
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import greenlet
import msgpack
from tagspace import Principal

from . import guest_text, statecodec
from .budgets import SliceLimits, memory_budget
from .compiler import Brick, abi
from .continuation import FORMAT_VERSION, qualname_of, screen, validate_continuation
from .errors import (
    ContinuationError, CPUTimeExhausted, SMTerminated, SMVMError, StateDecodeError, StateEncodeError,
    UsageError,
)
from .guest_builtins import (
    GUARDED_NAMES, GUEST_MODULES, MODULE_NAMESPACES, STATIC_REFS, STATIC_TABLE, make_builtins,
    make_print,
)
from .guestclasses import ClassRegistry, is_guest_class, make_attribute_builtins
from .limits import MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS, MAX_RESULT_BYTES, safe_repr, truncate
from .primitives import make_primitives
from .runtime import END, ENTRY_CODES, RUNNING, Capture, Frame, PrimitiveResume, Runtime
from .stdlib import GuestModule, GuestRandom, Output, random_module
from .values import GUEST_EXCEPTIONS, Cell

#: Defaults chosen so an endless loop or allocation ends within seconds.
DEFAULT_FUEL = 100_000_000
DEFAULT_MEMORY_MB = 256.0
#: CPU seconds one execution slice may use (backstop for long C operations).
DEFAULT_CPU_SECONDS = 10.0
MAX_GUEST_DEPTH = 400

_GUEST_EXCEPTION_TYPES = tuple(GUEST_EXCEPTIONS.values())

_NOCATCH = (MemoryError, RecursionError, SMVMError)


class NodeHost(Protocol):
    """What the VM needs from the node an SM runs on."""

    node_id: Any

    def neighbors(self) -> list: ...

    def now(self) -> float: ...

    tagspace: Any  # tagspace.TagSpace

    def wake(self, woken: tuple) -> None: ...

    def spawn(self, parent: "SMInstance", entry: str, args: bytes) -> str: ...

    def create_sm(self, parent: "SMInstance", brick: str, entry: str, args: bytes) -> str: ...

    def log(self, sm_id: str, text: str) -> None: ...


@dataclass(frozen=True)
class ErrorRecord:
    """Why an SM ended without a result."""

    type: str
    message: str
    line: int | None = None

    def to_json(self) -> dict:
        return {"type": self.type, "message": self.message, "line": self.line}


@dataclass(frozen=True)
class Finished:
    value: object
    fuel: int


@dataclass(frozen=True)
class Failed:
    error: ErrorRecord
    fuel: int


@dataclass(frozen=True)
class Suspended:
    """The SM stopped at a suspension point; ``state`` resumes it elsewhere
    (``request["kind"]`` is "migrate" with a "target", or "block" with a
    "tag" and a "timeout")."""

    request: dict
    state: bytes
    fuel: int

    @property
    def target(self) -> object:
        return self.request.get("target")


@dataclass(frozen=True)
class Paused:
    """The SM spent its fuel slice and waits, alive in this process, for its
    next one: ``handle.proceed()`` runs it (``handle`` is the SMInstance, or
    what a driver that runs SMs elsewhere uses to reach it)."""

    fuel: int
    handle: Any


Migrate = Suspended  # the common case's name
Outcome = Finished | Failed | Suspended | Paused
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
    ns: dict = field(init=False, repr=False)
    runtime: Runtime = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rt = Runtime(self.fuel_limit, self.brick.fid_of_code, self.brick.functions)
        self.runtime = rt
        if self.principal is None:
            self.principal = Principal(self.sm_id, self.sm_id, str(self.host.node_id),
                                       self.brick.code_ids)
        self.primitives = make_primitives(self)
        builtins_ns = make_builtins(rt)
        builtins_ns.update(self.primitives)
        self.classes = classes = ClassRegistry()
        builtins_ns["__build_class__"] = classes.build_class
        builtins_ns.update(make_attribute_builtins(classes))
        # print and sys.stdout: whole lines to the SM's log (charged as written)
        rt.output = self.output = Output(lambda text: self.host.log(
            self.sm_id, truncate(text, MAX_LOG_LINE_CHARS)))
        builtins_ns["print"] = make_print(self.output)
        ns: dict[str, Any] = {
            "__builtins__": builtins_ns, "__name__": self.brick.name,
            **abi.hidden_namespace(rt, classes, _Modules(self.sm_id), capture=Capture, cell=Cell,
                                   end=END, nocatch=_NOCATCH,
                                   text=guest_text),
        }
        self.ns = ns
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
                values = statecodec.loads(values, functions=self._function_table())
                if type(values) is not list:
                    raise ContinuationError("the arguments are not a list")
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
            redo = cont.get("redo")
            if redo is not None:  # it names module functions: decode with them
                cont = self._decode(*redo)
            self._check_defaults(cont)
            if "random" in cont:
                self.ns[abi.MODULES].adopt_random(cont["random"])
            for name, value in cont["globals"].items():
                if "." in name:  # a class attribute: the class is rebuilt here
                    self.classes.set_class_data(name, value)
                else:
                    self.ns[name] = value
            functions = self._module_functions() if cont["defaults"] else {}
            for fid, (defaults, kwdefaults) in cont["defaults"].items():
                fn = functions[fid]
                fn.__defaults__ = defaults or None
                if kwdefaults:
                    fn.__kwdefaults__ = {**fn.__kwdefaults__, **kwdefaults}
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
        self._defined = {name: value for name, value in self.ns.items()
                         if (type(value) is types.FunctionType
                             or (type(value) is type and value in self.classes.classes))
                         and not name.startswith("_")}

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
        green = self._green = _runner()
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

    def abandon(self) -> None:
        """Drop a paused SM without running any more of its code (its
        ``finally`` blocks stay quiet, as when it runs out of fuel)."""
        green = self.__dict__.pop("_green", None)
        if green is not None and not green.dead:
            green.parent = greenlet.getcurrent()
            green.throw(greenlet.GreenletExit)
            self.__dict__.pop("_executed", None)
            _idle_runners().append(green)

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
        """Run the guest code under the budgets: (value, capture, exception)."""
        rt = self.runtime
        limits = self._limits
        value = captured = ended = None
        outer, RUNNING.rt = RUNNING.rt, rt
        if self.slice_fuel is not None:
            rt.slice_end = rt.fuel_used() + self.slice_fuel
            rt.pause = self._pause
        try:
            try:
                limits.enter()
                value = body()
            except Capture as cap:
                captured = cap
            finally:
                limits.leave()
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
            _idle_runners().append(green)  # its loop waits for the next SM
        value, captured, ended = result  # type: ignore[misc]
        entry = self._entry
        self.fuel_used = rt.fuel_used()
        if isinstance(ended, _EntryMissing):
            return self._failed(ErrorRecord("EntryError", f"the brick has no function '{ended.args[0]}'"))
        if ended is not None:
            return self._failed(self._record(ended))
        if captured is None:
            try:
                try:
                    with memory_budget(self.memory_mb):
                        try:
                            blob = statecodec.dumps(value)
                        except StateEncodeError:  # functions in it, maybe: build the table
                            blob = statecodec.dumps(value, functions=self._function_refs())
                except MemoryError:
                    raise StateEncodeError("it does not fit in the memory budget") from None
            except StateEncodeError as exc:
                return self._failed(ErrorRecord(
                    "ResultError", truncate(f"result cannot be returned: {exc}", MAX_ERROR_CHARS)))
            if len(blob) > MAX_RESULT_BYTES:
                return self._failed(ErrorRecord(
                    "ResultError", f"result of {len(blob):,} bytes exceeds the limit of "
                    f"{MAX_RESULT_BYTES:,} bytes"))
            return Finished(value, self.fuel_used)
        return self._after_capture(captured, entry)

    def _cpu_expired(self) -> None:
        self.runtime.unwinding = True
        raise CPUTimeExhausted(f"CPU time budget of {self.cpu_seconds:g} s exhausted")

    def _failed(self, record: ErrorRecord) -> Failed:
        return Failed(record, self.fuel_used)

    def _record(self, exc: BaseException) -> ErrorRecord:
        record = self._describe(exc)
        if len(record.message) > MAX_ERROR_CHARS:
            record = ErrorRecord(record.type, truncate(record.message, MAX_ERROR_CHARS), record.line)
        return record

    def _describe(self, exc: BaseException) -> ErrorRecord:
        line = self._guest_line(exc)
        exc.__traceback__ = None  # free what the guest allocated
        if isinstance(exc, SMTerminated):
            return ErrorRecord(exc.kind, str(exc), line)
        if isinstance(exc, MemoryError):
            budget = f"memory budget of {self.memory_mb:g} MB" if self.memory_mb else "memory"
            return ErrorRecord("MemoryExhausted", f"{budget} exhausted", line)
        if isinstance(exc, RecursionError):
            return ErrorRecord("RecursionLimit", f"recursion deeper than {MAX_GUEST_DEPTH} calls", line)
        if isinstance(exc, (ContinuationError, StateDecodeError)):
            return ErrorRecord(type(exc).__name__, str(exc), line)
        if isinstance(exc, SMVMError):
            return ErrorRecord("VMBug", f"{type(exc).__name__}: {_message(exc)}", line)
        if isinstance(exc, _GUEST_EXCEPTION_TYPES) or type(exc) in (SystemExit, KeyboardInterrupt, GeneratorExit):
            return ErrorRecord(type(exc).__name__, _message(exc), line)
        return ErrorRecord("VMBug", f"{type(exc).__name__}: {_message(exc)}", line)

    def _guest_line(self, exc: BaseException) -> int | None:
        line = getattr(exc, "_smvm_line", None)
        if type(line) is int:
            return line  # raised on an earlier node, carried here
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.brick.name:
                line = tb.tb_lineno
            tb = tb.tb_next
        return line

    # ---- capture -> continuation -------------------------------------------------
    def _after_capture(self, cap: Capture, entry: str) -> Outcome:
        if cap.broken or not cap.frames:
            return self._failed(ErrorRecord(
                "MigrationError",
                "cannot migrate from inside a function called by builtin code "
                "(for example a key= function, or a function given to map() or sorted()) "
                "or from a generator expression"))
        frames = [[fid, point, locs] for fid, point, locs in reversed(cap.frames)]
        state = {
            "v": FORMAT_VERSION, "brick": self.brick.hash, "entry": entry,
            "frames": frames, "globals": self._global_data(), "defaults": self._defaults(),
            "request": cap.request,
            "fuel": self.fuel_used,
        }
        generator = self.ns[abi.MODULES].default_random
        if generator is not None:  # the SM used random: its generator's state travels
            state["random"] = generator
        try:
            with memory_budget(self.memory_mb):
                payload = statecodec.dumps(state, functions=self._function_refs())
        except StateEncodeError as exc:
            return self._failed(ErrorRecord("MigrationError", truncate(
                f"cannot carry the SM's state: {exc}", MAX_ERROR_CHARS)))
        except MemoryError:
            return self._failed(ErrorRecord("MemoryExhausted", "the SM's state is too large to carry"))
        return Suspended(cap.request, payload, self.fuel_used)

    def _module_functions(self) -> dict[str, types.FunctionType]:
        fid_of_code = self.brick.fid_of_code
        return {fid_of_code[id(v.__code__)]: v for v in self.ns.values()
                if type(v) is types.FunctionType and id(v.__code__) in fid_of_code
                and not v.__closure__ and "<locals>" not in v.__qualname__}

    def _defaults(self) -> dict:
        """Default values of module-level functions: computed once on the node
        that ran the ``def`` (and mutable ones change), so they are state. The
        compiler's own ``_fr`` default stays home."""
        out = {}
        for fid, fn in self._module_functions().items():
            defaults = fn.__defaults__ or ()
            kwdefaults = {k: v for k, v in (fn.__kwdefaults__ or {}).items()
                          if k != abi.RESUME_PARAM}
            if defaults or kwdefaults:
                out[fid] = [defaults, kwdefaults]
        return out

    def _global_data(self) -> dict:
        defined = self.__dict__.get("_defined", {})
        out = {}
        for name, value in self.ns.items():
            if name.startswith("_") or type(value) is GuestModule or defined.get(name) is value:
                continue
            out[name] = value
        out.update(self.classes.class_data())
        return out

    def _module_function_map(self) -> dict[str, types.FunctionType]:
        """fid -> this SM's module-level function (they travel by name)."""
        cached = self.__dict__.get("_fn_cache")
        if cached is not None:
            return cached
        fid_of_code = self.brick.fid_of_code
        fns = {}
        for value in self.ns.values():
            # Module-level defs travel by name; closures kept in globals travel
            # as code plus cells, like any other nested function.
            if type(value) is types.FunctionType and id(value.__code__) in fid_of_code \
                    and not value.__closure__ and "<locals>" not in value.__qualname__:
                fns[fid_of_code[id(value.__code__)]] = value
        for code_id, method in self.classes.methods().items():
            fid = fid_of_code.get(code_id)
            if fid is not None:
                fns[fid] = method  # methods travel by name too (also those using super())
        if "_loaded" in self.ns:  # module functions are all defined by now
            self._fn_cache = fns
        return fns

    def _function_refs(self) -> Mapping[int, str]:
        """id(object) -> reference, for everything that travels by name
        (code objects too: nested functions travel as code plus cells)."""
        refs = self.__dict__.get("_refs_cache")
        if refs is None:
            own = {id(self._builtins[name]): "builtin:" + name for name in GUARDED_NAMES}
            own.update((id(fn), "prim:" + name) for name, fn in self.primitives.items())
            own.update((id(fn), "fn:" + fid) for fid, fn in self._module_function_map().items())
            own.update((id(cls), ref) for cls, ref in self.classes.classes.items())
            own.update(self.ns[abi.MODULES].refs())
            own.update((id(cls), "nt:" + name) for name, cls in self.runtime.namedtuples.items())
            refs = _Refs(own, self.brick.fid_of_code)
            if "_fn_cache" in self.__dict__:  # complete: the same until this SM ends here
                self._refs_cache = refs
        return refs

    def _function_table(self) -> Mapping[str, object]:
        """reference -> object: looked up on demand (a state names few)."""
        return _Table(self)

    def function_refs(self) -> Mapping[int, str]:
        """id -> reference, for encoding values of this SM (while it runs)."""
        return self._function_refs()

    def function_table(self) -> Mapping[str, object]:
        """reference -> object, for decoding values of this SM (while it runs)."""
        return self._function_table()

    def _decode(self, state: bytes, value: object, error: BaseException | None) -> dict:
        """Decode and check a continuation. Before the brick's module has run
        (an arriving SM being checked), what only the module defines — its
        functions, its classes — cannot be looked up: such a state is
        checked for its shape only (``redo``: decoded again once it ran)."""
        table = _Table(self)
        try:
            cont = statecodec.loads(state, functions=table)
        except StateDecodeError:
            if not table.stopped:
                raise
            cont = screen(state, self.brick)
        else:
            cont = validate_continuation(cont, self.brick, self.primitives, value, error)
            defaults = cont.get("defaults")
            if type(defaults) is not dict or any(
                    type(fid) is not str or self.brick.functions.get(fid) is None for fid in defaults):
                raise ContinuationError("invalid continuation: bad defaults")
        if "_loaded" not in self.ns and (table.deferred or any("." in k for k in cont["globals"])):
            cont["redo"] = (state, value, error)
            return cont
        for name in cont["globals"]:
            if "." in name and not self.classes.fits_class_data(name):
                raise ContinuationError(f"invalid continuation: no class attribute {name[:80]!r}")
        return cont

    def _check_defaults(self, cont: dict) -> None:
        defaults = cont["defaults"]
        functions = self._module_functions() if defaults else {}
        for fid, pair in defaults.items():
            fn = functions.get(fid)
            if (fn is None or type(pair) is not list or len(pair) != 2
                    or type(pair[0]) is not tuple or len(pair[0]) != len(fn.__defaults__ or ())
                    or type(pair[1]) is not dict or set(pair[1]) - set(fn.__kwdefaults__ or {})):
                raise ContinuationError(f"invalid continuation: defaults do not fit {fid!r}")


class _Modules(dict):
    """The modules one SM's ``import`` statements find: the shared ones,
    and its own ``random`` (made when first imported)."""

    def __init__(self, sm_id: str):
        super().__init__(GUEST_MODULES)
        self.sm_id = sm_id
        self.default_random: object = None

    def __missing__(self, name: str) -> GuestModule:
        if name != "random":
            raise KeyError(name)
        module, self.default_random = random_module(self.sm_id)
        self["random"] = module
        return module

    def adopt_random(self, generator: object) -> None:
        """Continue the sequence a continuation's default generator had."""
        if type(generator) is not GuestRandom:
            raise ContinuationError("invalid continuation: bad random generator")
        self["random"]  # noqa: B018 - made if not yet
        self.default_random.setstate(generator.getstate())

    def refs(self) -> dict[int, str]:
        module = self.get("random")
        if module is None:
            return {}
        return {id(v): "random:" + k for k, v in vars(module).items() if not k.startswith("_")}

    def member(self, name: str, default: object = None) -> object:
        return getattr(self["random"], name, default) if not name.startswith("_") else default


class _Refs(dict):
    """id -> reference: this SM's own objects, then the objects shared by
    every SM (not copied), then the brick's code objects (``code:`` refs)."""

    __slots__ = ("codes",)

    def __init__(self, own: dict, codes: dict[int, str]):
        super().__init__(own)
        self.codes = codes

    def get(self, key, default=None):
        value = dict.get(self, key)
        if value is not None:
            return value
        value = STATIC_REFS.get(key)
        if value is not None:
            return value
        fid = self.codes.get(key)
        return "code:" + fid if fid is not None else default


_GUARDED = frozenset(GUARDED_NAMES)


def _stand_in() -> None:
    """What a module function's reference decodes to while an arriving SM is
    only checked (its module has not run, so the function does not exist)."""


_STAND_IN = _stand_in


class _Table:
    """reference -> object for one SM, resolved on demand: building the whole
    table for every SM that arrives costs more than the few lookups its state
    needs."""

    __slots__ = ("sm", "deferred", "stopped")

    def __init__(self, sm: "SMInstance"):
        self.sm = sm
        #: a module function was named before the module ran (the SM is only
        #: being checked): a stand-in was used, the real decode comes later
        self.deferred = False
        self.stopped = False  # a class was named before the module ran

    def get(self, ref: str, default=None):
        kind, _, name = ref.partition(":")
        sm = self.sm
        if kind == "builtin" and name in _GUARDED:
            return sm._builtins[name]
        if kind == "prim":
            return sm.primitives.get(name, default)
        if kind == "fn":
            if "_loaded" not in sm.ns:
                info = sm.brick.functions.get(name)
                if info is None or "<locals>" in info.code.co_qualname:
                    return default
                self.deferred = True
                return _STAND_IN
            return sm._module_function_map().get(name, default)
        if kind == "class":
            if "_loaded" not in sm.ns:
                # the module defines it: the decode stops here, and only the
                # state's shape is checked until the module has run
                self.deferred = self.stopped = True
                return default
            return sm.classes.by_ref.get(ref, default)
        if kind == "code":
            info = sm.brick.functions.get(name)
            return (info.code, sm.ns) if info is not None else default
        if kind == "random":
            return sm.ns[abi.MODULES].member(name, default)
        if kind == "nt":
            if "_loaded" not in sm.ns:
                self.deferred = self.stopped = True
                return default
            return sm.runtime.namedtuples.get(name, default)
        return STATIC_TABLE.get(ref, default)

    def __getitem__(self, ref: str):
        value = self.get(ref)
        if value is None:
            raise KeyError(ref)
        return value

    def __contains__(self, ref: object) -> bool:
        return type(ref) is str and self.get(ref) is not None


_runners = threading.local()


def _idle_runners() -> list:
    idle = _runners.__dict__.get("idle")
    if idle is None:
        idle = _runners.idle = []
    return idle


def _runner() -> greenlet.greenlet:
    """A greenlet to run one SM's slices in. Runners are reused (a fresh
    greenlet's first switch costs far more than a switch): each loops,
    running ``instance._execute(body)`` for whoever switches in with
    ``(instance, body)``, and hands the result back to its parent."""
    idle = _idle_runners()
    while idle:
        green = idle.pop()
        if not green.dead:
            return green
    return greenlet.greenlet(_run_slices)


def _run_slices(instance: "SMInstance", body: Callable[[], object]) -> None:
    while True:
        # the result goes back through the instance: an idle runner's frame
        # keeps nothing of the SM alive
        instance._executed = instance._execute(body)
        del instance, body
        instance, body = greenlet.getcurrent().parent.switch()


def _no_ext(code: int, data: bytes) -> None:
    return None


def continuation_brick(state: bytes) -> str:
    """The id of the brick a serialized SM runs, read without decoding the
    rest (a receiver needs it to pick the brick before anything else)."""
    brick = None
    try:
        # only the top map's keys and the brick's value are read: the rest is
        # skipped over (decoding it is the receiver's next step)
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, ext_hook=_no_ext,
                                    max_buffer_size=max(len(state), 1))
        unpacker.feed(state)
        for _ in range(unpacker.read_map_header()):
            if unpacker.unpack() == "brick":
                brick = unpacker.unpack()
                break
            unpacker.skip()
    except Exception as exc:  # noqa: BLE001 - whatever malformed bytes raise
        raise ContinuationError(f"unreadable continuation: {type(exc).__name__}") from None
    if type(brick) is not str or len(brick) != 64:
        raise ContinuationError("the continuation names no brick")
    return brick


def _register_entry_codes() -> None:
    for method in (SMInstance.start, SMInstance.resume_decoded):
        for const in method.__code__.co_consts:
            if isinstance(const, types.CodeType) and const.co_name == "run":
                ENTRY_CODES.add(const)


class _EntryMissing(Exception):
    pass


def _message(exc: BaseException) -> str:
    """The text of a guest exception, which may be huge or fail to convert
    (an int past Python's digit limit): bounded, and never raising. Never a
    guest __str__/__repr__: the SM has ended, host code writes this."""
    try:
        if isinstance(exc, KeyError) and len(exc.args) == 1:
            return safe_repr(exc.args[0], MAX_ERROR_CHARS)
        if is_guest_class(type(exc)) or any(is_guest_class(type(a)) for a in exc.args):
            return truncate(", ".join(safe_repr(a, MAX_ERROR_CHARS) if type(a) is not str else a
                                      for a in exc.args), MAX_ERROR_CHARS)
        if len(exc.args) == 1 and type(exc.args[0]) is str:
            return truncate(exc.args[0], MAX_ERROR_CHARS)
        return truncate(guest_text.scrub(str(exc)), MAX_ERROR_CHARS)
    except (ValueError, RecursionError, MemoryError, OverflowError, TypeError) as err:
        return f"<message that cannot be shown: {type(err).__name__}>"


_register_entry_codes()
