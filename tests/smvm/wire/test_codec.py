"""encode/decode: round trips, the layout, and one error type for every bad input."""
from __future__ import annotations

import dataclasses
import zlib

import msgpack
import pytest

from smvm.wire import (
    FRAGMENT_MARKER,
    VERSION,
    Ack,
    Beacon,
    Inject,
    Kind,
    Offer,
    Reject,
    Result,
    Transfer,
    WireError,
    WireLimits,
    WireUsageError,
    decode,
    encode,
    fragment,
)
from smvm.wire.limits import DEFAULT_LIMITS
from smvm.wire.preset import STATE_PRESET, deflate

from ._samples import HOP, IDENTITY, SRC_A, SRC_B, brick, sample_frames

BID = brick(SRC_A)


def body(*items) -> bytes:
    """A message with an arbitrary msgpack body (bypassing frame validation)."""
    return bytes([VERSION]) + msgpack.packb(list(items), use_bin_type=True)


def raises_wire_error(data, limits: WireLimits | None = None) -> WireError:
    with pytest.raises(WireError) as info:
        decode(data) if limits is None else decode(data, limits)
    assert type(info.value) is WireError
    return info.value


@pytest.mark.parametrize("frame", sample_frames(), ids=lambda f: type(f).__name__)
def test_round_trip_every_kind(frame):
    data = encode(frame)
    back = decode(data)
    assert back == frame and type(back) is type(frame)
    assert decode(bytearray(data)) == frame
    assert decode(memoryview(data)) == frame


def test_every_kind_is_sampled():
    assert {f.KIND for f in sample_frames()} == set(Kind)


@pytest.mark.parametrize("frame", sample_frames(), ids=lambda f: type(f).__name__)
def test_layout_version_fixarray_kind(frame):
    data = encode(frame)
    assert data[0] == VERSION
    nfields = len(dataclasses.fields(frame))
    assert data[1] == 0x90 | (nfields + 1)
    assert data[2] == frame.KIND
    assert msgpack.unpackb(data[1:])[0] == frame.KIND


def test_brick_ids_travel_as_raw_bytes():
    frame = Offer(HOP, "sm", 1, 2, 3, (BID,))
    items = msgpack.unpackb(encode(frame)[1:])
    assert items[-1] == [bytes.fromhex(BID)]


def test_small_frames_fit_one_datagram():
    for frame in sample_frames():
        if not isinstance(frame, (Transfer, Inject)):
            assert len(encode(frame)) < 300


def test_encode_rejects_non_frames_and_over_limit_frames():
    with pytest.raises(WireUsageError):
        encode(("not", "a", "frame"))
    with pytest.raises(WireUsageError):
        encode(Reject(HOP, "x" * 100), WireLimits(max_str=99))
    with pytest.raises(WireUsageError):
        encode(Reject(HOP, "x" * 100), WireLimits(max_message=50))
    with pytest.raises(WireUsageError):
        encode(Reject(HOP, "lone \ud800 surrogate"))


def test_limits_validate_themselves():
    with pytest.raises(WireUsageError):
        WireLimits(max_bricks=0)
    with pytest.raises(WireUsageError):
        WireLimits(max_str=1.5)


