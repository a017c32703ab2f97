from routing.migrate import migrate


def in_hill(p, center, radius):
    return (p[0] - center[0]) ** 2 + (p[1] - center[1]) ** 2 <= radius ** 2


def next_node(center, radius, seen):
    here = read_tag("position")
    best = None
    for n, p in (read_tag("neighbor_positions") or {}).items():
        if str(n) not in seen and in_hill(p, center, radius):
            d = (p[0] - here[0]) ** 2 + (p[1] - here[1]) ** 2
            if best is None or d < best[0]:
                best = [d, n]
    return None if best is None else best[1]


def main(center, radius):
    migrate(center, 60.0)                  # GPSR to the node nearest the hill's centre
    seen = {str(node_id()): True}
    path = []
    hottest = None                         # [temp, node, position]
    while True:
        here = read_tag("position")
        if in_hill(here, center, radius) and has_tag("Hot"):
            t = read_tag("temp")
            if hottest is None or t > hottest[0]:
                hottest = [t, node_id(), here]
        nxt = next_node(center, radius, seen)
        if nxt is not None:                # depth first over the hill's nodes
            path.append(node_id())
            seen[str(nxt)] = True
            try:
                sys_migrate(nxt)
            except MigrationError:
                path.pop()
            continue
        if not path:
            break
        sys_migrate(path.pop())            # back to where unseen neighbours may remain
    if hottest is None:
        return [None, node_id()]
    migrate({"node": hottest[1]}, 60.0, None, hottest[2])
    write_tag("water", True)
    return [hottest[0], node_id()]
