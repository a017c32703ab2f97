"""A daemon's stored bricks: written once, when the code cache takes a brick
in; loaded at start-up, each checked against its hash."""
from __future__ import annotations

import os

from smvm.daemon.bricks import BrickStore
from smvm.node import CodeCache

SOURCE = "def main():\n    return 1\n"


def test_a_brick_is_stored_when_the_cache_takes_it_and_loaded_next_time(tmp_path) -> None:
    folder = str(tmp_path / "bricks")
    cache = CodeCache()
    BrickStore(folder).load_into(cache)
    assert os.listdir(folder) == []
    brick = cache.add_source(SOURCE, "one")
    assert os.listdir(folder) == [brick.hash + ".py"]  # at once, no flush needed
    written = os.stat(os.path.join(folder, brick.hash + ".py")).st_mtime_ns
    cache.add_source(SOURCE, "one")  # the same brick again: not written again
    assert os.stat(os.path.join(folder, brick.hash + ".py")).st_mtime_ns == written

    restarted = CodeCache()
    BrickStore(folder).load_into(restarted)
    assert restarted.get(brick.hash) is not None and restarted.get(brick.hash).source == SOURCE


def test_a_stored_brick_that_does_not_match_its_hash_is_ignored(tmp_path, caplog) -> None:
    folder = tmp_path / "bricks"
    folder.mkdir()
    (folder / ("0" * 64 + ".py")).write_text(SOURCE)
    cache = CodeCache()
    BrickStore(str(folder)).load_into(cache)
    assert len(cache) == 0
    assert "ignoring stored brick" in caplog.text
    assert cache.add_source(SOURCE, "one") is not None  # the cache still serves
