"""The node core: sans-I/O protocol and execution state of one node."""
from ._cache import CodeCache, SharedCaches, compile_bounded
from ._hops import HopEvent, HopState, RetryPolicy
from .core import BROADCAST, NodeConfig, NodeCore, Ready
from ._inspect import SMView
from .events import HopCompleted, HopFailed, LogLine, SMAdmitted, SMFailed, SMFinished

__all__ = ["BROADCAST", "CodeCache", "compile_bounded", "HopCompleted", "HopEvent", "HopFailed",
           "HopState", "LogLine", "NodeConfig", "NodeCore", "Ready", "RetryPolicy", "SharedCaches",
           "SMAdmitted", "SMFailed", "SMFinished", "SMView"]
