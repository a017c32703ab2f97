"""Spatial programming (DESIGN §7): spaces, spatial references, the program's
mapping table, and the accesses the notation ``{S: P[i]}.name`` compiles to.

A *space* is plain data: a flat list of shapes, ``["circle", x, y, r]``,
``["rect", x0, y0, x1, y1]`` and ``["polygon", n, x1, y1, ..., xn, yn]``. A
union is the concatenation of its parts, so ``S1 + S2`` is the union.

A *reference* ``sref(S, "P", i, t)`` names "the i-th node with tag P inside S"
(plain data, no move). An access (``sread``, ``swrite``, ``supdate``,
``sdelete``, ``range_of``) migrates the SM to that node. Unmapped, discovery
walks the space depth first and maps the first node with the tag not mapped
yet for that (space, property), marking it with a unique tag; mapped,
geographic then content-based routing take the SM back to it, and it must
still be inside the space (``OutOfSpace``). The whole access must finish
within its timeout (``SpatialTimeout``). docs/spatial.md has the details.
"""
from routing.aodv import aodv_route
from routing.gpsr import geo_route

SpatialError = SpatialError
SpatialTimeout = SpatialTimeout
OutOfSpace = OutOfSpace

SP_DEFAULT_TIMEOUT = 30.0   # seconds per access when the reference gives none
SP_TAG_LIFETIME = 600.0     # a mapping tag lives this long after the last access
SP_GEO_SHARE = 0.5          # of an access's time the geographic leg may use
# The geographic leg stops this close (metres) to a node's last known place, then
# its tag is looked for: a nearest-node route can bounce between two moving nodes.
SP_GEO_RADIUS = 20.0

# The mapping table, keyed "space|property": plain data in a global (so it travels).
sp_table = None


# ---- spaces ---------------------------------------------------------------------

def circle(center, radius):
    """The disc of ``radius`` metres around ``center`` ([x, y])."""
    return ["circle", float(center[0]), float(center[1]), float(radius)]


def rect(corner, other):
    """The axis-aligned rectangle with opposite corners ``corner`` and ``other``."""
    x0, x1 = sorted([float(corner[0]), float(other[0])])
    y0, y1 = sorted([float(corner[1]), float(other[1])])
    return ["rect", x0, y0, x1, y1]


def polygon(points):
    """The polygon with vertices ``points`` ([[x, y], ...], at least three)."""
    if len(points) < 3:
        raise ValueError("a polygon needs at least three points")
    out = ["polygon", len(points)]
    for p in points:
        out.append(float(p[0]))
        out.append(float(p[1]))
    return out


def sp_shapes(space):
    """The shapes of a space, each as its own list."""
    shapes = []
    k = 0
    while k < len(space):
        kind = space[k]
        if kind == "circle":
            size = 4
        elif kind == "rect":
            size = 5
        elif kind == "polygon":
            size = 2 + 2 * space[k + 1]
        else:
            raise ValueError("not a space: " + repr(space))
        shapes.append(space[k:k + size])
        k += size
    if not shapes:
        raise ValueError("an empty space")
    return shapes


