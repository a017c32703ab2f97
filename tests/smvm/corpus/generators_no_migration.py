# args: [8]
# nodes: 3
# Generators where they cannot migrate: generator functions and methods
# (yield, yield from, send, a return value), used between hops; none is
# live in the state when the SM moves.
class Tree:
    def __init__(self, left, value, right):
        self.left = left
        self.value = value
        self.right = right

    def __iter__(self):
        if self.left:
            yield from self.left
        yield self.value
        if self.right:
            yield from self.right


def tree(lo, hi):
    if lo >= hi:
        return None
    mid = (lo + hi) // 2
    return Tree(tree(lo, mid), mid, tree(mid + 1, hi))


def count_up(n):
    i = 0
    while i < n:
        got = yield i
        if got:
            i = got
        i += 1
    return "done"


def hop():
    sys_migrate("2" if node_id() == "1" else "1")


def main(n):
    t = tree(0, n)
    out = list(t)
    hop()
    g = count_up(10)
    first = [next(g), next(g), g.send(7), next(g)]
    try:
        next(g)
        next(g)
    except StopIteration as e:
        first.append(e.value)
    g = None
    hop()
    squares = (x * x for x in out)
    total = sum(squares)
    seen = []
    for v in list(t):
        seen.append(v)
        if v == 3:
            hop()
    evens = [v for v in pairs(t) if v[0] % 2 == 0]
    return out, first, total, sum(1 for v in t), seen, evens


def pairs(items):
    previous = None
    for item in items:
        if previous is not None:
            yield previous, item
        previous = item
