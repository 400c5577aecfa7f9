"""The fast engine (hallsim.engines.fast) against the SimPy reference (engines.simpy_hall).

For continuous distributions the two must give identical traces and consume
the random streams identically; with deterministic durations (simultaneous
events) only statistical agreement is required.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hallsim.engines import fast as fastpath
from hallsim.engines import hall_setup, supports
from hallsim.engines import simpy_hall as model
from hallsim.engines.trace import BALKED, BLOCKED, MISSED, RENEGED, SERVED, UNSERVED
from hallsim.experiment import run_replications, trace_replication
from hallsim.scenario import load_scenario, scenario_from_dict
from hallsim.streams import draw_clerks, make_streams, quantile

from .conftest import example_scenario_files

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def assert_same_trace(ref: model.HallTrace, fast: model.HallTrace, exact: bool = False) -> None:
    """Every field equal: arrays (dtype, shape, values; floats to 1e-9, or bit for bit
    with ``exact``), None, scalars."""
    for field in dataclasses.fields(model.HallTrace):
        a, b = getattr(ref, field.name), getattr(fast, field.name)
        if isinstance(a, np.ndarray):
            assert isinstance(b, np.ndarray), field.name
            assert a.dtype == b.dtype, field.name
            assert a.shape == b.shape, field.name
            if a.dtype.kind == "f" and not exact:
                np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9, err_msg=field.name)
            else:  # NaN in the same places, every other value the same double
                np.testing.assert_array_equal(b, a, err_msg=field.name, strict=True)
        elif isinstance(a, float) and not exact:
            assert b == pytest.approx(a, rel=1e-12), field.name
        elif isinstance(a, float) and math.isnan(a):
            assert isinstance(b, float) and math.isnan(b), field.name
        else:
            assert a == b, field.name


def assert_same_run(scenario, seed: int, replication: int, exact: bool = False) -> model.HallTrace:
    """Both engines on the same streams: equal traces (bit for bit with ``exact``),
    streams left in the same state."""
    s_ref, s_fast = make_streams(seed, replication), make_streams(seed, replication)
    ref = model.run_hall(scenario, s_ref)
    fast = fastpath.run_hall(scenario, s_fast)
    assert_same_trace(ref, fast, exact)
    for name in s_ref:
        assert s_fast[name].bit_generator.state == s_ref[name].bit_generator.state, name
    return fast


def check_invariants(scenario, tr: model.HallTrace) -> None:
    served = tr.outcome == SERVED
    balked = tr.outcome == BALKED
    reneged = tr.outcome == RENEGED
    # operations and mechanisms: sent away at a roster's end, turned away by a full
    # waiting room, lost after a missed call; all leave without a call
    unserved = tr.outcome == UNSERVED
    blocked = tr.outcome == BLOCKED
    missed = tr.outcome == MISSED
    n = len(tr.arrival_min)
    eps = 1e-9  # SimPy's clock may sit an ulp off a ticket time
    assert np.all(np.diff(tr.arrival_min) >= 0)
    assert np.all(tr.call_min[served] >= tr.arrival_min[served] - eps)  # waits >= 0
    assert np.all(tr.end_min[served] >= tr.call_min[served])
    assert np.all(tr.end_min >= tr.arrival_min - eps)
    assert np.all(np.isnan(tr.call_min[~served]))
    assert np.all(tr.window[~served] == -1) and np.all(tr.group[~served] == -1)
    assert np.all(tr.window[served] >= 0)
    np.testing.assert_array_equal(tr.group[served], tr.window_group[tr.window[served]])
    assert not np.any(tr.settled & ~served)
    turned_away = balked | blocked
    np.testing.assert_allclose(
        tr.end_min[turned_away], tr.arrival_min[turned_away], rtol=0, atol=eps
    )
    # conservation: every visit ends in one of the outcomes (nobody is left inside)
    assert (served | balked | reneged | unserved | blocked | missed).sum() == n
    # nobody joins a full waiting room (one who missed a call keeps their ticket)
    if scenario.hall.max_waiting is not None and scenario.missed_calls is None:
        assert tr.queue_levels.max(initial=0) <= scenario.hall.max_waiting
    # every unsettled visit either came back or returns after the horizon
    assert int((served & ~tr.settled).sum()) == int(tr.is_return.sum()) + tr.returns_later
    assert tr.horizon_end_min == (tr.end_min.max() if n else scenario.arrival_start_min)
    # queue trace: starts and ends empty, never negative, one join or leave per entry
    assert tr.queue_times[0] == scenario.arrival_start_min and tr.queue_levels[0] == 0
    assert np.all(np.diff(tr.queue_times) >= 0)
    assert np.all(tr.queue_levels >= 0) and tr.queue_levels[-1] == 0
    assert np.all(np.abs(np.diff(tr.queue_levels)) == 1)
    changes = len(tr.queue_times) - 1
    waited = served & (tr.call_min > tr.arrival_min + eps)
    assert changes % 2 == 0
    if scenario.missed_calls is None:  # a missed call re-queues: more changes
        assert 2 * int(reneged.sum() + waited.sum()) <= changes  # some unserved never joined
        assert changes <= 2 * int(reneged.sum() + unserved.sum() + served.sum())


# --------------------------------------------------------------------------- hand-written


def _sc(**data: Any):
    base: dict[str, Any] = {
        "name": "t",
        "hall": {"open": "09:00", "close": "12:00"},
        "arrivals": {"rate_per_hour": 50},
        "matters": [
            {"name": "a", "share": 0.5, "service_min": {"dist": "exponential", "mean": 5}},
            {"name": "b", "share": 0.3, "service_min": {"dist": "lognormal", "mean": 7, "cv": 1}},
            {"name": "c", "share": 0.2, "service_min": {"dist": "gamma", "mean": 9, "cv": 0.5}},
        ],
        "windows": [{"name": "all", "count": 5}],
    }
    base.update(data)
    return scenario_from_dict(base)


RESTRICTED = [
    {"name": "ab", "count": 2, "matters": ["a", "b"], "service_time_factor": 1.1},
    {"name": "c", "count": 1, "matters": ["c"], "attitude": 0.9},
    {"name": "all", "count": 2, "matters": ["*"], "attitude": 0.4, "attitude_sd": 0.15},
]

CASES = {
    "mmc_warmup": lambda: load_scenario(SCENARIOS / "mmc_steady_state.toml").with_changes(
        {"run.warmup_min": 100.0, "run.length_min": 1500.0}
    ),
    "integrated": lambda: load_scenario(SCENARIOS / "integrated.toml"),
    "dedicated": lambda: load_scenario(SCENARIOS / "dedicated.toml"),
    "hybrid": lambda: load_scenario(SCENARIOS / "hybrid.toml"),
    "integrated_spread": lambda: load_scenario(SCENARIOS / "integrated.toml").with_changes(
        {"windows.0.attitude": 0.5, "windows.0.attitude_sd": 0.1, "windows.0.count": 6}
    ),
    "basic_mixed_speeds": lambda: _sc(
        windows=[
            {"name": "slow", "count": 2, "service_time_factor": 1.4},
            {"name": "fast", "count": 2, "service_time_factor": 0.8},
        ],
        attitude_effects={"enabled": False},
    ),
    "single_restricted_balk_renege_exp": lambda: _sc(
        windows=RESTRICTED,
        patience={"balk_at_queue": 4, "renege_min": {"dist": "exponential", "mean": 15}},
        arrivals={"rate_per_hour": 70},
    ),
    "single_fatigue_returns_sd": lambda: _sc(
        windows=RESTRICTED,
        patience={"renege_min": {"dist": "lognormal", "mean": 40, "cv": 0.6}},
        attitude_effects={
            "fcr_base": 0.5,
            "fcr_per_unit": 0.1,
            "return_delay_min": 20,
            "return_same_day_share": 0.6,  # a timing uniform per visit
            "fatigue_per_hour": 0.3,
        },
    ),
    "per_window_restricted": lambda: _sc(
        layout={"queue": "per_window"},
        windows=RESTRICTED,
        patience={"balk_at_queue": 3, "renege_min": {"dist": "lognormal", "mean": 20, "cv": 1}},
        arrivals={"rate_per_hour": {"09:00": 30, "10:00": 80, "11:00": 40}},
    ),
    "per_window_returns_now": lambda: _sc(
        layout={"queue": "per_window"},
        windows=[{"name": "all", "count": 4, "attitude_sd": 0.2}],
        attitude_effects={
            "fcr_base": 0.4,
            "fcr_per_unit": 0.0,
            "return_delay_min": 0.0,
            "return_same_day_share": 0.5,
        },
        arrivals={"rate_per_hour": 35},
    ),
    "many_returns_grow_blocks": lambda: _sc(
        windows=[{"name": "all", "count": 6}],
        attitude_effects={
            "fcr_base": 0.1,
            "fcr_per_unit": 0.0,
            "return_delay_min": 3.0,
            "return_same_day_share": 1.0,
        },
        arrivals={"rate_per_hour": 30, "include_returns": False},
    ),
    "rate_table_online": lambda: _sc(
        arrivals={
            "rate_per_hour": {"08:00": 20, "09:30": 90, "10:15": 0, "11:00": 60},
            "online_share": 0.2,
        },
        matters=[
            {
                "name": "a",
                "share": 0.6,
                "service_min": {"dist": "uniform", "low": 1, "high": 9},
                "online_share": 0.5,
            },
            {"name": "b", "share": 0.4, "service_min": {"dist": "exponential", "mean": 6}},
            {"name": "never", "share": 0.0, "service_min": {"dist": "exponential", "mean": 6}},
        ],
        windows=[{"name": "ab", "count": 4, "matters": ["a", "b"]}],
        patience={"renege_min": {"dist": "uniform", "low": 5, "high": 30}},
    ),
    # zero-length services and patience (floating-point underflow of a gamma
    # with cv 3): simultaneous events, ordered as SimPy orders them
    "underflow_ties": lambda: _sc(
        matters=[
            {"name": "a", "share": 1.0, "service_min": {"dist": "gamma", "mean": 5, "cv": 3}},
        ],
        windows=[{"name": "all", "count": 3}],
        patience={"renege_min": {"dist": "gamma", "mean": 10, "cv": 3}},
        attitude_effects={
            "fcr_base": 0.5,
            "fcr_per_unit": 0.0,
            "return_delay_min": 0.0,
            "return_same_day_share": 1.0,
        },
        arrivals={"rate_per_hour": 45},
    ),
    "steady_state_from_zero": lambda: _sc(
        run={"mode": "steady_state", "warmup_min": 0.0, "length_min": 300.0},
        hall={},
        windows=[{"name": "all", "count": 2}],
        arrivals={"rate_per_hour": 20},
        patience={"balk_at_queue": 2},
    ),
    "no_arrivals": lambda: _sc(arrivals={"rate_per_hour": 0}),
    # per-matter patience ([[matters]] renege_min), with return visits drawing it again
    "per_matter_patience_returns": lambda: _sc(
        windows=[{"name": "all", "count": 3}],
        arrivals={"rate_per_hour": 55},
        matters=[
            {
                "name": "a",
                "share": 0.5,
                "service_min": {"dist": "exponential", "mean": 5},
                "renege_min": {"dist": "lognormal", "mean": 3, "cv": 1.2},
            },
            {"name": "b", "share": 0.3, "service_min": {"dist": "gamma", "mean": 4, "cv": 0.7}},
            {
                "name": "c",
                "share": 0.2,
                "service_min": {"dist": "lognormal", "mean": 6, "cv": 1},
                "renege_min": {"dist": "exponential", "mean": 25},
            },
        ],
        patience={"renege_min": {"dist": "exponential", "mean": 12}},
        attitude_effects={"fcr_base": 0.5, "fcr_per_unit": 0.0, "return_delay_min": 15},
    ),
    "per_matter_patience_per_window": lambda: _sc(
        layout={"queue": "per_window"},
        windows=RESTRICTED,
        arrivals={"rate_per_hour": 75},
        matters=[
            {
                "name": "a",
                "share": 0.5,
                "service_min": {"dist": "exponential", "mean": 5},
                "renege_min": {"dist": "gamma", "mean": 4, "cv": 0.8},
            },
            {"name": "b", "share": 0.3, "service_min": {"dist": "lognormal", "mean": 7, "cv": 1}},
            {"name": "c", "share": 0.2, "service_min": {"dist": "gamma", "mean": 9, "cv": 0.5}},
        ],
    ),
    # ticket counts include returns (thinned candidates), a rate table, a fixed
    # delay given as a deterministic distribution, returns of returns
    "include_returns_rate_table": lambda: _sc(
        arrivals={"rate_per_hour": {"08:00": 50, "09:30": 20, "10:30": 60}, "counted_fcr": 0.8},
        attitude_effects={
            "fcr_base": 0.5,
            "return_same_day_share": 0.7,
            "return_delay": {"dist": "deterministic", "mean": 45},
        },
    ),
    # per-window lines chosen by expected wait: windows of unequal speed
    "shortest_expected_wait": lambda: _sc(
        layout={"queue": "per_window", "line_choice": "shortest_expected_wait"},
        windows=[
            {"name": "slow", "count": 2, "service_time_factor": 1.6},
            {"name": "fast", "count": 2, "service_time_factor": 0.7},
            {"name": "c", "count": 1, "matters": ["c"]},
        ],
        arrivals={"rate_per_hour": 60},
        patience={"balk_at_queue": 4},
    ),
    # chance balking (patience.balk_probability): one balking draw per arrival who waits
    "balk_probability": lambda: _sc(
        patience={"balk_probability": {"0": 0.0, "3": 0.3, "8": 0.9}},
        arrivals={"rate_per_hour": 70},
        windows=RESTRICTED,
    ),
    "balk_probability_per_window": lambda: _sc(
        layout={"queue": "per_window"},
        patience={"balk_probability": {"0": 0.1, "2": 0.5}, "balk_at_queue": 4},
        arrivals={"rate_per_hour": 70},
    ),
    # a waiting room shared by per-window lines (hall.max_waiting counts every line)
    "waiting_room_per_window": lambda: _sc(
        layout={"queue": "per_window"},
        hall={"open": "09:00", "close": "12:00", "max_waiting": 4},
        arrivals={"rate_per_hour": 75},
        windows=RESTRICTED,
    ),
    # same-day returns after a random delay: they need not come back in creation order
    "return_delay_distribution": lambda: _sc(
        attitude_effects={
            "fcr_base": 0.4,
            "fcr_per_unit": 0.0,
            "return_same_day_share": 0.7,
            "return_delay": {"dist": "exponential", "mean": 25},
        },
        arrivals={"rate_per_hour": 40},
    ),
}


# Scenarios the one-pass recursion does not cover: the fast engine runs the reference's
# hall code on its event kernel (hallsim.engines.kernel); the traces must still be equal.
ROSTER = {"09:00": 3, "10:00": 5, "11:00": 2, "11:30": 4}
KERNEL_CASES = {
    "operations": lambda: load_scenario(SCENARIOS / "operations.toml"),
    "roster_breaks_returns": lambda: _sc(
        windows=[
            {
                "name": "ab",
                "count": 5,
                "matters": ["a", "b"],
                "staffed": ROSTER,
                "breaks": [{"start": "10:15", "end": "10:45", "windows": 2}],
            },
            {"name": "c", "count": 2, "matters": ["c"], "staffed": {"09:00": 2, "11:00": 0}},
            {"name": "ab2", "count": 1, "matters": ["a", "b"], "attitude_sd": 0.2},
        ],
        arrivals={"rate_per_hour": 60},
        patience={"balk_at_queue": 12, "renege_min": {"dist": "lognormal", "mean": 40, "cv": 0.6}},
        attitude_effects={"fcr_base": 0.5, "return_delay_min": 10, "fatigue_per_hour": 0.2},
    ),
    "appointments_classes": lambda: _sc(
        appointments={
            "booked_share": 0.3,
            "slot_min": 20,
            "punctuality_mean_min": -4,
            "punctuality_sd_min": 6,
            "grace_min": 5,
            "no_show": 0.1,
        },
        classes=[
            {"name": "old", "share": 0.1, "priority": 1, "service_time_factor": 1.4},
            {"name": "vip", "share": 0.05, "priority": 2},
        ],
        windows=[
            {"name": "all", "count": 4, "staffed": {"09:00": 3, "10:30": 4}},
            {"name": "green", "count": 1, "classes": ["old", "vip"]},
        ],
        arrivals={"rate_per_hour": 55},
        patience={"renege_min": {"dist": "exponential", "mean": 30}},
    ),
    "appointments_per_window": lambda: _sc(
        layout={"queue": "per_window"},
        appointments={"booked_share": 0.4, "slot_min": 15, "punctuality_sd_min": 5},
        windows=RESTRICTED,
        arrivals={"rate_per_hour": 60},
    ),
    # deterministic services and slot-time promotions at roster steps: simultaneous
    # events, which the kernel orders exactly as SimPy does
    "deterministic_ties": lambda: _sc(
        matters=[{"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": 5}}],
        appointments={"booked_share": 0.5, "slot_min": 30, "punctuality_mean_min": -10},
        windows=[{"name": "all", "count": 3, "staffed": {"09:00": 2, "09:30": 3, "10:30": 1}}],
        arrivals={"rate_per_hour": 40},
        patience={"renege_min": {"dist": "deterministic", "mean": 15}},
        attitude_effects={"fcr_base": 0.6, "fcr_per_unit": 0.0, "return_delay_min": 5},
    ),
    "classes_per_window_lines": lambda: _sc(
        layout={"queue": "per_window"},
        classes=[{"name": "old", "share": 0.15, "priority": 1}],
        windows=[
            {"name": "all", "count": 3},
            {"name": "green", "count": 1, "classes": ["old"]},
        ],
        arrivals={"rate_per_hour": 50},
    ),
    "missed_calls_front": lambda: _sc(
        missed_calls={"absent": 0.2, "grace_min": 8, "requeue": "front", "wasted_min": 1.5},
        windows=RESTRICTED,
        arrivals={"rate_per_hour": 60},
        patience={"renege_min": {"dist": "lognormal", "mean": 30, "cv": 0.5}},
        attitude_effects={"fcr_base": 0.7, "return_delay_min": 20},
    ),
    "missed_calls_back_per_window": lambda: _sc(
        layout={"queue": "per_window"},
        missed_calls={
            "absent": 0.25,
            "away_min": {"dist": "lognormal", "mean": 6, "cv": 1},
            "requeue": "back",
            "wasted_min": 0.0,
        },
        arrivals={"rate_per_hour": 55},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 7])
def test_identical_to_reference(case: str, seed: int) -> None:
    scenario = CASES[case]()
    assert fastpath.supports(scenario)
    for replication in (0, 3):
        tr = assert_same_run(scenario, seed, replication)
        check_invariants(scenario, tr)


@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
@pytest.mark.parametrize("seed", [1, 7])
def test_kernel_cases_identical_to_reference(case: str, seed: int) -> None:
    scenario = KERNEL_CASES[case]()
    assert fastpath.supports(scenario) and fastpath.one_pass_lacks(scenario)
    for replication in (0, 3):
        tr = assert_same_run(scenario, seed, replication)
        check_invariants(scenario, tr)


def test_a_same_day_delay_distribution_is_one_pass() -> None:
    sc = _sc(attitude_effects={"return_delay": {"dist": "exponential", "mean": 60}})
    assert fastpath.supports(sc) and not fastpath.one_pass_lacks(sc)
    assert fastpath._setup(sc).delay_of is not None  # each citizen's own delay


def test_cases_exercise_their_features() -> None:
    def trace(case, seed=1, rep=0):
        make = CASES.get(case) or KERNEL_CASES[case]
        return fastpath.run_hall(make(), make_streams(seed, rep))

    tr = trace("single_restricted_balk_renege_exp")
    assert (tr.outcome == BALKED).any() and (tr.outcome == RENEGED).any()
    tr = trace("single_fatigue_returns_sd")
    assert tr.is_return.any() and tr.returns_later > 0
    assert len(np.unique(tr.clerks, axis=0)) > 2
    tr = trace("per_window_restricted")
    assert (tr.outcome == BALKED).any() and (tr.outcome == RENEGED).any()
    tr = trace("many_returns_grow_blocks")
    first = int((~tr.is_return).sum())
    assert tr.is_return.sum() > first * 0.9 * 1.25 + 16  # beyond the first block of draws
    tr = trace("underflow_ties")
    served = tr.outcome == SERVED
    assert (tr.end_min[served] == tr.call_min[served]).any()
    assert (tr.queue_times[1:] == tr.queue_times[:-1]).any()
    assert len(trace("no_arrivals").arrival_min) == 0
    for case in ("per_matter_patience_returns", "per_matter_patience_per_window"):
        tr = trace(case)
        reneged = np.bincount(tr.matter[tr.outcome == RENEGED], minlength=3)
        assert reneged[0] > 0  # the impatient matter reneges ...
        if case.endswith("per_window"):  # ... and matters without patience never do
            assert reneged[1] == reneged[2] == 0
    tr = trace("per_matter_patience_returns")
    assert tr.is_return.any()

    # the kernel cases: each takes the kernel path and shows its feature
    for case in KERNEL_CASES:
        assert fastpath.one_pass_lacks(KERNEL_CASES[case]()), case
    tr = trace("roster_breaks_returns")
    assert tr.duty_window is not None and len(tr.duty_window) > 0
    assert (tr.outcome == UNSERVED).any() and tr.is_return.any()  # group c closes at 11:00
    tr = trace("appointments_classes", rep=1)
    assert tr.booked.any() and tr.no_shows > 0 and set(np.unique(tr.klass)) == {0, 1, 2}
    assert set(tr.window[tr.klass == 0]) <= {0, 1, 2, 3, -1}  # the green window serves classes
    tr = trace("deterministic_ties")
    served = tr.outcome == SERVED
    assert (np.diff(tr.queue_times) == 0).any()  # simultaneous queue changes
    assert tr.booked.any() and (tr.outcome == RENEGED).any() and served.any()
    for case in ("missed_calls_front", "missed_calls_back_per_window"):
        tr = trace(case)
        assert tr.missed_calls > 0 and (tr.outcome == MISSED).any(), case
    assert (trace("balk_probability").outcome == BALKED).any()
    assert (trace("balk_probability_per_window").outcome == BALKED).any()
    assert (trace("waiting_room_per_window").outcome == BLOCKED).any()
    tr = trace("return_delay_distribution")
    assert tr.is_return.any() and tr.returns_later > 0
    assert not fastpath.one_pass_lacks(CASES["shortest_expected_wait"]())
    tr = trace("shortest_expected_wait")  # the fast windows take more citizens
    per_window = np.bincount(tr.window[tr.outcome == SERVED], minlength=5)
    assert per_window[2:4].min() > per_window[:2].max()


def test_engine_selection_uses_the_fast_path() -> None:
    sc = CASES["hybrid"]()
    fast = trace_replication(sc, 3, 1, engine="fast")
    auto = trace_replication(sc, 3, 1, engine="auto")
    ref = trace_replication(sc, 3, 1, engine="simpy")
    assert_same_trace(ref, fast)
    assert_same_trace(ref, auto)


def test_the_kernel_hand_over_runs_every_example_as_the_reference() -> None:
    """No scenario of today's format takes the kernel path (``operations_loop.lacks`` is
    empty), so the hand-over a future mechanism would take is checked directly: the
    reference's hall code on the event kernel gives the reference's trace bit for bit."""
    for path in example_scenario_files():
        sc = load_scenario(path)
        assert fastpath.path_of(sc) != "kernel", path
        s_ref, s_kernel = make_streams(2, 1), make_streams(2, 1)
        ref = model.run_hall(sc, s_ref)
        assert_same_trace(ref, fastpath._run_on_kernel(sc, s_kernel), exact=True)
        for name in s_ref:
            assert s_kernel[name].bit_generator.state == s_ref[name].bit_generator.state


def test_every_example_scenario_runs_on_the_fast_engine_identically() -> None:
    """The goal of issue 19: no example scenario falls back to the SimPy engine, and
    each gives the reference's trace bit for bit."""
    for path in example_scenario_files():
        sc = load_scenario(path)
        assert supports(sc, "fast") == [], path
        for replication in (0, 1, 2):
            assert_same_run(sc, 2, replication, exact=True)


