# args: [false]
# assorted statement shapes around migration points: del, unbound locals, chained and
# tuple targets, evaluation order of augmented globals, try/else/finally with break.
C = 0


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def bump():
    global C
    C += 100
    hop()
    return 1


def get():
    return [10, 20]


def wrapped():
    try:
        return hop() * 10
    finally:
        hop()


def main(flag):
    global C
    out = []
    x = 1
    del x
    hop()
    try:
        out.append(x)
    except UnboundLocalError:
        out.append("x unbound")
    if flag:
        y = 1
    hop()
    try:
        out.append(y)
    except UnboundLocalError:
        out.append("y unbound")
    d = {0: "a", 1: "b"}
    del d[hop()]
    lst = list(range(6))
    del lst[hop():4]
    out.append((d, lst))
    out.append(get()[hop()])
    C += bump()
    out.append(C)
    p = q = hop()
    a = [0, 0]
    a[hop()], b = 5, hop()
    out.append((p, q, a, b))
    m = {}
    m.setdefault(hop(), []).append(hop())
    out.append((m, "-".join([str(hop()), str(hop())])))
    for i in range(5):
        try:
            if hop() == 1 and i > 2:
                break
        except ValueError:
            out.append("never")
        else:
            out.append(("else", i))
            continue
        finally:
            out.append(("fin", i, hop()))
    out.append(wrapped())
    return out, node_id()
