# args: []
# two names for one object keep sharing it after migrations; self-containing lists.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    a = [1, 2]
    b = a
    hop()
    b.append(3)
    same_after = a is b
    shared = {"k": 0}
    pair = [shared, shared]
    holder = {"one": shared, "two": [shared]}
    hop()
    pair[0]["k"] += 5
    holder["two"][0]["k"] += 1
    loop = [1]
    loop.append(loop)
    nest = {"self": None}
    nest["self"] = nest
    hop()
    loop[1][1][1].append("end")
    t = (a, a)
    hop()
    t[0].append(4)
    return (a, b, same_after, shared["k"], holder["one"] is shared, pair[0] is pair[1],
            loop[1] is loop, len(loop), loop[2], nest["self"]["self"] is nest,
            t[1] is a, t, node_id())
