# args: []
# assert statements whose test or message migrates.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    notes = []
    assert hop() == 1
    assert hop() == 0, "never shown"
    try:
        assert hop() == 0, "on node " + str(hop())
    except AssertionError as e:
        notes.append((str(e), node_id()))
    try:
        assert False
    except AssertionError as e:
        notes.append(("bare", e.args))
    return notes, node_id()
