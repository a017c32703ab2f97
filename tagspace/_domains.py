"""Protection domains and access rights.

Every tag grants rights ("", "r", "w" or "rw") to five domains. A requester
belongs to a domain when:

* owner  -- its ``sm_id`` is the owner's ``sm_id``;
* family -- its ``family`` is the owner's ``family``;
* origin -- its ``origin`` is the owner's ``origin`` (its family was started on
  the node where the owner's family was started);
* code   -- the tag names a non-empty set of brick hashes and the requester
  carries *all* of them (an empty set matches nobody);
* others -- always: every requester belongs to "others".

Rights accumulate: the effective rights are the union of the rights of every
domain the requester belongs to. So granting "others" a right grants it to
everyone, and belonging to more domains never takes a right away.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ._errors import BadTagArgument
from ._principal import Principal

READ = 1
WRITE = 2

#: The domains, most specific first.
DOMAINS: tuple[str, ...] = ("owner", "family", "origin", "code", "others")

_BITS = {"": 0, "r": READ, "w": WRITE, "rw": READ | WRITE}
_TEXT = ("", "r", "w", "rw")


def rights_bits(rights: str) -> int:
    """Turn "", "r", "w" or "rw" into a bit mask (READ=1, WRITE=2)."""
    try:
        return _BITS[rights]
    except (KeyError, TypeError):
        raise BadTagArgument(f"rights must be one of '', 'r', 'w', 'rw'; got {rights!r}") from None


def rights_text(bits: int) -> str:
    """Inverse of ``rights_bits``."""
    return _TEXT[bits & 3]


@dataclass(frozen=True, slots=True)
class Access:
    """Rights granted to each protection domain of a tag.

    The default (``Access()``) is owner "rw" and nothing for anyone else.
    """

    owner: str = "rw"
    family: str = ""
    origin: str = ""
    code: str = ""
    others: str = ""
    _bits: tuple[int, int, int, int, int] = field(
        default=(0, 0, 0, 0, 0), init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for domain in DOMAINS:
            value = getattr(self, domain)
            if type(value) is not str or value not in _BITS:
                raise BadTagArgument(
                    f"access for domain {domain!r} must be one of '', 'r', 'w', 'rw'; "
                    f"got {value!r}")
        object.__setattr__(self, "_bits", tuple(_BITS[getattr(self, d)] for d in DOMAINS))

    @classmethod
    def from_spec(cls, spec: Access | Mapping[str, str] | None) -> Access:
        """Build an ``Access`` from None (defaults), an ``Access`` or a mapping.

        A mapping (what SM code passes) names some domains; the others keep
        their defaults (owner "rw", the rest "").
        """
        if spec is None:
            return DEFAULT_ACCESS
        if type(spec) is cls:
            return spec
        if not isinstance(spec, Mapping):
            raise BadTagArgument(
                f"access must be a dict of domain -> rights, got {type(spec).__name__}")
        unknown = [k for k in spec if k not in DOMAINS]
        if unknown:
            raise BadTagArgument(
                f"unknown protection domain(s) {unknown!r}; domains are {', '.join(DOMAINS)}")
        return cls(**spec)

    def as_dict(self) -> dict[str, str]:
        """The rights as plain data, every domain present."""
        return {d: getattr(self, d) for d in DOMAINS}

    def bits(self) -> tuple[int, int, int, int, int]:
        """Bit masks in ``DOMAINS`` order (computed once, at construction)."""
        return self._bits


DEFAULT_ACCESS = Access()


class Protected:
    """Protection data of one tag, laid out for a fast rights check.

    ``owner_id``/``family``/``origin`` come from the owner principal; the
    ``*_bits`` fields are the rights of each domain as masks.
    """

    __slots__ = ("owner", "owner_id", "family", "origin", "code", "access",
                 "owner_bits", "family_bits", "origin_bits", "code_bits", "others_bits")

    def __init__(self, owner: Principal, access: Access, code: frozenset[str]):
        self.owner = owner
        self.owner_id = owner.sm_id
        self.family = owner.family
        self.origin = owner.origin
        self.code = code
        self.access = access
        (self.owner_bits, self.family_bits, self.origin_bits,
         self.code_bits, self.others_bits) = access._bits


def allowed(tag: Protected, who: Principal, need: int) -> bool:
    """True when the union of ``who``'s domains on ``tag`` includes ``need``."""
    if tag.others_bits & need:
        return True
    if tag.owner_bits & need and who.sm_id == tag.owner_id:
        return True
    if tag.family_bits & need and who.family == tag.family:
        return True
    if tag.origin_bits & need and who.origin == tag.origin:
        return True
    if tag.code_bits & need and tag.code and tag.code <= who.code:
        return True
    return False


def domains_of(tag: Protected, who: Principal) -> tuple[str, ...]:
    """Every domain ``who`` belongs to for ``tag``, most specific first."""
    found = []
    if who.sm_id == tag.owner_id:
        found.append("owner")
    if who.family == tag.family:
        found.append("family")
    if who.origin == tag.origin:
        found.append("origin")
    if tag.code and tag.code <= who.code:
        found.append("code")
    found.append("others")
    return tuple(found)


def effective_rights(tag: Protected, who: Principal) -> str:
    """The union of rights ``who`` holds on ``tag``, as "", "r", "w" or "rw"."""
    bits = 0
    masks = {"owner": tag.owner_bits, "family": tag.family_bits, "origin": tag.origin_bits,
             "code": tag.code_bits, "others": tag.others_bits}
    for domain in domains_of(tag, who):
        bits |= masks[domain]
    return rights_text(bits)


def describe_denial(tag: Protected, who: Principal, operation: str,
                    name: str) -> tuple[str, tuple[str, ...]]:
    """Message for a refused ``operation``: names the domains and the rights."""
    domains = domains_of(tag, who)
    rights = effective_rights(tag, who)
    granted = f"grant {rights!r}" if rights else "grant no rights"
    what = "domain" if len(domains) == 1 else "domains"
    need = "r" if operation in ("read", "wait") else "w"
    msg = (f"{operation} of tag {name!r} denied for SM {who.sm_id!r}: its {what} "
           f"{', '.join(domains)} {granted}; {operation} needs {need!r}")
    return msg, domains

