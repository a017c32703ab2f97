"""The constructs added to the SM language for ordinary programs: methods
named like list's scanning methods, ``with``, ``print(file=...)`` and
``functools.lru_cache``; each checked for what CPython does and for what it
costs (fuel), beside the differential corpus (``corpus/class_scan_methods``,
``corpus/with_*``...)."""
from __future__ import annotations

from sim.line import run_line

_SCAN = '''
class Bag:
    def count(self, item):
        sys_migrate("1")
        return 0


def main(n):
    items = ["x" * 4096 + str(i) for i in range(n)]
    probe = "x" * 4096 + "-"
    found = items.count(probe) + len(items)
    return found, Bag().count(probe)
'''


def test_scan_calls_that_may_run_a_migrating_method_are_still_charged():
    """``items.count(long_text)`` compares up to the text's end with each
    item: charged by length times items, also where the call had to stay a
    plain method call because a brick class has a migrating ``count``."""
    small = run_line(_SCAN, [2000], fuel=10_000_000)
    assert small.error is None and small.result == (2000, 0) and small.node == "1"
    cheap = run_line(_SCAN.replace('"x" * 4096 + "-"', '"-"'), [2000], fuel=10_000_000)
    assert cheap.error is None
    # 2000 items x (1 + 4097 // 64) chunks / 16 items per unit: ~8,000 units more
    assert small.fuel - cheap.fuel >= 7_000
