"""SMs exercising the triggers brick (one entry point per case)."""
from apps.triggers import (edge_trigger, level_trigger, trigger, trigger_fresh, trigger_last,
                           trigger_next)


def motion():
    return read_tag("motion") > 0


def stamp():
    return now()


def slow_stamp():
    try:
        block_tag("never_written", 1.0)
    except TagTimeout:
        pass
    return now()


def transient(timeout):
    return trigger(motion, stamp, "motion", timeout)


def both():
    return read_tag("a") > 0 and read_tag("b") > 0


def transient_two():
    return trigger(both, stamp, ["a", "b"])


def level(period, expires):
    return level_trigger(motion, stamp, "motion", "stream", period, expires)


def level_slow(period, expires):
    return level_trigger(motion, slow_stamp, "motion", "stream", period, expires)


def edge(expires):
    return edge_trigger(motion, stamp, "motion", "stream", expires)


def readers():
    first = trigger_last("stream")
    second = trigger_next("stream", 10.0)
    third = trigger_fresh("stream", 10.0)
    return [first, second, third, now()]
