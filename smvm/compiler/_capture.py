"""The capture/resume transform of migrating functions (strong migration).

Two steps per function:

1. *Normalise*: every potential migration point becomes a statement of its
   own, ``_tN = callee(simple args)``, with whatever was evaluated before it
   held in temporaries (A-normal form in evaluation order); ``for`` loops
   around migration points become ``while`` loops over the live iterator (which
   travels with the SM); comprehensions and short-circuit operators around
   them become statements.
2. *Steer*: each point is wrapped so a capture exception records the frame
   (function, point number, ``locals()``) as it passes, and the function gets
   a resume entry: given a saved frame it restores the locals and skips
   straight back to the point (guards on the statements before it, loops
   re-entered through their head, handlers re-entered by re-raising the saved
   exception, ``finally`` blocks replaying the pending return/break/raise).
"""
from __future__ import annotations

import ast
import copy

from ..errors import SourceError
from ._analysis import MIG_ATTR, Resolution, contains_flagged
from .policy import SCANNING_METHODS
from ._astutil import assign, attr, call, const, if_, in_set, load, not_, stmt, store
from ._rewrite import PROLOGUE_ATTR, Rejections
from .abi import (
    ASSERTION_ERROR, BASE_EXCEPTION, CAPTURE, CAPTURE_VAR, END, LOCALS, NEW_SET, NEXT,
    NOT_CAPTURED, POINT_COLUMN, RESUME_LOCALS, RESUME_PARAM, RESUME_POINT, RUNTIME,
)

POINT_ATTR = "_smvm_point"
_SKIP_SCOPES = (ast.FunctionDef, ast.Lambda, ast.GeneratorExp)
_has_point = contains_flagged


