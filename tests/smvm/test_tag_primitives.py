"""The tag-space primitives through real SMs: the protection matrix,
lifetimes on the virtual clock, block_tag, spawn and create_sm."""
from __future__ import annotations

import pytest

from sim.line import run_line
from smvm import compile_brick
from sim.line import LineWorld

BRICK = '''
def probe(op):
    if node_id() != "0":
        sys_migrate('0')
    try:
        if op == "r":
            read_tag("T")
        else:
            write_tag("T", 2)
        return "allowed"
    except TagAccessError as e:
        return "denied: " + str(e)

def make(access):
    create_tag("T", 1, None, access)

def make_and_probe(access, op):
    make(access)
    return probe(op)

def make_and_spawn(access, op):
    make(access)
    return spawn(probe, op)

def make_and_create(access, op):
    make(access)
    return create_sm("a", "probe", op)
'''
OTHER = BRICK + "\n# a different brick: different code hash\n"


def outcome(world, sm_id):
    rec = world.sms[sm_id]
    assert rec.outcome is not None and rec.outcome.__class__.__name__ == "Finished", rec.outcome
    return rec.outcome.value


def scenario(access: dict, op: str, requester: str) -> str:
    """Owner creates T on node 0 with ``access``; ``requester`` tries ``op``."""
    world = LineWorld(3, 10_000_000, 256)
    a, b = compile_brick(BRICK, "a.py"), compile_brick(OTHER, "b.py")
    world.bricks.update(a=a, b=b)
    node0, node1 = world.nodes[0], world.nodes[1]
    entry = {"owner": "make_and_probe", "child": "make_and_spawn",
             "same_origin": "make_and_create"}.get(requester, "make")
    args = [access] if entry == "make" else [access, op]
    owner = world.new_sm(node0, a, entry, args, family=None, origin="0")
    world.run()
    assert world.sms[owner].outcome.__class__.__name__ == "Finished", world.sms[owner].outcome
    if requester == "owner":
        return outcome(world, owner)
    if requester in ("child", "same_origin"):
        return outcome(world, outcome(world, owner))
    brick = a if requester == "same_code" else b
    other = world.new_sm(node1, brick, "probe", [op], family=None, origin="1")
    world.run()
    return outcome(world, other)


NOBODY = {"owner": "", "family": "", "origin": "", "code": "", "others": ""}


def only(domain: str, rights: str) -> dict:
    return {**NOBODY, domain: rights}


# (domain, member allowed, non-member denied)
MATRIX = [
    ("owner", "owner", "child"),
    ("family", "child", "same_origin"),
    ("origin", "same_origin", "stranger"),
    ("code", "same_code", "stranger"),
]


@pytest.mark.parametrize("domain, member, outsider", MATRIX)
@pytest.mark.parametrize("op", ["r", "w"])
def test_protection_matrix(domain, member, outsider, op) -> None:
    access = only(domain, op)
    assert scenario(access, op, member) == "allowed"
    denied = scenario(access, op, outsider)
    assert denied.startswith("denied: ")
    assert ("read" if op == "r" else "write") in denied


@pytest.mark.parametrize("op", ["r", "w"])
def test_others_domain(op) -> None:
    assert scenario(only("others", op), op, "stranger") == "allowed"
    assert scenario(NOBODY, op, "stranger").startswith("denied: ")


@pytest.mark.parametrize("op", ["r", "w"])
def test_a_right_for_one_operation_does_not_grant_the_other(op) -> None:
    other = "w" if op == "r" else "r"
    assert scenario(only("owner", other), op, "owner").startswith("denied: ")


def test_default_access_is_owner_only() -> None:
    assert scenario(None, "w", "owner") == "allowed"
    assert scenario(None, "r", "child").startswith("denied: ")


LIFETIMES = '''
def reader(name, wait):
    block_tag("never", wait)

def main():
    create_tag("short", "v", 0.5, {"others": "rw"})
    seen = [has_tag("short"), read_tag("short")]
    try:
        block_tag("nothing", 0.3)      # 0.3 s pass on the virtual clock
    except TagTimeout:
        seen.append(now())
    write_tag("short", "renewed")     # renews: expires at 0.8
    try:
        block_tag("nothing", 0.4)
    except TagTimeout:
        seen.append(now())
    seen.append(read_tag("short"))    # t=0.7: alive thanks to the renewal
    try:
        block_tag("nothing", 0.2)
    except TagTimeout:
        pass
    seen.append(has_tag("short"))     # t=0.9: expired
    try:
        read_tag("short")
    except TagNotFound as e:
        seen.append("gone")
    create_tag("short", "again")      # the name is free again
    return seen
'''


