# args: [6]
# nodes: 6
# walk the whole line to its far end and back using the neighbour tag.


def step(direction):
    nb = read_tag("neighbors")
    if direction > 0:
        target = nb[-1]
    else:
        target = nb[0]
    if (int(target) - int(node_id())) * direction <= 0:
        return False
    sys_migrate(target)
    return True


def main(n):
    visited = [node_id()]
    seen_nb = {}
    while step(1):
        visited.append(read_tag("node_id"))
        seen_nb[node_id()] = read_tag("neighbors")
    far = node_id()
    while step(-1):
        visited.append(node_id())
    log("walked", len(visited))
    return visited, far, far == str(n - 1), seen_nb, node_id()
