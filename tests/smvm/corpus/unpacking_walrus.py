# args: [[1, 2, 3, 4, 5]]
# tuple unpacking, starred targets and the walrus operator around migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def pair():
    return hop(), hop()


def main(values):
    first, *middle, last = values
    hop()
    a, b = pair()
    a, b = b, a
    (c, d), e = [hop(), 9], hop()
    head, *tail = "xyz"
    merged = [*values[:2], hop(), *middle]
    opts = {**{"p": 1}, "q": hop(), **{"r": 3}}
    count = 0
    while (n := hop()) != 0 or count < 2:
        count += 1
    found = [y for x in values if (y := x * hop()) > 2]
    if (total := sum(values) + hop()) > 10:
        big = True
    else:
        big = False
    for i, (p, q) in enumerate([(1, 2), (3, 4)]):
        hop()
        first += p * q + i
    return (first, middle, last, a, b, c, d, e, head, tail, merged, opts, count, n,
            found, total, big, node_id())
