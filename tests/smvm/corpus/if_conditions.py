# args: [5]
# migrations inside if/elif conditions and inside the branches.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def classify(x):
    if hop() == 0 and x > 100:
        return "huge-on-zero"
    elif hop() == 1 and x > 3:
        return "big-on-one"
    elif x > 3:
        return "big"
    else:
        return "small"


def main(limit):
    results = []
    for x in range(limit + 2):
        results.append((x, classify(x), node_id()))
    if not hop():
        results.append("at zero")
    elif hop():
        results.append("unreachable?")
    if limit > 2:
        if hop() == 1:
            results.append(("nested", node_id()))
        else:
            results.append(("nested-else", node_id()))
    return results
