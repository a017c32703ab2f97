"""Bounds applied to frames received from (and sent to) other nodes."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import WireUsageError

__all__ = ["DEFAULT_LIMITS", "WireLimits"]

_MiB = 1024 * 1024


@dataclass(frozen=True)
class WireLimits:
    """Decoding limits; ``encode`` checks the same ones so a sender learns early.

    Sizes of ``str`` fields are counted in characters, of ``bytes`` in bytes.
    """

    max_message: int = 16 * _MiB        # one whole encoded message, version byte included
    max_str: int = 64 * 1024            # any string but a brick source (reason, error text...)
    max_tags: int = 256                 # tags in a Beacon
    max_bricks: int = 256               # brick ids in an Offer/Accept, bricks in a Transfer
    max_source: int = 1 * _MiB          # source text of one brick (Transfer code, Inject)
    max_continuation: int = 8 * _MiB    # Transfer.continuation
    max_data: int = 8 * _MiB            # Transfer.data, Result/InjectReply.value, Inject.args
    max_error_items: int = 64           # entries of an error record
    max_code_bytes: int = 1 * _MiB      # all bricks of one Transfer, decompressed

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if type(value) is not int or value < 1:
                raise WireUsageError(f"WireLimits.{name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = WireLimits()