def test_kernel_scenarios_are_simulated_whole_not_in_segments() -> None:
    """Segments (bounded memory) need the one-pass recursion: a long steady-state run
    with missed calls is simulated whole, and run_segments refuses it by name."""
    from hallsim import engines, streaming

    sc = _sc(
        run={"mode": "steady_state", "warmup_min": 0.0, "length_min": 200_000.0},
        hall={},
        arrivals={"rate_per_hour": 40},
        missed_calls={"absent": 0.1},
    )
    assert streaming.expected_citizens(sc) >= streaming.MIN_CITIZENS
    assert engines.choose(sc, "auto") == "fast" and not engines.runs_in_segments(sc)
    assert not streaming.applies(sc)
    with pytest.raises(ValueError, match="missed_calls"):
        engines.run_segments(sc, make_streams(1, 0))
    plain = sc.with_changes({"missed_calls": None})
    assert engines.runs_in_segments(plain) and streaming.applies(plain)


def test_clerks_without_spread_match_draw_clerks() -> None:
    for path in example_scenario_files():
        sc = load_scenario(path)
        streams = make_streams(4, 2)
        su = fastpath._setup(sc).replication(streams)
        np.testing.assert_array_equal(su.clerks, draw_clerks(sc, make_streams(4, 2)["attitude"]))


