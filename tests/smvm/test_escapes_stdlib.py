"""Escape attempts through the standard modules: names C code would look up
for SM code, hooks into host machinery, inputs that make C code recurse or
loop, and forged states of the values the modules return. Each is
contained: it does not compile, or it ends the SM with a guest error, and
the canary stays untouched."""
from __future__ import annotations

import msgpack
import pytest

from smvm import statecodec
from smvm.errors import StateDecodeError

from .test_escapes import PAYLOAD, Case, attempt, canary, vm  # noqa: F401 - fixtures

CASES = [
    Case("attrgetter_class", PAYLOAD + '''
import operator

def main(path, env, mod):
    cls = operator.attrgetter("__class__")(())  # route
    for c in operator.attrgetter("__base__.__subclasses__")(cls)():
        pass
'''),
    Case("attrgetter_private_of_host_type", '''
import operator
from collections import deque

def main(path, env, mod):
    return operator.attrgetter("_real")(deque)
'''),
    Case("methodcaller_reduce", '''
import operator

def main(path, env, mod):
    return operator.methodcaller("__reduce_ex__", 2)([])
'''),
    Case("reduce_with_getattr_walks_to_globals", '''
from functools import reduce

def f():
    pass

def main(path, env, mod):
    return reduce(getattr, ["__globals__", "sys"], f)
'''),
    Case("json_dumps_default_hook", '''
import json

def main(path, env, mod):
    return json.dumps(object(), default=lambda o: o.__class__)
'''),  # __class__ of a host object: AttributeError
    Case("json_dumps_default_hook_runtime", '''
import json

def main(path, env, mod):
    return json.dumps(object(), default=repr)
'''),
    Case("json_loads_object_hook", '''
import json

def main(path, env, mod):
    return json.loads("{}", object_hook=repr)
'''),
    Case("json_loads_deep_text", '''
import json

def main(path, env, mod):
    return json.loads("[" * 100000 + "]" * 100000)
'''),
    Case("deeply_chained_iterators", '''
import itertools

def main(path, env, mod):
    it = iter([1])
    for i in range(100000):
        it = itertools.chain(it)
    return next(it)
'''),
    Case("deeply_nested_islice_and_map", '''
import itertools

def main(path, env, mod):
    it = iter([1])
    for i in range(50000):
        it = itertools.islice(map(abs, it), 5)
    return next(it)
'''),
    Case("product_of_huge_pool_runs_out_of_fuel", '''
import itertools

def main(path, env, mod):
    return next(itertools.product(range(10 ** 9)))
'''),
    Case("islice_skipping_for_ever", '''
import itertools

def main(path, env, mod):
    return next(itertools.islice(itertools.count(), 10 ** 15, None))
'''),
    Case("getrandbits_huge", '''
import random

def main(path, env, mod):
    return random.getrandbits(10 ** 10)
'''),
    Case("heap_item_migrates_from_c", '''
import heapq

class Bad:
    def __lt__(self, other):
        sys_migrate("1")
        return True

def main(path, env, mod):
    heap = [Bad(), Bad()]
    heapq.heapify(heap)
    heapq.heappush(heap, Bad())
'''),
    Case("namedtuple_dunder_field", '''
from collections import namedtuple

def main(path, env, mod):
    return namedtuple("X", ["__class__"])
'''),
    Case("namedtuple_module_keyword", '''
from collections import namedtuple

def main(path, env, mod):
    return namedtuple("X", "a", module="os")
'''),
    Case("namedtuple_class_internals", '''
from collections import namedtuple

P = namedtuple("P", "x")

def main(path, env, mod):
    return getattr(getattr(P, "_make"), "__self__")
'''),
    Case("random_class_internals", '''
import random

def main(path, env, mod):
    return getattr(random.Random, "_make")
'''),
    Case("defaultdict_factory_is_type", '''
from collections import defaultdict

def main(path, env, mod):
    return defaultdict(type)["x"]
''', expect="compile"),
    Case("string_formatter", '''
from string import Formatter

def main(path, env, mod):
    return Formatter().format("{0.__class__}", 1)
''', expect="compile"),
    Case("dataclass_on_host_class", '''
from dataclasses import dataclass

def main(path, env, mod):
    return dataclass(list)
'''),
    Case("deepcopy_of_module", '''
import copy
import math

def main(path, env, mod):
    m = copy.deepcopy(math)
    return m.pi.__class__
'''),  # __class__ of a host object: AttributeError
    Case("statistics_huge_range", '''
import statistics

def main(path, env, mod):
    return statistics.mean(range(10 ** 12))
'''),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stdlib_escape_is_contained(vm, case, canary):  # noqa: F811
    err, res = attempt(vm, case, canary)
    if case.expect == "compile":
        assert err is not None, f"expected CompileError, got {res!r}"
    else:
        assert err is None, err
        assert res.error is not None, f"not blocked: {res.result!r}"


# ---- forged states ----------------------------------------------------------------

def _host(kind, header, fields) -> bytes:
    return msgpack.packb([msgpack.ExtType(statecodec.HOST, b""), kind, header, fields])


def _good_random_fields():
    import random
    _, words, gauss = random.Random(1).getstate()
    return [list(words), gauss]


@pytest.mark.parametrize("tamper", ["short", "big_word", "index", "zeros", "gauss", "shape"])
def test_forged_random_state_is_refused(tamper):
    words, gauss = _good_random_fields()
    fields = [words, gauss]
    if tamper == "short":
        fields = [words[:-5], gauss]
    elif tamper == "big_word":
        fields = [[1 << 40] + words[1:], gauss]
    elif tamper == "index":
        fields = [words[:-1] + [10 ** 6], gauss]
    elif tamper == "zeros":
        fields = [[0] * 624 + [624], gauss]
    elif tamper == "gauss":
        fields = [words, "x"]
    elif tamper == "shape":
        fields = {"words": words}
    with pytest.raises(StateDecodeError):
        statecodec.loads(_host("random", None, fields))


def test_a_genuine_random_state_round_trips():
    words, gauss = _good_random_fields()
    r = statecodec.loads(_host("random", None, [words, gauss]))
    import random
    assert r.random() == random.Random(1).random()


@pytest.mark.parametrize(("kind", "header", "fields"), [
    ("deque", -1, []), ("deque", 1, [1, 2]), ("deque", "x", []),
    ("namedtuple", "nt:P", [1]), ("namedtuple", "builtin:len", [1]),
    ("defaultdict", 5, []), ("Counter", None, [[1]]), ("OrderedDict", None, 7),
    ("chain", "x", [[], None]), ("no_such_kind", None, []), ("product", None, {"a": 1}),
    ("count", None, [["a", []], None]),
])
def test_forged_collections_and_iterators_are_refused(kind, header, fields):
    with pytest.raises(StateDecodeError):
        statecodec.loads(_host(kind, header, fields), functions={"builtin:len": len})


def test_forged_continuation_with_a_non_generator_as_random_ends_cleanly():
    from sim.line import run_line
    from smvm import compile_brick
    from smvm.vm import SMInstance
    from sim.line import LineWorld
    source = '''
import random

def main():
    x = random.random()
    sys_migrate("1")
    return x
'''
    brick = compile_brick(source, "r.py")
    host = LineWorld(2, 10 ** 7, 256).nodes[0]
    out = SMInstance(brick, host).start("main", [])
    state = msgpack.unpackb(out.state, strict_map_key=False)
    assert "random" in state  # the generator travels
    state["random"] = [1, 2, 3]
    forged = msgpack.packb(state)
    ended = SMInstance(brick, LineWorld(2, 10 ** 7, 256).nodes[1]).resume(forged)
    assert type(ended).__name__ == "Failed"
    assert ended.error.type == "ContinuationError"
    # the node still serves: a genuine state resumes there
    res = run_line(source, [])
    assert res.error is None and type(res.result) is float
