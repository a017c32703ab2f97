"""The members of each standard module SM code may import (read by the
compiler: no module here is imported for it)."""
from __future__ import annotations

RANDOM = frozenset({
    "Random", "seed", "random", "uniform", "randint", "randrange", "choice", "choices",
    "shuffle", "sample", "getrandbits", "randbytes", "gauss", "normalvariate",
    "lognormvariate", "expovariate", "vonmisesvariate", "gammavariate", "triangular",
    "betavariate", "paretovariate", "weibullvariate", "getstate", "setstate",
})
ITERTOOLS = frozenset({
    "accumulate", "chain", "combinations", "combinations_with_replacement", "compress",
    "count", "cycle", "dropwhile", "filterfalse", "groupby", "islice", "pairwise",
    "permutations", "product", "repeat", "starmap", "takewhile", "zip_longest",
})
FUNCTOOLS = frozenset({"reduce", "partial", "cmp_to_key", "lru_cache", "cache"})
OPERATOR = frozenset({
    "abs", "add", "and_", "concat", "contains", "countOf", "eq", "floordiv", "ge", "getitem",
    "gt", "iadd", "iand", "iconcat", "ifloordiv", "ilshift", "imod", "imul", "index",
    "indexOf", "inv", "invert", "ior", "ipow", "irshift", "is_", "is_not", "isub", "itruediv",
    "ixor", "le", "lshift", "lt", "mod", "mul", "ne", "neg", "not_", "or_", "pos", "pow",
    "rshift", "setitem", "delitem", "sub", "truediv", "truth", "xor", "itemgetter",
    "attrgetter", "methodcaller",
})
BISECT = frozenset({"bisect", "bisect_left", "bisect_right", "insort", "insort_left",
                    "insort_right"})
HEAPQ = frozenset({"heappush", "heappop", "heapify", "heappushpop", "heapreplace",
                   "nlargest", "nsmallest", "merge"})
COLLECTIONS = frozenset({"deque", "defaultdict", "Counter", "OrderedDict", "namedtuple"})
#: The abstract classes of ``collections.abc``, for ``isinstance``/``issubclass``
#: only (they cannot be called, subclassed or registered with).
COLLECTIONS_ABC = frozenset({
    "Container", "Hashable", "Iterable", "Iterator", "Reversible", "Generator", "Sized",
    "Callable", "Collection", "Sequence", "MutableSequence", "Set", "MutableSet", "Mapping",
    "MutableMapping", "MappingView", "KeysView", "ItemsView", "ValuesView",
})
JSON = frozenset({"dumps", "loads", "JSONDecodeError"})
STRING = frozenset({"ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits",
                    "hexdigits", "octdigits", "punctuation", "printable", "whitespace",
                    "capwords"})
STATISTICS = frozenset({"mean", "fmean", "geometric_mean", "harmonic_mean", "median",
                        "median_low", "median_high", "median_grouped", "mode", "multimode",
                        "quantiles", "pstdev", "pvariance", "stdev", "variance"})
COPY = frozenset({"copy", "deepcopy"})
DATACLASSES = frozenset({"dataclass"})
IO = frozenset({"StringIO"})
SYS = frozenset({"stdout", "stderr", "maxsize"})

#: module name -> members, for the compiler's whitelist
MEMBERS: dict[str, frozenset[str]] = {
    "random": RANDOM, "itertools": ITERTOOLS, "functools": FUNCTOOLS, "operator": OPERATOR,
    "bisect": BISECT, "heapq": HEAPQ, "collections": COLLECTIONS,
    "collections.abc": COLLECTIONS_ABC, "json": JSON,
    "string": STRING, "statistics": STATISTICS, "copy": COPY, "dataclasses": DATACLASSES,
    "io": IO, "sys": SYS,
}

#: Methods of the values these modules return (deque, Counter, OrderedDict,
#: defaultdict, namedtuple, Random, StringIO, sys.stdout), callable after a dot.
VALUE_METHODS = frozenset({
    "appendleft", "popleft", "extendleft", "rotate", "maxlen", "most_common", "elements",
    "subtract", "total", "move_to_end", "default_factory",
    "write", "writelines", "getvalue", "read", "readline", "readlines", "seek", "tell",
    "truncate", "close", "closed", "flush", "cache_info", "cache_clear", "cache_parameters",
}) | RANDOM - {"Random"}
