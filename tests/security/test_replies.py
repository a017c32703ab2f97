"""Class 8: amplification and retention, and class 11's RESULT frames.

No reply goes back bigger than ``resend_factor`` times its request to an
address that has not shown it receives there (a forged sender gets a short
record with a token; the real client fetches the reply with it); stored
replies are bounded in number and bytes; RESULT frames are taken only for
SMs that left this node, from where they went, bounded, and once."""
from __future__ import annotations

import os

from sim.testing import core, feed, inject_frame, pair, replies, run_until_quiet, shuttle
from smvm import statecodec, wire
from smvm.limits import NodeLimits
from smvm.node import events as ev

from ._attack import assert_core_still_serves

BIG = '''
def main(n):
    return "r" * n
'''


def _sent_bytes(node, kind="InjectReply") -> int:
    return node.counters[f"bytes_out.{kind}"]


def _run_big(node, n, *, link="client", request_id=None):
    frame = inject_frame(BIG, statecodec.dumps([n]), request_id=request_id)
    feed(node, frame, link=link)
    run_until_quiet(node)
    return frame, [r for r in replies(node) if isinstance(r, wire.InjectReply)]


def test_a_big_reply_is_withheld_from_an_unproven_address() -> None:
    node = core()
    frame, [answer] = _run_big(node, 100_000)
    assert not answer.ok and answer.error["type"] == "ReplyWithheld"
    request_size = len(wire.encode(frame))
    assert _sent_bytes(node) <= node.config.limits.resend_factor * max(request_size, 300)
    assert node.counters["replies_withheld"] == 1
    assert_core_still_serves(node)


def test_the_client_that_receives_fetches_it_with_the_token() -> None:
    node = core()
    frame, [answer] = _run_big(node, 100_000)
    token = bytes.fromhex(answer.error["token"])
    fetch = inject_frame(BIG, frame.args, request_id=frame.request_id + token)
    [full] = [r for r in feed(node, fetch, link="client") if isinstance(r, wire.InjectReply)]
    assert full.ok and full.request_id == frame.request_id
    assert statecodec.loads(full.value)["value"] == "r" * 100_000
    assert node.counters["sms_finished"] == 1, "fetching starts nothing"
    assert_core_still_serves(node)


def test_a_token_works_only_for_the_address_it_was_sent_to() -> None:
    node = core()
    frame, [answer] = _run_big(node, 100_000, link="victim")
    token = bytes.fromhex(answer.error["token"])
    fetch = inject_frame(BIG, frame.args, request_id=frame.request_id + token)
    feed(node, fetch, link="elsewhere")
    run_until_quiet(node)
    elsewhere = [r for r in replies(node) if isinstance(r, wire.InjectReply)]
    assert all(not r.ok and r.error["type"] == "ReplyWithheld" for r in elsewhere)
    assert node.counters["replies_fetched"] == 0
    assert_core_still_serves(node)


def test_replayed_requests_are_never_amplified() -> None:
    """63 bytes in, 6 MB out, every time -- no more: a replay of a request
    gets at most ``resend_factor`` times its size back."""
    node = core()
    frame, _ = _run_big(node, 200_000)
    message = wire.encode(frame)
    before = node.counters["bytes_out.InjectReply"]
    for _ in range(50):
        feed(node, message, link="victim")
    sent = node.counters["bytes_out.InjectReply"] - before
    assert sent <= 50 * node.config.limits.resend_factor * max(len(message), 300)
    assert node.counters["duplicates_suppressed"] == 50
    assert node.counters["sms_finished"] == 1
    assert_core_still_serves(node)


def test_a_small_reply_is_resent_to_a_lost_client() -> None:
    node = core()
    frame, [answer] = _run_big(node, 10)
    assert answer.ok
    [again] = [r for r in feed(node, frame, link="client") if isinstance(r, wire.InjectReply)]
    assert again == answer
    assert_core_still_serves(node)


