"""On-demand routing, AODV-style (RFC 3561), written as SM code: the
application SM's side. It follows ``@RouteTo<key>`` tags (private to ``routing.discovery``) hop by hop; where
there is none it runs an expanding ring search, launching one small discovery
SM per ring (``routing.discovery``: its own brick, carrying only the target
and the request's state) and blocking on the route tag until the answer
writes it or the ring's time is up.

Rings after RFC 3561: TTL_START, then + TTL_INCREMENT up to TTL_THRESHOLD,
then NET_DIAMETER, retried RREQ_RETRIES times with the wait doubling each
time. A ring waits 2 * NODE_TRAVERSAL * (TTL + TIMEOUT_BUFFER), NODE_TRAVERSAL
being the per-hop time measured on this node (``aodv_hop_time``). A route that
fails (``aodv_route_error``) is deleted, and the next search starts from its
last hop count + TTL_INCREMENT and asks for a fresher route than the lost one
(so no node whose route may run through the broken link answers it).

A target is a node id, or ``{"tag": NAME}`` for the nearest node carrying the
tag ``NAME`` (content-based routing: the first answer comes back along the
fastest path).
"""
from routing.discovery import discovery_here, discovery_hop_measured, discovery_key, discovery_read
from routing.discovery import discovery_lost_hops, discovery_route_failed, discovery_search_over
from routing.discovery import discovery_searching, discovery_wait_route


def aodv_rfc(name):
    """RFC 3561's parameters (a function, not module data)."""
    return {"TTL_START": 1, "TTL_INCREMENT": 2, "TTL_THRESHOLD": 7, "NET_DIAMETER": 35,
            "TIMEOUT_BUFFER": 2, "RREQ_RETRIES": 2,
            "NODE_TRAVERSAL": 0.04,     # seconds per hop until one is measured here
            "MIN_TRAVERSAL": 0.01,      # the least a hop is taken to cost before one is measured
            "MARK_LIFETIME": 10.0,      # failed searches, the remembered length of a lost route
            }[name]


def aodv_route(target, timeout=None, max_hops=10000):
    """Move the SM to ``target`` along on-demand routes; return the hops
    taken. Raises ``MigrationTimeout`` after ``timeout`` seconds and
    ``RouteUnreachable`` when the search gives up on the target."""
    deadline = None if timeout is None else now() + timeout
    hops = 0
    visited = {node_id()}
    while not discovery_here(target):
        if deadline is not None and now() >= deadline:
            raise MigrationTimeout("no way to " + discovery_key(target) + " within "
                                   + str(timeout) + " s")
        if hops >= max_hops:
            raise RouteUnreachable("gave up after " + str(hops) + " hops")
        ahead = aodv_next_hop(target)
        if ahead is None:
            found = aodv_discover(target, deadline)
            if found == "unreachable":
                raise RouteUnreachable("no route to " + discovery_key(target))
            visited = {node_id()}
            continue
        try:
            sys_migrate(ahead)
        except MigrationError:
            aodv_route_error(target)  # that next hop is gone
            continue
        hops += 1
        if node_id() in visited:
            aodv_route_error(target)  # routes from different discoveries made a loop
        visited.add(node_id())
    return hops


def aodv_next_hop(target):
    """The next hop of a live route to ``target`` here, or None."""
    route = discovery_read("@RouteTo" + discovery_key(target))
    return None if not route else route[0]


def aodv_route_error(target):
    """The next hop failed (or the route looped): invalidate the route here,
    remembering its length for the next search's first ring."""
    discovery_route_failed(target)


# ---- the expanding ring search ---------------------------------------------

def aodv_discover(target, deadline):
    """Search for a route to ``target`` unless another SM here already does
    (then wait for its answer): "found", "unreachable" (the search gave up)
    or "timeout" (``deadline`` passed first)."""
    key = discovery_key(target)
    route = "@RouteTo" + key
    pending = "@discovery_pending:" + key
    while not discovery_read(route):
        left = None if deadline is None else deadline - now()
        if left is not None and left <= 0:
            return "timeout"
        if not discovery_read(pending):
            return aodv_search(target, deadline)
        # the other SM's rings answer for both; look again when its search may have ended
        wait = aodv_net_wait(aodv_hop_time(True), 0)
        try:
            discovery_wait_route(target, wait if left is None else min(wait, left))
        except TagTimeout:
            continue
        except TagAccessError:
            return "unreachable"  # a stranger holds the name: no route can be written
        if discovery_read(route) is None and discovery_read(pending) is None:
            return "unreachable"  # the search wrote its failure
    return "found"


