"""The first transform of migrating functions: normalise (A-normal form).

Every potential migration point becomes a statement ``_tN = callee(simple
args)``, whatever was evaluated before it held in temporaries, in evaluation
order; ``for`` loops around points become ``while`` loops over the live
iterator (which travels with the SM); comprehensions and short-circuit
operators around them become statements. ``_steer`` does the rest.
"""
from __future__ import annotations

import ast
import copy

from ..errors import SourceError
from ._analysis import MIG_ATTR, Resolution, contains_flagged
from ._astutil import assign, attr, call, const, deleting, if_, load, not_, stmt, store
from ._rewrite import Rejections
from ._scopes import comprehension_inner_parts
from .abi import ASSERTION_ERROR, END, NEW_SET, NEXT, RUNTIME
from .policy import SCANNING_METHODS

#: Set on the statement of each migration point (read by the steering).
POINT_ATTR = "_smvm_point"
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
        store_target = (self.target(s.target, stmts) if isinstance(s.target, ast.Subscript)
                        else s.target)
        loaded = copy.deepcopy(store_target)
        loaded.ctx = ast.Load()
        stmts.append(assign(acc, loaded))
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
        body = self.block(s.body)  # before the else branch: temporaries number in order
        return stmts + [ast.If(test=test, body=body,
                               orelse=self.block(s.orelse) if s.orelse else [])]

    def st_While(self, s: ast.While) -> list[ast.stmt]:
        if not _has_point(s.test):
            return [ast.While(test=s.test, body=self.block(s.body),
                              orelse=self.block(s.orelse) if s.orelse else [])]
        ended = self.temp("_e")
        pre, test = self.expr(s.test)
        stop = if_(not_(test), [assign(ended, const(True)), ast.Break()])
        body = pre + [stop] + self.block(s.body)
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
        bind = ast.Assign(targets=[s.target], value=load(item))
        loop = ast.While(test=test, body=[bind] + s.body, orelse=s.orelse)
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
        targets = [deleting(self.target(t, stmts)) for t in s.targets]
        return stmts + [ast.Delete(targets=targets)]

    # ---- expressions -------------------------------------------------------
    def materialise(self, e: ast.expr, stmts: list[ast.stmt]) -> ast.expr:
        # Constants and hidden names (temporaries, cells, the runtime) cannot
        # change under a later call, so they need no temporary.
        hidden = isinstance(e, ast.Name) and e.id.startswith("_") and e.id != "_"
        if isinstance(e, ast.Constant) or hidden:
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
        # ``obj.count(x)`` that may run a brick's migrating method: the runtime charges
        # the C scan and hands the method back; the call stays in this frame (captured).
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
        keywords = [ast.keyword(arg=k.arg, value=v) for k, v in zip(e.keywords, out[1 + n:])]
        new = ast.Call(func=func, args=out[1:1 + n], keywords=keywords)
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
            stmts, (value, lower, upper, step) = self.sequence(
                [e.value, s.lower, s.upper, s.step])
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

    def ex_Tuple(self, e: ast.Tuple | ast.List | ast.Set):
        stmts, elts = self.sequence(list(e.elts))
        if isinstance(e, ast.Set):
            return stmts, ast.Set(elts=elts)
        return stmts, type(e)(elts=elts, ctx=ast.Load())

    ex_List = ex_Set = ex_Tuple

    def ex_Dict(self, e: ast.Dict):
        flat: list[ast.expr | None] = [x for pair in zip(e.keys, e.values) for x in pair]
        stmts, out = self.sequence(flat)
        return stmts, ast.Dict(keys=out[0::2], values=out[1::2])

    def ex_JoinedStr(self, e: ast.JoinedStr):
        stmts: list[ast.stmt] = []

        def fix(joined: ast.JoinedStr) -> ast.JoinedStr:
            values = []
            for part in joined.values:
                if isinstance(part, ast.FormattedValue):
                    pre, v = self.expr(part.value)
                    stmts.extend(pre)
                    v = self.materialise(v, stmts)
                    spec = fix(part.format_spec) if part.format_spec is not None else None
                    values.append(ast.FormattedValue(value=v, conversion=part.conversion,
                                                     format_spec=spec))
                else:
                    values.append(part)
            return ast.JoinedStr(values=values)

        return stmts, fix(e)

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
        if not any(_has_point(x) for x in comprehension_inner_parts(e)):
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
            if isinstance(sub, ast.Name) and sub.id in renames \
                    and self.res.scope_of.get(id(sub)) is e:
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
            lambda r: ast.Assign(targets=[ast.Subscript(value=load(r), slice=e.key,
                                                        ctx=ast.Store())], value=e.value))
