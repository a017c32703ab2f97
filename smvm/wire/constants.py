"""Numbers that define the wire format: version, markers, field sizes, port."""
from __future__ import annotations

__all__ = [
    "BRICK_ID_LEN",
    "DEFAULT_MTU",
    "DEFAULT_PORT",
    "FRAGMENT_HEADER_LEN",
    "FRAGMENT_MARKER",
    "HOP_ID_LEN",
    "IDENTITY_KEYS",
    "MAX_ID_LEN",
    "MAX_REQUEST_ID_LEN",
    "VERSION",
]

#: First byte of every datagram (whole message or fragment). 2: code in
#: TRANSFER frames travels zlib-compressed; 3: with a preset dictionary, and
#: so does the continuation (``smvm.wire.preset``).
VERSION = 3
#: Second byte of a fragment. 0xC1 is the one byte msgpack never uses, so no
#: whole message (version byte + a msgpack array) can have it there.
FRAGMENT_MARKER = 0xC1
#: version (1) + marker (1) + msg_id (u32) + index (u16) + count (u16), big endian.
FRAGMENT_HEADER_LEN = 10
#: UDP port nodes listen on (both source and destination of node traffic).
DEFAULT_PORT = 4771
#: Default datagram size bound: fits the usual 1280-byte IPv6 minimum MTU with room for headers.
DEFAULT_MTU = 1200

HOP_ID_LEN = 16                 # bytes of a migration hop id
MAX_REQUEST_ID_LEN = 64         # bytes of an inject request id
MAX_ID_LEN = 256                # characters of a node id, SM id, family, tag name
BRICK_ID_LEN = 64               # lowercase hex characters of a SHA-256 brick id
IDENTITY_KEYS = ("sm_id", "family", "origin")