def aodv_search(target, deadline):
    key = discovery_key(target)
    route = "@RouteTo" + key
    until = deadline
    if until is None:
        until = now() + aodv_give_up_after(aodv_hop_time(True))
    discovery_searching(target, until - now())
    lost = discovery_lost_hops(target)
    ttl = aodv_rfc("TTL_START") if lost is None else lost + aodv_rfc("TTL_INCREMENT")
    retries = 0
    outcome = "unreachable"
    while True:
        left = until - now()
        if left <= 0:
            outcome = "timeout" if deadline is not None else "unreachable"
            break
        if ttl > aodv_rfc("TTL_THRESHOLD"):
            ttl = aodv_rfc("NET_DIAMETER")
        if ttl >= aodv_rfc("NET_DIAMETER"):
            if retries > aodv_rfc("RREQ_RETRIES"):
                break
            hop_time = aodv_hop_time(True)
            wait = aodv_net_wait(hop_time, retries)
            retries += 1
        else:
            hop_time = aodv_hop_time()
            wait = aodv_ring_wait(ttl, hop_time)
        started = now()
        create_sm("routing.discovery", "discovery_start", target, ttl)
        try:
            discovery_wait_route(target, min(wait, left))
        except TagTimeout:
            ttl += aodv_rfc("TTL_INCREMENT")
            continue
        except TagAccessError:
            break
        found = discovery_read(route)
        if found:
            if found[1] > 0:
                aodv_measured((now() - started) / (2 * found[1]))
            outcome = "found"
            break
    discovery_search_over(target, outcome == "unreachable")  # wakes the SMs waiting here
    return outcome


# ---- timing ---------------------------------------------------------------

def aodv_hop_time(network_wide=False):
    """NODE_TRAVERSAL_TIME as this node measures it. A ring within
    TTL_THRESHOLD plans on a hop's time on a quiet channel (the least round
    trips of this node's hop handshakes, two round trips a hop: offer and
    accept, transfer and acknowledgement), at most the RFC's default: waiting
    too little costs only the next, slightly wider ring, which the late
    answer still ends, while a node whose only samples queued behind a flood
    would wait seconds for its neighbours. A network-wide ring
    (``network_wide``) plans on at least the RFC's default and on the loaded
    times measured here (the answers' round trips of this node's searches,
    the smoothed handshakes): waiting too little there floods the whole
    network again. Never less than MIN_TRAVERSAL (a round trip leaves out the
    time a node takes to handle an SM: a worker process, a busy node)."""
    default = aodv_rfc("NODE_TRAVERSAL")
    least = discovery_read("hop_rtt_least")
    quiet = default if not least else min(max(2.0 * least, aodv_rfc("MIN_TRAVERSAL")), default)
    if not network_wide:
        return quiet
    hop = default
    loaded = discovery_read("@RouteHopTime")
    if loaded is not None and loaded > hop:
        hop = loaded
    rtt = discovery_read("hop_rtt")
    if rtt and 2.0 * rtt > hop:
        hop = 2.0 * rtt
    return hop


def aodv_measured(seconds):
    """Fold one per-hop time into this node's smoothed estimate."""
    return discovery_hop_measured(seconds)


def aodv_ring_wait(ttl, hop_time):
    return 2.0 * hop_time * (ttl + aodv_rfc("TIMEOUT_BUFFER"))


def aodv_net_wait(hop_time, retry):
    """NET_TRAVERSAL_TIME, doubled on each retry (binary exponential backoff)."""
    return 2.0 * hop_time * aodv_rfc("NET_DIAMETER") * 2 ** retry


def aodv_give_up_after(hop_time):
    total = 0.0
    ttl = aodv_rfc("TTL_START")
    while ttl <= aodv_rfc("TTL_THRESHOLD"):
        total += aodv_ring_wait(ttl, hop_time)
        ttl += aodv_rfc("TTL_INCREMENT")
    for retry in range(aodv_rfc("RREQ_RETRIES") + 1):
        total += aodv_net_wait(hop_time, retry)
    return total
