# args: [[3, 1, 4, 1, 5, 9, 2, 6]]
# for loops over many kinds of iterables, migrating inside them, with else, break and continue.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(values):
    out = []
    for v in values:
        if v == 1:
            hop()
            continue
        if v > 8:
            out.append(("big", v, hop()))
            break
        out.append(v * 10 + hop())
    else:
        out.append("no break")
    for i in range(3):
        out.append((i, hop()))
    else:
        out.append(("range else", hop()))
    for ch in "abc":
        out.append(ch + str(hop()))
    d = {"x": 1, "y": 2, "z": 3}
    for key, val in d.items():
        hop()
        out.append(key * val)
    for idx, (a, b) in enumerate(zip("pq", (7, 8)), start=1):
        out.append((idx, a, b, hop()))
    for t in (10, 20):
        for u in [1, 2, 3]:
            if u == 2:
                continue
            out.append(t + u + hop())
    for k in reversed(range(2)):
        out.append(("rev", k, hop()))
    for s in sorted({5, 3, 4}):
        out.append(s)
        hop()
    for n in []:
        out.append("empty")
    else:
        out.append(("empty else", hop()))
    return out, node_id()
