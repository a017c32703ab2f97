"""Protection domains at the data-structure level: the full matrix."""
from __future__ import annotations

import pytest

from tagspace import (DEFAULT_ACCESS, Access, AccessDenied, BadTagArgument, Principal, TagNameTaken,
                      TagMissing, TagSpace, domains_of, effective_rights)

from .ts_principals import APP, NEIGHBOUR, OWNER, PARTIAL, PEER, ROUTE, SIBLING, STRANGER

# domain -> (a principal in that domain, a principal that is not and gets nothing)
MATRIX = {
    "owner": (OWNER, SIBLING),
    "family": (SIBLING, NEIGHBOUR),
    "origin": (NEIGHBOUR, PEER),
    "code": (PEER, PARTIAL),
    "others": (STRANGER, None),
}


def grant(domain: str, rights: str) -> dict[str, str]:
    """Access giving ``rights`` to ``domain`` only (the owner gets nothing unless named)."""
    spec = {"owner": ""}
    spec[domain] = rights
    return spec


def do(space: TagSpace, who: Principal, op: str, name: str = "t"):
    if op == "read":
        return space.read(who, name, 1.0)
    return space.write(who, name, 42, 1.0)


@pytest.mark.parametrize("op,right", [("read", "r"), ("write", "w")])
@pytest.mark.parametrize("domain", list(MATRIX))
def test_domain_grants_exactly_its_members(space, domain, op, right):
    member, outsider = MATRIX[domain]
    space.create(OWNER, "t", 1, access=grant(domain, right), now=0.0)
    do(space, member, op)  # allowed
    if outsider is not None:
        with pytest.raises(AccessDenied) as info:
            do(space, outsider, op)
        assert info.value.operation == op
        assert info.value.sm_id == outsider.sm_id
        assert op in str(info.value) and info.value.domain in str(info.value)


@pytest.mark.parametrize("domain", list(MATRIX))
def test_read_right_does_not_give_write_and_vice_versa(space, domain):
    member, _ = MATRIX[domain]
    space.create(OWNER, "r_only", 1, access=grant(domain, "r"), now=0.0)
    space.create(OWNER, "w_only", 1, access=grant(domain, "w"), now=0.0)
    assert space.read(member, "r_only", 1.0) == 1
    with pytest.raises(AccessDenied, match="write"):
        space.write(member, "r_only", 2, 1.0)
    space.write(member, "w_only", 2, 1.0)
    with pytest.raises(AccessDenied, match="read"):
        space.read(member, "w_only", 1.0)


def test_default_access_is_owner_rw_only(space):
    space.create(OWNER, "t", "v", now=0.0)
    assert space.info("t", 0.0).access == DEFAULT_ACCESS == Access("rw", "", "", "", "")
    assert space.read(OWNER, "t", 0.0) == "v"
    space.write(OWNER, "t", "w", 0.0)
    for other in (SIBLING, NEIGHBOUR, PEER, STRANGER):
        with pytest.raises(AccessDenied):
            space.read(other, "t", 0.0)
        with pytest.raises(AccessDenied):
            space.write(other, "t", 1, 0.0)


def test_partial_access_mapping_keeps_defaults_for_unnamed_domains(space):
    space.create(OWNER, "t", 1, access={"family": "r"}, now=0.0)
    assert space.info("t", 0.0).access == Access(owner="rw", family="r")


def test_rights_are_the_union_of_all_matching_domains(space):
    # family may read, others may write: a sibling (family + others) may do both.
    space.create(OWNER, "t", 1, access={"owner": "", "family": "r", "others": "w"}, now=0.0)
    space.write(SIBLING, "t", 2, 0.0)
    assert space.read(SIBLING, "t", 0.0) == 2
    # the owner named no rights for itself but is also in "family" and "others"
    assert space.read(OWNER, "t", 0.0) == 2
    space.write(OWNER, "t", 3, 0.0)
    # a stranger only has "others"
    space.write(STRANGER, "t", 4, 0.0)
    with pytest.raises(AccessDenied) as info:
        space.read(STRANGER, "t", 0.0)
    assert info.value.domains == ("others",)
    assert effective_rights(space._tags["t"], SIBLING) == "rw"
    assert effective_rights(space._tags["t"], STRANGER) == "w"


def test_domains_listed_most_specific_first(space):
    space.create(OWNER, "t", 1, now=0.0)
    tag = space._tags["t"]
    assert domains_of(tag, OWNER) == ("owner", "family", "origin", "code", "others")
    assert domains_of(tag, SIBLING) == ("family", "origin", "others")  # lacks the route brick
    assert domains_of(tag, NEIGHBOUR) == ("origin", "others")
    assert domains_of(tag, PEER) == ("code", "others")
    assert domains_of(tag, STRANGER) == ("others",)


