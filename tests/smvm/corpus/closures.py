# args: [3]
# closures created before a migration and called after it; shared counters; nonlocal.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def make_counter(start):
    count = start

    def bump(step=1):
        nonlocal count
        count += step
        return count

    def peek():
        return count

    return bump, peek


def make_adder(n):
    def add(x):
        hop()
        return x + n
    return add


def outer(x):
    def middle(y):
        def inner(z):
            nonlocal y
            hop()
            y += z
            return x + y
        return inner
    return middle


def main(n):
    bump, peek = make_counter(10)
    alias = bump
    add5 = make_adder(5)
    hop()
    r1 = bump()
    r2 = alias(3)
    hop()
    r3 = peek()
    r4 = add5(r3)
    chain = outer(100)(20)
    hop()
    c1 = chain(1)
    c2 = chain(2)
    total = 0

    def accumulate(v):
        nonlocal total
        hop()
        total += v
        return total

    for i in range(n):
        accumulate(i * 10)
    fns = []
    for i in range(3):
        fns.append(lambda k=i: k * k)
    hop()
    squares = [f() for f in fns]
    return r1, r2, r3, r4, c1, c2, total, squares, bump is alias, node_id()
