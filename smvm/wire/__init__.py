"""The wire format: frames, their msgpack encoding, fragmentation (sans-I/O).

``encode``/``decode`` turn frames into whole messages and back; ``fragment``
and ``Reassembler`` carry messages larger than one datagram. Nothing here does
I/O or reads a clock: drivers pass datagrams and the time in. Every problem
with received bytes raises ``WireError``; local misuse raises
``WireUsageError``. The scapy dissector lives in ``smvm.wire.scapy_layer``,
imported on demand (scapy is not needed otherwise).
"""
from __future__ import annotations

from .codec import check_limits, decode, encode
from .constants import (
    BRICK_ID_LEN,
    DEFAULT_MTU,
    DEFAULT_PORT,
    FRAGMENT_HEADER_LEN,
    FRAGMENT_MARKER,
    HOP_ID_LEN,
    IDENTITY_KEYS,
    MAX_ID_LEN,
    MAX_REQUEST_ID_LEN,
    VERSION,
)
from .errors import WireError, WireUsageError
from .fragment import FRAGMENT_OVERHEAD, Reassembler, fragment, is_fragment
from .frames import (
    FRAME_TYPES,
    Accept,
    Ack,
    Beacon,
    Frame,
    Inject,
    InjectReply,
    Kind,
    Offer,
    Reject,
    Result,
    StatusQuery,
    StatusReply,
    Transfer,
)
from .limits import DEFAULT_LIMITS, WireLimits

__all__ = [
    "BRICK_ID_LEN",
    "DEFAULT_LIMITS",
    "DEFAULT_MTU",
    "DEFAULT_PORT",
    "FRAGMENT_HEADER_LEN",
    "FRAGMENT_MARKER",
    "FRAGMENT_OVERHEAD",
    "FRAME_TYPES",
    "HOP_ID_LEN",
    "IDENTITY_KEYS",
    "MAX_ID_LEN",
    "MAX_REQUEST_ID_LEN",
    "VERSION",
    "Accept",
    "Ack",
    "Beacon",
    "Frame",
    "Inject",
    "InjectReply",
    "Kind",
    "Offer",
    "Reassembler",
    "Reject",
    "Result",
    "StatusQuery",
    "StatusReply",
    "Transfer",
    "WireError",
    "WireLimits",
    "WireUsageError",
    "check_limits",
    "decode",
    "encode",
    "fragment",
    "is_fragment",
]
