"""Run one program (a brick's ``main``) in a scenario's world: what
``smvm run`` does. The scenario's own injections run too; the run ends when the
program ends or at the scenario's duration."""
from __future__ import annotations

from dataclasses import dataclass

from smvm.values import jsonable

from .run import RunResult, attach_recorder, build_world
from .scenario import Scenario

#: Default injection time, in beacon intervals: by then every node has heard
#: its neighbours' beacons, so routing knows where they are.
DEFAULT_AT_BEACONS = 3
#: Virtual seconds simulated between checks whether the program has ended.
_STEP = 0.25


@dataclass
class ProgramRun:
    """How the program ended, and the whole run (``run``) for reports and plots."""

    run: RunResult
    sm_id: str
    node_started: str
    at: float
    result: object
    error: dict | None
    node: str | None       # where the program ended (None: still running at the end)
    hops: int              # hops of every SM of the run (as exec)
    bytes: int             # every frame but neighbour beacons, sent by any node
    fuel: int              # fuel spent by every SM of the run
    log: list
    sms: int               # SMs that ended during the run (the program's spawned ones too)
    time: float | None     # virtual seconds from injection to the program's end

    def to_json(self) -> dict:
        return jsonable({"result": self.result, "error": self.error, "node": self.node,
                         "hops": self.hops, "bytes": self.bytes, "fuel": self.fuel,
                         "log": self.log, "sms": self.sms, "time": self.time})


def run_program(sc: Scenario, source: str, args: list | tuple = (), *, node: int = 0,
                at: float | None = None, seed: int | None = None, name: str = "brick.py",
                record_frames: bool = False, record_trace: bool = False) -> ProgramRun:
    """Simulate ``sc`` with ``source`` started at ``node`` at virtual time ``at``
    (default ``DEFAULT_AT_BEACONS`` beacon intervals) until it ends or the
    scenario's duration. Compile errors surface when the program starts
    (``CompileError``), before any virtual time passes for it. ``record_trace``
    keeps the trace records for a replay (``run.recorder``)."""
    from smvm.compiler import compile_brick
    compile_brick(source, name)  # refuse a bad brick up front, with its lines
    seed = sc.seed if seed is None else seed
    at = DEFAULT_AT_BEACONS * sc.beacon_interval if at is None else at
    sim, radio, network = build_world(sc, seed, record_frames=record_frames)
    recorder = attach_recorder(sc, network, [source]) if record_trace else None
    before = set(network.metrics.sms)
    network.inject(node, source, list(args), at=at, name=name)
    until = sc.duration
    sim.run(until=min(at, until))
    sm_id = next(iter(set(network.metrics.sms) - before), None)
    record = network.metrics.sms.get(sm_id) if sm_id else None
    while sim.now < until and (record is None or record.ended_at is None):
        sim.run(until=min(until, sim.now + _STEP))
        if record is None:
            sm_id = next(iter(set(network.metrics.sms) - before), None)
            record = network.metrics.sms.get(sm_id) if sm_id else None
    counters = network.counters().values()
    done = record is not None and record.ended_at is not None
    error = record.error if done else {
        "type": "Unfinished", "message": f"the program had not ended at t={until:g} s "
                                         "(the scenario's duration)", "line": None}
    return ProgramRun(
        run=RunResult(sc, seed, sim.now, network, radio, recorder=recorder), sm_id=sm_id or "",
        node_started=str(node), at=at,
        result=record.result if done else None, error=error,
        node=record.ended_on if done else None,
        hops=sum(c.get("hops_completed", 0) for c in counters),
        bytes=sum(v for c in counters for k, v in c.items()
                  if k.startswith("bytes_out.") and k != "bytes_out.Beacon"),
        fuel=sum(c.get("fuel_used", 0) for c in counters),
        log=[entry for entry in network.metrics.logs],
        sms=sum(c.get("sms_finished", 0) + c.get("sms_failed", 0) for c in counters),
        time=round(record.ended_at - record.injected_at, 9) if done else None)
