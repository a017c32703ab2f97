"""Frame construction: normalisation and the local-misuse errors."""
from __future__ import annotations

import math

import pytest

from smvm.errors import RemoteInputError, UsageError
from smvm.wire import (
    Accept,
    Ack,
    Beacon,
    Inject,
    InjectReply,
    Offer,
    Reject,
    Result,
    Transfer,
    WireError,
    WireUsageError,
)

from ._samples import HOP, IDENTITY, SRC_A, brick, sample_frames

BID = brick(SRC_A)


def test_error_families_are_apart():
    assert issubclass(WireError, RemoteInputError)
    assert issubclass(WireUsageError, UsageError)
    assert not issubclass(WireUsageError, RemoteInputError)
    assert not issubclass(WireError, UsageError)


def test_sequences_and_bytes_are_normalised():
    b = Beacon("n", 1, [3, 4.5], ["t"])
    assert b.position == (3.0, 4.5) and type(b.position[0]) is float
    assert b.tags == ("t",)
    o = Offer(bytearray(HOP), "sm", 1, 2, 3, [BID])
    assert type(o.hop_id) is bytes and o.bricks == (BID,)
    t = Transfer(memoryview(HOP), "sm42", dict(IDENTITY), bytearray(b"c"), [[BID, SRC_A]], b"")
    assert t.code == ((BID, SRC_A),) and type(t.continuation) is bytes


def test_identity_is_copied():
    ident = dict(IDENTITY)
    t = Transfer(HOP, "sm42", ident, b"", (), b"")
    ident["family"] = "other"
    assert t.identity == IDENTITY


def test_frames_are_frozen_and_hashable():
    for frame in sample_frames():
        with pytest.raises(AttributeError):
            frame.__setattr__(next(iter(frame.__dataclass_fields__)), None)
        hash(frame)


BAD = [
    lambda: Beacon("", 1),
    lambda: Beacon("x" * 257, 1),
    lambda: Beacon(b"node", 1),
    lambda: Beacon("n", -1),
    lambda: Beacon("n", 1 << 64),
    lambda: Beacon("n", True),
    lambda: Beacon("n", 1.0),
    lambda: Beacon("n", 1, (1.0,)),
    lambda: Beacon("n", 1, (1.0, 2.0, 3.0)),
    lambda: Beacon("n", 1, (math.nan, 0.0)),
    lambda: Beacon("n", 1, (math.inf, 0.0)),
    lambda: Beacon("n", 1, ("1", 0.0)),
    lambda: Beacon("n", 1, (True, 0.0)),
    lambda: Beacon("n", 1, None, ("ok", 3)),
    lambda: Beacon("n", 1, None, ("",)),
    lambda: Beacon("n", 1, None, "tags"),
    lambda: Offer(HOP[:15], "sm", 1, 1, 1, ()),
    lambda: Offer(HOP + b"x", "sm", 1, 1, 1, ()),
    lambda: Offer(HOP.hex(), "sm", 1, 1, 1, ()),
    lambda: Offer(HOP, "sm", -1, 1, 1, ()),
    lambda: Offer(HOP, "sm", 1, 1.5, 1, ()),
    lambda: Offer(HOP, "sm", 1, 1, None, ()),
    lambda: Offer(HOP, "sm", 1, 1, 1, (BID.upper(),)),
    lambda: Offer(HOP, "sm", 1, 1, 1, (BID[:-1],)),
    lambda: Offer(HOP, "sm", 1, 1, 1, (BID + "0",)),
    lambda: Offer(HOP, "sm", 1, 1, 1, (bytes.fromhex(BID),)),
    lambda: Offer(HOP, "sm", 1, 1, 1, (BID[:-1] + "g",)),
    lambda: Offer(HOP, "sm", 1, 1, 1, (BID, BID)),
    lambda: Offer(HOP, "", 1, 1, 1, ()),
    lambda: Accept(HOP, (BID, 7)),
    lambda: Accept(HOP, BID),
    lambda: Reject(HOP, None),
    lambda: Reject(None, "why"),
    lambda: Transfer(HOP, "sm42", {**IDENTITY, "extra": "x"}, b"", (), b""),
    lambda: Transfer(HOP, "sm42", {"sm_id": "sm42", "family": "f"}, b"", (), b""),
    lambda: Transfer(HOP, "sm42", {**IDENTITY, "family": ""}, b"", (), b""),
    lambda: Transfer(HOP, "sm42", {**IDENTITY, "origin": 1}, b"", (), b""),
    lambda: Transfer(HOP, "sm9", IDENTITY, b"", (), b""),
    lambda: Transfer(HOP, "sm42", list(IDENTITY.items()), b"", (), b""),
    lambda: Transfer(HOP, "sm42", IDENTITY, "cont", (), b""),
    lambda: Transfer(HOP, "sm42", IDENTITY, b"", ((BID,),), b""),
    lambda: Transfer(HOP, "sm42", IDENTITY, b"", ((BID, b"src"),), b""),
    lambda: Transfer(HOP, "sm42", IDENTITY, b"", ((BID, "a"), (BID, "a")), b""),
    lambda: Transfer(HOP, "sm42", IDENTITY, b"", (), None),
    lambda: Ack(b""),
    lambda: Result("sm", "o", True, b"", {"type": "E"}),
    lambda: Result("sm", "o", False, b"", None),
    lambda: Result("sm", "o", 1, b"", None),
    lambda: Result("sm", "o", False, b"", {"trace": ["a", "b"]}),
    lambda: Result("sm", "o", False, b"", {1: "x"}),
    lambda: Result("sm", "o", False, b"", {"big": 1 << 64}),
    lambda: Result("sm", "o", False, b"", "error text"),
    lambda: Result("sm", "", True, b"", None),
    lambda: Result("sm", "o", True, "value", None),
    lambda: Inject(b"", SRC_A),
    lambda: Inject(b"r" * 65, SRC_A),
    lambda: Inject(b"r", ""),
    lambda: Inject(b"r", SRC_A, b"", 1),
    lambda: Inject("r", SRC_A),
    lambda: InjectReply(b"r", "", True, b"", None),
    lambda: InjectReply(b"r", None, False, b"", {"type": "E"}),
    lambda: InjectReply(b"r", "sm", False, b"", None),
]


@pytest.mark.parametrize("build", BAD, ids=range(len(BAD)))
def test_bad_fields_raise_usage_error(build):
    with pytest.raises(WireUsageError):
        build()


def test_empty_sm_id_only_for_a_failed_injection():
    assert InjectReply(b"r", "", False, b"", {"type": "CompileError"}).sm_id == ""