class Normaliser:
    def __init__(self, filename: str, res: Resolution):
        self.filename = filename
        self.res = res
        self.counter = 0

    def fail(self, node: ast.AST, message: str) -> None:
        raise Rejections([SourceError(self.filename, getattr(node, "lineno", 1), message)])

    def temp(self, prefix: str = "_t") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ---- statements -----------------------------------------------------------
    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in body:
            for new in self.statement(s):
                out.append(ast.copy_location(new, s) if not hasattr(new, "lineno") else new)
        return out or [ast.Pass()]

    def statement(self, s: ast.stmt) -> list[ast.stmt]:
        if isinstance(s, ast.FunctionDef):
            for d in [*s.args.defaults, *[k for k in s.args.kw_defaults if k]]:
                if _has_point(d):
                    self.fail(d, "a default argument value cannot migrate")
            return [s]
        if not _has_point(s):
            return [s]
        method = getattr(self, "st_" + type(s).__name__, None)
        if method is None:
            self.fail(s, f"migration inside {type(s).__name__} is not supported")
        result = method(s)
        for new in result:
            ast.copy_location(new, s)
            for sub in ast.walk(new):
                if not hasattr(sub, "lineno") and isinstance(sub, (ast.stmt, ast.expr)):
                    ast.copy_location(sub, s)
        return result

    def st_Expr(self, s: ast.Expr) -> list[ast.stmt]:
        stmts, value = self.expr(s.value)
        if not isinstance(value, (ast.Name, ast.Constant)):
            stmts.append(ast.Expr(value=value))
        return stmts

    def st_Assign(self, s: ast.Assign) -> list[ast.stmt]:
        stmts, value = self.expr(s.value)
        if any(_has_point(t) for t in s.targets):
            value = self.materialise(value, stmts)
            targets = [self.target(t, stmts) for t in s.targets]
        else:
            targets = s.targets
        stmts.append(ast.Assign(targets=targets, value=value))
        return stmts

    def target(self, t: ast.expr, stmts: list[ast.stmt]) -> ast.expr:
        if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice):
            s = t.slice
            pre, (obj, lower, upper, step) = self.sequence(
                [t.value, s.lower, s.upper, s.step], materialise_all=True)
            stmts.extend(pre)
            return ast.Subscript(value=obj, slice=ast.Slice(lower=lower, upper=upper, step=step),
                                 ctx=ast.Store())
        if isinstance(t, ast.Subscript):
            pre, (obj, key) = self.sequence([t.value, t.slice], materialise_all=True)
            if not isinstance(obj, ast.Name):
                obj = self.materialise(obj, pre)
            stmts.extend(pre)
            return ast.Subscript(value=obj, slice=key, ctx=ast.Store())
        if isinstance(t, (ast.Tuple, ast.List)):
            return type(t)(elts=[self.target(e, stmts) for e in t.elts], ctx=ast.Store())
        if isinstance(t, ast.Starred):
            return ast.Starred(value=self.target(t.value, stmts), ctx=ast.Store())
        if _has_point(t):
            self.fail(t, "migration inside this assignment target is not supported")
        return t

    def st_AugAssign(self, s: ast.AugAssign) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        acc = self.temp()
        if isinstance(s.target, ast.Subscript):
            stored = self.target(s.target, stmts)
            loaded = copy.deepcopy(stored)
            loaded.ctx = ast.Load()
            stmts.append(assign(acc, loaded))
            store_target: ast.expr = stored
        else:
            loaded = copy.deepcopy(s.target)
            loaded.ctx = ast.Load()
            stmts.append(assign(acc, loaded))
            store_target = s.target
        pre, value = self.expr(s.value)
        stmts.extend(pre)
        stmts.append(ast.AugAssign(target=store(acc), op=s.op, value=value))
        stmts.append(ast.Assign(targets=[store_target], value=load(acc)))
        return stmts

    def st_Return(self, s: ast.Return) -> list[ast.stmt]:
        stmts, value = self.expr(s.value)
        return stmts + [ast.Return(value=value)]

    def st_Raise(self, s: ast.Raise) -> list[ast.stmt]:
        stmts, (exc, cause) = self.sequence([s.exc, s.cause])
        return stmts + [ast.Raise(exc=exc, cause=cause)]

    def st_Assert(self, s: ast.Assert) -> list[ast.stmt]:
        stmts, test = self.expr(s.test)
        body: list[ast.stmt] = []
        args: list[ast.expr] = []
        if s.msg is not None:
            pre, msg = self.expr(s.msg)
            body.extend(pre)
            args.append(msg)
        body.append(ast.Raise(exc=call(ASSERTION_ERROR, *args), cause=None))
        return stmts + [if_(not_(test), body)]

    def st_If(self, s: ast.If) -> list[ast.stmt]:
        stmts, test = self.expr(s.test)
        return stmts + [ast.If(test=test, body=self.block(s.body), orelse=self.block(s.orelse) if s.orelse else [])]

    def st_While(self, s: ast.While) -> list[ast.stmt]:
        if not _has_point(s.test):
            return [ast.While(test=s.test, body=self.block(s.body),
                              orelse=self.block(s.orelse) if s.orelse else [])]
        ended = self.temp("_e")
        pre, test = self.expr(s.test)
        body = pre + [if_(not_(test), [assign(ended, const(True)), ast.Break()])] + self.block(s.body)
        out: list[ast.stmt] = [assign(ended, const(False)),
                               ast.While(test=const(True), body=body, orelse=[])]
        if s.orelse:
            out.append(if_(load(ended), self.block(s.orelse)))
        return out

    def st_For(self, s: ast.For) -> list[ast.stmt]:
        stmts, iterable = self.expr(s.iter)
        if not (_has_point(s.target) or any(_has_point(b) for b in s.body + s.orelse)):
            return stmts + [ast.For(target=s.target, iter=iterable, body=s.body, orelse=s.orelse)]
        # Iterate the live iterator (it travels with the SM), so the loop
        # sees what CPython's would: items appended meanwhile, dict changes...
        it, item = self.temp("_it"), self.temp("_v")
        stmts.append(assign(it, call(attr(RUNTIME, "loop_iter"), iterable)))
        advance = ast.NamedExpr(target=store(item),
                                value=call(NEXT, load(it), load(END)))
        test = ast.Compare(left=advance, ops=[ast.IsNot()], comparators=[load(END)])
        loop = ast.While(test=test, body=[ast.Assign(targets=[s.target], value=load(item))] + s.body,
                         orelse=s.orelse)
        ast.copy_location(loop, s)
        return stmts + self.statement(loop)

    def st_Try(self, s: ast.Try) -> list[ast.stmt]:
        handlers = []
        for h in s.handlers:
            if h.type is not None and _has_point(h.type):
                self.fail(h, "an except clause's type cannot migrate")
            handlers.append(ast.ExceptHandler(type=h.type, name=h.name, body=self.block(h.body)))
        return [ast.Try(body=self.block(s.body), handlers=handlers,
                        orelse=self.block(s.orelse) if s.orelse else [],
                        finalbody=self.block(s.finalbody) if s.finalbody else [])]

    def st_Delete(self, s: ast.Delete) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        targets = []
        for t in s.targets:
            targets.append(_deleting(self.target(t, stmts)))
        return stmts + [ast.Delete(targets=targets)]

    # ---- expressions -------------------------------------------------------
    def materialise(self, e: ast.expr, stmts: list[ast.stmt]) -> ast.expr:
        # Constants and hidden names (temporaries, cells, the runtime) cannot
        # change under a later call, so they need no temporary.
        if isinstance(e, ast.Constant) or (isinstance(e, ast.Name) and e.id.startswith("_") and e.id != "_"):
            return e
        if isinstance(e, ast.Starred):
            return ast.Starred(value=self.materialise(e.value, stmts), ctx=ast.Load())
        name = self.temp()
        stmts.append(assign(name, e))
        return load(name)

    def sequence(self, children: list[ast.expr | None], materialise_all: bool = False
                 ) -> tuple[list[ast.stmt], list]:
        """Flatten children evaluated left to right; keep evaluation order."""
        last = max((i for i, c in enumerate(children) if c is not None and _has_point(c)),
                   default=-1)
        stmts: list[ast.stmt] = []
        out: list = []
        for i, child in enumerate(children):
            if child is None or (i > last and not materialise_all):
                out.append(child)
                continue
            pre, e = self.expr(child)
            stmts.extend(pre)
            out.append(self.materialise(e, stmts) if (i < last or materialise_all) else e)
        return stmts, out

    def expr(self, e: ast.expr | None) -> tuple[list[ast.stmt], ast.expr | None]:
        if e is None or not _has_point(e):
            return [], e
        method = getattr(self, "ex_" + type(e).__name__, None)
        if method is None:
            self.fail(e, f"migration inside {type(e).__name__} is not supported")
        return method(e)

    def ex_Call(self, e: ast.Call) -> tuple[list[ast.stmt], ast.expr]:
        point = getattr(e, MIG_ATTR, False)
        method = isinstance(e.func, ast.Attribute) and not point
        # ``obj.count(x)`` that may run a migrating method of the brick: the
        # runtime charges the C scan and takes the method once the arguments
        # are known; the call itself stays in this frame, so it is captured.
        scan = point and isinstance(e.func, ast.Attribute) and e.func.attr in SCANNING_METHODS
        # A method is looked up after its arguments are evaluated: for plain
        # data that is the same method, and no bound method needs carrying.
        head = e.func.value if method or scan else e.func
        children = [head, *e.args, *[k.value for k in e.keywords]]
        stmts, out = self.sequence(children, materialise_all=point)
        n = len(e.args)
        func = ast.Attribute(value=out[0], attr=e.func.attr, ctx=ast.Load()) if method else out[0]
        if scan:
            func = self.materialise(call(attr(RUNTIME, "scan_method"), out[0], const(e.func.attr),
                                         *out[1:1 + n]), stmts)
        new = ast.Call(func=func, args=out[1:1 + n],
                       keywords=[ast.keyword(arg=k.arg, value=v) for k, v in zip(e.keywords, out[1 + n:])])
        if not point:
            return stmts, new
        result = self.temp()
        node = assign(result, new)
        setattr(node, POINT_ATTR, True)
        stmts.append(node)
        return stmts, load(result)

    def ex_BinOp(self, e: ast.BinOp):
        stmts, (left, right) = self.sequence([e.left, e.right])
        return stmts, ast.BinOp(left=left, op=e.op, right=right)

    def ex_UnaryOp(self, e: ast.UnaryOp):
        stmts, (operand,) = self.sequence([e.operand])
        return stmts, ast.UnaryOp(op=e.op, operand=operand)

    def ex_Attribute(self, e: ast.Attribute):
        stmts, (value,) = self.sequence([e.value])
        return stmts, ast.Attribute(value=value, attr=e.attr, ctx=e.ctx)

    def ex_Subscript(self, e: ast.Subscript):
        if isinstance(e.slice, ast.Slice):
            # a slice is not a value of its own: flatten its bounds in place
            s = e.slice
            stmts, (value, lower, upper, step) = self.sequence([e.value, s.lower, s.upper, s.step])
            key: ast.expr = ast.Slice(lower=lower, upper=upper, step=step)
        else:
            stmts, (value, key) = self.sequence([e.value, e.slice])
        return stmts, ast.Subscript(value=value, slice=key, ctx=e.ctx)

    def ex_Slice(self, e: ast.Slice):
        stmts, (lower, upper, step) = self.sequence([e.lower, e.upper, e.step])
        return stmts, ast.Slice(lower=lower, upper=upper, step=step)

    def ex_Starred(self, e: ast.Starred):
        stmts, (value,) = self.sequence([e.value])
        return stmts, ast.Starred(value=value, ctx=e.ctx)

    def _elts(self, e, kind):
        stmts, elts = self.sequence(list(e.elts))
        return stmts, kind(elts=elts, ctx=ast.Load()) if kind is not ast.Set else ast.Set(elts=elts)

    def ex_Tuple(self, e):
        return self._elts(e, ast.Tuple)

    def ex_List(self, e):
        return self._elts(e, ast.List)

    def ex_Set(self, e):
        return self._elts(e, ast.Set)

    def ex_Dict(self, e: ast.Dict):
        flat: list[ast.expr | None] = []
        for k, v in zip(e.keys, e.values):
            flat.extend([k, v])
        stmts, out = self.sequence(flat)
        return stmts, ast.Dict(keys=out[0::2], values=out[1::2])

    def ex_JoinedStr(self, e: ast.JoinedStr):
        stmts: list[ast.stmt] = []
        new = copy.copy(e)

        def fix(joined: ast.JoinedStr) -> ast.JoinedStr:
            values = []
            for part in joined.values:
                if isinstance(part, ast.FormattedValue):
                    pre, v = self.expr(part.value)
                    stmts.extend(pre)
                    v = self.materialise(v, stmts)
                    spec = fix(part.format_spec) if part.format_spec is not None else None
                    values.append(ast.FormattedValue(value=v, conversion=part.conversion, format_spec=spec))
                else:
                    values.append(part)
            return ast.JoinedStr(values=values)

        new = fix(e)
        return stmts, new

    def ex_NamedExpr(self, e: ast.NamedExpr):
        stmts, value = self.expr(e.value)
        stmts.append(assign(e.target.id, value))
        return stmts, load(e.target.id)

    def ex_BoolOp(self, e: ast.BoolOp):
        result = self.temp()
        stmts, first = self.expr(e.values[0])
        stmts.append(assign(result, first))
        for value in e.values[1:]:
            pre, v = self.expr(value)
            test = load(result) if isinstance(e.op, ast.And) else not_(load(result))
            stmts.append(if_(test, pre + [assign(result, v)]))
        return stmts, load(result)

    def ex_IfExp(self, e: ast.IfExp):
        result = self.temp()
        stmts, test = self.expr(e.test)
        pre_b, body = self.expr(e.body)
        pre_o, orelse = self.expr(e.orelse)
        stmts.append(ast.If(test=test, body=pre_b + [assign(result, body)],
                            orelse=pre_o + [assign(result, orelse)]))
        return stmts, load(result)

    def ex_Compare(self, e: ast.Compare):
        if len(e.ops) == 1:
            stmts, (left, right) = self.sequence([e.left, e.comparators[0]])
            return stmts, ast.Compare(left=left, ops=e.ops, comparators=[right])
        result = self.temp()
        stmts, left = self.expr(e.left)
        left = self.materialise(left, stmts)
        target = stmts
        for op, comp in zip(e.ops, e.comparators):
            pre, right = self.expr(comp)
            target.extend(pre)
            right = self.materialise(right, target)
            target.append(assign(result, ast.Compare(left=left, ops=[op], comparators=[right])))
            nxt: list[ast.stmt] = []
            target.append(if_(load(result), nxt))
            target, left = nxt, right
        target.append(ast.Pass())
        return stmts, load(result)

    def _comprehension(self, e, make_init, make_add):
        gens = e.generators
        if not any(_has_point(x) for x in self._comp_inner_parts(e)):
            # only the first iterable migrates: it runs in our scope anyway
            stmts, it = self.expr(gens[0].iter)
            new = copy.copy(e)
            new.generators = [ast.comprehension(target=gens[0].target, iter=it, ifs=gens[0].ifs,
                                                is_async=0), *gens[1:]]
            return stmts, new
        renames = {}
        for gen in gens:
            for sub in ast.walk(gen.target):
                if isinstance(sub, ast.Name):
                    renames[sub.id] = self.temp("_v") + "_" + sub.id
        for sub in ast.walk(e):
            if isinstance(sub, ast.Name) and self.res.scope_of.get(id(sub)) is e and sub.id in renames:
                sub.id = renames[sub.id]
        result = self.temp()
        inner: list[ast.stmt] = [make_add(result)]
        for gen in reversed(gens):
            body = inner
            for cond in reversed(gen.ifs):
                body = [if_(cond, body)]
            inner = [ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[])]
        loop = inner[0]
        ast.copy_location(loop, e)
        return [assign(result, make_init())] + self.statement(loop), load(result)

    @staticmethod
    def _comp_inner_parts(e):
        parts = []
        for i, gen in enumerate(e.generators):
            if i:
                parts.append(gen.iter)
            parts.extend(gen.ifs)
        if isinstance(e, ast.DictComp):
            parts += [e.key, e.value]
        else:
            parts.append(e.elt)
        return parts

    def ex_ListComp(self, e: ast.ListComp):
        return self._comprehension(
            e, lambda: ast.List(elts=[], ctx=ast.Load()),
            lambda r: stmt(call(attr(r, "append"), e.elt)))

    def ex_SetComp(self, e: ast.SetComp):
        return self._comprehension(
            e, lambda: call(NEW_SET), lambda r: stmt(call(attr(r, "add"), e.elt)))

    def ex_DictComp(self, e: ast.DictComp):
        return self._comprehension(
            e, lambda: ast.Dict(keys=[], values=[]),
            lambda r: ast.Assign(targets=[ast.Subscript(value=load(r), slice=e.key, ctx=ast.Store())],
                                 value=e.value))


