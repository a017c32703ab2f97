"""Splitting messages into datagrams and putting them back together.

A message that fits the MTU travels as it is (a *whole* datagram: version byte,
then a msgpack array). A bigger one is cut into fragments, each a datagram::

    byte 0     version
    byte 1     FRAGMENT_MARKER (0xC1: no msgpack value starts with it)
    bytes 2-5  msg_id, u32 big endian (chosen by the sender, unique per message)
    bytes 6-7  index, u16 big endian (0 .. count-1)
    bytes 8-9  count, u16 big endian (>= 2)
    bytes 10-  a slice of the message; every fragment but the last has the same length

``Reassembler`` is sans-I/O: the caller passes each datagram with its sender
and the current time. Memory is bounded per sender and in total; partial
messages expire; anything malformed or inconsistent raises ``WireError`` (and
is counted) so a driver drops it and goes on.
"""
from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Hashable

from .constants import DEFAULT_MTU, FRAGMENT_HEADER_LEN, FRAGMENT_MARKER, VERSION
from .errors import WireError, WireUsageError

__all__ = ["FRAGMENT_OVERHEAD", "Reassembler", "fragment", "is_fragment"]

_HEADER = struct.Struct(">BBIHH")
assert _HEADER.size == FRAGMENT_HEADER_LEN
_MAX_COUNT = 0xFFFF
_MAX_MSG_ID = 0xFFFFFFFF
#: Bytes charged per buffered fragment on top of its payload (the bytes object
#: and the dict slot holding it), so tiny fragments cannot slip past the bounds.
FRAGMENT_OVERHEAD = 96
_MiB = 1024 * 1024


