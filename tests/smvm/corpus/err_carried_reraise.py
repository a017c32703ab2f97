# args: []
# an exception caught early, carried across migrations and raised at the very end.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    kept = None
    try:
        raise TypeError("x", 3)
    except TypeError as e:
        kept = e
    for i in range(3):
        hop()
    raise kept
