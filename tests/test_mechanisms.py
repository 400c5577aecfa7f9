"""Ticket caps, missed calls, the crowd at opening, day levels and day types,
the waiting room and chance balking (docs/mechanisms.md).

Each mechanism is checked four ways: switched off it changes nothing (same
seed, same trace); its exact or theoretical consequence holds (caps refuse
max(0, n - cap), the crowd is the count, Erlang B and M/M/c/K inside 99%
CIs, the index of dispersion of daily counts); both engines agree where the
fast one runs it; and bad input names its field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hallsim import theory
from hallsim.engines import fast as fastpath
from hallsim.engines import simpy_hall as model
from hallsim.engines.trace import BLOCKED, MISSED, SERVED
from hallsim.experiment import run_replications, simulate
from hallsim.scenario import ScenarioError
from hallsim.streams import draw_demand, make_streams

from .conftest import day_scenario, queue_scenario
from .test_fastpath import assert_same_run, assert_same_trace
from .test_theory_vs_sim import assert_in_ci


@pytest.fixture(params=["simpy", "fast"])
def engine(request) -> str:
    return request.param


def trace(sc, seed: int = 3, replication: int = 0, engine: str = "simpy") -> model.HallTrace:
    run = model.run_hall if engine == "simpy" else fastpath.run_hall
    return run(sc, make_streams(seed, replication))


# --------------------------------------------------------------------------- switched off


OFF_SWITCHES: list[dict[str, Any]] = [
    {"missed_calls.absent": 0.0},
    {"hall.max_waiting": 1_000_000},
    {"patience.balk_probability": {"0": 0.0}},
    {"matters.0.daily_cap": 1_000_000},
    {"arrivals.before_open": {"count": 0}},
    {"arrivals.day_to_day_cv": 0.0},
    {"day_types": [{"name": "ordinary", "rate_factor": 1.0}], "run.day_type": "ordinary"},
]


@pytest.mark.parametrize("changes", OFF_SWITCHES, ids=lambda c: next(iter(c)))
@pytest.mark.parametrize("queue", ["single", "per_window"])
def test_a_mechanism_switched_off_is_todays_trace(changes, queue) -> None:
    base = day_scenario(
        layout={"queue": queue},
        patience={"renege_min": {"dist": "exponential", "mean": 20}},
    )
    sc = base.with_changes(changes)
    for seed in (1, 2):
        switched = trace(sc, seed)
        if sc.uses_caps():  # a hall with caps reports its (zero) refusals per matter
            assert switched.refused_by_matter.tolist() == [0, 0]
            switched.refused_by_matter = None
        assert_same_trace(trace(base, seed), switched)


def test_absent_keys_add_zero_metrics() -> None:
    res = run_replications(day_scenario(), replications=2, seed=1, engine="simpy")
    for metric in ("refused_cap", "blocked", "missed_calls", "missed_lost", "missed_wasted_min"):
        assert (res.replications[metric] == 0).all(), metric


# --------------------------------------------------------------------------- ticket caps


@settings(max_examples=25)
@given(
    cap=st.integers(0, 60),
    seed=st.integers(0, 2**32),
    booked=st.sampled_from([None, 0.3]),
    exempt=st.booleans(),
)
def test_caps_refuse_exactly_the_tickets_beyond_the_cap(cap, seed, booked, exempt) -> None:
    extra: dict[str, Any] = {}
    if booked is not None:
        extra["appointments"] = {"booked_share": booked, "exempt_from_caps": exempt}
    base = day_scenario(**extra)
    capped = base.with_changes({"matters.0.daily_cap": cap})
    free = draw_demand(base, make_streams(seed, 0))
    kept = draw_demand(capped, make_streams(seed, 0))
    counted = free.matter == 0
    if booked is not None and exempt:
        counted &= ~free.booked
    n = int(counted.sum())
    assert kept.refused_cap == max(0, n - cap)
    if kept.refused_by_matter is not None:  # only matter 0 has a cap
        assert kept.refused_by_matter.tolist() == [kept.refused_cap, 0]
    assert len(kept.arrival_min) == len(free.arrival_min) - kept.refused_cap
    kept_counted = kept.matter == 0
    if booked is not None and exempt:
        kept_counted &= ~kept.booked
    assert int(kept_counted.sum()) == min(n, cap)
    # those refused are the latest tickets: everyone kept of matter 0 came no later
    if kept.refused_cap and kept_counted.any():
        last_kept = kept.arrival_min[kept_counted].max()
        refused_times = np.setdiff1d(free.arrival_min[counted], kept.arrival_min[kept_counted])
        assert refused_times.min() >= last_kept


def test_caps_reach_the_metrics_on_both_engines(engine) -> None:
    sc = day_scenario().with_changes({"matters.1.daily_cap": 10})
    res = run_replications(sc, replications=3, seed=4, engine=engine)
    for r in range(3):
        free = draw_demand(day_scenario(), make_streams(4, r))
        expected = max(0, int((free.matter == 1).sum()) - 10)
        assert res.replications.refused_cap[r] == expected
        by_matter = simulate(sc, seed=4, replication=r, engine=engine).tables["matters"]
        assert by_matter["refused_cap"] == [0, expected]


# --------------------------------------------------------------------------- missed calls


@pytest.mark.parametrize("requeue", ["front", "back"])
def test_missed_calls_match_the_geometric_number_of_calls(requeue) -> None:
    # Each call misses with p; a miss is lost with q = P(away > grace) (exponential),
    # else the citizen is called again.  Per citizen: P(lost) = p q / (1 - p (1 - q)),
    # E[missed calls] = p / (1 - p (1 - q)).  A light load so every ticket is called.
    p, away, grace = 0.2, 10.0, 5.0
    q = math.exp(-grace / away)
    sc = day_scenario(
        hall={"open": "08:00", "close": "18:00"},
        arrivals={"rate_per_hour": 60},
        windows=[{"name": "g", "count": 5}],
        missed_calls={
            "absent": p,
            "away_min": {"dist": "exponential", "mean": away},
            "grace_min": grace,
            "requeue": requeue,
            "wasted_min": 0.5,
        },
    )
    assert fastpath.one_pass_lacks(sc)  # the fast engine runs it on its event kernel
    reps = run_replications(sc, replications=8, seed=7, engine="simpy").replications
    assert_in_ci(reps.missed_lost / reps.arrived, p * q / (1 - p * (1 - q)), "P(lost)")
    assert_in_ci(reps.missed_calls / reps.arrived, p / (1 - p * (1 - q)), "missed calls")
    np.testing.assert_allclose(reps.missed_wasted_min, 0.5 * reps.missed_calls)
    assert (reps.served + reps.missed_lost == reps.arrived).all()


def test_missed_calls_keep_every_citizen_accounted_for() -> None:
    for queue in ("single", "per_window"):
        sc = day_scenario(
            layout={"queue": queue},
            missed_calls={"absent": 0.3, "grace_min": 10, "requeue": "back"},
            patience={"renege_min": {"dist": "exponential", "mean": 30}},
        )
        tr = trace(sc, 5)
        served = tr.outcome == SERVED
        lost = tr.outcome == MISSED
        assert tr.missed_calls >= lost.sum() > 0
        assert np.all(np.isnan(tr.call_min[lost])) and np.all(tr.window[lost] == -1)
        assert np.all(tr.call_min[served] >= tr.arrival_min[served])
        assert tr.queue_levels[-1] == 0 and np.all(tr.queue_levels >= 0)


# --------------------------------------------------------------------------- loss capacity


@pytest.mark.parametrize("servers", [2, 4])
def test_no_waiting_room_matches_erlang_b(servers, engine) -> None:
    mean_s, a = 4.0, 0.8 * servers
    sc = queue_scenario(
        a / mean_s,
        {"dist": "exponential", "mean": mean_s},
        servers,
        warmup_min=200,
        length_min=12_000,
        hall={"max_waiting": 0},
    )
    reps = run_replications(sc, replications=8, seed=13, engine=engine).replications
    assert_in_ci(reps.blocked / reps.arrived, theory.erlang_b(servers, a), "Erlang B")
    assert (reps.wait_mean_min == 0).all() and (reps.balked == 0).all()
    assert (reps.queue_len_max == 0).all()


def test_finite_waiting_room_matches_mmck(engine) -> None:
    c, room, lam, mean_s = 3, 3, 0.9, 3.0
    th = theory.mmck(lam, mean_s, c, c + room)
    sc = queue_scenario(
        lam,
        {"dist": "exponential", "mean": mean_s},
        c,
        warmup_min=200,
        length_min=12_000,
        hall={"max_waiting": room},
    )
    reps = run_replications(sc, replications=8, seed=17, engine=engine).replications
    assert_in_ci(reps.blocked / reps.arrived, th.p_block, "P(block)")
    assert_in_ci(reps.queue_len_mean, th.queue_len_mean, "E[Lq]")
    assert_in_ci(reps.wait_mean_min, th.wait_mean, "E[Wq] admitted")
    assert_in_ci(reps.utilisation, th.utilisation, "utilisation")
    assert (reps.queue_len_max <= room).all()


def test_balking_below_the_room_is_balking_not_blocking() -> None:
    sc = day_scenario(patience={"balk_at_queue": 2}).with_changes({"hall.max_waiting": 5})
    tr = trace(sc, 1)
    assert not (tr.outcome == BLOCKED).any()
    assert_same_trace(trace(day_scenario(patience={"balk_at_queue": 2}), 1), tr)


def test_state_dependent_balking_matches_its_birth_death_chain() -> None:
    # M/M/1 where an arrival finding n waiting joins with 1 - b(n): the number in the
    # hall is a birth-death chain with birth rate lam (1 - b(n - 1)) from n >= 1.
    lam, mean_s = 0.9, 1.0
    curve = {"0": 0.0, "4": 0.8}
    sc = queue_scenario(
        lam,
        {"dist": "exponential", "mean": mean_s},
        1,
        warmup_min=200,
        length_min=10_000,
        patience={"balk_probability": curve},
    )
    assert not fastpath.one_pass_lacks(sc)  # the fast engine's one-pass loop draws it
    balk = lambda q: float(np.interp(q, [0, 4], [0.0, 0.8]))  # noqa: E731
    # p_n up to n = 200: births at n (>= 1 in the hall, n - 1 waiting) are lam (1 - b(n - 1))
    weights = [1.0]
    for n in range(1, 200):
        birth = lam if n == 1 else lam * (1 - balk(n - 2))
        weights.append(weights[-1] * birth * mean_s)
    p = np.array(weights) / sum(weights)
    n = np.arange(len(p))
    p_balk = float(sum(p[k] * balk(k - 1) for k in range(1, len(p))))
    lq = float(np.sum(np.clip(n - 1, 0, None) * p))
    reps = run_replications(sc, replications=8, seed=19, engine="simpy").replications
    assert_in_ci(reps.balked / reps.arrived, p_balk, "P(balk)")
    assert_in_ci(reps.queue_len_mean, lq, "E[Lq]")


# --------------------------------------------------------------------------- the crowd at opening


@pytest.mark.parametrize("count", [0, 1, 25])
def test_the_crowd_takes_tickets_at_opening(count, engine) -> None:
    sc = day_scenario(arrivals={"rate_per_hour": 40, "before_open": {"count": count}})
    for seed in (1, 2):
        tr = trace(sc, seed, engine=engine)
        assert int(np.sum(tr.arrival_min == sc.hall.open_min)) == count
    if engine == "fast":
        assert fastpath.supports(sc)
        assert_same_run(sc, 1, 0)


def test_a_crowd_rate_gives_a_poisson_count() -> None:
    sc = day_scenario(
        arrivals={"rate_per_hour": 40, "before_open": {"rate_per_hour": 60, "from": "08:30"}}
    )
    counts = [
        int(np.sum(draw_demand(sc, make_streams(1, r)).arrival_min == sc.hall.open_min))
        for r in range(400)
    ]
    assert_in_ci(counts, 30.0, "crowd size")
    # Poisson: the index of dispersion is 1 (chi-square test on (n-1) * variance / mean)
    d = (len(counts) - 1) * np.var(counts, ddof=1) / np.mean(counts)
    assert stats.chi2.sf(d, len(counts) - 1) > 0.005 and stats.chi2.cdf(d, len(counts) - 1) > 0.005


def test_the_crowd_leaves_the_rest_of_the_day_unchanged() -> None:
    base = day_scenario()
    crowd = day_scenario(arrivals={"rate_per_hour": 40, "before_open": {"count": 12}})
    a, b = draw_demand(base, make_streams(3, 0)), draw_demand(crowd, make_streams(3, 0))
    np.testing.assert_array_equal(b.arrival_min[12:], a.arrival_min)
    np.testing.assert_array_equal(b.base_service_min[12:], a.base_service_min)
    np.testing.assert_array_equal(b.matter[12:], a.matter)


# --------------------------------------------------------------------------- day to day


def counting_day(**tables: Any):
    """day_scenario without attitude effects: every drawn citizen is a new arrival (no
    thinning for returns), so daily counts follow the rates exactly."""
    return day_scenario(attitude_effects={"enabled": False}, **tables)


def daily_counts(sc, days: int) -> np.ndarray:
    return np.array([len(draw_demand(sc, make_streams(5, r)).arrival_min) for r in range(days)])


def test_daily_counts_without_a_day_level_are_poisson() -> None:
    counts = daily_counts(counting_day(), 600)
    d = (len(counts) - 1) * np.var(counts, ddof=1) / np.mean(counts)
    df = len(counts) - 1
    assert stats.chi2.sf(d, df) > 0.005 and stats.chi2.cdf(d, df) > 0.005


@pytest.mark.parametrize("cv", [0.1, 0.25])
def test_a_day_level_gives_the_index_of_dispersion_of_a_mixed_poisson(cv) -> None:
    sc = counting_day(arrivals={"rate_per_hour": 40, "day_to_day_cv": cv})
    mean = 40 * 2  # two hours
    counts = daily_counts(sc, 2000)
    assert_in_ci(counts, mean, "daily count")
    # index of dispersion 1 + mean cv^2, estimated in 40 batches of 50 days
    batches = counts.reshape(40, 50)
    ids = batches.var(axis=1, ddof=1) / batches.mean(axis=1)
    assert_in_ci(ids, 1 + mean * cv**2, f"index of dispersion (cv {cv})")


def test_day_types_scale_the_demand() -> None:
    types = [{"name": "monday", "rate_factor": 1.5, "before_open": {"count": 7}}]
    sc = counting_day(day_types=types, run={"day_type": "monday"})
    counts = daily_counts(sc, 300) - 7
    assert_in_ci(counts, 1.5 * 80, "monday count")
    # defined but not chosen: an ordinary day
    plain = day_scenario(day_types=types)
    assert_same_trace(trace(day_scenario(), 2), trace(plain, 2))


@pytest.mark.parametrize(
    "changes",
    [
        {"arrivals.day_to_day_cv": 0.2},
        {"hall.max_waiting": 2},
        {"matters.0.daily_cap": 30, "arrivals.before_open": {"count": 10}},
    ],
    ids=["day_level", "max_waiting", "caps_and_crowd"],
)
@pytest.mark.parametrize("queue", ["single", "per_window"])
def test_engines_agree(changes, queue) -> None:
    sc = day_scenario(
        layout={"queue": queue}, patience={"renege_min": {"dist": "exponential", "mean": 15}}
    ).with_changes(changes)
    assert fastpath.supports(sc) and not fastpath.one_pass_lacks(sc)
    for seed in (1, 2, 3):
        assert_same_run(sc, seed, 0)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"run.day_type": "tuesday"}, "run.day_type"),
        ({"arrivals.before_open": {"count": 3, "rate_per_hour": 4}}, "arrivals.before_open"),
        (
            {"arrivals.before_open": {"rate_per_hour": 4, "from": "09:30"}},
            "arrivals.before_open.from",
        ),
        ({"arrivals.day_to_day_cv": -0.1}, "arrivals.day_to_day_cv"),
        ({"matters.0.daily_cap": -1}, "matters.0.daily_cap"),
        ({"hall.max_waiting": 1.5}, "hall.max_waiting"),
        ({"patience.balk_probability": {"a": 0.1}}, "patience.balk_probability.a"),
        ({"patience.balk_probability": {"3": 1.5}}, "patience.balk_probability.3"),
        ({"missed_calls.absent": 2}, "missed_calls.absent"),
        ({"missed_calls.requeue": "middle"}, "missed_calls.requeue"),
        ({"day_types": [{"name": "x"}, {"name": "x"}]}, "day_types.1.name"),
    ],
)
def test_bad_input_names_the_field(changes, path) -> None:
    with pytest.raises(ScenarioError) as err:
        day_scenario().with_changes(changes)
    assert any(p == path for p, _ in err.value.problems), err.value.problems


def test_day_features_need_day_mode() -> None:
    for key, value in [
        ("arrivals.day_to_day_cv", 0.1),
        ("arrivals.before_open", {"count": 3}),
        ("matters.0.daily_cap", 3),
    ]:
        with pytest.raises(ScenarioError) as err:
            queue_scenario(0.5, {"dist": "exponential", "mean": 1.0}, 1).with_changes({key: value})
        assert err.value.problems[0][0] == key


def test_cli_names_file_and_field_and_exits_2(tmp_path) -> None:
    from click.testing import CliRunner

    from hallsim.cli import main

    text = (Path(__file__).resolve().parent.parent / "scenarios" / "busy_monday.toml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('day_type = "monday"', 'day_type = "friday"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "run.day_type" in result.output
    assert "Traceback" not in result.output


def test_cli_fast_engine_runs_missed_calls(tmp_path) -> None:
    from click.testing import CliRunner

    from hallsim.cli import main

    text = (Path(__file__).resolve().parent.parent / "scenarios" / "busy_monday.toml").read_text(
        encoding="utf-8"
    )
    sc = tmp_path / "missed.toml"
    sc.write_text(text + "\n[missed_calls]\nabsent = 0.1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(sc), "--engine", "fast", "-r", "2", "-q", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()


@settings(max_examples=20)
@given(
    queue=st.sampled_from(["single", "per_window"]),
    room=st.sampled_from([None, 0, 1, 4]),
    absent=st.sampled_from([0.0, 0.3]),
    requeue=st.sampled_from(["front", "back"]),
    curve=st.sampled_from([None, {"0": 0.1, "5": 0.9}]),
    cap=st.sampled_from([None, 5, 40]),
    crowd=st.sampled_from([0, 8]),
    seed=st.integers(0, 2**32),
)
def test_mechanisms_together_keep_the_hall_consistent(
    queue, room, absent, requeue, curve, cap, crowd, seed
) -> None:
    tables: dict[str, Any] = {
        "layout": {"queue": queue},
        "arrivals": {"rate_per_hour": 50, "before_open": {"count": crowd}},
        "patience": {"renege_min": {"dist": "exponential", "mean": 20}},
        "missed_calls": {"absent": absent, "grace_min": 8, "requeue": requeue},
    }
    if curve is not None:
        tables["patience"]["balk_probability"] = curve
    sc = day_scenario(**tables)
    changes: dict[str, Any] = {}
    if room is not None:
        changes["hall.max_waiting"] = room
    if cap is not None:
        changes["matters.0.daily_cap"] = cap
    sc = sc.with_changes(changes) if changes else sc
    tr = trace(sc, seed)
    served = tr.outcome == SERVED
    # every ticket has exactly one outcome, a served one a window, the others none
    assert np.all(np.isin(tr.outcome, [SERVED, 1, 2, 3, BLOCKED, MISSED]))
    assert np.all(tr.window[served] >= 0) and np.all(tr.window[~served] == -1)
    assert np.all(tr.call_min[served] >= tr.arrival_min[served] - 1e-9)
    assert np.all(tr.end_min >= tr.arrival_min - 1e-9)
    # the queue trace: never negative, ends empty, never above the waiting room
    assert np.all(tr.queue_levels >= 0) and tr.queue_levels[-1] == 0
    if room is not None and absent == 0:
        # the room admits arrivals; a citizen back from a missed call holds a ticket
        # and is re-queued even when it is full (docs/mechanisms.md §5)
        assert tr.queue_levels.max() <= room
    if room is None:
        assert not (tr.outcome == BLOCKED).any()
    assert tr.missed_calls >= int((tr.outcome == MISSED).sum())
    if absent == 0:
        assert tr.missed_calls == 0
    at_open = int(np.sum(tr.arrival_min == sc.hall.open_min))
    assert at_open == crowd if cap is None else at_open <= crowd  # a cap may refuse some
    if cap is not None:
        assert int(np.sum(tr.matter[~tr.is_return] == 0)) <= cap


def test_a_day_type_scales_the_ordinary_crowd_rate_not_its_own() -> None:
    crowd = {"rate_per_hour": 60, "from": "08:30"}  # 30 expected
    types = [
        {"name": "busy", "rate_factor": 2.0},
        {"name": "own", "rate_factor": 2.0, "before_open": crowd},
    ]
    arrivals = {"rate_per_hour": 40, "before_open": crowd}
    for day, expected in (("busy", 60.0), ("own", 30.0)):
        sc = counting_day(arrivals=arrivals, day_types=types, run={"day_type": day})
        sizes = [
            int(np.sum(draw_demand(sc, make_streams(2, r)).arrival_min == sc.hall.open_min))
            for r in range(300)
        ]
        assert_in_ci(sizes, expected, f"crowd on a {day} day")


@pytest.mark.parametrize(
    "tables",
    [
        {"missed_calls": {"absent": 0.2}},
        {"patience": {"balk_probability": {"0": 0.0, "3": 0.5}}},
        {
            "layout": {"queue": "per_window"},
            "hall": {"open": "09:00", "close": "11:00", "max_waiting": 2},
        },
    ],
    ids=["missed_calls", "balk_probability", "per_window_room"],
)
def test_the_fast_engine_runs_the_mechanisms_as_the_reference(tables) -> None:
    sc = day_scenario(**tables)
    assert fastpath.supports(sc)
    auto = run_replications(sc, replications=2, seed=6, engine="fast").replications
    ref = run_replications(sc, replications=2, seed=6, engine="simpy").replications
    assert auto.equals(ref)


def test_the_crowd_joins_a_hall_with_appointments_and_classes() -> None:
    sc = day_scenario(
        arrivals={"rate_per_hour": 40, "before_open": {"count": 10}},
        appointments={"booked_share": 0.3},
        classes=[{"name": "elderly", "share": 0.2, "priority": 1}],
    )
    demand = draw_demand(sc, make_streams(4, 0))
    crowd = demand.arrival_min == sc.hall.open_min
    assert int(crowd.sum()) >= 10  # booked citizens may also come at opening
    first = np.flatnonzero(crowd)[:10]
    assert not demand.booked[first].any() and np.isnan(demand.slot_min[first]).all()
    assert set(demand.klass.tolist()) <= {0, 1}
    tr = trace(sc, 4)
    assert int(np.sum(tr.arrival_min == sc.hall.open_min)) == int(crowd.sum())
