"""Fuzzing: mutated encodings and fragments never raise anything but WireError."""
from __future__ import annotations

import random
import time

from smvm.wire import (
    FRAGMENT_MARKER,
    VERSION,
    Reassembler,
    WireError,
    WireLimits,
    decode,
    encode,
    fragment,
)

from ._samples import sample_frames

ROUNDS = 100_000


def corpus() -> list[bytes]:
    """Valid datagrams: every sample frame whole, and fragments of a few of them."""
    items = [encode(f) for f in sample_frames()]
    for msg_id, msg in enumerate(list(items)):
        if len(msg) > 60:
            items += fragment(msg, msg_id, mtu=40 + 7 * msg_id)
    return items


class Mutator:
    """Seeded byte-level mutations of valid datagrams, plus random ones."""

    def __init__(self, seed: int, items: list[bytes]):
        self.rng = random.Random(seed)
        self.items = items
        self.ops = [self.flip, self.set_byte, self.insert, self.delete, self.truncate,
                    self.duplicate, self.splice, self.interesting, self.random_bytes]

    def __call__(self) -> bytes:
        data = bytearray(self.rng.choice(self.items))
        for _ in range(self.rng.choice((1, 1, 1, 2, 3, 8))):
            data = self.rng.choice(self.ops)(data)
        return bytes(data)

    def pos(self, data: bytearray, extra: int = 0) -> int:
        return self.rng.randrange(len(data) + extra) if data or extra else 0

    def flip(self, data: bytearray) -> bytearray:
        if data:
            data[self.pos(data)] ^= 1 << self.rng.randrange(8)
        return data

    def set_byte(self, data: bytearray) -> bytearray:
        if data:
            data[self.pos(data)] = self.rng.randrange(256)
        return data

    def insert(self, data: bytearray) -> bytearray:
        at = self.pos(data, 1)
        data[at:at] = self.rng.randbytes(self.rng.choice((1, 1, 2, 4, 9, 33)))
        return data

    def delete(self, data: bytearray) -> bytearray:
        if data:
            at = self.pos(data)
            del data[at:at + self.rng.choice((1, 1, 2, 5, 17))]
        return data

    def truncate(self, data: bytearray) -> bytearray:
        return data[:self.pos(data, 1)]

    def duplicate(self, data: bytearray) -> bytearray:
        if data:
            a = self.pos(data)
            b = min(len(data), a + self.rng.randrange(1, 40))
            at = self.pos(data, 1)
            data[at:at] = data[a:b]
        return data

    def splice(self, data: bytearray) -> bytearray:
        other = self.rng.choice(self.items)
        return data[:self.pos(data, 1)] + other[self.rng.randrange(len(other)):]

    def interesting(self, data: bytearray) -> bytearray:
        # msgpack type bytes and boundary values that tend to reach deep paths
        if data:
            data[self.pos(data)] = self.rng.choice(
                (0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca,
                 0xcb, 0xcf, 0xd3, 0xd4, 0xdc, 0xdd, 0xde, 0xdf, 0xff, VERSION, FRAGMENT_MARKER))
        return data

    def random_bytes(self, data: bytearray) -> bytearray:
        head = self.rng.choice((b"", bytes([VERSION]), bytes([VERSION, FRAGMENT_MARKER])))
        return bytearray(head + self.rng.randbytes(self.rng.randrange(0, 64)))


def test_fuzz_decode_and_reassembler():
    mutate = Mutator(20240613, corpus())
    small = WireLimits(max_str=50, max_tags=3, max_bricks=3, max_source=100,
                       max_continuation=150, max_data=50, max_error_items=3)
    reassembler = Reassembler(max_pending=8, max_bytes=200_000, max_sender_bytes=50_000,
                              timeout=2.0)
    decoded = completed = 0
    started = time.perf_counter()
    for n in range(ROUNDS):
        data = mutate()
        limits = small if n % 4 == 0 else None
        try:
            frame = decode(data) if limits is None else decode(data, limits)
        except WireError:
            pass
        else:
            decoded += 1
            # whatever decodes is a valid frame: it encodes back to an equal frame
            assert decode(encode(frame)) == frame
        try:
            out = reassembler.feed(data, n % 5, n * 0.001)
        except WireError:
            continue
        if out is not None and out is not data:
            completed += 1
            try:
                decode(out)
            except WireError:
                pass
        assert reassembler.buffered_bytes <= 200_000
    elapsed = time.perf_counter() - started
    counters = reassembler.counters
    # the mutator reaches both sides: valid frames, rejected ones, all counters
    assert 1000 < decoded < ROUNDS * 0.5
    assert counters["malformed"] > 1000 and counters["fragments"] > 10_000
    assert counters["duplicates"] > 0 and counters["expired"] > 0 and counters["evicted"] > 0
    assert completed > 0
    print(f"{ROUNDS} datagrams in {elapsed:.2f}s; decoded {decoded}; {counters}")
