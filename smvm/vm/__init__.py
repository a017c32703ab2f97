"""The VM: running one smart message on one node, and its state crossing nodes.

``instance`` (``SMInstance``: start, resume, slices), ``outcomes`` (how a run
ends, error records), ``migration`` (continuations: capture, check, restore),
``references`` (what travels by name), ``runtime`` (``_R`` of compiled code:
fuel, capture/resume steps) with ``guards`` (operations bounded for C work)
and ``frames`` (captured frames), ``modules`` (an SM's imports), ``runners``
(greenlets of sliced SMs), ``defaults`` (the budgets an SM gets when its node sets none).
"""
from ..continuation import FORMAT_VERSION
from .defaults import DEFAULT_CPU_SECONDS, DEFAULT_FUEL, DEFAULT_MEMORY_MB, MAX_GUEST_DEPTH
from .instance import SMInstance
from .migration import continuation_brick
from .outcomes import (CROWDED, ErrorRecord, Failed, Finished, Migrate, NodeHost, Outcome, Paused,
                       Suspended)
from .runners import RunnerPool

__all__ = [
    "CROWDED", "DEFAULT_CPU_SECONDS", "DEFAULT_FUEL", "DEFAULT_MEMORY_MB", "ErrorRecord",
    "FORMAT_VERSION", "Failed", "Finished", "MAX_GUEST_DEPTH", "Migrate", "NodeHost", "Outcome",
    "Paused", "RunnerPool", "SMInstance", "Suspended", "continuation_brick",
]
