"""A continuation's shape, checked against the compiled brick it runs:
frames, resume points, local names, the request it was captured at.

``screen`` reads a continuation's shape without building any of its values
(every msgpack ext becomes one opaque object: nothing is looked up, no tuple
is built, no key can collide), in time linear in its size; a node whose SMs
run elsewhere checks arrivals this way, and a VM does before its brick's
module has run (the values are decoded where the SM runs, under its budgets).
"""
from __future__ import annotations

import msgpack

from .compiler import Brick
from .errors import ContinuationError
from .vm.frames import Frame, PrimitiveResume

FORMAT_VERSION = 1

_OPAQUE = object()
_AT_RESUME = {"sys_migrate": None, "block_tag": None}


def _opaque(code: int, data: bytes) -> object:
    return _OPAQUE


def screen(state: bytes, brick: Brick) -> dict:
    """The continuation's fields with opaque values, once its shape is found
    to fit ``brick`` (``ContinuationError`` when it does not)."""
    try:
        tree = msgpack.unpackb(state, raw=False, strict_map_key=False, ext_hook=_opaque,
                               unicode_errors="surrogatepass")
    except Exception as exc:  # noqa: BLE001 - whatever malformed bytes raise
        raise ContinuationError(f"unreadable continuation: {type(exc).__name__}") from None
    cont = validate_continuation(tree, brick, _AT_RESUME)
    defaults = cont.get("defaults")
    if type(defaults) is not dict or any(
            type(fid) is not str or fid not in brick.functions for fid in defaults):
        raise ContinuationError("invalid continuation: bad defaults")
    return cont


def qualname_of(fid: str) -> str:
    """``[brick/]qualname:line`` -> qualname (a linked brick's functions carry
    its name as a prefix)."""
    return fid.split(":", 1)[0].rsplit("/", 1)[-1]


def validate_continuation(cont: object, brick: Brick, primitives: dict, value: object = None,
                          error: BaseException | None = None) -> dict:
    """Check a decoded continuation against the brick before running it
    (``primitives`` maps the migration primitives' names to the objects the
    resumed call returns through)."""
    def bad(why: str) -> ContinuationError:
        return ContinuationError(f"invalid continuation: {why}")

    if type(cont) is not dict:
        raise bad("not a map")
    if cont.get("v") != FORMAT_VERSION:
        raise bad(f"unsupported format version {cont.get('v')!r}")
    if cont.get("brick") != brick.hash:
        raise bad("it belongs to another brick")
    entry, frames, glob, request = (cont.get(k) for k in ("entry", "frames", "globals", "request"))
    if type(entry) is not str or type(glob) is not dict or type(request) is not dict:
        raise bad("missing or mistyped fields")
    if type(cont.get("fuel")) is not int or cont["fuel"] < 0:
        raise bad("bad fuel count")
    if any(type(k) is not str or k.startswith("_") for k in glob):
        raise bad("bad module data names")
    if type(frames) is not list or not frames:
        raise bad("no frames")
    chain: list[Frame] = []
    for item in frames:
        if type(item) is not list or len(item) != 3:
            raise bad("frame is not [function, point, locals]")
        fid, point, locs = item
        info = brick.functions.get(fid) if type(fid) is str else None
        if info is None or not info.resumable:
            raise bad(f"no resumable function {fid!r} in the brick")
        if type(point) is not int or not 1 <= point <= info.points:
            raise bad(f"function {fid} has no resume point {point!r}")
        if type(locs) is not dict or not set(map(type, locs)) <= {str}:
            raise bad("locals are not a name map")
        extra = locs.keys() - info.local_names
        if extra:
            raise bad(f"function {fid} has no locals {sorted(extra)}")
        chain.append(Frame(fid, point, locs))
    if qualname_of(chain[0].fid) != entry or "." in entry:
        raise bad("the outermost frame is not the entry function")
    primitive = {"migrate": "sys_migrate", "block": "block_tag"}.get(request.get("kind"))
    if primitive is None:
        raise bad(f"unknown request {request.get('kind')!r}")
    for outer, inner in zip(chain, chain[1:]):
        outer.child = inner
    chain[-1].child = PrimitiveResume(primitives[primitive], value, error)
    cont["frames"] = chain
    return cont


