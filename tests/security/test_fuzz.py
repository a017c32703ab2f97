"""Every decoder of network input, fuzzed: whatever bytes arrive, each raises
only its own remote-input error (never anything else, never a crash), and a
node fed the same bytes as datagrams keeps serving."""
from __future__ import annotations

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.testing import core
from smvm import statecodec, wire
from smvm.compiler import compile_brick
from smvm.continuation import screen
from smvm.errors import CompileError, RemoteInputError
from smvm.limits import DEFAULT_NODE_LIMITS
from smvm.node import compile_bounded
from smvm.trust import unpack_chain
from smvm.vm import continuation_brick

from ._attack import assert_core_still_serves

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: msgpack values of every kind, nested: what a crafted message is built of
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64), st.floats(),
                     st.text(max_size=40), st.binary(max_size=40))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(st.one_of(st.text(max_size=8), st.integers()),
                                                 inner, max_size=6)), max_leaves=30)


def _packed(value) -> bytes:
    try:
        return msgpack.packb(value, use_bin_type=True)
    except (OverflowError, ValueError, TypeError):
        return b"\xc0"


#: bytes that look like a frame: the version byte, then a kind and fields
_frame_like = st.tuples(st.integers(0, 12), st.lists(_values, max_size=8)).map(
    lambda kv: bytes([wire.VERSION]) + _packed([kv[0], *kv[1]]))
_any_bytes = st.one_of(st.binary(max_size=2000), _frame_like,
                       _values.map(lambda v: bytes([wire.VERSION]) + _packed(v)))


@FUZZ
@given(_any_bytes)
def test_the_frame_decoder_raises_only_wire_errors(data: bytes) -> None:
    try:
        frame = wire.decode(data)
    except wire.WireError:
        return
    assert type(frame) in wire.FRAME_TYPES.values()


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=1300), _frame_like), max_size=20))
def test_the_reassembler_raises_only_wire_errors(datagrams: list[bytes]) -> None:
    reassembler = wire.Reassembler()
    for i, datagram in enumerate(datagrams):
        try:
            message = reassembler.feed(datagram, "x", float(i))
        except wire.WireError:
            continue
        assert message is None or type(message) is bytes


@FUZZ
@given(st.one_of(st.binary(max_size=2000), _values.map(_packed)))
def test_the_state_codec_raises_only_remote_input_errors(data: bytes) -> None:
    try:
        statecodec.loads(data, limits=statecodec.UNTRUSTED_LIMITS)
    except RemoteInputError:
        pass


_BRICK = compile_brick("def helper(x):\n    return x\n\n"
                       "def main(a):\n    sys_migrate('b')\n    return helper(a)\n", "b.py")
_continuations = st.fixed_dictionaries(
    {"v": st.integers(0, 3), "brick": st.sampled_from([_BRICK.hash, "0" * 64]),
     "entry": st.sampled_from(["main", "helper", "nope"]),
     "frames": st.lists(st.tuples(st.sampled_from(sorted(_BRICK.functions) + ["x"]),
                                  st.integers(-1, 5), st.dictionaries(st.text(max_size=4),
                                                                      _values, max_size=3)),
                        max_size=3),
     "globals": st.dictionaries(st.text(max_size=5), _values, max_size=3),
     "defaults": st.dictionaries(st.text(max_size=5), _values, max_size=2),
     "request": st.one_of(_values, st.just({"kind": "migrate", "target": "b"})),
     "fuel": st.one_of(st.integers(-5, 2**63), _values)},
    optional={"extra": _values}).map(_packed)


@FUZZ
@given(st.one_of(_continuations, st.binary(max_size=500), _values.map(_packed)))
def test_continuation_screening_raises_only_remote_input_errors(state: bytes) -> None:
    try:
        continuation_brick(state)
    except RemoteInputError:
        pass
    try:
        fields = screen(state, _BRICK)
    except RemoteInputError:
        return
    assert type(fields["fuel"]) is int


@FUZZ
@given(st.one_of(st.binary(max_size=600), _values.map(_packed)))
def test_provenance_chains_raise_only_remote_input_errors(data: bytes) -> None:
    try:
        unpack_chain(data)
    except RemoteInputError:
        pass


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.sampled_from([
    "def main(:\n", "def main():\n    return (" * 50, "x = [" * 500, "\x00", "#smvm-link 1\n[[",
    '#smvm-link 1\n[["a","def f():\\n    return 1\\n"],["m","from a import f\\n"]]'])))
def test_compiling_arriving_source_raises_only_compile_errors(source: str) -> None:
    try:
        compile_bounded(source, "fuzz.py", DEFAULT_NODE_LIMITS)
    except CompileError:
        pass


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_any_bytes, min_size=1, max_size=15))
def test_a_node_fed_fuzzed_datagrams_keeps_serving(datagrams: list[bytes]) -> None:
    _feed_and_check(datagrams)


#: TRANSFER frames whose continuation is a crafted state compressed as the wire
#: format does (so it inflates): past the wire, the node's own checks must hold
_IDENTITY = {"sm_id": "fuzz/1", "family": "fuzz/1", "origin": "fuzzer"}
_compressed_transfers = st.tuples(
    st.one_of(_continuations, _values.map(_packed), st.binary(max_size=300)),
    st.booleans(), st.binary(min_size=16, max_size=16)).map(
    lambda s: wire.encode(wire.Transfer(s[2], "fuzz/1", _IDENTITY, s[0],
                                        ((_BRICK.hash, _BRICK.source),) if s[1] else ())))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_compressed_transfers, min_size=1, max_size=6))
def test_a_node_fed_crafted_compressed_continuations_keeps_serving(messages) -> None:
    _feed_and_check(messages)


def _feed_and_check(datagrams: list[bytes]) -> None:
    node = core()
    for i, datagram in enumerate(datagrams):
        node.receive(datagram, "fuzzer", 1.0 + i * 0.01)
        for brick_id, source, name in node.cache.take_pending():
            try:
                outcome = compile_bounded(source, name, node.config.limits)
            except CompileError as exc:
                outcome = exc
            node.finish_compile(brick_id, outcome, 1.0)
        node.run_ready()
        node.handle_timer(1.0 + i * 0.01)
        node.run_ready()
    assert_core_still_serves(node, now=5.0)


def _worker_outcomes():
    return st.one_of(_values, st.tuples(st.sampled_from(["finished", "failed", "paused",
                                                         "suspended", "x"]),
                                        st.lists(_values, max_size=4)).map(
        lambda kv: [kv[0], *kv[1]]))


@FUZZ
@given(_worker_outcomes())
def test_a_workers_outcome_is_checked_not_trusted(result) -> None:
    """A worker process is untrusted too: what it reports is checked."""
    from smvm.workers.messages import decode_outcome
    try:
        decode_outcome(result)
    except (ValueError, TypeError):
        pass
