"""Run a scenario: build the network, run it in virtual time, collect metrics
(the built-in ones and the scenario's extractors) and write them
(``metrics.json`` and CSV files)."""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smvm.node import NodeConfig
from smvm.values import jsonable

from .kernel import Simulation
from .mobility import Mobility, Overlay, Waypoints
from .models import build_radio, extract
from .models import build_mobility as _base_mobility
from .network import SimNetwork, SMRecord
from .radio import Radio
from .scenario import Scenario

Extractors = Mapping[str, Callable[["RunResult"], float]] | Iterable[Callable]


@dataclass
class RunResult:
    """A finished run: its network and radio, the extractors' named numbers
    (``extracted``) and the files written (``paths``, when ``run`` got ``out``)."""
    scenario: Scenario
    seed: int
    until: float
    network: SimNetwork
    radio: Radio
    extracted: dict[str, float] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    #: the run's trace records (``sim.replay.Recorder``), when it was recorded
    recorder: object = None

    @property
    def sms(self) -> list[SMRecord]:
        """What the run saw of each SM, by SM id."""
        return [rec for _, rec in sorted(self.network.metrics.sms.items())]

    def metrics(self) -> dict:
        """Everything measured, as plain data (deterministic for a seed)."""
        frames: dict[str, dict[str, int]] = {}
        for counters in self.network.counters().values():
            for key, value in counters.items():
                if key.startswith("frames_out."):
                    frames.setdefault(key[11:], {"count": 0, "bytes": 0})["count"] += value
                elif key.startswith("bytes_out."):
                    frames.setdefault(key[10:], {"count": 0, "bytes": 0})["bytes"] += value
        sms = []
        for sm_id, rec in sorted(self.network.metrics.sms.items()):
            done = rec.ended_at is not None
            sms.append({
                "sm": sm_id, "origin": rec.origin, "start": round(rec.injected_at, 9),
                "end": round(rec.ended_at, 9) if done else None, "node": rec.ended_on,
                "completion_s": round(rec.ended_at - rec.injected_at, 9) if done else None,
                "hops": rec.hops, "result": jsonable(rec.result), "error": rec.error,
            })
        stats = self.radio.stats
        return {
            "scenario": self.scenario.name, "seed": self.seed, "until": self.until,
            "sms": sms, "frames": dict(sorted(frames.items())),
            "radio": {"frames": stats.frames, "bytes": stats.bytes, "delivered": stats.delivered,
                      "lost": stats.lost, "unreachable": stats.unreachable},
            "nodes": self.network.counters(), "log": self.network.metrics.logs,
            "hop_failures": self.network.metrics.hop_failures,
            "extracted": self.extracted,
        }


def build_mobility(sc: Scenario, sim: Simulation) -> Mobility:
    """The ``[nodes]`` model, with the ``[[node]]`` tables' own positions and paths over it."""
    base = _base_mobility(sc, sim.rng)
    own = {n: s.path or ((0.0, *s.position),) for n, s in sc.node_settings.items()
           if s.path or s.position}
    return Overlay(base, Waypoints(own)) if own else base


def build_world(sc: Scenario, seed: int, *, record_frames: bool = False
                ) -> tuple[Simulation, Radio, SimNetwork]:
    """The scenario's nodes, tags, events and injections, ready to run."""
    sim = Simulation(seed)
    radio = build_radio(sc, sim.rng)
    mobility = build_mobility(sc, sim)
    network = SimNetwork(sim, radio, mobility, NodeConfig(beacon_interval=sc.beacon_interval),
                         record_frames=record_frames, signed=sc.signed)
    for node in range(sc.count):
        network.add_node(node, sc.tags.get(node), sc.actuators(node))
    for event in sc.events:
        network.set_tag(event.node, event.tag, event.value, at=event.at)
    for inj in sc.injects:
        network.inject(inj.node, inj.brick, inj.args, at=inj.at, name=inj.brick_name)
    return sim, radio, network


