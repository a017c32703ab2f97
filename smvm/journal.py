"""A node's journal: an append-only, checksummed log of what must survive a crash.

Each record is ``length (4 bytes) | CRC-32 (4 bytes) | body``, the body a
msgpack array ``[op, key, value]``: ``put`` stores ``value`` under ``key``,
``del`` removes it. Opening a journal replays it; a torn or corrupt tail (the
record being written when the node died) is cut off and counted. When most
of the file is dead records it is rewritten (to a temporary file, synced,
then renamed over the old one).

Sync policy: ``"always"`` fsyncs every append before it returns (survives a
power cut); ``"never"`` only writes to the operating system (survives the
process being killed, not the machine). The daemon makes an SM durable this
way before it acknowledges the hop that brought it.
"""
from __future__ import annotations

import os
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path

import msgpack

from .errors import UsageError

HEADER = struct.Struct(">II")
MAX_RECORD = 64 << 20
SYNC_POLICIES = ("always", "never")
PUT, DELETE = "put", "del"
#: dead bytes (overwritten or deleted records) that make the file worth rewriting
COMPACT_AFTER = 256 << 10


class JournalError(UsageError):
    """A journal file that cannot be opened or written."""


class Journal:
    """Live records (key -> value bytes), kept in memory and on disk."""

    def __init__(self, path: str | os.PathLike, *, sync: str = "always"):
        if sync not in SYNC_POLICIES:
            raise JournalError(f"journal sync policy must be one of {', '.join(SYNC_POLICIES)}")
        self.path = Path(path)
        self.sync = sync
        self.live: dict[str, bytes] = {}
        self.torn_bytes = 0  # cut off the end when opening
        self._dead = 0
        self._batching = False
        self._unsynced = False
        try:
            self._replay()
            self._file = open(self.path, "ab")
        except OSError as exc:
            raise JournalError(f"cannot use journal {self.path}: {exc.strerror or exc}") from None

    def _replay(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        offset = 0
        while offset + HEADER.size <= len(data):
            length, crc = HEADER.unpack_from(data, offset)
            body = data[offset + HEADER.size: offset + HEADER.size + length]
            if length > MAX_RECORD or len(body) != length or zlib.crc32(body) != crc:
                break
            try:
                op, key, value = msgpack.unpackb(body, raw=False)
            except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
                    msgpack.StackError):
                break
            self._apply(op, key, value)
            offset += HEADER.size + length
        if offset < len(data):
            self.torn_bytes = len(data) - offset
            with open(self.path, "r+b") as f:
                f.truncate(offset)
                f.flush()
                os.fsync(f.fileno())

    def _apply(self, op: str, key: str, value: bytes | None) -> None:
        old = self.live.pop(key, None)
        if old is not None:
            self._dead += len(old)
        if op == PUT:
            self.live[key] = value or b""

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``; durable (per the sync policy) on return."""
        self._append(PUT, key, value)

    def delete(self, key: str) -> None:
        if key in self.live:
            self._append(DELETE, key, None)

    def _append(self, op: str, key: str, value: bytes | None) -> None:
        body = msgpack.packb([op, key, value], use_bin_type=True)
        if len(body) > MAX_RECORD:
            raise JournalError(f"journal record of {len(body)} bytes is over {MAX_RECORD}")
        self._file.write(HEADER.pack(len(body), zlib.crc32(body)) + body)
        self._file.flush()
        if self.sync == "always":
            if self._batching:
                self._unsynced = True
            else:
                os.fsync(self._file.fileno())
        self._apply(op, key, value)
        self._dead += HEADER.size
        if self._dead > COMPACT_AFTER and self._dead > 2 * sum(map(len, self.live.values())):
            self.compact()

    @contextmanager
    def batch(self):
        """Appends inside are synced once, when the block ends (one disk flush
        for everything a node must make durable before it sends)."""
        self._batching = True
        try:
            yield self
        finally:
            self._batching = False
            if self._unsynced:
                self._unsynced = False
                os.fsync(self._file.fileno())

    def compact(self) -> None:
        """Rewrite the file with the live records only."""
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "wb") as out:
            for key, value in self.live.items():
                body = msgpack.packb([PUT, key, value], use_bin_type=True)
                out.write(HEADER.pack(len(body), zlib.crc32(body)) + body)
            out.flush()
            os.fsync(out.fileno())
        self._file.close()
        os.replace(tmp, self.path)
        self._file = open(self.path, "ab")
        self._dead = 0

    def close(self) -> None:
        self._file.close()
