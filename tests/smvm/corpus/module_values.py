# args: [16]
# the math module, its functions and unbound str methods held in locals across a migration.
import math


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    root = math.sqrt
    down = math.floor
    upper = str.upper
    mod = math
    hop()
    out = [root(n), down(2.5), upper("ab"), mod.ceil(2.1), mod.pi]
    hop()
    out.append(root is math.sqrt)
    return out, node_id()
