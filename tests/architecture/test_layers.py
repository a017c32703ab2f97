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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute_imports(path: Path):
    """(line, dotted name) of every module or member ``path`` imports,
    relative imports resolved against its package."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _private_owner(name: str) -> str | None:
    """The package a private module named in ``name`` belongs to (None when
    no part of it is a private module; private members are the module's own
    business)."""
    parts = name.split(".")
    for i, part in enumerate(parts[1:], start=1):
        where = ROOT.joinpath(*parts[:i + 1])
        is_module = where.with_suffix(".py").is_file() or where.is_dir()
        if part.startswith("_") and not part.startswith("__") and is_module:
            return ".".join(parts[:i])
    return None


@pytest.mark.parametrize("package", LAYERS)
def test_private_modules_stay_inside_their_package(package: str) -> None:
    """``smvm.vm.runtime`` may not reach into ``smvm.compiler._steer``: what
    another subpackage offers is in its public modules."""
    wrong = []
    for path in _modules(package):
        here = _module_name(path)
        for line, name in _absolute_imports(path):
            owner = _private_owner(name)
            if owner and owner.split(".")[0] == package and not (
                    here == owner or here.startswith(owner + ".")):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == []


def _hidden_vm_names() -> set[str]:
    from smvm.compiler import abi
    return {value for name, value in vars(abi).items()
            if name.isupper() and isinstance(value, str) and value.startswith("_")}


def test_only_the_compiler_spells_the_hidden_vm_names() -> None:
    """The names compiled code and the VM share live in ``smvm.compiler.abi``;
    a literal copy elsewhere would drift from it."""
    hidden = _hidden_vm_names()
    assert {"_R", "_Capture", "_refuel", "_fr"} <= hidden
    wrong = []
    for package in LAYERS:
        for path in _modules(package):
            if path.is_relative_to(ROOT / "smvm" / "compiler"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in hidden:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert wrong == []


def test_the_private_check_sees_a_reach_into_another_subpackage(tmp_path: Path) -> None:
    assert _private_owner("smvm.compiler._steer.make_resumable") == "smvm.compiler"
    assert _private_owner("smvm.compiler.abi.POINT_COLUMN") is None
    runtime = ROOT / "smvm" / "vm" / "runtime.py"
    assert all(_private_owner(name) is None for _, name in _absolute_imports(runtime))
