"""The node core: sans-I/O protocol and execution state of one node."""
from ._cache import CodeCache
from ._hops import HopState, RetryPolicy
from .core import BROADCAST, NodeConfig, NodeCore
from .events import HopCompleted, HopFailed, LogLine, SMAdmitted, SMFailed, SMFinished

__all__ = ["BROADCAST", "CodeCache", "HopCompleted", "HopFailed", "HopState", "LogLine",
           "NodeConfig", "NodeCore", "RetryPolicy", "SMAdmitted", "SMFailed", "SMFinished"]