def fragment(message: bytes, msg_id: int, mtu: int = DEFAULT_MTU) -> list[bytes]:
    """Datagrams of at most ``mtu`` bytes carrying ``message`` (from ``encode``).

    A message that fits goes as the single datagram ``[message]``.
    """
    if not isinstance(message, (bytes, bytearray, memoryview)):
        raise WireUsageError(f"message must be bytes, got {type(message).__name__}")
    message = bytes(message)
    if len(message) < 2 or message[0] != VERSION or message[1] == FRAGMENT_MARKER:
        raise WireUsageError("not an encoded message")
    if type(msg_id) is not int or not 0 <= msg_id <= _MAX_MSG_ID:
        raise WireUsageError(f"msg_id must be an int in 0..2**32-1, got {msg_id!r}")
    if type(mtu) is not int or mtu <= FRAGMENT_HEADER_LEN:
        raise WireUsageError(f"mtu must be an int above {FRAGMENT_HEADER_LEN}, got {mtu!r}")
    if len(message) <= mtu:
        return [message]
    chunk = mtu - FRAGMENT_HEADER_LEN
    count = -(-len(message) // chunk)
    if count > _MAX_COUNT:
        raise WireUsageError(f"message of {len(message)} bytes needs {count} fragments at "
                             f"mtu {mtu}; at most {_MAX_COUNT}")
    pack = _HEADER.pack
    return [pack(VERSION, FRAGMENT_MARKER, msg_id, i, count) + message[i * chunk:(i + 1) * chunk]
            for i in range(count)]


def is_fragment(datagram: bytes) -> bool:
    """True if ``datagram`` claims to be a fragment (rather than a whole message)."""
    return len(datagram) >= 2 and datagram[1] == FRAGMENT_MARKER


class _Partial:
    """Fragments received so far of one message."""

    __slots__ = ("chunk", "cost", "count", "last_len", "parts", "touched")

    def __init__(self, count: int, now: float):
        self.count = count
        self.parts: dict[int, bytes] = {}
        self.chunk: int | None = None       # length of every fragment but the last
        self.last_len: int | None = None    # length of the last fragment
        self.cost = 0
        self.touched = now


class _Sender:
    __slots__ = ("cost", "partials")

    def __init__(self) -> None:
        self.partials: OrderedDict[int, _Partial] = OrderedDict()   # oldest activity first
        self.cost = 0


class Reassembler:
    """Rebuilds whole messages from datagrams of many senders.

    ``max_pending`` partial messages per sender (the least recently active one
    is evicted for a new one), ``max_sender_bytes`` buffered per sender and
    ``max_bytes`` in total (least recently active partials evicted first; a
    message that cannot fit at all is dropped with ``WireError``), messages of
    at most ``max_message`` bytes, partials dropped ``timeout`` seconds after
    their last new fragment. Messages completed within ``timeout`` are
    remembered (up to ``max_recent``) so late duplicate fragments are dropped
    instead of starting the message again.
    """

    def __init__(self, max_pending: int = 16, max_bytes: int = 64 * _MiB, timeout: float = 10.0,
                 *, max_sender_bytes: int = 20 * _MiB, max_message: int = 16 * _MiB,
                 max_recent: int = 1024):
        for name, value in (("max_pending", max_pending), ("max_bytes", max_bytes),
                            ("max_sender_bytes", max_sender_bytes),
                            ("max_message", max_message), ("max_recent", max_recent)):
            if type(value) is not int or value < 1:
                raise WireUsageError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(timeout, (int, float)) or not timeout > 0:
            raise WireUsageError(f"timeout must be a positive number, got {timeout!r}")
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.max_sender_bytes = max_sender_bytes
        self.max_message = max_message
        self.max_recent = max_recent
        self.timeout = float(timeout)
        self._senders: dict[Hashable, _Sender] = {}
        # (sender, msg_id) -> partial, least recently active first.
        self._lru: OrderedDict[tuple[Hashable, int], _Partial] = OrderedDict()
        # (sender, msg_id) -> (count, chunk, last_len, completed at), oldest first.
        self._recent: OrderedDict[tuple[Hashable, int], tuple[int, int, int, float]] = (
            OrderedDict())
        self._cost = 0
        self.counters: dict[str, int] = dict.fromkeys(
            ("whole", "fragments", "duplicates", "completed", "expired", "evicted",
             "malformed"), 0)

    # --- introspection ----------------------------------------------------------

    @property
    def buffered_bytes(self) -> int:
        """Bytes charged for buffered fragments (payloads plus per-fragment overhead)."""
        return self._cost

    @property
    def pending(self) -> int:
        """Number of partial messages held."""
        return len(self._lru)

    def pending_for(self, sender: Hashable) -> int:
        state = self._senders.get(sender)
        return len(state.partials) if state else 0

    # --- input ------------------------------------------------------------------

    def feed(self, datagram: bytes, sender: Hashable, now: float) -> bytes | None:
        """The whole message if ``datagram`` completes one, else None.

        A whole (unfragmented) datagram is returned as it is, after checking its
        version; decoding it is the caller's job. Whole datagrams carry no
        msg_id, so their duplicates pass through (the hop protocol suppresses
        duplicate frames); duplicate fragments never complete a message twice. Raises ``WireError`` for a
        malformed, inconsistent or oversize datagram.
        """
        self.expire(now)
        try:
            return self._feed(datagram, sender, now)
        except WireError:
            self.counters["malformed"] += 1
            raise

    def _feed(self, datagram: bytes, sender: Hashable, now: float) -> bytes | None:
        if type(datagram) is not bytes:
            if not isinstance(datagram, (bytearray, memoryview)):
                raise WireError(f"expected bytes, got {type(datagram).__name__}")
            datagram = bytes(datagram)
        if len(datagram) < 2:
            raise WireError("datagram too short")
        if datagram[0] != VERSION:
            raise WireError(f"unsupported wire version {datagram[0]}")
        if datagram[1] != FRAGMENT_MARKER:
            if len(datagram) > self.max_message:
                raise WireError(f"message of {len(datagram)} bytes exceeds {self.max_message}")
            self.counters["whole"] += 1
            return datagram
        if len(datagram) <= FRAGMENT_HEADER_LEN:
            raise WireError("fragment without payload")
        _, _, msg_id, index, count = _HEADER.unpack_from(datagram)
        if count < 2:
            raise WireError(f"fragment count {count} (a message that fits is not fragmented)")
        if index >= count:
            raise WireError(f"fragment index {index} out of range for count {count}")
        self.counters["fragments"] += 1
        payload = datagram[FRAGMENT_HEADER_LEN:]
        key = (sender, msg_id)

        done = self._recent.get(key)
        if done is not None:
            if done[0] == count and len(payload) == (done[2] if index == count - 1 else done[1]):
                self.counters["duplicates"] += 1
                return None
            del self._recent[key]       # the sender reused the id for another message

        partial = self._lru.get(key)
        if partial is not None and partial.count != count:
            self._drop(key)
            raise WireError(f"fragment count {count} differs from {partial.count} "
                            f"for message {msg_id}")
        if partial is not None and index in partial.parts:
            if partial.parts[index] != payload:
                self._drop(key)
                raise WireError(f"fragment {index} of message {msg_id} arrived with "
                                "different contents")
            self.counters["duplicates"] += 1
            return None
        # Sizes: every fragment but the last has the same length (the chunk).
        chunk = partial.chunk if partial is not None else None
        last_len = partial.last_len if partial is not None else None
        if index == count - 1:
            last_len = len(payload)
        elif chunk is None:
            chunk = len(payload)
        elif len(payload) != chunk:
            self._drop(key)
            raise WireError(f"fragment {index} of message {msg_id} has {len(payload)} bytes, "
                            f"the others {chunk}")
        if chunk is not None and last_len is not None and last_len > chunk:
            if partial is not None:
                self._drop(key)
            raise WireError(f"last fragment of message {msg_id} is longer than the others")
        least = (count - 1) * (chunk or 1) + (last_len or 1)
        if least > self.max_message:
            if partial is not None:
                self._drop(key)
            raise WireError(f"message {msg_id} of at least {least} bytes exceeds "
                            f"{self.max_message}")
        if least + count * FRAGMENT_OVERHEAD > min(self.max_sender_bytes, self.max_bytes):
            if partial is not None:
                self._drop(key)
            raise WireError(f"message {msg_id} does not fit the reassembly buffer")

        cost = len(payload) + FRAGMENT_OVERHEAD
        if partial is None:
            partial = self._admit(key, count, cost, now)
        else:
            self._make_room(key, cost)
        partial.parts[index] = payload
        partial.chunk, partial.last_len = chunk, last_len
        partial.cost += cost
        partial.touched = now
        state = self._senders[sender]
        state.cost += cost
        self._cost += cost
        self._lru.move_to_end(key)
        state.partials.move_to_end(msg_id)

        if len(partial.parts) < count:
            return None
        self._drop(key)
        self.counters["completed"] += 1
        self._remember(key, (count, chunk, last_len, now))
        parts = partial.parts
        return b"".join(parts[i] for i in range(count))

    def _admit(self, key: tuple[Hashable, int], count: int, cost: int, now: float) -> _Partial:
        sender, msg_id = key
        state = self._senders.get(sender)
        if state is None:
            state = self._senders[sender] = _Sender()
        while len(state.partials) >= self.max_pending:
            self._evict((sender, next(iter(state.partials))))
        partial = _Partial(count, now)
        state.partials[msg_id] = partial
        self._lru[key] = partial
        self._make_room(key, cost)
        return partial

    def _make_room(self, key: tuple[Hashable, int], cost: int) -> None:
        """Evict least recently active partials (not ``key``'s) until ``cost`` fits."""
        sender, msg_id = key
        state = self._senders[sender]
        if self._lru[key].cost + cost > min(self.max_sender_bytes, self.max_bytes):
            self._drop(key)
            raise WireError(f"message {msg_id} does not fit the reassembly buffer")
        while state.cost + cost > self.max_sender_bytes:
            oldest = next(m for m in state.partials if m != msg_id)
            self._evict((sender, oldest))
        while self._cost + cost > self.max_bytes:
            oldest = next(k for k in self._lru if k != key)
            self._evict(oldest)

    def _evict(self, key: tuple[Hashable, int]) -> None:
        self._drop(key)
        self.counters["evicted"] += 1

    def _drop(self, key: tuple[Hashable, int]) -> None:
        partial = self._lru.pop(key)
        sender, msg_id = key
        state = self._senders[sender]
        del state.partials[msg_id]
        state.cost -= partial.cost
        self._cost -= partial.cost
        if not state.partials:
            del self._senders[sender]

    def _remember(self, key: tuple[Hashable, int], record: tuple[int, int, int, float]) -> None:
        self._recent.pop(key, None)
        self._recent[key] = record
        while len(self._recent) > self.max_recent:
            self._recent.popitem(last=False)

    # --- time -------------------------------------------------------------------

    def expire(self, now: float) -> int:
        """Drop partial messages idle for ``timeout`` or more; return how many."""
        limit = now - self.timeout
        expired = 0
        lru = self._lru
        while lru:
            key, partial = next(iter(lru.items()))
            if partial.touched > limit:
                break
            self._drop(key)
            expired += 1
        self.counters["expired"] += expired
        recent = self._recent
        while recent:
            key, record = next(iter(recent.items()))
            if record[3] > limit:
                break
            del recent[key]
        return expired

    def next_deadline(self) -> float | None:
        """When the oldest partial message will expire, or None if there is none."""
        if not self._lru:
            return None
        return next(iter(self._lru.values())).touched + self.timeout
