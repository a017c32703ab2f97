"""EZCab on a SUMO street grid (the bundled scenario), through ``smvm app``,
and under many concurrent clients."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("sumo")

from apps import registry  # noqa: E402
from apps.cli import main  # noqa: E402
from apps.ezcab import app as ezcab  # noqa: E402




def test_smvm_app_ezcab_books_cabs_on_the_bundled_scenario(tmp_path, capsys):
    assert main(["app", "ezcab", "--seed", "1", "--out", str(tmp_path), "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    metrics = json.loads(last)
    assert metrics["requests"] == 12
    assert metrics["success_rate"] >= 0.9
    assert metrics["booked"] == round(metrics["success_rate"] * metrics["requests"])
    assert metrics["double_booked"] == 0
    assert 0 < metrics["latency_p50"] < 15.0
    # the naive search ran in the same run, on the same trace and requests
    assert metrics["naive"]["requests"] == 12 and metrics["naive"]["double_booked"] == 0
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    for name in ("requests.csv", "ezcab.png"):
        assert (tmp_path / name).stat().st_size > 0
    rows = (tmp_path / "requests.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 12


def test_no_cab_is_booked_twice_when_clients_ask_at_once(tmp_path):
    params, _ = registry.parameters(ezcab, ["free_ratio=0.15", "requests=10", "gap=0.001",
                                            "clients=10", "duration=80"])
    params.pop("seed")
    fcd, taxis = ezcab.sumo_trace(tmp_path, params, 2)
    result = ezcab.simulate(params, 2, fcd, taxis, naive=False)
    booked = [row["cab"] for row in result["rows"] if row["booked"]]
    # more clients than free cabs, all asking within a few milliseconds
    assert result["free_cabs"] == 6 < result["requests"]
    assert result["double_booked"] == 0
    assert len(booked) == len(set(booked)) and len(booked) >= 3
    assert result["booked"] <= result["free_cabs"]


def test_app_errors_are_one_line(capsys):
    assert main(["app", "nope"]) == 2
    assert main(["app", "ezcab", "--param", "cabs=many"]) == 2
    assert main(["app", "ezcab", "--param", "hop_limit=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("smvm: error: ") for line in err) and len(err) == 3


def test_app_list_names_every_application(capsys):
    assert main(["app", "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(registry.APPS)
