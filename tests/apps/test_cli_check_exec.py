"""``smvm check`` / ``smvm exec``: output shapes and exit statuses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.cli import main


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


TOUR = '''
def main(limit, label):
    seen = []
    while int(node_id()) < limit:
        seen.append(node_id())
        sys_migrate(str(int(node_id()) + 1))
    log("arrived", label)
    return {"seen": seen, "label": label, "pair": (1, 2)}
'''


def test_exec_json_last_line_has_the_documented_shape(tmp_path, capsys) -> None:
    brick = write(tmp_path, "tour.py", TOUR)
    status = main(["exec", brick, "2", "not json", "--nodes", "4", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    record = json.loads(out[-1])
    assert status == 0
    assert set(record) == {"result", "error", "node", "hops", "bytes", "fuel", "log", "sms"}
    assert record["sms"] == 1
    # two hops of three frames (OFFER, ACCEPT, TRANSFER) of 5 ms each; SM ids are the
    # node core's ("0/1": the first SM started on node 0)
    assert record["log"] == [{"node": "2", "time": 0.03, "sm": "0/1", "text": "arrived not json"}]
    assert record["result"] == {"seen": ["0", "1"], "label": "not json", "pair": [1, 2]}
    assert record["error"] is None
    assert record["node"] == "2" and record["hops"] == 2
    assert record["bytes"] > 0 and record["fuel"] > 0


def test_exec_human_output_mentions_result_and_log(tmp_path, capsys) -> None:
    brick = write(tmp_path, "tour.py", TOUR)
    assert main(["exec", brick, "1", '"x"']) == 0
    out = capsys.readouterr().out
    assert "[node 1 t=0.01s] arrived x" in out
    assert "result: {'seen': ['0'], 'label': 'x', 'pair': (1, 2)}" in out
    assert "after 1 hops" in out


def test_guest_error_exits_1_with_error_record(tmp_path, capsys) -> None:
    brick = write(tmp_path, "bad.py", "def main():\n    sys_migrate('1')\n    return [][3]\n")
    assert main(["exec", brick, "--json"]) == 1
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["error"] == {"type": "IndexError", "message": "list index out of range", "line": 3}
    assert record["node"] == "1" and record["hops"] == 1



def test_endless_loop_is_a_guest_error(tmp_path, capsys) -> None:
    brick = write(tmp_path, "spin.py", "def main():\n    while True:\n        pass\n")
    assert main(["exec", brick, "--fuel", "50000", "--json"]) == 1
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["error"]["type"] == "FuelExhausted"
    assert record["fuel"] == 50000


def test_compile_errors_exit_2(tmp_path, capsys) -> None:
    brick = write(tmp_path, "c.py", "import os\nclass A(metaclass=B):\n    pass\n")
    assert main(["exec", brick]) == 2
    err = capsys.readouterr().err
    assert f"{brick}:1: import of 'os' is not allowed" in err
    assert f"{brick}:2: class keywords (metaclass=...) are not supported" in err


@pytest.mark.parametrize("argv", [
    ["exec"], ["exec", "/nonexistent/brick.py"], ["exec", "x.py", "--nodes", "zero"], ["frobnicate"],
])
def test_usage_errors_exit_2_without_traceback(argv, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_check_reports_every_file(tmp_path, capsys) -> None:
    good = write(tmp_path, "good.py", "def main():\n    return 1\n")
    bad = write(tmp_path, "bad.py", "def main():\n    return x.__dict__\n")
    assert main(["check", good]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    assert main(["check", good, bad]) == 1
    out = capsys.readouterr().out
    assert f"{good}: ok" in out and f"{bad}: ok" not in out
    assert f"{bad}:2: attribute '__dict__' is not allowed" in out
    assert f"{bad}:2: unknown name 'x'" in out


def test_demo_runs(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "demo: 40 nodes, seed 7" in out and "taxi" in out
    assert (tmp_path / "out" / "demo-seed7" / "metrics.json").exists()
