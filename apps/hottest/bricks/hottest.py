"""Water the hottest spot on the Left Hill (Borcea, Intanagonwiwat, Kang,
Kremer, Iftode: Spatial Programming using Smart Messages, ICDCS 2004), re-run
every ``period`` seconds by a level trigger.

``main(home, home_at, hill, period, expires, timeout)`` runs on the user's
node ``home`` (at ``home_at`` = [x, y]). While the home's tag ``irrigation``
is true, a level trigger starts a *round* every ``period`` seconds: a fresh
SM (``spawn``, so each round has its own mapping table) reads the ``temp`` of
every ``{hill: Sprinkler[i]}``, opens the ``water`` valve of the hottest,
closes the one the last round opened, and brings its report home. The
trigger publishes each report in the home's tag ``hottest_rounds``
(``{"seq", "started", "at", "value"}``, see ``apps.triggers``). After
``expires`` seconds ``main`` returns ``{"rounds": n, "last": report}``.

``timeout`` bounds every access (seconds). A report: ``{"seq", "started",
"chosen": [node, x, y] or None, "chosen_at", "temp", "readings": [[node,
temp], ...], "timeouts"}``.
"""
from apps.triggers import level_trigger, trigger_last
from routing.migrate import migrate
from spatial.sp import SpatialError, SpatialTimeout

HOTTEST_OUT = "hottest_rounds"     # the trigger's stream of rounds, at home
HOTTEST_REPORT = "hottest_report"  # where a round's SM leaves its report, at home
HOTTEST_SWITCH = "irrigation"      # the level: rounds run while it is true

hottest_conf = None   # {"home", "home_at", "hill", "timeout"}
hottest_prev = None   # [node, x, y] of the sprinkler the last round opened
hottest_seq = 0


def irrigation_on():
    return has_tag(HOTTEST_SWITCH) and read_tag(HOTTEST_SWITCH) is True


def water_round():
    """One round (the trigger's action): spawn it here, wait for its report."""
    global hottest_prev, hottest_seq
    hottest_seq += 1
    spawn(hottest_round, hottest_conf, hottest_prev, hottest_seq)
    wait_until = now() + 4 * hottest_conf["timeout"] + 30.0
    while now() < wait_until:
        try:
            report = block_tag(HOTTEST_REPORT, wait_until - now())
        except TagTimeout:
            break
        if report is not None and report["seq"] == hottest_seq:
            if report["chosen"] is not None:
                hottest_prev = report["chosen"]
            return report
    return {"seq": hottest_seq, "started": None, "chosen": None, "lost": True}


def main(home, home_at, hill, period, expires, timeout):
    global hottest_conf
    hottest_conf = {"home": home, "home_at": home_at, "hill": hill, "timeout": timeout}
    create_tag(HOTTEST_REPORT, None, None, {"family": "rw", "others": "r"})
    rounds = level_trigger(irrigation_on, water_round, HOTTEST_SWITCH, HOTTEST_OUT,
                           period, expires)
    return {"rounds": rounds, "last": trigger_last(HOTTEST_OUT)}


def valve_off_by_node(prev, timeout):
    """Close a valve the walk did not meet again (the node is found by routing)."""
    migrate({"node": prev[0]}, timeout, None, [prev[1], prev[2]])
    write_tag("water", False)


def hottest_round(conf, prev, seq):
    hill, timeout = conf["hill"], conf["timeout"]
    started = now()
    readings, timeouts = [], 0
    best, best_i, prev_i = None, -1, -1
    i = 0
    while True:
        try:
            t = {hill: Sprinkler[i, timeout]}.temp
        except SpatialTimeout as exc:
            if not str(exc).startswith("no unmapped node"):
                timeouts += 1      # gave up before the walk of the hill was done
            break
        here = node_id()
        readings.append([here, t])
        if prev is not None and here == prev[0]:
            prev_i = i
        if best is None or t > best:
            best, best_i = t, i
        i += 1
    chosen, chosen_at = None, None
    if best_i >= 0:
        try:
            if prev_i >= 0 and prev_i != best_i:
                {hill: Sprinkler[prev_i, timeout]}.water = False
            elif prev_i < 0 and prev is not None:
                valve_off_by_node(prev, timeout)
            {hill: Sprinkler[best_i, timeout]}.water = True
            pos = read_tag("position")
            chosen, chosen_at = [node_id(), pos[0], pos[1]], now()
        except (SpatialError, MigrationError):
            timeouts += 1
    report = {"seq": seq, "started": started, "chosen": chosen, "chosen_at": chosen_at,
              "temp": best, "readings": readings, "timeouts": timeouts}
    for attempt in range(3):
        try:
            migrate({"node": conf["home"]}, timeout, None, conf["home_at"])
            break
        except MigrationError:
            pass
    if node_id() == conf["home"]:
        write_tag(HOTTEST_REPORT, report)
    return report
