"""A fresh tag space for the tag-space tests."""
from __future__ import annotations

import pytest

from tagspace import TagSpace


@pytest.fixture
def space() -> TagSpace:
    return TagSpace("node-7", memory_limit_bytes=100_000, per_sm_limit_bytes=10_000)
