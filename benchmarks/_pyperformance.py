"""Programs of the pyperformance suite (the package installed, read as it
ships), with their timing harness replaced by ``main(n)``: the ``pyperf``
import, the functions that time a loop with it and the ``__main__`` block go;
a ``main(n)`` doing what one timed call did comes in their place. Nothing
else of a program is changed."""
from __future__ import annotations

import ast
import os

#: program -> (harness appended as main(n), n for the measurement)
HARNESS: dict[str, tuple[str, int]] = {
    "richards": ("def main(n):\n    return Richards().run(n)\n", 2),
    "richards_super": ("def main(n):\n    return Richards().run(n)\n", 2),
    "fannkuch": ("def main(n):\n    return fannkuch(n)\n", 8),
    "nbody": ("def main(n):\n    offset_momentum(BODIES[DEFAULT_REFERENCE])\n"
              "    report_energy()\n    advance(0.01, n)\n    return report_energy()\n", 5_000),
    "spectral_norm": ("def main(n):\n    u = [1] * n\n    for dummy in range(10):\n"
                      "        v = eval_AtA_times_u(u)\n        u = eval_AtA_times_u(v)\n"
                      "    vBv = vv = 0\n    for ue, ve in zip(u, v):\n"
                      "        vBv += ue * ve\n        vv += ve * ve\n    return vBv, vv\n", 60),
    "float": ("def main(n):\n    p = benchmark(n)\n    return p.x, p.y, p.z\n", 30_000),
    "nqueens": ("def main(n):\n    return len(list(n_queens(n)))\n", 7),
    "pidigits": ("def main(n):\n    return calc_ndigits(n)[-5:]\n", 600),
    "go": ("def main(n):\n    return [versus_cpu() for i in range(n)]\n", 1),
    "meteor_contest": (
        "def main(n):\n    board, cti, pieces = get_puzzle(WIDTH, HEIGHT)\n"
        "    fps = get_footprints(board, cti, pieces)\n    se_nh = get_senh(board, cti)\n"
        "    free = frozenset(range(len(board)))\n    curr_board = [-1] * len(board)\n"
        "    pieces_left = list(range(len(pieces)))\n    solutions = []\n"
        "    solve(n, 0, free, curr_board, pieces_left, solutions, fps, se_nh)\n"
        "    return len(solutions), solutions[:2]\n", 50),
    "hexiom": (
        "def main(n):\n    board, solution = LEVELS[n]\n    stream = io.StringIO()\n"
        "    solve_file(board.strip(), Done.FIRST_STRATEGY, DESCENDING, stream)\n"
        "    output = '\\n'.join(line.rstrip() for line in stream.getvalue().splitlines())\n"
        "    if output != solution.rstrip():\n"
        "        raise AssertionError('got a wrong answer:\\n%s' % output)\n"
        "    return output\n", 25),
    "generators": (
        "def main(n):\n    assert list(tree(range(10))) == list(range(10))\n"
        "    iterable = tree(range(100000))\n    count = 0\n    for _ in range(n):\n"
        "        for _ in iterable:\n            count += 1\n    return count\n", 1),
}

#: Programs the compiler still refuses unchanged, and why.
REFUSED: dict[str, str] = {
    "chaos": "calls type() (the host's type machinery stays out) and writes a file with open()",
    "raytrace": "imports array and writes a file (with open(...))",
    "deltablue": "derives a class from list (class OrderedCollection(list)); its obj.__class__ "
                 "reads are accepted",
    "deepcopy": "defines __reduce__/__setstate__ and reads __dict__; classes inside functions",
    "json_dumps": "calls globals() and sys.exit() (sys gives stdout, stderr and maxsize only)",
    "unpack_sequence": "its work is inside the timing loop itself (nothing to call without pyperf)",
    "coroutines": "async def",
    "mdp": "imports fractions; names starting with '_'",
}


def suite_version() -> str:
    import pyperformance
    return pyperformance.__version__


def program_source(name: str) -> str:
    """The program as the installed suite ships it, harness replaced."""
    import pyperformance
    path = os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks",
                        f"bm_{name}", "run_benchmark.py")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    tree = ast.parse(text)
    drop: set[int] = set()
    for stmt in tree.body:
        timing = (isinstance(stmt, ast.Import) and [a.name for a in stmt.names] == ["pyperf"]) \
            or (isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test)) \
            or (isinstance(stmt, ast.FunctionDef) and any(
                isinstance(n, ast.Name) and n.id == "pyperf" for n in ast.walk(stmt)))
        if timing:
            drop.update(range(stmt.lineno - 1, stmt.end_lineno))
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return kept + "\n\n\n" + HARNESS[name][0]
