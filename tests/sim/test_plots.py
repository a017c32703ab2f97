"""What the plots draw: trajectories without the places where vehicles are
parked off the map, and sweep intervals cut at each metric's possible range."""
from __future__ import annotations

import math

from sim.plots import present, trajectory
from sim.sweep import clamped_error, metric_range


class EntersLate:
    """A vehicle parked off the map (as traces do) until t = 5, then driving."""

    def position(self, node, t):
        return (1.0e8 + 1000.0 * node, 1.0e8) if t < 5.0 else (10.0 * t, 20.0)


def test_a_trajectory_leaves_out_the_times_a_vehicle_was_parked_off_the_map() -> None:
    track = trajectory(EntersLate(), 3, until=10.0, samples=11)
    assert track == [(10.0 * t, 20.0) for t in range(5, 11)]
    assert not present((1.0e8, 1.0e8)) and present((-250.0, 4000.0))
    assert trajectory(EntersLate(), 0, until=4.0, samples=5) == []


def test_sweep_intervals_stay_inside_what_the_metric_can_be() -> None:
    low, high = metric_range("delivery", [0.2, 1.0])
    assert (low, high) == (0.0, 1.0)
    below, above = clamped_error(0.6, 1.6, low, high)      # 0.6 ± 1.6 would be -1.0 .. 2.2
    assert math.isclose(0.6 - below, 0.0) and math.isclose(0.6 + above, 1.0)
    assert clamped_error(5.0, 2.0, *metric_range("hops", [3, 7])) == (2.0, 2.0)
    assert clamped_error(1.0, 3.0, *metric_range("hops", [0, 2])) == (1.0, 3.0)
    assert clamped_error(2.0, float("nan"), 0.0, math.inf) == (0.0, 0.0)
    assert metric_range("score", [-1.0, 3.0]) == (-math.inf, math.inf)
    assert metric_range("score", [1.0, 3.0]) == (0.0, math.inf)


def test_shares_named_so_stay_between_zero_and_one() -> None:
    assert metric_range("detected_share", [0.5, 1.0]) == (0.0, 1.0)
    assert metric_range("success_rate", [0.0, 0.25]) == (0.0, 1.0)
    assert metric_range("free_ratio", [0.5, 2.5]) == (0.0, math.inf)  # no share, by its values


def test_the_printed_interval_is_cut_like_the_drawn_one() -> None:
    from sim.sweep import interval_text
    assert interval_text(0.5, 6.4, 0.0, 1.0) == "0.5 [0, 1]"
    assert interval_text(0.5, 0.25, 0.0, 1.0) == "0.5 ± 0.25"
    assert interval_text(3.0, 5.0, 0.0, math.inf) == "3 [0, 8]"
    assert interval_text(2.0, float("nan"), 0.0, 1.0) == "2"
    assert interval_text(float("nan"), 1.0, 0.0, 1.0) == "-"


def test_an_application_sweep_plot_cuts_its_intervals(tmp_path, monkeypatch) -> None:
    from apps import sweep as app_sweep
    drawn = []
    import matplotlib.axes
    real = matplotlib.axes.Axes.errorbar

    def spy(self, x, y, yerr=None, **kw):
        drawn.append((list(y), yerr))
        return real(self, x, y, yerr=yerr, **kw)
    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", spy)
    summary = [{"period": 30, "runs": 3, "detected_share": 0.6, "detected_share_ci95": 1.6},
               {"period": 40, "runs": 3, "detected_share": 1.0, "detected_share_ci95": 0.0}]
    app_sweep._plot(summary, ["period"], ["detected_share"], tmp_path / "sweep.png")
    [(means, (below, above))] = drawn
    assert [m - b for m, b in zip(means, below)] == [0.0, 1.0]
    assert [m + a for m, a in zip(means, above)] == [1.0, 1.0]
    assert (tmp_path / "sweep.png").stat().st_size > 0
