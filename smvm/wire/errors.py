"""Error types of the wire format.

``WireError`` is the only error that decoding data from the network raises
(``decode``, ``Reassembler.feed``); ``WireUsageError`` is local misuse (a frame
built with bad fields, a message too big to fragment...).
"""
from __future__ import annotations

from smvm.errors import RemoteInputError, UsageError

__all__ = ["WireError", "WireUsageError"]


class WireError(RemoteInputError):
    """Bytes received from another node are not a valid frame or fragment."""


class WireUsageError(UsageError, ValueError):
    """The host built a frame or called the wire API with invalid values."""
