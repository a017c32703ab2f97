"""The packages import only downward (DESIGN.md section 2) and never another
package's private modules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["tagspace", "smvm", "routing", "spatial", "sim", "apps"]
RANK = {name: i for i, name in enumerate(LAYERS)}


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "bricks" in path.relative_to(ROOT).parts:
            continue  # SM code: linked by the compiler, not imported by Python
        yield path


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_down_and_skip_private_modules(package: str) -> None:
    wrong = []
    for path in _modules(package):
        for line, name in _imports(path):
            parts = name.split(".")
            top = parts[0]
            if top not in RANK or top == package:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if RANK[top] > RANK[package]:
                wrong.append(f"{where} (points up)")
            elif any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                wrong.append(f"{where} (another package's private module)")
    assert wrong == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom sim.kernel import Simulation\n")
    assert ("sim.kernel" in [name for _, name in _imports(sample)])
