"""Ad-hoc network simulator: discrete-event kernel, radio and mobility models.

Everything runs in virtual time from one seeded RNG (``Simulation.rng``), so the
same seed gives the same run, bit for bit.
"""
from ._errors import ModelError, SchedulingError, SimError
from .kernel import Handle, Simulation
from .mobility import ManhattanGrid, Mobility, RandomWaypoint, StaticPlacement
from .network import NetworkMetrics, SimNetwork, SMRecord
from .traces import FcdTrace
from .radio import Radio, RadioStats, UnitDiskRadio

__all__ = [
    "FcdTrace",
    "Handle",
    "ManhattanGrid",
    "Mobility",
    "ModelError",
    "Radio",
    "RadioStats",
    "RandomWaypoint",
    "NetworkMetrics",
    "SchedulingError",
    "SMRecord",
    "SimNetwork",
    "SimError",
    "Simulation",
    "StaticPlacement",
    "UnitDiskRadio",
]
