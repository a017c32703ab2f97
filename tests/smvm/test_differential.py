"""Differential tests: every corpus brick runs in plain CPython (with stub
primitives simulating a line of nodes) and in the VM, whose every migration
serialises the whole SM and resumes it from bytes; the two runs must agree on
the result (value and type), the error (type and message), the final node and
the number of hops.
"""
from __future__ import annotations

import pytest

try:
    from . import _stubs
except ImportError:
    import _stubs

BRICKS = _stubs.load_corpus()
IDS = [b.name for b in BRICKS]


@pytest.fixture(scope="module")
def run_line():
    """The VM entry point; a missing or broken one fails the VM half loudly."""
    try:
        from sim.line import run_line
    except Exception as exc:  # ImportError, or a half-written package
        pytest.fail(f"sim.line.run_line is not importable: {type(exc).__name__}: {exc}")
    return run_line


def test_corpus_is_large_enough():
    assert len(BRICKS) >= 30
    controls = [b for b in BRICKS if "sys_migrate" not in b.source]
    assert len(controls) >= 3


@pytest.mark.parametrize("brick", BRICKS, ids=IDS)
def test_reference_run(brick):
    """The CPython half works now: the brick is inside the SM language and runs."""
    assert _stubs.check_subset(brick.source, brick.path.name) == []
    ref = _stubs.run_reference(brick.source, brick.args, nodes=brick.nodes,
                               filename=brick.path.name)
    if brick.name.startswith("err_"):
        assert ref.error_type is not None, "an err_ brick must end with an exception"
        assert ref.hops > 0
    else:
        assert ref.error_type is None, f"{ref.error_type}: {ref.error_message}"
    if "sys_migrate" in brick.source:
        assert ref.hops >= 2


@pytest.mark.parametrize("brick", BRICKS, ids=IDS)
def test_vm_matches_cpython(brick, run_line):
    ref = _stubs.run_reference(brick.source, brick.args, nodes=brick.nodes,
                               filename=brick.path.name)
    res = run_line(brick.source, list(brick.args), nodes=brick.nodes,
                   filename=brick.path.name)

    got_error = None if res.error is None else (res.error.type, res.error.message)
    want_error = None if ref.error_type is None else (ref.error_type, ref.error_message)
    assert got_error == want_error, (
        f"error differs: VM {got_error!r} (line {getattr(res.error, 'line', None)}), "
        f"CPython {want_error!r} (line {ref.error_line})")
    if ref.error_type is None:
        diff = _stubs.same_value(ref.result, res.result)
        assert diff is None, diff
    assert (res.node, res.hops) == (ref.node, ref.hops), "final node / hop count differ"
    if ref.hops:
        assert res.bytes > 0, "migrations happened, so bytes were carried"
    if ref.error_type is not None and res.error.line is not None:
        # where the exception was raised (or raised again), as CPython's traceback says
        assert res.error.line in ref.error_lines, (
            f"error line {res.error.line} is not one of {ref.error_lines}")


# Where the VM deliberately differs from CPython: a migration requested from a
# function that builtin C code called (a key= function, a function given to
# map() and consumed by list() or next()) cannot capture the C frame in between,
# so sys_migrate raises MigrationError there and the SM stays where it is.
C_CALLBACKS = {
    "list_map_lambda": "list(map(lambda v: hop(), [1]))",
    "next_map_def": "next(map(step, [1]))",
    "sorted_key": "sorted([2, 1], key=lambda v: hop())",
    "max_key": "max([2, 1], key=step)",
    "filter_lambda": "list(filter(lambda v: hop(), [1]))",
}


@pytest.mark.parametrize("expr", list(C_CALLBACKS.values()), ids=list(C_CALLBACKS))
def test_migration_from_builtin_callback_raises_migration_error(expr, run_line):
    source = (
        "def hop():\n    sys_migrate(str(1 - int(node_id())))\n    return node_id()\n\n"
        "def step(v):\n    return hop()\n\n"
        "def main():\n    hop()\n    try:\n        " + expr + "\n"
        "    except MigrationError:\n        return 'refused', node_id()\n"
        "    return 'moved', node_id()\n")
    res = run_line(source, [])
    assert res.error is None, (res.error.type, res.error.message)
    assert res.result == ("refused", "1")
    assert (res.node, res.hops) == ("1", 1)
