"""Kiosks, helpers, tidal windows, clerks and citizens who differ (docs/kiosks-tidal.md).

Each mechanism is checked switched off (same seed, the same trace bit for bit),
at its limits against queueing theory (kiosk success 1: an M/M/k self-service
hall; success 0: the counter, fed by the kiosks' departures, is M/M/c by Burke's
theorem), by properties over random halls (nobody served twice or lost, a window
serves one role at a time, no window serves two citizens at once), and by bad
input that names its field.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallsim import theory
from hallsim.engines import fast as fastpath
from hallsim.engines import simpy_hall as model
from hallsim.engines.trace import RENEGED, SERVED, HallTrace
from hallsim.experiment import run_replications, simulate
from hallsim.scenario import ScenarioError, scenario_from_dict
from hallsim.streams import draw_clerk_speeds, draw_demand, make_streams

from .conftest import day_scenario, queue_scenario
from .test_fastpath import _dist, assert_same_run
from .test_fastpath import scenarios as fast_engine_scenarios
from .test_theory_vs_sim import assert_in_ci

# trace fields these mechanisms add; everything else must be today's, bit for bit
NEW_FIELDS = {
    "kiosk",
    "kiosk_call_min",
    "kiosk_end_min",
    "helper_busy_min",
    "helped",
    "helper_start_min",
    "helper_end_min",
    "role_window",
    "role",
    "role_start_min",
    "role_end_min",
    "tidal_switches",
    "clerk_speed",
}


def trace(sc, seed: int = 3, replication: int = 0) -> HallTrace:
    return model.run_hall(sc, make_streams(seed, replication))


def assert_identical(a: HallTrace, b: HallTrace) -> None:
    for f in dataclasses.fields(HallTrace):
        if f.name in NEW_FIELDS:
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (
                f.name
            )
        else:
            assert x == y or (x != x and y != y), f.name


def _base(**extra: Any):
    return day_scenario(
        patience={"renege_min": {"dist": "exponential", "mean": 20}},
        classes=[{"name": "elderly", "share": 0.3, "priority": 0}],
        **extra,
    )


OFF_SWITCHES: list[dict[str, Any]] = [
    {
        "kiosks": {
            "count": 2,
            "matters": ["*"],
            "service_min": {"dist": "exponential", "mean": 3},
            "uptake": 0.0,
        }
    },
    {"windows": [{"name": "g", "count": 3, "speed_sd": 0.0}]},
    {"windows": [{"name": "g", "count": 3, "speed_factors": [1.0, 1.0, 1.0]}]},
    {"classes": [{"name": "elderly", "share": 0.3, "priority": 0, "patience_factor": 1.0}]},
    {"helpers": {"count": 1, "classes": ["elderly"]}},  # counter factor 1, no kiosks: no effect
]


@pytest.mark.parametrize("changes", OFF_SWITCHES, ids=lambda c: next(iter(c)))
def test_a_mechanism_switched_off_is_todays_trace(changes) -> None:
    base = _base()
    sc = base.with_changes(changes)
    for seed in (1, 2):
        assert_identical(trace(base, seed), trace(sc, seed))


def test_tidal_thresholds_that_never_trigger_are_the_static_hall() -> None:
    static = tidal_hall(10_000, 0, 2.0, 100.0)
    plain = static.with_changes({"windows.2.tidal": None})
    assert plain.windows[2].tidal is None
    for seed in (1, 2, 3):
        t = trace(static, seed)
        assert_identical(trace(plain, seed), t)
        assert t.tidal_switches == 0 and (t.role == 0).all()


def test_without_the_keys_the_metrics_are_undefined_not_zero() -> None:
    res = simulate(day_scenario(), seed=1, engine="simpy")
    for m in ("kiosk_uptake", "helper_utilisation", "tidal_switches"):
        assert math.isnan(res.metrics[m]), m
    assert "clerks" not in res.tables


@pytest.mark.parametrize(
    "changes",
    [
        {
            "kiosks": {
                "count": 1,
                "matters": ["*"],
                "service_min": {"dist": "exponential", "mean": 3},
            }
        },
        {"helpers": {"count": 1}},
    ],
    ids=["kiosks", "helpers"],
)
def test_the_fast_engine_runs_kiosks_and_helpers_as_the_reference(changes) -> None:
    # the kiosks are a resource, which the fast engine's event kernel has (kernel.Resource)
    sc = day_scenario().with_changes(changes)
    assert fastpath.lacks(sc) == []
    fast = simulate(sc, seed=1, engine="fast").metrics
    ref = simulate(sc, seed=1, engine="simpy").metrics
    assert fast.keys() == ref.keys()
    for k in ref:
        assert fast[k] == ref[k] or (math.isnan(fast[k]) and math.isnan(ref[k])), k


def test_class_patience_runs_on_the_fast_engine_as_on_the_reference() -> None:
    sc = day_scenario().with_changes(
        {"classes": [{"name": "old", "share": 0.2, "patience_factor": 2.0}]}
    )
    assert fastpath.lacks(sc) == []
    for seed in (1, 2):
        fast = simulate(sc, seed=seed, engine="fast").metrics
        ref = simulate(sc, seed=seed, engine="simpy").metrics
        assert fast.keys() == ref.keys()
        for k in ref:
            assert fast[k] == ref[k] or (math.isnan(fast[k]) and math.isnan(ref[k])), k


# --------------------------------------------------------------------------- kiosks


def kiosk_hall(success: float, lam: float = 1.0, kiosks: int = 2, windows: int = 3):
    return queue_scenario(
        lam,
        {"dist": "exponential", "mean": 2.0},
        windows,
        warmup_min=300,
        length_min=4_000,
        kiosks={
            "count": kiosks,
            "matters": ["*"],
            "service_min": {"dist": "exponential", "mean": 1.5},
            "success": success,
        },
    )


def station_waits(sc, reps: int, seed: int) -> tuple[list[float], list[float], list[float]]:
    """Per replication: mean kiosk wait, mean counter wait (from the counter ticket), share
    done at a kiosk; citizens who came in the statistics window."""
    s0, s1 = sc.stats_window
    kw, cw, done = [], [], []
    for r in range(reps):
        t = trace(sc, seed, r)
        inside = (t.arrival_min >= s0) & (t.arrival_min < s1)
        kw.append(float(np.mean((t.kiosk_call_min - t.arrival_min)[inside])))
        counter = inside & (t.window >= 0)
        cw.append(float(np.mean((t.call_min - t.kiosk_end_min)[counter])) if counter.any() else 0)
        done.append(float(np.mean(t.kiosk[inside] == model.KIOSK_DONE)))
    return kw, cw, done


def test_kiosk_success_one_is_a_pure_self_service_hall() -> None:
    sc = kiosk_hall(1.0)
    kw, _, done = station_waits(sc, 6, seed=5)
    assert done == [1.0] * 6  # nobody reaches a counter
    assert_in_ci(kw, theory.mmc(1.0, 1.5, 2).wait_mean, "kiosk E[Wq], M/M/2")
    res = simulate(sc, seed=5, engine="simpy")
    assert res.metrics["counter_demand_avoided"] == 1.0
    assert res.metrics["kiosk_failure_rate"] == 0.0
    assert res.metrics["utilisation"] == 0.0  # the counters never served anyone


def test_kiosk_success_zero_is_a_pure_counter_hall_behind_the_kiosks() -> None:
    sc = kiosk_hall(0.0)
    kw, cw, done = station_waits(sc, 6, seed=7)
    assert done == [0.0] * 6
    assert_in_ci(kw, theory.mmc(1.0, 1.5, 2).wait_mean, "kiosk E[Wq], M/M/2")
    # Burke: the kiosks' departures are Poisson(λ), so the counters are M/M/3
    assert_in_ci(cw, theory.mmc(1.0, 2.0, 3).wait_mean, "counter E[Wq], M/M/3")
    res = simulate(sc, seed=7, engine="simpy")
    assert res.metrics["kiosk_failure_rate"] == 1.0
    assert res.metrics["counter_demand_avoided"] == 0.0
    reps = run_replications(sc, replications=6, seed=7, engine="simpy").replications
    assert_in_ci(reps.kiosk_utilisation, 1.0 * 1.5 / 2, "kiosk utilisation")
    assert_in_ci(reps.utilisation, 1.0 * 2.0 / 3, "counter utilisation")
    th = theory.jackson_network([1.0, 0.0], [1.5, 2.0], [2, 3], [[0.0, 1.0], [0.0, 0.0]])
    assert_in_ci(reps.time_in_system_mean_min, th.time_in_system_mean, "Jackson tandem")


def test_kiosk_shares_follow_uptake_and_success() -> None:
    sc = day_scenario(
        hall={"open": "09:00", "close": "17:00"},
        kiosks={
            "count": 20,
            "matters": ["a"],
            "service_min": {"dist": "exponential", "mean": 1.0},
            "uptake": 0.5,
            "success": 0.8,
        },
        windows=[{"name": "g", "count": 8}],
    )
    reps = run_replications(sc, replications=8, seed=3, engine="simpy").replications
    assert_in_ci(reps.kiosk_uptake, 0.6 * 0.5, "uptake = share of matter a x uptake")
    assert_in_ci(reps.kiosk_failure_rate, 0.2, "failure rate")
    assert_in_ci(reps.counter_demand_avoided, 0.6 * 0.5 * 0.8, "done at a kiosk")
    assert (reps.served + reps.reneged + reps.unserved == reps.arrived).all()


def test_elderly_kiosk_ability_and_helpers() -> None:
    def hall(helpers: dict | None):
        data: dict[str, Any] = dict(
            hall={"open": "09:00", "close": "17:00"},
            classes=[{"name": "elderly", "share": 1.0, "priority": 0, "kiosk_success": 0.3}],
            kiosks={
                "count": 30,
                "matters": ["*"],
                "service_min": {"dist": "exponential", "mean": 1.0},
                "success": 0.9,
            },
            windows=[{"name": "g", "count": 8}],
        )
        if helpers:
            data["helpers"] = helpers
        return day_scenario(**data)

    alone = run_replications(hall(None), replications=6, seed=4, engine="simpy").replications
    assert_in_ci(alone.kiosk_failure_rate, 0.7, "elderly fail at 1 - kiosk_success")
    # helpers never short (100 of them): every elderly kiosk user is helped
    many = hall({"count": 100, "classes": ["elderly"], "kiosk_success": 1.0})
    reps = run_replications(many, replications=3, seed=4, engine="simpy").replications
    assert (reps.kiosk_failure_rate == 0).all()
    assert (reps.helped == reps.arrived).all()
    # one helper: busy at most all day, and some go alone
    one = hall({"count": 1, "classes": ["elderly"], "kiosk_success": 1.0})
    reps = run_replications(one, replications=3, seed=4, engine="simpy").replications
    assert ((reps.helper_utilisation > 0) & (reps.helper_utilisation <= 1)).all()
    assert (reps.helped < reps.arrived).all()
    assert (reps.kiosk_failure_rate > 0).all()


def test_a_helper_at_the_counter_shortens_service() -> None:
    base = day_scenario(classes=[{"name": "elderly", "share": 1.0, "priority": 0}])
    helped = base.with_changes(
        {"helpers": {"count": 1000, "classes": ["elderly"], "counter_time_factor": 0.5}}
    )
    a, b = trace(base, 2), trace(helped, 2)
    # first citizen: nobody ahead, so the same call time; half the service time
    assert b.call_min[0] == a.call_min[0]
    assert b.end_min[0] - b.call_min[0] == pytest.approx(0.5 * (a.end_min[0] - a.call_min[0]))


# --------------------------------------------------------------------------- tidal windows


def tidal_hall(on: int, off: int, switch_min: float, rate: float, seed_windows: int = 2):
    return scenario_from_dict(
        {
            "name": "tidal",
            "hall": {"open": "09:00", "close": "12:00"},
            "arrivals": {"rate_per_hour": rate},
            "matters": [
                {"name": "a", "share": 0.5, "service_min": {"dist": "exponential", "mean": 4}},
                {"name": "b", "share": 0.5, "service_min": {"dist": "exponential", "mean": 6}},
            ],
            "windows": [
                {"name": "a", "count": 2, "matters": ["a"]},
                {"name": "b", "count": 1, "matters": ["b"]},
                {
                    "name": "t",
                    "count": seed_windows,
                    "matters": ["a"],
                    "tidal": {
                        "matters": ["b"],
                        "switch_on_queue": on,
                        "switch_off_queue": off,
                        "switch_min": switch_min,
                    },
                },
            ],
            "patience": {"renege_min": {"dist": "exponential", "mean": 30}},
            "attitude_effects": {"enabled": False},  # no return visits: one row per citizen
        }
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    on=st.integers(1, 12),
    gap=st.integers(1, 12),
    switch_min=st.sampled_from([0.0, 0.5, 3.0]),
    rate=st.sampled_from([40.0, 70.0, 100.0]),
    seed=st.integers(0, 10_000),
)
def test_tidal_windows_lose_nobody_and_serve_one_role_at_a_time(
    on, gap, switch_min, rate, seed
) -> None:
    off = max(on - gap, 0)
    sc = tidal_hall(on, off, switch_min, rate)
    streams = make_streams(seed, 0)
    n = len(draw_demand(sc, make_streams(seed, 0)).arrival_min)
    t = model.run_hall(sc, streams)
    assert len(t.arrival_min) == n  # every citizen recorded exactly once
    served = t.outcome == SERVED
    assert np.all(t.window[served] >= 0)
    # no window serves two citizens at once
    for w in range(len(t.window_group)):
        idx = np.flatnonzero(served & (t.window == w))
        calls, ends = t.call_min[idx], t.end_min[idx]
        order = np.argsort(calls)
        assert np.all(calls[order][1:] >= ends[order][:-1] - 1e-9)
    # role spells of each tidal window tile its day; each service lies in one spell
    # whose role serves the citizen's matter (a: home, b: tidal)
    for w in (3, 4):
        sel = t.role_window == w
        starts, ends, roles = t.role_start_min[sel], t.role_end_min[sel], t.role[sel]
        assert starts[0] == sc.hall.open_min
        assert np.allclose(starts[1:], ends[:-1])
        assert np.all(roles[1:] != roles[:-1])  # a spell ends only when the role changes
        for i in np.flatnonzero(served & (t.window == w)):
            k = np.searchsorted(starts, t.call_min[i], side="right") - 1
            assert roles[k] == t.matter[i]  # matter 0 (a) in role 0, matter 1 (b) in role 1
            assert t.end_min[i] <= ends[k] + 1e-9
        changing = ends[roles == -1] - starts[roles == -1]
        assert np.allclose(changing, switch_min)
    changes = int(np.count_nonzero(t.role == -1))
    assert switch_min == 0 or t.tidal_switches == changes


def test_a_tidal_window_helps_the_long_queue() -> None:
    static = tidal_hall(10_000, 0, 1.0, 90.0)
    tidal = tidal_hall(4, 1, 1.0, 90.0)
    a = run_replications(static, replications=6, seed=2, engine="simpy").matters
    b = run_replications(tidal, replications=6, seed=2, engine="simpy")
    assert (b.replications.tidal_switches > 0).all()
    assert (b.replications.tidal_role_min > 0).all()
    wait_b = lambda df: df[df.matter == "b"].wait_mean_min.mean()  # noqa: E731
    assert wait_b(b.matters) < wait_b(a)


# --------------------------------------------------------------------------- clerks


def test_clerk_speed_spread_has_mean_one_and_the_asked_cv() -> None:
    sc = day_scenario(windows=[{"name": "g", "count": 1000, "speed_sd": 0.25}])
    f = draw_clerk_speeds(sc, make_streams(1, 0)["clerk_speed"])
    se = 0.25 / math.sqrt(1000)
    assert abs(f.mean() - 1.0) < 3.5 * se
    assert abs(f.std(ddof=1) / f.mean() - 0.25) < 0.03
    # adding windows to one group leaves every other group's clerks alone
    two = day_scenario(
        windows=[
            {"name": "g", "count": 3, "speed_sd": 0.25},
            {"name": "h", "count": 2, "speed_sd": 0.25},
        ]
    )
    more = two.with_changes({"windows.0.count": 5})
    f2 = draw_clerk_speeds(two, make_streams(1, 0)["clerk_speed"])
    f3 = draw_clerk_speeds(more, make_streams(1, 0)["clerk_speed"])
    assert np.array_equal(f2[3:], f3[5:]) and np.array_equal(f2[:3], f3[:3])


def test_per_clerk_factors_scale_service_and_reach_the_clerk_table() -> None:
    sc = queue_scenario(
        0.5,
        {"dist": "exponential", "mean": 2.0},
        2,
        warmup_min=0,
        length_min=20_000,
        windows=[{"name": "w", "count": 2, "speed_factors": [1.0, 2.0]}],
    )
    res = simulate(sc, seed=3, engine="simpy")
    clerks = res.table("clerks")
    assert clerks.speed_factor.tolist() == [1.0, 2.0]
    ratio = clerks.service_mean_min[1] / clerks.service_mean_min[0]
    assert 1.8 < ratio < 2.2  # ~5,000 services each: the mean's sd is ~2% of it
    assert clerks.served.sum() == res.metrics["served"]


def test_class_patience_factor_scales_patience() -> None:
    base = day_scenario(
        patience={"renege_min": {"dist": "deterministic", "mean": 5}},
        classes=[{"name": "elderly", "share": 1.0, "priority": 0}],
        windows=[{"name": "g", "count": 1}],
    )
    patient = base.with_changes({"classes.0.patience_factor": 3.0})
    for sc, patience in ((base, 5.0), (patient, 15.0)):
        t = trace(sc)
        left = t.outcome == RENEGED
        assert left.any()
        np.testing.assert_allclose((t.end_min - t.arrival_min)[left], patience)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "changes, field",
    [
        (
            {
                "windows": [
                    {
                        "name": "g",
                        "count": 2,
                        "matters": ["a"],
                        "tidal": {"matters": ["b"], "switch_on_queue": 3, "switch_off_queue": 3},
                    },
                    {"name": "h", "count": 1, "matters": ["b"]},
                ]
            },
            "windows.0.tidal.switch_off_queue",
        ),
        (
            {
                "windows": [
                    {"name": "g", "count": 2, "tidal": {"matters": ["zz"], "switch_on_queue": 3}}
                ]
            },
            "windows.0.tidal.matters.0",
        ),
        (
            {
                "kiosks": {
                    "count": 1,
                    "matters": ["zz"],
                    "service_min": {"dist": "exponential", "mean": 1},
                }
            },
            "kiosks.matters.0",
        ),
        ({"kiosks": {"count": 1, "matters": ["a"]}}, "kiosks.service_min"),
        (
            {
                "kiosks": {
                    "count": 1,
                    "matters": ["a"],
                    "success": 1.5,
                    "service_min": {"dist": "exponential", "mean": 1},
                }
            },
            "kiosks.success",
        ),
        ({"helpers": {"count": 1, "classes": ["nobody"]}}, "helpers.classes.0"),
        (
            {"windows": [{"name": "g", "count": 3, "speed_factors": [1.0]}]},
            "windows.0.speed_factors",
        ),
        ({"windows": [{"name": "g", "count": 3, "speed_sd": -1}]}, "windows.0.speed_sd"),
        (
            {
                "layout": {"queue": "per_window"},
                "windows": [
                    {"name": "g", "count": 2, "tidal": {"matters": ["a"], "switch_on_queue": 2}}
                ],
            },
            "windows.0.tidal",
        ),
    ],
)
def test_bad_input_names_the_field(changes, field) -> None:
    with pytest.raises(ScenarioError) as err:
        day_scenario(**changes)
    assert field in str(err.value)


# --------------------------------------------------------------------------- elastic windows


def elastic_hall(on: int, off: int, switch_min: float, main: int = 2, standby: int = 2):
    return queue_scenario(
        1.0,
        {"dist": "exponential", "mean": 3.0},
        main,
        warmup_min=300,
        length_min=6_000,
        windows=[
            {"name": "main", "count": main},
            {
                "name": "standby",
                "count": standby,
                "elastic": {
                    "switch_on_queue": on,
                    "switch_off_queue": off,
                    "switch_min": switch_min,
                },
            },
        ],
    )


def test_elastic_windows_that_never_open_are_the_hall_without_them() -> None:
    never = elastic_hall(10**9, 0, 1.0, main=4)
    without = never.with_changes({"windows": [{"name": "main", "count": 4}]})
    for seed in (1, 2):
        a, b = trace(without, seed), trace(never, seed)
        for name in ("arrival_min", "window", "call_min", "end_min", "outcome"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
        assert b.tidal_switches == 0
    ra, rb = simulate(without, seed=1), simulate(never, seed=1)
    assert rb.metrics["staff_hours"] == ra.metrics["staff_hours"]
    assert rb.metrics["utilisation"] == ra.metrics["utilisation"]


def test_elastic_windows_opening_on_the_first_wait_are_an_mmc_hall() -> None:
    # on = 1, off = 0, no switching time: a standby window opens the moment anyone
    # waits, so the hall has 2 + 2 servers whenever it needs them: M/M/4 waits
    sc = elastic_hall(1, 0, 0.0)
    reps = run_replications(sc, replications=6, seed=9, engine="simpy").replications
    th = theory.mmc(1.0, 3.0, 4)
    assert_in_ci(reps.wait_mean_min, th.wait_mean, "E[Wq], M/M/4")
    assert (reps.tidal_switches > 0).all()
    # staffed only while open: fewer staff hours than four windows all along
    assert (reps.staff_hours < 4 * 6_000 / 60).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    on=st.integers(1, 8),
    gap=st.integers(1, 8),
    switch_min=st.sampled_from([0.0, 2.0]),
    seed=st.integers(0, 10_000),
)
def test_elastic_windows_serve_only_while_open(on, gap, switch_min, seed) -> None:
    sc = elastic_hall(on, max(on - gap, 0), switch_min).with_changes(
        {"run.length_min": 600.0, "run.warmup_min": 0.0}
    )
    t = model.run_hall(sc, make_streams(seed, 0))
    served = t.outcome == SERVED
    assert len(t.arrival_min) == len(draw_demand(sc, make_streams(seed, 0)).arrival_min)
    for w in (2, 3):
        sel = t.role_window == w
        starts, ends, roles = t.role_start_min[sel], t.role_end_min[sel], t.role[sel]
        for i in np.flatnonzero(served & (t.window == w)):
            k = np.searchsorted(starts, t.call_min[i], side="right") - 1
            assert roles[k] == 1 and t.end_min[i] <= ends[k] + 1e-9
        duty = t.duty_window == w
        open_min = float((ends - starts)[roles != 0].sum())
        assert float((t.duty_end_min - t.duty_start_min)[duty].sum()) == pytest.approx(open_min)


# --------------------------------------------------------------------------- expectations


def test_class_expectations_move_only_that_class_predictions() -> None:
    base = day_scenario(
        classes=[{"name": "elderly", "share": 0.5, "priority": 0}],
        windows=[{"name": "g", "count": 2}],
    )
    sat = base.satisfaction
    same = base.with_changes(
        {
            "classes.0.desired_wait_min": sat.desired_wait_min,
            "classes.0.adequate_wait_min": sat.adequate_wait_min,
        }
    )
    relaxed = base.with_changes(
        {"classes.0.desired_wait_min": 500.0, "classes.0.adequate_wait_min": 600.0}
    )
    a, b, c = (simulate(s, seed=2, engine="simpy") for s in (base, same, relaxed))
    assert a.metrics == b.metrics
    assert c.metrics["wait_mean_min"] == a.metrics["wait_mean_min"]  # the hall is the same
    assert c.metrics["csat"] > a.metrics["csat"]
    ca, cc = a.classes.set_index("class"), c.classes.set_index("class")
    assert cc.loc["regular", "csat"] == ca.loc["regular", "csat"]
    with pytest.raises(ScenarioError, match=r"classes\.0\.adequate_wait_min"):
        base.with_changes({"classes.0.desired_wait_min": 50.0, "classes.0.adequate_wait_min": 40.0})


# --------------------------------------------------------------------------- outputs


def test_clerks_table_plot_and_report(tmp_path) -> None:
    from hallsim import plots
    from hallsim.report import build_report

    from .conftest import simulate_cli

    src = tmp_path / "clerks.toml"
    src.write_text(
        'name = "clerks"\n[hall]\nopen = "09:00"\nclose = "10:00"\n'
        '[[matters]]\nname = "a"\nshare = 1.0\n'
        'service_min = { dist = "exponential", mean = 4 }\n'
        '[[windows]]\nname = "g"\ncount = 2\nspeed_factors = [0.8, 1.25]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    simulate_cli(["run", str(src), "--out", str(out)])
    clerks = __import__("pandas").read_parquet(out / "clerks.parquet")
    assert clerks.groupby("window").speed_factor.first().tolist() == [0.8, 1.25]
    fig = plots.render(out, "clerks")
    assert "Clerks by window" in fig.get_suptitle()
    assert "Clerks who differ in speed" in build_report(out)
    # a hall whose clerks are alike has no clerks table, plot or report section
    plain = tmp_path / "plain.toml"
    plain.write_text(src.read_text().replace("speed_factors = [0.8, 1.25]\n", ""))
    out2 = tmp_path / "out2"
    simulate_cli(["run", str(plain), "--out", str(out2)])
    assert not (out2 / "clerks.parquet").exists()
    assert "Clerks who differ in speed" not in build_report(out2)


def _max_overlap(starts: np.ndarray, ends: np.ndarray) -> int:
    """The most intervals [start, end) open at once."""
    events = sorted([(e, -1) for e in ends] + [(s, 1) for s in starts])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kiosks=st.integers(1, 4),
    uptake=st.sampled_from([0.3, 1.0]),
    success=st.sampled_from([0.0, 0.5, 1.0]),
    helpers=st.integers(0, 2),
    patience=st.sampled_from([None, 5.0, 30.0]),
    seed=st.integers(0, 10_000),
)
def test_kiosk_halls_lose_nobody_and_never_overbook(
    kiosks, uptake, success, helpers, patience, seed
) -> None:
    extra: dict[str, Any] = {
        "kiosks": {
            "count": kiosks,
            "matters": ["a"],
            "service_min": {"dist": "exponential", "mean": 3},
            "uptake": uptake,
            "success": success,
        },
        "classes": [{"name": "elderly", "share": 0.3, "priority": 0, "kiosk_success": 0.2}],
        "attitude_effects": {"enabled": False},
        "windows": [{"name": "g", "count": 2}],
    }
    if helpers:
        extra["helpers"] = {"count": helpers, "classes": ["elderly"], "kiosk_success": 0.9}
    if patience:
        extra["patience"] = {"renege_min": {"dist": "exponential", "mean": patience}}
    sc = day_scenario(**extra)
    t = model.run_hall(sc, make_streams(seed, 0))
    assert len(t.arrival_min) == len(draw_demand(sc, make_streams(seed, 0)).arrival_min)
    k, served = t.kiosk, t.outcome == SERVED
    none, done, failed, left = (k == v for v in range(4))
    assert np.isnan(t.kiosk_call_min[none | left]).all()
    assert (served[done] & (t.window[done] == -1)).all()
    assert np.array_equal(t.call_min[done], t.kiosk_call_min[done])
    assert np.array_equal(t.end_min[done], t.kiosk_end_min[done])
    assert (t.outcome[left] == RENEGED).all()
    after = failed & served
    assert (t.window[after] >= 0).all() and (t.call_min[after] >= t.kiosk_end_min[after]).all()
    assert (t.matter[k != 0] == 0).all()  # only matter a is a kiosk matter
    if success == 1.0 and not np.any(t.klass[done | failed] == 1):
        assert not failed.any()
    used = done | failed
    assert _max_overlap(t.kiosk_call_min[used], t.kiosk_end_min[used]) <= kiosks
    for w in range(2):
        sel = served & (t.window == w)
        assert _max_overlap(t.call_min[sel], t.end_min[sel]) <= 1
    if helpers:
        assert t.helper_busy_min <= helpers * (t.horizon_end_min - sc.hall.open_min) + 1e-9


def test_the_group_table_has_each_role_time() -> None:
    sc = tidal_hall(3, 1, 2.0, 100.0)
    res = simulate(sc, seed=4, engine="simpy")
    g = res.groups.set_index("window_group")
    t = trace(sc, 4)
    total = float((t.role_end_min - t.role_start_min).sum())  # both tidal windows, all day
    assert g.loc["t", ["home_role_min", "tidal_role_min", "changing_role_min"]].sum() == (
        pytest.approx(total)
    )
    assert g.loc["t", "tidal_role_min"] == pytest.approx(res.metrics["tidal_role_min"])
    assert g.loc["t", "changing_role_min"] == pytest.approx(2.0 * res.metrics["tidal_switches"])
    assert math.isnan(g.loc["a", "tidal_role_min"])


@pytest.mark.parametrize("queue", ["single", "per_window"])
@pytest.mark.parametrize(
    "windows",
    [
        [{"name": "g", "count": 3, "speed_sd": 0.3}],
        [{"name": "g", "count": 3, "speed_factors": [0.7, 1.0, 1.6]}],
        [
            {"name": "g", "count": 2, "speed_sd": 0.3, "attitude_sd": 0.1},
            {"name": "h", "count": 1, "matters": ["b"], "speed_factors": [1.3]},
        ],
    ],
    ids=["speed_sd", "speed_factors", "both_and_attitude_sd"],
)
def test_the_fast_engine_reproduces_clerk_speeds(windows, queue) -> None:
    from .test_fastpath import assert_same_trace

    sc = day_scenario(
        windows=windows,
        layout={"queue": queue},
        patience={"renege_min": {"dist": "exponential", "mean": 20}},
    )
    assert fastpath.lacks(sc) == []
    for seed in (1, 2):
        ref = trace(sc, seed)
        fast = fastpath.run_hall(sc, make_streams(seed, 0))
        assert_same_trace(ref, fast)
        assert np.array_equal(ref.clerk_speed, fast.clerk_speed)


def test_a_streamed_run_gives_the_same_clerk_table() -> None:
    sc = queue_scenario(
        1.0,
        {"dist": "exponential", "mean": 2.0},
        3,
        length_min=20_000,
        windows=[{"name": "w", "count": 3, "speed_sd": 0.3}],
    )
    whole, streamed = (simulate(sc, seed=1, streaming=s).table("clerks") for s in (False, True))
    assert whole[["window", "speed_factor", "served"]].equals(
        streamed[["window", "speed_factor", "served"]]
    )
    for col in ("service_mean_min", "busy_min", "utilisation"):
        np.testing.assert_allclose(streamed[col], whole[col], rtol=1e-9)


# --------------------------------------------------------------------------- the fast engine


@st.composite
def kiosk_halls(draw, continuous: bool = True, switching: bool = True):
    """Random halls (the fast-engine tests' strategy: groups, lines, balking, returns,
    and maybe rosters, appointments, classes, missed calls) with kiosks, maybe helpers,
    class kiosk abilities and patience, and (with ``switching``) maybe a tidal or
    elastic group."""
    base = draw(fast_engine_scenarios(continuous=continuous, kernel_only=draw(st.booleans())))
    names, classes = base.matter_names, base.class_names
    subsets = st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True)
    changes: dict[str, Any] = {
        "kiosks": {
            "count": draw(st.integers(1, 3)),  # few: citizens queue for them
            "matters": draw(st.just(["*"]) | subsets),
            "service_min": _dist(draw, continuous),
            "uptake": draw(st.sampled_from([0.0, 0.3, 0.7, 1.0, 1.0])),
            "success": draw(st.sampled_from([0.0, 0.5, 0.85, 1.0])),
        }
    }
    for k in range(len(classes) - 1):
        if draw(st.booleans()):
            changes[f"classes.{k}.kiosk_uptake"] = draw(st.sampled_from([0.2, 1.0]))
            changes[f"classes.{k}.kiosk_success"] = draw(st.sampled_from([0.0, 0.4]))
        if draw(st.booleans()):
            changes[f"classes.{k}.patience_factor"] = draw(st.sampled_from([0.5, 2.0]))
    if draw(st.booleans()):
        changes["helpers"] = {
            "count": draw(st.integers(1, 3)),
            "classes": draw(
                st.just(["*"])
                | st.lists(st.sampled_from(classes), min_size=1, max_size=2, unique=True)
            ),
            "kiosk_success": draw(st.none() | st.sampled_from([0.5, 1.0])),
            "counter_time_factor": draw(st.sampled_from([1.0, 0.8, 1.5])),
        }
    free = [  # groups that may switch roles: a single queue and no roster
        i
        for i, w in enumerate(base.windows)
        if base.layout.queue == "single" and w.count and not w.has_roster
    ]
    if switching and free and draw(st.booleans()):
        i = draw(st.sampled_from(free))
        on = draw(st.integers(1, 4))
        switching = {
            "switch_on_queue": on,
            "switch_off_queue": draw(st.integers(0, on - 1)),
            "switch_min": draw(st.sampled_from([0.0, 2.0])),
        }
        if draw(st.booleans()):
            changes[f"windows.{i}.tidal"] = {"matters": draw(subsets), **switching}
        elif len([w for w in base.windows if w.count]) > 1:  # someone serves while it waits
            changes[f"windows.{i}.elastic"] = switching
    sc = base.with_changes({k: v for k, v in changes.items() if v is not None})
    return sc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kiosk_halls(), st.integers(0, 2**16), st.integers(0, 3))
def test_random_kiosk_halls_run_on_the_fast_engine_bit_for_bit(sc, seed, replication) -> None:
    """Kiosks, helpers, tidal windows with everything else: the fast engine's kernel gives
    the reference's trace and leaves every random stream in the same state."""
    assert fastpath.lacks(sc) == []
    assert_same_run(sc, seed, replication, exact=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kiosk_halls(continuous=False), st.integers(0, 2**16))
