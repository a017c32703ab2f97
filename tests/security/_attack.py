"""What the attack tests share: running a brick as an SM in-process (the
path of ``smvm exec``), a node core fed raw frames, and a check that a node
still serves a normal SM after an attack."""
from __future__ import annotations

import os

from sim.line import run_line
from smvm import wire
from smvm.node import NodeConfig, NodeCore

#: The SM every test runs after its attack: the node must still serve it.
BENIGN = '''
def main(n):
    total = 0
    for i in range(n):
        total += i
    create_tag("benign_" + str(n), total, 5)
    return [node_id(), read_tag("benign_" + str(n))]
'''


def exec_sm(source: str, *args, **kwargs):
    """How ``smvm exec`` runs a brick (two nodes on a line, in-process)."""
    kwargs.setdefault("nodes", 2)
    kwargs.setdefault("cpu_seconds", 10.0)
    return run_line(source, list(args), **kwargs)


def assert_exec_still_serves() -> None:
    result = exec_sm(BENIGN, 10)
    assert result.error is None, result.error
    assert result.result == ["0", 45]


def core(node_id: str = "n", **config) -> NodeCore:
    config.setdefault("beacon_interval", None)
    return NodeCore(node_id, NodeConfig(**config), seed=7)


def feed(node: NodeCore, frame, link="attacker", now: float = 1.0, mtu: int = 1200) -> list:
    """Send ``frame`` to ``node`` as datagrams; the frames it answers with."""
    message = wire.encode(frame) if not isinstance(frame, bytes) else frame
    for datagram in wire.fragment(message, int.from_bytes(os.urandom(4), "big"), mtu):
        node.receive(datagram, link, now)
    return replies(node)


def replies(node: NodeCore) -> list:
    out, reassembler = [], wire.Reassembler()
    for link, datagram in node.datagrams_to_send():
        message = reassembler.feed(datagram, link, 0.0)
        if message is not None:
            out.append(wire.decode(message))
    return out


def inject_frame(source: str, args_blob: bytes | None = None, *, wait: bool = True,
                 request_id: bytes | None = None) -> wire.Inject:
    from smvm import statecodec
    return wire.Inject(request_id or os.urandom(16), source,
                       statecodec.dumps([]) if args_blob is None else args_blob, wait)


def run_until_quiet(node: NodeCore, now: float = 1.0, rounds: int = 1000) -> None:
    for _ in range(rounds):
        if not node.has_ready:
            return
        node.run_ready()
    raise AssertionError("the node never went quiet")


def assert_core_still_serves(node: NodeCore, now: float = 2.0) -> None:
    """A normal SM injected over the wire runs and answers."""
    replies(node)  # drop what the attack left queued
    frame = inject_frame(BENIGN, _args(7))
    feed(node, frame, link="client", now=now)
    _compile_pending(node, now)
    run_until_quiet(node, now)
    answers = [r for r in replies(node) if isinstance(r, wire.InjectReply)
               and r.request_id == frame.request_id]
    assert answers and answers[-1].ok, answers and answers[-1].error
    from smvm import statecodec
    assert statecodec.loads(answers[-1].value)["value"] == [node.node_id, 21]


def _args(*values) -> bytes:
    from smvm import statecodec
    return statecodec.dumps(list(values))


def _compile_pending(node: NodeCore, now: float) -> None:
    """What a daemon's compiling thread does, done here."""
    from smvm.node import compile_bounded
    from smvm.errors import CompileError
    for brick_id, source, name in node.cache.take_pending():
        try:
            outcome = compile_bounded(source, name, node.config.limits)
        except CompileError as exc:
            outcome = exc
        node.finish_compile(brick_id, outcome, now)


def pair(**config):
    """Cores "a" and "b", neighbours of each other."""
    a, b = core("a", **config), core("b", **config)
    a.hear_neighbor("b", "b", 0.0)
    b.hear_neighbor("a", "a", 0.0)
    return a, b


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
