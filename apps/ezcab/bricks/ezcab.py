"""EZCab: booking a free cab over cab-to-cab links (Zhou, Nadeem, Kang, Borcea,
Iftode, PerCom 2005), as smart messages.

A free cab carries the tag ``Taxi`` (writable by everyone); booking it
deletes the tag and writes ``BookedBy`` in the same execution slice, and an
SM runs alone on its node between suspension points, so two clients can
never book one cab.

``book(rid, client, where, hop_limit, deadline_s, naive, reach)`` is the client's
SM, started on the client's node. Until ``deadline_s`` seconds have passed it
tries again and again:

* EZCab: a *FreeCabDiscovery* SM explores the network depth-first up to
  ``hop_limit`` hops and returns along its reverse path; at every node it
  leaves the tag ``EzRoute_<rid>`` with, for each neighbour it explored
  through, the probability of finding a free cab that way. A *BookCab* SM then
  follows the highest probability greedily, books the first free cab it
  reaches and brings the confirmation back to the client. Both move only to
  neighbours last seen within ``reach`` metres;
* naive (``naive`` true): the ``find_taxi`` depth-first search, unbounded,
  to any free cab, then the same booking and confirmation.

A confirmation lost on its way back leaves the cab booked for the request:
the client's next try finds that cab again (discovery counts a cab booked by
the same request as one it can have), so a retry never loses the booking.

It returns ``{"rid", "booked", "cab", "latency", "tries"}``.
"""
import math

from apps.taxi_search import find_taxi
from routing.migrate import migrate

EZ_ROUTE_LIFETIME = 30.0
EZ_TRY_TIMEOUT = 6.0       # seconds a try may take before the client tries again
EZ_RETURN_TIMEOUT = 4.0    # seconds to bring an answer back to the client
EZ_EXPLORE_BUDGET = 2.0    # seconds a discovery may spend exploring
EZ_ENOUGH = 3              # free cabs below a node after which exploring there stops
EZ_BACK_TIMEOUT = 1.0      # seconds to route round a broken link of the reverse path


def main(rid, client, where, hop_limit, deadline_s, naive=False, reach=1000000.0):
    """``book`` as the entry point ``smvm inject`` starts (on node daemons)."""
    return book(rid, client, where, hop_limit, deadline_s, naive, reach)


def book(rid, client, where, hop_limit, deadline_s, naive, reach):
    started = now()
    deadline = started + deadline_s
    reply = "EzReply_" + rid
    create_tag(reply, None, deadline_s + 10.0, {"family": "rw"})
    tries = 0
    while now() < deadline:
        tries += 1
        left = deadline - now()
        if naive:
            spawn(ez_naive, rid, client, where, deadline)
        else:
            spawn(ez_try, rid, client, where, hop_limit, deadline, reach)
        try:
            answer = block_tag(reply, min(EZ_TRY_TIMEOUT, left))
        except TagTimeout:
            continue
        if answer is not None and answer["ok"]:
            return {"rid": rid, "booked": True, "cab": answer["cab"],
                    "latency": now() - started, "tries": tries}
        if answer is not None and not answer["found"]:
            # nobody free within reach: wait for the cabs to move
            try:
                block_tag("ez_pause", min(1.0, max(0.0, deadline - now())))
            except TagTimeout:
                pass
    return {"rid": rid, "booked": False, "cab": None, "latency": None, "tries": tries}


def ez_answer(rid, client, where, answer, path=None):
    """Bring ``answer`` to the client's reply tag: back along ``path`` (the
    way the SM came), else by routing (dropped if the way is lost)."""
    for step in reversed(path or []):
        if step == node_id():
            continue
        try:
            sys_migrate(step)
        except MigrationError:
            break
    if node_id() != client:
        try:
            migrate({"node": client}, EZ_RETURN_TIMEOUT, None, where)
        except MigrationError:
            log("answer for", rid, "lost on the way back")
            return False
    if has_tag("EzReply_" + rid):
        write_tag("EzReply_" + rid, answer)
    return True


