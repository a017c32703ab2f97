"""``@own_domain``: the functions through which a library brick acts in its
own code domain for any caller (``smvm.code_domains``). Allowed on
module-level functions only; taken off before the brick is transformed,
the compiler keeps the names and their code objects."""
from __future__ import annotations

import ast

OWN_DOMAIN = "own_domain"


def is_mark(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Name) and decorator.id == OWN_DOMAIN


def strip_marks(tree: ast.Module) -> frozenset[str]:
    """Take ``@own_domain`` off the module-level functions of ``tree``; their names."""
    marked = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and any(is_mark(d) for d in stmt.decorator_list):
            stmt.decorator_list = [d for d in stmt.decorator_list if not is_mark(d)]
            marked.add(stmt.name)
    return frozenset(marked)


def marked_code(fid_of_code: dict[int, str], prefix: str, names: frozenset[str]) -> frozenset[int]:
    """Ids of the code objects of the marked functions (function ids are
    ``prefix + name + ":" + line``)."""
    if not names:
        return frozenset()
    return frozenset(code_id for code_id, fid in fid_of_code.items()
                     if fid.startswith(prefix) and fid[len(prefix):].rpartition(":")[0] in names)
