"""An SM's state crossing nodes: captured into a continuation, checked on
arrival against the brick, and put back into a fresh module namespace.

The continuation is one ``statecodec`` map: the format version, the brick's
hash, the entry, the captured frames (outermost first), the module's global
data (and class attributes), the defaults of module functions, the request
that suspended the SM, its fuel, and its ``random`` generator if it used one.
"""
from __future__ import annotations

from types import FunctionType
from typing import TYPE_CHECKING

import msgpack

from .. import statecodec
from ..compiler import abi
from ..continuation import FORMAT_VERSION, screen, validate_continuation
from ..errors import ContinuationError, StateDecodeError, StateEncodeError
from ..limits import MAX_ERROR_CHARS, truncate
from ..stdlib import GuestModule
from .frames import Capture
from .outcomes import ErrorRecord, Outcome, Suspended
from .references import Table, function_map, function_refs, module_functions

if TYPE_CHECKING:
    from .instance import SMInstance


def suspend(sm: SMInstance, cap: Capture, entry: str) -> Outcome:
    """What an SM a capture unwound becomes: ``Suspended`` with its
    continuation, or ``Failed`` when its state cannot travel. Called while
    the slice's budgets are armed: encoding is part of the slice."""
    if cap.broken or not cap.frames:
        return sm._failed(ErrorRecord(
            "MigrationError",
            "cannot migrate from inside a function called by builtin code "
            "(for example a key= function, or a function given to map() or sorted()) "
            "or from a generator expression"))
    frames = [[fid, point, locs] for fid, point, locs in reversed(cap.frames)]
    state = {
        "v": FORMAT_VERSION, "brick": sm.brick.hash, "entry": entry,
        "frames": frames, "globals": _global_data(sm), "defaults": _defaults(sm),
        "request": cap.request,
        "fuel": sm.fuel_used,
    }
    generator = sm.ns[abi.MODULES].default_random
    if generator is not None:  # the SM used random: its generator's state travels
        state["random"] = generator
    try:  # in the slice, whose budgets are still armed (``SMInstance._execute``)
        payload = statecodec.dumps(state, functions=function_refs(sm))
    except StateEncodeError as exc:
        return sm._failed(ErrorRecord("MigrationError", truncate(
            f"cannot carry the SM's state: {exc}", MAX_ERROR_CHARS)))
    except MemoryError:
        if sm._limits.crowded:  # its worker's room, not its budget: ``MemoryCrowded``
            raise
        return sm._failed(ErrorRecord("MemoryExhausted", "the SM's state is too large to carry"))
    return Suspended(cap.request, payload, sm.fuel_used)


def _defaults(sm: SMInstance) -> dict:
    """Default values of module-level functions: computed once on the node
    that ran the ``def`` (and mutable ones change), so they are state. The
    compiler's own ``_fr`` default stays home."""
    out = {}
    for fid, fn in module_functions(sm).items():
        defaults = fn.__defaults__ or ()
        kwdefaults = {k: v for k, v in (fn.__kwdefaults__ or {}).items()
                      if k != abi.RESUME_PARAM}
        if defaults or kwdefaults:
            out[fid] = [defaults, kwdefaults]
    return out


def _global_data(sm: SMInstance) -> dict:
    defined = sm.__dict__.get("_defined", {})
    out = {}
    for name, value in sm.module_items():
        if name.startswith("_") or type(value) is GuestModule or defined.get(name) is value:
            continue
        out[name] = value
    out.update(sm.classes.class_data())
    return out


def decode(sm: SMInstance, state: bytes, value: object, error: BaseException | None) -> dict:
    """Decode and check a continuation. Before the brick's module has run
    (an arriving SM being checked), what only the module defines — its
    functions, its classes — cannot be looked up. A module function named
    where a frame's local or a module variable holds it (the callee of the
    call a capture went through, mostly) decodes to a stand-in that
    ``settle`` replaces once the module ran; a state naming classes, or
    functions deeper in its values, is checked for its shape only (``redo``:
    decoded again once the module ran)."""
    table = Table(sm)
    try:
        cont = statecodec.loads(state, functions=table)
    except StateDecodeError:
        if not table.stopped:
            raise
        cont = screen(state, sm.brick)
    else:
        cont = validate_continuation(cont, sm.brick, sm.primitives, value, error)
        defaults = cont.get("defaults")
        if type(defaults) is not dict or any(
                type(fid) is not str or sm.brick.functions.get(fid) is None for fid in defaults):
            raise ContinuationError("invalid continuation: bad defaults")
    if "_loaded" not in sm.ns and (table.deferred or any("." in k for k in cont["globals"])):
        cont["redo"] = (state, value, error)
        if not table.stopped:
            cont["stand_ins"] = table.stand_ins
        return cont
    for name in cont["globals"]:
        if "." in name and not sm.classes.fits_class_data(name):
            raise ContinuationError(f"invalid continuation: no class attribute {name[:80]!r}")
    return cont


def settle(sm: SMInstance, cont: dict) -> dict:
    """The continuation ``decode`` returned, with what needed the module
    (which has run now) put right: the stand-ins of module functions
    replaced where frames' locals and module variables hold them, or, when
    some are elsewhere (or the state names classes), the state decoded
    again."""
    redo = cont.pop("redo", None)
    if redo is None:
        return cont
    stand_ins = cont.pop("stand_ins", None)
    if stand_ins is not None and "." not in "".join(cont["globals"]):
        functions = function_map(sm)
        holders = [frame.locals for frame in cont["frames"]]
        holders.append(cont["globals"])
        left = set(stand_ins)  # each must be found (one may be held twice)
        for holder in holders:
            for name, value in holder.items():
                if type(value) is FunctionType and id(value) in stand_ins:
                    fn = functions.get(stand_ins[id(value)][0])
                    if fn is None:  # the module did not define it: as decoding says
                        return sm._decode(*redo)
                    holder[name] = fn
                    left.discard(id(value))
        if not left:
            return cont
    return sm._decode(*redo)


def restore(sm: SMInstance, cont: dict) -> None:
    """Put a decoded continuation's data back into the SM's namespace (its
    module has run): its global data, class attributes, the defaults of its
    functions, its ``random`` generator."""
    _check_defaults(sm, cont)
    if "random" in cont:
        sm.ns[abi.MODULES].adopt_random(cont["random"])
    for name, value in cont["globals"].items():
        if "." in name:  # a class attribute: the class is rebuilt here
            sm.classes.set_class_data(name, value)
        else:
            sm.ns[name] = value
    functions = module_functions(sm) if cont["defaults"] else {}
    for fid, (defaults, kwdefaults) in cont["defaults"].items():
        fn = functions[fid]
        fn.__defaults__ = defaults or None
        if kwdefaults:
            fn.__kwdefaults__ = {**fn.__kwdefaults__, **kwdefaults}


def _check_defaults(sm: SMInstance, cont: dict) -> None:
    defaults = cont["defaults"]
    functions = module_functions(sm) if defaults else {}
    for fid, pair in defaults.items():
        fn = functions.get(fid)
        if (fn is None or type(pair) is not list or len(pair) != 2
                or type(pair[0]) is not tuple or len(pair[0]) != len(fn.__defaults__ or ())
                or type(pair[1]) is not dict or set(pair[1]) - set(fn.__kwdefaults__ or {})):
            raise ContinuationError(f"invalid continuation: defaults do not fit {fid!r}")


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
