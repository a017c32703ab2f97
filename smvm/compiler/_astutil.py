"""Small constructors for generated syntax (generated names start with '_')."""
from __future__ import annotations

import ast


def load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def store(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store())


def assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[store(name)], value=value)


def const(value: object) -> ast.Constant:
    return ast.Constant(value=value)


def attr(obj: str | ast.expr, name: str) -> ast.Attribute:
    base = load(obj) if isinstance(obj, str) else obj
    return ast.Attribute(value=base, attr=name, ctx=ast.Load())


def call(func: str | ast.expr, *args: ast.expr) -> ast.Call:
    f = load(func) if isinstance(func, str) else func
    return ast.Call(func=f, args=list(args), keywords=[])


def stmt(expr: ast.expr) -> ast.Expr:
    return ast.Expr(value=expr)


def if_(test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt] | None = None) -> ast.If:
    return ast.If(test=test, body=body or [ast.Pass()], orelse=orelse or [])


def not_(expr: ast.expr) -> ast.UnaryOp:
    return ast.UnaryOp(op=ast.Not(), operand=expr)


def in_set(name: str, points: set[int]) -> ast.Compare:
    """``name in {points}`` (compiled by CPython to a frozenset constant)."""
    elts = [const(p) for p in sorted(points)]
    if len(elts) == 1:
        return ast.Compare(left=load(name), ops=[ast.Eq()], comparators=elts)
    return ast.Compare(left=load(name), ops=[ast.In()], comparators=[ast.Set(elts=elts)])


def deleting(target: ast.expr) -> ast.expr:
    """``target`` (built for storing) in Del context, tuple items included."""
    target.ctx = ast.Del()
    if isinstance(target, (ast.Tuple, ast.List)):
        for item in target.elts:
            deleting(item)
    return target


def parse_stmts(code: str) -> list[ast.stmt]:
    return ast.parse(code).body


def parse_expr(code: str) -> ast.expr:
    return ast.parse(code, mode="eval").body
