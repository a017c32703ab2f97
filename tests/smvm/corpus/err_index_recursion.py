# args: [7]
# ends with an IndexError raised at recursion depth seven, after a migration per level.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def dig(items, depth):
    hop()
    if depth == 0:
        return items[len(items)]
    return dig(items + [depth], depth - 1)


def main(depth):
    return dig([], depth)