def ez_near(reach):
    """Neighbours whose last beaconed position is within ``reach`` metres:
    a hop to one at the edge of radio range may break while the SM moves."""
    me = read_tag("position")
    where = read_tag("neighbor_positions")
    near = []
    for n in read_tag("neighbors"):
        p = where.get(n)
        if me is None or p is None or math.dist(me, p) <= reach:
            near.append(n)
    return sorted(near, key=int)


def ez_take_cab(rid):
    """Book this node's cab if it is free, or find it already booked by
    ``rid``: a try whose confirmation was lost on the way back leaves the
    cab booked, and the client's next try must find that booking again.
    Atomic: no suspension point inside."""
    if ez_booked_by(rid):
        return True
    if not has_tag("Taxi"):
        return False
    delete_tag("Taxi")
    create_tag("BookedBy", rid, None, {"others": "r"})
    return True


def ez_booked_by(rid):
    return has_tag("BookedBy") and read_tag("BookedBy") == rid


def ez_cab_for(rid):
    """This node's cab is one ``rid`` can have: free, or booked by it."""
    return has_tag("Taxi") or ez_booked_by(rid)


# ---- EZCab ---------------------------------------------------------------------------
def ez_try(rid, client, where, hop_limit, deadline, reach):
    route = "EzRoute_" + rid
    try:
        found = ez_explore(rid, route, hop_limit, {node_id()}, now() + EZ_EXPLORE_BUDGET,
                           reach)
    except MigrationError as exc:
        log("discovery for", rid, "lost its way back:", str(exc))
        return None
    if found == 0:
        ez_answer(rid, client, where, {"ok": False, "found": False, "cab": None})
        return "no free cab found"
    path = [node_id()]
    cab = ez_follow(rid, route, deadline, path, reach)
    ez_answer(rid, client, where, {"ok": cab is not None, "found": True, "cab": cab}, path)
    return cab


def ez_explore(rid, route, left, visited, until, reach):
    """FreeCabDiscovery at this node: the cabs ``rid`` can have found here
    and below (exploring until ``until`` at the latest), leaving the
    probability of each way in the tag ``route``."""
    here = node_id()
    found = 1 if ez_cab_for(rid) else 0
    via = {}
    if left > 0:
        for n in ez_near(reach):
            if n in visited or now() >= until or found >= EZ_ENOUGH:
                continue
            visited.add(n)
            try:
                sys_migrate(n)
            except MigrationError:
                continue
            below = ez_explore(rid, route, left - 1, visited, until, reach)
            ez_back(here)
            via[n] = below
            found += below
    probabilities = {n: via[n] / found for n in via if via[n] > 0} if found else {}
    value = {"free": ez_cab_for(rid), "via": probabilities}
    if has_tag(route):
        write_tag(route, value)
    else:
        create_tag(route, value, EZ_ROUTE_LIFETIME, {"code": "rw"})
    return found


def ez_back(parent):
    """Back one step along the reverse path; if that link broke, route there."""
    try:
        sys_migrate(parent)
    except MigrationError:
        migrate({"node": parent}, EZ_BACK_TIMEOUT)


def ez_follow(rid, route, deadline, path, reach):
    """BookCab: follow the highest probability to a free cab and book it;
    ``path`` collects the nodes it went through."""
    visited = {node_id()}
    while now() < deadline:
        if ez_take_cab(rid):
            return node_id()
        if not has_tag(route):
            return None
        ways = read_tag(route)["via"]
        near = ez_near(reach)
        moved = False
        for n in sorted(ways, key=lambda k: (-ways[k], int(k))):
            if n in visited or n not in near:
                continue
            visited.add(n)
            try:
                sys_migrate(n)
            except MigrationError:
                continue
            moved = True
            path.append(n)
            break
        if not moved:
            return None
    return None


# ---- naive: find_taxi's search -----------------------------------------------------------
def ez_naive(rid, client, where, deadline):
    while now() < deadline:
        found = find_taxi("Taxi", 3, deadline)
        if found["taxi"] is None:
            ez_answer(rid, client, where, {"ok": False, "found": False, "cab": None})
            return None
        if ez_take_cab(rid):
            ez_answer(rid, client, where, {"ok": True, "found": True, "cab": node_id()},
                      found["path"])
            return node_id()
    return None
