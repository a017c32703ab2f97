"""Checking an arriving continuation against its brick without building its
values, for a node whose SMs run elsewhere (in sandboxed workers): its shape
(frames, resume points, local names, request, fuel) is checked here, on the
node's loop, in time linear in its size; its values are decoded where the SM
runs, under the SM's budgets."""
from __future__ import annotations

import msgpack

from ..compiler import Brick
from ..errors import ContinuationError
from ..vm import validate_continuation

#: Every ext value (function references, tuples, markers) becomes this one
#: object: nothing is looked up or built, and keys made of it cannot collide.
_OPAQUE = object()
_AT_RESUME = {"sys_migrate": None, "block_tag": None}


def _opaque(code: int, data: bytes) -> object:
    return _OPAQUE


def screen_continuation(state: bytes, brick: Brick) -> int:
    """The fuel an arriving SM has spent, once its continuation is found to
    fit ``brick``; ``ContinuationError`` when it does not."""
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
    return cont["fuel"]
