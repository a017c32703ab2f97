"""``random`` for SM code: CPython's Mersenne Twister (the same sequence as
``random.Random`` for the same seed), one generator per SM seeded from its
id, whose state travels with the SM; work that would loop in host code is
charged as fuel first."""
from __future__ import annotations

import hashlib
import random as _host_random

from ._guard import charge, charge_items
from ..compiler.stdlib_members import RANDOM

#: Largest ``getrandbits``/``randbytes`` result, in bits.
MAX_RANDOM_BITS = 1 << 20
_STATE_WORDS = 625


class Random(_host_random.Random):
    """A generator SM code may hold; its methods are CPython's, guarded."""

    def seed(self, a=None, version=2):
        if a is None:
            # never the host's entropy: the generator's own next draw (0 while
            # it is being made, before any state exists)
            a = self.getrandbits(128) if hasattr(self, "gauss_next") else 0
        if type(a) not in (int, float, str, bytes, bytearray, bool):
            raise TypeError("seed must be an int, float, str, bytes or bytearray")
        if type(a) in (str, bytes, bytearray):
            charge_items(len(a))
        super().seed(a, version)

    def getrandbits(self, k):
        if type(k) is int and k > MAX_RANDOM_BITS:
            raise OverflowError(f"getrandbits({k}) is too large for an SM (limit {MAX_RANDOM_BITS})")
        return super().getrandbits(k)

    def randbytes(self, n):
        if type(n) is int and n * 8 > MAX_RANDOM_BITS:
            raise OverflowError(f"randbytes({n}) is too large for an SM")
        return super().randbytes(n)

    def shuffle(self, x):
        charge(len(x))
        super().shuffle(x)

    def sample(self, population, k, *, counts=None):
        if counts is not None:
            raise TypeError("sample(counts=...) is not available in SM code")
        if type(k) is int:
            charge(k)
        return super().sample(population, k)

    def choices(self, population, weights=None, *, cum_weights=None, k=1):
        charge((k if type(k) is int else 0) + len(population))
        return super().choices(population, weights, cum_weights=cum_weights, k=k)

    def setstate(self, state):
        check_state(state)
        super().setstate(state)


def check_state(state: object) -> None:
    """A state as ``getstate`` returns it, or ValueError (it may come from
    a forged continuation)."""
    if (type(state) is not tuple or len(state) != 3 or state[0] != 3
            or type(state[1]) is not tuple or len(state[1]) != _STATE_WORDS
            or not (state[2] is None or type(state[2]) is float)):
        raise ValueError("not a state of random.Random")
    words = state[1]
    if any(type(w) is not int or not 0 <= w < 1 << 32 for w in words) \
            or not 0 < words[-1] <= _STATE_WORDS - 1 or not any(words[:-1]):
        raise ValueError("not a state of random.Random")


def sm_seed(sm_id: str) -> int:
    """The default generator's seed for an SM: from its id, so a run is
    reproducible and two SMs draw different sequences."""
    return int.from_bytes(hashlib.sha256(("random:" + sm_id).encode()).digest()[:16], "big")


def build(sm_id: str) -> tuple[dict, Random]:
    """The members of ``random`` for one SM, and its default generator."""
    default = Random(sm_seed(sm_id))
    members = {name: getattr(default, name) for name in RANDOM - {"Random"}}

    def make(x=None):
        if x is None:  # seeded from the SM's own generator: reproducible
            x = default.getrandbits(128)
        return Random(x)

    members["Random"] = _RandomType(make)
    return members, default


class _RandomType:
    """``random.Random`` as SM code sees it: a constructor (no raw class)."""

    __slots__ = ("_make",)

    def __init__(self, make):
        self._make = make

    def __call__(self, x=None):
        return self._make(x)

    def __repr__(self) -> str:
        return "<class 'random.Random'>"


def reduce(r: Random) -> list:
    version, words, gauss = r.getstate()
    return [list(words), gauss]


def new(header: object) -> Random:
    return Random.__new__(Random)


def fill(r: Random, fields: object) -> None:
    if type(fields) is not list or len(fields) != 2 or type(fields[0]) is not list:
        raise ValueError("malformed random state")
    state = (3, tuple(fields[0]), fields[1])
    check_state(state)
    _host_random.Random.setstate(r, state)
