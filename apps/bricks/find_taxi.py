"""Demo SM: walk the ad-hoc network until a node carrying the "Taxi" tag is
found, never revisiting a node (depth-first, backtracking along the path),
then report the taxi and the way there. Cut off from every unvisited node, it
waits for the mobile network to change and searches again.

``find_taxi(tag, patience, deadline)`` is the search itself, for other bricks
(the naive booking EZCab is compared with): it stops on a node carrying
``tag``, or after ``patience`` one-second waits cut off, or at ``deadline``.
"""


def main():
    return find_taxi("Taxi", 30, None)


def find_taxi(tag, patience, deadline):
    path = [node_id()]
    visited = {node_id()}
    failures = {}
    waits = 0
    while not has_tag(tag):
        if deadline is not None and now() >= deadline:
            return {"taxi": None, "visited": len(visited)}
        fresh = [n for n in read_tag("neighbors") if n not in visited]
        if fresh:
            nxt = min(fresh, key=int)
            visited.add(nxt)
            path.append(nxt)
        elif len(path) > 1:
            path.pop()              # dead end: step back
            nxt = path[-1]
        elif waits < patience:
            # cut off here: the nodes move, so wait a second and look again
            waits += 1
            try:
                block_tag("find_taxi_wake", 1.0)
            except TagTimeout:
                pass
            visited = {node_id()}
            continue
        else:
            return {"taxi": None, "visited": len(visited)}
        try:
            sys_migrate(nxt)
        except MigrationError:
            path.pop()              # the link broke as we moved: try elsewhere
            failures[nxt] = failures.get(nxt, 0) + 1
            if failures[nxt] < 3:   # and that node again later: it may come back
                visited.discard(nxt)
            continue
    log("taxi found at", node_id())
    return {"taxi": node_id(), "path": path, "visited": len(visited)}
