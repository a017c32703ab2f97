"""The compiler's reading of ``{S: P[i]}``: spatial references where the
notation puts them, ordinary dicts everywhere else, errors with their lines."""
from __future__ import annotations

import pytest

from smvm.compiler import check_source, desugar
from smvm.errors import CompileError


@pytest.mark.parametrize("code, expected", [
    ("t = {Hill: Hot[i]}.temp", "t = sread(sref(Hill, 'Hot', i), 'temp')"),
    ("t = {Hill: Hot}.temp", "t = sread(sref(Hill, 'Hot', 0), 'temp')"),
    ("t = {Hill: Hot[i, 10.0]}.temp", "t = sread(sref(Hill, 'Hot', i, 10.0), 'temp')"),
    ("{Hill: Hot[i]}.water = True", "swrite(sref(Hill, 'Hot', i), 'water', True)"),
    ("{Hill: Hot[i]}.count += 2", "supdate(sref(Hill, 'Hot', i), 'count', '+', 2)"),
    ("del {Hill: Hot[i]}.mark", "sdelete(sref(Hill, 'Hot', i), 'mark')"),
    ("t = {A: {B: Hot[1]}}.temp", "t = sread(scast(A, sref(B, 'Hot', 1)), 'temp')"),
    ("s = range_of({Hill: Hot[0]}, 50.0)", "s = range_of(sref(Hill, 'Hot', 0), 50.0)"),
    ("x = {range_of({H: Hot[0]}, 5.0): Camera[0]}.snap",
     "x = sread(sref(range_of(sref(H, 'Hot', 0), 5.0), 'Camera', 0), 'snap')"),
    ("t = {(L + R): Hot[i]}.temp", "t = sread(sref(L + R, 'Hot', i), 'temp')"),
    ("f({H: Hot[{K: Idx}.n]}.temp)",
     "f(sread(sref(H, 'Hot', sread(sref(K, 'Idx', 0), 'n')), 'temp'))"),
])
def test_the_notation_becomes_calls_of_the_spatial_library(code, expected) -> None:
    out = desugar(f"def main(Hill, A, B, H, K, L, R, i, f):\n    {code}\n")
    assert expected in out
    assert out.startswith("from spatial.sp import ")


@pytest.mark.parametrize("code", [
    "d = {key: values[0]}",
    "d = {key: {inner: values[0]}}",
    "items = {key: values}.items()",
    "v = {key: values[0]}.get(key)",
    "d = {a: b, c: e}",
    "d = {**base}",
    "s = range_of(r, 5.0)",
])
def test_ordinary_dict_displays_keep_their_meaning(code) -> None:
    source = f"def main(key, values, inner, a, b, c, e, base, r, range_of):\n    {code}\n"
    out = desugar(source)
    assert "sref" not in out and "spatial.sp" not in out
    assert code.replace("{**base}", "{**base}") in out


def test_an_ordinary_dict_program_still_runs_the_same() -> None:
    from sim.line import run_line
    source = ("def main():\n"
              "    key, values = 'k', [3, 4]\n"
              "    d = {key: values[0]}\n"
              "    return [d, {key: values}.get(key), sorted({1: 2}.items())]\n")
    assert run_line(source, []).result == [{"k": 3}, [3, 4], [(1, 2)]]


@pytest.mark.parametrize("code, line, message", [
    ("t = {Hill: Hot[1, 2, 3]}.temp", 3, "P[index] or P[index, timeout]"),
    ("t = {Hill: f(x)}.temp", 3, "must be a bare name"),
    ("a, {Hill: Hot}.x = 1, 2", 3, "only target of its assignment"),
    ("for {Hill: Hot}.x in []:\n        pass", 3, "loop variable"),
    ("{Hill: Hot}.x @= m", 3, "cannot update a tag"),
])
def test_misuse_is_reported_with_file_and_line(code, line, message) -> None:
    source = f"def main(Hill, f, x, m):\n    y = 1\n    {code}\n"
    errors = check_source(source, "prog.py")
    assert errors and str(errors[0]).startswith(f"prog.py:{line}: ")
    assert message in str(errors[0])


def test_every_access_is_a_migration_point() -> None:
    from smvm.compiler import compile_brick, load_brick
    from pathlib import Path
    brick = compile_brick(load_brick(Path(__file__).parent / "data" / "hottest.py"), "hottest.py")
    info = next(f for fid, f in brick.functions.items() if fid.startswith("main:"))
    assert info.resumable and info.points >= 2


def test_without_the_library_the_notation_is_a_clear_error() -> None:
    with pytest.raises(CompileError, match="spatial.sp"):
        from smvm.compiler import compile_brick
        compile_brick("def main(S):\n    return {S: Hot}.temp\n", "lone.py")
