"""Attacks through the standard modules and generators on a node: forged
states of their values in an arriving continuation are refused, and hostile
work with them ends only the SM that does it; the node serves afterwards."""
from __future__ import annotations

import random

import msgpack
import pytest

from sim.testing import feed, pair, shuttle
from smvm import statecodec, wire
from smvm.vm import FORMAT_VERSION

from ._attack import assert_core_still_serves, exec_sm

RANDOM_USER = "import random\n\ndef main():\n    x = random.random()\n    sys_migrate('b')\n" \
              "    return x + random.random()\n"


def _forged_transfer(b, fields) -> wire.Transfer:
    brick = b.cache.bricks()[0]
    fid = next(f for f in brick.functions if f.startswith("main"))
    host = msgpack.ExtType(statecodec.HOST, b"")
    state = msgpack.packb({"v": FORMAT_VERSION, "brick": brick.hash, "entry": "main",
                           "frames": [[fid, 1, {}]], "globals": {}, "defaults": {},
                           "request": {"kind": "migrate", "target": "b"}, "fuel": 0,
                           "random": [host, "random", None, fields]})
    return wire.Transfer(b"h" * 16, "a/9", {"sm_id": "a/9", "family": "a/9", "origin": "a"},
                         state, (), b"")


def _words():
    _, words, gauss = random.Random(3).getstate()
    return list(words), gauss


@pytest.mark.parametrize("tamper", ["word_too_big", "bad_index", "all_zero", "short"])
def test_a_forged_random_state_is_refused_on_arrival(tamper):
    a, b = pair()
    a.inject(RANDOM_USER, [], 0.0)
    shuttle(a, b)  # b now holds the brick
    words, gauss = _words()
    fields = {"word_too_big": [[1 << 33] + words[1:], gauss],
              "bad_index": [words[:-1] + [9999], gauss],
              "all_zero": [[0] * 624 + [1], gauss],
              "short": [words[:100], gauss]}[tamper]
    answers = feed(b, _forged_transfer(b, fields), link="a")
    assert [type(x).__name__ for x in answers] == ["Reject"]
    assert_core_still_serves(b)


HOSTILE = {
    "deep_chain": "import itertools\n\ndef main():\n    sys_migrate('1')\n    it = iter([1])\n"
                  "    for i in range(100000):\n        it = itertools.chain(it)\n    return next(it)\n",
    "deep_json": "import json\n\ndef main():\n    sys_migrate('1')\n"
                 "    return json.loads('[' * 200000 + ']' * 200000)\n",
    "huge_product": "import itertools\n\ndef main():\n    sys_migrate('1')\n"
                    "    return list(itertools.product(range(10 ** 6), repeat=3))\n",
    "endless_generator": "def gen():\n    while True:\n        yield 1\n\ndef main():\n"
                         "    sys_migrate('1')\n    return sum(gen())\n",
    "live_generator": "def gen():\n    yield 1\n\ndef main():\n    g = gen()\n    next(g)\n"
                      "    sys_migrate('1')\n    return 1\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_work_with_the_modules_ends_only_its_sm(name):
    res = exec_sm(HOSTILE[name], fuel=2_000_000, memory_mb=256)
    assert res.error is not None
    assert res.error.type not in ("VMBug", "ContinuationError")
    after = exec_sm("def main(n):\n    sys_migrate('1')\n    return [node_id(), sum(range(n))]\n", 10)
    assert after.error is None and after.result == ["1", 45]
