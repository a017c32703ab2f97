"""Node cores wired by hand, for tests: what a test of the node needs without a
radio, a mobility model or a scenario.

Two shapes, both without I/O:

- ``WiredNet``: cores on point-to-point links that can drop, duplicate, delay
  and reorder datagrams (seeded), run on the simulator's kernel
  (``sim.kernel.Simulation``): deliveries and every core's timers are kernel
  events in virtual time, so a run is the same for the same seed.
- Single cores fed frames by the test itself: ``core``/``pair`` build them,
  ``feed`` sends a frame and returns the frames the node answers with,
  ``shuttle`` carries datagrams between two cores until they are quiet,
  ``run_until_quiet`` runs a core's ready SMs, ``compile_pending`` does what a
  daemon's compiling thread does.

Everything here drives a core through its public interface (``receive``,
``handle_timer``, ``run_ready``, ``datagrams_to_send``, ``events``).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from smvm import statecodec, wire
from smvm.errors import CompileError
from smvm.node import BROADCAST, NodeConfig, NodeCore, SharedCaches, compile_bounded
from smvm.node.provenance import NodeTrust
from smvm.trust import NodeKey

from .kernel import Simulation

__all__ = ["WiredNet", "compile_pending", "core", "feed", "inject_frame", "pair", "replies",
           "run_until_quiet", "shuttle"]


class WiredNet:
    """Cores ``ids`` on the links ``links`` (default: a line in ``ids`` order),
    neighbours of each other from the start; beacons off unless ``config`` says
    otherwise. ``signed`` gives every node a key drawn from its id.

    Each datagram crossing a link is dropped with probability ``drop``, sent
    twice with probability ``duplicate``, and arrives ``delay`` plus up to
    ``jitter`` seconds later. ``links`` is a set of directed pairs a test may
    cut or restore between runs; ``cores`` may have a core replaced (a node
    restarting): deliveries and timers address nodes by id.
    """

    def __init__(self, ids: Sequence[str], *, config: NodeConfig | None = None, seed: int = 1,
                 drop: float = 0.0, duplicate: float = 0.0, jitter: float = 0.0,
                 delay: float = 0.002, links: Iterable[tuple[str, str]] | None = None,
                 signed: bool = False) -> None:
        config = config or NodeConfig(beacon_interval=None)
        caches = SharedCaches()  # one process: the cores share compiled bricks
        self.cores: dict[str, NodeCore] = {
            i: NodeCore(i, config, seed=seed + n, caches=caches,
                        trust=NodeTrust(i, NodeKey.from_seed(i.encode())) if signed else None)
            for n, i in enumerate(ids)}
        self.sim = Simulation(seed)
        self.rng = self.sim.rng
        self.drop, self.duplicate, self.jitter, self.delay = drop, duplicate, jitter, delay
        self.events: list = []
        pairs = list(links) if links is not None else list(zip(ids, ids[1:]))
        self.links = {(a, b) for a, b in pairs} | {(b, a) for a, b in pairs}
        for a, b in sorted(self.links):
            self.cores[a].hear_neighbor(b, b, 0.0)
        #: datagrams handed to a core so far
        self.delivered = 0

    @property
    def now(self) -> float:
        return self.sim.now

    def flush(self, core: NodeCore) -> None:
        """Carry what ``core`` queued onto the links; collect its events; arm its timer."""
        sim, rng = self.sim, self.rng
        for link, datagram in core.datagrams_to_send():
            targets = ([b for (a, b) in self.links if a == core.node_id]
                       if link == BROADCAST else [link])
            for target in targets:
                if (core.node_id, target) not in self.links or rng.random() < self.drop:
                    continue
                copies = 2 if rng.random() < self.duplicate else 1
                for _ in range(copies):
                    sim.schedule(self.delay + rng.random() * self.jitter,
                                 self._deliver, target, core.node_id, datagram)
        self.events.extend(core.events())
        deadline = core.next_deadline()
        if deadline is not None:
            sim.schedule_at(max(deadline, sim.now), self._timer, core.node_id)

    def _deliver(self, target: str, source: str, datagram: bytes) -> None:
        core = self.cores[target]
        core.receive(datagram, source, self.sim.now)
        self.delivered += 1
        core.run_ready()
        self.flush(core)

    def _timer(self, node: str) -> None:
        core = self.cores[node]
        if (core.next_deadline() or 0) > self.sim.now + 1e-12 and not core.has_ready:
            return  # armed for a deadline that has since moved
        core.handle_timer(self.sim.now)
        core.run_ready()
        self.flush(core)

    def run(self, until: float | None = None, max_events: int = 10_000_000) -> int:
        """Let every core act now, then run deliveries and timers in virtual
        time until nothing is left (or up to ``until``); how many events ran."""
        for core in self.cores.values():
            core.handle_timer(self.sim.now)
            core.run_ready()
            self.flush(core)
        return self.sim.run(until=until, max_events=max_events)

    def inject(self, node: str, source: str, args=(), name: str = "brick.py") -> str:
        """Inject ``source`` at ``node`` now and send what it does first; the SM's id."""
        core = self.cores[node]
        sm_id = core.inject(source, args, self.sim.now, name=name)
        core.run_ready()
        self.flush(core)
        return sm_id

    def of(self, kind: str) -> list:
        """The events seen so far whose type is named ``kind`` ("SMFinished")."""
        return [e for e in self.events if type(e).__name__ == kind]


