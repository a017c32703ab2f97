"""Which brick's code domain a tag operation acts in (linked units).

An SM made of several bricks carries each brick's hash; a tag operation
gets the code-domain rights of one brick at most. The VM walks the calling
frames from the innermost outward, through every frame of the SM's code,
and stops at the first function its brick marks ``@own_domain`` (or at the
SM's entry). If every frame on that walk belongs to one brick, the
operation acts in that brick's domain -- the unit's main brick's, or a
library's whose marked function was called; if code of two bricks is on it
(a program calling a library's unmarked helper, a library calling back into
a program), or only a library's unmarked code (an SM spawned at a library's
helper), in none: no code-domain rights at all, and a tag it creates
without ``code=`` belongs to no code domain.

So a library's rights are used by its own code's direct actions, and by
other bricks only through the functions it marks, each of which must be
safe for any caller (docs/tagspace.md).
"""
from __future__ import annotations

from types import FrameType


def acting_part(frame: FrameType | None, code_part: dict[int, str],
                own_domain_code: frozenset[int], head: str) -> str:
    """The hash of the brick whose domain the call made at ``frame`` acts
    in ("": none)."""
    found = ""
    while frame is not None:
        code_id = id(frame.f_code)
        part = code_part.get(code_id)
        if part is not None:
            if found and part != found:
                return ""
            found = part
            if code_id in own_domain_code:
                return found
        frame = frame.f_back
    return found if found == head else ""
