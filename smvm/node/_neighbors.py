"""Neighbours heard from beacons, forgotten when they fall silent."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable


@dataclass
class Neighbor:
    node_id: str
    link: Hashable
    position: tuple[float, float] | None
    last_heard: float
    static: bool = False  # configured links never expire


class NeighborTable:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self._by_id: dict[str, Neighbor] = {}

    def heard(self, node_id: str, link: Hashable, position, now: float, static: bool = False) -> None:
        old = self._by_id.get(node_id)
        self._by_id[node_id] = Neighbor(node_id, link, position, now, static or bool(old and old.static))

    def _alive(self, nb: Neighbor, now: float) -> bool:
        # gone from the instant the timeout is reached, so a timer set for
        # ``next_expiry`` always finds something to expire
        return nb.static or now < nb.last_heard + self.timeout  # the same sum as next_expiry

    def expire(self, now: float) -> list[str]:
        gone = [n for n, nb in self._by_id.items() if not self._alive(nb, now)]
        for n in gone:
            del self._by_id[n]
        return gone

    def ids(self, now: float) -> list[str]:
        return sorted(n for n, nb in self._by_id.items() if self._alive(nb, now))

    def positions(self, now: float) -> dict[str, list[float]]:
        return {n: [float(nb.position[0]), float(nb.position[1])]
                for n, nb in sorted(self._by_id.items())
                if nb.position is not None and self._alive(nb, now)}

    def entries(self, now: float) -> list[Neighbor]:
        """The live neighbours, by id (for a node's status)."""
        return [nb for n, nb in sorted(self._by_id.items()) if self._alive(nb, now)]

    def link(self, node_id: str) -> Hashable | None:
        nb = self._by_id.get(node_id)
        return None if nb is None else nb.link

    def next_expiry(self) -> float | None:
        heard = [nb.last_heard for nb in self._by_id.values() if not nb.static]
        return min(heard) + self.timeout if heard else None
