"""Smart-message virtual machine: compile, sandbox and migrate SM code."""
from .compiler import Brick, compile_brick
from .errors import (
    CompileError, ContinuationError, MigrationError, RemoteInputError, SMVMError,
    SourceError, StateDecodeError, StateEncodeError, UsageError, VMBug,
)
from .vm import DEFAULT_FUEL, DEFAULT_MEMORY_MB, ErrorRecord, SMInstance

__all__ = [
    "Brick", "CompileError", "ContinuationError", "DEFAULT_FUEL", "DEFAULT_MEMORY_MB",
    "ErrorRecord", "MigrationError", "RemoteInputError", "SMInstance",
    "SMVMError", "SourceError", "StateDecodeError", "StateEncodeError", "UsageError",
    "VMBug", "compile_brick",
]
