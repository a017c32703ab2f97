"""Names private to a code domain: ``@name``.

Tag names are one space per node, so an SM could create a name another
brick's code relies on (a routing brick's route tags) before that brick does,
and then hold it (the brick's writes are refused: a stall) or fill it with a
value of its choosing that the brick reads (a misroute), whatever rights the
brick asks for when it comes to create the name. A name starting with ``@``
is therefore resolved in the code domain the operation acts in: ``@x``
created, read, written, deleted, tested or waited on by code of brick *B*
is the tag ``@B:x``, where *B* stands for the brick hashes of the acting
principal's code domain. Code of any other brick (or an operation acting in
no code domain, which is refused) reaches a different name, so it can
neither squat, read nor wake on *B*'s private names. A name already in the
acting domain's form is kept as it is (the node hands back stored names, in
``Woken`` events for example).
"""
from __future__ import annotations

from ._errors import AccessDenied
from ._principal import Principal

#: First character of a name private to the code domain it is used in.
PRIVATE = "@"


def resolved(principal: Principal, name: object, operation: str) -> object:
    """The stored name ``principal`` means by ``name`` (unchanged unless
    ``name`` is a private ``@`` name)."""
    if type(name) is not str or name[:1] != PRIVATE:
        return name
    if not principal.code:
        raise AccessDenied(
            f"{operation} of tag {name!r} denied: names starting with {PRIVATE!r} belong to "
            f"the code domain of the brick whose code uses them, and this call acts in none",
            name=name, operation=operation, sm_id=principal.sm_id, domains=("code",))
    prefix = PRIVATE + ",".join(sorted(principal.code)) + ":"
    return name if name.startswith(prefix) else prefix + name[1:]
