# args: []
# subscripts with migrating index expressions, augmented assignment, slices.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


ORDER = []


def key():
    ORDER.append("key")
    return "n" + str(hop())


def val():
    ORDER.append("val")
    hop()
    return 10


def main():
    d = {"n0": 0, "n1": 0}
    counts = [0, 0]
    d[key()] += 1
    d[key()] += val()
    counts[hop()] += 1
    counts[hop()] += 5
    grid = [[0, 0], [0, 0]]
    grid[hop()][hop()] += 7
    lst = list(range(10))
    part = lst[hop():hop() + 5]
    lst[hop() + 2:4] = ["x", "y", "z"]
    lst.pop(hop())
    x = 1
    x += hop()
    x *= 3 + hop()
    word = "abcdef"
    sub = word[hop()::2]
    nested = {"a": {"b": [1, 2, 3]}}
    nested["a"]["b"][hop()] -= 100
    t = (5, 6, 7)
    last = t[-1 - hop()]
    return d, counts, grid, part, lst, x, sub, nested, last, ORDER, node_id()
