# args: []
# a mutable default value keeps accumulating across calls separated by migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def remember(item, memo=[]):
    memo.append(item)
    return len(memo)


def main():
    a = remember("first")
    hop()
    b = remember("second")
    hop()
    c = remember(hop())
    return a, b, c, node_id()
