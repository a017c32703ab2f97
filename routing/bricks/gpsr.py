"""GPSR geographic routing (Karp & Kung, MobiCom 2000) as an SM brick.

Use: ``from routing.gpsr import geo_route`` then ``geo_route([x, y])``. The SM
hops towards the point; all routing state (mode, where perimeter mode began,
the face being toured) lives in ``geo_route``'s locals, so it travels with the
SM. Every top-level name starts with ``gpsr_`` (or is ``geo_route``) because
linked bricks share one namespace.

The decision at each node is ``gpsr_step``, a pure function of the node's view
(its position and its neighbours' positions) and the carried state:

* greedy: go to the neighbour closest to the destination if it is strictly
  closer than this node (ties broken by id);
* at a local minimum, perimeter mode: walk the faces of the planarised
  neighbour graph (Gabriel graph) with the right-hand rule along the segment
  Lp-D (Lp = where perimeter mode began), moving to the next face where an
  edge crosses that segment closer to D than the last crossing; back to greedy
  at the first node closer to D than Lp;
* a whole tour of a face without progress proves that no node is closer to D
  than the ones on that face: with a ``radius``, D is unreachable; with
  ``radius=None`` (nearest-node semantics, as GHT's home node) the SM goes
  back along the face, the shorter way round, to the closest node of the tour
  (by distance, then id) and arrives there.

Nodes at exactly the same position are treated as one node (the smallest id
stands for them), and the planarisation also drops an edge when a witness lies
exactly on its circle, so lattices (squares with both diagonals in range) stay
planar. Angles are pseudo-angles, so no import is needed.

Cost of a step with k neighbours: O(k) in greedy mode; in perimeter mode O(k)
per candidate edge examined in angular order (the Gabriel test of an edge is
O(k)), so O(k) when the first candidate is a Gabriel edge, O(k^2) at worst.
The carried state has a fixed size whatever the route's length.
"""

gpsr_EPS = 1e-9                 # metres: "at the destination" when radius is 0
gpsr_HOP_RETRIES = 3            # failed hops to one neighbour before skipping it


def gpsr_d2(a, b):
    dx = a[0] - b[0]
    dy = a[1] - b[1]
    return dx * dx + dy * dy


def gpsr_angle(dx, dy):
    """A pseudo-angle in [0, 4): grows counterclockwise like atan2, exact
    arithmetic on the quadrant, no trigonometry."""
    if dx == 0 and dy == 0:
        return 0.0
    if dy >= 0:
        if dx >= 0:
            return dy / (dx + dy)
        return 1 - dx / (dy - dx)
    if dx < 0:
        return 2 + dy / (dx + dy)
    return 3 + dx / (dx - dy)


