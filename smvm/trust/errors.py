"""Errors of the trust layer: remote input that fails verification, and local misuse."""
from __future__ import annotations

from ..errors import RemoteInputError, UsageError


class TrustError(RemoteInputError):
    """A signed record, a chain or a key from the network that does not verify."""


class TrustUsageError(UsageError):
    """A key file, a trust file or a state directory that cannot be used."""
