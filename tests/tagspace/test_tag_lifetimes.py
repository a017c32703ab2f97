"""Lifetimes: expiry on access, renewal by writes, expire() and next_expiry()."""
from __future__ import annotations

import math

import pytest

from tagspace import AccessDenied, BadTagArgument, TagExpired, TagMissing

from .ts_principals import OWNER, SIBLING, STRANGER


def test_expired_tag_is_gone_for_every_reader_before_expire(space):
    space.create(OWNER, "t", 1, lifetime=10.0, access={"others": "rw"}, now=0.0)
    assert space.read(STRANGER, "t", 9.999) == 1
    for who in (OWNER, SIBLING, STRANGER):
        with pytest.raises(TagMissing, match="expired"):
            space.read(who, "t", 10.0)
        with pytest.raises(TagMissing):
            space.write(who, "t", 2, 10.0)
        with pytest.raises(TagMissing):
            space.delete(who, "t", 10.5)
    assert not space.exists("t", 10.0)
    assert "t" not in space.names(10.0)
    with pytest.raises(TagMissing):
        space.info("t", 10.0)
    # still stored (and charged) until expire() runs
    assert space.used_bytes > 0
    assert space.expire(10.0) == ["t"]
    assert space.used_bytes == 0
    assert space.expire(11.0) == []


def test_tag_without_lifetime_lives_forever(space):
    space.create(OWNER, "t", 1, now=0.0)
    assert space.next_expiry() is None
    assert space.expire(1e12) == []
    assert space.read(OWNER, "t", 1e12) == 1


def test_write_renews_by_default(space):
    space.create(OWNER, "route", "n3", lifetime=10.0, now=0.0)
    assert space.next_expiry() == 10.0
    space.write(OWNER, "route", "n4", 6.0)
    assert space.info("route", 6.0).expires_at == 16.0
    assert space.next_expiry() == 16.0
    assert space.expire(12.0) == []
    assert space.read(OWNER, "route", 15.9) == "n4"
    assert space.expire(16.0) == ["route"]


def test_write_without_renew_keeps_expiry(space):
    space.create(OWNER, "t", 1, lifetime=10.0, now=0.0)
    space.write(OWNER, "t", 2, 6.0, renew=False)
    assert space.next_expiry() == 10.0
    with pytest.raises(TagMissing):
        space.read(OWNER, "t", 10.0)


def test_reads_and_denied_writes_do_not_renew(space):
    space.create(OWNER, "t", 1, lifetime=10.0, now=0.0)
    space.read(OWNER, "t", 5.0)
    with pytest.raises(AccessDenied):
        space.write(STRANGER, "t", 2, 5.0)
    assert space.info("t", 5.0).expires_at == 10.0


def test_renewal_uses_creation_lifetime(space):
    space.create(OWNER, "t", 1, lifetime=3.0, now=100.0)
    space.write(OWNER, "t", 2, 102.0)
    space.write(OWNER, "t", 3, 104.0)
    assert space.info("t", 104.0).expires_at == 107.0
    assert space.info("t", 104.0).lifetime == 3.0


def test_expire_returns_names_in_expiry_order_and_next_expiry_follows(space):
    space.create(OWNER, "c", 1, lifetime=30.0, now=0.0)
    space.create(OWNER, "a", 1, lifetime=10.0, now=0.0)
    space.create(OWNER, "b", 1, lifetime=20.0, now=0.0)
    space.create(OWNER, "forever", 1, now=0.0)
    assert space.next_expiry() == 10.0
    space.delete(OWNER, "a", 1.0)
    assert space.next_expiry() == 20.0
    assert space.expire(35.0) == ["b", "c"]
    assert space.next_expiry() is None
    assert "forever" in space.names(35.0) and "c" not in space.names(35.0)


def test_expired_name_can_be_created_again_before_expire(space):
    events = []
    space.add_observer(events.append)
    space.create(OWNER, "t", 1, lifetime=5.0, now=0.0)
    space.create(STRANGER, "t", 2, now=6.0)
    assert space.read(STRANGER, "t", 6.0) == 2
    assert space.info("t", 6.0).owner == STRANGER
    assert space.used_by(OWNER.sm_id) == 0
    expired = [e for e in events if isinstance(e, TagExpired)]
    assert expired == [TagExpired("t", "sm-owner", 5.0, 6.0)]
    assert space.expire(100.0) == []  # the old one was reported already


def test_expire_emits_events(space):
    events = []
    space.add_observer(events.append)
    space.create(OWNER, "t", 1, lifetime=5.0, now=0.0)
    space.expire(7.0)
    assert events[-1] == TagExpired("t", "sm-owner", 5.0, 7.0)


def test_many_renewals_keep_the_expiry_heap_small(space):
    space.create(OWNER, "t", 1, lifetime=1.0, now=0.0)
    for i in range(1000):
        space.write(OWNER, "t", i, i * 0.5)
    assert len(space._expiry) <= 2
    for i in range(200):
        space.create(OWNER, f"x{i}", i, lifetime=1.0, now=0.0)
        space.delete(OWNER, f"x{i}", 0.0)
    assert len(space._expiry) <= 2 * space.stored_count + 65
    assert space.next_expiry() == 499.5 + 1.0


def test_time_going_backwards_does_not_hide_an_expiry(space):
    space.create(OWNER, "t", 1, lifetime=10.0, now=100.0)
    space.write(OWNER, "t", 2, 50.0)  # a clock step back: expires at 60
    assert space.next_expiry() == 60.0
    assert space.expire(60.0) == ["t"]


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, math.inf, "5", True])
def test_bad_lifetimes_rejected(space, bad):
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", 1, lifetime=bad, now=0.0)
