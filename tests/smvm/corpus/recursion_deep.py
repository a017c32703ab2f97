# args: [9]
# recursive functions that migrate at every level, deeper than five frames.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def descend(depth, path):
    path.append((depth, hop()))
    if depth == 0:
        return [node_id()]
    below = descend(depth - 1, path)
    below.append(depth * 100 + hop())
    return below


def tree_sum(tree, level):
    if isinstance(tree, int):
        if level >= 5:
            hop()
        return tree
    total = 0
    for child in tree:
        total += tree_sum(child, level + 1)
    return total


def fact(n):
    if n <= 1:
        hop()
        return 1
    return n * fact(n - 1)


def main(depth):
    path = []
    got = descend(depth, path)
    deep = [1, [2, [3, [4, [5, [6, [7, 8]]]]], 9]]
    return got, path, tree_sum(deep, 0), fact(25), node_id()