def test_event_times_follow_the_simpy_clock() -> None:
    rng = np.random.default_rng(5)
    for start in (0.0, 0.0, 3.0, 540.0):
        t = start + np.cumsum(rng.exponential(0.3, 2000) ** 3)
        now, expected = start, []
        for x in t.tolist():
            if x > now:
                now = now + (x - now)
            expected.append(now)
        np.testing.assert_array_equal(fastpath.event_times(t, start), expected)


def test_return_draws_in_blocks_equal_one_call_per_return() -> None:
    sc = CASES["single_fatigue_returns_sd"]()
    fast, ref = make_streams(3, 0)["returns"], make_streams(3, 0)["returns"]
    draws = hall_setup._Returns(sc, fast, 5)
    renege = sc.patience.renege_min
    for k in range(100):
        m = k % 3
        base, patience, settle_u, timing = draws.draw(m)
        u = ref.random(4)  # this case has a same-day share in (0, 1): a timing uniform
        assert base == float(quantile(sc.matters[m].service_min, u[:1])[0])
        assert patience == float(quantile(renege, u[1:2])[0])
        assert settle_u == u[2]
        assert timing == u[3]
    draws.finish()
    assert fast.bit_generator.state == ref.bit_generator.state


def test_a_zero_share_matter_is_never_drawn() -> None:
    """Shares that sum to a hair under 1 must not leak demand to a zero-share matter
    (no window may serve it; the engines would have no rule for such a citizen)."""
    third = 1 / 3
    sc = _sc(
        matters=[
            {"name": "a", "share": third, "service_min": {"dist": "exponential", "mean": 5}},
            {"name": "b", "share": third, "service_min": {"dist": "exponential", "mean": 5}},
            {"name": "c", "share": third, "service_min": {"dist": "exponential", "mean": 5}},
            {"name": "z", "share": 0.0, "service_min": {"dist": "exponential", "mean": 5}},
        ],
        windows=[{"name": "abc", "count": 2, "matters": ["a", "b", "c"]}],
    )
    for seed in range(20):
        d = model.draw_demand(sc, make_streams(seed, 0))
        assert (d.matter < 3).all()


