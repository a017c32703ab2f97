"""What the attack tests share beyond ``sim.testing`` (cores fed raw frames):
running a brick as an SM in-process (the path of ``smvm exec``), and checks
that a node still serves a normal SM after an attack."""
from __future__ import annotations

from sim.line import run_line
from sim.testing import compile_pending, feed, inject_frame, replies, run_until_quiet
from smvm import statecodec, wire
from smvm.node import NodeCore

#: The SM every test runs after its attack: the node must still serve it.
BENIGN = '''
def main(n):
    total = 0
    for i in range(n):
        total += i
    create_tag("benign_" + str(n), total, 5)
    return [node_id(), read_tag("benign_" + str(n))]
'''


def spawn_loop(tries: int) -> str:
    """A brick that spawns a trivial child ``tries`` times, counting the
    spawns the node allows (a refused one raises ``RuntimeError``)."""
    return f'''
def child():
    return 1

def main():
    made = 0
    for i in range({tries}):
        try:
            spawn(child)
            made += 1
        except RuntimeError:
            pass
    return made
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


def assert_core_still_serves(node: NodeCore, now: float = 2.0) -> None:
    """A normal SM injected over the wire runs and answers."""
    replies(node)  # drop what the attack left queued
    frame = inject_frame(BENIGN, statecodec.dumps([7]))
    feed(node, frame, link="client", now=now)
    compile_pending(node, now)
    run_until_quiet(node)
    answers = [r for r in replies(node) if isinstance(r, wire.InjectReply)
               and r.request_id == frame.request_id]
    assert answers and answers[-1].ok, answers and answers[-1].error
    assert statecodec.loads(answers[-1].value)["value"] == [node.node_id, 21]
