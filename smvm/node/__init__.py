"""The node core: sans-I/O protocol and execution state of one node."""
from ._cache import CodeCache, compile_bounded
from ._hops import HopState, RetryPolicy
from .core import BROADCAST, NodeConfig, NodeCore
from .events import HopCompleted, HopFailed, LogLine, SMAdmitted, SMFailed, SMFinished

__all__ = ["BROADCAST", "CodeCache", "compile_bounded", "HopCompleted", "HopFailed", "HopState", "LogLine",
           "NodeConfig", "NodeCore", "RetryPolicy", "SMAdmitted", "SMFailed", "SMFinished"]
