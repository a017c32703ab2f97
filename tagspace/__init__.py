"""Tag space: named, typed, protected and expiring memory of a node.

Standard library only and sans-I/O: time is always passed in as ``now``.

Decisions (the contract the VM and the SM primitives build on):

* **Identity.** ``Principal(sm_id, family, origin, code)`` is held by the VM;
  SM code never sets it.
* **Domains.** owner (same ``sm_id``), family (same ``family``), origin (same
  ``origin``), code (the requester carries *all* brick hashes named by the tag;
  an empty set matches nobody), others (everyone). Rights are the **union**
  over every domain the requester belongs to. Default access: owner "rw",
  all other domains "". Default code set: the creator's bricks.
* **Operations.** read needs "r"; write and delete need "w"; ``exists`` and
  ``info`` need nothing (names are public, values are protected); waiting on an
  existing tag needs "r".
* **Create.** A live name cannot be created again (``TagNameTaken``); ``create``
  never overwrites. Names: non-empty printable str, at most 256 characters,
  not starting with "_" (reserved for the node's I/O tags).
* **Lifetimes.** A tag expires at ``now + lifetime`` (None: never) and is gone
  for everyone from that instant, even before ``expire`` removes it. A write
  renews it (expiry = write time + the creation lifetime) unless
  ``renew=False``; reads never renew.
* **Quotas.** Tags are charged to their owner and to the node with a
  deterministic size estimate (``estimate_size``; a tag costs 64 + its name +
  its value). Growing someone else's tag charges its owner.
* **I/O tags.** Served by providers (``read(now)``, optional ``write``); the
  standard ones are ``node_id``, ``time``, ``status``, ``neighbors`` and
  ``location``. Read-only unless the provider is writable (``ReadOnlyTag``).
* **Waiters.** ``wait`` registers a token; ``create``/``write``/``io_updated``
  return the ``Woken`` events, ``timeouts(now)`` the ``TimedOut`` ones.
"""
from ._domains import (DEFAULT_ACCESS, DOMAINS, READ, WRITE, Access, domains_of,
                       effective_rights)
from ._errors import (AccessDenied, BadTagArgument, IOTagUnavailable, QuotaExceeded,
                      ReadOnlyTag, TagNameTaken, TagMissing, TagOperationError, TagSpaceError,
                      TagUsageError)
from ._events import (Event, IOTagUpdated, TagCreated, TagDeleted, TagExpired, TagWritten,
                      TimedOut, Woken)
from ._iotags import Clock, IOTag, NodeStatus, StaticValue, Unavailable
from ._mock import MockActuator, MockSensor, diurnal
from ._persist import export_tag, restore_tag
from ._principal import Principal
from ._ioregistry import IO_VALUE_LIMIT
from ._space import TagSpace
from ._tag import TagInfo
from ._values import MAX_DEPTH, MAX_NAME_LENGTH, TAG_OVERHEAD, estimate_size

__all__ = [
    "export_tag", "restore_tag",
    "Access", "DEFAULT_ACCESS", "DOMAINS", "READ", "WRITE", "domains_of", "effective_rights",
    "TagSpaceError", "TagOperationError", "AccessDenied", "ReadOnlyTag", "TagMissing",
    "IOTagUnavailable", "TagNameTaken", "QuotaExceeded", "TagUsageError", "BadTagArgument",
    "Event", "TagCreated", "TagWritten", "IOTagUpdated", "TagDeleted", "TagExpired", "Woken",
    "TimedOut",
    "IOTag", "StaticValue", "Clock", "NodeStatus", "Unavailable",
    "MockSensor", "MockActuator", "diurnal",
    "Principal", "TagSpace", "TagInfo", "IO_VALUE_LIMIT",
    "estimate_size", "TAG_OVERHEAD", "MAX_DEPTH", "MAX_NAME_LENGTH",
]