def _deleting(target: ast.expr) -> ast.expr:
    """``target`` (built for storing) in Del context, tuple items included."""
    target.ctx = ast.Del()
    if isinstance(target, (ast.Tuple, ast.List)):
        for item in target.elts:
            _deleting(item)
    return target


# ---- steering ------------------------------------------------------------------

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
                out.append(if_(not_(load(RESUME_POINT)), list(group)))
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
                    test = ast.BoolOp(op=ast.Or(), values=[not_(load(RESUME_POINT)), in_set(RESUME_POINT, self.points(s))])
                    out.append(if_(test, new))
                else:
                    out.extend(new)
        return out

    def statement(self, s: ast.stmt) -> list[ast.stmt]:
        pid = getattr(s, "_smvm_point_id", None)
        if pid is not None:
            return [self.point(s, pid)]
        if isinstance(s, ast.If):
            return [ast.If(test=self.cond(self.block_points(s.body), self.block_points(s.orelse), s.test),
                           body=self.block(s.body), orelse=self.block(s.orelse))]
        if isinstance(s, ast.While):
            return [ast.While(test=self.cond(self.block_points(s.body), self.block_points(s.orelse), s.test),
                              body=self.block(s.body), orelse=self.block(s.orelse))]
        if isinstance(s, ast.Try):
            return self.try_(s)
        raise AssertionError(f"unexpected point statement {type(s).__name__}")

    @staticmethod
    def cond(p_body: frozenset[int], p_else: frozenset[int], test: ast.expr) -> ast.expr:
        if p_body:
            resuming = in_set(RESUME_POINT, set(p_body))
            return ast.IfExp(test=load(RESUME_POINT), body=resuming, orelse=test)
        return ast.BoolOp(op=ast.And(), values=[not_(load(RESUME_POINT)), test])

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
        push = stmt(call(attr(CAPTURE_VAR, "push"), const(self.fid), const(pid), call(LOCALS), callee))
        handler = ast.ExceptHandler(type=load(CAPTURE), name=CAPTURE_VAR, body=[push, ast.Raise(exc=None, cause=None)])
        return ast.Try(body=[if_(load(RESUME_POINT), resume, normal)], handlers=[handler], orelse=[], finalbody=[])

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
                reraise.append(if_(in_set(RESUME_POINT, set(ph)), [ast.Raise(exc=load(name), cause=None)]))
            handlers.append(ast.ExceptHandler(type=h.type, name=name, body=self.block(h.body)))
        entered = p_body | p_h_all
        body = reraise + self.block(s.body)
        body_guard = ast.BoolOp(op=ast.Or(), values=[not_(load(RESUME_POINT)), in_set(RESUME_POINT, set(entered))]) \
            if entered else not_(load(RESUME_POINT))
        guarded_body = [if_(body_guard, body)]
        orelse = []
        if s.orelse:
            else_guard = (ast.BoolOp(op=ast.Or(), values=[not_(load(RESUME_POINT)), in_set(RESUME_POINT, set(p_else))])
                          if p_else else not_(load(RESUME_POINT)))
            orelse = [if_(else_guard, self.block(s.orelse))]
        if not p_final:
            inner = ast.Try(body=guarded_body, handlers=handlers, orelse=orelse, finalbody=s.finalbody)
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
            body=[assign(kind, const(4)), assign(val, load(exc)), ast.Raise(exc=None, cause=None)])],
            orelse=[], finalbody=[])
        redo: list[ast.stmt] = [assign(replay, const(False)),
                                if_(ast.Compare(left=load(kind), ops=[ast.Eq()], comparators=[const(4)]),
                                    [ast.Raise(exc=load(val), cause=None)])]
        if "return" in uses:
            redo.append(if_(ast.Compare(left=load(kind), ops=[ast.Eq()], comparators=[const(2)]),
                            [ast.Return(value=load(val))]))
        if "break" in uses:
            redo.append(if_(ast.Compare(left=load(kind), ops=[ast.Eq()], comparators=[const(3)]),
                            [ast.Break()]))
        if "continue" in uses:
            redo.append(if_(ast.Compare(left=load(kind), ops=[ast.Eq()], comparators=[const(5)]),
                            [ast.Continue()]))
        final = ([assign(replay, ast.Compare(left=load(RESUME_POINT), ops=[ast.NotEq()], comparators=[const(0)]))]
                 + self.block(finalbody) + [if_(load(replay), redo)])
        outer = ast.Try(body=[recorder], handlers=[], orelse=[], finalbody=final)
        return [if_(not_(load(RESUME_POINT)), [assign(kind, const(0)), assign(val, const(None))]), outer]


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
                block[i:i + 1] = [assign(val, value), assign(kind, const(2)), ast.Return(value=load(val))]
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


