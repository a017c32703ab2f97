# args: [3]
# nodes: 3
# itertools iterators held in locals across hops resume where they were;
# functools, operator, heapq, bisect, json, statistics, copy, string and
# dataclasses give the same values as CPython.
import bisect
import copy
import heapq
import itertools
import json
import operator
import statistics
import string
from dataclasses import dataclass
from functools import partial, reduce


@dataclass(order=True)
class Item:
    rank: int
    name: str = "?"


def hop():
    sys_migrate("2" if node_id() == "1" else "1")


def scaled(factor, value):
    return factor * value


def main(n):
    counter = itertools.count(10, 5)
    cycler = itertools.cycle("xyz")
    pairs = itertools.product("ab", range(2))
    perms = itertools.permutations([1, 2, 3], 2)
    chained = itertools.chain([1, 2], (3, 4), "ab")
    sliced = itertools.islice(itertools.count(), 2, 40, 3)
    running = itertools.accumulate([1, 2, 3, 4, 5], operator.mul)
    triple = partial(scaled, 3)
    heap = []
    out = []
    for i in range(n):
        out.append((next(counter), next(cycler), next(pairs), next(perms), next(chained),
                    next(sliced), next(running), triple(i)))
        heapq.heappush(heap, (n - i, str(i)))
        hop()
    out.append(list(pairs))
    out.append(list(itertools.combinations("abcd", 2)))
    out.append(list(itertools.zip_longest("ab", "xyz", fillvalue="-")))
    out.append([(k, len(list(g))) for k, g in itertools.groupby("aaabccdd")])
    out.append(list(itertools.starmap(pow, [(2, 3), (3, 2)])))
    out.append(list(itertools.takewhile(lambda v: v < 3, [1, 2, 3, 1])))
    out.append(reduce(operator.add, range(10), 100))
    out.append(sorted([(1, "b"), (0, "z"), (1, "a")], key=operator.itemgetter(1)))
    items = [Item(3, "c"), Item(1), Item(2, "b")]
    hop()
    out.append([repr(x) for x in sorted(items)])
    out.append(Item(1) == Item(1, "?"))
    ordered = [1, 3, 5, 7]
    bisect.insort(ordered, 4)
    out.append((ordered, bisect.bisect_left(ordered, 5), heapq.heappop(heap), heapq.nsmallest(2, [5, 1, 4])))
    text = json.dumps({"k": [1, 2.5, None, True], "s": "\u00e9"}, sort_keys=True)
    out.append((text, json.loads(text), json.dumps([1, 2], indent=2)))
    data = [2, 4, 4, 4, 5, 5, 7, 9]
    out.append((statistics.mean(data), statistics.median(data), statistics.pstdev(data),
                statistics.mode(data)))
    nested = [[1, 2], {"a": [3]}]
    deep = copy.deepcopy(nested)
    deep[0].append(9)
    shallow = copy.copy(nested)
    out.append((nested, deep, shallow[0] is nested[0], string.ascii_lowercase[:5],
                string.capwords("hello smart world")))
    return out
