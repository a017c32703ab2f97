"""Spatial iterators (SpatialViews): run a function on every node with a
property inside a space, and combine what it returns.

``visit(space, prop, body, reduce=None, time=None, qor=1.0, parallel=False)``
runs ``body()`` *on* each node of ``space`` that has tag ``prop`` (its
``read_tag`` reads that node's tags) and returns ``{"value": v, "visited": n,
"qor": q}``: ``v`` combines the values with ``reduce(a, b)`` (without
``reduce``, the list of values), ``n`` is how many nodes ran ``body`` and ``q``
the fraction of the space's nodes found so far that were reached before
``time`` seconds ran out (1.0: the whole space). With ``qor`` below 1 the walk
stops as soon as that fraction is reached.

Serial: the SM itself walks the space depth first (the walk of ``spatial.sp``)
and ends on the last node it reached. Parallel: clones (spawned SMs) spread
over the space, one per node, each running ``body`` where it lands and
carrying its value back to the node where the visit began, which combines them
(same value as the serial walk for associative, commutative reductions).
"""
from spatial.sp import inside, sp_candidates, sp_shapes, sp_step, sp_walk_new, sp_anchor
from routing.migrate import migrate
from routing.gpsr import geo_route

SV_MARK_LIFETIME = 120.0    # marks a parallel visit leaves on the nodes it reached
SV_WAIT = 60.0              # a parallel visit without ``time`` waits at most this long
sv_count = None             # parallel visits this SM started (names their tags)


def sv_combine(acc, value, reduce, first):
    if reduce is None:
        acc.append(value)
        return acc
    return value if first else reduce(acc, value)


def visit(space, prop, body, reduce=None, time=None, qor=1.0, parallel=False):
    """Run ``body()`` on each node with tag ``prop`` in ``space``; see the module text."""
    sp_shapes(space)
    deadline = None if time is None else now() + time
    if parallel:
        return sv_parallel(space, prop, body, reduce, deadline)
    walk = sp_walk_new(space, True)
    value = [] if reduce is None else None
    visited = 0
    reached = 0
    complete = False
    while True:
        if qor < 1.0 and walk["known"] and reached / len(walk["known"]) >= qor:
            break
        try:
            if not sp_step(space, walk, deadline):
                complete = True
                break
        except SpatialTimeout:
            break
        if not inside(space, read_tag("position")):
            continue
        reached += 1
        if has_tag(prop):
            value = sv_combine(value, body(), reduce, visited == 0)
            visited += 1
    return {"value": value, "visited": visited,
            "qor": sv_quality(reached, len(walk["known"]), complete)}


def sv_quality(reached, known, complete):
    """The fraction of the space's known nodes reached; an empty space walked
    whole is complete (1.0), one not even reached in time is 0.0."""
    if known == 0:
        return 1.0 if complete else 0.0
    return min(1.0, reached / known)


def sv_parallel(space, prop, body, reduce, deadline):
    global sv_count
    sv_count = 1 if sv_count is None else sv_count + 1
    home = node_id()
    key = "SV" + str(home) + "t" + str(round(now() * 1000000)) + "n" + str(sv_count)
    create_tag(key + "r", [], None, {"family": "rw"})
    job = {"space": space, "prop": prop, "body": body, "key": key, "home": home,
           "home_at": read_tag("position"), "deadline": deadline}
    pending = {}      # clones whose report has not come back yet
    done = {}         # clones whose report came (a child may report before its parent)
    for k, shape in enumerate(sp_shapes(space)):
        spawn(sv_clone, job, None, sp_anchor(shape), [], str(k))
        pending[str(k)] = True
    value = [] if reduce is None else None
    visited = 0
    reached = 0
    known = {}
    until = now() + SV_WAIT if deadline is None else deadline
    while pending:
        reports = read_tag(key + "r")
        if not reports:
            left = until - now()
            if left <= 0:
                break
            try:
                block_tag(key + "r", left)
            except TagTimeout:
                break
            continue
        write_tag(key + "r", [])
        for report in reports:
            done[report["cid"]] = True
            pending.pop(report["cid"], None)
            for child in report["children"]:
                if child not in done:
                    pending[child] = True
            reached += report["reached"]
            for n in report["known"]:
                known[n] = True
            if report["has"]:
                value = sv_combine(value, report["value"], reduce, visited == 0)
                visited += 1
    delete_tag(key + "r")
    return {"value": value, "visited": visited,
            "qor": sv_quality(reached, len(known), not pending)}


def sv_clone(job, hop_to, enter_at, covered, cid):
    """One clone: go to a node, mark it, run the body, spread to the
    neighbours inside the space that its parent did not already send clones
    to (``covered``), report home."""
    report = {"cid": cid, "children": [], "reached": 0, "known": [], "has": False,
              "value": None}
    space = job["space"]
    late = job["deadline"] is not None and now() >= job["deadline"]
    moved = not late
    if moved:
        try:
            if enter_at is not None:
                geo_route(enter_at, None, None if job["deadline"] is None
                          else max(0.0, job["deadline"] - now()))
            else:
                sys_migrate(hop_to)
        except (MigrationError, SpatialError):
            moved = False
    first = False
    if moved:
        try:
            create_tag(job["key"] + "v", True, SV_MARK_LIFETIME, {"family": "rw"})
            first = True
        except TagExists:
            first = False
    if first:
        here = read_tag("position")
        walk = {"known": {}, "seen": {}}
        nbrs = sp_candidates(space, walk)
        report["known"] = list(walk["known"].keys())
        if inside(space, here):
            report["known"].append(str(node_id()))
            report["reached"] = 1
            if has_tag(job["prop"]):
                report["value"] = job["body"]()
                report["has"] = True
        if job["deadline"] is None or now() < job["deadline"]:
            mine = [n for n in nbrs if str(n) not in covered]
            spread = [str(n) for n in nbrs] + [str(node_id())]
            for n in mine:
                child = cid + "." + str(len(report["children"]))
                spawn(sv_clone, job, n, None, spread, child)
                report["children"].append(child)
    try:
        geo_route(job["home_at"])   # the visit's home does not move while it waits
        if str(node_id()) != str(job["home"]):
            migrate({"node": job["home"]}, SV_WAIT)
    except MigrationError:
        return None
    try:
        reports = read_tag(job["key"] + "r")
    except TagNotFound:
        return None     # the visit is over
    reports.append(report)
    write_tag(job["key"] + "r", reports)
