# args: [[4, 2, 0, 5]]
# an exception inside a comprehension after migrations is caught outside it.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def inv(v):
    hop()
    return 100 // v


def main(values):
    out = []
    x = "outer x"
    try:
        out.append([inv(x) for x in values])
    except ZeroDivisionError as e:
        out.append(("stopped", str(e), node_id()))
    out.append(x)
    ok = [inv(v) for v in values if v]
    out.append(ok)
    try:
        out.append({v: inv(v - 2) for v in values})
    except ZeroDivisionError:
        out.append(("dict stopped", hop()))
    return out, node_id()
