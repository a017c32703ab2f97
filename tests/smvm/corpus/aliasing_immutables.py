# args: []
# identity of shared tuples and exception objects survives migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    inner = [1]
    t = (inner, inner)
    d = {"t": t, "again": t}
    e = ValueError("x")
    pair = [e, e]
    hop()
    d["t"][0].append(2)
    hop()
    return d, d["t"] is d["again"], t[0] is t[1], pair[0] is pair[1], node_id()
