"""Intrusion detection with motion sensors and cameras, as a spatial program.

``main(home, home_at, field, radii, timeout, expires)`` runs on the user's
node ``home`` (at ``home_at`` = [x, y]). It walks every ``{field: Motion[i]}``
(a motion/light sensor of the monitored field) and leaves a *watcher* there
(``spawn``). A watcher waits on a transient trigger for its sensor's
``motion`` reading to count a new motion (it sleeps in ``block_tag``: no fuel
while all is quiet), then takes a snapshot with a camera near the sensor,
``{range_of(here, r): Camera[0]}.snapshot`` for growing ``r`` in ``radii``
(so the camera is one of the nearest), with the camera's ``flash`` on when the
sensor's ``light`` reading says it is dark, brings the picture to the user and
writes it to the user's ``alerts`` display, then goes back to its sensor and
waits again, until ``expires`` seconds after ``main`` began.

``main`` returns the number of watchers it left. An alert: ``{"sensor",
"count", "what", "motion_at", "camera", "taken_at", "snapshot"}``.
"""
from apps.triggers import trigger
from routing.migrate import migrate
from spatial.sp import SpatialError, SpatialTimeout, circle, range_of

INTRUSION_DARK = 50.0   # lux: below this the camera's flash goes on


def main(home, home_at, field, radii, timeout, expires):
    deadline = now() + expires
    watchers = 0
    i = 0
    while True:
        try:
            {field: Motion[i, timeout]}.armed = True
        except SpatialTimeout:
            break   # every motion sensor of the field has its watcher
        pos = read_tag("position")
        spawn(watch, home, home_at, [pos[0], pos[1]], radii, timeout, deadline)
        watchers += 1
        i += 1
    migrate({"node": home}, timeout, None, home_at)
    return watchers


def motion_count():
    reading = read_tag("motion")
    return 0 if reading is None else reading["count"]


def watch(home, home_at, sensor_at, radii, timeout, deadline):
    """Guard the sensor this SM was started on until ``deadline``."""
    sensor = node_id()
    handled = motion_count()
    while now() < deadline:
        try:
            count = trigger(lambda: motion_count() > handled, motion_count, "motion",
                            deadline - now())
        except TagTimeout:
            return handled
        alert = snapshot_near(sensor, sensor_at, radii, timeout)
        alert["count"] = count
        handled = count
        deliver(alert, home, home_at, timeout)
        migrate({"node": sensor}, timeout, None, sensor_at)
    return handled


def snapshot_near(sensor, sensor_at, radii, timeout):
    seen = read_tag("motion")
    dark = read_tag("light") < INTRUSION_DARK
    alert = {"sensor": sensor, "what": seen["what"], "motion_at": now(), "camera": None,
             "taken_at": None, "snapshot": None}
    here = circle(sensor_at, 1.0)   # the sensor itself: the only node this close
    for r in radii:
        near = range_of({here: Motion[0, timeout]}, r)
        try:
            if dark:
                {near: Camera[0, timeout]}.flash = True
            alert["snapshot"] = {near: Camera[0, timeout]}.snapshot
        except SpatialError:
            continue   # no camera that close: look farther
        alert["camera"] = node_id()
        alert["taken_at"] = now()
        break
    return alert


def deliver(alert, home, home_at, timeout):
    for attempt in range(3):
        try:
            migrate({"node": home}, timeout, None, home_at)
        except MigrationError:
            continue
        write_tag("alerts", alert)
        return True
    return False
