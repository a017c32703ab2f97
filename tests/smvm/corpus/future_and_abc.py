# args: [7]
# nodes: 3
# `from __future__ import annotations` (a no-op) and the abstract classes of
# collections.abc in isinstance checks: of brick instances (by the methods
# their class defines), builtin values, generators; the names travel with
# an SM that migrates between the checks.
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized


class Countdown:
    def __init__(self, start: int) -> None:
        self.left = start

    def __iter__(self) -> Iterator[int]:
        while self.left > 0:
            self.left -= 1
            yield self.left

    def __len__(self) -> int:
        return self.left


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __call__(self):
        return self.a + self.b


def kinds(value) -> list[str]:
    found = []
    for name, kind in (("iterable", Iterable), ("iterator", Iterator), ("sized", Sized),
                       ("mapping", Mapping), ("sequence", Sequence), ("callable", Callable)):
        if isinstance(value, kind):
            found.append(name)
    return found


def main(n: int) -> list:
    out = []
    kinds_seen = (Iterable, Sized)
    for value in (Countdown(n), Pair(1, 2), [1, 2], {"a": 1}, "text", 5, iter([1]), len):
        sys_migrate("1" if node_id() == "0" else "0")
        out.append(kinds(value))
        out.append(isinstance(value, kinds_seen))
    out.append(sum(Countdown(n)))
    try:
        Iterable()
    except TypeError as exc:
        out.append(str(exc))
    return out