def test_denial_message_names_domains_and_operation(space):
    space.create(OWNER, "Hot", 1, access={"family": "r"}, now=0.0)
    with pytest.raises(AccessDenied) as info:
        space.write(SIBLING, "Hot", 2, 0.0)
    msg = str(info.value)
    assert "write" in msg and "'Hot'" in msg and "sm-sibling" in msg
    assert "family" in msg and "'r'" in msg
    assert info.value.domain == "family"


def test_code_domain_requires_all_named_bricks(space):
    space.create(OWNER, "t", 1, access={"code": "r"}, code={ROUTE}, now=0.0)
    assert space.read(PARTIAL, "t", 0.0) == 1  # carries ROUTE
    assert space.read(PEER, "t", 0.0) == 1
    with pytest.raises(AccessDenied):
        space.read(SIBLING, "t", 0.0)  # carries APP only
    space.create(OWNER, "both", 1, access={"code": "r"}, code={ROUTE, APP}, now=0.0)
    with pytest.raises(AccessDenied):
        space.read(PARTIAL, "both", 0.0)  # one of two is not enough


def test_code_domain_defaults_to_creator_bricks(space):
    space.create(OWNER, "t", 1, access={"code": "r"}, now=0.0)
    assert space.info("t", 0.0).code == OWNER.code


def test_empty_code_set_matches_nobody(space):
    bare = Principal("sm-bare", "fam-Z", "node-9")
    space.create(OWNER, "t", 1, access={"code": "rw"}, code=(), now=0.0)
    for who in (bare, PEER, STRANGER):
        with pytest.raises(AccessDenied):
            space.read(who, "t", 0.0)


def test_delete_needs_write(space):
    space.create(OWNER, "t", 1, access={"family": "r", "code": "w"}, now=0.0)
    with pytest.raises(AccessDenied, match="delete"):
        space.delete(SIBLING, "t", 0.0)  # family: read only
    space.delete(PEER, "t", 0.0)  # carries the owner's bricks
    with pytest.raises(TagMissing):
        space.read(OWNER, "t", 0.0)


def test_owner_can_make_a_tag_immutable(space):
    space.create(OWNER, "const", 7, access={"owner": "r", "others": "r"}, now=0.0)
    with pytest.raises(AccessDenied):
        space.write(OWNER, "const", 8, 0.0)
    with pytest.raises(AccessDenied):
        space.delete(OWNER, "const", 0.0)
    assert space.read(STRANGER, "const", 0.0) == 7


def test_exists_needs_no_right(space):
    space.create(OWNER, "Taxi", True, now=0.0)
    assert space.exists("Taxi", 0.0)
    assert not space.exists("Bus", 0.0)
    with pytest.raises(AccessDenied):
        space.read(STRANGER, "Taxi", 0.0)


def test_create_existing_name_is_an_error_not_an_overwrite(space):
    space.create(OWNER, "t", 1, access={"others": "rw"}, now=0.0)
    with pytest.raises(TagNameTaken, match="already exists"):
        space.create(STRANGER, "t", 2, now=0.0)
    with pytest.raises(TagNameTaken):
        space.create(OWNER, "t", 2, now=0.0)
    assert space.read(OWNER, "t", 0.0) == 1
    assert space.info("t", 0.0).owner == OWNER


@pytest.mark.parametrize("bad", ["", "_private", "x" * 257, "tab\there", 3, None, b"t"])
def test_bad_names_rejected(space, bad):
    with pytest.raises(BadTagArgument):
        space.create(OWNER, bad, 1, now=0.0)


def test_reads_of_unhashable_or_non_str_names_are_bad_arguments(space):
    with pytest.raises(BadTagArgument):
        space.read(OWNER, ["x"], 0.0)  # type: ignore[arg-type]
    with pytest.raises(BadTagArgument):
        space.read(OWNER, 5, 0.0)  # type: ignore[arg-type]
    with pytest.raises(TagMissing):
        space.read(OWNER, "_nothing", 0.0)


@pytest.mark.parametrize("bad", [{"owners": "r"}, {"family": "x"}, {"others": "wr"}, "rw", ["r"],
                                 {"family": None}])
def test_bad_access_specs_rejected(space, bad):
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", 1, access=bad, now=0.0)


def test_bad_code_sets_rejected(space):
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", 1, code="sha256:route", now=0.0)
    with pytest.raises(BadTagArgument):
        space.create(OWNER, "t", 1, code=[""], now=0.0)


def test_principal_validation_and_coercion():
    p = Principal("a", "a", "n", ["h1", "h2"])  # type: ignore[arg-type]
    assert p.code == frozenset({"h1", "h2"})
    for bad in (("", "a", "n"), ("a", None, "n"), ("a", "a", 3)):
        with pytest.raises(BadTagArgument):
            Principal(*bad)  # type: ignore[arg-type]
    with pytest.raises(BadTagArgument):
        Principal("a", "a", "n", frozenset({1}))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        p.sm_id = "b"  # type: ignore[misc]
