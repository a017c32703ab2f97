"""Quotas per SM and per node, the size estimate, and plain-data values."""
from __future__ import annotations

import pytest

from tagspace import (TAG_OVERHEAD, BadTagArgument, QuotaExceeded, TagSpace, estimate_size)

from .ts_principals import OWNER, SIBLING, STRANGER


def tag_cost(name: str, value: object) -> int:
    return TAG_OVERHEAD + estimate_size(name) + estimate_size(value)


@pytest.mark.parametrize("value,size", [
    (None, 8), (True, 8), (1.5, 16), (7, 16), (-(1 << 63), 16), (1 << 64, 24), (1 << 200, 40),
    ("", 16), ("abc", 19), ("é", 18), (b"\x00\x01", 18),
    ([], 16), ([1, 2], 16 + 16 + 32), ((1, "a"), 16 + 16 + 16 + 17),
    ({"k": 1}, 16 + 16 + 17 + 16), ({1, 2}, 16 + 32 + 32),
    ({(1, 2): None}, 16 + 16 + (16 + 16 + 32) + 8),
])
def test_size_estimate_table(value, size):
    assert estimate_size(value) == size


def test_tag_cost_is_overhead_plus_name_plus_value(space):
    space.create(OWNER, "temp", [1, 2, 3], now=0.0)
    assert space.used_by(OWNER.sm_id) == space.used_bytes == tag_cost("temp", [1, 2, 3])
    assert space.info("temp", 0.0).size == tag_cost("temp", [1, 2, 3])


def test_per_sm_quota(space):
    # per-SM limit is 10_000 bytes
    big = "x" * 4000
    space.create(OWNER, "a", big, now=0.0)
    space.create(OWNER, "b", big, now=0.0)
    with pytest.raises(QuotaExceeded) as info:
        space.create(OWNER, "c", big, now=0.0)
    e = info.value
    assert e.limit_name == "per_sm" and e.limit == 10_000
    assert "10000" in str(e) and "per-SM" in str(e) and "sm-owner" in str(e)
    assert not space.exists("c", 0.0)
    # another SM is not affected
    space.create(SIBLING, "c", big, now=0.0)
    # deleting frees the owner's quota
    space.delete(OWNER, "a", 0.0)
    space.create(OWNER, "c2", big, now=0.0)


def test_node_quota():
    space = TagSpace("n", memory_limit_bytes=3000, per_sm_limit_bytes=2000)
    space.create(OWNER, "a", "x" * 1500, now=0.0)
    with pytest.raises(QuotaExceeded) as info:
        space.create(SIBLING, "b", "x" * 1500, now=0.0)
    assert info.value.limit_name == "node" and info.value.limit == 3000
    assert "3000" in str(info.value) and "'n'" in str(info.value)
    assert space.free_bytes == 3000 - space.used_bytes


def test_write_growth_is_checked_and_charged_to_owner(space):
    space.create(OWNER, "shared", "", access={"others": "rw"}, now=0.0)
    space.write(STRANGER, "shared", "y" * 5000, 0.0)
    assert space.used_by(STRANGER.sm_id) == 0
    assert space.used_by(OWNER.sm_id) == tag_cost("shared", "y" * 5000)
    with pytest.raises(QuotaExceeded, match="per-SM"):
        space.write(STRANGER, "shared", "y" * 9990, 0.0)
    assert space.read(OWNER, "shared", 0.0) == "y" * 5000  # unchanged
    space.write(OWNER, "shared", 1, 0.0)  # shrinking gives bytes back
    assert space.used_by(OWNER.sm_id) == tag_cost("shared", 1)


def test_quota_pressure_reclaims_expired_tags(space):
    space.create(OWNER, "old", "x" * 8000, lifetime=5.0, now=0.0)
    with pytest.raises(QuotaExceeded):
        space.create(OWNER, "new", "x" * 8000, now=4.0)
    space.create(OWNER, "new", "x" * 8000, now=5.0)  # "old" expired: its bytes are free
    assert space.used_by(OWNER.sm_id) == tag_cost("new", "x" * 8000)


def test_value_larger_than_any_limit_stops_early(space):
    v: object = ["leaf" * 10]
    for _ in range(30):
        v = [v, v]  # 2**30 leaves by reference: must not be walked in full
    with pytest.raises(QuotaExceeded):
        space.create(OWNER, "huge", v, now=0.0)
    with pytest.raises(QuotaExceeded):
        space.create(OWNER, "long", "z" * 20_000, now=0.0)
    assert space.used_bytes == 0


def test_unlimited_space():
    space = TagSpace("n", None, None)
    space.create(OWNER, "t", "x" * 100_000, now=0.0)
    assert space.free_bytes is None


def test_bad_limits_rejected():
    from tagspace import TagUsageError
    with pytest.raises(TagUsageError):
        TagSpace("n", 0, 10)
    with pytest.raises(TagUsageError):
        TagSpace("n", 10, 1.5)  # type: ignore[arg-type]


# --- values -----------------------------------------------------------------------

class Custom:
    pass


@pytest.mark.parametrize("bad", [object(), bytearray(b"x"), frozenset({1}), Custom(), [1, Custom()],
                                 {"k": {1, 2, Custom()}}, {"k": [object()]},
                                 type("S", (str,), {})("sub"), print])
def test_non_plain_values_rejected(space, bad):
    with pytest.raises(BadTagArgument, match="plain data"):
        space.create(OWNER, "t", bad, now=0.0)


def test_unhashable_container_keys_rejected(space):
    class Key(tuple):
        pass
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", {Key(): 1}, now=0.0)


def test_depth_limit_and_cycles_rejected(space):
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(BadTagArgument, match="deeper"):
        space.create(OWNER, "t", deep, now=0.0)
    cyc: list = []
    cyc.append(cyc)
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", cyc, now=0.0)


def test_values_are_copied_in_and_out(space):
    v = {"list": [1, 2], "tuple": ([3],), "set": {4}}
    space.create(OWNER, "t", v, access={"others": "r"}, now=0.0)
    v["list"].append(99)
    v["tuple"][0].append(99)
    got = space.read(STRANGER, "t", 0.0)
    assert got == {"list": [1, 2], "tuple": ([3],), "set": {4}}
    got["list"].append(5)
    got["set"].add(6)
    got["tuple"][0].append(7)
    assert space.read(OWNER, "t", 0.0) == {"list": [1, 2], "tuple": ([3],), "set": {4}}
    w = [1]
    space.write(OWNER, "t", w, 0.0)
    w.append(2)
    assert space.read(OWNER, "t", 0.0) == [1]


@pytest.mark.parametrize("value", [
    7, -(1 << 63), (1 << 63) - 1, 1 << 63, 2.5, "ascii", "ünï", b"b", True, None,
    [1, 2.0, "x"], (1, "y"), [1, True], [1, [2]], ("é",), [1 << 70], {"k": [1, "v"]}, {1: 2.0},
    [], (),
])
def test_fast_paths_agree_with_the_general_walk(space, value):
    from tagspace._values import _Walker, measure_copy
    walker = _Walker(1 << 40)
    copy = walker.copy(value, 0)
    assert measure_copy(value, 1 << 40) == (copy, walker.used)
    # the space's own fast paths for create and write charge the same
    space.create(OWNER, "t", value, now=0.0)
    assert space.info("t", 0.0).size == TAG_OVERHEAD + estimate_size("t") + walker.used
    space.write(OWNER, "t", None, 0.0)
    space.write(OWNER, "t", value, 0.0)
    assert space.info("t", 0.0).size == TAG_OVERHEAD + estimate_size("t") + walker.used
