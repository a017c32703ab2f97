"""On-demand routing, AODV-style, written as SM code: the application SM's
side. It follows ``RouteTo<key>`` tags hop by hop; where there is none it
starts a discovery SM and blocks on the route tag (``routing.discovery``:
expanding rings, duplicate suppression, reverse routes, route errors).

A target is a node id, or ``{"tag": NAME}`` for the nearest node carrying the
tag ``NAME`` (content-based routing: the first answer comes back along the
fastest path).
"""
from routing.discovery import (
    discovery_here, discovery_key, discovery_next_hop, discovery_route_error, discovery_wait,
)


def aodv_route(target, timeout=None, max_hops=10000):
    """Move the SM to ``target`` along on-demand routes; return the hops
    taken. Raises ``MigrationTimeout`` after ``timeout`` seconds and
    ``RouteUnreachable`` when discovery gives up on the target."""
    deadline = None if timeout is None else now() + timeout
    hops = 0
    visited = {node_id()}
    while not discovery_here(target):
        if deadline is not None and now() >= deadline:
            raise MigrationTimeout("no way to " + discovery_key(target) + " within "
                                   + str(timeout) + " s")
        if hops >= max_hops:
            raise RouteUnreachable("gave up after " + str(hops) + " hops")
        ahead = discovery_next_hop(target)
        if ahead is None:
            found = discovery_wait(target, deadline)
            if found == "unreachable":
                raise RouteUnreachable("no route to " + discovery_key(target))
            visited = {node_id()}
            continue
        try:
            sys_migrate(ahead)
        except MigrationError:
            discovery_route_error(target)  # that next hop is gone
            continue
        hops += 1
        if node_id() in visited:
            discovery_route_error(target)  # routes from different discoveries made a loop
        visited.add(node_id())
    return hops
