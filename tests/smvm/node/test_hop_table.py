"""The hop protocol's transition table: complete for the live states, every
declared state used, and a hop's path through it as the core reports it."""
from __future__ import annotations

from sim.testing import WiredNet
from smvm.node import HopEvent, HopState, NodeConfig
from smvm.node._outgoing import TRANSITIONS

LIVE = (HopState.OFFERED, HopState.TRANSFERRED)
FINAL = (HopState.DONE, HopState.FAILED)


def test_every_event_in_a_live_state_has_one_transition() -> None:
    assert set(TRANSITIONS) == {(state, event) for state in LIVE for event in HopEvent}


def test_every_declared_state_is_reached_and_final_states_lead_nowhere() -> None:
    targets = {next_state for _, next_state in TRANSITIONS.values()}
    assert targets == set(HopState)
    assert not any(state in FINAL for state, _ in TRANSITIONS)


def test_an_acknowledged_transfer_is_done_and_a_rejected_one_failed() -> None:
    handler, after = TRANSITIONS[HopState.TRANSFERRED, HopEvent.ACK]
    assert after is HopState.DONE
    assert TRANSITIONS[HopState.OFFERED, HopEvent.REJECT][1] is HopState.FAILED
    assert TRANSITIONS[HopState.TRANSFERRED, HopEvent.REJECT_MISSING_BRICK][1] is HopState.OFFERED
    assert TRANSITIONS[HopState.OFFERED, HopEvent.GIVE_UP][1] is HopState.FAILED


def test_a_hop_is_offered_then_transferred_and_leaves_the_table_when_done() -> None:
    net = WiredNet(["a", "b"], config=NodeConfig(beacon_interval=None))
    a = net.cores["a"]
    sm_id = a.inject("def main():\n    sys_migrate('b')\n    return node_id()\n")
    a.run_ready()
    assert a.hops_under_way() == [(sm_id, "b", "offered")]
    assert a.sm(sm_id).state == "migrating"
    net.flush(a)
    net.run()
    assert a.hops_under_way() == [] and a.sm(sm_id) is None
    assert {(e.sm_id, e.value) for e in net.of("SMFinished")} == {(sm_id, "b")}
    # b now holds the brick: the next hop skips the offer
    again = a.inject("def main():\n    sys_migrate('b')\n    return node_id()\n")
    a.run_ready()
    assert a.hops_under_way() == [(again, "b", "transferred")]