BAD_INPUTS = {
    "empty": b"",
    "one byte": bytes([VERSION]),
    "version 0": bytes([0]) + encode(Ack(HOP))[1:],
    "older version": bytes([VERSION - 1]) + encode(Ack(HOP))[1:],
    "newer version": bytes([VERSION + 1]) + encode(Ack(HOP))[1:],
    "fragment": fragment(encode(Reject(HOP, "x" * 500)), 1, mtu=100)[0],
    "marker only": bytes([VERSION, FRAGMENT_MARKER]),
    "garbage": b"\x01\xde\xad\xbe\xef",
    "trailing byte": encode(Ack(HOP)) + b"\x00",
    "body is a map": bytes([VERSION]) + msgpack.packb({"kind": 6}),
    "body is an int": bytes([VERSION]) + msgpack.packb(6),
    "empty array": body(),
    "unknown kind 0": body(0, HOP),
    "unknown kind 10": body(10, HOP),
    "negative kind": body(-6, HOP),
    "kind as str": body("ack", HOP),
    "kind as bool": body(True, HOP),
    "kind as float": body(6.0, HOP),
    "too few fields": body(int(Kind.OFFER), HOP, "sm", 1, 2, 3),
    "too many fields": body(int(Kind.ACK), HOP, HOP),
    "hop id as str": body(int(Kind.ACK), HOP.hex()),
    "hop id short": body(int(Kind.ACK), HOP[:15]),
    "fuel negative": body(int(Kind.OFFER), HOP, "sm", -1, 2, 3, []),
    "fuel float": body(int(Kind.OFFER), HOP, "sm", 1.0, 2, 3, []),
    "fuel bool": body(int(Kind.OFFER), HOP, "sm", True, 2, 3, []),
    "brick id hex text": body(int(Kind.OFFER), HOP, "sm", 1, 2, 3, [BID]),
    "brick id 31 bytes": body(int(Kind.OFFER), HOP, "sm", 1, 2, 3, [bytes(31)]),
    "bricks not an array": body(int(Kind.ACCEPT), HOP, bytes(32)),
    "duplicate bricks": body(int(Kind.ACCEPT), HOP, [bytes(32), bytes(32)]),
    "position ints": body(int(Kind.BEACON), "n", 1, [1, 2], []),
    "position nan": body(int(Kind.BEACON), "n", 1, [float("nan"), 2.0], []),
    "position three": body(int(Kind.BEACON), "n", 1, [1.0, 2.0, 3.0], []),
    "tags a map": body(int(Kind.BEACON), "n", 1, None, {"a": "b"}),
    "identity int keys": body(int(Kind.TRANSFER), HOP, "sm42", {1: "a"}, b"", [], b""),
    "identity bytes keys": body(int(Kind.TRANSFER), HOP, "sm42",
                                {k.encode(): v for k, v in IDENTITY.items()}, b"", [], b""),
    "identity mismatch": body(int(Kind.TRANSFER), HOP, "sm7", IDENTITY, b"", [], b""),
    "code pair of three": body(int(Kind.TRANSFER), HOP, "sm42", IDENTITY, b"",
                               [[bytes(32), "src", "x"]], b""),
    "code source as bin": body(int(Kind.TRANSFER), HOP, "sm42", IDENTITY, b"",
                               [[bytes(32), b"src"]], b""),
    "ok with error": body(int(Kind.RESULT), "sm", "o", True, b"", {"type": "E"}),
    "error nested": body(int(Kind.RESULT), "sm", "o", False, b"", {"type": ["E"]}),
    "ext type": bytes([VERSION]) + msgpack.packb([int(Kind.ACK), msgpack.ExtType(1, HOP)]),
    "timestamp ext": bytes([VERSION, 0x92, 0x06, 0xd6, 0xff, 0, 0, 0, 0]),
    "invalid utf-8": bytes([VERSION, 0x93, 0x04]) + msgpack.packb(HOP) + b"\xa2\xff\xfe",
    "never-used byte": bytes([VERSION, 0x92, 0x06, 0xC1]),
    "nested bomb": bytes([VERSION]) + b"\x91" * 5000 + b"\xc0",
    "wide bomb": bytes([VERSION]) + b"\xdc\x01\x00" + (b"\xdc\x01\x00" + b"\xc0" * 256) * 256,
    "huge claimed array": bytes([VERSION, 0xdd, 0xff, 0xff, 0xff, 0xff]),
    "huge claimed str": bytes([VERSION, 0x92, 0x04, 0xdb, 0x7f, 0xff, 0xff, 0xff]),
}


