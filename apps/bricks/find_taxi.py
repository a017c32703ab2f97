"""Demo SM: walk the ad-hoc network until a node carrying the "Taxi" tag is
found, never revisiting a node (depth-first, backtracking along the path),
then report the taxi and the way there."""


def main():
    path = [node_id()]
    visited = {node_id()}
    while not has_tag("Taxi"):
        fresh = [n for n in read_tag("neighbors") if n not in visited]
        if fresh:
            nxt = min(fresh, key=int)
            visited.add(nxt)
            path.append(nxt)
        elif len(path) > 1:
            path.pop()              # dead end: step back
            nxt = path[-1]
        else:
            return {"taxi": None, "visited": len(visited)}
        try:
            sys_migrate(nxt)
        except MigrationError:
            path.pop()              # the link broke as we moved: try elsewhere
            continue
    log("taxi found at", node_id())
    return {"taxi": node_id(), "path": path, "visited": len(visited)}
