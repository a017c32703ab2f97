"""The SM language compiler: whitelist check, then the transforms that make
a brick sandboxed, fuel-metered and migratable, then CPython ``compile``."""
from __future__ import annotations

import ast
import hashlib
import itertools
import warnings
from dataclasses import dataclass, field
from types import CodeType

from ..errors import CompileError, SourceError
from . import _spatial, _validate, abi
from ._analysis import analyse, generator_errors, resolve
from ._normalise import Normaliser
from ._steer import make_resumable
from ._decorators import cached_errors
from ._facts import drop_known_tests, known_ints, known_lists
from ._classes import GuardAttributes, drop_inert_dunders
from ._store_flags import flag_store_targets
from ._scopes import bound_anywhere, iter_own_scope, plain_class_names, statement_bindings
from ._with import DesugarWith
from ._instrument import Instrument
from ._tick_free import is_tick_free, keep_callees_of, mark_tick_free, unmark
from ._held import hold_computed_values
from ._marks import marked_code, strip_marks
from ._link import brick_imports, is_linked, load_brick, unpack
from ._closures import Cellify, LiftMigratingLambdas
from ._rewrite import FastConsumers, GuardCalls, GuardScans, Rejections, SimplifyImports
from ._sets import GuardSetBuilding, GuardSetGrowing, hold_set_values, mentions_views

__all__ = ["Brick", "FunctionInfo", "brick_hash", "check_source", "compile_brick", "desugar",
           "load_brick", "unit_part"]


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
    #: module code of the bricks linked in, run before ``code`` (dependencies first)
    prelude: tuple[CodeType, ...] = ()
    #: the bricks the unit is made of: name -> SHA-256 of its source (the
    #: code protection domain); empty for a brick that imports none
    parts: dict[str, str] = field(default_factory=dict)
    #: id(code object) -> hash of the part it belongs to (linked units only)
    code_part: dict[int, str] = field(default_factory=dict)
    #: the module-level functions this brick marks ``@own_domain`` (names;
    #: of a unit: its main brick's), and the code objects of every part's
    own_domain: frozenset[str] = frozenset()
    own_domain_code: frozenset[int] = frozenset()
    #: the brick may make dict views (whose set operators take in anything
    #: iterable): its set operators are checked, and only then may a state
    #: it decodes hold a view (``smvm.setmembers``)
    makes_views: bool = True
    #: the functions that take no fuel tick of their own (``_tick_free``): a
    #: state naming one is refused
    tick_free: frozenset[str] = frozenset()

    @property
    def code_ids(self) -> frozenset[str]:
        """The code domain of an SM running this unit: its bricks' hashes."""
        return frozenset(self.parts.values()) if self.parts else frozenset({self.hash})


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
    """Check and compile a brick, or a linked unit of bricks (see
    ``load_brick``); raise ``CompileError`` listing every problem."""
    if is_linked(source):
        return _compile_unit(source, filename, name or filename)
    return _compile_one(source, filename, name or filename)


def unit_part(unit: Brick, name: str) -> str | None:
    """The source of the part ``name`` of a linked unit, as the unit carries
    it (None when the unit has no such part)."""
    if name not in unit.parts:
        return None
    return dict(unpack(unit.source, unit.name)).get(name)


def desugar(source: str, filename: str = "<brick>") -> str:
    """``source`` with the spatial notation rewritten into calls of the
    spatial library (see ``_spatial``), as the compiler sees it next."""
    return ast.unparse(_parse(source, filename))


def _parse(source: str, filename: str) -> ast.Module:
    try:
        tree = _validate.parse(source, filename)
    except _validate._Rejected as exc:
        raise CompileError(exc.errors) from None
    errors = _validate.drop_future_imports(tree, filename) or _spatial.rewrite(tree, filename)
    if errors:
        raise CompileError(errors)
    drop_inert_dunders(tree)
    return tree


