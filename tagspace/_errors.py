"""Errors raised by the tag space.

One root, ``TagSpaceError``, with two branches kept apart on purpose:

* ``TagOperationError``: a well-formed request was refused (no such tag, no
  right, quota full, name taken). These are the guest-visible outcomes; the VM
  translates them for SM code::

      AccessDenied, ReadOnlyTag  -> TagAccessError
      TagMissing, IOTagUnavailable -> TagNotFound
      QuotaExceeded              -> TagQuotaError
      TagNameTaken               -> TagExists (the guest's name for it)

  (``TagTimeout`` has no counterpart here: a timed-out wait is reported as a
  ``TimedOut`` event, not raised.)

* ``TagUsageError``: local misuse. ``BadTagArgument`` (also a ``ValueError``)
  means an argument is malformed -- a bad name, a value that is not plain data,
  a bad lifetime, access spec or code set. SM code can cause it through the
  primitives, so the VM should turn it into a guest ``ValueError``/``TypeError``.
  A bare ``TagUsageError`` means the host called the API wrongly (for example,
  registering an I/O tag twice); from the VM that is a bug of the VM.
"""
from __future__ import annotations


class TagSpaceError(Exception):
    """Root of every error raised by ``tagspace``."""


# --- refused operations (guest-visible after translation) ---------------------

class TagOperationError(TagSpaceError):
    """A well-formed tag operation was refused."""

    def __init__(self, message: str, *, name: str | None = None):
        super().__init__(message)
        self.name = name


class AccessDenied(TagOperationError):
    """The requester's protection domains do not grant the operation.

    ``operation`` is "read", "write", "delete" or "wait"; ``domains`` lists the
    domains the requester belongs to for this tag, most specific first, and
    ``domain`` is the first of them.
    """

    def __init__(self, message: str, *, name: str | None = None, operation: str = "",
                 sm_id: str = "", domains: tuple[str, ...] = ()):
        super().__init__(message, name=name)
        self.operation = operation
        self.sm_id = sm_id
        self.domains = domains
        self.domain = domains[0] if domains else ""


class ReadOnlyTag(AccessDenied):
    """Write or delete of an I/O tag whose driver accepts no such operation."""


class TagMissing(TagOperationError):
    """No tag of that name exists (never created, deleted, or expired)."""


class IOTagUnavailable(TagMissing):
    """An I/O tag is registered but its driver has no value right now.

    Providers raise it from ``read`` (for example a GPS without a fix); the
    tag space re-raises it with the tag name in the message.
    """


class TagNameTaken(TagOperationError):
    """``create`` of a name that is already taken by a live tag or an I/O tag."""


class QuotaExceeded(TagOperationError):
    """Creating or growing a tag would exceed a tag-memory limit.

    ``limit_name`` is "per_sm", "node" or "io" (largest I/O value); ``limit``,
    ``used`` and ``needed`` are in estimated bytes (see ``tagspace.estimate_size``).
    """

    def __init__(self, message: str, *, name: str | None = None, limit_name: str = "",
                 limit: int = 0, used: int = 0, needed: int = 0):
        super().__init__(message, name=name)
        self.limit_name = limit_name
        self.limit = limit
        self.used = used
        self.needed = needed


# --- local misuse ----------------------------------------------------------------

class TagUsageError(TagSpaceError):
    """The tag-space API was used wrongly by its caller."""


class BadTagArgument(TagUsageError, ValueError):
    """An argument (name, value, lifetime, access, code set) is malformed."""
