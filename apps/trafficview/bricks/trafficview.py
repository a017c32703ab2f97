"""TrafficView (Nadeem, Dashtinezhad, Liao, Iftode, 2004) as smart messages:
every vehicle learns the traffic ahead of it from vehicle-to-vehicle data.

``vehicle(period, capacity, policy, max_age, reach, region)`` is each
vehicle's resident SM. Every ``period`` seconds it refreshes its own record
(position along the road, speed, time), builds a frame of at most
``capacity`` records from its dataset of the traffic ahead, and sends it to
the vehicles behind it (the nearest and the farthest neighbour behind within
``reach`` metres): a carrier SM migrates there and merges the frame into that
vehicle's dataset (the tag ``tv_data``, shared by this brick's code, readable
by everyone). Records older than ``max_age`` seconds are dropped.

A record is ``{"id", "x", "v", "t", "n", "lo", "hi"}``: ``n`` vehicles
(one, or an aggregate with ``id`` None) around position ``x`` (spanning
``lo`` .. ``hi``) moving at speed ``v`` at time ``t``. Policies to fit the
frame, after the paper:

* ``none`` -- no aggregation: the nearest ``capacity`` records ahead;
* ``ratio`` -- the road ahead in regions of ``region``, 2, 4, ... times its
  length; records of region ``k`` are aggregated ``2**k`` to one;
* ``cost`` -- merge the adjacent pair whose merging costs least until the
  frame fits; the cost of merging is the spread it hides (gap plus speed
  difference times ten seconds, times the vehicles) divided by how far ahead
  it is, so distant vehicles are aggregated first.
"""


def tv_estimate(r, t):
    """Where the record's vehicles are at time ``t``."""
    return r["x"] + r["v"] * (t - r["t"])


def tv_start(r, t):
    return r["lo"] + r["v"] * (t - r["t"])


def tv_end(r, t):
    return r["hi"] + r["v"] * (t - r["t"])


def tv_merge(a, b, t):
    n = a["n"] + b["n"]
    xa, xb = tv_estimate(a, t), tv_estimate(b, t)
    shift = t - a["t"]
    shift_b = t - b["t"]
    return {"id": None, "n": n, "t": t,
            "x": (a["n"] * xa + b["n"] * xb) / n,
            "v": (a["n"] * a["v"] + b["n"] * b["v"]) / n,
            "lo": min(a["lo"] + a["v"] * shift, b["lo"] + b["v"] * shift_b),
            "hi": max(a["hi"] + a["v"] * shift, b["hi"] + b["v"] * shift_b)}


def tv_frame(records, me, policy, capacity, region, t):
    """At most ``capacity`` records about the road ahead of ``me``, by ``policy``."""
    ahead = sorted([r for r in records if tv_estimate(r, t) >= me - 1.0],
                   key=lambda r: tv_estimate(r, t))
    if policy == "ratio":
        ahead = tv_ratio(ahead, me, region, t)
    elif policy == "cost":
        ahead = tv_cost(ahead, me, capacity, t)
    return ahead[:capacity]


def tv_ratio(ahead, me, region, t):
    out = []
    group = []
    group_level = 0
    for r in ahead:
        d = tv_estimate(r, t) - me
        level = 0
        edge = region
        while d >= edge and level < 6:
            level += 1
            edge = edge + region * (2 ** level)
        if group and (level != group_level or len(group) >= 2 ** group_level):
            out.append(tv_join(group, t))
            group = []
        group.append(r)
        group_level = level
    if group:
        out.append(tv_join(group, t))
    return out


def tv_join(group, t):
    merged = group[0]
    for r in group[1:]:
        merged = tv_merge(merged, r, t)
    return merged


def tv_cost(ahead, me, capacity, t):
    records = list(ahead)
    while len(records) > capacity:
        best = -1
        best_cost = 0.0
        for i in range(len(records) - 1):
            a = records[i]
            b = records[i + 1]
            spread = abs(tv_estimate(b, t) - tv_estimate(a, t)) + 10.0 * abs(a["v"] - b["v"])
            distance = max(1.0, tv_estimate(a, t) - me)
            cost = spread * (a["n"] + b["n"]) / distance
            if best < 0 or cost < best_cost:
                best = i
                best_cost = cost
        records[best:best + 2] = [tv_merge(records[best], records[best + 1], t)]
    return records


def tv_receive(frame, t, max_age):
    """Merge a received frame into this vehicle's dataset."""
    data = read_tag("tv_data") if has_tag("tv_data") else {"own": {}, "agg": []}
    own = data["own"]
    for r in frame:
        if t - r["t"] > max_age:
            continue
        if r["id"] is None:
            continue
        known = own.get(r["id"])
        if known is None or known["t"] < r["t"]:
            own[r["id"]] = r
    aggregates = [r for r in frame if r["id"] is None and t - r["t"] <= max_age]
    if aggregates:
        # the new aggregates replace the old ones they overlap; individual
        # records win over aggregates of the same stretch of road
        far = max([tv_estimate(r, t) for r in own.values()] + [-1e18])
        reach = max([tv_end(r, t) for r in aggregates])
        kept = [r for r in data["agg"] if tv_start(r, t) > reach]
        data["agg"] = [r for r in aggregates + kept if tv_start(r, t) > far]
    if has_tag("tv_data"):
        write_tag("tv_data", data)
    else:
        create_tag("tv_data", data, None, {"code": "rw", "others": "r"})


def tv_carry(target, frame, t, max_age):
    try:
        sys_migrate(target)
    except MigrationError:
        return False
    tv_receive(frame, t, max_age)
    return True


def vehicle(period, capacity, policy, max_age, reach, region):
    me_id = node_id()
    last = None
    sent = 0
    while True:
        t = now()
        pos = read_tag("position")
        if abs(pos[0]) > 1e7:
            return sent  # off the road
        speed = 0.0 if last is None else (pos[0] - last[0]) / max(1e-6, t - last[1])
        last = [pos[0], t]
        mine = {"id": me_id, "x": pos[0], "v": speed, "t": t, "n": 1, "lo": pos[0], "hi": pos[0]}
        tv_receive([mine], t, max_age)
        data = read_tag("tv_data")
        data["own"] = {k: r for k, r in data["own"].items() if t - r["t"] <= max_age}
        data["agg"] = [r for r in data["agg"] if t - r["t"] <= max_age]
        write_tag("tv_data", data)
        frame = tv_frame(list(data["own"].values()) + data["agg"], pos[0], policy, capacity,
                         region, t)
        behind = []
        where = read_tag("neighbor_positions")
        for n in read_tag("neighbors"):
            p = where.get(n)
            if p is not None and p[0] < pos[0] and pos[0] - p[0] <= reach:
                behind.append([pos[0] - p[0], n])
        behind.sort()
        targets = []
        if behind:
            targets.append(behind[0][1])
            if behind[-1][1] != behind[0][1]:
                targets.append(behind[-1][1])
        for n in targets:
            spawn(tv_carry, n, frame, t, max_age)
            sent += 1
        try:
            block_tag("tv_pause", period)
        except TagTimeout:
            pass
