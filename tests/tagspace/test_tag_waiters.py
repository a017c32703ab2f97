"""Waiters for block_tag: woken by writes and creates, timed out by deadlines."""
from __future__ import annotations

import pytest

from tagspace import (AccessDenied, BadTagArgument, IOTagUpdated, TagCreated, TagDeleted,
                      TagUsageError, TagWritten, TimedOut, Woken)

from .ts_principals import OWNER, SIBLING, STRANGER


def test_write_wakes_waiters_in_registration_order(space):
    space.create(OWNER, "reply", None, access={"family": "rw"}, now=0.0)
    space.wait(SIBLING, "reply", "tok-1", deadline=10.0)
    space.wait(OWNER, "reply", "tok-2", deadline=None)
    assert space.waiting("reply") == ("tok-1", "tok-2")
    woken = space.write(OWNER, "reply", 42, 3.0)
    assert woken == (Woken("tok-1", "reply", "sm-sibling", 3.0, "written"),
                     Woken("tok-2", "reply", "sm-owner", 3.0, "written"))
    assert space.waiting("reply") == ()
    assert space.write(OWNER, "reply", 43, 4.0) == ()  # already woken
    assert space.timeouts(100.0) == []  # and no longer timed
    assert space.next_deadline() is None


def test_create_wakes_waiters_for_a_name_not_yet_existing(space):
    space.wait(STRANGER, "answer", ("sm", 1), deadline=5.0)
    woken = space.create(OWNER, "answer", 1, now=2.0)
    assert woken == (Woken(("sm", 1), "answer", "sm-stranger", 2.0, "created"),)


def test_timeouts_in_deadline_order(space):
    space.wait(OWNER, "a", "late", deadline=9.0)
    space.wait(OWNER, "b", "early", deadline=4.0)
    space.wait(OWNER, "b", "never", deadline=None)
    assert space.next_deadline() == 4.0
    assert space.timeouts(3.9) == []
    assert space.timeouts(4.0) == [TimedOut("early", "b", "sm-owner", 4.0)]
    assert space.next_deadline() == 9.0
    assert space.timeouts(20.0) == [TimedOut("late", "a", "sm-owner", 9.0)]
    assert space.next_deadline() is None
    assert space.waiting("b") == ("never",)


def test_woken_waiter_does_not_time_out_and_deadline_moves_on(space):
    space.create(OWNER, "t", 0, now=0.0)
    space.wait(OWNER, "t", "x", deadline=5.0)
    space.wait(OWNER, "u", "y", deadline=8.0)
    space.write(OWNER, "t", 1, 1.0)
    assert space.next_deadline() == 8.0
    assert [t.token for t in space.timeouts(10.0)] == ["y"]


def test_cancel_wait(space):
    space.wait(OWNER, "t", "x", deadline=5.0)
    assert space.cancel_wait("x")
    assert not space.cancel_wait("x")
    assert space.next_deadline() is None
    assert space.create(OWNER, "t", 1, now=1.0) == ()


def test_delete_and_expiry_do_not_wake(space):
    space.create(OWNER, "t", 0, lifetime=2.0, now=0.0)
    space.create(OWNER, "u", 0, now=0.0)
    space.wait(OWNER, "t", "x", deadline=None)
    space.wait(OWNER, "u", "y", deadline=None)
    space.delete(OWNER, "u", 1.0)
    space.expire(3.0)
    assert space.waiting("t") == ("x",) and space.waiting("u") == ("y",)


def test_waiting_on_an_unreadable_tag_is_denied(space):
    space.create(OWNER, "secret", 1, now=0.0)
    with pytest.raises(AccessDenied) as info:
        space.wait(STRANGER, "secret", "x", deadline=5.0)
    assert info.value.operation == "wait"
    assert space.waiting("secret") == ()
    # once expired it no longer exists, so waiting for a re-creation is allowed
    space.create(OWNER, "brief", 1, lifetime=1.0, now=0.0)
    space.wait(STRANGER, "brief", "y", deadline=5.0, now=2.0)


def test_token_reuse_and_bad_arguments(space):
    space.wait(OWNER, "t", "x", deadline=5.0)
    with pytest.raises(TagUsageError, match="already waiting"):
        space.wait(OWNER, "u", "x", deadline=5.0)
    with pytest.raises(TagUsageError):
        space.wait(OWNER, "u", ["unhashable"], deadline=5.0)
    with pytest.raises(BadTagArgument):
        space.wait(OWNER, 3, "z", deadline=5.0)  # type: ignore[arg-type]
    with pytest.raises(BadTagArgument):
        space.wait(OWNER, "u", "z", deadline="soon")  # type: ignore[arg-type]


def test_io_updates_and_writable_io_tags_wake(space):
    from tagspace import MockActuator
    space.register_io("water", MockActuator(initial=False))
    space.wait(OWNER, "neighbors", "n", deadline=None)
    space.wait(OWNER, "water", "w", deadline=None)
    woken = space.set_io("neighbors", ["node-2"], 5.0)
    assert woken == (Woken("n", "neighbors", "sm-owner", 5.0, "io"),)
    woken = space.write(STRANGER, "water", True, 6.0)
    assert woken == (Woken("w", "water", "sm-owner", 6.0, "written"),)


def test_many_wait_cycles_keep_the_deadline_heap_small(space):
    space.create(OWNER, "t", 0, now=0.0)
    for i in range(500):
        space.wait(OWNER, "t", i, deadline=1000.0 + i)
        space.write(OWNER, "t", i, float(i))
    assert len(space._waits._heap) <= 66


def test_observers_see_every_event(space):
    from tagspace import MockSensor
    events = []
    space.add_observer(events.append)
    space.register_io("temperature", MockSensor(function=lambda now: 20.0))
    space.wait(OWNER, "t", "a", deadline=None)
    space.wait(OWNER, "x", "b", deadline=1.0)
    space.create(OWNER, "t", 1, now=0.5)
    space.write(OWNER, "t", 2, 0.6)
    space.io_updated("temperature", 0.7)
    space.timeouts(1.0)
    space.delete(OWNER, "t", 1.1)
    size = space.used_bytes  # 0 now
    assert size == 0
    assert events == [
        TagCreated("t", "sm-owner", 0.5, events[0].size),
        Woken("a", "t", "sm-owner", 0.5, "created"),
        TagWritten("t", "sm-owner", 0.6),
        IOTagUpdated("temperature", 0.7),
        TimedOut("b", "x", "sm-owner", 1.0),
        TagDeleted("t", "sm-owner", 1.1),
    ]
    space.remove_observer(events.append)
    space.create(OWNER, "t", 1, now=2.0)
    assert len(events) == 6
