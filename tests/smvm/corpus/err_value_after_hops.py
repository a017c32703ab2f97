# args: [5]
# ends with an uncaught ValueError raised several frames deep after several hops.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def check(v, depth):
    hop()
    if depth == 0:
        if v > 3:
            raise ValueError("value " + str(v) + " too large on node " + str(node_id()))
        return v
    return check(v + 1, depth - 1)


def main(n):
    total = 0
    for i in range(n):
        total += check(i, 2)
    return total
