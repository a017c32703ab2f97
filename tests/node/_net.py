"""A hand-wired network of node cores in virtual time, for tests.

Datagrams go through links that can drop, duplicate, delay and reorder them
(seeded), and every core's timers fire on the virtual clock. No I/O.
"""
from __future__ import annotations

import heapq
import itertools
import random

from smvm.node import BROADCAST, NodeConfig, NodeCore, SharedCaches
from smvm.node.provenance import NodeTrust
from smvm.trust import NodeKey


class Net:
    def __init__(self, ids, *, config: NodeConfig | None = None, seed: int = 1, drop: float = 0.0,
                 duplicate: float = 0.0, jitter: float = 0.0, delay: float = 0.002, links=None,
                 signed: bool = False):
        config = config or NodeConfig(beacon_interval=None)
        caches = SharedCaches()  # one process: the cores share compiled bricks
        self.cores = {i: NodeCore(i, config, seed=seed + n, caches=caches,
                                  trust=NodeTrust(i, NodeKey.from_seed(i.encode())) if signed else None)
                      for n, i in enumerate(ids)}
        self.rng = random.Random(seed)
        self.drop, self.duplicate, self.jitter, self.delay = drop, duplicate, jitter, delay
        self.now = 0.0
        self._queue: list = []
        self._seq = itertools.count()
        self.events = []
        pairs = links if links is not None else list(zip(ids, ids[1:]))
        self.links = {(a, b) for a, b in pairs} | {(b, a) for a, b in pairs}
        for a, b in self.links:
            self.cores[a].hear_neighbor(b, b, 0.0)
        self.delivered = 0

    def _push(self, when, action):
        heapq.heappush(self._queue, (when, next(self._seq), action))

    def flush(self, core: NodeCore) -> None:
        """Carry what ``core`` queued onto the links; collect its events; arm its timer."""
        for link, datagram in core.datagrams_to_send():
            targets = [b for (a, b) in self.links if a == core.node_id] if link == BROADCAST else [link]
            for target in targets:
                if (core.node_id, target) not in self.links or self.rng.random() < self.drop:
                    continue
                copies = 2 if self.rng.random() < self.duplicate else 1
                for _ in range(copies):
                    when = self.now + self.delay + self.rng.random() * self.jitter
                    self._push(when, ("deliver", target, core.node_id, datagram))
        self.events.extend(core.events())
        deadline = core.next_deadline()
        if deadline is not None:
            self._push(max(deadline, self.now), ("timer", core.node_id))

    def run(self, until: float = 1e9, max_steps: int = 10_000_000) -> None:
        for core in self.cores.values():
            core.handle_timer(self.now)
            core.run_ready()
            self.flush(core)
        steps = 0
        while self._queue and steps < max_steps:
            when, _, action = heapq.heappop(self._queue)
            if when > until:
                break
            steps += 1
            self.now = max(self.now, when)
            if action[0] == "deliver":
                _, target, source, datagram = action
                core = self.cores[target]
                core.receive(datagram, source, self.now)
                core.run_ready()
                self.delivered += 1
            else:
                core = self.cores[action[1]]
                if (core.next_deadline() or 0) > self.now + 1e-12 and not core.has_ready:
                    continue  # a stale timer entry
                core.handle_timer(self.now)
                core.run_ready()
            core.run_ready()
            self.flush(core)

    def inject(self, node, source, args=(), name="brick.py"):
        sm_id = self.cores[node].inject(source, args, self.now, name=name)
        self.cores[node].run_ready()
        self.flush(self.cores[node])
        return sm_id

    def of(self, kind):
        return [e for e in self.events if type(e).__name__ == kind]
