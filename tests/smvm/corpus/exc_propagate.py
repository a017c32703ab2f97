# args: [5]
# an exception raised after a move propagates through frames captured before the move.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def level(n, trace):
    trace.append(("enter", n, node_id()))
    hop()
    if n == 0:
        raise LookupError("bottom reached on node " + str(node_id()))
    try:
        return level(n - 1, trace)
    finally:
        trace.append(("unwind", n, hop()))


def middle(n, trace):
    try:
        level(n, trace)
    except KeyError:
        trace.append("wrong handler")
    return "not reached"


def main(n):
    trace = []
    try:
        middle(n, trace)
    except LookupError as e:
        trace.append(("caught", str(e), node_id()))
    return trace, node_id()
