"""``migrate(target, timeout)``: the high-level move, built from the routing
bricks, choosing and switching algorithms at run time.

Targets:

* ``[x, y]`` -- a location: geographic routing (GPSR) to the node nearest to
  it, or, with ``radius``, to any node within ``radius`` metres;
* ``"Taxi"`` -- a tag name: content-based routing to the nearest node that has
  the tag (an on-demand discovery that any carrier of the tag answers);
* ``{"node": ID}`` -- a node: on-demand routing; with ``near=[x, y]`` (where the
  node was last seen) geographic routing there first, then on-demand for the
  rest of the way when that leg times out, hits a void, or ends on another
  node because the target moved (geographic + on-demand).

``timeout`` bounds the whole move: ``MigrationTimeout`` leaves the SM on some
node with all its state, for the program to decide. ``RouteUnreachable``
says routing proved the target out of reach. Returns the hops taken.
"""
from routing.aodv import aodv_route
from routing.gpsr import geo_route

MIGRATE_GEO_SHARE = 0.5  # of the time budget the geographic leg may use


def migrate_left(deadline):
    return None if deadline is None else max(0.0, deadline - now())


def migrate(target, timeout=None, radius=None, near=None):
    deadline = None if timeout is None else now() + timeout
    if isinstance(target, (list, tuple)):
        return geo_route(target, radius, timeout)
    if isinstance(target, str):
        return aodv_route({"tag": target}, timeout)
    if not isinstance(target, dict) or "node" not in target:
        raise ValueError("migrate() takes [x, y], a tag name or {'node': id}")
    node = target["node"]
    hops = 0
    if near is not None and str(node_id()) != str(node):
        budget = None if timeout is None else timeout * MIGRATE_GEO_SHARE
        try:
            hops = geo_route(near, radius, budget)
        except MigrationTimeout:
            log("geographic leg timed out: switching to on-demand")
        except RouteUnreachable:
            log("geographic leg found no way: switching to on-demand")
    return hops + aodv_route(node, migrate_left(deadline))
