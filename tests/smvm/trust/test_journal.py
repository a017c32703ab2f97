"""The journal: what was put survives reopening; a torn tail is cut, never misread."""
from __future__ import annotations

import pytest

from smvm.journal import COMPACT_AFTER, Journal, JournalError


@pytest.mark.parametrize("sync", ["always", "never"])
def test_records_survive_reopening(tmp_path, sync) -> None:
    j = Journal(tmp_path / "j", sync=sync)
    j.put("sm/1", b"one")
    j.put("sm/2", b"two")
    j.put("sm/1", b"one again")
    j.delete("sm/2")
    j.close()  # a killed process loses nothing that was written: no close needed either
    again = Journal(tmp_path / "j")
    assert again.live == {"sm/1": b"one again"} and again.torn_bytes == 0


def test_a_torn_or_corrupt_tail_is_cut_off(tmp_path) -> None:
    j = Journal(tmp_path / "j")
    j.put("a", b"x" * 100)
    j.put("b", b"y" * 100)
    j.close()
    data = (tmp_path / "j").read_bytes()
    (tmp_path / "j").write_bytes(data[:-7])  # died while writing "b"
    again = Journal(tmp_path / "j")
    assert again.live == {"a": b"x" * 100} and again.torn_bytes > 0
    again.put("c", b"z")
    again.close()
    # a flipped bit in a record stops the replay there
    data = bytearray((tmp_path / "j").read_bytes())
    data[20] ^= 0xFF
    (tmp_path / "j").write_bytes(bytes(data))
    assert Journal(tmp_path / "j").live == {}


def test_compaction_keeps_only_live_records(tmp_path) -> None:
    j = Journal(tmp_path / "j", sync="never")
    for i in range(300):
        j.put("hot", bytes(8192))
        j.put(f"k{i}", b"v")
        j.delete(f"k{i}")
    written = 300 * (8192 + 2 * 20)
    assert (tmp_path / "j").stat().st_size < COMPACT_AFTER + 3 * 8300 < written // 5
    j.close()
    assert Journal(tmp_path / "j").live == {"hot": bytes(8192)}


def test_bad_policy_or_unusable_path_is_a_journal_error(tmp_path) -> None:
    with pytest.raises(JournalError, match="sync policy"):
        Journal(tmp_path / "j", sync="sometimes")
    with pytest.raises(JournalError, match="cannot use"):
        Journal(tmp_path / "missing-dir" / "j")
