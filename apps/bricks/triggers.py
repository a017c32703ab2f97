"""Triggers over tags, after snBench's SNAFU: run an action when a predicate
over tags holds, once or as a stream.

* ``trigger(pred, action, watch, timeout=None)`` -- transient: wait until
  ``pred()`` holds, run ``action()`` once and return its value
  (``TagTimeout`` if ``pred()`` has not held within ``timeout`` seconds);
* ``level_trigger(pred, action, watch, out, period=None, expires=None)`` --
  while ``pred()`` holds, re-run ``action()``: every ``period`` seconds, or,
  without a period, once for every change of the watched tags;
* ``edge_trigger(pred, action, watch, out, expires=None)`` -- run ``action()``
  each time ``pred()`` turns from false to true (true at the start counts).

``watch`` names the tag (a string) or tags (a list) that ``pred`` reads: the
trigger sleeps in ``block_tag`` on them and re-evaluates ``pred`` only when
one is written, so an idle trigger spends no fuel. A sensor (an I/O tag)
wakes it when its driver reports a new reading. Several tags are watched by
relay SMs (spawned, one per tag) that write one wake tag of the trigger.

The persistent triggers publish each result in the tag ``out`` (readable by
everyone, writable by the trigger's family) as ``{"seq", "started", "at",
"value"}``: ``started`` is when the evaluation began. ``expires`` ends a
persistent trigger that many seconds after it started; it returns the
number of results. Three ways to read a stream (snBench's):
``trigger_last(out)`` (non-blocking, the last value or None),
``trigger_next(out, timeout)`` (blocking: the next value) and
``trigger_fresh(out, timeout)`` (a value computed from scratch after the
read began). The tag ``trigger_pause`` is reserved: periodic triggers sleep
on it.
"""

TRIGGERS_PAUSE = "trigger_pause"


def triggers_left(deadline):
    return None if deadline is None else max(0.0, deadline - now())


def triggers_sleep(name, timeout):
    """Block on tag ``name`` for up to ``timeout`` seconds; True if it was written."""
    try:
        block_tag(name, timeout)
        return True
    except TagTimeout:
        return False


def triggers_relay(name, wake, deadline):
    """Forward every write of ``name`` to the trigger's ``wake`` tag."""
    while deadline is None or now() < deadline:
        if not triggers_sleep(name, triggers_left(deadline)):
            return
        if not has_tag(wake):
            return  # the trigger has ended
        write_tag(wake, now())


def triggers_watch(watch, deadline):
    """The tag to block on to hear of a write of any tag in ``watch``."""
    if isinstance(watch, str):
        return watch
    if len(watch) == 1:
        return watch[0]
    i = 0
    while has_tag("trigger_wake_" + str(i)):
        i += 1
    wake = "trigger_wake_" + str(i)
    create_tag(wake, now(), None, {"family": "rw"})
    for name in watch:
        spawn(triggers_relay, name, wake, deadline)
    return wake


def triggers_unwatch(watch, wake):
    if not isinstance(watch, str) and len(watch) > 1 and has_tag(wake):
        delete_tag(wake)


def triggers_publish(out, seq, started, value):
    record = {"seq": seq, "started": started, "at": now(), "value": value}
    if has_tag(out):
        write_tag(out, record)
    else:
        create_tag(out, record, None, {"family": "rw", "others": "r"})


def trigger(pred, action, watch, timeout=None):
    deadline = None if timeout is None else now() + timeout
    wake = triggers_watch(watch, deadline)
    try:
        while not pred():
            if deadline is not None and now() >= deadline:
                raise TagTimeout("trigger: the predicate did not hold in time")
            triggers_sleep(wake, triggers_left(deadline))
        return action()
    finally:
        triggers_unwatch(watch, wake)


def level_trigger(pred, action, watch, out, period=None, expires=None):
    deadline = None if expires is None else now() + expires
    wake = triggers_watch(watch, deadline)
    seq = 0
    while deadline is None or now() < deadline:
        if pred():
            started = now()
            value = action()
            seq += 1
            triggers_publish(out, seq, started, value)
            if period is not None:
                pause = period if deadline is None else min(period, triggers_left(deadline))
                triggers_sleep(TRIGGERS_PAUSE, pause)
                continue
        triggers_sleep(wake, triggers_left(deadline))
    triggers_unwatch(watch, wake)
    return seq


def edge_trigger(pred, action, watch, out, expires=None):
    deadline = None if expires is None else now() + expires
    wake = triggers_watch(watch, deadline)
    seq = 0
    was = False
    while deadline is None or now() < deadline:
        holds = bool(pred())
        if holds and not was:
            started = now()
            value = action()
            seq += 1
            triggers_publish(out, seq, started, value)
        was = holds
        triggers_sleep(wake, triggers_left(deadline))
    triggers_unwatch(watch, wake)
    return seq


def trigger_last(out):
    if not has_tag(out):
        return None
    return read_tag(out)["value"]


def trigger_next(out, timeout=None):
    record = block_tag(out, timeout)
    return record["value"]


def trigger_fresh(out, timeout=None):
    began = now()
    deadline = None if timeout is None else began + timeout
    while True:
        record = block_tag(out, triggers_left(deadline))
        if record is not None and record["started"] >= began:
            return record["value"]
