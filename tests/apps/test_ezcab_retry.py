"""An EZCab try whose confirmation is lost on the way back leaves the cab
booked by the client's request; the client's next try must find that
booking again, and never take a cab booked for another request."""
from __future__ import annotations

import pytest

from apps.ezcab import app as ezcab
from sim.line import run_line
from smvm.compiler import load_brick

SOURCE = load_brick(ezcab.BRICK)  # linked with the bricks it imports


def book_on_a_line(cab_tags: dict, deadline_s: float) -> dict:
    """Request "r0" from node "0" of a line whose node "2" carries ``cab_tags``."""
    done = run_line(SOURCE, ["r0", "0", [0.0, 0.0], 3, deadline_s], nodes=3,
                    filename="ezcab.py", tags={"2": cab_tags})
    assert done.error is None, done.error
    return done.result


def test_a_cab_already_booked_by_the_request_is_found_again() -> None:
    result = book_on_a_line({"BookedBy": "r0"}, 20.0)
    assert result["booked"] and result["cab"] == "2" and result["tries"] == 1


@pytest.mark.parametrize("cab_tags", [{"BookedBy": "r9"}, {}])
def test_a_cab_booked_by_another_request_or_none_is_not_taken(cab_tags) -> None:
    result = book_on_a_line(cab_tags, 5.0)
    assert not result["booked"] and result["cab"] is None and result["tries"] >= 2

