# args: [4]
# module-level variables modified across migrations with the global statement.
COUNTER = 0
HISTORY = []
CONFIG = {"step": 2}


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def bump():
    global COUNTER
    COUNTER += CONFIG["step"]
    hop()
    COUNTER += 1
    return COUNTER


def record(v):
    HISTORY.append((v, node_id()))


def main(n):
    global CONFIG
    for i in range(n):
        record(bump())
    CONFIG = {"step": 10}
    hop()
    record(bump())
    return COUNTER, HISTORY, CONFIG, node_id()
