"""fragment() and Reassembler: lossy links, time, bounds and bad fragments."""
from __future__ import annotations

import random
import struct

import pytest

from smvm.wire import (
    FRAGMENT_HEADER_LEN,
    FRAGMENT_MARKER,
    FRAGMENT_OVERHEAD,
    VERSION,
    Ack,
    Reassembler,
    Transfer,
    WireError,
    WireUsageError,
    decode,
    encode,
    fragment,
    is_fragment,
)

from ._samples import HOP, IDENTITY

MiB = 1024 * 1024


def message(size: int, seed: int = 0) -> bytes:
    """An encoded Transfer of about ``size`` bytes (at most ``size``: the
    continuation travels deflated, and random bytes grow by a little)."""
    data = random.Random(seed).randbytes(max(0, size - 120 - size // 1024))
    half = len(data) // 2
    return encode(Transfer(HOP, "sm42", IDENTITY, data[:half], (), data[half:]))


def frag(msg_id: int, index: int, count: int, payload: bytes) -> bytes:
    return struct.pack(">BBIHH", VERSION, FRAGMENT_MARKER, msg_id, index, count) + payload


def feed_all(r: Reassembler, datagrams, sender="a", now=0.0) -> list[bytes]:
    return [out for d in datagrams if (out := r.feed(d, sender, now)) is not None]


# --- fragment() ------------------------------------------------------------------------

def test_message_that_fits_goes_whole():
    msg = encode(Ack(HOP))
    assert fragment(msg, 1) == [msg]
    assert fragment(msg, 1, mtu=len(msg)) == [msg]
    assert not is_fragment(msg)


@pytest.mark.parametrize("mtu", [11, 12, 100, 576, 1200, 1472, 9000])
def test_fragments_respect_the_mtu_and_header(mtu):
    msg = message(20_000)
    parts = fragment(msg, 0xDEADBEEF, mtu=mtu)
    assert len(parts) == -(-len(msg) // (mtu - FRAGMENT_HEADER_LEN))
    assert all(len(p) <= mtu for p in parts)
    assert all(len(p) == mtu for p in parts[:-1])
    for i, part in enumerate(parts):
        assert is_fragment(part)
        assert struct.unpack(">BBIHH", part[:FRAGMENT_HEADER_LEN]) == (
            VERSION, FRAGMENT_MARKER, 0xDEADBEEF, i, len(parts))
    assert b"".join(p[FRAGMENT_HEADER_LEN:] for p in parts) == msg


def test_fragment_misuse():
    msg = message(5000)
    for bad in [lambda: fragment(msg, -1), lambda: fragment(msg, 1 << 32),
                lambda: fragment(msg, 1, mtu=FRAGMENT_HEADER_LEN),
                lambda: fragment(msg, 1, mtu=100.0), lambda: fragment("text", 1),
                lambda: fragment(b"", 1), lambda: fragment(bytes([VERSION + 1]) + b"\x91\x06", 1),
                lambda: fragment(fragment(msg, 1, mtu=100)[0], 1),
                lambda: fragment(message(70_000), 1, mtu=FRAGMENT_HEADER_LEN + 1)]:
        with pytest.raises(WireUsageError):
            bad()


# --- reassembly over a bad link ----------------------------------------------------------

def lossy_link(rng: random.Random, datagrams: list[tuple], drop: float, dup: float) -> list:
    """Shuffle, duplicate and drop (sender, datagram) pairs."""
    out = []
    for item in datagrams:
        if rng.random() < drop:
            continue
        out.append(item)
        while rng.random() < dup:
            out.append(item)
    rng.shuffle(out)
    return out


def test_shuffling_duplicating_link_delivers_each_fragmented_message_once():
    rng = random.Random(1234)
    sizes = [1, 500, 1200, 1201, 5000, 64_000, 300_000, 1 * MiB]
    messages = {}
    sent = []
    for msg_id, size in enumerate(sizes):
        for sender in ("a", ("10.0.0.2", 4771)):
            msg = message(size, seed=msg_id)
            messages[(sender, msg_id)] = msg
            sent += [(sender, d) for d in fragment(msg, msg_id)]
    r = Reassembler(max_pending=len(sizes))
    got = []
    for sender, d in lossy_link(rng, sent, drop=0.0, dup=0.3):
        out = r.feed(d, sender, 0.0)
        if out is not None:
            got.append((sender, out))
            assert r.buffered_bytes <= r.max_bytes
    # Fragmented messages come out exactly once; a whole datagram carries no
    # msg_id, so its duplicates pass through (the hop protocol suppresses them).
    fragmented = sorted(((s, m) for (s, _), m in messages.items() if len(m) > 1200), key=repr)
    assert sorted((g for g in got if len(g[1]) > 1200), key=repr) == fragmented
    assert {g for g in got if len(g[1]) <= 1200} == {
        (s, m) for (s, _), m in messages.items() if len(m) <= 1200}
    assert r.pending == 0 and r.buffered_bytes == 0
    assert r.counters["duplicates"] > 0
    for _, out in got:
        decode(out)


def test_dropping_link_with_retransmission():
    rng = random.Random(99)
    msgs = {i: message(rng.randrange(1, 200_000), seed=i) for i in range(12)}
    r = Reassembler(max_pending=16, timeout=5.0)
    delivered: dict[int, bytes] = {}
    now = 0.0
    for _ in range(40):                     # sender retransmits what is unacknowledged
        todo = [(i, d) for i, m in msgs.items() if i not in delivered
                for d in fragment(m, i, mtu=1000)]
        if not todo:
            break
        for i, d in lossy_link(rng, todo, drop=0.2, dup=0.1):
            out = r.feed(d, "peer", now)
            if out is not None:
                assert i not in delivered
                delivered[i] = out
        now += 1.0
    assert delivered == msgs


def test_dropped_fragments_expire_and_free_memory():
    rng = random.Random(7)
    r = Reassembler(timeout=10.0)
    msg = message(50_000)
    parts = fragment(msg, 3)
    del parts[rng.randrange(len(parts))]
    assert feed_all(r, parts, now=100.0) == []
    assert r.pending == 1 and r.buffered_bytes > len(msg) - 1200
    assert r.next_deadline() == 110.0
    assert r.expire(109.9) == 0 and r.pending == 1
    assert r.expire(110.0) == 1
    assert r.pending == 0 and r.buffered_bytes == 0 and r.counters["expired"] == 1
    assert r.next_deadline() is None


def test_new_fragments_keep_a_message_alive_and_feed_expires():
    r = Reassembler(timeout=10.0)
    parts = fragment(message(10_000), 5)
    for t, d in enumerate(parts[:-1]):
        assert r.feed(d, "a", float(t * 5)) is None       # spans far more than 10 s
    last_t = (len(parts) - 2) * 5
    assert r.feed(parts[-1], "a", last_t + 9.0) is not None
    # feed() expires idle partials of any sender on its own
    r.feed(parts[0], "b", 0.0)
    r.feed(encode(Ack(HOP)), "c", 10.0)
    assert r.pending == 0 and r.counters["expired"] == 1


def test_late_duplicates_after_completion_are_dropped():
    r = Reassembler(timeout=10.0)
    msg = message(5000)
    parts = fragment(msg, 8)
    assert feed_all(r, parts) == [msg]
    assert feed_all(r, parts, now=5.0) == []
    assert r.pending == 0 and r.counters["duplicates"] == len(parts)
    # once the record is forgotten the same id may carry a new message
    assert feed_all(r, parts, now=30.0) == [msg]


def test_reused_id_with_other_shape_is_a_new_message():
    r = Reassembler()
    a, b = message(5000, 1), message(9000, 2)
    assert feed_all(r, fragment(a, 8)) == [a]
    assert feed_all(r, fragment(b, 8)) == [b]


def test_whole_datagrams_pass_through():
    r = Reassembler()
    msg = encode(Ack(HOP))
    assert r.feed(msg, "a", 0.0) == msg
    assert r.counters["whole"] == 1 and r.pending == 0


def test_senders_do_not_mix():
    r = Reassembler()
    a, b = message(5000, 1), message(5000, 2)
    pa, pb = fragment(a, 1), fragment(b, 1)           # same msg_id, same shape
    out = []
    for x, y in zip(pa, pb):
        out += [o for o in (r.feed(x, "a", 0.0), r.feed(y, "b", 0.0)) if o]
    assert out == [a, b]


# --- bounds -----------------------------------------------------------------------------

def test_pending_messages_per_sender_are_bounded():
    r = Reassembler(max_pending=4)
    for msg_id in range(20):
        r.feed(fragment(message(5000, msg_id), msg_id)[0], "flood", 0.0)
    r.feed(fragment(message(5000), 0)[0], "other", 0.0)
    assert r.pending_for("flood") == 4 and r.pending_for("other") == 1
    assert r.counters["evicted"] == 16
    # the newest survive: the last one still completes
    rest = fragment(message(5000, 19), 19)[1:]
    assert feed_all(r, rest, sender="flood") == [message(5000, 19)]


def test_bytes_per_sender_and_in_total_are_bounded():
    rng = random.Random(5)
    r = Reassembler(max_pending=1000, max_bytes=400_000, max_sender_bytes=150_000,
                    max_message=100_000)
    for n in range(3000):
        sender = rng.randrange(8)
        msg_id = rng.randrange(50)
        d = frag(msg_id, rng.randrange(1, 80), 80, bytes(1000))
        r.feed(d, sender, 0.0)
        assert r.buffered_bytes <= 400_000
        per_sender = {}
        for (s, _), p in r._lru.items():
            per_sender[s] = per_sender.get(s, 0) + p.cost
        assert max(per_sender.values()) <= 150_000
        assert sum(per_sender.values()) == r.buffered_bytes
    assert r.counters["evicted"] > 0


def test_memory_charge_includes_overhead():
    r = Reassembler()
    r.feed(frag(1, 0, 3, b"x"), "a", 0.0)
    assert r.buffered_bytes == 1 + FRAGMENT_OVERHEAD


def test_message_that_cannot_fit_is_refused_up_front():
    r = Reassembler(max_message=10_000)
    parts = fragment(message(20_000), 1, mtu=1000)
    with pytest.raises(WireError):
        r.feed(parts[0], "a", 0.0)
    assert r.pending == 0 and r.buffered_bytes == 0 and r.counters["malformed"] == 1
    # learnt from the last fragment alone: 30 fragments of at least 1 byte, last 20
    r2 = Reassembler(max_message=40, max_bytes=1 * MiB)
    with pytest.raises(WireError):
        r2.feed(frag(1, 29, 30, b"x" * 20), "a", 0.0)
    # tiny fragments whose overhead alone would overflow the sender's buffer
    r3 = Reassembler(max_sender_bytes=10_000)
    with pytest.raises(WireError):
        r3.feed(frag(1, 0, 200, b"x"), "a", 0.0)


def test_a_message_at_the_limit_still_reassembles():
    msg = message(16 * MiB - 200)
    assert len(msg) <= 16 * MiB
    r = Reassembler()
    assert feed_all(r, fragment(msg, 1, mtu=60_000)) == [msg]


# --- malformed fragments -------------------------------------------------------------------

MALFORMED = {
    "empty": b"",
    "one byte": bytes([VERSION]),
    "wrong version whole": bytes([VERSION + 1]) + b"\x91\x06",
    "wrong version fragment": b"\x00" + frag(1, 0, 2, b"x")[1:],
    "header only": frag(1, 0, 2, b""),
    "short header": frag(1, 0, 2, b"x")[:7],
    "count 1": frag(1, 0, 1, b"x"),
    "count 0": frag(1, 0, 0, b"x"),
    "index past count": frag(1, 2, 2, b"x"),
}


@pytest.mark.parametrize("datagram", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_datagrams_raise_wire_error(datagram):
    r = Reassembler()
    with pytest.raises(WireError) as info:
        r.feed(datagram, "a", 0.0)
    assert type(info.value) is WireError
    assert r.counters["malformed"] == 1 and r.pending == 0


def test_non_bytes_datagram_raises_wire_error():
    with pytest.raises(WireError):
        Reassembler().feed("text", "a", 0.0)


def test_inconsistent_fragments_drop_the_message():
    cases = [
        [frag(1, 0, 3, b"abc"), frag(1, 1, 4, b"abc")],             # count changes
        [frag(1, 0, 3, b"abc"), frag(1, 0, 3, b"abd")],             # duplicate differs
        [frag(1, 0, 3, b"abc"), frag(1, 1, 3, b"ab")],              # middle size differs
        [frag(1, 0, 3, b"abc"), frag(1, 2, 3, b"abcd")],            # last longer than chunk
        [frag(1, 2, 3, b"abcd"), frag(1, 0, 3, b"abc")],            # ... learnt later
    ]
    for first, second in cases:
        r = Reassembler()
        r.feed(first, "a", 0.0)
        with pytest.raises(WireError):
            r.feed(second, "a", 0.0)
        assert r.pending == 0 and r.buffered_bytes == 0


def test_reassembler_misuse():
    for kwargs in [{"max_pending": 0}, {"max_bytes": -1}, {"timeout": 0},
                   {"timeout": "10"}, {"max_message": 1.5}]:
        with pytest.raises(WireUsageError):
            Reassembler(**kwargs)
