"""Hypothesis properties: round trips for any frame, message or fragment order."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smvm.wire import (
    VERSION,
    Reassembler,
    WireError,
    decode,
    encode,
    fragment,
)

from ._samples import frames

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(frames)
def test_any_frame_round_trips(frame):
    data = encode(frame)
    assert data[0] == VERSION and data[2] == frame.KIND
    back = decode(data)
    assert back == frame and type(back) is type(frame)
    assert encode(back) == data


@SETTINGS
@given(frames, st.integers(11, 400), st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_any_frame_survives_fragmentation_in_any_order(frame, mtu, msg_id, rng):
    data = encode(frame)
    parts = fragment(data, msg_id, mtu=mtu)
    assert all(len(p) <= mtu for p in parts)
    parts = parts + [rng.choice(parts) for _ in range(len(parts) // 3)]
    rng.shuffle(parts)
    r = Reassembler()
    out = [m for p in parts if (m := r.feed(p, "s", 0.0)) is not None]
    if len(data) <= mtu:
        assert parts and all(m == data for m in out) and len(out) == len(parts)
    else:
        assert out == [data]
    assert decode(out[0]) == frame
    assert r.pending == 0 and r.buffered_bytes == 0


@SETTINGS
@given(st.binary(min_size=2, max_size=200_000).map(lambda b: bytes([VERSION, 0x92]) + b),
       st.integers(11, 5000), st.integers(0, 2**32 - 1))
def test_any_message_bytes_reassemble(message, mtu, msg_id):
    mtu = max(mtu, 11 + len(message) // 0xFFFF)       # at most 65535 fragments
    r = Reassembler()
    parts = fragment(message, msg_id, mtu=mtu)
    random.Random(msg_id).shuffle(parts)
    out = [m for p in parts if (m := r.feed(p, ("h", 1), 1.0)) is not None]
    assert out == [message]


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_wire_error(data):
    for candidate in (data, bytes([VERSION]) + data):
        try:
            decode(candidate)
        except WireError:
            pass
        try:
            Reassembler().feed(candidate, "x", 0.0)
        except WireError:
            pass
