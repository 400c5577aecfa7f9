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


@pytest.mark.parametrize("share", [1.0, 0.25])
def test_fcr_below_one_adds_return_visits_and_load_of_one_over_fcr(share) -> None:
    # rates of new citizens only (include_returns = false): returns come on top.
    # Steady state: an unsettled visit comes back the same day with probability
    # `share`, so visits per citizen are geometric with mean 1 / (1 - share (1 - FCR))
    # (1 / FCR when every return is the same day) and the busy fraction rises by the
    # same factor; the other unsettled visits are counted as later returns
    lam, mean_s, c, fcr = 0.5, 4.0, 4, 0.8
    per_citizen = 1 / (1 - share * (1 - fcr))
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
            "attitude_effects.return_same_day_share": share,
            "arrivals.include_returns": False,  # the rate counts new citizens only
        }
    )
    reps = run_replications(sc, replications=6, seed=1).replications
    visits_expected = lam * sc.run.length_min * per_citizen
    util_expected = lam * per_citizen * mean_s / c
    n = len(reps)
    for values, expected in ((reps.arrived, visits_expected), (reps.utilisation, util_expected)):
        half = 3.5 * values.std(ddof=1) / np.sqrt(n)
        assert abs(values.mean() - expected) < half + 1e-9, (values.mean(), expected)
    assert reps.first_contact_resolution.mean() == pytest.approx(fcr, abs=0.01)
    share_returns = (reps.return_visits / reps.arrived).mean()
    assert share_returns == pytest.approx(share * (1 - fcr), abs=0.01)
    # returns_later counts the whole run, warm-up included (the engine's count)
    whole_run = (sc.run.warmup_min + sc.run.length_min) / sc.run.length_min
    later = (reps.returns_later / (reps.arrived * whole_run)).mean()
    assert later == pytest.approx((1 - share) * (1 - fcr), abs=0.01)


def _returns_hall(fcr: float, counted_fcr: float | None = None, share: float = 0.25):
    lam, mean_s, c = 0.5, 4.0, 4
    sc = queue_scenario(
        lam, {"dist": "exponential", "mean": mean_s}, c, warmup_min=2000, length_min=20_000
    )
    changes = {
        "attitude_effects.enabled": True,
        "attitude_effects.fcr_base": fcr,
        "attitude_effects.fcr_per_unit": 0.0,
        "attitude_effects.care_time_per_unit": 0.0,
        "attitude_effects.rework_time_per_unit": 0.0,
        "attitude_effects.return_delay_min": 30,
        "attitude_effects.return_same_day_share": share,
    }
    if counted_fcr is not None:
        changes["arrivals.counted_fcr"] = counted_fcr
    return lam, sc.with_changes(changes)


@pytest.mark.parametrize("share", [0.25, 1.0])
def test_ticket_counts_include_returns_total_arrivals_match_the_rate(share) -> None:
    # include_returns (default): the rate counts every ticket, returns included,
    # so total arrivals = rate x length whatever the same-day share, and the
    # same-day return visits are share x (1 - FCR) of them
    lam, sc = _returns_hall(0.8, share=share)
    reps = run_replications(sc, replications=6, seed=2).replications
    expected = lam * sc.run.length_min
    half = 3.5 * reps.arrived.std(ddof=1) / np.sqrt(len(reps))
    assert abs(reps.arrived.mean() - expected) < half, (reps.arrived.mean(), expected)
    share_returns = (reps.return_visits / reps.arrived).mean()
    assert share_returns == pytest.approx(share * 0.2, abs=0.01)
    if share < 1:
        assert reps.returns_later.mean() > reps.return_visits.mean()  # most come another day


def test_ticket_counts_include_returns_with_a_rate_table_piece_by_piece() -> None:
    # day mode, a rate table, clerks at the reference attitude (so FCR = counted_fcr):
    # the tickets of new citizens, earlier days' returns and same-day returns together
    # match the table in every piece, including those right after the delay
    from hallsim.scenario import scenario_from_dict

    table = {"09:00": 30, "10:00": 90, "11:30": 0, "12:00": 45}
    sc = scenario_from_dict(
        {
            "name": "tickets",
            "hall": {"open": "08:30", "close": "13:00"},
            "arrivals": {"rate_per_hour": table},
            "matters": [
                {"name": "a", "share": 1, "service_min": {"dist": "exponential", "mean": 1}}
            ],
            "windows": [{"name": "g", "count": 3, "attitude": 0.5}],
            "attitude_effects": {"fcr_base": 0.5, "return_same_day_share": 0.8},
        }
    )
    edges = np.array([510, 540, 600, 690, 720, 780])
    rates = np.array([0, 30, 90, 0, 45]) / 60.0
    expected = rates * np.diff(edges)
    reps = 100
    counts = np.zeros((reps, len(expected)))
    returns = 0
    for r in range(reps):
        tr = trace_replication(sc, 9, r)
        counts[r] = np.histogram(tr.arrival_min, bins=edges)[0]
        returns += int(tr.is_return.sum())
    assert returns > 0.05 * counts.sum()  # same-day returns are a real part of the tickets
    for k in (1, 2, 4):
        # Poisson-like counts: z-test on the mean over replications
        z = (counts[:, k].mean() - expected[k]) / np.sqrt(expected[k] / reps)
        assert abs(z) < 3.3, (k, counts[:, k].mean(), expected[k])


def test_better_first_contact_resolution_reduces_arrivals_by_the_returns_it_avoids() -> None:
    # counted at FCR 0.8, now 0.9: new citizens = rate x 0.8, tickets = that / 0.9
    lam, sc = _returns_hall(0.9, counted_fcr=0.8)
    _, worse = _returns_hall(0.7, counted_fcr=0.8)  # worse than counted: more tickets
    reps = run_replications(sc, replications=6, seed=2).replications
    reps_worse = run_replications(worse, replications=6, seed=2).replications
    for r, fcr in ((reps, 0.9), (reps_worse, 0.7)):
        expected = lam * sc.run.length_min * 0.8 / fcr
        half = 3.5 * r.arrived.std(ddof=1) / np.sqrt(len(r))
        assert abs(r.arrived.mean() - expected) < half, (r.arrived.mean(), expected)
    # common random numbers: the better hall's tickets are fewer in every replication
    assert (reps.arrived < reps_worse.arrived).all()


def test_return_timing_same_day_share_and_delay_distribution() -> None:
    # SimPy only (a delay distribution): every same-day return comes after its
    # service end, by at least the distribution's lower bound
    sc = day_scenario().with_changes(
        {
            "attitude_effects.fcr_base": 0.3,
            "attitude_effects.return_same_day_share": 0.5,
            "attitude_effects.return_delay": {"dist": "uniform", "low": 30, "high": 90},
        }
    )
    tr = trace_replication(sc, 1, 0, engine="simpy")
    assert tr.is_return.any() and tr.returns_later > 0
    firsts = (~tr.is_return).sum()
    unsettled = (~tr.settled & (tr.outcome == 0)).sum()
    # every unsettled visit either returns today or counts as a later return
    assert tr.is_return.sum() + tr.returns_later == unsettled
    assert tr.is_return.sum() < unsettled  # about half come another day
    assert firsts > 0
    assert tr.arrival_min[tr.is_return].min() >= sc.hall.open_min + 30


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
