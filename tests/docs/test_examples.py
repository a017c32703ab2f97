"""The README's and docs' examples run as written.

A code block preceded by ``<!-- runnable: NAME -->`` is saved as the file
NAME; one preceded by ``<!-- runnable -->`` is run: in a ``sh`` block every
command line must succeed, and in a transcript (lines ``$ command`` followed
by the output it prints) each command must print exactly those lines. The
output line may say ``...`` for what changes with the code's size (bytes,
fuel, virtual time), which then matches anything. The blocks of one page
run in order in one folder, which also holds the
checkout's top-level folders (so paths such as ``tests/spatial/data/...``
mean what they mean in a checkout); ``smvm`` and ``.venv/bin/smvm`` are this
checkout's command line, and ``python`` its interpreter (for a saved Python
example).
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- runnable(?::\s*(\S+))?\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    page: str
    line: int  # of its first text line
    lang: str
    text: str
    save_as: str | None


def runnable_blocks(page: Path) -> list[Block]:
    blocks, lines, i = [], page.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        marker = MARKER.match(lines[i].strip())
        i += 1
        if not marker:
            continue
        fence = FENCE.match(lines[i]) if i < len(lines) else None
        assert fence, f"{page.name}:{i}: a runnable marker must be followed by a code block"
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        blocks.append(Block(page.name, i + 2, fence.group(1), "\n".join(lines[i + 1:end]) + "\n",
                            marker.group(1)))
        i = end + 1
    return blocks


def command_line(command: str) -> list[str]:
    """An ``smvm`` command, or ``python FILE`` for a saved Python example."""
    words = shlex.split(command, comments=True)
    assert words and words[0] in ("smvm", ".venv/bin/smvm", "python"), command
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return [sys.executable, "-m", "apps.cli", *words[1:]]


def run(command: str, folder: Path, where: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run(command_line(command), cwd=folder, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"{where}: {command}\n{done.stdout}{done.stderr}"
    return done.stdout


def transcript(text: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines and the output lines after each."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            assert steps, f"output before any command: {line!r}"
            steps[-1][1].append(line)
    return steps


@pytest.mark.parametrize("page", [p for p in PAGES if runnable_blocks(p)],
                         ids=lambda p: p.name)
def test_the_runnable_examples_of_a_page_run_as_written(page: Path, tmp_path: Path) -> None:
    for name in ("apps", "docs", "routing", "sim", "spatial", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    for block in runnable_blocks(page):
        where = f"{block.page}:{block.line}"
        if block.save_as:
            (tmp_path / block.save_as).write_text(block.text, encoding="utf-8")
        elif "$ " in block.text:
            for command, expected in transcript(block.text):
                printed = run(command, tmp_path, where).splitlines()
                for line in expected:
                    pattern = ".*".join(map(re.escape, line.split("...")))
                    assert any(re.fullmatch(pattern, p) for p in printed), \
                        f"{where}: {command} did not print {line!r} but {printed}"
        else:
            assert block.lang == "sh", f"{where}: only sh blocks and transcripts run"
            for line in block.text.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    run(line, tmp_path, where)


def test_the_pages_have_runnable_examples() -> None:
    counted = {p.name: len(runnable_blocks(p)) for p in PAGES}
    assert counted["README.md"] >= 2 and counted["spatial.md"] >= 2 and counted["node.md"] >= 2
