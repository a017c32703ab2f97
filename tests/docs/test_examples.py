"""The README's and docs' examples run as written.

Every fenced code block of README.md and docs/*.md says what it is, on the
line right before it:

- ``<!-- runnable: NAME -->``: saved as the file NAME (for a later block);
- ``<!-- runnable -->``: run. In a ``sh`` block every command line must
  succeed; in a transcript (lines ``$ command`` followed by the output it
  prints) each command must print each of those lines. An output line may say
  ``...`` for what changes with the code's size (bytes, fuel, virtual time),
  which then matches anything;
- ``<!-- excerpt: PATH -->``: a piece of the checkout's file PATH; every line
  of it (comments and ``...`` lines aside) is a line of that file;
- ``<!-- output -->``: a sample of what a program prints or writes (a JSON
  one must parse, ``...`` standing for any value); ``<!-- output: FILE -->``
  samples the first line of FILE, written by an earlier block of the page:
  the sample names every key that line has (it may show optional ones too);
- ``<!-- not runnable: REASON -->``: cannot run here, for that reason (a
  diagram, a command that needs other hosts).

The blocks of one page run in order in one folder, which also holds the
checkout's top-level folders (so paths such as ``tests/spatial/data/...``
mean what they mean in a checkout); ``smvm`` and ``.venv/bin/smvm`` are this
checkout's command line, and ``python`` its interpreter (for a saved Python
example).
"""
from __future__ import annotations

import json
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
MARKER = re.compile(r"^<!-- (runnable|excerpt|output|not runnable)(?::\s*(.*?))?\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    page: str
    line: int  # of its first text line
    lang: str
    text: str
    kind: str  # runnable, excerpt, output or not runnable; "" when unmarked
    detail: str | None  # the file to save as, the excerpt's file, the reason

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def code_blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the marker on the line before it."""
    blocks, lines, i = [], page.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            marker = MARKER.match(lines[i].strip())
            assert not marker or i + 1 < len(lines) and FENCE.match(lines[i + 1]), \
                f"{page.name}:{i + 1}: a marker must be followed by a code block"
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        marker = MARKER.match(lines[i - 1].strip()) if i else None
        blocks.append(Block(page.name, i + 2, fence.group(1), "\n".join(lines[i + 1:end]) + "\n",
                            marker.group(1) if marker else "", marker.group(2) if marker else None))
        i = end + 1
    return blocks


def runnable_blocks(page: Path) -> list[Block]:
    return [b for b in code_blocks(page) if b.kind == "runnable"]


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
    for block in code_blocks(page):
        if block.kind == "output" and block.detail:
            written = tmp_path / block.detail
            assert written.is_file(), f"{block.where}: no block of the page wrote {block.detail}"
            real = json.loads(written.read_text(encoding="utf-8").splitlines()[0])
            missing = keys_missing(real, json_sample(block))
            assert not missing, f"{block.where}: the sample lacks {missing} of {block.detail}"
        if block.kind != "runnable":
            continue
        if block.detail:
            (tmp_path / block.detail).write_text(block.text, encoding="utf-8")
        elif "$ " in block.text:
            for command, expected in transcript(block.text):
                printed = run(command, tmp_path, block.where).splitlines()
                for line in expected:
                    pattern = ".*".join(map(re.escape, line.split("...")))
                    assert any(re.fullmatch(pattern, p) for p in printed), \
                        f"{block.where}: {command} did not print {line!r} but {printed}"
        else:
            assert block.lang == "sh", f"{block.where}: only sh blocks and transcripts run"
            for line in block.text.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    run(line, tmp_path, block.where)


def test_every_code_block_says_whether_it_runs() -> None:
    unmarked = [b.where for p in PAGES for b in code_blocks(p) if not b.kind]
    assert not unmarked, ("mark these code blocks <!-- runnable -->, <!-- runnable: NAME -->, "
                          "<!-- excerpt: PATH -->, <!-- output --> or <!-- not runnable: REASON -->: "
                          + ", ".join(unmarked))
    for block in (b for p in PAGES for b in code_blocks(p)):
        assert block.kind in ("runnable", "output") or block.detail, \
            f"{block.where}: <!-- {block.kind}: ... --> needs its " \
            + ("reason" if block.kind == "not runnable" else "file")


def code_of(line: str) -> str:
    return re.sub(r"\s+#.*$", "", line).strip()


def test_excerpts_are_pieces_of_their_files() -> None:
    excerpts = [b for p in PAGES for b in code_blocks(p) if b.kind == "excerpt"]
    for block in excerpts:
        source = ROOT / block.detail
        assert source.is_file(), f"{block.where}: no file {block.detail}"
        lines = {code_of(line) for line in source.read_text(encoding="utf-8").splitlines()}
        for line in block.text.splitlines():
            assert code_of(line) in lines | {"", "..."}, \
                f"{block.where}: {line.strip()!r} is not a line of {block.detail}"


def json_sample(block: Block) -> object:
    try:
        return json.loads(re.sub(r"(?<![.\w])\.\.\.(?![.\w])", "null", block.text))
    except ValueError as exc:
        pytest.fail(f"{block.where}: not JSON: {exc}")


def keys_missing(real: object, sample: object, path: str = "") -> list[str]:
    """The keys of ``real`` that ``sample`` does not name, looking into
    nested objects except those keyed by data (node ids)."""
    if not isinstance(real, dict) or not isinstance(sample, dict):
        return []
    if real and all(key.isdigit() for key in real):
        return []
    missing = [path + key for key in real if key not in sample]
    for key in real.keys() & sample.keys():
        missing += keys_missing(real[key], sample[key], f"{path}{key}.")
    return missing


def test_json_samples_parse() -> None:
    samples = [b for p in PAGES for b in code_blocks(p) if b.kind == "output" and b.lang == "json"]
    for block in samples:
        json_sample(block)


def test_a_sample_misses_a_key_of_the_real_output() -> None:
    real = {"trace": 1, "world": {"seed": 3, "area": [0, 0], "tags": {"22": {"Hot": True}}}}
    sample = {"trace": 1, "world": {"seed": 7, "tags": {"5": {"Taxi": True}}, "roads": []}}
    assert keys_missing(real, sample) == ["world.area"]
    assert keys_missing(real, {**sample, "world": {**sample["world"], "area": None}}) == []


def test_the_pages_have_runnable_examples() -> None:
    counted = {p.name: len(runnable_blocks(p)) for p in PAGES}
    assert counted["README.md"] >= 2 and counted["spatial.md"] >= 2 and counted["node.md"] >= 2


def test_an_unmarked_block_is_found_with_its_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n\n<!-- not runnable: a diagram -->\n```\nA -> B\n```\n\n"
                    "```python\nprint(1)\n```\n", encoding="utf-8")
    blocks = code_blocks(page)
    assert [(b.where, b.kind, b.detail) for b in blocks] == [
        ("page.md:5", "not runnable", "a diagram"), ("page.md:9", "", None)]
