"""Journaled node cores: a node that crashes and comes back from its journal
keeps every SM it acknowledged, runs none twice, and wakes blocked SMs."""
from __future__ import annotations

import random

from sim.testing import WiredNet
from smvm.node import NodeConfig, NodeCore
from smvm.node import events as ev
from smvm.node.provenance import NodeTrust
from smvm.trust import NodeKey

CYCLE = '''
def main(hops):
    path = [node_id()]
    order = {"a": "b", "b": "c", "c": "a"}
    while len(path) <= hops:
        try:
            sys_migrate(order[node_id()])
        except MigrationError:
            continue
        path.append(node_id())
    return path
'''

WAITER = '''
def main():
    sys_migrate("b")
    value = block_tag("go", 60.0)
    return [node_id(), value]
'''

CONFIG = NodeConfig(beacon_interval=None)


class Journaled:
    """A core's journal as a driver keeps it: snapshots and seen hops."""

    def __init__(self, core: NodeCore):
        self.sms: dict[str, bytes] = {}
        self.seen: dict[bytes, float] = {}
        self.results: dict[str, bytes] = {}
        self.watch(core)

    def watch(self, core: NodeCore) -> None:
        take = core.events

        def events():
            out = take()
            for e in out:
                if isinstance(e, ev.SMDurable):
                    self.sms[e.sm_id] = e.snapshot
                elif isinstance(e, ev.SMReleased):
                    self.sms.pop(e.sm_id, None)
                    if e.arrived_by:
                        self.seen[e.arrived_by] = e.time
                elif isinstance(e, ev.ResultHeld):
                    self.results[e.sm_id] = e.record
                elif isinstance(e, ev.ResultReleased):
                    self.results.pop(e.sm_id, None)
            return out
        core.events = events


def _net(signed: bool, links=(("a", "b"), ("b", "c"), ("c", "a"))) -> tuple[WiredNet, dict[str, Journaled]]:
    net = WiredNet(["a", "b", "c"], links=list(links), signed=signed)
    journals = {}
    for name, core in list(net.cores.items()):
        core.durable = True
        journals[name] = Journaled(core)
    return net, journals


def _restart(net: WiredNet, journals: dict, name: str, seed: int) -> NodeCore:
    """``name`` dies and starts again from its journal and stored bricks."""
    old = net.cores[name]
    trust = NodeTrust(name, old.trust.key, old.trust.known) if old.trust else None
    new = NodeCore(name, CONFIG, seed=seed, trust=trust, durable=True)
    for brick in old.cache.bricks():  # the brick store of its state directory
        new.cache.add_remote(brick.hash, brick.source)
    journal = journals[name]
    for hop_id, when in journal.seen.items():
        new.remember_hop(hop_id, when)
    journal.watch(new)
    for snapshot in list(journal.sms.values()):
        new.recover(snapshot, net.now)
    for record in list(journal.results.values()):
        new.recover_result(record, net.now)
    net.cores[name] = new
    for a, b in net.links:
        if a == name:
            new.hear_neighbor(b, b, net.now)
    net.flush(new)
    return new


def test_a_node_killed_again_and_again_loses_and_duplicates_nothing() -> None:
    net, journals = _net(signed=True)
    rng = random.Random(4)
    net.inject("a", CYCLE, [60])
    t, recovered = 0.0, 0
    for crash in range(12):
        t += rng.uniform(0.002, 0.03)
        net.run(until=t)  # whatever was in flight at the crash is lost
        recovered += len(journals["b"].sms)
        _restart(net, journals, "b", seed=100 + crash)
    assert recovered >= 3, "b held the SM when it died, more than once"
    net.run()
    # it ends on its origin a: one end, no result frame
    [done] = net.of("SMFinished")
    assert done.value == [("a", "b", "c")[i % 3] for i in range(61)]
    assert sum(core.counters["sms_admitted"] for core in net.cores.values()) <= 60
    assert all(not j.sms for j in journals.values()), "no SM left in any journal"


def test_a_blocked_sm_wakes_after_its_node_restarts() -> None:
    net, journals = _net(signed=False)
    net.inject("a", WAITER)
    net.run(until=1.0)
    assert "a/1" in journals["b"].sms
    new = _restart(net, journals, "b", seed=7)
    new.woken(new.tagspace.create(new.tagspace.node_principal, "go", "now",
                                  access={"others": "rw"}, now=net.now) or ())
    net.flush(new)
    new.run_ready()
    net.flush(new)
    net.run()
    # it ended on b once, and its result reached its origin a
    assert [e.value for e in net.of("SMFinished")] == [["b", "now"], ["b", "now"]]
    assert not journals["b"].sms


def _cut(net: WiredNet, a: str, b: str) -> set:
    cut = {(a, b), (b, a)}
    net.links -= cut
    return cut


def test_a_result_waiting_for_delivery_survives_its_holders_crash() -> None:
    """b holds the result of an SM that ended there while its way back to the
    origin is cut; b dies and comes back; the result still arrives, once."""
    net, journals = _net(signed=True, links=[("a", "b")])
    net.inject("a", WAITER)
    net.run(until=1.0)
    assert "a/1" in journals["b"].sms
    cut = _cut(net, "a", "b")
    b = net.cores["b"]
    b.woken(b.tagspace.create(b.tagspace.node_principal, "go", "now",
                              access={"others": "rw"}, now=net.now) or ())
    b.run_ready()
    net.flush(b)
    net.run(until=net.now + 0.5)  # it ended on b; its result goes nowhere for now
    assert [e.node for e in net.of("SMFinished")] == ["b"]
    assert list(journals["b"].results) == ["a/1"] and not journals["b"].sms
    _restart(net, journals, "b", seed=11)
    net.links |= cut
    net.run()
    finished = net.of("SMFinished")
    assert [(e.node, e.value) for e in finished] == [("b", ["b", "now"]), ("b", ["b", "now"])]
    assert finished[1].sm_id == "a/1"  # the second one is the origin's: it arrived once
    assert not journals["b"].results, "the acknowledged result left the journal"


def test_a_result_is_resent_until_acknowledged_and_taken_once() -> None:
    """On a lossy link RESULTs and their ACKs get lost; the holder resends,
    the origin acknowledges every copy and takes the first."""
    resent = reacked = 0
    for seed in range(20):
        net = WiredNet(["a", "b"], drop=0.3, seed=seed)
        net.inject("a", "def main():\n    sys_migrate('b')\n    return node_id()\n")
        net.run()
        a, b = net.cores["a"], net.cores["b"]
        if not net.of("HopCompleted"):
            continue  # the hop itself failed: no result to carry
        assert [(e.node, e.value) for e in net.of("SMFinished")] == [("b", "b"), ("b", "b")]
        assert b.results_in_custody() == [], "the holder let go once acknowledged"
        resent += b.counters["result_retransmissions"]
        reacked += a.counters["results_duplicate"]
    assert resent >= 1 and reacked >= 1, (resent, reacked)


def test_a_result_nobody_acknowledges_is_given_up() -> None:
    net, journals = _net(signed=False, links=[("a", "b")])
    net.inject("a", WAITER)
    net.run(until=1.0)
    _cut(net, "a", "b")
    b = net.cores["b"]
    b.woken(b.tagspace.create(b.tagspace.node_principal, "go", 1, access={"others": "rw"},
                              now=net.now) or ())
    b.run_ready()
    net.flush(b)
    net.run()
    assert b.counters["results_lost"] == 1 and b.results_in_custody() == []
    assert not journals["b"].results
