"""The daemon's log lines: events every hop makes are put into words only
for a log that shows them."""
from __future__ import annotations

import logging

from smvm.daemon.logs import log_event
from smvm.node import events as ev


class Counted(ev.SMAdmitted):
    made = 0

    def __str__(self) -> str:
        Counted.made += 1
        return "admitted, in words"


def test_a_debug_event_is_put_into_words_only_when_debug_lines_are_shown(caplog) -> None:
    event = Counted("a/1", "b", 1.0)
    Counted.made = 0
    with caplog.at_level(logging.INFO, logger="smvm.node"):
        log_event(event)
    assert Counted.made == 0 and not caplog.records
    with caplog.at_level(logging.DEBUG, logger="smvm.node"):
        log_event(event)
    assert Counted.made == 1
    assert [r.getMessage() for r in caplog.records] == ["admitted, in words"]


def test_warnings_are_logged_as_before(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="smvm.node"):
        log_event(ev.HopFailed("a/1", "b", "no answer", 2.0))
    assert [r.getMessage() for r in caplog.records] == ["hop of a/1 to b failed: no answer"]