# --- single cores, fed by the test ------------------------------------------------


def core(node_id: str = "n", *, seed: int = 7, **config) -> NodeCore:
    """A core with ``NodeConfig(**config)``, beacons off unless given."""
    config.setdefault("beacon_interval", None)
    return NodeCore(node_id, NodeConfig(**config), seed=seed)


def pair(**config) -> tuple[NodeCore, NodeCore]:
    """Cores "a" and "b", neighbours of each other."""
    a, b = core("a", **config), core("b", **config)
    a.hear_neighbor("b", "b", 0.0)
    b.hear_neighbor("a", "a", 0.0)
    return a, b


def feed(node: NodeCore, frame, link: str = "peer", now: float = 1.0, mtu: int = 1200) -> list:
    """Send ``frame`` (a frame or its encoded bytes) to ``node`` from ``link``
    as datagrams; the frames it answers with (its whole send queue)."""
    message = wire.encode(frame) if not isinstance(frame, bytes) else frame
    for datagram in wire.fragment(message, int.from_bytes(os.urandom(4), "big"), mtu):
        node.receive(datagram, link, now)
    return replies(node)


def replies(node: NodeCore) -> list:
    """Take ``node``'s send queue and decode the frames in it."""
    out, reassembler = [], wire.Reassembler()
    for link, datagram in node.datagrams_to_send():
        message = reassembler.feed(datagram, link, 0.0)
        if message is not None:
            out.append(wire.decode(message))
    return out


def inject_frame(source: str, args_blob: bytes | None = None, *, wait: bool = True,
                 request_id: bytes | None = None) -> wire.Inject:
    """The INJECT frame a client sends for ``source`` (no arguments unless given)."""
    return wire.Inject(request_id or os.urandom(16), source,
                       statecodec.dumps([]) if args_blob is None else args_blob, wait)


def run_until_quiet(node: NodeCore, rounds: int = 1000) -> None:
    """Run ``node``'s ready SMs until none is ready (fails after ``rounds``)."""
    for _ in range(rounds):
        if not node.has_ready:
            return
        node.run_ready()
    raise AssertionError("the node never went quiet")


def compile_pending(node: NodeCore, now: float) -> None:
    """Compile the bricks ``node`` waits for, as a daemon's compiling thread does."""
    for brick_id, source, name in node.cache.take_pending():
        try:
            outcome = compile_bounded(source, name, node.config.limits)
        except CompileError as exc:
            outcome = exc
        node.finish_compile(brick_id, outcome, now)


def shuttle(a: NodeCore, b: NodeCore, now: float = 1.0, *, run_b: bool = False,
            rounds: int = 50) -> None:
    """Carry datagrams between ``a`` and ``b`` until neither sends; ``a``
    runs its SMs, ``b`` only if ``run_b``."""
    for _ in range(rounds):
        a.run_ready()
        if run_b:
            b.run_ready()
        moved = False
        for src, dst in ((a, b), (b, a)):
            for _link, datagram in src.datagrams_to_send():
                dst.receive(datagram, src.node_id, now)
                moved = True
        if not moved and not a.has_ready and not (run_b and b.has_ready):
            return
