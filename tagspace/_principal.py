"""Who is asking: the identity of a smart message as the VM knows it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._errors import BadTagArgument


@dataclass(frozen=True, slots=True)
class Principal:
    """Identity of an SM, held by the VM and never set by SM code.

    ``sm_id``: this SM; ``family``: id of the root ancestor SM (an SM started
    from scratch is its own root); ``origin``: node id where the family was
    started; ``code``: hashes of the code bricks the SM carries.
    """

    sm_id: str
    family: str
    origin: str
    code: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for field in ("sm_id", "family", "origin"):
            value = getattr(self, field)
            if type(value) is not str or not value:
                raise BadTagArgument(f"Principal.{field} must be a non-empty str, got {value!r}")
        if type(self.code) is not frozenset:
            object.__setattr__(self, "code", code_set(self.code, what="Principal.code"))
        else:
            code_set(self.code, what="Principal.code")


def code_set(hashes: Iterable[str], *, what: str = "code") -> frozenset[str]:
    """Validate an iterable of brick hashes and return it as a frozenset."""
    if isinstance(hashes, (str, bytes)):
        raise BadTagArgument(f"{what} must be a collection of brick hashes, "
                             f"not a single {type(hashes).__name__}")
    try:
        result = frozenset(hashes)
    except TypeError:
        raise BadTagArgument(
            f"{what} must be a collection of brick hashes, got {hashes!r}") from None
    for h in result:
        if type(h) is not str or not h:
            raise BadTagArgument(f"{what}: brick hashes must be non-empty str, got {h!r}")
    return result
