"""The budgets an SM runs under when its node sets none."""
from __future__ import annotations

#: Defaults chosen so an endless loop or allocation ends within seconds.
DEFAULT_FUEL = 100_000_000
DEFAULT_MEMORY_MB = 256.0
#: CPU seconds one execution slice may use (backstop for long C operations).
DEFAULT_CPU_SECONDS = 10.0
MAX_GUEST_DEPTH = 400
