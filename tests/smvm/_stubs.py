"""Plain-CPython reference runner for SM bricks.

Runs a brick as ordinary Python with stub SM primitives that simulate the same
line of nodes as ``sim.line.run_line`` (node ``i``, id ``str(i)``, has
neighbours ``i - 1`` and ``i + 1``; the SM starts on node ``"0"``). ``sys_migrate`` only checks the target is
a neighbour and changes the current node id, so the reference result is what
strong migration must reproduce.

The reference also keeps the corpus honest: builtins are limited to the ones
the SM language offers, imports to ``math``, and a light syntax check rejects
the constructs the language excludes (``async``, ``match``, names
starting with ``_``...), so a brick that only runs thanks to full Python fails
here first.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import json
import math
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

try:  # the real guest-visible class if it is there; the name is what matters
    from smvm.errors import MigrationError
except Exception:  # pragma: no cover - smvm not importable at all
    class MigrationError(Exception):
        """A migration could not be carried out."""


#: The modules a brick may import (the reference run imports the real ones).
MODULES = frozenset({"math", "random", "itertools", "functools", "operator", "bisect", "heapq",
                     "collections", "json", "string", "statistics", "copy", "dataclasses",
                     "io", "sys", "collections.abc", "__future__"})

CORPUS_DIR = Path(__file__).parent / "corpus"

#: The value dunders a class may define (docs/language.md).
DUNDERS = frozenset(
    "__init__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __bool__ "
    "__len__ __getitem__ __setitem__ __delitem__ __contains__ __iter__ __next__ __call__ "
    "__add__ __radd__ __sub__ __mul__ __neg__ __enter__ __exit__ __class__".split())

BUILTIN_NAMES = (
    "abs all any bin bool bytearray bytes callable chr dict divmod enumerate filter float "
    "format frozenset hex int isinstance iter len list map max min next oct ord pow range "
    "repr reversed round set sorted str sum tuple zip "
    "super object property staticmethod classmethod getattr setattr hasattr hash NotImplemented "
    "Exception ArithmeticError AssertionError AttributeError IndexError KeyError LookupError "
    "NameError NotImplementedError OverflowError RuntimeError StopIteration TypeError "
    "UnboundLocalError ValueError ZeroDivisionError UnicodeError"
).split()

#: AST node kinds the SM language leaves out (checked on corpus bricks).
FORBIDDEN_NODES = (
    ast.AsyncFunctionDef, ast.AsyncFor,
    ast.AsyncWith, ast.Await, ast.TryStar,
)


@dataclass
class Brick:
    """A corpus file: its source and the run parameters from its header."""

    name: str
    path: Path
    source: str
    args: list
    nodes: int = 3


@dataclass
class RefResult:
    """What plain CPython made of a brick."""

    result: object = None
    error_type: str | None = None
    error_message: str | None = None
    error_line: int | None = None
    error_lines: list = field(default_factory=list)
    node: str = "0"
    hops: int = 0
    log: list = field(default_factory=list)


def parse_header(source: str) -> tuple[list, int]:
    """Return ``(args, nodes)`` from the ``# args:`` / ``# nodes:`` header lines."""
    lines = source.splitlines()
    if not lines or not lines[0].startswith("# args:"):
        raise ValueError("a brick must start with '# args: <JSON list>'")
    args = json.loads(lines[0][len("# args:"):])
    if not isinstance(args, list):
        raise ValueError("'# args:' must hold a JSON list")
    nodes = 3
    for line in lines[1:4]:
        if line.startswith("# nodes:"):
            nodes = int(line[len("# nodes:"):])
    return args, nodes


def load_corpus() -> list[Brick]:
    """Every brick of the corpus directory, sorted by name."""
    bricks = []
    for path in sorted(CORPUS_DIR.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        args, nodes = parse_header(source)
        bricks.append(Brick(path.stem, path, source, args, nodes))
    return bricks


def check_subset(source: str, filename: str = "<brick>") -> list[str]:
    """Problems that put ``source`` outside the SM language (best effort)."""
    problems = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, FORBIDDEN_NODES):
            problems.append(f"{line}: {type(node).__name__} is not in the SM language")
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            problems.append(f"{line}: name {node.id!r} starts with '_'")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and node.attr not in DUNDERS:
            problems.append(f"{line}: attribute {node.attr!r} starts with '_'")
        elif isinstance(node, ast.arg) and node.arg.startswith("_"):
            problems.append(f"{line}: parameter {node.arg!r} starts with '_'")
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            name = getattr(node, "name", "")
            if name.startswith("_") and name not in DUNDERS:
                problems.append(f"{line}: function {name!r} starts with '_'")
            if node.args.posonlyargs:
                problems.append(f"{line}: positional-only parameters")
        elif isinstance(node, ast.Import):
            if any(a.name not in MODULES for a in node.names):
                problems.append(f"{line}: only the SM language's modules may be imported")
        elif isinstance(node, ast.ImportFrom):
            if node.module not in MODULES or any(a.name == "*" for a in node.names):
                problems.append(f"{line}: only 'from <module> import <names>' is allowed")
    return problems