@pytest.mark.parametrize("data", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_exactly_wire_error(data):
    raises_wire_error(data)


@pytest.mark.parametrize("value", ["text", None, 7, [1, 2], object()])
def test_non_bytes_input_raises_wire_error(value):
    raises_wire_error(value)


@pytest.mark.parametrize("frame", sample_frames(), ids=lambda f: type(f).__name__)
def test_every_truncation_raises_wire_error(frame):
    data = encode(frame)
    for end in range(len(data)):
        raises_wire_error(data[:end])


OVER_LIMITS = [
    (Beacon("n", 1, None, ("a", "b", "c")), WireLimits(max_tags=2)),
    (Offer(HOP, "sm", 1, 1, 1, (BID, brick(SRC_B))), WireLimits(max_bricks=1)),
    (Reject(HOP, "r" * 11), WireLimits(max_str=10)),
    (Transfer(HOP, "sm42", IDENTITY, b"c" * 11, (), b""), WireLimits(max_continuation=10)),
    (Transfer(HOP, "sm42", IDENTITY, b"", (), b"d" * 11), WireLimits(max_data=10)),
    (Transfer(HOP, "sm42", IDENTITY, b"", ((BID, "s" * 11),), b""), WireLimits(max_source=10)),
    (Result("sm", "o", True, b"v" * 11, None), WireLimits(max_data=10)),
    (Result("sm", "o", False, b"", {str(i): i for i in range(5)}),
     WireLimits(max_error_items=4)),
    (Result("sm", "o", False, b"", {"message": "m" * 11}), WireLimits(max_str=10)),
    (Inject(b"r", "s" * 11), WireLimits(max_source=10)),
    (Inject(b"r", "s", b"a" * 11), WireLimits(max_data=10)),
    (Ack(HOP), WireLimits(max_message=19)),
]


@pytest.mark.parametrize("frame, limits", OVER_LIMITS, ids=range(len(OVER_LIMITS)))
def test_over_limit_input_raises_wire_error(frame, limits):
    data = encode(frame)                      # fine under the default limits
    raises_wire_error(data, limits)
    with pytest.raises(WireUsageError):       # and the sender hears of it first
        encode(frame, limits)


def test_default_message_limit_is_16_mib():
    assert WireLimits().max_message == 16 * 1024 * 1024
    raises_wire_error(bytes([VERSION]) + b"\x00" * (16 * 1024 * 1024))


def test_big_transfer_within_limits():
    frame = Transfer(HOP, "sm42", IDENTITY, bytes(8 * 1024 * 1024), ((BID, "x" * 1_000_000),),
                     bytes(1000))
    assert decode(encode(frame)) == frame


def test_repeated_map_keys_are_refused():
    data = bytes([VERSION, 0x97, int(Kind.TRANSFER)]) + msgpack.packb(HOP) \
        + msgpack.packb("sm42") + b"\x84" \
        + b"".join(msgpack.packb(k) + msgpack.packb(v) for k, v in IDENTITY.items()) \
        + msgpack.packb("origin") + msgpack.packb("x") + msgpack.packb(b"") \
        + msgpack.packb([]) + msgpack.packb(b"")
    raises_wire_error(data)


def transfer_with_code_blob(blob) -> bytes:
    return body(int(Kind.TRANSFER), HOP, "sm42", IDENTITY, deflate(b"\x90", STATE_PRESET),
                [[bytes.fromhex(brick(SRC_A)), blob]], b"", b"")


def test_code_travels_compressed_and_round_trips() -> None:
    source = "def main():\n    return 'é' * 3\n" * 200
    frame = Transfer(HOP, "sm42", IDENTITY, b"\x90", ((brick(source), source),))
    data = encode(frame)
    assert len(data) < len(source) // 10
    assert decode(data).code == ((brick(source), source),)


@pytest.mark.parametrize("blob, why", [
    (zlib.compress(b"x" * (DEFAULT_LIMITS.max_source + 1)), "inflates past"),
    (zlib.compress(b"def main(): pass\n")[:-3], "truncated"),
    (b"not zlib at all", "does not decompress"),
    (zlib.compress(b"\xff\xfe"), "not UTF-8"),
    ("plain text source", "compressed bytes"),
])
def test_bad_compressed_code_is_refused_without_inflating_it(blob, why: str) -> None:
    error = raises_wire_error(transfer_with_code_blob(blob))
    assert why in str(error)