def test_random_kiosk_halls_with_deterministic_times_run_on_the_fast_engine_bit_for_bit(
    sc, seed
) -> None:
    """Simultaneous kiosk requests, releases and give-ups: still the reference's trace."""
    assert_same_run(sc, seed, 0, exact=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kiosk_halls(), st.integers(0, 2**16), st.integers(0, 3))
def test_random_kiosk_halls_run_in_the_operations_loop_bit_for_bit(sc, seed, replication) -> None:
    """Kiosks, helpers, tidal and elastic windows with rosters, appointments, classes,
    missed calls, lines: the fast engine's operations loop (not its kernel) gives the
    reference's trace."""
    # (uptake 0 for everyone, no helpers: maybe a plain hall, the one-pass recursion's)
    if sc.uses_kiosks_tidal():
        assert fastpath.path_of(sc) == "operations"
    assert_same_run(sc, seed, replication, exact=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kiosk_halls(continuous=False), st.integers(0, 2**16))
def test_random_kiosk_halls_with_ties_run_in_the_operations_loop_bit_for_bit(sc, seed) -> None:
    """Deterministic times: requests, grants, releases, give-ups, helpers freed and role
    switches at the same instants, in the operations loop: still the reference's trace."""
    # (uptake 0 for everyone, no helpers: maybe a plain hall, the one-pass recursion's)
    if sc.uses_kiosks_tidal():
        assert fastpath.path_of(sc) == "operations"
    assert_same_run(sc, seed, 0, exact=True)
