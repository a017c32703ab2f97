"""One stored tag and its read-only description."""
from __future__ import annotations

from dataclasses import dataclass

from ._domains import Access, Protected
from ._principal import Principal


class Tag(Protected):
    """A stored tag: protection data plus value, size and lifetime.

    ``lifetime`` is the lifetime given at creation (None = forever);
    ``expires_at`` is the absolute expiry time, moved forward when a write
    renews the tag. ``size`` is the tag's whole charge against the quotas, ``value_size``
    the value's part of it.
    """

    __slots__ = ("name", "value", "size", "value_size", "lifetime", "expires_at", "created_at")

    def __init__(self, name: str, value: object, size: int, value_size: int, owner: Principal,
                 access: Access, code: frozenset[str], lifetime: float | None, now: float):
        # Protected.__init__, inlined: creating tags is on the hot path.
        self.owner = owner
        self.owner_id = owner.sm_id
        self.family = owner.family
        self.origin = owner.origin
        self.code = code
        self.access = access
        (self.owner_bits, self.family_bits, self.origin_bits,
         self.code_bits, self.others_bits) = access._bits
        self.name = name
        self.value = value
        self.size = size
        self.value_size = value_size
        self.lifetime = lifetime
        self.expires_at = None if lifetime is None else now + lifetime
        self.created_at = now


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What the node may tell observers or tools about a stored or I/O tag."""

    name: str
    owner: Principal
    access: Access
    code: frozenset[str]
    lifetime: float | None
    expires_at: float | None
    size: int
    io: bool = False
