# args: [6]
# while loops with migrations in the body, the else clause, break and continue.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    trace = []
    i = 0
    while i < n:
        i += 1
        if i == 2:
            hop()
            continue
        if i % 3 == 0:
            trace.append(("three", i, hop()))
            continue
        trace.append((i, hop()))
    else:
        trace.append(("else", node_id()))
        hop()
    j = 0
    while True:
        j += 1
        hop()
        if j >= 3:
            trace.append(("break", j, node_id()))
            break
    else:
        trace.append("never")
    k = 10
    while k > 0:
        k -= 3
        if hop() == 1:
            trace.append(("on-one", k))
    else:
        trace.append(("k-else", k, hop()))
    count = 0
    while hop() != 0 or count < 3:
        count += 1
    trace.append(("cond", count))
    return trace, i, j, k, node_id()
