"""The SM primitives: what SM code calls to move, use tags and make SMs.

Each SM instance gets its own set, closed over its node and identity (a
``tagspace.Principal`` held by the VM, never by SM code). Tag-space errors
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
    TagQuotaError,
)
from .limits import MAX_LOG_LINE_CHARS, truncate
from .vm.frames import Capture
from .vm.guards import C_ITEMS_PER_FUEL

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


def make_primitives(sm: "SMInstance") -> dict[str, Callable]:
    host, rt = sm.host, sm.runtime
    code_part = sm.brick.code_part
    parts = sm.brick.parts
    narrowed: dict[str, tagspace.Principal] = {}
    own_domain_code = sm.brick.own_domain_code
    head = list(parts.values())[-1] if parts else ""

    def space() -> tagspace.TagSpace:
        return host.tagspace

    def caller() -> tagspace.Principal:
        """The SM's identity, in the code domain the call acts in
        (``smvm.code_domains``)."""
        if not code_part:
            return sm.principal
        part = acting_part(sys._getframe(2), code_part, own_domain_code, head)
        principal = narrowed.get(part)
        if principal is None:
            principal = dataclasses.replace(sm.principal, code=frozenset({part} if part else ()))
            narrowed[part] = principal
        return principal

    def code_domain(code):
        # bricks the SM carries may be named by name; anything else must be a hash
        if code is None:
            return None
        names = [code] if type(code) is str else code
        if type(names) not in (list, tuple, set, frozenset):
            return code  # the tag space reports the type error
        return [parts.get(n, n) if type(n) is str else n for n in names]

    def sys_migrate(neighbor):
        if neighbor not in host.neighbors():
            raise MigrationError(f"{neighbor!r} is not a neighbour of node {host.node_id!r}")
        rt.check_capturable(sys._getframe(1))
        rt.unwinding = True
        raise Capture(rt, sys_migrate, {"kind": "migrate", "target": neighbor})

    def block_tag(name, timeout=None):
        if type(name) is not str:
            raise TypeError("tag names are strings")
        if timeout is not None:
            if type(timeout) not in (int, float) or not 0 <= timeout <= _MAX_TIMEOUT:
                raise ValueError(f"timeout must be None or a number of seconds in [0, 1e9], "
                                 f"got {timeout!r}")
            timeout = float(timeout)
        rt.check_capturable(sys._getframe(1))
        try:  # refuse now what the wait would refuse (no read right)
            space().wait(caller(), name, ("probe", sm.sm_id), None, now=host.now())
            space().cancel_wait(("probe", sm.sm_id))
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None
        request = {"kind": "block", "tag": name, "timeout": timeout}
        if code_part:  # the value it wakes with is read in the caller's code domain
            request["code"] = sorted(caller().code)
        rt.unwinding = True
        raise Capture(rt, block_tag, request)

    def create_tag(name, value=None, lifetime=None, access=None, code=None):
        try:
            woken = space().create(caller(), name, value, lifetime, access, code_domain(code),
                                   now=host.now())
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None
        host.wake(woken)

    def read_tag(name):
        try:
            return space().read(caller(), name, host.now())
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None

    def write_tag(name, value):
        try:
            woken = space().write(caller(), name, value, host.now())
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None
        host.wake(woken)

    def delete_tag(name):
        try:
            space().delete(caller(), name, host.now())
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None

    def has_tag(name):
        try:
            return space().exists(name, host.now(), caller())
        except tagspace.TagSpaceError as exc:
            raise guest_error(exc) from None

    def spawn(function, *args):
        if type(function) is not types.FunctionType or sm.ns.get(function.__name__) is not function:
            raise TypeError("spawn() needs a function defined at module level of the brick")
        return host.spawn(sm, function.__name__, _copy_args(sm, args))

    def create_sm(brick, entry, *args):
        if type(brick) is not str or type(entry) is not str:
            raise TypeError("create_sm(brick, entry, *args) takes the brick's name and the "
                            "entry function's name")
        return host.create_sm(sm, brick, entry, _copy_args(sm, args))

    def node_id():
        return host.node_id

    def now():
        return host.now()

    def log(*values):
        text = " ".join(map(guest_str, values))
        rt.charge(len(text) // C_ITEMS_PER_FUEL)
        host.log(sm.sm_id, truncate(text, MAX_LOG_LINE_CHARS))

    return {"sys_migrate": sys_migrate, "block_tag": block_tag, "create_tag": create_tag,
            "read_tag": read_tag, "write_tag": write_tag, "delete_tag": delete_tag,
            "has_tag": has_tag, "spawn": spawn, "create_sm": create_sm,
            "node_id": node_id, "now": now, "log": log}


def _copy_args(sm: "SMInstance", args: tuple) -> bytes:
    """A new SM gets its own copy of the arguments, as plain data."""
    try:
        return statecodec.dumps(list(args), functions=sm.function_refs())
    except StateEncodeError as exc:
        raise TypeError(f"arguments of a new SM must be plain data: {exc}") from None