def run(sc: Scenario, seed: int | None = None, *, until: float | None = None,
        progress: Callable[[float, float], None] | None = None,
        record_frames: bool = False, extractors: Extractors = (),
        out: str | Path | None = None, record_trace: bool = False) -> RunResult:
    """Simulate ``sc`` with ``seed`` (default: the scenario's).

    ``progress(now, until)`` is called as virtual time passes. The scenario's
    extractors and ``extractors`` (a dict name -> ``fn(result) -> number``, or a
    list of ``fn(result) -> {name: number}``) run on the finished run; their
    numbers are ``result.extracted`` and part of ``metrics()``. With ``out``,
    metrics.json and the CSV files are written there (``result.paths``).
    ``record_trace`` keeps the run's trace records for a replay (written as
    trace.jsonl with the outputs).
    """
    seed = sc.seed if seed is None else seed
    until = sc.duration if until is None else until
    sim, radio, network = build_world(sc, seed, record_frames=record_frames)
    recorder = attach_recorder(sc, network) if record_trace else None
    steps = 50
    for k in range(1, steps + 1):
        sim.run(until=until * k / steps)
        if progress is not None:
            progress(sim.now, until)
    result = RunResult(sc, seed, until, network, radio, recorder=recorder)
    for more in (sc.extractors, extractors):
        result.extracted.update(extract(more, result))
    result.extracted = dict(sorted(result.extracted.items()))
    if out is not None:
        result.paths = write_outputs(result, Path(out))
    return result


def attach_recorder(sc: Scenario, network: SimNetwork, sources: list[str] = ()):
    """A ``sim.replay.Recorder`` of the run about to start on ``network``."""
    from .replay import Recorder, scenario_world
    return Recorder(network, scenario_world(sc, list(sources)))


def write_outputs(result: RunResult, out: Path) -> list[Path]:
    """metrics.json (byte-identical for the same scenario and seed), CSVs,
    and trace.jsonl when the run was recorded (byte-identical too)."""
    out.mkdir(parents=True, exist_ok=True)
    metrics = result.metrics()
    paths = [out / "metrics.json", out / "sms.csv", out / "frames.csv", out / "nodes.csv"]
    paths[0].write_text(json.dumps(metrics, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    with paths[1].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sm", "origin", "start", "end", "node", "hops", "completion_s", "result", "error"])
        for sm in metrics["sms"]:
            w.writerow([sm["sm"], sm["origin"], sm["start"], sm["end"], sm["node"], sm["hops"],
                        sm["completion_s"], json.dumps(sm["result"]),
                        (sm["error"] or {}).get("type", "")])
    with paths[2].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "count", "bytes"])
        for kind, row in metrics["frames"].items():
            w.writerow([kind, row["count"], row["bytes"]])
    keys = sorted({k for counters in metrics["nodes"].values() for k in counters})
    with paths[3].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node", *keys])
        for node, counters in metrics["nodes"].items():
            w.writerow([node, *(counters.get(k, 0) for k in keys)])
    if result.recorder is not None:
        from .replay import TRACE_FILE
        paths.append(result.recorder.write(out / TRACE_FILE, result.until))
    return paths


def write_pcap(result: RunResult, path: Path) -> Path:
    """Every frame the nodes sent, as UDP datagrams between made-up addresses
    (node i is 10.77.x.y, i = 256x + y; broadcasts go to 10.77.255.255), so
    Wireshark and scapy (with ``smvm.wire.scapy_layer``) dissect the run."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    import smvm.wire.scapy_layer  # noqa: F401 - binds the frame format to the port
    from smvm.wire import DEFAULT_PORT

    def address(node: str) -> str:
        if node == "*":
            return "10.77.255.255"
        i = int(node)
        return f"10.77.{i // 256}.{i % 256}"

    packets = []
    for time, src, dst, datagram in result.network.frames or []:
        pkt = (Ether() / IP(src=address(src), dst=address(dst))
               / UDP(sport=DEFAULT_PORT, dport=DEFAULT_PORT) / datagram)
        pkt.time = time
        packets.append(pkt)
    wrpcap(str(path), packets)
    return path
