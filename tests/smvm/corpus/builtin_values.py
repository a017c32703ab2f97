# args: [[4, 1, 3]]
# builtin functions, exception classes and the math module held in locals across a migration.
import math


def hop():
    sys_migrate(1 - node_id())
    return node_id()


def main(values):
    measure = len
    order = sorted
    root = math.sqrt
    conv = int
    upper = str.upper
    exc = ValueError
    kinds = (int, str)
    mod = math
    hop()
    out = [measure(values), order(values), root(16), conv("12"), upper("ab")]
    hop()
    try:
        raise exc("held class")
    except ValueError as e:
        out.append(str(e))
    out.append(isinstance(5, kinds))
    out.append(mod.floor(2.5))
    hop()
    out.append(measure is len)
    return out, node_id()
