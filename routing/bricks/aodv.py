"""On-demand routing, AODV-style, written as SM code.

A route is a chain of ``RouteTo<key>`` tags, one per node on the path, each
holding ``[next hop, hops to go]`` for a lifetime. They live in this brick's
code domain: the code of this brick reuses them in every SM that carries it,
and no other code -- a stranger's, or the rest of the carrying SM -- can read
or forge them.

Discovery floods request SMs within a hop limit that doubles on every try (an
expanding ring). Each copy marks the node it reaches as seen (later copies of
the same request stop there) and leaves a reverse pointer to where it came
from. The copy that reaches the target walks back along the reverse pointers,
installing the forward route at every node, and at the origin writes the reply
tag the waiting SM blocks on. A next hop that is gone (``sys_migrate`` fails)
invalidates the route there, and the SM discovers again.

A target is a node id, or ``{"tag": NAME}`` for the nearest node carrying the
tag ``NAME`` (content-based routing: the first reply comes back along the
fastest path).
"""

AODV_ROUTE_LIFETIME = 30.0   # seconds a forward route lives unless used
AODV_MARK_LIFETIME = 10.0    # seen marks, reverse pointers, replies
AODV_MAX_TTL = 64            # the widest ring, in hops
AODV_HOP_WAIT = 0.2          # seconds a ring waits per hop of its radius, each way
AODV_SHARED = {"code": "rw"}


def aodv_key(target):
    if isinstance(target, dict):
        return "tag:" + str(target["tag"])
    return "node:" + str(target)


def aodv_here(target):
    if isinstance(target, dict):
        return has_tag(target["tag"])
    return str(node_id()) == str(target)


def aodv_put(name, value, lifetime):
    # writing renews the lifetime; the first writer on a node creates the tag
    try:
        write_tag(name, value)
    except TagNotFound:
        create_tag(name, value, lifetime, AODV_SHARED)


def aodv_drop(name):
    try:
        delete_tag(name)
    except TagError:
        pass


def aodv_request_id():
    try:
        seq = read_tag("aodv_seq") + 1
        write_tag("aodv_seq", seq)
    except TagNotFound:
        seq = 1
        create_tag("aodv_seq", seq, None, AODV_SHARED)
    return str(node_id()) + "." + str(seq)


def aodv_request(target, req, ttl, prev, hops, covered):
    """One copy of a route request, on the node it has reached. ``covered``:
    the nodes the previous node sent copies to, which need none from here
    (links are symmetric), so a dense neighbourhood is not flooded twice."""
    seen = "aodv_seen:" + req
    if has_tag(seen):
        return None  # a copy of this request was here first
    create_tag(seen, hops, AODV_MARK_LIFETIME, AODV_SHARED)
    if prev is not None:
        create_tag("aodv_back:" + req, prev, AODV_MARK_LIFETIME, AODV_SHARED)
    if aodv_here(target):
        aodv_reply(target, req)
        return None
    if ttl > 0:
        here = node_id()
        neighbors = read_tag("neighbors")
        mine = neighbors + [here]
        for neighbor in neighbors:
            if neighbor != prev and neighbor not in covered:
                spawn(aodv_forward, target, req, ttl - 1, here, hops + 1, neighbor, mine)
    return None


def aodv_forward(target, req, ttl, prev, hops, neighbor, covered):
    try:
        sys_migrate(neighbor)
    except MigrationError:
        return None  # that link is gone: the flood goes on through the others
    return aodv_request(target, req, ttl, prev, hops, covered)


def aodv_reply(target, req):
    """Walk back to the origin, installing the forward route on the way."""
    route = "RouteTo" + aodv_key(target)
    ahead = node_id()
    hops = 0
    while True:
        try:
            back = read_tag("aodv_back:" + req)
        except TagNotFound:
            break  # the origin leaves no reverse pointer
        try:
            sys_migrate(back)
        except MigrationError:
            return None  # the reverse path broke: the origin times out and retries
        hops += 1
        aodv_put(route, [ahead, hops], AODV_ROUTE_LIFETIME)
        ahead = node_id()
    aodv_put("aodv_reply:" + req, hops, AODV_MARK_LIFETIME)
    return None


def aodv_discover(target, deadline):
    """Flood requests in widening rings until a reply comes back; False when
    the deadline or the widest ring passes without one."""
    ttl = 1
    while ttl <= AODV_MAX_TTL:
        req = aodv_request_id()
        spawn(aodv_request, target, req, ttl, None, 0, [])
        wait = AODV_HOP_WAIT * 2 * ttl + AODV_HOP_WAIT
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - now()))
        try:
            block_tag("aodv_reply:" + req, wait)
            return True
        except TagTimeout:
            if deadline is not None and now() >= deadline:
                return False
        ttl = ttl * 2
    return False


def aodv_route(target, timeout=None, max_hops=10000):
    """Move the SM to ``target`` along on-demand routes; return the hops
    taken. Raises ``MigrationTimeout`` after ``timeout`` seconds and
    ``RouteUnreachable`` when no discovery finds the target."""
    deadline = None if timeout is None else now() + timeout
    route = "RouteTo" + aodv_key(target)
    hops = 0
    visited = {node_id()}
    while not aodv_here(target):
        if deadline is not None and now() >= deadline:
            raise MigrationTimeout("no way to " + aodv_key(target) + " within "
                                   + str(timeout) + " s")
        if hops >= max_hops:
            raise RouteUnreachable("gave up after " + str(hops) + " hops")
        try:
            ahead = read_tag(route)[0]
        except (TagNotFound, TagAccessError):
            if not aodv_discover(target, deadline):
                if deadline is not None and now() >= deadline:
                    continue  # reported as a timeout above
                raise RouteUnreachable("no route to " + aodv_key(target))
            visited = {node_id()}
            continue
        try:
            sys_migrate(ahead)
        except MigrationError:
            aodv_drop(route)  # route error: that next hop is gone
            continue
        hops += 1
        if node_id() in visited:
            aodv_drop(route)  # routes from different discoveries made a loop
        visited.add(node_id())
    return hops
