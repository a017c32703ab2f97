"""The memory accounting of a tag space: bytes held per owner and per node,
checked against the quotas (part of ``TagSpace``)."""
from __future__ import annotations

from collections.abc import Callable

from ._errors import QuotaExceeded
from ._tag import Tag


class Quotas:
    """Byte counts of the stored tags, per owner and for the node."""

    node_id: str
    memory_limit_bytes: int | None
    per_sm_limit_bytes: int | None
    _tags: dict[str, Tag]
    _used: int
    _used_by: dict[str, int]
    expire: Callable[[float], list[str]]

    @property
    def used_bytes(self) -> int:
        """Estimated bytes held by stored tags (expired ones until removed)."""
        return self._used

    @property
    def free_bytes(self) -> int | None:
        """Node tag memory left, or None without a node limit."""
        if self.memory_limit_bytes is None:
            return None
        return self.memory_limit_bytes - self._used

    @property
    def stored_count(self) -> int:
        return len(self._tags)

    def used_by(self, sm_id: str) -> int:
        """Estimated bytes of the tags owned by ``sm_id``."""
        return self._used_by.get(sm_id, 0)

    def _charge(self, owner_id: str, delta: int, name: str, now: float) -> None:
        """Account ``delta`` bytes to the owner and the node, or raise QuotaExceeded."""
        per_sm, node = self.per_sm_limit_bytes, self.memory_limit_bytes
        used_by = self._used_by
        if delta > 0 and ((per_sm is not None and used_by.get(owner_id, 0) + delta > per_sm)
                          or (node is not None and self._used + delta > node)):
            self.expire(now)  # expired tags may still hold memory
            sm_used = self._used_by.get(owner_id, 0)
            if per_sm is not None and sm_used + delta > per_sm:
                raise QuotaExceeded(
                    f"tag {name!r} needs {delta} more bytes but SM {owner_id!r} already holds "
                    f"{sm_used} of its per-SM limit of {per_sm} bytes",
                    name=name, limit_name="per_sm", limit=per_sm, used=sm_used, needed=delta)
            if node is not None and self._used + delta > node:
                raise QuotaExceeded(
                    f"tag {name!r} needs {delta} more bytes but node {self.node_id!r} already "
                    f"holds {self._used} of its tag memory limit of {node} bytes",
                    name=name, limit_name="node", limit=node, used=self._used, needed=delta)
        self._used += delta
        left = used_by.get(owner_id, 0) + delta
        if left:
            used_by[owner_id] = left
        else:
            del used_by[owner_id]

    def _too_large(self, name: str, at_least: int) -> QuotaExceeded:
        per_sm, node = self.per_sm_limit_bytes, self.memory_limit_bytes
        if per_sm is not None and (node is None or per_sm <= node):
            kind, limit = "per_sm", per_sm
        else:
            kind, limit = "node", node or 0
        label = "per-SM limit" if kind == "per_sm" else "node tag memory limit"
        return QuotaExceeded(f"value for tag {name!r} is larger than the {label} of {limit} bytes",
                             name=name, limit_name=kind, limit=limit, used=0, needed=at_least)

    def _remove(self, tag: Tag) -> None:
        """Forget a stored tag and what it was charged."""
        del self._tags[tag.name]
        self._used -= tag.size
        left = self._used_by[tag.owner_id] - tag.size
        if left:
            self._used_by[tag.owner_id] = left
        else:
            del self._used_by[tag.owner_id]

    def _release(self, owner_id: str, size: int) -> None:
        self._used -= size
        left = self._used_by.get(owner_id, 0) - size
        if left > 0:
            self._used_by[owner_id] = left
        else:
            self._used_by.pop(owner_id, None)
