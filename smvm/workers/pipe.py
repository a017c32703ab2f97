"""The framing of the worker protocol: each message is a 4-byte big-endian
length, then msgpack. Both sides use this module; each reads with a limit
(a frame announcing more is refused before its body is read).
"""
from __future__ import annotations

import struct
from typing import Any, BinaryIO

import msgpack

HEADER = struct.Struct(">I")
#: Most bytes a worker reads in one message from the daemon (a job carries
#: a brick's source and an SM's encoded state). The daemon's own limit for
#: what it reads from a worker is ``NodeLimits.max_worker_message``.
MAX_JOB_MESSAGE = 64 << 20


class FrameTooLarge(ValueError):
    """A frame announced more bytes than the reader takes."""


def pack(message: object) -> bytes:
    """``message`` as one frame."""
    data = msgpack.packb(message, use_bin_type=True)
    return HEADER.pack(len(data)) + data


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def _check(size: int, limit: int) -> None:
    if size > limit:
        raise FrameTooLarge(f"worker message of {size:,} bytes is over the limit of {limit:,}")


def write(stream: BinaryIO, message: object) -> None:
    """Send one frame on a blocking stream (the worker's side)."""
    stream.write(pack(message))
    stream.flush()


def read(stream: BinaryIO, limit: int = MAX_JOB_MESSAGE) -> Any:
    """Read one frame from a blocking stream (the worker's side); ``EOFError``
    when the stream ends, even part-way through a frame."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(head)
    _check(size, limit)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return _unpack(data)


class FrameReader:
    """Frames out of a byte stream that arrives in chunks (the daemon's side):
    ``feed`` what was received, then take the complete frames with ``next``."""

    def __init__(self, limit: int):
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk

    def next(self) -> tuple[bool, Any]:
        """``(True, message)`` for a complete frame, ``(False, None)`` while
        more bytes are needed; ``FrameTooLarge`` for a frame over the limit."""
        buffer = self._buffer
        if len(buffer) < HEADER.size:
            return False, None
        (size,) = HEADER.unpack_from(buffer)
        _check(size, self.limit)
        end = HEADER.size + size
        if len(buffer) < end:
            return False, None
        data = bytes(buffer[HEADER.size:end])
        del buffer[:end]
        return True, _unpack(data)