# --------------------------------------------------------------------------- hypothesis


def _dist(draw, continuous: bool = True) -> dict[str, Any]:
    kinds = ["exponential", "lognormal", "gamma", "uniform"]
    kind = draw(st.sampled_from(kinds if continuous else [*kinds, "deterministic"]))
    mean = draw(st.floats(1.0, 10.0))
    if kind in ("exponential", "deterministic"):
        return {"dist": kind, "mean": mean}
    if kind == "uniform":
        low = draw(st.floats(0.0, 5.0))
        return {"dist": kind, "low": low, "high": low + draw(st.floats(0.5, 8.0))}
    return {"dist": kind, "mean": mean, "cv": draw(st.sampled_from([0.3, 0.8, 1.0, 2.0]))}


@st.composite
def scenarios(draw, continuous: bool = True, kernel_only: bool = False):
    """Random halls; ``kernel_only``: with at least one feature the one-pass recursion
    does not cover (the fast engine runs those on its event kernel)."""
    n_matters = draw(st.integers(1, 3))
    names = [f"m{k}" for k in range(n_matters)]
    weights = [draw(st.integers(1, 5)) for _ in names]
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    matters = [
        {"name": n, "share": s, "service_min": _dist(draw, continuous)}
        for n, s in zip(names, shares, strict=True)
    ]
    groups = []
    for g in range(draw(st.integers(1, 3))):
        subset = draw(
            st.one_of(
                st.just(["*"]),
                st.lists(st.sampled_from(names), min_size=1, max_size=n_matters, unique=True),
            )
        )
        groups.append(
            {
                "name": f"g{g}",
                "count": draw(st.integers(0, 3)),
                "matters": subset,
                "service_time_factor": draw(st.sampled_from([1.0, 0.7, 1.3])),
                "attitude": draw(st.floats(0.0, 1.0)),
                "attitude_sd": draw(st.sampled_from([0.0, 0.2])),
            }
        )
    covered = {
        m for g in groups if g["count"] for m in (names if "*" in g["matters"] else g["matters"])
    }
    missing = [m for m in names if m not in covered]
    if missing or not any(g["count"] for g in groups):
        groups.append({"name": "extra", "count": 1, "matters": missing or ["*"]})
    capacity = sum(g["count"] for g in groups)
    rate = draw(st.floats(0.4, 1.6)) * capacity * 10.0
    data: dict[str, Any] = {
        "name": "hyp",
        "matters": matters,
        "windows": groups,
        "layout": {"queue": draw(st.sampled_from(["single", "per_window"]))},
    }
    if draw(st.booleans()):
        data["run"] = {
            "mode": "steady_state",
            "warmup_min": draw(st.sampled_from([0.0, 20.0])),
            "length_min": draw(st.floats(30.0, 150.0)),
        }
        data["arrivals"] = {"rate_per_hour": rate}
    else:
        data["hall"] = {"open": "09:00", "close": draw(st.sampled_from(["10:00", "11:30"]))}
        if draw(st.booleans()):
            keys = draw(
                st.lists(
                    st.sampled_from(["08:30", "09:00", "09:20", "09:45"]),
                    min_size=1,
                    max_size=4,
                    unique=True,
                )
            )
            data["arrivals"] = {
                "rate_per_hour": {
                    k: draw(st.one_of(st.just(0.0), st.floats(0.1, 2.0))) * rate for k in keys
                }
            }
        else:
            data["arrivals"] = {"rate_per_hour": rate}
    if draw(st.integers(0, 3)) == 0:  # a waiting room (hall.max_waiting), 0 = none at all
        data.setdefault("hall", {})["max_waiting"] = draw(st.integers(0, 6))
    if draw(st.booleans()):
        patience: dict[str, Any] = {"balk_at_queue": draw(st.integers(0, 5))}
        if draw(st.booleans()):
            patience["balk_probability"] = {"0": draw(st.floats(0.0, 0.3)), "3": 0.6, "6": 0.9}
        if draw(st.booleans()):
            patience["renege_min"] = _dist(draw, continuous)
        data["patience"] = patience
    data["attitude_effects"] = {
        "enabled": draw(st.booleans()),
        "fcr_base": draw(st.floats(0.3, 1.0)),
        "fcr_per_unit": draw(st.floats(-0.3, 0.3)),
        "return_delay_min": draw(st.sampled_from([0.0, 5.0, 17.3, 120.0])),
        "fatigue_per_hour": draw(st.sampled_from([0.0, 0.25])),
        "care_time_per_unit": draw(st.floats(-0.5, 0.5)),
        "rework_time_per_unit": draw(st.floats(-0.5, 0.5)),
    }
    if draw(st.integers(0, 3)) == 0:  # a same-day return delay drawn per citizen
        data["attitude_effects"]["return_delay"] = _dist(draw, continuous)
        data["attitude_effects"]["return_same_day_share"] = draw(st.sampled_from([0.5, 1.0]))
    if kernel_only:
        _add_kernel_features(draw, data, names, continuous)
    return scenario_from_dict(data)


