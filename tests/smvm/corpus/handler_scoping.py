# args: []
# scoping details around moves: the except variable is unbound after its handler,
# comprehension variables do not leak, walrus binds outside, bare raise re-raises
# the original after a nested handler, raise-from after a move.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    out = []
    e = "before"
    try:
        raise ValueError("v")
    except ValueError as e:
        hop()
    try:
        out.append(e)
    except UnboundLocalError:
        out.append("e unbound")
    x = "outer"
    ys = [hop() for x in range(2)]
    out.append((x, ys))
    total = 0
    vals = [(total := total + hop() + i) for i in range(4)]
    out.append((total, vals))
    try:
        try:
            raise KeyError("k")
        except KeyError:
            try:
                hop()
                raise ValueError("inner")
            except ValueError:
                hop()
            raise
    except KeyError as k:
        out.append(("reraised", str(k), node_id()))
    try:
        try:
            raise KeyError("k2")
        except KeyError as cause:
            hop()
            raise ValueError("wrapped") from cause
    except ValueError as v:
        out.append((str(v), node_id()))
    data = [1, 2, 3]
    hop()
    out.append((sum(x * x for x in data), any(x > 2 for x in data)))
    return out, node_id()
