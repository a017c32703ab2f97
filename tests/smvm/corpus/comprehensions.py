# args: [5]
# comprehensions with migrating calls in the element, the condition, and nested.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def hop_value(v):
    hop()
    return v * 2


def keep(v):
    return hop() == 1 or v % 3 == 0


def main(n):
    a = [hop_value(x) for x in range(n)]
    b = [x for x in range(n) if keep(x)]
    c = {x: hop_value(x) for x in range(n) if x % 2 == 0}
    d = {hop_value(x) % 3 for x in range(n)}
    e = [[hop_value(i) + j for j in range(2)] for i in range(3)]
    f = [(i, j) for i in range(3) if hop() >= 0 for j in range(i) if keep(j)]
    g = {k: [hop() for k2 in range(2)] for k in "ab"}
    h = sum([hop_value(x) for x in [1, 2, 3]])
    return a, b, c, sorted(d), e, f, g, h, node_id()