def _add_kernel_features(draw, data: dict[str, Any], names: list[str], continuous: bool) -> None:
    """Rosters and breaks, appointments, classes, missed calls: a random non-empty
    selection."""
    day = data.get("run", {}).get("mode") != "steady_state"
    single = data["layout"]["queue"] == "single"
    options = ["appointments", "classes", "missed_calls"]
    if day and single:
        options.append("roster")
    chosen = draw(st.lists(st.sampled_from(options), min_size=1, max_size=4, unique=True))
    if "roster" in chosen:
        close = data["hall"]["close"]
        times = ["09:00", "09:20", "09:40"] if close == "10:00" else ["09:00", "09:45", "10:30"]
        first = next(k for k, g in enumerate(data["windows"]) if g["count"])
        for k, g in enumerate(data["windows"]):
            if g["count"] and (k == first or draw(st.booleans())):
                levels = [g["count"]] + [draw(st.integers(0, g["count"])) for _ in times[1:]]
                g["staffed"] = dict(zip(times, levels, strict=True))
                if levels[1] and draw(st.booleans()):
                    g["breaks"] = [{"start": times[1], "end": times[2], "windows": 1}]
    if "appointments" in chosen:
        data["appointments"] = {
            "booked_share": draw(st.floats(0.1, 0.6)),
            "slot_min": draw(st.sampled_from([0.0, 15.0, 30.0])),
            "punctuality_mean_min": draw(st.sampled_from([0.0, -5.0, 3.0])),
            "punctuality_sd_min": draw(st.sampled_from([0.0, 6.0])),
            "grace_min": draw(st.sampled_from([0.0, 5.0])),
            "no_show": draw(st.sampled_from([0.0, 0.1])),
        }
    if "classes" in chosen:
        data["classes"] = [
            {
                "name": f"k{k}",
                "share": draw(st.floats(0.05, 0.3)),
                "priority": draw(st.integers(0, 2)),
                "service_time_factor": draw(st.sampled_from([1.0, 1.3])),
            }
            for k in range(draw(st.integers(1, 2)))
        ]
    if "missed_calls" in chosen:
        data["missed_calls"] = {
            "absent": draw(st.floats(0.05, 0.4)),
            "away_min": _dist(draw, continuous),
            "grace_min": draw(st.sampled_from([3.0, 10.0])),
            "requeue": draw(st.sampled_from(["front", "back"])),
            "wasted_min": draw(st.sampled_from([0.0, 1.0])),
        }


