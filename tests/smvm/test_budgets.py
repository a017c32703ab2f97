"""The budgets around a slice read the process's address space when they
arm the memory limit, and again at the end only when what the slices grew
it by is used afterwards."""
from __future__ import annotations

from smvm import budgets
from smvm.budgets import SliceLimits

MIB = 1 << 20


def test_the_address_space_is_read_again_only_when_its_growth_is_used(monkeypatch) -> None:
    real = budgets.address_space_bytes()
    assert real is not None
    reads: list[int] = []

    def growing() -> int:  # 1 MiB more at each read, from the real figure up
        reads.append(real + len(reads) * MIB)
        return reads[-1]

    monkeypatch.setattr(budgets, "address_space_bytes", growing)
    over = SliceLimits(64, None, lambda: None, 100)
    over.enter()
    over.leave(count_growth=False)     # a capture or an error ended the run
    assert len(reads) == 1 and over.grown == 0
    returned = SliceLimits(64, None, lambda: None, 100)
    returned.enter()
    returned.leave()                   # a value returned: encoded under what is left
    assert len(reads) == 3 and returned.grown == MIB


def test_a_paused_slice_still_counts_its_growth_for_the_next(monkeypatch) -> None:
    real = budgets.address_space_bytes()
    reads: list[int] = []

    def growing() -> int:
        reads.append(real + len(reads) * MIB)
        return reads[-1]

    monkeypatch.setattr(budgets, "address_space_bytes", growing)
    limits = SliceLimits(64, None, lambda: None, 100)
    limits.enter()
    limits.leave(keep_recursion=True, count_growth=False)
    limits.restore_recursion()         # counted once the SM is switched out
    assert limits.grown == MIB
