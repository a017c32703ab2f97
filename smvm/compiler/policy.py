"""What the SM language allows: deny by default, everything here is opt-in."""
from __future__ import annotations

import ast
import math
import types as _types

from .stdlib_members import MEMBERS as STDLIB_MEMBERS, VALUE_METHODS

#: Statement and expression node kinds a brick may contain.
ALLOWED_NODES: frozenset[type] = frozenset({
    ast.Module, ast.FunctionDef, ast.ClassDef, ast.Return, ast.Delete, ast.Assign,
    ast.AugAssign, ast.AnnAssign, ast.For, ast.While, ast.If, ast.Raise, ast.Try,
    ast.Assert, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Expr,
    ast.Pass, ast.Break, ast.Continue,
    ast.BoolOp, ast.NamedExpr, ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp,
    ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.Compare, ast.Call, ast.FormattedValue, ast.JoinedStr, ast.Constant,
    ast.Attribute, ast.Subscript, ast.Starred, ast.Name, ast.List, ast.Tuple,
    ast.Slice, ast.Yield, ast.YieldFrom, ast.With, ast.withitem,
    ast.Load, ast.Store, ast.Del,
    ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.FloorDiv,
    ast.Invert, ast.Not, ast.UAdd, ast.USub,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot,
    ast.In, ast.NotIn,
    ast.comprehension, ast.ExceptHandler, ast.arguments, ast.arg, ast.keyword,
    ast.alias,
})

#: Why some well-known constructs are refused (shown in the error message).
REJECTED_WHY: dict[type, str] = {
    ast.AsyncFunctionDef: "async functions are not supported",
    ast.AsyncFor: "async for is not supported",
    ast.AsyncWith: "async with is not supported",
    ast.Await: "await is not supported",
    ast.Match: "'match' is not supported; use if/elif",
    ast.TryStar: "'except*' is not supported",
    ast.MatMult: "the @ operator is not supported",
}

#: Builtin functions and constants SM code may use (the names map to the
#: guarded implementations in ``smvm.guest_builtins``).
BUILTIN_NAMES: frozenset[str] = frozenset({
    "abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr",
    "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset",
    "hex", "int", "isinstance", "iter", "len", "list", "map", "max", "min",
    "next", "oct", "ord", "pow", "range", "repr", "reversed", "round", "set",
    "sorted", "str", "sum", "tuple", "zip", "True", "False", "None",
    "super", "object", "property", "staticmethod", "classmethod", "print",
    "getattr", "setattr", "hasattr", "hash", "NotImplemented",
})

#: The SM primitives of this release (see DESIGN §5).
PRIMITIVE_NAMES: frozenset[str] = frozenset({
    "sys_migrate", "block_tag", "create_tag", "read_tag", "write_tag", "delete_tag",
    "has_tag", "spawn", "create_sm", "node_id", "now", "log",
})

#: Primitives at which an SM may be captured (its state saved and resumed).
MIGRATION_PRIMITIVES: frozenset[str] = frozenset({"sys_migrate", "block_tag"})

#: Modules a brick may import, with the members it may use (the standard
#: modules of ``smvm.stdlib`` besides ``math``).
MODULES: dict[str, frozenset[str]] = {
    "math": frozenset(
        name for name in dir(math)
        if not name.startswith("_")
    ),
    **STDLIB_MEMBERS,
}

#: ``from __future__ import ...`` features that change nothing the compiler
#: keeps: all are mandatory in the Python it runs on, and annotations
#: (``annotations``) are dropped.
FUTURE_FEATURES = frozenset({
    "nested_scopes", "generators", "division", "absolute_import", "with_statement",
    "print_function", "unicode_literals", "generator_stop", "annotations",
})

#: Method and attribute names allowed after a dot. Values are plain data, so
#: these are the public methods of str/bytes/bytearray/list/tuple/dict/set/
#: frozenset/int/float/range plus the members of allowed modules. Deliberately
#: absent: anything reaching code, frames, classes or the interpreter.
_STR_METHODS = {
    "capitalize", "casefold", "center", "count", "encode", "endswith",
    "expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha",
    "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower",
    "lstrip", "maketrans", "partition", "removeprefix", "removesuffix",
    "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
    "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "translate", "upper", "zfill",
}
_BYTES_METHODS = {"decode", "hex", "fromhex"}
_LIST_METHODS = {
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop",
    "remove", "reverse", "sort",
}
_DICT_METHODS = {
    "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem",
    "setdefault", "update", "values",
}
_SET_METHODS = {
    "add", "clear", "copy", "difference", "difference_update", "discard",
    "intersection", "intersection_update", "isdisjoint", "issubset",
    "issuperset", "pop", "remove", "symmetric_difference",
    "symmetric_difference_update", "union", "update",
}
_NUMBER_ATTRS = {
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator",
    "from_bytes", "imag", "is_integer", "numerator", "real", "to_bytes",
}
_RANGE_ATTRS = {"start", "stop", "step"}
_EXCEPTION_ATTRS = {"args"}