HYP = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(scenarios(), st.integers(0, 2**16), st.integers(0, 5))
def test_random_scenarios_identical(scenario, seed: int, replication: int) -> None:
    assert fastpath.supports(scenario)
    tr = assert_same_run(scenario, seed, replication)
    check_invariants(scenario, tr)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(kernel_only=True), st.integers(0, 2**16), st.integers(0, 5))
def test_random_kernel_scenarios_identical(scenario, seed: int, replication: int) -> None:
    assume(fastpath.one_pass_lacks(scenario))  # e.g. a roster that never changes the level
    assert fastpath.supports(scenario)
    tr = assert_same_run(scenario, seed, replication)
    check_invariants(scenario, tr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(continuous=False, kernel_only=True), st.integers(0, 2**16))
def test_random_kernel_scenarios_with_deterministic_times_identical(scenario, seed: int) -> None:
    """Simultaneous events everywhere: the kernel orders them as SimPy, so still identical."""
    tr = assert_same_run(scenario, seed, 0)
    check_invariants(scenario, tr)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(continuous=False), st.integers(0, 2**16))
def test_random_scenarios_with_deterministic_times_keep_invariants(scenario, seed: int) -> None:
    check_invariants(scenario, fastpath.run_hall(scenario, make_streams(seed, 0)))


