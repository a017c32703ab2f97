"""The process's own limits are the same after SMs ran in slices, even one
paused at the edge of its recursion limit (the budgets of a slice must never
outlive it: a leaked address-space limit breaks whatever the host runs next)."""
from __future__ import annotations

import resource
import sys

from smvm.node import NodeConfig, NodeCore

DEEP = '''
def down(n):
    for i in range(100):
        pass
    return 0 if n == 0 else 1 + down(n - 1)

def main(n):
    return down(n)
'''


def test_sliced_sms_leave_the_host_limits_as_they_found_them() -> None:
    before = (resource.getrlimit(resource.RLIMIT_AS), sys.getrecursionlimit())
    core = NodeCore("n", NodeConfig(beacon_interval=None, fuel_slice=1_000))
    ids = [core.inject(DEEP, [n]) for n in (350, 2_000, 5_000)]
    while core.has_ready:
        core.run_ready()
    ended = {e.sm_id: getattr(e, "value", None) or e.error["type"] for e in core.events()
             if type(e).__name__ in ("SMFinished", "SMFailed")}
    assert ended == {ids[0]: 350, ids[1]: "RecursionLimit", ids[2]: "RecursionLimit"}
    assert (resource.getrlimit(resource.RLIMIT_AS), sys.getrecursionlimit()) == before