def test_stored_replies_are_bounded_in_bytes_and_number() -> None:
    limits = NodeLimits(max_stored_reply_bytes=300_000, max_inject_requests=50)
    node = core(limits=limits)
    for _ in range(40):
        _run_big(node, 50_000)
    count, stored = node.stored_replies
    assert stored <= 300_000 and count <= 50
    for _ in range(100):
        _run_big(node, 10)
    count, stored = node.stored_replies
    assert count <= 50 and stored <= 300_000
    assert_core_still_serves(node)


# ---- RESULT frames ------------------------------------------------------------

def _result(sm_id, origin="a", value=None, ok=True):
    blob = statecodec.dumps({"value": value, "node": "c", "hops": 1, "bytes": 1, "fuel": 1})
    return wire.Result(sm_id, origin, ok, blob, None if ok else
                       {"type": "Boom", "message": "m", "line": None})


def test_a_result_for_an_sm_still_here_is_refused() -> None:
    a = core("a")
    sm_id = a.inject("def main():\n    return block_tag('t', 30)\n", [], 0.0)
    run_until_quiet(a)
    feed(a, _result(sm_id, value="forged"), link="b")
    refused = [e for e in a.events() if isinstance(e, ev.FrameRefused)]
    assert refused and "has not left" in refused[0].reason
    assert a.counters["results_refused"] == 1
    assert_core_still_serves(a)


def test_a_result_passed_on_only_from_where_the_sm_went() -> None:
    a, b = pair()
    b.hear_neighbor("c", "c", 0.0)
    a.inject("def main():\n    sys_migrate('b')\n    sys_migrate('c')\n    return 1\n", [], 0.0)
    shuttle(a, b, run_b=True)  # b sends it on to c, which never answers
    sm_id = "a/1"
    replies(b)
    feed(b, _result(sm_id, value="forged"), link="mallory")
    assert b.sms_here == 0, "it left b"
    assert b.counters["results_forwarded"] == 0 and b.counters["results_refused"] == 1
    assert [e.reason for e in b.events() if isinstance(e, ev.FrameRefused)][0].endswith(
        "did not leave this node by mallory")
    assert_core_still_serves(b)


def test_an_oversized_result_is_refused_before_decoding() -> None:
    a = core("a")
    sm_id = a.inject("def main():\n    return 1\n", [], 0.0)
    run_until_quiet(a)
    a.events()
    huge = wire.Result("a/7", "a", True, b"\x00" * (2 << 20), None)
    feed(a, huge, link="b")
    assert a.counters["results_refused"] == 1 and sm_id != "a/7"
    assert [e for e in a.events() if isinstance(e, ev.FrameRefused)]
    assert_core_still_serves(a)


def test_results_for_sms_never_born_here_are_dropped() -> None:
    a = core("a")
    for n in range(20):
        feed(a, _result(f"a/{1000 + n}", value="x"), link="b")
        feed(a, _result(f"z/{n}", origin="z", value="x"), link="b")
    assert a.counters["results_refused"] == 40
    assert not [e for e in a.events() if isinstance(e, (ev.SMFinished, ev.SMFailed))]
    assert_core_still_serves(a)


def test_a_result_is_taken_once() -> None:
    a, b = pair()
    a.inject("def main():\n    sys_migrate('b')\n    return 5\n", [], 0.0)
    shuttle(a, b, run_b=True)
    finished = [e for e in a.events() if isinstance(e, ev.SMFinished) and e.sm_id == "a/1"]
    assert len(finished) == 1 and finished[0].value == 5
    feed(a, _result("a/1", value="again"), link="b")
    assert not [e for e in a.events() if isinstance(e, ev.SMFinished)]
    assert a.counters["results_duplicate"] == 1  # acknowledged again, not taken
    assert_core_still_serves(a)


def test_random_request_ids_cannot_fetch_stored_replies() -> None:
    node = core()
    frame, [answer] = _run_big(node, 100_000)
    for _ in range(50):
        guess = frame.request_id + os.urandom(16)
        feed(node, inject_frame(BIG, frame.args, request_id=guess), link="client")
    assert node.counters["replies_fetched"] == 0
    run_until_quiet(node)
    assert_core_still_serves(node)
