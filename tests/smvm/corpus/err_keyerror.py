# args: ["missing"]
# ends with an uncaught KeyError (its message is the repr of the key).


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def lookup(table, key):
    hop()
    return table[key]


def main(key):
    table = {"present": 1}
    hop()
    first = lookup(table, "present")
    return first + lookup(table, key)
