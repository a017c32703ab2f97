"""Ad-hoc network simulator: discrete-event kernel, radio and mobility models,
and a Python API for scenarios, runs and sweeps (see ``docs/sim.md``).

Everything runs in virtual time from one seeded RNG (``Simulation.rng``), so the
same seed gives the same run, bit for bit.

The API: build a ``Scenario`` in code or read one with ``Scenario.from_toml``;
``run(scenario, seed)`` gives a ``RunResult``; ``sweep(scenario_fn, grid,
seeds, engine=..., jobs=...)`` runs a grid of variants in parallel. Mobility
(``Mobility``, or a function ``(node, t) -> (x, y)``), links (``LinkModel``,
or a function ``(a, b, t) -> loss``) and metric extractors (functions of a
``RunResult``) plug in as Python objects.

``sim.run`` and ``sim.sweep`` are these functions; their modules are imported
by name (``from sim.run import write_outputs``).
"""
from ._errors import ModelError, ScenarioError, SchedulingError, SimError
from .kernel import Handle, Simulation
from .links import FunctionLink, LinkModel, LinkRadio, UnitDisk
from .mobility import ManhattanGrid, Mobility, RandomWaypoint, StaticPlacement, Waypoints
from .models import SampledMobility, extract
from .network import NetworkMetrics, SimNetwork, SMRecord
from .radio import Radio, RadioStats, UnitDiskRadio
from .run import RunResult, run
from .scenario import Inject, NodeSettings, Scenario, TagEvent, load
from .sweep import summarise, sweep, write_sweep
from .traces import FcdTrace

__all__ = [
    "FcdTrace",
    "FunctionLink",
    "Handle",
    "Inject",
    "LinkModel",
    "LinkRadio",
    "ManhattanGrid",
    "Mobility",
    "ModelError",
    "NetworkMetrics",
    "NodeSettings",
    "Radio",
    "RadioStats",
    "RandomWaypoint",
    "RunResult",
    "SMRecord",
    "SampledMobility",
    "Scenario",
    "ScenarioError",
    "SchedulingError",
    "SimError",
    "SimNetwork",
    "Simulation",
    "StaticPlacement",
    "TagEvent",
    "UnitDisk",
    "UnitDiskRadio",
    "Waypoints",
    "extract",
    "load",
    "run",
    "summarise",
    "sweep",
    "write_sweep",
]
