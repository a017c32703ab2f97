"""``with`` statements, rewritten into the statements they stand for
(PEP 343) before anything else sees the brick, so migration, fuel and
exception filtering treat them like any ``try`` of guest code::

    _wm1 = EXPR                      # the manager, evaluated once
    _R.with_check(_wm1)              # TypeError as CPython's, before __enter__
    _wv1 = _wm1.__enter__()          # guest code: may migrate
    _wk1 = True
    try:
        TARGET = _wv1
        BODY
    except _WithCaught as _wx1:      # guest exceptions, and a generator's close()
        _wk1 = False
        if _isinstance(_wx1, _NOCATCH):
            raise                    # MemoryError & co. end the SM, no __exit__
        if not _wm1.__exit__(_type(_wx1), _wx1, None):
            raise
    finally:                         # quiet while the SM is captured or ended
        if _wk1:
            _wm1.__exit__(None, None, None)

``with A as a, B as b:`` nests one such block per item. ``__exit__`` gets
``None`` for the traceback: a traceback reaches frames.
"""
from __future__ import annotations

import ast
import itertools

from . import abi
from ._astutil import assign, attr, call, const, if_, load, not_, stmt


class DesugarWith(ast.NodeTransformer):
    def __init__(self) -> None:
        self.numbers = itertools.count(1)

    def visit_With(self, node: ast.With) -> list[ast.stmt]:
        self.generic_visit(node)  # inner blocks first
        body = node.body
        for item in reversed(node.items):
            body = self._block(item, body)
        # Generated code stands on the ``with`` line only: a method call
        # spanning lines would be reported on its last one.
        where = {"lineno": node.lineno, "col_offset": node.col_offset,
                 "end_lineno": node.lineno, "end_col_offset": node.col_offset + 4}
        for new in body:
            for sub in ast.walk(new):
                if isinstance(sub, (ast.stmt, ast.expr, ast.excepthandler)) \
                        and not hasattr(sub, "lineno"):
                    for key, value in where.items():
                        setattr(sub, key, value)
        return body

    def _block(self, item: ast.withitem, body: list[ast.stmt]) -> list[ast.stmt]:
        n = next(self.numbers)
        manager, value, normal, caught = f"_wm{n}", f"_wv{n}", f"_wk{n}", f"_wx{n}"

        def exit_call(*args: ast.expr) -> ast.Call:
            return call(attr(manager, "__exit__"), *args)

        enter = call(attr(manager, "__enter__"))
        out: list[ast.stmt] = [
            assign(manager, item.context_expr),
            stmt(call(attr(abi.RUNTIME, "with_check"), load(manager))),
            assign(value, enter) if item.optional_vars is not None else stmt(enter),
            assign(normal, const(True)),
        ]
        if item.optional_vars is not None:
            body = [ast.Assign(targets=[item.optional_vars], value=load(value)), *body]
        reraise = ast.Raise(exc=None, cause=None)
        handler = ast.ExceptHandler(type=load(abi.WITH_CAUGHT), name=caught, body=[
            assign(normal, const(False)),
            if_(call(abi.ISINSTANCE, load(caught), load(abi.NOCATCH)), [reraise]),
            if_(not_(exit_call(call(abi.TYPE, load(caught)), load(caught), const(None))),
                [ast.Raise(exc=None, cause=None)]),
        ])
        final = [if_(load(normal), [stmt(exit_call(const(None), const(None), const(None)))])]
        out.append(ast.Try(body=body, handlers=[handler], orelse=[], finalbody=final))
        return out


__all__ = ["DesugarWith"]
