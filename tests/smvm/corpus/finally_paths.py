# args: []
# finally blocks reached by return, break, continue and an exception, with migrations in them.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def by_return(trace):
    try:
        hop()
        return "returned from try on " + str(node_id())
    finally:
        trace.append(("finally after return", hop()))


def by_return_value_kept(trace):
    x = 1
    try:
        return x
    finally:
        x = 99
        hop()
        trace.append(("x in finally", x))


def override_return(trace):
    try:
        return "try value"
    finally:
        hop()
        return "finally value " + str(node_id())


def by_exception(trace):
    try:
        try:
            hop()
            raise ValueError("boom")
        finally:
            trace.append(("finally during exception", hop()))
    except ValueError as e:
        trace.append(("caught", str(e), node_id()))


def by_break(trace):
    n = 0
    while True:
        n += 1
        try:
            if n == 3:
                break
            hop()
        finally:
            trace.append(("loop finally", n, hop()))
    return n


def by_continue(trace):
    total = 0
    for i in range(4):
        try:
            if i % 2 == 0:
                continue
            total += i
        finally:
            hop()
            total += 100
    return total


def swallow(trace):
    for i in range(2):
        try:
            raise KeyError(i)
        finally:
            hop()
            continue
    return "swallowed"


def main():
    trace = []
    trace.append(by_return(trace))
    trace.append(by_return_value_kept(trace))
    trace.append(override_return(trace))
    by_exception(trace)
    trace.append(by_break(trace))
    trace.append(by_continue(trace))
    trace.append(swallow(trace))
    return trace, node_id()
