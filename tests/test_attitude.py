"""Attitude effects on the queue (issue 5 parts 1-2): switchable, neutral, 1/FCR load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hallsim.experiment import run_replications, simulate, trace_replication
from hallsim.model import attitude_multiplier, settle_probability
from hallsim.scenario import load_scenario
from hallsim.streams import draw_clerks, make_streams

from .conftest import day_scenario, queue_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_fcr_below_one_adds_return_visits_and_load_of_one_over_fcr() -> None:
    # steady state: every unsettled visit returns, so visits = demand / FCR and
    # the busy fraction rises by the same factor (a geometric number of visits)
    lam, mean_s, c, fcr = 0.5, 4.0, 4, 0.8
    sc = queue_scenario(
        lam, {"dist": "exponential", "mean": mean_s}, c, warmup_min=2000, length_min=20_000
    )
    sc = sc.with_changes(
        {
            "attitude_effects.enabled": True,
            "attitude_effects.fcr_base": fcr,
            "attitude_effects.fcr_per_unit": 0.0,
            "attitude_effects.care_time_per_unit": 0.0,
            "attitude_effects.rework_time_per_unit": 0.0,
            "attitude_effects.return_delay_min": 30,
        }
    )
    reps = run_replications(sc, replications=6, seed=1).replications
    visits_expected = lam * sc.run.length_min / fcr
    util_expected = lam / fcr * mean_s / c
    n = len(reps)
    for values, expected in ((reps.arrived, visits_expected), (reps.utilisation, util_expected)):
        half = 3.5 * values.std(ddof=1) / np.sqrt(n)
        assert abs(values.mean() - expected) < half + 1e-9, (values.mean(), expected)
    assert reps.first_contact_resolution.mean() == pytest.approx(fcr, abs=0.01)
    share_returns = (reps.return_visits / reps.arrived).mean()
    assert share_returns == pytest.approx(1 - fcr, abs=0.01)


def test_better_attitude_settles_more_and_is_faster_with_default_coefficients() -> None:
    sc = day_scenario()
    fx = sc.attitude_effects
    low, high = np.full(4, 0.5), np.full(4, 0.8)
    assert settle_probability(sc, high) > settle_probability(sc, low)
    assert settle_probability(sc, low) == pytest.approx(fx.fcr_base + fx.fcr_per_unit * 0.5)
    # net service-time effect at the reference attitude is exactly 1
    assert attitude_multiplier(sc, np.full(4, fx.reference_attitude)) == 1.0
    expected = 1 + fx.care_time_per_unit * 0.3 - fx.rework_time_per_unit * 0.3
    assert attitude_multiplier(sc, high) == pytest.approx(expected)


def test_disabled_effects_settle_everything_and_leave_service_alone() -> None:
    sc = day_scenario(attitude_effects={"enabled": False})
    assert settle_probability(sc, np.zeros(4)) == 1.0
    assert attitude_multiplier(sc, np.zeros(4)) == 1.0
    m = simulate(sc, seed=2).metrics
    assert m["first_contact_resolution"] == 1.0 and m["return_visits"] == 0


def test_attitude_spread_gives_each_clerk_their_own_stream() -> None:
    sc = day_scenario(
        windows=[
            {"name": "a", "count": 2, "attitude": 0.6, "attitude_sd": 0.2},
            {"name": "b", "count": 3, "attitude": 0.6, "attitude_sd": 0.2},
        ]
    )
    clerks = draw_clerks(sc, make_streams(1, 0)["attitude"])
    assert clerks.shape == (5, 4) and ((clerks >= 0) & (clerks <= 1)).all()
    assert len(np.unique(clerks[:, 0])) == 5  # staff differ (素质参差不齐)
    # one more window in group a leaves every clerk of group b unchanged
    more = sc.with_changes({"windows.0.count": 3})
    clerks2 = draw_clerks(more, make_streams(1, 0)["attitude"])
    np.testing.assert_array_equal(clerks2[3:], clerks[2:])
    np.testing.assert_array_equal(clerks2[:2], clerks[:2])
    no_spread = draw_clerks(
        sc.with_changes({"windows.0.attitude_sd": 0.0}), make_streams(1, 0)["attitude"]
    )
    assert (no_spread[:2] == 0.6).all()


def test_components_combine_as_documented() -> None:
    comp = {"proactiveness": 1.0, "responsibility": 0.0, "care": 0.5, "enthusiasm": 0.2}
    sc = day_scenario(windows=[{"name": "g", "count": 2, "attitude": comp}])
    fx = sc.attitude_effects
    clerk = np.array([1.0, 0.0, 0.5, 0.2])
    assert settle_probability(sc, clerk) == pytest.approx(fx.fcr_base + fx.fcr_per_unit * 0.5)
    tr = trace_replication(sc, 1, 0, engine="simpy")
    np.testing.assert_array_equal(tr.clerks, np.tile(clerk, (2, 1)))


def test_fatigue_slows_service_late_in_the_day() -> None:
    sc = day_scenario(attitude_effects={"fatigue_per_hour": 0.2})
    base = sc.with_changes({"attitude_effects.fatigue_per_hour": 0.0})
    a = simulate(sc, seed=3).metrics["service_mean_min"]
    b = simulate(base, seed=3).metrics["service_mean_min"]
    assert a > b


def test_integrated_satisfaction_edge_shrinks_as_generalists_slow_down() -> None:
    # waits feed satisfaction: slower generalists lengthen the integrated hall's
    # waits, so its predicted CSAT advantage over the dedicated hall must shrink
    dedicated = load_scenario(SCENARIOS / "dedicated.toml")
    integrated = load_scenario(SCENARIOS / "integrated.toml")
    base = run_replications(dedicated, replications=8, seed=1).replications
    edges = []
    for factor in (1.0, 1.25):
        sc = integrated.with_changes({"windows.0.service_time_factor": factor})
        res = run_replications(sc, replications=8, seed=1).replications
        edges.append((res.csat - base.csat).mean())
        assert res.wait_mean_min.mean() > 0
    assert edges[1] < edges[0]
