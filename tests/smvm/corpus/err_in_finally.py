# args: []
# an exception raised in a finally block, after a move, replaces the one in flight.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    try:
        hop()
        raise ValueError("original")
    finally:
        hop()
        hop()
        raise RuntimeError("from finally on node " + str(node_id()))
