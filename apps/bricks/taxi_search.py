"""The taxi search of ``find_taxi.py`` as a library brick (no ``main``, so
bricks that link it keep their own entry point).

``find_taxi(tag, patience, deadline)`` walks the ad-hoc network depth first
until a node carrying ``tag`` is found, never revisiting a node; it stops
there, or after ``patience`` one-second waits cut off from every unvisited
node, or at ``deadline``.
"""


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
