"""On-demand route discovery (after AODV, RFC 3561), as a small SM of its own.

The application SM never floods. When it has no route it calls
``discovery_wait``, which starts a discovery SM from this brick alone
(``create_sm``: it carries only the target and its route state, never the
application's) and blocks on the route tag ``RouteTo<key>``; the reply's
arrival at the origin writes that tag and wakes it.

The discovery SM runs expanding rings: TTL_START, then + TTL_INCREMENT up to
TTL_THRESHOLD, then NET_DIAMETER, retried RREQ_RETRIES times with the wait
doubling each time. A ring waits 2 * NODE_TRAVERSAL * (TTL + TIMEOUT_BUFFER),
NODE_TRAVERSAL being the per-hop time measured on this node (see
``discovery_hop_time``), the RFC's 40 ms before any measurement.

Each request copy is a child SM that moves one hop. A node keeps one copy per
request (duplicate suppression: ``discovery_seen:<req>``), leaves a pointer
back and a reverse route to the origin, and sends copies on to the neighbours
the previous node could not reach and no fellow receiver of its copies is
closer to (``discovery_fan_out``). The target, or a node holding a live route
to it, answers: the answer walks back along the pointers installing the
forward route. A route that fails (``discovery_route_error``) is deleted, and
the next discovery starts from its last hop count + TTL_INCREMENT.

Route tags live in this brick's code domain: only this brick's code, in any
SM that carries it, reads or writes them.
"""


def discovery_rfc(name):
    """RFC 3561's parameters (a function, not module data: module-level
    values travel with every copy of the request)."""
    return {"TTL_START": 1, "TTL_INCREMENT": 2, "TTL_THRESHOLD": 7, "NET_DIAMETER": 35,
            "TIMEOUT_BUFFER": 2, "RREQ_RETRIES": 2,
            "NODE_TRAVERSAL": 0.04,     # seconds per hop until one is measured here
            "MIN_TRAVERSAL": 0.01,      # the least a hop is taken to cost before one is measured
            "ROUTE_LIFETIME": 30.0,     # a route unless renewed
            "MARK_LIFETIME": 10.0,      # seen marks, back pointers, failed discoveries
            }[name]


def discovery_shared():
    return {"code": "rw"}  # this brick's code, in any SM that carries it


def discovery_key(target):
    if isinstance(target, dict):
        return "tag:" + str(target["tag"])
    return "node:" + str(target)


def discovery_here(target):
    if isinstance(target, dict):
        return has_tag(target["tag"])
    return str(node_id()) == str(target)


def discovery_put(name, value, lifetime):
    # writing renews the lifetime; the first writer on a node creates the tag
    try:
        write_tag(name, value)
    except TagNotFound:
        create_tag(name, value, lifetime, discovery_shared())


def discovery_drop(name):
    try:
        delete_tag(name)
    except TagError:
        pass


def discovery_read(name):
    try:
        return read_tag(name)
    except (TagNotFound, TagAccessError):
        return None


# ---- the route table, as the application's routing code uses it ----------

def discovery_next_hop(target):
    """The next hop of a live route to ``target`` here, or None."""
    route = discovery_read("RouteTo" + discovery_key(target))
    return None if not route else route[0]


def discovery_route_error(target):
    """The next hop failed (or the route looped): invalidate the route here,
    remembering its length for the next discovery's first ring."""
    key = discovery_key(target)
    route = discovery_read("RouteTo" + key)
    if route:
        discovery_put("RouteLost" + key, route[1], discovery_rfc("MARK_LIFETIME"))
    discovery_drop("RouteTo" + key)


def discovery_wait(target, deadline):
    """Start a discovery for ``target`` unless one is under way here, and
    block until a route exists: "found", "unreachable" (the discovery gave
    up) or "timeout" (``deadline`` passed first)."""
    key = discovery_key(target)
    route = "RouteTo" + key
    if discovery_read(route):
        return "found"
    if not has_tag("discovery_pending:" + key):
        until = deadline
        if until is None:
            until = now() + discovery_give_up_after(discovery_hop_time())
        create_tag("discovery_pending:" + key, True, max(0.0, until - now()), discovery_shared())
        lost = discovery_read("RouteLost" + key)
        ttl = discovery_rfc("TTL_START") if lost is None else lost + discovery_rfc("TTL_INCREMENT")
        create_sm("routing.discovery", "discovery_originate", target, ttl, until)
    wait = None if deadline is None else max(0.0, deadline - now())
    try:
        block_tag(route, wait)
    except TagTimeout:
        return "timeout"
    except TagAccessError:
        return "unreachable"  # a stranger holds the name: no route can be written
    return "found" if discovery_read(route) else "unreachable"


# ---- timing ---------------------------------------------------------------

def discovery_hop_time():
    """NODE_TRAVERSAL_TIME as measured here: by this node's discoveries (the
    answer's round trip over twice its hops), else by its hop handshakes (a
    hop is two round trips: offer and accept, transfer and acknowledgement),
    else the RFC's default."""
    measured = discovery_read("RouteHopTime")
    if measured is not None:
        return measured
    rtt = discovery_read("hop_rtt")
    if not rtt:
        return discovery_rfc("NODE_TRAVERSAL")
    # a round trip leaves out the time a node takes to handle an SM (a worker
    # process, a busy node): never plan on less than MIN_TRAVERSAL a hop
    return max(2.0 * rtt, discovery_rfc("MIN_TRAVERSAL"))


def discovery_measured(seconds):
    """Fold one per-hop time into this node's smoothed estimate."""
    if not 0.0 < seconds < 10.0:
        return None  # clocks of different nodes may disagree: keep sane samples
    measured = discovery_read("RouteHopTime")
    if measured is not None:
        seconds = 0.75 * measured + 0.25 * seconds
    discovery_put("RouteHopTime", seconds, discovery_rfc("MARK_LIFETIME"))
    return None