def _compile_one(source: str, filename: str, name: str, *, tree: ast.Module | None = None,
                 prefix: str = "", exports: dict[str, frozenset[str]] | None = None,
                 foreign: dict[str, bool] | None = None, views: bool | None = None) -> Brick:
    tree = tree or _parse(source, filename)
    if views is None and not prefix and exports is None:  # a brick on its own
        views = mentions_views(tree)
    errors = _validate.validate(tree, filename, exports)
    if errors:
        raise CompileError(errors)
    marked = strip_marks(tree)
    try:
        views = True if views is None else views
        brick = _transform(tree, source, filename, name, prefix, frozenset(exports or ()), foreign,
                           views, marked if exports is None and not prefix else None)
        brick.makes_views = views
        brick.own_domain = marked
        brick.own_domain_code = marked_code(brick.fid_of_code, prefix, marked)
        return brick
    except Rejections as exc:
        raise CompileError([SourceError(filename, e.line, e.message) for e in exc.errors]) from None
    except RecursionError:
        raise CompileError([SourceError(filename, 1, "brick is nested too deeply")]) from None


def _compile_unit(source: str, filename: str, name: str) -> Brick:
    """Compile each part on its own (its own file name, lines and function
    ids), then join them: one namespace, one function table."""
    parts = unpack(source, filename)
    exports: dict[str, frozenset[str]] = {}
    migrates: dict[str, dict[str, bool]] = {}
    owner: dict[str, str] = {}
    compiled: list[Brick] = []
    for index, (part_name, text) in enumerate(parts):
        main = index == len(parts) - 1
        part_file = filename if main else part_name
        tree = _parse(text, part_file)
        imported = brick_imports(tree)
        foreign: dict[str, bool] = {}
        for stmt in imported:
            if stmt.module not in exports:
                raise CompileError([SourceError(part_file, stmt.lineno, (
                    f"brick '{stmt.module}' is not linked before this one"))])
            for alias in stmt.names:
                if alias.asname in (None, alias.name):
                    foreign[alias.name] = migrates[stmt.module].get(alias.name, True)
        defined = _top_level_names(tree, set(foreign))
        for bound, line in _validate.shared_builtin_rebindings(tree):
            raise CompileError([SourceError(part_file, line, (
                f"'{bound}' is a builtin: no brick linked with others may rebind it "
                "(linked bricks share one namespace)"))])
        for node in ast.walk(tree):  # no brick rebinds another's globals
            if isinstance(node, ast.Global):
                for declared in node.names:
                    if declared in owner or declared in foreign:
                        raise CompileError([SourceError(part_file, node.lineno, (
                            f"'{declared}' belongs to brick "
                            f"'{owner.get(declared, 'imported')}': it cannot be declared "
                            "global here (linked bricks share one namespace)"))])
        for bound, line in defined.items():
            if bound in owner:
                raise CompileError([SourceError(part_file, line, (
                    f"'{bound}' is already defined by brick '{owner[bound]}' "
                    "(linked bricks share one namespace)"))])
        brick = _compile_one(text, part_file, part_file, tree=tree,
                             prefix="" if main else part_name + "/",
                             exports={m: exports[m] for m in {s.module for s in imported}},
                             foreign=foreign)
        compiled.append(brick)
        if not main:
            owner.update((bound, part_name) for bound in defined)
            exports[part_name] = frozenset(defined)
            migrates[part_name] = {
                fid.split("/", 1)[1].split(":")[0]: info.resumable
                for fid, info in brick.functions.items()
                if "." not in fid.split("/", 1)[1].split(":")[0]}
    head = compiled[-1]
    unit = Brick(name=name, source=source, hash=brick_hash(source), code=head.code,
                 transformed=head.transformed, prelude=tuple(b.code for b in compiled[:-1]))
    unit.own_domain = head.own_domain
    unit.own_domain_code = frozenset().union(*(b.own_domain_code for b in compiled))
    for (part_name, text), brick in zip(parts, compiled):
        unit.functions.update(brick.functions)
        unit.fid_of_code.update(brick.fid_of_code)
        digest = brick.hash
        unit.parts[part_name] = digest
        stack = [brick.code]
        while stack:
            code = stack.pop()
            unit.code_part[id(code)] = digest
            stack.extend(c for c in code.co_consts if isinstance(c, CodeType))
    return unit


def _top_level_names(tree: ast.Module, imported: set[str]) -> dict[str, int]:
    """Names a brick binds at module level (and their lines), except those it
    imports unchanged from another brick."""
    out: dict[str, int] = {}
    for stmt in tree.body:
        is_import = isinstance(stmt, (ast.Import, ast.ImportFrom))
        for bound, _ in statement_bindings(stmt):
            if not (is_import and bound in imported):
                out.setdefault(bound, stmt.lineno)
    return out


