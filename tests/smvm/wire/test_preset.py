"""TRANSFER frames' code and continuation travel compressed with the preset
dictionaries (``smvm.wire.preset``): they decode back exactly, library code
costs little more than what differs from the library, and whatever arrives in
those fields is inflated within the limits or refused with ``WireError``."""
from __future__ import annotations

import zlib

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smvm.compiler import load_brick
from smvm.wire import (
    DEFAULT_LIMITS,
    VERSION,
    Kind,
    Transfer,
    WireError,
    WireLimits,
    decode,
    encode,
)
from smvm.wire.preset import CODE_PRESET, REACH, STATE_PRESET, WINDOW, deflate, inflate

from ._samples import HOP, IDENTITY, brick

STATE = msgpack.packb({"v": 1, "brick": "ab" * 32, "entry": "main",
                       "frames": [["main:3", 1, {"path": [str(n) for n in range(400)]}]],
                       "request": {"kind": "migrate", "target": "7"}, "fuel": 10})


def transfer_bytes(state_blob: object, code: list | None = None) -> bytes:
    """A TRANSFER message with the compressed fields given as they travel."""
    return bytes([VERSION]) + msgpack.packb(
        [int(Kind.TRANSFER), HOP, "sm42", IDENTITY, state_blob, code or [], b"", b""],
        use_bin_type=True)


def other_dictionary(raw: bytes) -> bytes:
    squeezer = zlib.compressobj(6, zdict=b"a dictionary this node does not know" * 8)
    return squeezer.compress(raw) + squeezer.flush()


def test_the_continuation_travels_compressed_and_round_trips() -> None:
    frame = Transfer(HOP, "sm42", IDENTITY, STATE, ())
    data = encode(frame)
    assert len(data) < len(STATE) // 2
    assert decode(data) == frame
    assert frame.continuation == STATE   # the frame itself holds the state as it is


def test_library_code_costs_little_more_than_the_program(tmp_path) -> None:
    program = tmp_path / "walk.py"
    program.write_text("from routing.migrate import migrate\n\n\n"
                       "def main(target):\n    migrate(target)\n    return node_id()\n")
    unit = load_brick(program)
    assert "routing.gpsr" in unit                      # the library parts travel with it
    frame = Transfer(HOP, "sm42", IDENTITY, b"", ((brick(unit), unit),))
    plain = len(zlib.compress(unit.encode(), 6))
    assert len(encode(frame)) < plain // 3
    assert decode(encode(frame)).code == frame.code


@pytest.mark.parametrize("program", [
    "from routing.migrate import migrate\n\n\ndef main(target):\n    migrate(target)\n",
    "from spatial.sp import circle\n\n\ndef main(c):\n    return {circle(c, 50.0): Hot[0]}.temp\n",
])
def test_every_library_part_a_unit_carries_is_within_zlibs_reach(tmp_path, program: str) -> None:
    """Units carry the library parts in link order, as the dictionary holds
    them: a dictionary a few bytes longer than zlib's reach left every
    routing part unmatched (a routing unit then took 3,643 bytes, not 294)."""
    path = tmp_path / "prog.py"
    path.write_text(program)
    unit = load_brick(path)
    head = unit.index("[") + 1
    assert len(CODE_PRESET) + head <= REACH
    assert len(deflate(unit.encode(), CODE_PRESET)) * 10 < len(zlib.compress(unit.encode(), 6))


def test_the_dictionaries_fit_the_window_and_the_code_one_is_library_text() -> None:
    assert 0 < len(CODE_PRESET) <= WINDOW and 0 < len(STATE_PRESET) <= WINDOW
    assert b'["routing.gpsr","' in CODE_PRESET and b"def geo_route(" in CODE_PRESET


def test_a_stream_without_a_dictionary_still_decodes() -> None:
    assert inflate("x", zlib.compress(STATE), STATE_PRESET, len(STATE)) == STATE


@pytest.mark.parametrize("blob, why", [
    (deflate(b"\x90" * 200, STATE_PRESET)[:-3], "truncated"),
    (deflate(b"\x90", STATE_PRESET) + b"\x00", "after its end"),
    (b"not zlib at all", "does not decompress"),
    (other_dictionary(STATE), "does not decompress"),
    (deflate(STATE, CODE_PRESET), "does not decompress"),     # the other preset
    ("text", "compressed bytes"),
    (None, "compressed bytes"),
])
def test_a_bad_compressed_continuation_is_refused(blob, why: str) -> None:
    with pytest.raises(WireError, match=why):
        decode(transfer_bytes(blob))


