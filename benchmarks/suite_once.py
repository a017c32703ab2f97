"""One pyperformance program of ``vm_speed.py --suite``, run once in the VM or
in plain CPython, for counting instructions with callgrind: the program runs
once to warm up, then once more inside ``itertools.starmap``, the one C
function the count is switched on for (CPU-time figures on a shared machine
move by tens of per cent; counted instructions do not).

    valgrind --tool=callgrind --toggle-collect=starmap_next \\
        python benchmarks/suite_once.py PROGRAM vm|py

The VM side compiles the brick and CPython compiles the module once, outside
the count; each counted run starts a fresh SM (or executes the module body
in a fresh namespace) and calls ``main(n)``. No CPU-time limit is armed (the
count runs ~50x slower).
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]  # benchmarks/tagspace.py

from smvm import compile_brick  # noqa: E402
from sim.line import LineWorld  # noqa: E402
from smvm.vm import DEFAULT_FUEL, SMInstance  # noqa: E402


def _suite():
    spec = importlib.util.spec_from_file_location("_pyperformance",
                                                  os.path.join(_HERE, "_pyperformance.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    name, mode = sys.argv[1], sys.argv[2]
    suite = _suite()
    source, n = suite.program_source(name), suite.HARNESS[name][1]
    if mode == "vm":
        brick = compile_brick(source, name)
        host = LineWorld(2, DEFAULT_FUEL, 256).nodes[0]

        def once():
            return SMInstance(brick, host, fuel_limit=10**12, memory_mb=None,
                              cpu_seconds=None).start("main", [n])
    else:
        code = compile(source, name, "exec")

        def once():
            namespace: dict = {}
            exec(code, namespace)  # noqa: S102 - the suite's own program
            return namespace["main"](n)
    once()
    list(itertools.starmap(once, [()]))


if __name__ == "__main__":
    main()
