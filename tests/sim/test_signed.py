"""Simulated nodes can sign and verify SMs (``[nodes] signed = true``): the same
SMs complete with the same results, the signed run costs more bytes, and the
same seed gives the same bytes."""
from __future__ import annotations

import json
from pathlib import Path

from sim import Scenario, run
from sim.scenario import Inject, load

TOUR = '''
def main(path):
    for n in path:
        sys_migrate(n)
    return [node_id(), read_tag("provenance").get("path")]
'''


def _line(signed: bool) -> Scenario:
    return Scenario(count=4, placement="line", spacing=60.0, duration=10.0, radio_range=100.0,
                    signed=signed,
                    injects=(Inject(0, TOUR, "tour.py", [["1", "2", "3", "2"]], 2.0),))


def test_signed_and_unsigned_runs_agree_on_results_and_signing_costs_bytes() -> None:
    plain, signed = run(_line(False)).metrics(), run(_line(True)).metrics()
    [p], [s] = plain["sms"], signed["sms"]
    assert p["result"] == ["2", None]
    assert s["result"] == ["2", ["0", "1", "2", "3", "2"]]
    assert s["hops"] == p["hops"] == 4
    sent = lambda m: sum(v["bytes"] for k, v in m["frames"].items() if k != "Beacon")
    assert sent(signed) > sent(plain)


def test_the_same_seed_gives_the_same_signed_bytes() -> None:
    one = json.dumps(run(_line(True), seed=5).metrics(), sort_keys=True)
    two = json.dumps(run(_line(True), seed=5).metrics(), sort_keys=True)
    assert one == two


def test_the_scenario_key_round_trips_and_is_type_checked(tmp_path: Path) -> None:
    text = _line(True).replace(injects=()).to_toml()
    assert "signed = true" in text
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert load(path).signed is True
    path.write_text(text.replace("signed = true", 'signed = "yes"'))
    import pytest

    from sim.scenario import ScenarioError
    with pytest.raises(ScenarioError, match="nodes.signed"):
        load(path)
