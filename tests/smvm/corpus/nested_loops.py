# args: [4]
# nested while and for loops, break out of inner loops, continue outer ones, migrate everywhere.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    found = []
    i = 0
    while i < n:
        i += 1
        for j in range(n):
            if j == i:
                hop()
                break
            if (i + j) % 2:
                continue
            found.append((i, j, hop()))
        else:
            found.append(("inner done", i))
            continue
        k = 0
        while True:
            k += 1
            if k > i:
                break
            for m in [1, 2]:
                if m == 2 and hop() == 0:
                    break
                found.append(("m", i, k, m))
    return found, i, node_id()
