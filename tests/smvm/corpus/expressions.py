# args: [10]
# migrations in the middle of larger expressions; side-effect order is recorded.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


ORDER = []


def a():
    ORDER.append("a")
    return 1


def b():
    ORDER.append("b")
    return 2


def hop_and_read():
    ORDER.append("hop")
    hop()
    return int(node_id()) * 100


def f(p, q, r):
    return (p, q, r)


def main(x):
    total = 5
    total = total + hop_and_read()
    triple = f(a(), hop_and_read(), b())
    falsy = 0 and hop()
    truthy = x and hop()
    either = 0 or hop() or 7
    cond1 = hop() if x > 5 else 0
    cond2 = hop() if x < 5 else -1
    chained = -1 < hop() < 2
    chained2 = 5 < hop() < 0
    chained3 = 0 <= hop() <= 1 < x
    neg = -hop_and_read() + (not hop()) * 3
    member = hop() in (0, 1)
    mixed = [a() + hop_and_read() * b(), hop() ** 2 + x // 3]
    nested = f(f(hop(), a(), hop()), b(), hop_and_read())
    kw = dict(left=hop(), right=hop_and_read(), **{"z": hop()})
    big = sum([hop(), hop(), hop()]) + max(hop(), x)
    return (total, triple, falsy, truthy, either, cond1, cond2, chained, chained2,
            chained3, neg, member, mixed, nested, kw, big, ORDER, node_id())
