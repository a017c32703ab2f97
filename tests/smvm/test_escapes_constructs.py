"""Escape attempts through ``with`` statements (hostile ``__enter__`` and
``__exit__``, host objects as managers, forged continuations resumed inside
a ``with`` block), ``print(file=...)`` and ``functools.lru_cache``. Each is
contained: it does not compile, or it ends the SM with a guest error, the
canary stays untouched and the node still runs an honest SM afterwards."""
from __future__ import annotations

import msgpack
import pytest

from .test_escapes import PAYLOAD, Case, attempt, canary, vm  # noqa: F401 - fixtures

CASES = [
    Case("with_on_a_module", '''
import math

def main(path, env, mod):
    with math as m:  # route
        return m
'''),
    Case("with_on_a_builtin_function", '''
def main(path, env, mod):
    with len as f:  # route
        return f
'''),
    Case("with_on_host_values", '''
import random
from collections import deque

def main(path, env, mod):
    for value in ([], {}, deque(), random.Random(1), iter([]), range(3)):
        try:
            with value:
                return "entered"
        except TypeError:
            pass
    raise TypeError("all refused")
'''),
    Case("exit_walks_the_traceback", PAYLOAD + '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        frame = tb.tb_frame  # route
        return True

def main(path, env, mod):
    with M():
        raise ValueError()
''', expect="compile"),
    Case("exit_gets_no_traceback", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        if tb is not None:
            return False
        raise ValueError("no traceback: " + repr(tb))

def main(path, env, mod):
    with M():
        raise KeyError("x")
'''),
    Case("exit_reads_exception_traceback", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        return exc.__traceback__  # route
''', expect="compile"),
    Case("enter_set_on_an_instance", '''
class M:
    pass

def main(path, env, mod):
    m = M()
    setattr(m, "__enter__", lambda: 1)  # route
    with m:
        pass
'''),
    Case("enter_set_on_a_class", '''
class M:
    pass

def main(path, env, mod):
    M.__enter__ = lambda self: 1  # route
''', expect="compile"),
    Case("exit_loops_for_ever", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        while True:
            pass

def main(path, env, mod):
    with M():
        return 1
'''),
    Case("exit_swallows_guest_uncatchable", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        return True

def grow(n):
    return grow(n + 1)

def main(path, env, mod):
    with M():
        grow(0)
    return "recursion limit swallowed"
'''),
    Case("exit_swallows_memory_error", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        return True

def main(path, env, mod):
    with M():
        x = [0] * (10 ** 10)
    return "memory error swallowed"
'''),
    Case("exit_raises_generator_exit_it_was_given", '''
class M:
    def __enter__(self):
        return self
    def __exit__(self, kind, exc, tb):
        if kind is not None:
            M.saved = exc
        return False

def gen():
    with M():
        yield 1

def main(path, env, mod):
    g = gen()
    next(g)
    g.close()
    try:
        raise M.saved
    except Exception:
        return "caught GeneratorExit"
'''),
    Case("print_to_a_number", '''
def main(path, env, mod):
    print("x", file=5)
'''),
    Case("print_to_a_module", '''
import math

def main(path, env, mod):
    print("x", file=math)
'''),
    Case("print_to_a_list_append", '''
def main(path, env, mod):
    items = []
    print("x", file=items)
'''),
    Case("print_to_open_file", PAYLOAD + '''
def main(path, env, mod):
    print("x", file=open(path, "w"))  # route
''', expect="compile"),
    Case("sys_modules_through_the_sm_sys", PAYLOAD + '''
import sys

def main(path, env, mod):
    return payload(sys.modules, path, env, mod)
'''),
    Case("stdout_write_of_a_non_string", '''
import sys

def main(path, env, mod):
    sys.stdout.write(b"bytes")
'''),
    Case("stringio_unbound_write_on_stdout", '''
import io
import sys

def main(path, env, mod):
    io.StringIO.write(sys.stdout, "x")
'''),
    Case("stringio_pads_a_huge_seek", '''
import io

def main(path, env, mod):
    f = io.StringIO()
    f.seek(10 ** 12)
    f.write("x")
'''),
    Case("stringio_grows_for_ever", '''
import io

def main(path, env, mod):
    f = io.StringIO()
    chunk = "x" * 1000
    while True:
        f.write(chunk)
'''),
    Case("print_to_a_sink_that_migrates", '''
class Sink:
    def write(self, text):
        sys_migrate("1")

def main(path, env, mod):
    print("x", file=Sink())
'''),
    Case("print_to_a_sink_that_loops", '''
class Sink:
    def write(self, text):
        while True:
            pass

def main(path, env, mod):
    print("x", file=Sink())
'''),
    Case("cache_grows_for_ever", '''
from functools import cache

@cache
def ident(n):
    return n

def main(path, env, mod):
    n = 0
    while True:
        ident(n)
        n += 1
'''),
    Case("cache_key_hash_runs_guest_code_across_a_hop", '''
from functools import lru_cache

class K:
    def __hash__(self):
        return 1
    def __eq__(self, other):
        return True

@lru_cache
def f(k):
    return 1

def main(path, env, mod):
    f(K())
    sys_migrate("1")
    return f(K())
'''),
    Case("cache_wraps_a_host_callable", '''
from functools import lru_cache

def main(path, env, mod):
    g = lru_cache(getattr)
    return g(g, "__wrapped__")
'''),
    Case("cache_wrapped_attribute", '''
from functools import cache

@cache
def f(n):
    return n

def main(path, env, mod):
    return f.__wrapped__.__globals__  # route
''', expect="compile"),
    Case("cache_function_attribute", '''
from functools import cache

@cache
def f(n):
    return n

def main(path, env, mod):
    return getattr(f, "_function").__globals__  # route
''', expect="compile"),
    Case("cache_entries_read_by_getattr", '''
from functools import cache

@cache
def f(n):
    return n

def main(path, env, mod):
    f(1)
    return getattr(f, "_entries")
'''),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_construct_escape_is_contained(vm, case, canary):  # noqa: F811
    err, res = attempt(vm, case, canary)
    route = {n for n, text in enumerate(case.source.splitlines(), 1) if "# route" in text}
    if case.expect == "compile":
        assert err is not None, f"expected CompileError, got {res!r}"
        assert not route or {e.line for e in err.errors} & route
    else:
        assert err is None, err
        assert res.error is not None, f"not blocked: {res.result!r}"
        assert res.error.type not in ("VMBug", "ContinuationError"), res.error


def test_uncatchable_errors_pass_a_with_block_without_its_exit(vm, canary):  # noqa: F811
    for name, kind in [("exit_swallows_guest_uncatchable", "RecursionLimit"),
                       ("exit_swallows_memory_error", "MemoryExhausted"),
                       ("exit_loops_for_ever", "FuelExhausted")]:
        case = next(c for c in CASES if c.name == name)
        _, res = attempt(vm, case, canary)
        assert res.error.type == kind, (name, res.error)


_FORGE_BRICK = '''
class M:
    def __init__(self):
        self.log = []
    def __enter__(self):
        self.log.append("enter")
        return self
    def __exit__(self, kind, exc, tb):
        sys_migrate("1")
        self.log.append(("exit", kind is None))
        return True

def main():
    m = M()
    with m as v:
        raise ValueError("x")
    return m.log
'''


@pytest.mark.parametrize(("local", "forged"), [
    ("_wm1", 5),                      # the manager: a number
    ("_wm1", [1, 2]),                 # the manager: a list
    ("_wx1", "not an exception"),     # the exception re-raised to re-enter the handler
    ("_wx1", None),
    ("_wk1", "yes"),
])
def test_forged_continuation_inside_a_with_block_ends_cleanly(local, forged):
    from sim.line import LineWorld, run_line
    from smvm import compile_brick
    from smvm.vm import SMInstance

    brick = compile_brick(_FORGE_BRICK, "w.py")
    out = SMInstance(brick, LineWorld(2, 10 ** 7, 256).nodes[0]).start("main", [])
    state = msgpack.unpackb(out.state, strict_map_key=False)
    frame_locals = state["frames"][0][2]
    assert local in frame_locals, sorted(frame_locals)
    frame_locals[local] = forged
    ended = SMInstance(brick, LineWorld(2, 10 ** 7, 256).nodes[1]).resume(msgpack.packb(state))
    if type(ended).__name__ == "Failed":
        assert ended.error.type != "VMBug", ended.error
    # the node still serves: a genuine run of the same brick
    res = run_line(_FORGE_BRICK, [])
    assert res.error is None and res.result == ["enter", ("exit", False)] and res.node == "1"


def _stringio_state(fields) -> bytes:
    from smvm import statecodec
    return msgpack.packb([msgpack.ExtType(statecodec.HOST, b""), "StringIO", None, fields])


@pytest.mark.parametrize("fields", [
    ["abc", "\n", 4],             # position past the end
    ["abc", "\n", -1],
    ["abc", "\t", 0],             # not a newline mode
    [b"abc", "\n", 0],            # not text
    ["abc", "\n"],                # short
    {"value": "abc"},
    [None, None, 1],
])
def test_forged_stringio_state_is_refused(fields):
    from smvm import statecodec
    from smvm.errors import StateDecodeError
    with pytest.raises(StateDecodeError):
        statecodec.loads(_stringio_state(fields))


def test_a_genuine_stringio_state_round_trips():
    from smvm import statecodec
    f = statecodec.loads(_stringio_state(["ab\r\ncd", "\r\n", 2]))
    assert (f.getvalue(), f.tell(), f.read()) == ("ab\r\ncd", 2, "\r\ncd")
    closed = statecodec.loads(_stringio_state([None, None, 0]))
    assert closed.closed


def _cache_state(header, fields) -> bytes:
    from smvm import statecodec
    return msgpack.packb([msgpack.ExtType(statecodec.HOST, b""), "lru_cache", header, fields])


def _len_ref():
    from smvm import statecodec
    return msgpack.ExtType(statecodec.FUNCTION, b"builtin:len")


@pytest.mark.parametrize(("header", "fields"), [
    ([None, 2, False], [0, 0, []]),                      # not callable
    (["len", 2, False], [0, 0, []]),
    ([True, -1, False], [0, 0, []]),
    ([True, 2, "yes"], [0, 0, []]),
    ([True, 1, False], [0, 0, [[0, [1], 1], [0, [2], 2]]]),   # more entries than maxsize
    ([True, None, False], [-1, 0, []]),
    ([True, None, False], [0, 0, [[0, 1, 1]]]),          # key not a list
    ([True, None, False], [0, 0, [[2, [1], 1]]]),        # unknown entry form
    ([True, None, False], [0, 0, [[1, [1], [[5, 1]], [], 1]]]),  # keyword name not text
    ([True, None, False], [0, 0, [[True, [1], 1]]]),
])
def test_forged_cache_state_is_refused(header, fields):
    from smvm import statecodec
    from smvm.errors import StateDecodeError
    if header[0] is True:
        header = [_len_ref(), *header[1:]]
    with pytest.raises(StateDecodeError):
        statecodec.loads(_cache_state(header, fields), functions={"builtin:len": len})


def test_a_genuine_cache_state_round_trips():
    from smvm import statecodec
    f = statecodec.loads(_cache_state([_len_ref(), 2, False],
                                      [3, 4, [[0, ["ab"], 7], [1, ["a"], [["k", 1]], [], 9]]]),
                         functions={"builtin:len": len})
    assert f("ab") == 7 and f.cache_info() == (4, 4, 2, 2)
    assert f("abc") == 3 and f.cache_info().currsize == 2
    assert f("ab") == 7 and f.cache_info().hits == 5  # "a" with k=1 went, the oldest
