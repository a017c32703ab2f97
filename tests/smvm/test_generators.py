"""Generators where they cannot migrate: accepted when the compiler rules out
a migration point inside them, refused (with the line) when it cannot; a
live generator in the state at a migration ends the SM with a
MigrationError naming the variable; a migration tried from inside one at
run time is a MigrationError the SM can catch."""
from __future__ import annotations

import pytest

from sim.line import run_line
from smvm import CompileError, compile_brick

from .test_escapes import Case, attempt, canary, vm  # noqa: F401 - fixtures


def test_a_generator_that_reaches_a_migration_point_is_refused_with_its_line():
    source = '''
def hop():
    sys_migrate("1")

def steps(n):
    for i in range(n):
        yield i
        hop()

def main():
    return list(steps(3))
'''
    with pytest.raises(CompileError) as err:
        compile_brick(source, "g.py")
    [error] = err.value.errors
    assert error.line == 8 and "generator 'steps' may reach a migration point" in error.message


@pytest.mark.parametrize("body", [
    "    yield f()",                       # a function value: it may migrate
    "    yield sys_migrate('1')",
    "    yield from (block_tag('t', 1) for _ in range(1))\n    yield block_tag('t', 1)",
])
def test_generators_that_may_migrate_do_not_compile(body):
    with pytest.raises(CompileError):
        compile_brick(f"def gen(f):\n{body}\n\ndef main():\n    return list(gen(len))\n", "g.py")


def test_calling_a_generator_function_does_not_make_the_caller_migrate():
    source = '''
def gen(n):
    yield from range(n)

def main(n):
    g = gen(n)
    first = next(g)
    rest = list(g)
    sys_migrate("1")
    return first, rest
'''
    res = run_line(source, [4])
    assert res.error is None, res.error
    assert res.result == (0, [1, 2, 3]) and res.hops == 1  # a finished generator travels


def test_a_live_generator_in_the_state_is_a_migration_error_naming_the_variable():
    source = '''
def gen():
    yield 1
    yield 2

def main():
    pending = gen()
    next(pending)
    sys_migrate("1")
    return next(pending)
'''
    res = run_line(source, [])
    assert res.error is not None and res.error.type == "MigrationError"
    assert "'pending'" in res.error.message and "generator" in res.error.message


def test_a_migration_tried_inside_a_generator_at_run_time_can_be_caught():
    source = '''
class Box:
    pass

def hop():
    sys_migrate("1")
    return "moved"

def gen(box):
    yield box.step()

def main():
    box = Box()
    box.step = hop
    try:
        return next(gen(box))
    except MigrationError:
        return "refused", node_id()
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    assert res.result == ("refused", "0") and res.hops == 0


def test_an_endless_generator_runs_out_of_fuel():
    source = "def forever():\n    while True:\n        yield 1\n\n" \
             "def main():\n    return list(forever())\n"
    res = run_line(source, [], fuel=200_000)
    assert res.error is not None and res.error.type in ("FuelExhausted", "MemoryExhausted")


def test_a_bare_except_in_a_generator_does_not_catch_its_closing():
    source = '''
def gen(log):
    try:
        yield 1
    except:
        log.append("caught")
        yield 2
    finally:
        log.append("finally")

def main():
    log = []
    g = gen(log)
    next(g)
    g.close()
    return log
'''
    res = run_line(source, [])
    assert res.error is None, res.error
    assert res.result == ["finally"]  # GeneratorExit is not the SM's to catch


CASES = [
    Case("generator_frame_attribute", '''
def gen():
    yield 1

def main(path, env, mod):
    return gen().gi_frame.f_globals
''', expect="compile"),
    Case("generator_frame_by_getattr", '''
def gen():
    yield 1

def main(path, env, mod):
    g = gen()
    return getattr(getattr(g, "gi_frame"), "f_back")
'''),
    Case("generator_code_by_getattr", '''
def gen():
    yield 1

def main(path, env, mod):
    return getattr(gen(), "gi_code")
'''),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_generator_escape_is_contained(vm, case, canary):  # noqa: F811
    err, res = attempt(vm, case, canary)
    if case.expect == "compile":
        assert err is not None, f"expected CompileError, got {res!r}"
    else:
        assert err is None, err
        assert res.error is not None, f"not blocked: {res.result!r}"
