"""``smvm status HOST:PORT`` against running daemons over loopback UDP."""
from __future__ import annotations

import json

from apps.cli import main
from smvm.daemon import DaemonConfig
from smvm.node import NodeConfig

from tests.daemons import serving


def config(node_id: str, **extra) -> DaemonConfig:
    return DaemonConfig(node_id, "127.0.0.1", 0, node=NodeConfig(beacon_interval=0.05),
                        workers=0, advertise=False, **extra)


def test_status_shows_id_key_neighbours_tags_and_counters(capsys) -> None:
    with serving(config("A", tags={"Taxi": 1}, location=(40.5, -74.4)), config("B")) as nodes:
        nodes.wait_for_neighbors()
        assert main(["status", nodes.address(0), "--json"]) == 0
        status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert status["node"] == "A" and status["address"] == nodes.address(0)
        assert status["key"] == nodes[0].core.trust.key.fingerprint
        assert status["key"].startswith("SHA256:")
        [neighbor] = status["neighbors"]
        assert neighbor["id"] == "B" and neighbor["link"] == nodes.address(1)
        assert neighbor["age"] >= 0
        assert [t["name"] for t in status["tags"]] == ["Taxi"]
        assert status["position"] == [40.5, -74.4] and status["peers"] == [nodes.address(1)]
        assert status["counters"]["frames_in.Beacon"] > 0 and status["uptime"] > 0
        assert status["sm_states"]["blocked"] == 0

        assert main(["status", nodes.address(1)]) == 0
        text = capsys.readouterr().out
        assert f"node B at {nodes.address(1)}, key {nodes[1].core.trust.key.fingerprint}" in text
        assert "neighbours (1):\n  A " in text and "SMs (0 of at most 64)" in text


def test_status_of_a_port_nobody_listens_on_is_one_line(capsys) -> None:
    with serving(config("Z")) as nodes:
        port = nodes[0].address[1]
    # the daemon stopped: its port refuses at once
    assert main(["status", f"127.0.0.1:{port}", "--timeout", "30"]) == 2
    err = capsys.readouterr().err
    assert err == f"smvm: error: nothing listens on 127.0.0.1:{port} (connection refused)\n"


def test_debug_logging_shows_beacons_neighbours_and_each_frame_of_a_hop(caplog, capsys,
                                                                       tmp_path) -> None:
    import logging
    caplog.set_level(logging.DEBUG, logger="smvm.node")
    brick = tmp_path / "hop.py"
    brick.write_text("def main():\n    sys_migrate('E')\n    return node_id()\n")
    with serving(config("D"), config("E")) as nodes:
        nodes.wait_for_neighbors()
        assert main(["inject", str(brick), "--node", nodes.address(0), "--wait"]) == 0
        assert capsys.readouterr().out == "result: 'E'\n"
    lines = [r.getMessage() for r in caplog.records if r.name == "smvm.node"]
    assert any(line.startswith("neighbour E appeared") for line in lines)
    assert any("Beacon node=E" in line for line in lines)
    for kind in ("Offer", "Transfer"):
        assert any(line.startswith(f"sent to {nodes.address(1)}: {kind} hop=")
                   for line in lines), kind
    for kind in ("Accept", "Ack"):
        assert any(line.startswith(f"got from {nodes.address(1)}: {kind} ")
                   for line in lines), kind
