# args: [[4, 1, 3]]
# builtin functions and exception classes held in locals across a migration.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(values):
    measure = len
    order = sorted
    conv = int
    exc = ValueError
    kinds = (int, str)
    fold = [sum, max, min]
    hop()
    out = [measure(values), order(values), conv("12"), [f(values) for f in fold]]
    hop()
    try:
        raise exc("held class")
    except ValueError as e:
        out.append(str(e))
    out.append(isinstance(5, kinds))
    hop()
    out.append(measure is len)
    return out, node_id()