# --------------------------------------------------------------------------- deterministic


def test_deterministic_service_agrees_statistically() -> None:
    """Simultaneous events are possible here (service 3, returns 6 minutes later)."""
    sc = _sc(
        hall={"open": "09:00", "close": "13:00"},
        matters=[{"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": 3}}],
        windows=[{"name": "all", "count": 3, "attitude": 0.5}],
        arrivals={"rate_per_hour": 55},
        patience={"balk_at_queue": 6, "renege_min": {"dist": "deterministic", "mean": 12}},
        attitude_effects={"fcr_base": 0.7, "fcr_per_unit": 0.0, "return_delay_min": 6.0},
    )
    reps = 30
    fast = run_replications(sc, replications=reps, seed=11, engine="fast").replications
    ref = run_replications(sc, replications=reps, seed=11, engine="simpy").replications
    for metric in (
        "wait_mean_min",
        "served",
        "reneged",
        "balked",
        "return_visits",
        "queue_len_mean",
        "utilisation",
    ):
        diff = fast[metric] - ref[metric]  # paired: common random numbers
        half = 3.0 * diff.std(ddof=1) / math.sqrt(reps)
        assert abs(diff.mean()) <= half + 1e-9, metric


def test_a_missed_call_returner_after_the_rosters_end_leaves_the_queue_trace_empty() -> None:
    """Found by test_random_kernel_scenarios_identical: a citizen back from a missed call
    after the only window went off duty is sent away by the end-of-run safety net, which
    must also take them out of the queue-length trace (it ended at 1)."""
    exp1 = {"dist": "exponential", "mean": 1.0}
    sc = scenario_from_dict(
        {
            "name": "missed after roster",
            "hall": {"open": "09:00", "close": "10:00", "max_waiting": 0},
            "arrivals": {"rate_per_hour": 15.0},
            "matters": [{"name": "m0", "share": 1.0, "service_min": exp1}],
            "windows": [
                {"name": "g0", "count": 0},
                {"name": "extra", "count": 1, "staffed": {"09:00": 1, "09:20": 0}},
            ],
            "attitude_effects": {"enabled": False},
            "appointments": {"booked_share": 0.5, "slot_min": 0.0, "grace_min": 0.0},
            "missed_calls": {"absent": 0.25, "away_min": exp1, "grace_min": 3.0},
        }
    )
    tr = assert_same_run(sc, 0, 0)
    check_invariants(sc, tr)
    assert tr.queue_levels[-1] == 0
