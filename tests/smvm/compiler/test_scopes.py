"""One scope analysis for the validator, the name resolution and the capture
transform: the names a migrating function's frame carries are exactly its
locals by Python's rules (the corpus bricks ``scope_*`` run them against
CPython across migrations)."""
from __future__ import annotations

from sim.line import run_line
from smvm import compile_brick
from smvm.compiler import check_source


def carried(source: str, function: str = "main") -> set[str]:
    """The user-visible locals a frame of ``function`` carries when it migrates."""
    brick = compile_brick(source, "b.py")
    info = next(i for fid, i in brick.functions.items() if fid.startswith(function + ":"))
    assert info.resumable
    return {name for name in info.local_names if not name.startswith("_")}


def test_a_walrus_in_a_generator_expression_binds_a_local_of_the_function() -> None:
    source = ("def main(xs):\n    found = any((hit := x) > 4 for x in xs)\n"
              "    sys_migrate('1')\n    return found, hit, node_id()\n")
    assert carried(source) == {"xs", "found", "hit"}  # x belongs to the generator
    result = run_line(source, [[1, 7, 2]], nodes=2)
    assert result.error is None, result.error
    assert result.result == (True, 7, "1")


def test_a_walrus_in_a_default_value_binds_in_the_enclosing_function() -> None:
    source = ("def main():\n    def inner(a=(seed := 7)):\n        return a\n"
              "    f = lambda b=(other := 3): b\n    sys_migrate('1')\n"
              "    return seed, other, inner(), f()\n")
    assert carried(source) == {"inner", "seed", "f", "other"}
    assert run_line(source, [], nodes=2).result == (7, 3, 7, 3)


def test_a_loop_variable_does_not_hide_a_parameter_of_the_same_name() -> None:
    source = ("def main(x):\n    ys = [x for x in range(3)]\n    sys_migrate('1')\n"
              "    return x, ys\n")
    assert carried(source) == {"x", "ys"}
    assert run_line(source, [5], nodes=2).result == (5, [0, 1, 2])


def test_global_names_stay_module_data() -> None:
    source = ("count = 0\ndef main():\n    global count\n"
              "    marks = [(count := count + 1) for v in range(3)]\n    sys_migrate('1')\n"
              "    return count, marks\n")
    assert carried(source) == {"marks"}
    assert run_line(source, [], nodes=2).result == (3, [1, 2, 3])


def test_a_loop_variable_at_module_level_rebinds_nothing() -> None:
    """The comprehension's variable is its own: naming it like a primitive
    leaves the primitive alone (refused as a rebinding before)."""
    source = "squares = [log * log for log in range(3)]\ndef main():\n    log('hi')\n    return squares\n"
    assert check_source(source, "b.py") == []
    result = run_line(source, [], nodes=1)
    assert (result.error, result.result) == (None, [0, 1, 4])
    assert check_source("log = 1\n", "b.py")  # a real rebinding still is refused
