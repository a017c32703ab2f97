# args: [6]
# nodes: 3
# functools.lru_cache and functools.cache: the cache (entries, their order,
# hit and miss counts) travels with the SM, so after each hop the cached
# functions answer from it as CPython's would; eviction at maxsize, typed,
# keyword arguments, cache_clear, a cached function made inside a function
# and CacheInfo values carried across hops.
import functools
from functools import cache, lru_cache


def hop():
    sys_migrate("1" if node_id() != "1" else "2")
    return node_id()


CALLS = []


@lru_cache(maxsize=3)
def square(n):
    CALLS.append(n)
    return n * n


@cache
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@functools.lru_cache(typed=True)
def describe(value, sep="-"):
    CALLS.append(("describe", value, sep))
    return sep.join([str(value)] * 2)


@functools.lru_cache
def fresh_list(n):
    return list(range(n))


def counter_maker():
    @lru_cache(maxsize=None)
    def double(n):
        CALLS.append(("double", n))
        return 2 * n
    return double


def main(n):
    out = []
    for k in [1, 2, 3, 1, 4, 2]:
        out.append(square(k))
        hop()
    infos = [square.cache_info()]
    out.append(fib(80))
    hop()
    out.append(fib.cache_info())
    out.append([describe(1), describe(1.0), describe(True), describe(1, sep="+"),
                describe(1, sep="+")])
    listed = fresh_list(n)
    hop()
    out.append(fresh_list(n) is listed)
    double = counter_maker()
    out.append([double(k % 3) for k in range(n)])
    hop()
    out.append([double(k % 3) for k in range(n)])
    infos.append(double.cache_info())
    square.cache_clear()
    out.append((square(4), square.cache_info(), square.cache_parameters()))
    hop()
    out.append(describe.cache_parameters())
    return out, infos, CALLS
