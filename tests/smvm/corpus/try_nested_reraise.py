# args: [3]
# nested try statements, bare raise, exceptions replaced in handlers, all across moves.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def inner(n, trace):
    try:
        hop()
        if n == 0:
            raise KeyError("k0")
        if n == 1:
            raise ZeroDivisionError("z1")
        return "ok"
    except KeyError:
        trace.append(("inner caught key", hop()))
        raise
    finally:
        trace.append(("inner finally", n, node_id()))


def outer(n, trace):
    try:
        return inner(n, trace)
    except ArithmeticError as e:
        hop()
        try:
            raise ValueError("replaced " + str(e))
        except ValueError as v:
            trace.append(("replaced", str(v)))
            return "handled"
    except LookupError as e:
        hop()
        return "lookup " + str(e)


def main(n):
    trace = []
    results = [outer(i, trace) for i in range(n)]
    try:
        try:
            hop()
            raise TypeError("first")
        except TypeError:
            hop()
            raise RuntimeError("second")
    except RuntimeError as r:
        trace.append(str(r))
    try:
        try:
            raise ValueError("a")
        finally:
            hop()
    except ValueError as e:
        trace.append(("after finally", str(e), node_id()))
    return results, trace, node_id()
