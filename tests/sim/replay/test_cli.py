"""``smvm sim --html``, ``smvm run --html``, ``smvm view`` and ``smvm demo``:
one self-contained page, and one-line errors for bad input."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.cli import main

from ._replay import page_data

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "sim" / "scenarios" / "demo.toml"
SPATIAL = ROOT / "tests" / "spatial" / "data"


def _self_contained(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    # nothing is loaded from elsewhere: no src/href to a URL, no fetch or XHR
    assert not re.search(r'(src|href)\s*=\s*["\'](?!data:|#)', text)
    assert "fetch(" not in text and "XMLHttpRequest" not in text and "import(" not in text
    return text


def test_sim_html_writes_the_replay_and_view_rebuilds_the_same_page(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["sim", str(DEMO), "--until", "12", "--out", str(out), "--html"]) == 0
    printed = capsys.readouterr().out
    page = out / "replay.html"
    assert f"replay: {page.resolve()}" in printed
    _self_contained(page)
    data = page_data(page)
    assert len(data["nodes"]) == 40 and data["range"] == 160.0
    assert [sm["id"] for sm in data["sms"]] == ["0/1", "12/1", "24/1", "36/1"]
    first = page.read_bytes()
    page.unlink()
    assert main(["view", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(page.resolve())
    assert page.read_bytes() == first


def test_run_html_draws_the_programs_spaces(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    assert main(["run", str(SPATIAL / "intrusion.py"), "--scenario",
                 str(SPATIAL / "intrusion.toml"), "--out", str(out), "--html", "--json"]) == 0
    captured = capsys.readouterr()
    page = (out / "replay.html").resolve()
    assert f"replay: {page}" in captured.err, "stdout keeps only the JSON"
    data = page_data(out / "replay.html")
    assert data["spaces"] == [{"name": "Field", "shapes": [["rect", 0.0, 0.0, 720.0, 720.0]]}]
    [program] = [sm for sm in data["sms"] if sm["brick"] == "intrusion.py"]
    assert program["result"][2] == "66" and program["hops"]


def test_demo_writes_the_replay_and_prints_its_path(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    page = tmp_path / "out" / "demo-seed7" / "replay.html"
    assert f"replay: {page}" in capsys.readouterr().out
    assert len(page_data(page)["sms"]) == 4


@pytest.mark.parametrize("make, argv, message", [
    (None, ["view", "{tmp}/missing"], "{tmp}/missing: no such directory"),
    ("empty", ["view", "{tmp}/d"], "{tmp}/d: no trace data"),
    ("empty", ["view", "{tmp}/d", "--trace", "{tmp}/nope.jsonl"],
     "{tmp}/nope.jsonl: no such trace file"),
    ("bad", ["view", "{tmp}/d"], "{tmp}/d/trace.jsonl:1: not JSON"),
    ("old", ["view", "{tmp}/d"], "trace format version 0"),
])
def test_bad_input_is_one_line(tmp_path, capsys, make, argv, message) -> None:
    folder = tmp_path / "d"
    if make:
        folder.mkdir()
    if make == "bad":
        (folder / "trace.jsonl").write_text("<html>\n")
    if make == "old":
        (folder / "trace.jsonl").write_text('{"trace": 0}\n')
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message.format(tmp=tmp_path) in err
    assert "Traceback" not in err and "internal error" not in err
