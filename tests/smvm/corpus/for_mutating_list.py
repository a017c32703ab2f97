# args: []
# a for loop sees items appended to its list during the loop, also across migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    work = [1, 2, 3]
    seen = []
    for item in work:
        seen.append(item)
        if item < 3:
            work.append(item + 10)
        hop()
    queue = [5]
    for q in queue:
        if q > 0:
            queue.append(q - 2)
            hop()
    shrink = [1, 2, 3, 4]
    visited = []
    for s in shrink:
        visited.append(s)
        if s == 2:
            shrink.remove(1)
        hop()
    return seen, queue, visited, node_id()
