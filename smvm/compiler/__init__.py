"""The SM language compiler: whitelist check, then the transforms that make
a brick sandboxed, fuel-metered and migratable, then CPython ``compile``."""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from types import CodeType

from ..errors import CompileError, SourceError
from . import _validate
from ._analysis import analyse, resolve
from ._capture import Normaliser, make_resumable
from ._instrument import Instrument
from ._link import load_brick
from ._rewrite import Cellify, GuardCalls, LiftMigratingLambdas, Rejections, SimplifyImports

__all__ = ["Brick", "FunctionInfo", "compile_brick", "check_source", "brick_hash", "load_brick"]


@dataclass(frozen=True)
class FunctionInfo:
    """What the VM knows about one function of a brick."""

    fid: str
    code: CodeType
    resumable: bool
    points: int = 0
    local_names: frozenset[str] = frozenset()
    required_positional: int = 0
    required_keywords: tuple[str, ...] = ()


@dataclass
class Brick:
    """A compiled brick: the module code plus its function table."""

    name: str
    source: str
    hash: str
    code: CodeType
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    fid_of_code: dict[int, str] = field(default_factory=dict)
    transformed: ast.Module | None = None


def brick_hash(source: str) -> str:
    """Content hash identifying a brick's code on every node."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def check_source(source: str, filename: str = "<brick>") -> list[SourceError]:
    """All errors in ``source`` (empty list when it is a valid brick)."""
    try:
        compile_brick(source, filename)
    except CompileError as exc:
        return exc.errors
    return []


def compile_brick(source: str, filename: str = "<brick>", name: str | None = None) -> Brick:
    """Check and compile a brick; raise ``CompileError`` listing every problem."""
    try:
        tree = _validate.parse(source, filename)
    except _validate._Rejected as exc:
        raise CompileError(exc.errors) from None
    errors = _validate.validate(tree, filename)
    if errors:
        raise CompileError(errors)
    try:
        return _transform(tree, source, filename, name or filename)
    except Rejections as exc:
        raise CompileError([SourceError(filename, e.line, e.message) for e in exc.errors]) from None
    except RecursionError:
        raise CompileError([SourceError(filename, 1, "brick is nested too deeply")]) from None


def _qualnames(tree: ast.Module) -> dict[int, str]:
    out: dict[int, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef):
                q = prefix + child.name
                out[id(child)] = q
                walk(child, q + ".<locals>.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _transform(tree: ast.Module, source: str, filename: str, name: str) -> Brick:
    tree = SimplifyImports().visit(tree)
    tree = GuardCalls().visit(tree)
    res = resolve(tree)
    analyse(tree, res)
    lifter = LiftMigratingLambdas(filename)
    lifter.run(tree)
    if lifter.changed:
        for node in ast.walk(tree):
            if hasattr(node, "_smvm_mig"):
                del node._smvm_mig
        res = resolve(tree)
    migrating = analyse(tree, res)
    cells = Cellify(res, filename)
    cells.run(tree)
    if cells.errors:
        raise Rejections(cells.errors)
    qualnames = _qualnames(tree)
    normaliser = Normaliser(filename, res)
    resumable: dict[str, tuple[list[str], int]] = {}
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        fid = f"{qualnames[id(fn)]}:{fn.lineno}"
        if id(fn) in migrating:
            resumable[fid] = (make_resumable(fn, fid, normaliser), fn._smvm_points)
        else:
            prologue = getattr(fn, "_smvm_prologue", [])
            fn.body = prologue + fn.body
    Instrument().run(tree)
    ast.fix_missing_locations(tree)
    try:
        code = compile(tree, filename, "exec")
    except (SyntaxError, ValueError, TypeError) as exc:  # a transform produced bad code
        raise CompileError([SourceError(filename, getattr(exc, "lineno", 1) or 1,
                                        f"internal compiler error: {exc}")]) from None
    brick = Brick(name=name, source=source, hash=brick_hash(source), code=code, transformed=tree)
    _index_functions(brick, resumable)
    return brick


def _index_functions(brick: Brick, resumable: dict[str, tuple[list[str], int]]) -> None:
    seen: dict[str, int] = {}

    def walk(code: CodeType) -> None:
        for const in code.co_consts:
            if not isinstance(const, CodeType):
                continue
            if const.co_name in ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"):
                walk(const)
                continue
            base = f"{const.co_qualname}:{const.co_firstlineno}"
            count = seen.get(base, 0)
            seen[base] = count + 1
            fid = base if count == 0 else f"{base}#{count}"
            names, points = resumable.get(fid, (None, 0))
            nargs = const.co_argcount + const.co_kwonlyargcount
            brick.functions[fid] = FunctionInfo(
                fid=fid, code=const, resumable=names is not None, points=points,
                local_names=frozenset(names or ()),
                required_positional=const.co_argcount,
                required_keywords=tuple(n for n in const.co_varnames[const.co_argcount:nargs]
                                        if n != "_fr"),
            )
            brick.fid_of_code[id(const)] = fid
            walk(const)

    walk(brick.code)
    missing = set(resumable) - set(brick.functions)
    if missing:
        raise CompileError([SourceError(brick.name, 1, f"internal compiler error: lost {sorted(missing)}")])