def sp_in_shape(shape, x, y):
    kind = shape[0]
    if kind == "circle":
        return (x - shape[1]) ** 2 + (y - shape[2]) ** 2 <= shape[3] ** 2
    if kind == "rect":
        return shape[1] <= x <= shape[3] and shape[2] <= y <= shape[4]
    n = shape[1]
    inside = False
    j = n - 1
    for i in range(n):
        xi, yi = shape[2 + 2 * i], shape[3 + 2 * i]
        xj, yj = shape[2 + 2 * j], shape[3 + 2 * j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def inside(space, point):
    """Whether ``point`` ([x, y]) lies in ``space``."""
    if point is None:
        return False
    for shape in sp_shapes(space):
        if sp_in_shape(shape, point[0], point[1]):
            return True
    return False


def sp_anchor(shape):
    """Where discovery enters a shape: its centre."""
    if shape[0] == "circle":
        return [shape[1], shape[2]]
    if shape[0] == "rect":
        return [(shape[1] + shape[3]) / 2, (shape[2] + shape[4]) / 2]
    n = shape[1]
    return [sum(shape[2 + 2 * i] for i in range(n)) / n,
            sum(shape[3 + 2 * i] for i in range(n)) / n]


# ---- references -----------------------------------------------------------------

def sref(space, prop, index=0, timeout=None):
    """The reference ``{space: prop[index, timeout]}`` as a value (no move)."""
    sp_shapes(space)
    if not isinstance(prop, str) or not prop:
        raise TypeError("a spatial property is a tag name (a non-empty str)")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise TypeError("a spatial index is an int >= 0")
    return {"space": space, "prop": prop, "index": index, "timeout": timeout}


def scast(space, ref):
    """``{space: ref}``: the node ``ref`` maps to, which must now be inside ``space``."""
    sp_shapes(space)
    return {"space": space, "of": ref, "prop": ref["prop"], "index": ref["index"],
            "timeout": ref["timeout"]}


def sp_name(ref):
    return "{" + repr(ref["space"]) + ": " + ref["prop"] + "[" + str(ref["index"]) + "]}"


def sp_walk_new(space, count=False):
    """A fresh walk of ``space``: entry points left, the depth-first stack (see
    ``sp_frontier``), the nodes walked and, with ``count``, the nodes heard of."""
    walk = {"anchors": [sp_anchor(s) for s in sp_shapes(space)], "stack": [], "seen": {}}
    if count:
        walk["known"] = {}
    return walk


def sp_entry_table():
    global sp_table
    if sp_table is None:
        sp_table = {"id": "SP" + str(node_id()) + "t" + str(round(now() * 1000000)),
                    "next": 0, "maps": {}}
    return sp_table


def sp_left(deadline):
    return max(0.0, deadline - now())


def sp_candidates(space, walk):
    """The neighbours inside the space this walk has not been to (nearest first)."""
    here = read_tag("position")
    nbrs = read_tag("neighbor_positions") or {}
    out = []
    known = walk.get("known")
    for n, p in nbrs.items():
        if inside(space, p):
            if known is not None:
                known[str(n)] = True
            if str(n) not in walk["seen"]:
                out.append([(p[0] - here[0]) ** 2 + (p[1] - here[1]) ** 2, str(n), n])
    out.sort()
    return [c[2] for c in out]


def sp_frontier(space, walk, pos):
    """This node as a stack entry: [node, x, y (whole metres, enough to route
    back), its neighbours inside the space not walked yet]."""
    return [node_id(), round(pos[0]), round(pos[1]), sp_candidates(space, walk)]


def sp_pending(entry, seen):
    """Drop the walked neighbours from a stack entry (they would only travel);
    whether any are left."""
    entry[3] = [c for c in entry[3] if str(c) not in seen]
    return len(entry[3]) > 0


def sp_arrive(space, walk):
    """Record the node the walk just reached; True when it is inside the space."""
    here = str(node_id())
    pos = read_tag("position")
    walk["seen"][here] = True
    walk["stack"].append(sp_frontier(space, walk, pos))
    if inside(space, pos):
        if "known" in walk:
            walk["known"][here] = True
        return True
    return False


def sp_step(space, walk, deadline):
    """Move to the next node of the walk (depth first over the nodes inside
    the space). True: the SM is on a node not walked before; False: the whole
    space is walked. Raises ``SpatialTimeout`` at the deadline."""
    seen = walk["seen"]
    while True:
        if deadline is not None and now() >= deadline:
            raise SpatialTimeout("no further node inside the space within the timeout")
        # keep only nodes with neighbours left to walk: the state carried stays small
        stack = [e for e in walk["stack"] if sp_pending(e, seen)]
        walk["stack"] = stack
        if not stack:
            if not walk["anchors"]:
                return False
            target = walk["anchors"].pop(0)
            try:
                geo_route(target, None, None if deadline is None else sp_left(deadline))
            except MigrationTimeout:
                raise SpatialTimeout("the space was not reached within the timeout")
            except RouteUnreachable:
                continue
            if str(node_id()) not in walk["seen"]:
                sp_arrive(space, walk)
                return True
            stack.append(sp_frontier(space, walk, read_tag("position")))
            continue
        top = stack[-1]
        if str(top[0]) != str(node_id()):
            sp_go(top[0], [top[1], top[2]], deadline)
            top[3] = sp_candidates(space, walk)
            continue
        nxt = top[3][0]
        try:
            sys_migrate(nxt)
        except MigrationError:
            seen[str(nxt)] = True   # gone: leave it out of this walk
            continue
        sp_arrive(space, walk)
        return True


def sp_go(node, near, deadline):
    """To ``node`` (last seen at ``near``): a neighbour directly, else routed."""
    nbrs = read_tag("neighbor_positions") or {}
    if node in nbrs:
        try:
            sys_migrate(node)
            return
        except MigrationError:
            pass
    left = None if deadline is None else sp_left(deadline)
    try:
        geo_route(near, SP_GEO_RADIUS, None if left is None else left * SP_GEO_SHARE)
    except (MigrationTimeout, RouteUnreachable):
        pass
    if str(node_id()) != str(node):
        try:
            aodv_route(node, None if deadline is None else sp_left(deadline))
        except (MigrationTimeout, RouteUnreachable):
            raise SpatialTimeout("node " + str(node) + " not reached within the timeout")


def sp_discover(ref, deadline):
    """Walk the space to a node with the property not yet mapped for this
    (space, property) and map ``ref`` to it: its entry [node, x, y]."""
    table = sp_entry_table()
    key = repr(ref["space"]) + "|" + ref["prop"]
    group = table["maps"].get(key)
    if group is None:
        group = {"walk": sp_walk_new(ref["space"]), "refs": {}, "n": table["next"]}
        table["next"] += 1
        table["maps"][key] = group
    walk = group["walk"]
    while True:
        if not sp_step(ref["space"], walk, deadline):
            raise SpatialTimeout("no unmapped node with " + ref["prop"] + " left in the space ("
                                 + str(len(walk["seen"])) + " nodes walked)")
        pos = read_tag("position")
        if has_tag(ref["prop"]) and inside(ref["space"], pos):
            entry = [node_id(), round(pos[0]), round(pos[1])]   # its last known place, in m
            create_tag(sp_tag(group, ref["index"]), ref["prop"], SP_TAG_LIFETIME,
                       {"others": "r"})
            group["refs"][ref["index"]] = entry
            return entry


def sp_tag(group, index):
    """The unique tag that marks the node an index of a group maps to."""
    return sp_table["id"] + "g" + str(group["n"]) + "i" + str(index)


def sp_reach(ref, deadline):
    """Go to the node ``ref`` maps to (discovering it if unmapped); its entry."""
    if "of" in ref:
        return sp_reach(ref["of"], deadline)
    table = sp_entry_table()
    group = table["maps"].get(repr(ref["space"]) + "|" + ref["prop"])
    entry = None if group is None else group["refs"].get(ref["index"])
    if entry is None:
        return sp_discover(ref, deadline)
    tag = sp_tag(group, ref["index"])
    if not has_tag(tag):
        left = sp_left(deadline)
        try:
            geo_route([entry[1], entry[2]], SP_GEO_RADIUS, left * SP_GEO_SHARE)
        except (MigrationTimeout, RouteUnreachable):
            pass
    if not has_tag(tag):
        try:
            aodv_route({"tag": tag}, sp_left(deadline))
        except (MigrationTimeout, RouteUnreachable):
            pass
    if not has_tag(tag):
        raise SpatialTimeout(sp_name(ref) + ": mapped node " + str(entry[0])
                             + " not reached within the timeout")
    write_tag(tag, ref["prop"])   # renews the mapping tag's lifetime
    pos = read_tag("position")
    entry[1] = round(pos[0])
    entry[2] = round(pos[1])
    return entry


def sp_access(ref):
    """Migrate to the node of ``ref`` and check it is inside the access's
    space; the node's place."""
    if not isinstance(ref, dict) or "space" not in ref:
        raise TypeError("not a spatial reference: " + repr(ref))
    timeout = SP_DEFAULT_TIMEOUT if ref["timeout"] is None else ref["timeout"]
    sp_reach(ref, now() + timeout)
    at = read_tag("position")
    if not inside(ref["space"], at):
        raise OutOfSpace(sp_name(ref) + ": node " + str(node_id()) + " is at "
                         + str(at) + ", outside the space")
    return at


# ---- accesses (what the notation compiles to) ---------------------------------------

def sread(ref, name):
    """``ref.name``: the tag ``name`` of the referenced node (the SM is there after)."""
    sp_access(ref)
    return read_tag(name)


def swrite(ref, name, value):
    """``ref.name = value``: write (or create, readable by all) the tag there."""
    sp_access(ref)
    if has_tag(name):
        write_tag(name, value)
    else:
        create_tag(name, value, None, {"others": "r"})


def sdelete(ref, name):
    """``del ref.name``."""
    sp_access(ref)
    delete_tag(name)


def supdate(ref, name, op, operand):
    """``ref.name op= operand``: read, combine and write on the node, in one go."""
    sp_access(ref)
    old = read_tag(name)
    if op == "+":
        new = old + operand
    elif op == "-":
        new = old - operand
    elif op == "*":
        new = old * operand
    elif op == "/":
        new = old / operand
    elif op == "//":
        new = old // operand
    elif op == "%":
        new = old % operand
    elif op == "**":
        new = old ** operand
    elif op == "<<":
        new = old << operand
    elif op == ">>":
        new = old >> operand
    elif op == "&":
        new = old & operand
    elif op == "|":
        new = old | operand
    elif op == "^":
        new = old ^ operand
    else:
        raise ValueError("unknown operator " + repr(op))
    write_tag(name, new)


def range_of(ref, radius):
    """The circle of ``radius`` around the referenced node's current place."""
    return circle(sp_access(ref), radius)
