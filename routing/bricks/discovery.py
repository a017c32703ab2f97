"""On-demand route discovery (after AODV, RFC 3561): the discovery SM.

The application SM never floods. When it has no route, its routing brick
(``routing.aodv``: the expanding ring search) starts one discovery SM per ring
from this brick alone (``create_sm``): it carries the target and its route
state, never the application's, and its code is this small brick. The
application SM blocks on the route tag ``RouteTo<key>``; the reply's arrival at
the origin writes that tag and wakes it.

Each request copy is a child SM that moves one hop. A node keeps one copy per
request (duplicate suppression: ``discovery_seen:<req>``), leaves a pointer
back and a reverse route to the origin, and sends copies on to the neighbours
the previous node could not reach and no fellow receiver of its copies is
closer to (``discovery_fan_out``). The target, or a node holding a live route
to it, answers: the answer walks back along the pointers installing the
forward route.

Routes carry the target's sequence number (RFC 3561's destination sequence
number): a route is ``[next hop, hops to go, seq]``. A route error keeps the
lost route's length and number (``RouteLost<key>``); the search that follows
asks for a fresher route (``fresh``: one more than the lost number), so a
node whose route may run through the broken link cannot answer it, only the
target (which numbers its answer at least ``fresh``) or a node that learnt a
fresher route since.

Route tags live in this brick's code domain: only this brick's code, in any
SM that carries it, writes them. Their names are private to that domain
(``@RouteTo<key>``, ``@discovery_seen:<req>``...: ``docs/tagspace.md``), so no
other SM can create one first to hold it or fill it with a route of its own. Other bricks (the application's routing brick
``routing.aodv``) reach them only through the functions marked
``@own_domain``, each safe for any caller: they read routes, start a
discovery, report a broken route or a search's end and fold in a measured hop
time, but never write a route of the caller's choosing.
"""


def discovery_life(name):
    """How long the copy's marks live (a function, not module data:
    module-level values travel with every copy of the request)."""
    if name == "route":
        return 30.0     # a route unless renewed (RFC 3561 ACTIVE_ROUTE_TIMEOUT is 3 s; hops here are slower)
    return 10.0         # seen marks, back pointers, failed discoveries


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
    # in this brick's code domain
    try:
        write_tag(name, value)
    except TagNotFound:
        create_tag(name, value, lifetime, {"code": "rw"})


def discovery_drop(name):
    try:
        delete_tag(name)
    except TagError:
        pass


@own_domain
def discovery_read(name):
    try:
        return read_tag(name)
    except (TagNotFound, TagAccessError):
        return None


def discovery_route(key):
    """The route ``RouteTo<key>`` here, ``[next hop, hops, seq]``, or None
    (none, or a value this brick did not write: a tag of that name another
    brick made first)."""
    return discovery_well_formed(discovery_read("@RouteTo" + key), 3)


def discovery_lost(key):
    """``[hops, seq]`` of the route to ``key`` lost here lately, or None."""
    return discovery_well_formed(discovery_read("@RouteLost" + key), 2)


def discovery_well_formed(value, length):
    if not isinstance(value, list) or len(value) != length:
        return None
    for number in value[1:]:
        if not isinstance(number, int) or number < 0:
            return None
    return value


# ---- what other bricks may do in this brick's domain (for any caller) ------

@own_domain
def discovery_start(target, ttl):
    """The entry of a discovery SM started here (``create_sm``): the first
    copy of a new request, from this node. After a route error here the
    request asks for a route fresher than the lost one."""
    seq = discovery_read("@discovery_seq")
    seq = 1 if seq is None else seq + 1
    discovery_put("@discovery_seq", seq, None)
    ttl = max(0, min(int(ttl), 64))
    lost = discovery_lost(discovery_key(target))
    fresh = 0 if lost is None else lost[1] + 1
    return discovery_request(target, str(node_id()) + "." + str(seq), ttl, None, 0, [], [],
                             node_id(), fresh)


@own_domain
def discovery_lost_hops(target):
    """The length of the route to ``target`` lost here lately, or None."""
    lost = discovery_lost(discovery_key(target))
    return None if lost is None else lost[0]


@own_domain
def discovery_route_failed(target):
    """The route's next hop failed (or the route looped): drop the route,
    remembering its length for the next search's first ring."""
    key = discovery_key(target)
    route = discovery_route(key)
    if route is not None:
        discovery_put("@RouteLost" + key, [route[1], route[2]], discovery_life("mark"))
    discovery_drop("@RouteTo" + key)


@own_domain
def discovery_wait_route(target, seconds):
    """Wait at most ``seconds`` (TagTimeout) for the route tag to ``target``
    to be written here (its value: ``discovery_read``)."""
    block_tag("@RouteTo" + discovery_key(target), max(0.0, min(float(seconds), 600.0)))
    return None


