# args: []
# enumerate/zip/map/filter over a list that grows inside a migrating loop see the new items.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    queue = [1]
    order = []
    for i, x in enumerate(queue):
        if x < 4:
            queue.append(x + 1)
        order.append((i, x, hop()))
    pairs = []
    left = [10]
    for a, b in zip(left, range(5)):
        if a < 13:
            left.append(a + 1)
        hop()
        pairs.append((a, b))
    doubled = []
    src = [1]
    for d in map(lambda v: v * 2, src):
        if d < 8:
            src.append(d)
        doubled.append(d)
        hop()
    return order, pairs, doubled, node_id()
