# args: []
# exceptions kept in locals across migrations, inspected and re-raised later.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def fail(kind):
    if kind == 0:
        raise ValueError("bad", 42)
    if kind == 1:
        return 1 // 0
    return [][kind]


def main():
    saved = []
    for kind in range(3):
        try:
            fail(kind)
        except Exception as e:
            saved.append(e)
        hop()
    first = saved[0]
    hop()
    info = [(str(e), e.args) for e in saved]
    checks = [isinstance(saved[0], ValueError), isinstance(saved[1], ArithmeticError),
              isinstance(saved[2], LookupError), isinstance(first, KeyError)]
    hop()
    try:
        raise first
    except ValueError as again:
        info.append(("again", again.args, again is first))
    err = None
    try:
        hop()
        int("nope")
    except ValueError as e2:
        err = e2
    hop()
    info.append(str(err))
    return info, checks, node_id()