class Line:
    """The simulated line of nodes: only the current position and hop count."""

    def __init__(self, nodes: int):
        self.nodes = nodes
        self.node = 0
        self.hops = 0
        self.log: list = []

    def neighbors(self) -> list[str]:
        return [str(n) for n in (self.node - 1, self.node + 1) if 0 <= n < self.nodes]

    def sys_migrate(self, target):
        if target not in self.neighbors():
            raise MigrationError(f"{target!r} is not a neighbour of node {str(self.node)!r}")
        self.node = int(target)
        self.hops += 1

    def read_tag(self, name):
        if name == "neighbors":
            return self.neighbors()
        if name == "node_id":
            return str(self.node)
        raise LookupError(f"no tag {name!r}")

    def node_id(self):
        return str(self.node)

    def record(self, *values):
        self.log.append(values)

    def print(self, *values, sep=" ", end="\n", file=None, flush=False):
        """The SM's print: lines to the log, or CPython's print to a file."""
        if file is None:
            self.record((" " if sep is None else sep).join(map(str, values)))
        else:
            builtins.print(*values, sep=sep, end=end, file=file, flush=flush)


def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if name not in MODULES or level:
        raise ImportError(f"import of {name!r} is not allowed")
    return importlib.import_module(name)


def namespace(line: Line) -> dict:
    """Globals for a brick run under CPython, with the stub primitives."""
    allowed = {name: getattr(builtins, name) for name in BUILTIN_NAMES}
    allowed["__import__"] = guarded_import
    allowed["__build_class__"] = builtins.__build_class__
    allowed["MigrationError"] = MigrationError
    allowed["sys_migrate"] = line.sys_migrate
    allowed["read_tag"] = line.read_tag
    allowed["node_id"] = line.node_id
    allowed["log"] = line.record
    allowed["print"] = line.print
    sys.modules.setdefault("brick", types.ModuleType("brick"))  # dataclasses looks it up
    return {"__builtins__": allowed, "__name__": "brick"}


def brick_lines(exc: BaseException, filename: str) -> list[int]:
    """Lines of the traceback entries that belong to the brick, outermost first.

    The last one is where the exception was first raised; an exception raised
    again (``raise e``) also lists the line of the second ``raise``."""
    return [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename == filename]


def run_reference(source: str, args: list, *, nodes: int = 3,
                  filename: str = "<brick>") -> RefResult:
    """Run ``main(*args)`` of ``source`` in plain CPython on a simulated line."""
    line = Line(nodes)
    ns = namespace(line)
    exec(compile(source, filename, "exec"), ns)
    res = RefResult()
    try:
        res.result = ns["main"](*args)
    except Exception as exc:  # guest exceptions only; anything else is a harness bug
        res.error_type = type(exc).__name__
        res.error_message = str(exc)
        res.error_lines = brick_lines(exc, filename)
        res.error_line = res.error_lines[-1] if res.error_lines else None
    res.node = str(line.node)
    res.hops = line.hops
    res.log = line.log
    return res


def same_value(a, b, path: str = "result", seen: set | None = None) -> str | None:
    """Compare two results exactly: equal values of identical types, floats by
    ``repr`` (so ``-0.0`` and ``nan`` count), dicts in the same insertion order.
    Returns ``None`` if they match, else a description of the first difference."""
    if seen is None:
        seen = set()
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__} ({a!r:.80} vs {b!r:.80})"
    if isinstance(a, float):
        return None if repr(a) == repr(b) else f"{path}: {a!r} != {b!r}"
    if isinstance(a, (list, tuple, dict)):
        key = (id(a), id(b))
        if key in seen:  # self-reference: compared already on the way down
            return None
        seen.add(key)
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            diff = same_value(x, y, f"{path}[{i}]", seen)
            if diff:
                return diff
        return None
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if len(ka) != len(kb):
            return f"{path}: {len(ka)} keys != {len(kb)} keys"
        for i, (x, y) in enumerate(zip(ka, kb)):
            diff = same_value(x, y, f"{path}.keys()[{i}]", seen)
            if diff:
                return diff
            diff = same_value(a[x], b[y], f"{path}[{x!r}]", seen)
            if diff:
                return diff
        return None
    if isinstance(a, (set, frozenset)):
        if a != b:
            return f"{path}: {a!r} != {b!r}"
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"
