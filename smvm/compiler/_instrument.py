"""Runtime guards woven into every function: fuel, exception filtering and
finally blocks that stay quiet while an SM is being captured or killed."""
from __future__ import annotations

import ast
import itertools

from . import abi
from ._astutil import attr, call, if_, load, not_, store
from ._tick_free import is_tick_free


def _tick_stmt() -> ast.stmt:
    # One fuel unit is one item popped off the SM's fuel list: a C call, and
    # the try costs nothing until the slice runs out. (A global counter would
    # be simpler but every write to a module global slows all global reads.)
    return ast.Try(body=[ast.Expr(value=call(abi.FUEL_POP))],
                   handlers=[ast.ExceptHandler(type=load(abi.INDEX_ERROR), name=None,
                                               body=[ast.Expr(value=call(abi.REFUEL))])],
                   orelse=[], finalbody=[])


def _fuelled_while(loop: ast.While) -> ast.For:
    """``while test: body`` as ``for _fu in _R.loop_fuel: if not test: break``
    then ``body``: one fuel unit per test, taken by the C walk of the
    runtime's loop store (a tick statement costs twice the bytecode). The
    loop has no capture point and no ``else`` (see ``_plain_while``), so
    nothing of it travels and ``break``/``continue`` mean what they meant."""
    test = loop.test
    body = list(loop.body)
    if not (isinstance(test, ast.Constant) and test.value):
        body.insert(0, ast.copy_location(if_(not_(test), [ast.Break()]), loop))
    return ast.copy_location(ast.For(target=store(abi.LOOP_UNIT),
                                     iter=attr(abi.RUNTIME, abi.LOOP_FUEL),
                                     body=body, orelse=[], type_comment=None), loop)


def _plain_while(loop: ast.While) -> bool:
    """A ``while`` loop without ``else`` and without a capture point in it (a
    loop of a resumable function that holds one is steered through its
    head: it keeps its tick statement)."""
    if loop.orelse:
        return False
    for node in ast.walk(loop):
        if getattr(node, "end_col_offset", None) == abi.POINT_COLUMN:
            return False
        if isinstance(node, ast.Name) and node.id == abi.RESUME_POINT:
            return False
    return True


def _ticking_functions(tree: ast.Module, own: set[str]) -> frozenset[str]:
    """The names that, wherever a function of the brick calls them, call a
    function of the brick that ticks fuel first thing: module-level functions
    (no decorator, no generator: a generator's body runs later, if ever)
    whose name nothing else binds, no class or generator shares."""
    others = {node.name for node in ast.walk(tree)
              if isinstance(node, (ast.ClassDef, ast.ExceptHandler, ast.MatchAs, ast.MatchStar))
              or (isinstance(node, ast.FunctionDef) and _is_generator(node))}
    return frozenset({stmt.name for stmt in tree.body
                      if isinstance(stmt, ast.FunctionDef) and not stmt.decorator_list}
                     & own - others)


def _is_generator(fn: ast.FunctionDef) -> bool:
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _calls_first(body: list[ast.stmt], ticking: frozenset[str]) -> bool:
    """Does every turn of a loop with this body call one of ``ticking``
    before it can end or skip ahead? (Its first statements are simple ones,
    which run in order or raise out of the loop, and one of them evaluates
    such a call unconditionally.)"""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            return False
        if stmt.value is not None and _evaluates_call(stmt.value, ticking):
            return True
        if isinstance(stmt, ast.Return):
            return False
    return False


def _evaluates_call(expr: ast.expr, ticking: frozenset[str]) -> bool:
    """Does evaluating ``expr`` always call one of ``ticking`` (unless
    something raises first)?"""
    if isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id in ticking:
            return True
        parts = [expr.func, *expr.args, *(k.value for k in expr.keywords)]
    elif isinstance(expr, ast.BinOp):
        parts = [expr.left, expr.right]
    elif isinstance(expr, (ast.UnaryOp, ast.Starred)):
        parts = [expr.operand if isinstance(expr, ast.UnaryOp) else expr.value]
    elif isinstance(expr, ast.Compare):
        parts = [expr.left, expr.comparators[0]]  # a chain may stop after the first
    elif isinstance(expr, (ast.Tuple, ast.List)):
        parts = list(expr.elts)
    elif isinstance(expr, ast.Subscript):
        parts = [expr.value, expr.slice]
    elif isinstance(expr, ast.Attribute):
        parts = [expr.value]
    elif isinstance(expr, ast.BoolOp):
        parts = [expr.values[0]]
    elif isinstance(expr, ast.IfExp):
        parts = [expr.test]
    else:
        return False
    return any(_evaluates_call(part, ticking) for part in parts)


_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


#: Builtins that neither change a list nor call what they are given (a guest
#: dunder they reach ticks fuel itself): calling them cannot grow a list.
_INERT_BUILTINS = frozenset({"len", "abs", "round", "int", "float", "str", "repr", "bool",
                             "isinstance", "ord", "chr", "hash", "divmod", "pow"})
#: The runtime's calls an item may make that grow no list: the guards this
#: pass puts around a nested comprehension's iterables, and the guards of
#: ``x in c``, slices and tuple depth (``GuardCalls``; a guest dunder they
#: reach ticks fuel itself).
_COUNTING = frozenset({"counted", "counted_growing", "contains", "cut", "nest"})
#: The host's builtins the inline guards call (``_inline``): inert too.
_INERT_GUARDS = frozenset({abi.TYPE, abi.LEN, abi.ISINSTANCE, abi.STR, abi.REPR})