@own_domain
def discovery_searching(target, seconds):
    """A search for ``target`` runs from here for at most ``seconds``
    (other SMs wait for its answer)."""
    seconds = max(0.0, min(float(seconds), 600.0))
    discovery_put("@discovery_pending:" + discovery_key(target), True, seconds)


@own_domain
def discovery_search_over(target, unreachable):
    """The search for ``target`` ended; unreachable, and no route came:
    the failure is written where the SMs waiting here see it."""
    key = discovery_key(target)
    discovery_drop("@discovery_pending:" + key)
    if unreachable and not discovery_read("@RouteTo" + key):
        discovery_put("@RouteTo" + key, None, discovery_life("mark"))  # wakes the SMs waiting


@own_domain
def discovery_hop_measured(seconds):
    """Fold one per-hop time into this node's smoothed estimate."""
    if not isinstance(seconds, (int, float)) or not 0.0 < seconds < 10.0:
        return None  # keep sane samples only
    measured = discovery_read("@RouteHopTime")
    if measured is not None:
        seconds = 0.75 * measured + 0.25 * seconds
    discovery_put("@RouteHopTime", seconds, discovery_life("mark"))
    return None


def discovery_request(target, req, ttl, prev, hops, covered, senders, origin, fresh):
    """One copy of a request, on the node it reached. ``covered``: the
    previous node and its neighbours, which need no copy from here (links are
    symmetric); ``senders``: ``[id, [x, y]]`` of the nodes it sent copies to;
    ``fresh``: the least sequence number of a route that may answer."""
    seen = "@discovery_seen:" + req
    if has_tag(seen):
        return None  # a copy of this request was here first
    discovery_put(seen, hops, discovery_life("mark"))
    if prev is not None:
        discovery_put("@discovery_back:" + req, prev, discovery_life("mark"))
        discovery_put("@RouteTo" + discovery_key(origin), [prev, hops, 0], discovery_life("route"))
    if discovery_here(target):
        discovery_reply(target, req, 0, discovery_number(target, fresh))
        return None
    known = discovery_route(discovery_key(target))
    if known is not None and prev is not None and known[2] >= fresh:
        discovery_reply(target, req, known[1], known[2])  # an intermediate node answers
        return None
    if ttl > 0:
        neighbors = read_tag("neighbors")
        ahead = discovery_fan_out(neighbors, prev, covered, senders)
        mine = neighbors + [node_id()]
        for neighbor, _ in ahead:
            spawn(discovery_forward, target, req, ttl - 1, node_id(), hops + 1, neighbor,
                  mine, ahead, origin, fresh)
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
    if here is not None:
        here = [round(here[0]), round(here[1])]  # as the senders' places: metres, in fewer bytes
    out = []
    for neighbor in neighbors:
        if neighbor == prev or neighbor in covered:
            continue
        place = places.get(neighbor)
        if place is not None and here is not None and discovery_closer(senders, place, here):
            continue
        if place is not None:
            place = [round(place[0]), round(place[1])]
        out.append([neighbor, place])
    return out


def discovery_closer(senders, place, here):
    mine = (here[0] - place[0]) ** 2 + (here[1] - place[1]) ** 2
    for _, spot in senders:
        if spot is not None and (spot[0] - place[0]) ** 2 + (spot[1] - place[1]) ** 2 < mine:
            return True
    return False


def discovery_forward(target, req, ttl, prev, hops, neighbor, covered, senders, origin, fresh):
    try:
        sys_migrate(neighbor)
    except MigrationError:
        return None  # that link is gone: the flood goes on through the others
    return discovery_request(target, req, ttl, prev, hops, covered, senders, origin, fresh)


def discovery_number(target, fresh):
    """The sequence number the target gives its answer: its own (from 1), or
    ``fresh`` when that asks for more (the asker lost a route numbered below)."""
    name = "@discovery_own:" + discovery_key(target)
    own = discovery_read(name)
    own = max(1 if own is None else own, fresh)
    discovery_put(name, own, None)
    return own


def discovery_reply(target, req, hops, seq):
    """Walk back to the origin, installing the forward route (numbered
    ``seq``) on the way."""
    key = discovery_key(target)
    ahead = node_id()
    while True:
        back = discovery_read("@discovery_back:" + req)
        if back is None:
            return None  # the origin leaves no back pointer: done
        try:
            sys_migrate(back)
        except MigrationError:
            return None  # the reverse path broke: the origin's ring times out
        hops += 1
        known = discovery_route(key)
        # a fresher route wins; of two as fresh, a late, longer answer keeps the shorter
        if known is None or known[2] < seq or (known[2] == seq and known[1] >= hops):
            discovery_put("@RouteTo" + key, [ahead, hops, seq], discovery_life("route"))
        ahead = node_id()
