"""What every test of the suite shares."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

# No wall-clock judgement in property tests: neither a per-example deadline
# nor the health check on slow data generation, which a busy machine running
# the suite on two workers would fail at random. Settings that a test gives
# itself start from this profile.
settings.register_profile("suite", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")
