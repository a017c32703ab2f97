"""Bricks that use other bricks: finding, packing, compiling, running and
migrating a linked unit, and the code domain of each brick in it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sim.testing import WiredNet
from smvm.compiler import compile_brick, load_brick
from smvm.compiler._link import LINK_HEADER, pack, unpack
from smvm.errors import CompileError

HELPERS = '''\
STEPS = 2

def walk_right(n):
    trail = []
    for i in range(n):
        sys_migrate([x for x in read_tag("neighbors") if x > node_id()][0])
        trail.append(node_id())
    return trail

def twice(x):
    return 2 * x
'''

MAIN = '''\
from helpers import walk_right, twice as double, STEPS

def main():
    trail = walk_right(STEPS)
    return [double(len(trail)), trail, node_id()]
'''


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def first_error(exc: pytest.ExceptionInfo) -> str:
    err = exc.value.errors[0]
    return f"{Path(err.filename).name}:{err.line}: {err.message}"


def test_a_brick_without_imports_loads_as_itself(tmp_path: Path) -> None:
    write(tmp_path, {"solo.py": "def main():\n    return 1\n"})
    assert load_brick(tmp_path / "solo.py") == "def main():\n    return 1\n"


def test_a_linked_unit_runs_and_migrates_inside_the_imported_brick(tmp_path: Path) -> None:
    write(tmp_path, {"helpers.py": HELPERS, "main.py": MAIN})
    unit = load_brick(tmp_path / "main.py")
    assert unit.startswith(LINK_HEADER)
    assert [name for name, _ in unpack(unit, "x")] == ["helpers", "main.py"]
    brick = compile_brick(unit, "main.py")
    assert set(brick.parts) == {"helpers", "main.py"} and len(brick.code_ids) == 2
    assert any(fid.startswith("helpers/walk_right:") for fid in brick.functions)
    # the unit travels between node cores as its packed source: the receivers
    # compile what they were sent, with no files
    net = WiredNet(["1", "2", "3"])
    net.inject("1", unit, [])
    net.run()
    done = net.of("SMFinished")
    # where it ended, and again at its origin when the result came back
    assert [e.value for e in done] == [[4, ["2", "3"], "3"]] * 2


def test_imported_migrating_functions_make_their_callers_resumable(tmp_path: Path) -> None:
    write(tmp_path, {"helpers.py": HELPERS, "main.py": MAIN})
    brick = compile_brick(load_brick(tmp_path / "main.py"), "main.py")
    assert brick.functions["main:3"].resumable
    assert not brick.functions["helpers/twice:10"].resumable


def test_names_not_imported_are_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"helpers.py": HELPERS,
                     "main.py": "from helpers import twice\n\ndef main():\n    return STEPS\n"})
    with pytest.raises(CompileError) as exc:
        compile_brick(load_brick(tmp_path / "main.py"), "main.py")
    assert first_error(exc) == "main.py:4: unknown name 'STEPS' (not defined in the brick and not an SM builtin)"


def test_a_name_defined_by_two_bricks_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"helpers.py": HELPERS,
                     "main.py": "from helpers import twice\n\ndef walk_right():\n    return 0\n"})
    with pytest.raises(CompileError) as exc:
        compile_brick(load_brick(tmp_path / "main.py"), "main.py")
    assert first_error(exc) == ("main.py:3: 'walk_right' is already defined by brick 'helpers' "
                                "(linked bricks share one namespace)")


def test_importing_a_name_the_brick_lacks_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"helpers.py": HELPERS, "main.py": "from helpers import thrice\n"})
    with pytest.raises(CompileError) as exc:
        compile_brick(load_brick(tmp_path / "main.py"), "main.py")
    assert first_error(exc) == "main.py:1: brick 'helpers' defines no 'thrice'"


def test_missing_and_cyclic_bricks_are_reported_with_their_line(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "\nfrom nowhere import f\n"})
    with pytest.raises(CompileError) as exc:
        load_brick(tmp_path / "main.py")
    assert first_error(exc).startswith("main.py:2: cannot find brick 'nowhere'")
    write(tmp_path, {"a.py": "from b import g\n\ndef f():\n    return 1\n",
                     "b.py": "from a import f\n\ndef g():\n    return 2\n",
                     "top.py": "from a import f\n"})
    with pytest.raises(CompileError) as exc:
        load_brick(tmp_path / "top.py")
    assert "bricks import each other in a cycle: a -> b -> a" in first_error(exc)


def test_a_brick_with_imports_compiled_alone_says_how_to_link_it() -> None:
    with pytest.raises(CompileError) as exc:
        compile_brick("from helpers import twice\n", "main.py")
    assert "nor a brick linked in (bricks are linked when the SM is started from its file)" \
        in exc.value.errors[0].message and exc.value.errors[0].line == 1


def test_package_bricks_resolve_through_the_installed_package(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pkgbricks/__init__.py": "",
                     "pkgbricks/bricks/tools.py": "def tool_id():\n    return node_id()\n",
                     "app/main.py": "from pkgbricks.tools import tool_id\n\ndef main():\n"
                                    "    return tool_id()\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    unit = load_brick(tmp_path / "app" / "main.py")
    assert [name for name, _ in unpack(unit, "x")] == ["pkgbricks.tools", "main.py"]
    assert "pkgbricks" not in sys.modules  # located, never imported
    net = WiredNet(["n"])
    net.inject("n", unit, [])
    net.run()
    assert [e.value for e in net.of("SMFinished")] == ["n"]


@pytest.mark.parametrize("mangle, why", [
    (lambda parts: parts[:1], "needs 2 to 32 parts"),
    (lambda parts: [parts[0], parts[0], parts[1]], "appears twice"),
    (lambda parts: [["../etc", parts[0][1]], parts[1]], "invalid brick name"),
    (lambda parts: [[1, "x"], parts[1]], "is not [name, source]"),
])
def test_malformed_units_are_refused(tmp_path: Path, mangle, why: str) -> None:
    write(tmp_path, {"helpers.py": HELPERS, "main.py": MAIN})
    parts = json.loads(load_brick(tmp_path / "main.py")[len(LINK_HEADER):])
    bad = LINK_HEADER + json.dumps(mangle(parts), separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(CompileError) as exc:
        compile_brick(bad, "remote")
    assert why in exc.value.errors[0].message


def test_units_must_be_canonical_and_json() -> None:
    unit = pack([("a", "X = 1\n"), ("main.py", "from a import X\n")])
    compile_brick(unit, "u")
    with pytest.raises(CompileError, match="canonical"):
        compile_brick(unit.replace(",", ", "), "u")
    with pytest.raises(CompileError, match="not JSON"):
        compile_brick(LINK_HEADER + "[[", "u")


ROUTES = '''\
@own_domain
def route_put(value):
    create_tag("route", value, 60, {"code": "rw"}, "routes")

@own_domain
def route_get():
    return read_tag("route")
'''


def test_each_brick_of_a_unit_acts_in_its_own_code_domain(tmp_path: Path) -> None:
    """Route tags made in a routing brick's code domain are shared by that
    brick in every SM carrying it (through the functions it marks
    ``@own_domain``), and closed to every other code, even the code of the
    same SM that carries it."""
    write(tmp_path, {
        "routes.py": ROUTES,
        "writer.py": "from routes import route_put\n\ndef main():\n    route_put(7)\n    return 1\n",
        "reader.py": "from routes import route_get\n\ndef main():\n    return route_get()\n",
        "peeker.py": "from routes import route_get\n\ndef main():\n"
                     "    try:\n        return read_tag('route')\n"
                     "    except TagAccessError:\n        return 'refused'\n",
        "stranger.py": "def main():\n    try:\n        return read_tag('route')\n"
                       "    except TagAccessError:\n        return 'refused'\n",
    })
    net = WiredNet(["n"])
    for name in ("writer", "reader", "peeker", "stranger"):
        net.inject("n", load_brick(tmp_path / f"{name}.py"), [])
        net.run()
    assert [e.value for e in net.of("SMFinished")] == [1, 7, "refused", "refused"]


def test_linked_parts_travel_without_comments_and_docstrings_on_the_same_lines(tmp_path: Path) -> None:
    write(tmp_path, {
        "helpers.py": '"""Module doc."""\n# a comment\nX = 1  # trailing\n\n\ndef f():\n'
                      '    """Doc\n    on two lines."""\n    return "# not a comment"\n',
        "main.py": "from helpers import f\n\ndef main():\n    return [f(), 1 / 0]\n"})
    parts = dict(unpack(load_brick(tmp_path / "main.py"), "x"))
    assert parts["helpers"] == '""\n\nX = 1\n\n\ndef f():\n    ""\n\n    return "# not a comment"\n'
    net = WiredNet(["n"])
    net.inject("n", load_brick(tmp_path / "main.py"), [])
    net.run()
    [failed] = net.of("SMFailed")
    assert failed.error["type"] == "ZeroDivisionError" and failed.error["line"] == 4


def test_mutated_units_only_ever_raise_compile_errors(tmp_path: Path) -> None:
    """A unit arriving from the network is remote input: every mutation either
    compiles or is refused with a CompileError, never anything else."""
    import random
    write(tmp_path, {"helpers.py": HELPERS, "main.py": MAIN})
    unit = load_brick(tmp_path / "main.py")
    rng = random.Random(5)
    alphabet = '[]",\\{}:#\n ' + "abcxyz019"
    compiled = refused = 0
    for _ in range(1500):
        text = list(unit)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            choice = rng.random()
            if choice < 0.4:
                text[at] = rng.choice(alphabet)
            elif choice < 0.7:
                del text[at]
            else:
                text.insert(at, rng.choice(alphabet))
        try:
            compile_brick("".join(text), "remote")
            compiled += 1
        except CompileError:
            refused += 1
    assert refused > 0 and compiled + refused == 1500  # nothing else escaped the loop
