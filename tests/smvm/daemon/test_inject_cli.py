"""``smvm inject`` against a running daemon: values an SM produces that the
wire or ``repr`` cannot carry end as marked placeholders or guest errors in
one line, and the node serves on afterwards."""
from __future__ import annotations

import json

import pytest

from apps.cli import main
from smvm.daemon import DaemonConfig
from smvm.node import NodeConfig

from tests.daemons import serving

BRICKS = {
    "big_int.py": "def main():\n    return 10 ** 5000\n",
    "big_error.py": 'def main():\n    raise ValueError("x" * 70000)\n',
    "big_result.py": 'def main():\n    return "z" * 1000000\n',
    "tour.py": "def main(to):\n    sys_migrate(to)\n    return node_id()\n",
}


@pytest.fixture
def bricks(tmp_path, monkeypatch):
    for name, text in BRICKS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def config(node_id: str) -> DaemonConfig:
    return DaemonConfig(node_id, "127.0.0.1", 0, node=NodeConfig(beacon_interval=0.05),
                        workers=1, advertise=False)


def inject(capsys, address: str, *argv: str) -> tuple[int, str, str]:
    code = main(["inject", *argv, "--node", address, "--wait", "--timeout", "60"])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    return code, out, err


def test_results_and_errors_too_large_to_carry_are_one_line_each(bricks, capsys) -> None:
    with serving(config("P"), config("Q")) as nodes:
        nodes.wait_for_neighbors()
        at = nodes.address(0)
        code, out, err = inject(capsys, at, "big_int.py")
        assert (code, err) == (0, "") and out.startswith("result: <int")

        code, out, err = inject(capsys, at, "big_error.py")
        assert code == 1 and out == "" and len(err.splitlines()) == 1
        assert err.startswith("error: ValueError: xxx") and "[truncated: 70000" in err

        code, out, err = inject(capsys, at, "big_result.py")
        assert code == 1 and len(err.splitlines()) == 1 and "ResultError" in err

        code, out, err = inject(capsys, at, "tour.py", "Q", "--json")  # it serves on
        assert code == 0 and json.loads(out.splitlines()[-1])["result"] == "Q"

        code, out, err = inject(capsys, at, "big_int.py", "--json")
        assert code == 0 and json.loads(out.splitlines()[-1])["result"].startswith("<int")
