# args: []
# default values are computed once, when the def runs, not again after a migration.
LIMIT = 3


def where(start=node_id()):
    return start


def bounded(n, cap=LIMIT):
    return min(n, cap)


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    global LIMIT
    before = where()
    LIMIT = 100
    hop()
    middle = where()
    hop()
    return before, middle, where(), bounded(50), LIMIT, node_id()
