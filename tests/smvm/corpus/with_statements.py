# args: [3]
# nodes: 3
# Context managers of the brick's classes: migrations inside the body,
# inside __enter__ and __exit__, exceptions suppressed or not, nested and
# multiple items, return/break/continue leaving the block, and an __exit__
# that raises its own exception.


def hop():
    sys_migrate("1" if node_id() != "1" else "2")
    return node_id()


class Recorder:
    def __init__(self, name, trace, suppress=False, migrate=False):
        self.name = name
        self.trace = trace
        self.suppress = suppress
        self.migrate = migrate

    def __enter__(self):
        if self.migrate:
            hop()
        self.trace.append(("enter", self.name, node_id()))
        return self

    def __exit__(self, kind, exc, tb):
        if self.migrate:
            hop()
        what = None if exc is None else (kind is ValueError, kind is KeyError, isinstance(exc, kind), str(exc))
        self.trace.append(("exit", self.name, what, node_id()))
        return self.suppress


class Failing:
    def __enter__(self):
        return 5

    def __exit__(self, kind, exc, tb):
        raise KeyError("from exit")


def body_migrates(trace):
    with Recorder("a", trace) as r:
        trace.append(("in", r.name, hop()))
    return "done"


def suppressed(trace):
    with Recorder("s", trace, suppress=True, migrate=True):
        hop()
        raise ValueError("swallowed")
    return "after suppressed"


def not_suppressed(trace):
    try:
        with Recorder("n", trace):
            hop()
            raise ValueError("escapes")
    except ValueError as e:
        trace.append(("caught", str(e), node_id()))


def nested(trace):
    with Recorder("outer", trace, migrate=True) as o, Recorder("inner", trace) as i:
        with Recorder("third", trace, suppress=True):
            trace.append((o.name, i.name, hop()))
            raise KeyError("third eats it")
        trace.append(("after third", node_id()))
    return len(trace)


def leaving(trace):
    total = 0
    for k in range(4):
        with Recorder("loop" + str(k), trace, migrate=(k == 1)):
            if k == 0:
                continue
            total += k
            if k == 2:
                break
    with Recorder("ret", trace) as r:
        hop()
        return total, r.name


def exit_raises(trace):
    try:
        with Failing() as five:
            trace.append(("five", five, hop()))
            raise ValueError("hidden")
    except KeyError as e:
        trace.append(("exit raised", str(e), node_id()))


def main(n):
    trace = []
    out = [body_migrates(trace), suppressed(trace)]
    not_suppressed(trace)
    out.append(nested(trace))
    out.append(leaving(trace))
    exit_raises(trace)
    for k in range(n):
        with Recorder("k" + str(k), trace, migrate=k % 2 == 0) as r:
            out.append((r.name, node_id()))
    return out, trace
