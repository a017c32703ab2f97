# args: [10]
# control: closures, memoisation and math without migration.
from math import sqrt, gcd, factorial


def memo_fib():
    cache = {0: 0, 1: 1}

    def fib(n):
        if n not in cache:
            cache[n] = fib(n - 1) + fib(n - 2)
        return cache[n]

    return fib


def main(n):
    fib = memo_fib()
    fibs = [fib(i) for i in range(n * 3)]
    hyp = sqrt(3 ** 2 + 4 ** 2)
    return fibs[-1], hyp, gcd(84, 36), factorial(20), divmod(-7, 2), abs(-3.5), pow(2, 10), node_id()
