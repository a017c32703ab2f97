"""A stored tag as a plain record and back: what a node keeps of its tags
across a restart (I/O tags are the node's own and are not kept)."""
from __future__ import annotations

from ._domains import DOMAINS, Access
from ._principal import Principal
from ._space import TagSpace


def export_tag(space: TagSpace, name: str, now: float) -> dict | None:
    """The live stored tag ``name`` as plain data (None if there is none).
    The value is the tag's own: the caller encodes it, never changes it."""
    tag = space._live(name, now)
    if tag is None:
        return None
    owner = tag.owner
    return {"name": name, "value": tag.value,
            "owner": [owner.sm_id, owner.family, owner.origin, sorted(owner.code)],
            "access": {d: getattr(tag.access, d) for d in DOMAINS},
            "code": sorted(tag.code), "lifetime": tag.lifetime, "expires_at": tag.expires_at}


def restore_tag(space: TagSpace, record: dict, now: float) -> bool:
    """Create the tag of an ``export_tag`` record again, unless its lifetime
    has passed (False then). Quotas are charged as at creation."""
    expires_at = record["expires_at"]
    if expires_at is not None and expires_at <= now:
        return False
    sm_id, family, origin, code = record["owner"]
    owner = Principal(sm_id, family, origin, frozenset(code))
    remaining = None if expires_at is None else expires_at - now
    space.create(owner, record["name"], record["value"], remaining,
                 Access.from_spec(record["access"]), record["code"], now=now)
    if record["lifetime"] is not None:  # later writes renew by the lifetime it was given
        space._tags[record["name"]].lifetime = record["lifetime"]
    return True