def _qualnames(tree: ast.Module) -> dict[int, str]:
    out: dict[int, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef):
                q = prefix + child.name
                out[id(child)] = q
                walk(child, q + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _transform(tree: ast.Module, source: str, filename: str, name: str, prefix: str = "",
               bricks: frozenset[str] = frozenset(), foreign: dict[str, bool] | None = None,
               views: bool = True, lone: frozenset[str] | None = None) -> Brick:
    # ``lone``: a brick on its own (its ``@own_domain`` names): its leaves
    # may go without a tick (``_tick_free``); in a unit, none do
    if lone is not None:
        mark_tick_free(tree, lone)
    tree = DesugarWith().visit(tree)
    tree = SimplifyImports(bricks).visit(tree)
    tree = GuardCalls().visit(tree)
    tree = FastConsumers(bound_anywhere(tree), plain_class_names(tree)).visit(tree)
    tree = GuardSetBuilding(views).visit(tree)
    tree = GuardAttributes().visit(tree)
    res = resolve(tree)
    analyse(tree, res, foreign)
    lifter = LiftMigratingLambdas(filename)
    lifter.run(tree)
    if lifter.changed:
        for node in ast.walk(tree):
            if hasattr(node, "_smvm_mig"):
                del node._smvm_mig
        res = resolve(tree)
    migrating = analyse(tree, res, foreign)
    keep_callees_of(tree, [n for n in ast.walk(tree)
                           if isinstance(n, ast.FunctionDef) and id(n) in migrating])
    tree = GuardScans().visit(tree)
    tree = GuardSetGrowing().visit(tree)
    refused = generator_errors(tree, migrating, filename) + cached_errors(tree, migrating, filename)
    if refused:
        raise Rejections(refused)
    cells = Cellify(res, filename)
    cells.run(tree)
    if cells.errors:
        raise Rejections(cells.errors)
    qualnames = _qualnames(tree)
    normaliser = Normaliser(filename, res)
    resumable: dict[str, tuple[list[str], int]] = {}
    held = itertools.count()
    rebound = bound_anywhere(tree)
    tick_free: set[str] = set()
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        fid = f"{prefix}{qualnames[id(fn)]}:{fn.lineno}"
        if id(fn) in migrating:
            unmark(fn)
            resumable[fid] = (make_resumable(fn, fid, normaliser), fn._smvm_points)
        else:
            prologue = getattr(fn, "_smvm_prologue", [])
            fn.body = prologue + flag_store_targets(fn) + fn.body
            ints = known_ints(fn, rebound)
            hold_computed_values(fn, held, ints)
            drop_known_tests(fn, ints, known_lists(fn, rebound))
            hold_set_values(fn, held)
            if is_tick_free(fn):
                tick_free.add(fid)
    Instrument().run(tree)
    ast.fix_missing_locations(tree)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = compile(tree, filename, "exec")
    except (SyntaxError, ValueError, TypeError) as exc:  # a transform produced bad code
        raise CompileError([SourceError(filename, getattr(exc, "lineno", 1) or 1,
                                        f"internal compiler error: {exc}")]) from None
    brick = Brick(name=name, source=source, hash=brick_hash(source), code=code, transformed=tree,
                  tick_free=frozenset(tick_free))
    _index_functions(brick, resumable, prefix)
    return brick


def _index_functions(brick: Brick, resumable: dict[str, tuple[list[str], int]], prefix: str) -> None:
    seen: dict[str, int] = {}

    def walk(code: CodeType) -> None:
        for const in code.co_consts:
            if not isinstance(const, CodeType):
                continue
            if const.co_name in ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"):
                walk(const)
                continue
            base = f"{prefix}{const.co_qualname}:{const.co_firstlineno}"
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
                                        if n != abi.RESUME_PARAM),
            )
            brick.fid_of_code[id(const)] = fid
            walk(const)

    walk(brick.code)
    missing = set(resumable) - set(brick.functions)
    if missing:
        raise CompileError([SourceError(brick.name, 1, f"internal compiler error: lost {sorted(missing)}")])