def test_lifetimes_expire_and_renew_on_the_virtual_clock() -> None:
    res = run_line(LIFETIMES, [])
    assert res.error is None, res.error
    assert res.result == [True, "v", 0.3, 0.7, "renewed", False, "gone"]


def test_an_expired_tag_is_gone_for_every_reader() -> None:
    source = '''
def other(name):
    if has_tag(name):
        return "seen"
    try:
        read_tag(name)
    except TagNotFound:
        return "gone"

def main():
    create_tag("t", 1, 0.1, {"others": "r", "family": "r"})
    try:
        block_tag("nothing", 0.2)
    except TagTimeout:
        pass
    child = spawn(other, "t")
    create_tag("result_wait", 0)
    return has_tag("t"), child
'''
    world = LineWorld(2, 10_000_000, 256)
    brick = compile_brick(source, "x.py")
    main = world.new_sm(world.nodes[0], brick, "main", [], family=None, origin="0")
    world.run()
    has, child = outcome(world, main)
    assert has is False
    assert outcome(world, child) == "gone"


BLOCKING = '''
def writer(delay_hops):
    for i in range(delay_hops):
        sys_migrate(str(1 - int(node_id())))
    write_tag("box", "filled by " + str(node_id()))

def main():
    create_tag("box", None, None, {"family": "rw"})
    spawn(writer, 4)                 # 4 hops: returns to node 0 at t=0.04
    value = block_tag("box", 5)      # woken by the write
    t_woken = now()
    try:
        block_tag("box", 0.5)        # nobody writes again
    except TagTimeout as e:
        timed_out = (now(), str(e))
    sys_migrate('1')                 # a formerly blocked SM migrates on
    return value, t_woken, timed_out, node_id()
'''


def test_block_tag_wakes_on_write_times_out_and_migrates_afterwards() -> None:
    res = run_line(BLOCKING, [])
    assert res.error is None, res.error
    value, t_woken, timed_out, node = res.result
    assert value == "filled by 0"
    assert t_woken == pytest.approx(0.04)
    assert timed_out == (pytest.approx(0.54), "no write to tag 'box' within 0.5 s")
    assert node == "1"
    assert res.sms == 2
    assert res.hops == 1 + 4  # every SM's hops: main's and the writer's


def test_main_spawns_helpers_and_collects_results_through_tags() -> None:
    source = '''
def square(k):
    write_tag("r" + str(k), k * k)

def main(n):
    for k in range(n):
        create_tag("r" + str(k), None, None, {"family": "rw"})
        spawn(square, k)
    total = 0
    for k in range(n):
        value = read_tag("r" + str(k))
        if value is None:
            value = block_tag("r" + str(k), 1)
        total += value
        log("got", k, value)
    return total
'''
    res = run_line(source, [5])
    assert res.error is None, res.error
    assert res.result == sum(k * k for k in range(5))
    assert res.sms == 6
    assert [entry["text"] for entry in res.log] == [f"got {k} {k * k}" for k in range(5)]


def test_identity_cannot_be_forged_and_errors_are_clear() -> None:
    source = '''
def main():
    out = []
    for bad in (lambda: create_tag("_x", 1), lambda: create_tag("x", 1, -1),
                lambda: create_tag("y", 1, None, {"owner": "rwx"}),
                lambda: write_tag("neighbors", [9]), lambda: read_tag("missing"),
                lambda: create_tag("node_id", 5)):
        try:
            bad()
            out.append("ok")
        except ValueError:
            out.append("ValueError")
        except TagAccessError:
            out.append("TagAccessError")
        except TagNotFound:
            out.append("TagNotFound")
        except TagExists:
            out.append("TagExists")
    return out
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    assert res.result == ["ValueError", "ValueError", "ValueError", "TagAccessError",
                          "TagNotFound", "TagExists"]


def test_quota_errors_are_catchable() -> None:
    source = '''
def main():
    try:
        create_tag("big", "x" * 200_000)
    except TagQuotaError as e:
        return "quota: " + str(e)[:30]
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    assert res.result.startswith("quota: ")


def test_create_sm_starts_a_new_family() -> None:
    source = '''
def peek():
    try:
        return read_tag("fam")
    except TagAccessError:
        return "denied"

def main():
    create_tag("fam", "secret", None, {"family": "r"})
    child = spawn(peek)
    stranger = create_sm("fam", "peek")
    return child, stranger
'''
    world = LineWorld(1, 10_000_000, 256)
    brick = compile_brick(source, "fam.py")
    world.bricks["fam"] = brick
    main = world.new_sm(world.nodes[0], brick, "main", [], family=None, origin="0")
    world.run()
    child, stranger = outcome(world, main)
    assert outcome(world, child) == "secret"
    assert outcome(world, stranger) == "denied"
