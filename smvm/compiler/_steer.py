"""The second transform of migrating functions: steer (capture and resume).

After normalisation (``_normalise``) each migration point is a statement of
its own. Each is wrapped so a capture exception records the frame (function,
point number, the locals ``_scopes`` says it owns) as it passes, and the
function gets a resume entry: given a saved frame it restores the locals and
skips straight back to the point (guards on the statements before it, loops
re-entered through their head, handlers re-entered by re-raising the saved
exception, ``finally`` blocks replaying the pending return/break/raise).
"""
from __future__ import annotations

import ast

from ._astutil import assign, attr, call, const, if_, in_set, load, not_, stmt
from ._closures import PROLOGUE_ATTR
from ._normalise import POINT_ATTR, Normaliser
from ._scopes import local_names
from .abi import (
    BASE_EXCEPTION, CAPTURE, CAPTURE_VAR, LOCALS, NOT_CAPTURED, POINT_COLUMN, RESUME_LOCALS,
    RESUME_PARAM, RESUME_POINT, RUNTIME,
)

_SKIP_SCOPES = (ast.FunctionDef, ast.Lambda, ast.GeneratorExp)


class Steerer:
    """Number the points and make the function resumable."""

    def __init__(self, fid: str, normaliser: Normaliser):
        self.fid = fid
        self.norm = normaliser
        self.next_point = 0
        self.points_of: dict[int, frozenset[int]] = {}

    def number(self, body: list[ast.stmt]) -> None:
        for node in _walk_scope(body):
            if getattr(node, POINT_ATTR, False):
                self.next_point += 1
                node._smvm_point_id = self.next_point  # type: ignore[attr-defined]

    def points(self, node: ast.AST) -> frozenset[int]:
        key = id(node)
        if key not in self.points_of:
            found = set()
            for sub in _walk_scope([node]):
                pid = getattr(sub, "_smvm_point_id", None)
                if pid is not None:
                    found.add(pid)
            self.points_of[key] = frozenset(found)
        return self.points_of[key]

    def block_points(self, body: list[ast.stmt]) -> frozenset[int]:
        out: frozenset[int] = frozenset()
        for s in body:
            out |= self.points(s)
        return out

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        marks = [bool(self.points(s)) for s in body]
        if not any(marks):
            return body
        last = max(i for i, m in enumerate(marks) if m)
        out: list[ast.stmt] = []
        group: list[ast.stmt] = []

        def flush() -> None:
            if group:
                out.append(if_(_running(), list(group)))
                group.clear()

        for i, s in enumerate(body):
            if i > last:
                out.append(s)
            elif not marks[i]:
                group.append(s)
            else:
                flush()
                new = self.statement(s)
                if i < last:
                    out.append(if_(_running_or_resuming_into(self.points(s)), new))
                else:
                    out.extend(new)
        return out

    def statement(self, s: ast.stmt) -> list[ast.stmt]:
        pid = getattr(s, "_smvm_point_id", None)
        if pid is not None:
            return [self.point(s, pid)]
        if isinstance(s, ast.If):
            test = self.cond(self.block_points(s.body), self.block_points(s.orelse), s.test)
            return [ast.If(test=test, body=self.block(s.body), orelse=self.block(s.orelse))]
        if isinstance(s, ast.While):
            test = self.cond(self.block_points(s.body), self.block_points(s.orelse), s.test)
            return [ast.While(test=test, body=self.block(s.body), orelse=self.block(s.orelse))]
        if isinstance(s, ast.Try):
            return self.try_(s)
        raise AssertionError(f"unexpected point statement {type(s).__name__}")

    @staticmethod
    def cond(p_body: frozenset[int], p_else: frozenset[int], test: ast.expr) -> ast.expr:
        if p_body:
            resuming = in_set(RESUME_POINT, set(p_body))
            return ast.IfExp(test=load(RESUME_POINT), body=resuming, orelse=test)
        return ast.BoolOp(op=ast.And(), values=[_running(), test])

    def point(self, s: ast.Assign, pid: int) -> ast.stmt:
        target = s.targets[0]
        value: ast.Call = s.value  # type: ignore[assignment]
        callee = value.func
        resumed = call(attr(RUNTIME, "resume_call"), load(RESUME_PARAM), callee)
        for node in (value, resumed):
            ast.copy_location(node, s)
            node.end_lineno = node.lineno
            node.end_col_offset = POINT_COLUMN
        resume = [assign(RESUME_POINT, const(0)), ast.Assign(targets=[target], value=resumed)]
        normal = [ast.Assign(targets=[target], value=value)]
        push = stmt(call(attr(CAPTURE_VAR, "push"), const(self.fid), const(pid), call(LOCALS),
                         callee))
        handler = ast.ExceptHandler(type=load(CAPTURE), name=CAPTURE_VAR,
                                    body=[push, ast.Raise(exc=None, cause=None)])
        return ast.Try(body=[if_(load(RESUME_POINT), resume, normal)], handlers=[handler],
                       orelse=[], finalbody=[])

    def try_(self, s: ast.Try) -> list[ast.stmt]:
        p_body = self.block_points(s.body)
        p_handlers = [self.block_points(h.body) for h in s.handlers]
        p_else = self.block_points(s.orelse)
        p_final = self.block_points(s.finalbody)
        p_h_all = frozenset().union(*p_handlers) if p_handlers else frozenset()

        reraise: list[ast.stmt] = []
        handlers = []
        for h, ph in zip(s.handlers, p_handlers):
            name = h.name
            if ph:
                if name is None:
                    name = self.norm.temp("_x")
                again = ast.Raise(exc=load(name), cause=None)
                reraise.append(if_(in_set(RESUME_POINT, set(ph)), [again]))
            handlers.append(ast.ExceptHandler(type=h.type, name=name, body=self.block(h.body)))
        entered = p_body | p_h_all
        body = reraise + self.block(s.body)
        body_guard = _running_or_resuming_into(entered) if entered else _running()
        guarded_body = [if_(body_guard, body)]
        orelse = []
        if s.orelse:
            else_guard = _running_or_resuming_into(p_else) if p_else else _running()
            orelse = [if_(else_guard, self.block(s.orelse))]
        if not p_final:
            inner = ast.Try(body=guarded_body, handlers=handlers, orelse=orelse,
                            finalbody=s.finalbody)
            if not handlers and not s.finalbody:
                return guarded_body + orelse
            return [inner]
        return self.try_finally(guarded_body, handlers, orelse, s.finalbody, p_final)

    def try_finally(self, body, handlers, orelse, finalbody, p_final) -> list[ast.stmt]:
        n = self.norm.temp("")
        kind, val, replay, exc = f"_pk{n}", f"_pv{n}", f"_rf{n}", f"_pe{n}"
        uses = _record_exits([body, orelse, *[h.body for h in handlers]], kind, val)
        if handlers or orelse:
            body = [ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=[])]
        recorder = ast.Try(body=body, handlers=[ast.ExceptHandler(
            type=load(BASE_EXCEPTION), name=exc,
            body=[assign(kind, const(4)), assign(val, load(exc)),
                  ast.Raise(exc=None, cause=None)])],
            orelse=[], finalbody=[])
        redo: list[ast.stmt] = [assign(replay, const(False)),
                                if_(_equals(kind, 4), [ast.Raise(exc=load(val), cause=None)])]
        if "return" in uses:
            redo.append(if_(_equals(kind, 2), [ast.Return(value=load(val))]))
        if "break" in uses:
            redo.append(if_(_equals(kind, 3), [ast.Break()]))
        if "continue" in uses:
            redo.append(if_(_equals(kind, 5), [ast.Continue()]))
        resumed = ast.Compare(left=load(RESUME_POINT), ops=[ast.NotEq()], comparators=[const(0)])
        final = [assign(replay, resumed)] + self.block(finalbody) + [if_(load(replay), redo)]
        outer = ast.Try(body=[recorder], handlers=[], orelse=[], finalbody=final)
        return [if_(_running(), [assign(kind, const(0)), assign(val, const(None))]), outer]