def discovery_ring_wait(ttl, hop_time):
    return 2.0 * hop_time * (ttl + discovery_rfc("TIMEOUT_BUFFER"))


def discovery_give_up_after(hop_time):
    total = 0.0
    ttl = discovery_rfc("TTL_START")
    while ttl <= discovery_rfc("TTL_THRESHOLD"):
        total += discovery_ring_wait(ttl, hop_time)
        ttl += discovery_rfc("TTL_INCREMENT")
    net = 2.0 * hop_time * discovery_rfc("NET_DIAMETER")
    for retry in range(discovery_rfc("RREQ_RETRIES") + 1):
        total += net * 2 ** retry
    return total


# ---- the discovery SM -----------------------------------------------------

def discovery_request_id():
    seq = discovery_read("discovery_seq")
    seq = 1 if seq is None else seq + 1
    discovery_put("discovery_seq", seq, None)
    return str(node_id()) + "." + str(seq)


def discovery_originate(target, ttl, until):
    """At the origin: flood requests in widening rings until a route tag
    appears or ``until`` passes; then write the route tag as None (the
    application's wait ends: unreachable)."""
    key = discovery_key(target)
    route = "RouteTo" + key
    origin = node_id()
    retries = 0
    while now() < until and not discovery_read(route):
        if ttl > discovery_rfc("TTL_THRESHOLD"):
            ttl = discovery_rfc("NET_DIAMETER")
        hop_time = discovery_hop_time()
        wait = discovery_ring_wait(ttl, hop_time)
        if ttl >= discovery_rfc("NET_DIAMETER"):
            wait = 2.0 * hop_time * discovery_rfc("NET_DIAMETER") * 2 ** retries
            retries += 1
        req = discovery_request_id()
        started = now()
        spawn(discovery_request, target, req, ttl, None, 0, [], [], origin, started)
        try:
            block_tag(route, min(wait, max(0.0, until - now())))
        except TagTimeout:
            if retries > discovery_rfc("RREQ_RETRIES"):
                break
            ttl += discovery_rfc("TTL_INCREMENT")
            continue
        found = discovery_read(route)
        if found and found[1] > 0:
            discovery_measured((now() - started) / (2 * found[1]))
    discovery_drop("discovery_pending:" + key)
    if not discovery_read(route):
        discovery_put(route, None, discovery_rfc("MARK_LIFETIME"))
    return None


def discovery_request(target, req, ttl, prev, hops, covered, senders, origin, started):
    """One copy of a request, on the node it reached. ``covered``: the
    previous node and its neighbours, which need no copy from here (links are
    symmetric); ``senders``: ``[id, x, y]`` of the nodes it sent copies to."""
    seen = "discovery_seen:" + req
    if has_tag(seen):
        return None  # a copy of this request was here first
    create_tag(seen, hops, discovery_rfc("MARK_LIFETIME"), discovery_shared())
    if prev is not None:
        create_tag("discovery_back:" + req, prev, discovery_rfc("MARK_LIFETIME"),
                   discovery_shared())
        discovery_put("RouteTo" + discovery_key(origin), [prev, hops],
                      discovery_rfc("ROUTE_LIFETIME"))
    if discovery_here(target):
        discovery_reply(target, req, 0)
        return None
    known = discovery_read("RouteTo" + discovery_key(target))
    if known and prev is not None:
        discovery_reply(target, req, known[1])  # an intermediate node answers
        return None
    if ttl > 0:
        neighbors = read_tag("neighbors")
        ahead = discovery_fan_out(neighbors, prev, covered, senders)
        mine = neighbors + [node_id()]
        for neighbor, _ in ahead:
            spawn(discovery_forward, target, req, ttl - 1, node_id(), hops + 1, neighbor,
                  mine, ahead, origin, started)
    return None


def discovery_fan_out(neighbors, prev, covered, senders):
    """``[id, [x, y]]`` of the neighbours to send copies to: those the
    previous node did not reach, less those a fellow receiver of its copies
    is closer to (it sends them one; in a unit disk, closer means in range),
    so a wave of the flood reaches each new node about once. Positions come
    from the neighbours' beacons; without them every uncovered neighbour
    gets a copy."""
    places = read_tag("neighbor_positions")
    here = read_tag("position")
    out = []
    for neighbor in neighbors:
        if neighbor == prev or neighbor in covered:
            continue
        place = places.get(neighbor)
        if place is not None and here is not None and discovery_closer(senders, place, here):
            continue
        out.append([neighbor, place])
    return out


def discovery_closer(senders, place, here):
    mine = (here[0] - place[0]) ** 2 + (here[1] - place[1]) ** 2
    for _, spot in senders:
        if spot is not None and (spot[0] - place[0]) ** 2 + (spot[1] - place[1]) ** 2 < mine:
            return True
    return False


def discovery_forward(target, req, ttl, prev, hops, neighbor, covered, senders, origin, started):
    try:
        sys_migrate(neighbor)
    except MigrationError:
        return None  # that link is gone: the flood goes on through the others
    return discovery_request(target, req, ttl, prev, hops, covered, senders, origin, started)


def discovery_reply(target, req, hops):
    """Walk back to the origin, installing the forward route on the way."""
    route = "RouteTo" + discovery_key(target)
    ahead = node_id()
    while True:
        back = discovery_read("discovery_back:" + req)
        if back is None:
            return None  # the origin leaves no back pointer: done
        try:
            sys_migrate(back)
        except MigrationError:
            return None  # the reverse path broke: the origin's ring times out
        hops += 1
        discovery_put(route, [ahead, hops], discovery_rfc("ROUTE_LIFETIME"))
        ahead = node_id()