def _callable_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The names the brick binds only as its own undecorated functions and
    classes (calling one runs guest code, which ticks fuel itself), and every
    other name it binds anywhere (a builtin rebound is not inert)."""
    own, other = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            other.add(node.id)
        elif isinstance(node, ast.arg):
            other.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            (other if node.decorator_list else own).add(node.name)
        elif isinstance(node, ast.alias):
            other.add(node.asname or node.name)
    return own - other, other


def _calls_while_walking(comp: ast.AST, own: set[str], bound: set[str]) -> bool:
    """Whether a comprehension may call C code that grows a list while it
    walks: a call in anything it evaluates per item (all but its first
    iterable, made before the walk), but for inert builtins and the brick's
    own functions and classes (guest code ticks fuel itself; C code does
    not)."""
    first = {id(node) for node in ast.walk(comp.generators[0].iter)}  # type: ignore[attr-defined]
    for node in ast.walk(comp):
        if not isinstance(node, ast.Call) or id(node) in first:
            continue
        func = node.func
        if isinstance(func, ast.Name) and (func.id in own or func.id in _INERT_GUARDS or (
                func.id in _INERT_BUILTINS and func.id not in bound)):
            continue
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == abi.RUNTIME and func.attr in _COUNTING):
            continue
        return True
    return False


class Instrument:
    def __init__(self) -> None:
        self.names = itertools.count()
        self.own: set[str] = set()
        self.bound: set[str] = set()
        self.ticking: frozenset[str] = frozenset()

    def run(self, tree: ast.Module) -> None:
        self.own, self.bound = _callable_names(tree)
        # module-level functions without a tick (``_tick_free``): no loop
        # counts on their tick, and calling one from a comprehension is not
        # calling guest code that ticks
        self.own -= {stmt.name for stmt in tree.body
                     if isinstance(stmt, ast.FunctionDef) and is_tick_free(stmt)}
        self.ticking = _ticking_functions(tree, self.own)
        self._visit(tree, in_function=False)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and not is_tick_free(node):
                node.body.insert(0, _tick_stmt())

    def _visit(self, node: ast.AST, in_function: bool) -> None:
        """Instrument ``node`` and what it holds (``in_function``: it runs in
        a function's frame, where a ``while`` loop's unit is a plain local)."""
        inner = (in_function or isinstance(node, (ast.FunctionDef, ast.Lambda))) \
            and not isinstance(node, ast.ClassDef)
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        self._visit(child, inner)
                        if getattr(child, "_smvm_fuelled", False):
                            value[i] = _fuelled_while(child)
            elif isinstance(value, ast.AST):
                self._visit(value, inner)
        if isinstance(node, (ast.For, ast.While)) and _calls_first(node.body, self.ticking):
            pass  # each turn calls a function of the brick first, which ticks
        elif isinstance(node, ast.While) and in_function and _plain_while(node):
            node._smvm_fuelled = True  # type: ignore[attr-defined]  # replaced by the caller
        elif isinstance(node, (ast.For, ast.While)):
            node.body.insert(0, _tick_stmt())
        elif isinstance(node, ast.GeneratorExp):
            # consumed lazily (any(), next()...): charged chunk by chunk
            # (given straight to a builtin, which consumes it at once: a short
            # sequence is charged at once, ``Runtime.consumed_counted``, and
            # walked as it is where no item can grow it, ``consumed_sized``)
            first = node.generators[0]
            guard = "lazy_counted"
            if getattr(node, "_smvm_consumed", False):
                guard = "consumed_counted" if _calls_while_walking(
                    node, self.own, self.bound) else "consumed_sized"
            first.iter = call(attr(abi.RUNTIME, guard), first.iter)
            for gen in node.generators[1:]:
                gen.iter = call(attr(abi.RUNTIME, "counted"), gen.iter)
        elif isinstance(node, _COMPS):
            # consumed whole: charge each generator's items as it starts; a
            # body that calls something may grow the list it walks
            guard = "counted_growing" if _calls_while_walking(node, self.own, self.bound) else "counted"
            for gen in node.generators:
                gen.iter = call(attr(abi.RUNTIME, guard), gen.iter)
        elif isinstance(node, ast.Try):
            for handler in node.handlers:
                self._guest_handler(handler)
            if node.finalbody and not getattr(node, "_smvm_generated", False):
                node.finalbody = [if_(call(attr(abi.RUNTIME, "finally_ok")), node.finalbody)]

    def _guest_handler(self, handler: ast.ExceptHandler) -> None:
        if isinstance(handler.type, ast.Name) and handler.type.id.startswith("_"):
            return  # generated by the compiler
        if handler.type is None:
            handler.type = load(abi.EXCEPTION)
        if handler.name is None:
            handler.name = f"_xh{next(self.names)}"
        # MemoryError/RecursionError end the SM: guest code may not swallow them.
        guard = if_(call(abi.ISINSTANCE, load(handler.name), load(abi.NOCATCH)),
                    [ast.Raise(exc=None, cause=None)])
        handler.body.insert(0, guard)
