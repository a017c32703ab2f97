# args: [3]
# ends with a failed assertion carrying a message, after hops.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    for i in range(n):
        hop()
    assert node_id() == "0", "expected node 0, on " + str(node_id())
    return "unreachable"
