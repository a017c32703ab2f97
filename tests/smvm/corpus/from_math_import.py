# args: [2.5]
# names imported with 'from math import' stay usable after migrations.
from math import floor, pi, sqrt as root


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(x):
    a = floor(x)
    hop()
    b = root(16)
    hop()
    return a, b, round(pi, 3), floor(x * 3), node_id()
