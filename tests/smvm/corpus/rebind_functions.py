# args: []
# module-level functions rebound while they are running (the entry one included).


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def other():
    return "other"


def helper():
    global helper
    helper = other
    hop()
    return "old helper"


def main():
    global main
    main = other
    first = helper()
    hop()
    return first, helper(), main(), node_id()
