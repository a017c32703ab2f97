"""The node daemon: the node core on a device, driven by trio over UDP.

``driver`` is the daemon itself (the socket, timers and signals); ``config``
what it is told to be; ``durability`` its journal and ``bricks`` its stored
bricks (with a state directory); ``logs`` its log lines. The worker
processes SM slices run in are ``smvm.workers``, the client that injects SMs
into a daemon ``smvm.client``, zeroconf ``smvm.discovery`` and the GPS loop
``smvm.drivers.gps_loop``.
"""
from .config import DaemonConfig
from .driver import NodeDaemon, run_daemon
from .durability import JOURNAL

__all__ = ["DaemonConfig", "JOURNAL", "NodeDaemon", "run_daemon"]