def _walk_scope(body: list[ast.stmt]):
    stack = list(reversed(body))
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, _SKIP_SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(cur))))


def own_locals(fn: ast.FunctionDef) -> list[str]:
    names: set[str] = set()
    a = fn.args
    for x in (*a.posonlyargs, *a.args, *a.kwonlyargs):
        names.add(x.arg)
    if a.vararg:
        names.add(a.vararg.arg)
    if a.kwarg:
        names.add(a.kwarg.arg)
    declared_global: set[str] = set()
    for node in _walk_scope(fn.body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
    # Names bound only inside native comprehensions are not ours.
    comp_only = set()
    for node in _walk_scope(fn.body):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp)):
            for gen in node.generators:
                for sub in ast.walk(gen.target):
                    if isinstance(sub, ast.Name):
                        comp_only.add(sub.id)
    plain = set()
    for node in _walk_plain(fn.body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            plain.add(node.id)
    names -= (comp_only - plain - {n.target.id for n in _walk_scope(fn.body) if isinstance(n, ast.NamedExpr)})
    return sorted(names - declared_global - NOT_CAPTURED)


def _walk_plain(body):
    stack = list(body)
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, (*_SKIP_SCOPES, ast.ListComp, ast.SetComp, ast.DictComp)):
            continue
        stack.extend(ast.iter_child_nodes(cur))


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
        restore.append(if_(ast.Compare(left=const(name), ops=[ast.In()], comparators=[load(RESUME_LOCALS)]),
                           [assign(name, ast.Subscript(value=load(RESUME_LOCALS), slice=const(name), ctx=ast.Load()))]))
    fn.body = prologue + [assign(RESUME_POINT, const(0)),
                          if_(ast.Compare(left=load(RESUME_PARAM), ops=[ast.IsNot()], comparators=[const(None)]),
                              restore)] + steered
    setattr(fn, PROLOGUE_ATTR, [])
    fn._smvm_points = steer.next_point  # type: ignore[attr-defined]
    return names
