"""Bricks that use other bricks: finding them on disk and packing them into
one SM unit.

A brick uses another with ``from NAME import f, g`` at module level. ``NAME``
is either a sibling file (``helpers`` -> ``helpers.py`` next to the importing
brick) or a package's brick (``routing.gpsr`` -> ``bricks/gpsr.py`` inside the
installed ``routing`` package). Linking happens once, where the SM is started
from files: the unit that travels is *packed* -- a header line and a JSON list
of ``[name, source]`` parts, dependencies first, the started brick last -- so
a receiving node compiles exactly what it was sent and never looks at its own
disk.
"""
from __future__ import annotations

import ast
import importlib.util
import io
import json
import re
import tokenize
from pathlib import Path

from ..errors import CompileError, SourceError
from . import policy
from . import _spatial

LINK_HEADER = "#smvm-link 1\n"
MAX_PARTS = 32
_BRICK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*\Z")


def is_linked(source: str) -> bool:
    return source.startswith(LINK_HEADER)


def brick_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    """The module-level ``from NAME import ...`` statements naming bricks
    (every module the SM language does not provide itself)."""
    return [stmt for stmt in tree.body
            if isinstance(stmt, ast.ImportFrom) and not stmt.level
            and stmt.module not in policy.MODULES]


def pack(parts: list[tuple[str, str]]) -> str:
    """The unit's source: canonical, so equal units hash equally everywhere."""
    return LINK_HEADER + json.dumps([[name, source] for name, source in parts],
                                    ensure_ascii=False, separators=(",", ":"))


def unpack(source: str, filename: str) -> list[tuple[str, str]]:
    """The parts of a packed unit (remote input: checked, never trusted)."""
    def bad(why: str) -> CompileError:
        return CompileError([SourceError(filename, 1, f"malformed linked unit: {why}")])

    try:
        parts = json.loads(source[len(LINK_HEADER):])
    except (ValueError, RecursionError):
        raise bad("the part list is not JSON") from None
    if type(parts) is not list or not 2 <= len(parts) <= MAX_PARTS:
        raise bad(f"needs 2 to {MAX_PARTS} parts")
    names: set[str] = set()
    for part in parts:
        if (type(part) is not list or len(part) != 2 or type(part[0]) is not str
                or type(part[1]) is not str):
            raise bad("a part is not [name, source]")
        if part[0] in names:
            raise bad(f"part {part[0]!r} appears twice")
        names.add(part[0])
    if not all(_BRICK_NAME.match(name) for name, _ in parts[:-1]):
        raise bad("a part has an invalid brick name")
    if pack([tuple(p) for p in parts]) != source:
        raise bad("not in canonical form")
    return [(name, text) for name, text in parts]


def load_brick(path: str | Path) -> str:
    """The source of the SM unit started from the brick file ``path``: the
    file itself, or, when it imports bricks, the packed unit.

    Raises ``OSError``/``UnicodeDecodeError`` when a file cannot be read and
    ``CompileError`` when an imported brick cannot be found.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text  # the compiler reports it with its line
    _spatial.rewrite(tree, str(path))  # the notation imports the spatial library
    if not brick_imports(tree):
        return text
    parts: dict[str, str] = {}
    _collect(tree, path, parts, stack=[])
    return pack([(name, slim(source)) for name, source in [*parts.items(), (path.name, text)]])


def slim(source: str) -> str:
    """``source`` without comments and docstrings, every line where it was
    (errors keep their line numbers): the code of a linked unit crosses the
    network on every first hop, and explanations need not."""
    lines = source.splitlines(keepends=True)
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return source
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col].rstrip() + "\n"
    for node in [tree, *[n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]]:
        first = node.body[0] if node.body else None
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str) and first.end_lineno is not None
                and not lines[first.lineno - 1][:first.col_offset].strip()
                and len(node.body) > 1):
            lines[first.lineno - 1] = lines[first.lineno - 1][:first.col_offset] + '""\n'
            for row in range(first.lineno, first.end_lineno):
                lines[row] = "\n"
    slimmed = "".join(lines)
    try:
        ast.parse(slimmed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    return slimmed


def _collect(tree: ast.Module, path: Path, parts: dict[str, str], stack: list[str]) -> None:
    """Add the bricks ``tree`` imports to ``parts``, dependencies first."""
    for stmt in brick_imports(tree):
        name = stmt.module or ""
        if name in parts:
            continue
        if name in stack:
            raise _error(path, stmt, f"bricks import each other in a cycle: "
                                     f"{' -> '.join([*stack, name])}")
        found = _find(name, path.parent)
        if found is None:
            raise _error(path, stmt, f"cannot find brick '{name}' (a sibling file {name}.py, "
                                     "or PACKAGE.NAME for a package's bricks/NAME.py)")
        text = found.read_text(encoding="utf-8")
        try:
            sub = ast.parse(text, filename=str(found))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise CompileError([SourceError(str(found), getattr(exc, "lineno", 1) or 1,
                                            f"syntax error in imported brick: {exc}")]) from None
        _spatial.rewrite(sub, str(found))
        _collect(sub, found, parts, [*stack, name])
        parts[name] = text
        if len(parts) >= MAX_PARTS:
            raise _error(path, stmt, f"an SM may carry at most {MAX_PARTS} bricks")


def _find(name: str, here: Path) -> Path | None:
    if not _BRICK_NAME.match(name):
        return None
    package, _, rest = name.partition(".")
    if not rest:
        candidate = here / f"{name}.py"
        return candidate if candidate.is_file() else None
    try:
        spec = importlib.util.find_spec(package)  # locates, does not import
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root, "bricks", *rest.split(".")).with_suffix(".py")
        if candidate.is_file():
            return candidate
    return None


def _error(path: Path, node: ast.AST, message: str) -> CompileError:
    return CompileError([SourceError(str(path), getattr(node, "lineno", 1), message)])