ALLOWED_ATTRIBUTES: frozenset[str] = frozenset(
    _STR_METHODS | _BYTES_METHODS | _LIST_METHODS | _DICT_METHODS | _SET_METHODS
    | _NUMBER_ATTRS | _RANGE_ATTRS | _EXCEPTION_ATTRS | VALUE_METHODS
    | set().union(*MODULES.values())
)

#: Methods that may only be called directly (``s.format(...)``), never taken
#: as values: the compiler routes those calls through guarded versions.
CALL_ONLY_ATTRIBUTES: frozenset[str] = frozenset({"format", "format_map"})

#: Methods that compare their argument with every item in C code: the
#: compiler routes the calls through the fuel-charging ``scan`` guard.
SCANNING_METHODS: frozenset[str] = frozenset({"count", "index", "remove"})

#: Methods whose iterable arguments may be consumed by C code: the compiler
#: routes the arguments through the fuel-charging ``bounded`` guard.
CONSUMING_METHODS: frozenset[str] = frozenset({
    "join", "extend", "update", "union", "intersection", "difference",
    "symmetric_difference", "issubset", "issuperset", "isdisjoint",
    "intersection_update", "difference_update", "symmetric_difference_update",
    "fromkeys", "extendleft",
})

#: Dunder methods a class may define (and ``super().__x__`` / ``Class.__x__``
#: may name): each runs as guest code, with fuel, when the operation it
#: implements is applied. Deliberately absent: everything the host's type
#: machinery calls behind the scenes (``__getattr__``, ``__getattribute__``,
#: ``__setattr__``, ``__delattr__``, ``__del__``, ``__new__``, ``__init_subclass__``,
#: ``__class_getitem__``, ``__set_name__``, ``__get__``/``__set__``/``__delete__``,
#: ``__reduce__``/``__reduce_ex__``, ``__getstate__``/``__setstate__``,
#: ``__copy__``/``__deepcopy__``, ``__slots__``, ``__format__``, ``__index__``,
#: ``__await__``...). ``__enter__``/``__exit__`` run only where a ``with``
#: statement of the brick calls them (see ``_with``).
_BINARY = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
           "and", "or", "xor")
ALLOWED_DUNDERS: frozenset[str] = frozenset(
    {f"__{op}__" for op in _BINARY} | {f"__r{op}__" for op in _BINARY}
    | {f"__i{op}__" for op in _BINARY}
    | {"__init__", "__repr__", "__str__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
       "__ge__", "__hash__", "__bool__", "__len__", "__getitem__", "__setitem__",
       "__delitem__", "__contains__", "__iter__", "__next__", "__call__", "__neg__",
       "__pos__", "__abs__", "__invert__", "__int__", "__float__", "__divmod__",
       "__rdivmod__", "__enter__", "__exit__"})

#: Attribute names refused after a dot on any value, though not '_'-prefixed:
#: they belong to host objects that reach frames, code, cells or classes
#: (generators are SM values now; their frames must stay out of reach).
DENIED_ATTRIBUTES: frozenset[str] = frozenset(
    {name for kind in (_types.FrameType, _types.TracebackType, _types.CodeType,
                       _types.GeneratorType, _types.CoroutineType, _types.AsyncGeneratorType,
                       _types.CellType)
     for name in dir(kind) if not name.startswith("_")}
    - {"send", "throw", "close", "clear", "replace"}
    | {"mro", "with_traceback", "obj", "fget", "fset", "fdel", "getter", "setter", "deleter",
       "cell_contents", "gi_suspended", "cr_suspended", "f_trace", "tb_lasti"}
    | {name for name in dir(_types.CodeType) if name.startswith("co_")})

#: Decorators a class body may use on its methods, and on a class.
METHOD_DECORATORS: frozenset[str] = frozenset({"property", "staticmethod", "classmethod"})
CLASS_DECORATORS: frozenset[str] = frozenset({"dataclass"})
