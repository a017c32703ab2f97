"""Frames of every kind, and hypothesis strategies building arbitrary ones."""
from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from smvm.wire import (
    Accept,
    Ack,
    Beacon,
    Inject,
    InjectReply,
    Offer,
    StatusQuery,
    StatusReply,
    Reject,
    Result,
    Transfer,
)


def brick(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


SRC_A = "def main(x):\n    return x + 1\n"
SRC_B = "def route(t):\n    sys_migrate(t)\n"
HOP = bytes(range(16))
IDENTITY = {"sm_id": "sm42", "family": "sm1", "origin": "node-a"}


def sample_frames() -> list:
    """One frame of each kind, with non-trivial contents."""
    return [
        Beacon("node-a", 17, (46.52, 6.63), ("Taxi", "gps")),
        Beacon("n\u00e9-2", 0, None, ()),
        Offer(HOP, "sm42", 10_000, 4096, 1 << 20, (brick(SRC_A), brick(SRC_B))),
        Accept(HOP, (brick(SRC_B),)),
        Accept(HOP, ()),
        Reject(HOP, "out of fuel budget"),
        Transfer(HOP, "sm42", IDENTITY, b"\x93\x01\x02\x03" * 50,
                 ((brick(SRC_B), SRC_B),), b"data\x00\xff"),
        Ack(HOP),
        Result("sm42", "node-a", True, b"\x92\x01\x02", None),
        Result("sm42", "node-a", False, b"",
               {"type": "ZeroDivisionError", "message": "division by zero", "line": 3}),
        Inject(b"req-1", SRC_A, b"\x91\x05", True),
        InjectReply(b"req-1", "sm43", True, b"\x06", None),
        InjectReply(b"req-2", "", False, b"",
                    {"type": "CompileError", "message": "bad", "line": None}),
        StatusQuery(b"req-3", bytes(200)),
        StatusReply(b"req-3", b"\x81\xa4node\xa1a"),
    ]


# --- hypothesis strategies -----------------------------------------------------------

idents = st.text(min_size=1, max_size=20)
hop_ids = st.binary(min_size=16, max_size=16)
uints = st.integers(min_value=0, max_value=(1 << 64) - 1)
brick_ids = st.binary(min_size=32, max_size=32).map(bytes.hex)
blobs = st.binary(max_size=300)
scalars = st.none() | st.booleans() | st.integers(-(1 << 63), (1 << 64) - 1) \
    | st.floats(allow_nan=False) | st.text(max_size=30)
errors = st.dictionaries(st.text(max_size=10), scalars, max_size=5)


@st.composite
def outcomes(draw) -> tuple[bool, dict | None]:
    ok = draw(st.booleans())
    return ok, (None if ok else draw(errors))


@st.composite
def transfers(draw) -> Transfer:
    sm_id = draw(idents)
    code = draw(st.dictionaries(brick_ids, st.text(max_size=200), max_size=4))
    return Transfer(draw(hop_ids), sm_id,
                    {"sm_id": sm_id, "family": draw(idents), "origin": draw(idents)},
                    draw(blobs), tuple(code.items()), draw(blobs))


@st.composite
def results(draw) -> Result:
    ok, error = draw(outcomes())
    return Result(draw(idents), draw(idents), ok, draw(blobs), error)


@st.composite
def inject_replies(draw) -> InjectReply:
    ok, error = draw(outcomes())
    sm_id = draw(idents) if ok else draw(idents | st.just(""))
    return InjectReply(draw(st.binary(min_size=1, max_size=64)), sm_id, ok, draw(blobs), error)


unique_ids = st.lists(brick_ids, unique=True, max_size=6).map(tuple)
finite = st.floats(allow_nan=False, allow_infinity=False)

frames = st.one_of(
    st.builds(Beacon, idents, uints, st.none() | st.tuples(finite, finite),
              st.lists(idents, max_size=5).map(tuple)),
    st.builds(Offer, hop_ids, idents, uints, uints, uints, unique_ids),
    st.builds(Accept, hop_ids, unique_ids),
    st.builds(Reject, hop_ids, st.text(max_size=100)),
    transfers(),
    st.builds(Ack, hop_ids),
    results(),
    st.builds(Inject, st.binary(min_size=1, max_size=64), st.text(min_size=1, max_size=200),
              blobs, st.booleans()),
    inject_replies(),
)