def gpsr_orient(a, b, c):
    """> 0 when c is left of a->b, < 0 when right, 0 on the line."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def gpsr_kept(pos, vid, nbrs, closed):
    """Is the edge pos-v (v = nbrs[vid]) a Gabriel edge? A witness w kills it
    when the angle pos-w-v is obtuse (w strictly inside the circle on pos-v),
    or also right when ``closed``. The dot product is symmetric in pos and v,
    so both ends of an edge agree bit for bit."""
    v = nbrs[vid]
    for wid, w in nbrs.items():
        if wid == vid:
            continue
        dot = (pos[0] - w[0]) * (v[0] - w[0]) + (pos[1] - w[1]) * (v[1] - w[1])
        if dot < 0 or (closed and dot == 0 and w != v and w != pos):
            return False
    return True


def gpsr_gabriel(pos, nbrs, closed=False):
    """Ids of the neighbours ``nbrs`` ({id: [x, y]}) kept by the Gabriel-graph
    planarisation at a node at ``pos``: u-v stays iff no other neighbour lies
    strictly inside the circle with diameter u-v (``closed``: or on it)."""
    pos = [float(pos[0]), float(pos[1])]
    nbrs = {n: [float(p[0]), float(p[1])] for n, p in nbrs.items()}
    return sorted(n for n in nbrs if gpsr_kept(pos, n, nbrs, closed))


def gpsr_view(me, pos, nbrs):
    """(canonical id of this node, {id: [x, y]}) with one node per position:
    a co-located group is represented by its smallest id. Co-located nodes
    hear the same neighbours, so nothing is lost, and planarity holds."""
    here = (pos[0], pos[1])
    mine = me
    reps = {}
    for n, p in nbrs.items():
        if n == me:
            continue
        key = (float(p[0]), float(p[1]))
        if key == here:
            if n < mine:
                mine = n
            continue
        r = reps.get(key)
        if r is None or n < r:
            reps[key] = n
    return mine, {n: [k[0], k[1]] for k, n in reps.items()}


def gpsr_turn(pos, nb, ref, cw):
    """The first Gabriel neighbour met when turning from the direction
    pos->ref, counterclockwise (right-hand rule) or clockwise; a neighbour in
    exactly that direction comes last. None when there is no neighbour.
    Candidates are taken in angular order and only those are tested, so a
    typical step costs O(neighbours)."""
    base = gpsr_angle(ref[0] - pos[0], ref[1] - pos[1])
    order = []
    for n, p in nb.items():
        a = gpsr_angle(p[0] - pos[0], p[1] - pos[1])
        off = (base - a) % 4 if cw else (a - base) % 4
        order.append((off if off > 0 else 4.0, n))
    while order:
        best = min(order)
        if gpsr_kept(pos, best[1], nb, True):
            return best[1]
        order.remove(best)
    return None


def gpsr_ends(u, v):
    """The two ends of an edge in a fixed order, so both directions of one
    edge give bit-identical geometry."""
    if (u[0], u[1]) <= (v[0], v[1]):
        return u, v, False
    return v, u, True


def gpsr_crossing(lp, dest, u, v):
    """Where the edge u-v properly crosses the segment lp->dest, as the
    fraction s in (0, 1] along it; None if it does not (touching at an end
    does not count: such a node is closer than lp and ends perimeter mode)."""
    p, q, flip = gpsr_ends(u, v)
    o1 = gpsr_orient(lp, dest, p)
    o2 = gpsr_orient(lp, dest, q)
    if not ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)):
        return None
    ex = q[0] - p[0]
    ey = q[1] - p[1]
    den = (dest[0] - lp[0]) * ey - (dest[1] - lp[1]) * ex
    s = ((p[0] - lp[0]) * ey - (p[1] - lp[1]) * ex) / den
    if s <= 0 or s > 1:
        return None
    return s


def gpsr_dest_left(u, v, dest):
    """Is dest strictly left of the directed edge u->v? (Canonical order, then
    the sign flipped, so both directions agree.)"""
    p, q, flip = gpsr_ends(u, v)
    o = gpsr_orient(p, q, dest)
    return o < 0 if flip else o > 0


def gpsr_new_face(st, me, a, d2):
    """Begin touring a face along the edge me->a."""
    st["e0"] = [me, a]
    st["steps"] = 0
    st["best"] = [d2, me]
    st["first"] = 0
    st["last"] = 0


def gpsr_walk(me, pos, nb, dest, radius, st, a, fresh, d2):
    """Perimeter mode at this node with ``a`` the right-hand-rule candidate:
    apply face changes, detect a finished tour, and forward."""
    changed = fresh
    while True:
        s = gpsr_crossing(st["lp"], dest, pos, nb[a])
        if s is None or s <= st["sf"]:
            break
        st["sf"] = s
        if not gpsr_dest_left(pos, nb[a], dest):
            break               # the rest of the segment lies in this face: keep it
        # the segment goes on in the face across this edge; tour that one
        a = gpsr_turn(pos, nb, nb[a], False)
        changed = True
    if changed:
        gpsr_new_face(st, me, a, d2)
    elif [me, a] == st["e0"]:
        return gpsr_toured(me, pos, nb, radius, st, a)
    st["steps"] += 1
    st["prev"] = pos
    return "forward", a, st


def gpsr_toured(me, pos, nb, radius, st, a):
    """A whole face went by without getting closer than Lp: D lies in this
    face, so its closest node is on it."""
    if radius is not None:
        return "unreachable", None, st
    target = st["best"][1]
    if target == me:
        return "arrive", None, st
    # go back the shorter way: forward again along the tour, or backwards
    # with the mirrored (left-hand) rule, which retraces it exactly
    ahead = st["first"]
    behind = st["steps"] - st["last"]
    back = behind < ahead
    nxt = gpsr_turn(pos, nb, nb[a], True) if back else a
    st = {"mode": "return", "target": target, "cw": back,
          "left": (behind if back else ahead) - 1, "prev": pos}
    return "forward", nxt, st


def gpsr_step(me, pos, nbrs, dest, radius, state):
    """One routing decision at node ``me`` at ``pos`` with neighbours
    ``nbrs`` ({id: [x, y]}) towards ``dest``; ``state`` is None at the start,
    then what the previous step returned. Returns (action, next_hop, state),
    action being "arrive", "forward" or "unreachable". The state is plain
    data; the one given is not changed."""
    pos = [float(pos[0]), float(pos[1])]
    dest = [float(dest[0]), float(dest[1])]
    me, nb = gpsr_view(me, pos, nbrs)
    d2 = gpsr_d2(pos, dest)
    reach = gpsr_EPS if radius is None else radius + gpsr_EPS
    if d2 <= reach * reach:
        return "arrive", None, state
    st = dict(state) if state else {"mode": "greedy"}
    mode = st["mode"]

    if mode == "return":
        if me == st["target"]:
            return "arrive", None, st
        if st["left"] > 0:
            nxt = gpsr_turn(pos, nb, st["prev"], st["cw"])
            if nxt is not None:
                st["left"] -= 1
                st["prev"] = pos
                return "forward", nxt, st
        # the face changed under us (nodes moved): route afresh from here
        st = {"mode": "greedy"}
        mode = "greedy"

    if mode == "perimeter":
        if d2 < st["lp_d2"]:
            st = {"mode": "greedy"}
        else:
            key = [d2, me]
            i = st["steps"]
            if key < st["best"]:
                st["best"] = key
                st["first"] = i
                st["last"] = i
            elif key == st["best"]:
                st["last"] = i
            a = gpsr_turn(pos, nb, st["prev"], False)
            if a is None:       # every neighbour left (nodes moved): start afresh
                return gpsr_step(me, pos, nbrs, dest, radius, None)
            return gpsr_walk(me, pos, nb, dest, radius, st, a, False, d2)

    best = None
    for n, p in nb.items():
        k = (gpsr_d2(p, dest), n)
        if best is None or k < best:
            best = k
    if best is not None and best[0] < d2:
        return "forward", best[1], {"mode": "greedy"}

    # a local minimum: perimeter mode, first along the edge counterclockwise
    # from the line towards dest
    a = gpsr_turn(pos, nb, dest, False)
    if a is None:
        if radius is None:
            return "arrive", None, st     # alone: this node is the closest one
        return "unreachable", None, st
    st = {"mode": "perimeter", "lp": pos, "lp_d2": d2, "sf": 0.0}
    return gpsr_walk(me, pos, nb, dest, radius, st, a, True, d2)


def geo_route(dest, radius=None, timeout=None, max_hops=10000):
    """Move this SM towards the point ``dest`` ([x, y], metres) with GPSR.

    ``radius`` a number: stop at the first node within ``radius`` of dest (0:
    a node exactly there); ``radius=None``: stop at the node closest to dest.
    Returns the number of hops taken. Raises ``RouteUnreachable`` when GPSR
    proves the target cannot be reached or after ``max_hops`` hops, and
    ``MigrationTimeout`` when ``timeout`` seconds have passed; the SM then
    stays on the node it has reached. A hop that fails (the neighbour moved
    away) is retried with a fresh view of the neighbours; a neighbour that
    keeps failing is left out until the next successful hop.
    """
    dest = [float(dest[0]), float(dest[1])]
    start = now()
    hops = 0
    state = None
    failures = {}
    while True:
        pos = read_tag("position")
        if pos is None:
            raise RouteUnreachable("node " + str(node_id()) + " does not know its position")
        nbrs = dict(read_tag("neighbor_positions") or {})
        for n, count in failures.items():
            if count >= gpsr_HOP_RETRIES:
                nbrs.pop(n, None)
        action, nxt, new_state = gpsr_step(node_id(), pos, nbrs, dest, radius, state)
        if action == "arrive":
            return hops
        if action == "unreachable":
            raise RouteUnreachable("no route to " + str(dest) + " from node " + str(node_id()))
        if timeout is not None and now() - start > timeout:
            raise MigrationTimeout("geo_route to " + str(dest) + " timed out after "
                                   + str(hops) + " hops")
        if hops >= max_hops:
            raise RouteUnreachable("geo_route to " + str(dest) + " gave up after "
                                   + str(hops) + " hops")
        try:
            sys_migrate(nxt)
        except MigrationError:
            failures[nxt] = failures.get(nxt, 0) + 1
            continue
        hops += 1
        state = new_state
        failures = {}
