"""Every subcommand walked with bad input: each failure is one clear line on
stderr with the documented exit status (2 for usage and input, 1 for a guest
error), never a traceback, an exception group or "internal error"; values an
SM produces that cannot be shown are replaced by a marked placeholder."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from apps.cli import main
from smvm.limits import MAX_ERROR_CHARS

OK = "def main(*args):\n    return list(args)\n"
BRICKS = {
    "ok.py": OK,
    "imp_os.py": "from os import system\ndef main():\n    return 1\n",
    "imp_socket.py": "from socket import socket\ndef main():\n    return 1\n",
    "syntax.py": "def main(:\n    return 1\n",
    "big_int.py": "def main():\n    return 10 ** 5000\n",
    "big_error.py": 'def main():\n    raise ValueError("x" * 70000)\n',
    "big_log.py": 'def main():\n    log("y" * 70000)\n    return 1\n',
}
WORLD = ('[simulation]\nseed = 1\nduration = 5.0\n[radio]\nrange = 150.0\n'
         '[nodes]\ncount = 2\nmobility = "static"\n')


def inject_section(brick: str, at: float = 1.0) -> str:
    return f'[[inject]]\nnode = 0\nbrick = "{brick}"\nat = {at}\n'


SCENARIOS = {
    "plain.toml": WORLD,
    "not_toml.toml": "this is = not [toml",
    "bad_brick.toml": WORLD + inject_section("ok.py") + inject_section("syntax.py"),
    "unlinkable.toml": WORLD + inject_section("imp_os.py"),
    "late.toml": WORLD + inject_section("ok.py", 50.0),
}
SCRIPT = '''
from sim import Scenario, Inject
grid = {"r": [100.0]}
def scenario(r):
    return Scenario(count=2, radio_range=r, duration=2.0,
                    injects=[Inject.from_file("syntax.py", node=0, at=1.0)])
'''


def free_port() -> int:
    """A UDP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """The bad inputs' files in a folder that is also the working directory,
    a UDP port that is in use and one that nobody listens on."""
    for name, text in {**BRICKS, **SCENARIOS, "sweep_bad.py": SCRIPT}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "not_utf8.py").write_bytes(b"\xff\xfe def main(): pass\n")
    (tmp_path / "a_file").write_text("not a directory")
    leaky = tmp_path / "leaky_state"
    leaky.mkdir()
    (leaky / "node_key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    os.chmod(leaky / "node_key.pem", 0o644)
    monkeypatch.chdir(tmp_path)
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    yield {"busy": str(busy.getsockname()[1]), "free": str(free_port())}
    busy.close()


DEEP = "[" * 5000 + "]" * 5000
# (argv, exit status, text the one line on stderr contains); "{busy}" and
# "{free}" are ports, see ``world``
CASES = [
    # -- the top level
    (["no-such-command"], 2, "invalid choice: 'no-such-command'"),
    (["--no-such-option"], 2, "unrecognized arguments: --no-such-option"),
    # -- check
    (["check"], 2, "the following arguments are required: FILE"),
    (["check", "missing.py", "ok.py"], 2, "cannot read missing.py: No such file or directory"),
    (["check", "not_utf8.py"], 2, "cannot read not_utf8.py"),
    # -- exec
    (["exec", "imp_os.py"], 2, "imp_os.py:1: cannot find brick 'os'"),
    (["exec", "imp_socket.py"], 2, "imp_socket.py:1: cannot find brick 'socket'"),
    (["exec", "syntax.py"], 2, "syntax.py:1: syntax error"),
    (["exec", "missing.py"], 2, "cannot read missing.py"),
    (["exec", "ok.py", DEEP], 2, "nests deeper than 100 levels"),
    (["exec", "big_error.py"], 1, "error: ValueError: xxxx"),
    (["exec", "ok.py", "--nodes", "0"], 2, "the line needs at least one node"),
    (["exec", "ok.py", "--nodes", "100000000"], 2, "more than the 10,000"),
    (["exec", "ok.py", "--nodes", "many"], 2, "argument --nodes: invalid int value"),
    (["exec", "ok.py", "--fuel", "-1"], 2, "fuel must be positive"),
    (["exec", "ok.py", "--memory", "-1"], 2, "memory must be positive"),
    (["exec", "ok.py", "--cpu", "0"], 2, "CPU time budget must be positive"),
    (["exec", "ok.py", "--tag", "bad"], 2, "bad --tag 'bad'"),
    (["exec", "ok.py", "--tag", "9:x=1"], 2, "no node '9'"),
    (["exec", "ok.py", "--brick", "missing.py"], 2, "cannot read missing.py"),
    (["exec", "ok.py", "--brick", "syntax.py"], 2, "syntax.py:1: syntax error"),
    # -- run
    (["run", "syntax.py", "--scenario", "plain.toml"], 2, "syntax.py:1: syntax error"),
    (["run", "ok.py", "--scenario", "not_toml.toml"], 2, "not_toml.toml: Expected '='"),
    (["run", "ok.py", "--scenario", "plain.toml", "--node", "7"], 2, "the scenario has nodes 0..1"),
    (["run", "ok.py", "--scenario", "plain.toml", "--at", "-1"], 2, "--at must be in"),
    (["run", "ok.py", DEEP, "--scenario", "plain.toml"], 2, "nests deeper"),
    # -- sim
    (["sim", "missing.toml"], 2, "missing.toml: cannot read"),
    (["sim", "not_toml.toml"], 2, "not_toml.toml: Expected '='"),
    (["sim", "bad_brick.toml"], 2, "inject.brick (line 15): "),
    (["sim", "unlinkable.toml"], 2, "cannot find brick 'os'"),
    (["sim", "late.toml"], 2, "inject.at (line 12): 50 s is not before the end"),
    (["sim", "plain.toml", "--until", "-1"], 2, "--until must be positive"),
    # -- sweep
    (["sweep", "bad_brick.toml", "--param", "radio.range=100,200"], 2, "syntax error"),
    (["sweep", "unlinkable.toml", "--param", "radio.range=100"], 2, "cannot find brick 'os'"),
    (["sweep", "plain.toml"], 2, "needs at least one --param"),
    (["sweep", "plain.toml", "--param", "nope=1"], 2, "bad --param 'nope=1'"),
    (["sweep", "plain.toml", "--param", "radio.range=1", "--seeds", "0"], 2, "at least 1"),
    (["sweep", "sweep_bad.py", "--jobs", "1", "--seeds", "1"], 2, "syntax.py:1: syntax error"),
    # -- sumo
    (["sumo", "/proc/no-such-dir/out"], 2, "cannot create /proc/no-such-dir/out"),
    (["sumo", "out", "--grid", "0"], 2, "need grid >= 2"),
    (["sumo", "out", "--net", "missing.net.xml"], 2, "no such network file"),
    # -- demo
    (["demo", "--fast"], 2, "unrecognized arguments: --fast"),
    # -- node: every start-up failure
    (["node", "--id", ""], 2, "bad --id ''"),
    (["node", "--id", "a", "--port", "70000"], 2, "--port 70000 is out of range"),
    (["node", "--id", "a", "--host", "127.0.0.1", "--port", "{busy}"], 2,
     "cannot serve on 127.0.0.1:{busy}: Address already in use"),
    (["node", "--id", "a", "--host", "192.0.2.1", "--port", "{free}"], 2,
     "cannot serve on 192.0.2.1:{free}: Cannot assign requested address"),
    (["node", "--id", "a", "--gps", "file:missing.nmea"], 2, "no readable file 'missing.nmea'"),
    (["node", "--id", "a", "--gps", "pigeon:1"], 2, "bad GPS source 'pigeon:1'"),
    (["node", "--id", "a", "--state-dir", "a_file"], 2, "exists and is not a directory"),
    (["node", "--id", "a", "--state-dir", "/proc/no-such-dir/state"], 2, "cannot create it"),
    (["node", "--id", "a", "--host", "127.0.0.1", "--port", "{free}", "--state-dir",
      "leaky_state"], 2, "is readable by others: chmod 600 it"),
    (["node", "--id", "a", "--location", "x,y"], 2, "bad --location 'x,y'"),
    (["node", "--id", "a", "--trust", "missing.trust"], 2, "cannot read trust file missing.trust"),
    (["node", "--id", "a", "--peers", "nohost"], 2, "bad peer 'nohost'"),
    # -- nodes
    (["nodes", "--timeout", "-1"], 2, "--timeout must be positive"),
    # -- inject
    (["inject", "ok.py", "--node", "127.0.0.1:{free}"], 2,
     "nothing listens on 127.0.0.1:{free} (connection refused)"),
    (["inject", "syntax.py", "--node", "127.0.0.1:{free}"], 2, "syntax.py:1: syntax error"),
    (["inject", "imp_os.py", "--node", "127.0.0.1:{free}"], 2, "imp_os.py:1: cannot find brick"),
    (["inject", "ok.py", "--node", "127.0.0.1:{free}", "--timeout", "-1"], 2,
     "--timeout must be more than 0"),
    (["inject", "ok.py", "--node", "nohost"], 2, "bad --node 'nohost'"),
    (["inject", "missing.py", "--node", "127.0.0.1:{free}"], 2, "cannot read missing.py"),
    (["inject", "ok.py", DEEP, "--node", "127.0.0.1:{free}"], 2, "nests deeper"),
    # -- status
    (["status", "127.0.0.1"], 2, "bad address '127.0.0.1'"),
    (["status", "127.0.0.1:{free}"], 2, "nothing listens on 127.0.0.1:{free}"),
    (["status", "127.0.0.1:{free}", "--timeout", "0"], 2, "--timeout must be between"),
    # -- view
    (["view", "missing-dir"], 2, "missing-dir: no such directory"),
    (["view", "."], 2, "no trace data"),
    # -- app
    (["app", "no-such-app"], 2, "unknown application 'no-such-app'"),
]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_clear_line(err: str) -> str:
    assert "internal error" not in err and "Traceback" not in err
    assert "ExceptionGroup" not in err and "nursery" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_the_walk_covers_every_subcommand_with_forty_bad_inputs() -> None:
    from apps.cli import COMMANDS
    walked = {argv[0] for argv, _, _ in CASES}
    assert {c.NAME for c in COMMANDS} <= walked
    assert len({tuple(argv) for argv, _, _ in CASES}) >= 40


@pytest.mark.parametrize("argv, status, expected", CASES,
                         ids=[" ".join(a)[:60] for a, _, _ in CASES])
def test_bad_input_is_one_clear_line(argv, status, expected, world, capsys) -> None:
    argv = [a.format(**world) for a in argv]
    code, _, err = run_cli(argv, capsys)
    line = assert_one_clear_line(err)
    assert code == status, err
    assert expected.format(**world) in line
    if status == 2 and not line.split(":")[0].endswith(".py"):  # not a compile error
        assert line.startswith("smvm: error: ")
    assert len(line) < MAX_ERROR_CHARS + 200


def test_check_reports_every_file_even_past_an_unreadable_one(world, capsys) -> None:
    code, out, err = run_cli(["check", "missing.py", "syntax.py", "imp_os.py", "ok.py"], capsys)
    assert code == 2 and assert_one_clear_line(err).startswith("smvm: error: cannot read")
    assert "syntax.py:1: syntax error" in out and "imp_os.py:1: cannot find brick 'os'" in out
    code, out, err = run_cli(["check", "syntax.py", "ok.py"], capsys)
    assert (code, err) == (1, "")


@pytest.mark.parametrize("argv", [["exec", "big_int.py"],
                                  ["run", "big_int.py", "--scenario", "plain.toml"]])
def test_a_result_that_cannot_be_shown_is_a_marked_placeholder(argv, world, capsys) -> None:
    code, out, err = run_cli(argv, capsys)
    assert (code, err) == (0, "")
    assert "result: <int of about 5,001 digits, too long to show>" in out
    code, out, err = run_cli([*argv, "--json"], capsys)
    assert (code, err) == (0, "")
    assert '"result": "<int of about 5,001 digits' in out.splitlines()[-1]


def test_a_huge_log_line_is_cut_with_a_marker(world, capsys) -> None:
    code, out, err = run_cli(["exec", "big_log.py"], capsys)
    assert (code, err) == (0, "")
    assert "[truncated: 70000 characters in all]" in out and len(out) < 10_000


def test_every_argument_of_every_subcommand_has_help_text() -> None:
    import argparse

    from apps.cli import build_parser
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [f"{name} {action.dest}" for name, command in sub.choices.items()
               for action in command._actions
               if not action.help and not isinstance(action, argparse._HelpAction)]
    assert missing == []
    assert {choice.dest for choice in sub._choices_actions} == set(sub.choices)  # each has HELP


def test_bare_smvm_prints_help_and_version_works(capsys) -> None:
    code, out, err = run_cli([], capsys)
    assert code == 0 and err == "" and "COMMAND" in out and "status" in out
    code, out, err = run_cli(["--version"], capsys)
    assert code == 0 and out.startswith("smvm ")