def _record_exits(blocks: list[list[ast.stmt]], kind: str, val: str) -> set[str]:
    """Make return/break/continue leaving a try record themselves first, so a
    finally resumed after a migration can replay them."""
    uses: set[str] = set()

    def visit(block: list[ast.stmt], in_loop: bool) -> None:
        i = 0
        while i < len(block):
            s = block[i]
            if isinstance(s, ast.Return):
                uses.add("return")
                value = s.value if s.value is not None else const(None)
                block[i:i + 1] = [assign(val, value), assign(kind, const(2)),
                                  ast.Return(value=load(val))]
                i += 3
                continue
            if isinstance(s, (ast.Break, ast.Continue)) and not in_loop:
                code = 3 if isinstance(s, ast.Break) else 5
                uses.add("break" if code == 3 else "continue")
                block[i:i + 1] = [assign(kind, const(code)), s]
                i += 2
                continue
            if isinstance(s, (ast.FunctionDef,)):
                i += 1
                continue
            loop = in_loop or isinstance(s, (ast.For, ast.While))
            for name in ("body", "orelse", "finalbody"):
                sub = getattr(s, name, None)
                if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                    visit(sub, loop if name == "body" else in_loop)
            for h in getattr(s, "handlers", []):
                visit(h.body, in_loop)
            i += 1

    for block in blocks:
        visit(block, False)
    return uses