def test_a_continuation_inflating_past_the_limit_is_refused_at_the_limit() -> None:
    limits = WireLimits(max_continuation=1000)
    bomb = deflate(bytes(1001), STATE_PRESET)
    assert len(bomb) < 30
    with pytest.raises(WireError, match="inflates past 1000"):
        decode(transfer_bytes(bomb), limits)
    assert decode(transfer_bytes(deflate(bytes(1000), STATE_PRESET)), limits).continuation \
        == bytes(1000)
    with pytest.raises(WireError, match="inflates past"):   # the default: 8 MiB
        decode(transfer_bytes(deflate(bytes(DEFAULT_LIMITS.max_continuation + 1),
                                      STATE_PRESET)))


def test_code_inflating_past_the_limits_is_refused() -> None:
    source = "x = 1\n" * 200
    pair = [bytes.fromhex(brick(source)), deflate(source.encode(), CODE_PRESET)]
    state = deflate(b"\x90", STATE_PRESET)
    assert decode(transfer_bytes(state, [pair])).code == ((brick(source), source),)
    for limits in (WireLimits(max_source=1199), WireLimits(max_code_bytes=1199)):
        with pytest.raises(WireError, match="inflates past 1199"):
            decode(transfer_bytes(state, [pair]), limits)
    with pytest.raises(WireError, match="does not decompress"):
        decode(transfer_bytes(state, [[pair[0], deflate(source.encode(), STATE_PRESET)]]))


_SMALL = WireLimits(max_source=300, max_code_bytes=300, max_continuation=300)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                         min_size=1, max_size=4), st.booleans())
def test_mutated_compressed_fields_raise_only_wire_errors(raw: bytes, edits, in_code: bool):
    blob = bytearray(deflate(raw, CODE_PRESET if in_code else STATE_PRESET))
    for at, byte in edits:
        blob[at % len(blob)] = byte
    if in_code:
        data = transfer_bytes(deflate(b"\x90", STATE_PRESET),
                              [[bytes.fromhex(brick("x")), bytes(blob)]])
    else:
        data = transfer_bytes(bytes(blob))
    for limits in (DEFAULT_LIMITS, _SMALL):
        try:
            frame = decode(data, limits)
        except WireError:
            continue
        assert decode(encode(frame)) == frame   # what decodes is a valid frame
        assert len(frame.continuation) <= limits.max_continuation


def test_the_code_dictionary_is_the_installed_library() -> None:
    """A library brick changed without rebuilding the dictionary only
    compresses less; the suite says so at once, with the command."""
    from smvm.wire.preset import build_code_preset
    assert build_code_preset(["routing.migrate", "spatial.sp"]) == CODE_PRESET, (
        "smvm/wire/library.zdict is stale: run "
        "`python -m smvm.wire.preset routing.migrate spatial.sp`")


def _window_of(blob: bytes) -> int:
    """The window a zlib stream's header names (CINFO + 8, RFC 1950)."""
    return (blob[0] >> 4) + 8


@pytest.mark.parametrize("size", [0, 300, 3_000, 20_000, 200_000])
def test_a_stream_gets_the_smallest_window_holding_it_and_the_dictionary(size: int) -> None:
    raw = msgpack.packb([n * 0.001 for n in range(size // 9)])
    blob = deflate(raw, STATE_PRESET, 1)
    bits = _window_of(blob)
    assert 9 <= bits <= 15
    # every byte of the dictionary and the state is within reach of a match...
    assert 2 ** bits >= min(len(raw) + len(STATE_PRESET) + (WINDOW - REACH), WINDOW)
    # ...and the window is no larger than that needs
    assert bits == 9 or 2 ** (bits - 1) < len(raw) + len(STATE_PRESET) + (WINDOW - REACH)
    assert inflate("continuation", blob, STATE_PRESET, len(raw)) == raw


def test_a_small_window_compresses_as_well_as_the_full_one() -> None:
    full = zlib.compressobj(1, zdict=STATE_PRESET)
    assert len(deflate(STATE, STATE_PRESET, 1)) <= len(full.compress(STATE) + full.flush())


def test_streams_with_the_full_window_still_inflate() -> None:
    """What nodes made before the window was sized (same wire version)."""
    full = zlib.compressobj(1, zdict=STATE_PRESET)
    blob = full.compress(STATE) + full.flush()
    assert _window_of(blob) == 15
    assert decode(transfer_bytes(blob)).continuation == STATE
    # code keeps the whole window: its dictionary fills it
    assert _window_of(deflate(b"def main():\n    return 1\n", CODE_PRESET)) == 15
