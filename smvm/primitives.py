"""The SM primitives: what SM code calls to move, use tags and make SMs.

One set serves every SM: a primitive finds the SM that calls it, with its
node and identity (a ``tagspace.Principal`` held by the VM, never by SM
code), through the runtime the VM marks as running. Tag-space errors
become the guest exceptions SM code can catch.

In an SM made of several bricks, a tag operation acts in the code domain of
at most one brick (``smvm.code_domains``): a routing brick's route tags
(created in its code domain) can be read and written by that brick's code in
any SM that carries it, and by other code -- even in the same SM -- only
through the functions that brick marks ``@own_domain``.
"""
from __future__ import annotations

import dataclasses
import sys
import types
from typing import TYPE_CHECKING, Callable

import tagspace

from . import statecodec
from .code_domains import acting_part
from .guest_text import guest_str
from .errors import (
    MigrationError, StateEncodeError, TagAccessError, TagError, TagExists, TagNotFound,
    TagQuotaError, VMBug,
)
from .limits import MAX_LOG_LINE_CHARS, truncate
from .vm.frames import Capture
from .vm.guards import C_ITEMS_PER_FUEL
from .vm.runtime import RUNNING

if TYPE_CHECKING:  # pragma: no cover
    from .vm import SMInstance

_MAX_TIMEOUT = 10.0 ** 9


def guest_error(exc: tagspace.TagSpaceError) -> Exception:
    """The exception SM code sees for a tag-space refusal."""
    message = str(exc)
    if isinstance(exc, tagspace.AccessDenied):  # ReadOnlyTag included
        return TagAccessError(message)
    if isinstance(exc, tagspace.TagMissing):
        return TagNotFound(message)
    if isinstance(exc, tagspace.QuotaExceeded):
        return TagQuotaError(message)
    if isinstance(exc, tagspace.TagNameTaken):
        return TagExists(message)
    if isinstance(exc, tagspace.BadTagArgument):
        return ValueError(message)
    return TagError(message)


def _running() -> "SMInstance":
    """The SM whose code calls a primitive. The primitives are shared by
    every SM; the VM names the running one (``RUNNING``), never SM code."""
    rt = RUNNING.rt
    sm = None if rt is None else rt.owner
    if sm is None:
        raise VMBug("an SM primitive was called while no SM runs")
    return sm


def _caller(sm: "SMInstance") -> tagspace.Principal:
    """The SM's identity, in the code domain the call acts in
    (``smvm.code_domains``). Called straight from a primitive, which SM code
    called: the frame two up is the SM's."""
    brick = sm.brick
    code_part = brick.code_part
    if not code_part:
        return sm.principal
    parts = brick.parts
    head = next(reversed(parts.values())) if parts else ""
    part = acting_part(sys._getframe(2), code_part, brick.own_domain_code, head)
    narrowed = sm.narrowed_principals
    principal = narrowed.get(part)
    if principal is None:
        principal = dataclasses.replace(sm.principal, code=frozenset({part} if part else ()))
        narrowed[part] = principal
    return principal


def _code_domain(sm: "SMInstance", code):
    # bricks the SM carries may be named by name; anything else must be a hash
    if code is None:
        return None
    names = [code] if type(code) is str else code
    if type(names) not in (list, tuple, set, frozenset):
        return code  # the tag space reports the type error
    parts = sm.brick.parts
    return [parts.get(n, n) if type(n) is str else n for n in names]


def sys_migrate(neighbor):
    sm = _running()
    host, rt = sm.host, sm.runtime
    if neighbor not in host.neighbors():
        raise MigrationError(f"{neighbor!r} is not a neighbour of node {host.node_id!r}")
    rt.check_capturable(sys._getframe(1))
    rt.unwinding = True
    raise Capture(rt, sys_migrate, {"kind": "migrate", "target": neighbor})


def block_tag(name, timeout=None):
    sm = _running()
    host, rt = sm.host, sm.runtime
    if type(name) is not str:
        raise TypeError("tag names are strings")
    if timeout is not None:
        if type(timeout) not in (int, float) or not 0 <= timeout <= _MAX_TIMEOUT:
            raise ValueError(f"timeout must be None or a number of seconds in [0, 1e9], "
                             f"got {timeout!r}")
        timeout = float(timeout)
    rt.check_capturable(sys._getframe(1))
    try:  # refuse now what the wait would refuse (no read right)
        host.tagspace.wait(_caller(sm), name, ("probe", sm.sm_id), None, now=host.now())
        host.tagspace.cancel_wait(("probe", sm.sm_id))
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None
    request = {"kind": "block", "tag": name, "timeout": timeout}
    if sm.brick.code_part:  # the value it wakes with is read in the caller's code domain
        request["code"] = sorted(_caller(sm).code)
    rt.unwinding = True
    raise Capture(rt, block_tag, request)


def create_tag(name, value=None, lifetime=None, access=None, code=None):
    sm = _running()
    host = sm.host
    try:
        woken = host.tagspace.create(_caller(sm), name, value, lifetime, access,
                                     _code_domain(sm, code), now=host.now())
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None
    host.wake(woken)


def read_tag(name):
    sm = _running()
    host = sm.host
    try:
        return host.tagspace.read(_caller(sm), name, host.now())
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None


def write_tag(name, value):
    sm = _running()
    host = sm.host
    try:
        woken = host.tagspace.write(_caller(sm), name, value, host.now())
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None
    host.wake(woken)


def delete_tag(name):
    sm = _running()
    host = sm.host
    try:
        host.tagspace.delete(_caller(sm), name, host.now())
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None


def has_tag(name):
    sm = _running()
    host = sm.host
    try:
        return host.tagspace.exists(name, host.now(), _caller(sm))
    except tagspace.TagSpaceError as exc:
        raise guest_error(exc) from None


def spawn(function, *args):
    sm = _running()
    if type(function) is not types.FunctionType or sm.ns.get(function.__name__) is not function:
        raise TypeError("spawn() needs a function defined at module level of the brick")
    return sm.host.spawn(sm, function.__name__, _copy_args(sm, args))


def create_sm(brick, entry, *args):
    sm = _running()
    if type(brick) is not str or type(entry) is not str:
        raise TypeError("create_sm(brick, entry, *args) takes the brick's name and the "
                        "entry function's name")
    return sm.host.create_sm(sm, brick, entry, _copy_args(sm, args))


def node_id():
    return _running().host.node_id


def now():
    return _running().host.now()


def log(*values):
    sm = _running()
    text = " ".join(map(guest_str, values))
    sm.runtime.charge(len(text) // C_ITEMS_PER_FUEL)
    sm.host.log(sm.sm_id, truncate(text, MAX_LOG_LINE_CHARS))


#: The primitives, by the names SM code calls them: one set shared by every SM
#: (each finds the SM that calls it through the VM, see ``_running``).
PRIMITIVES: dict[str, Callable] = {
    "sys_migrate": sys_migrate, "block_tag": block_tag, "create_tag": create_tag,
    "read_tag": read_tag, "write_tag": write_tag, "delete_tag": delete_tag,
    "has_tag": has_tag, "spawn": spawn, "create_sm": create_sm,
    "node_id": node_id, "now": now, "log": log}


def _copy_args(sm: "SMInstance", args: tuple) -> bytes:
    """A new SM gets its own copy of the arguments, as plain data."""
    try:
        return statecodec.dumps(list(args), functions=sm.function_refs())
    except StateEncodeError as exc:
        raise TypeError(f"arguments of a new SM must be plain data: {exc}") from None