def _running() -> ast.expr:
    """True while the function runs normally (not resuming)."""
    return not_(load(RESUME_POINT))


def _running_or_resuming_into(points: frozenset[int]) -> ast.expr:
    return ast.BoolOp(op=ast.Or(), values=[_running(), in_set(RESUME_POINT, set(points))])


def _equals(name: str, value: int) -> ast.expr:
    return ast.Compare(left=load(name), ops=[ast.Eq()], comparators=[const(value)])


def _walk_scope(body: list[ast.stmt]):
    """The nodes of a body that run in the function's own frame."""
    stack = list(reversed(body))
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, _SKIP_SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(cur))))


def own_locals(fn: ast.FunctionDef) -> list[str]:
    """The locals that travel with a frame of ``fn``."""
    return sorted(local_names(fn) - NOT_CAPTURED)


def make_resumable(fn: ast.FunctionDef, fid: str, normaliser: Normaliser) -> list[str]:
    """Rewrite ``fn`` in place for capture/resume; return its local names."""
    body = normaliser.block(fn.body)
    steer = Steerer(fid, normaliser)
    steer.number(body)
    steered = steer.block(body)
    fn.args.kwonlyargs.append(ast.arg(arg=RESUME_PARAM, annotation=None))
    fn.args.kw_defaults.append(const(None))
    prologue = getattr(fn, PROLOGUE_ATTR, [])
    fn.body = prologue + steered
    names = own_locals(fn)  # cells made by the prologue are locals too
    restore: list[ast.stmt] = [
        assign(RESUME_LOCALS, call(attr(RUNTIME, "enter"), load(RESUME_PARAM), const(fid))),
        assign(RESUME_POINT, attr(RESUME_PARAM, "point")),
    ]
    for name in names:
        saved = ast.Compare(left=const(name), ops=[ast.In()], comparators=[load(RESUME_LOCALS)])
        value = ast.Subscript(value=load(RESUME_LOCALS), slice=const(name), ctx=ast.Load())
        restore.append(if_(saved, [assign(name, value)]))
    resuming = ast.Compare(left=load(RESUME_PARAM), ops=[ast.IsNot()], comparators=[const(None)])
    fn.body = prologue + [assign(RESUME_POINT, const(0)), if_(resuming, restore)] + steered
    setattr(fn, PROLOGUE_ATTR, [])
    fn._smvm_points = steer.next_point  # type: ignore[attr-defined]
    return names
