"""The SimPy hall model: hand-checkable recursions, invariants, determinism."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallsim.engines.trace import BALKED, RENEGED, SERVED
from hallsim.experiment import simulate, trace_replication
from hallsim.metrics import compute
from hallsim.scenario import scenario_from_dict
from hallsim.streams import draw_demand, make_streams

from .conftest import day_scenario

QUEUE_METRICS = (
    "arrived",
    "served",
    "balked",
    "reneged",
    "wait_mean_min",
    "wait_max_min",
    "queue_len_mean",
    "queue_len_max",
    "utilisation",
    "time_in_system_mean_min",
)


def served_log(sc, seed=1, rep=0):
    log = simulate(sc, seed=seed, replication=rep, log=True).log
    return log[log.outcome == "served"].sort_values("arrival_min")


def test_single_window_follows_lindley_recursion() -> None:
    sc = day_scenario(windows=[{"name": "g", "count": 1}], arrivals={"rate_per_hour": 12})
    log = served_log(sc)
    a, s, w = log.arrival_min.to_numpy(), log.service_min.to_numpy(), log.wait_min.to_numpy()
    expected = np.zeros_like(w)
    for i in range(1, len(w)):
        expected[i] = max(0.0, expected[i - 1] + s[i - 1] - (a[i] - a[i - 1]))
    np.testing.assert_allclose(w, expected, atol=1e-9)


def test_multi_window_single_queue_is_fcfs_kiefer_wolfowitz() -> None:
    sc = day_scenario(windows=[{"name": "g", "count": 3}], arrivals={"rate_per_hour": 50})
    log = served_log(sc, seed=4)
    free = [sc.hall.open_min] * 3
    for a, s, w in zip(log.arrival_min, log.service_min, log.wait_min, strict=True):
        k = int(np.argmin(free))
        start = max(a, free[k])
        assert math.isclose(w, start - a, abs_tol=1e-9)
        free[k] = start + s


def test_service_times_scale_with_window_factor() -> None:
    # inverse-transform draws: each citizen keeps its quantile when a factor changes
    base = day_scenario(attitude_effects={"enabled": False})
    slow = base.with_changes({"windows.0.service_time_factor": 1.5})
    s1 = served_log(base).service_min.to_numpy()
    s2 = served_log(slow).service_min.to_numpy()
    np.testing.assert_allclose(np.sort(s2), np.sort(s1) * 1.5, rtol=1e-12)


def test_renegers_leave_exactly_at_their_patience() -> None:
    sc = day_scenario(
        windows=[{"name": "g", "count": 1}],
        patience={"renege_min": {"dist": "exponential", "mean": 5}},
        attitude_effects={"enabled": False},
    )
    demand = draw_demand(sc, make_streams(3, 0))
    trace = trace_replication(sc, 3, 0, engine="simpy")
    patience = dict(zip(demand.arrival_min, demand.patience_min, strict=True))
    wait = np.where(trace.outcome == SERVED, trace.call_min, trace.end_min) - trace.arrival_min
    reneged = trace.outcome == RENEGED
    assert reneged.sum() > 5
    for a, w, out in zip(trace.arrival_min, wait, trace.outcome, strict=True):
        if out == RENEGED:
            assert math.isclose(w, patience[a], rel_tol=1e-12)
        else:
            assert w <= patience[a] + 1e-9


def test_balkers_found_the_queue_at_the_threshold() -> None:
    sc = day_scenario(
        windows=[{"name": "g", "count": 1}],
        patience={"balk_at_queue": 3},
        attitude_effects={"enabled": False},
    )
    tr = trace_replication(sc, 2, 0, engine="simpy")
    balk_times = tr.arrival_min[tr.outcome == BALKED]
    assert len(balk_times) > 0
    for t in balk_times:
        level = tr.queue_levels[np.searchsorted(tr.queue_times, t, side="right") - 1]
        assert level >= 3
    assert tr.queue_levels.max() <= 3


def test_per_window_joins_a_shortest_line() -> None:
    sc = day_scenario(
        layout={"queue": "per_window"},
        arrivals={"rate_per_hour": 45},
        attitude_effects={"enabled": False},
    )
    res = simulate(sc, seed=6, log=True)
    assert res.metrics["served"] > 0
    # per-window lines break FCFS across lines: citizens get overtaken
    assert res.metrics["overtaken_mean"] > 0
    # with one ticket queue the same hall never overtakes within a matter
    single = simulate(sc.with_changes({"layout.queue": "single"}), seed=6)
    assert single.metrics["overtaken_mean"] == 0


def test_same_seed_same_numbers_different_seed_different_numbers(small_day) -> None:
    a = simulate(small_day, seed=5).metrics
    b = simulate(small_day, seed=5).metrics
    c = simulate(small_day, seed=6).metrics
    assert a == b
    assert a["wait_mean_min"] != c["wait_mean_min"]


def test_neutral_attitude_effects_give_the_queue_of_a_run_without_them(small_day) -> None:
    neutral = small_day.with_changes(
        {
            "attitude_effects.fcr_base": 1.0,
            "attitude_effects.fcr_per_unit": 0.0,
            "attitude_effects.care_time_per_unit": 0.0,
            "attitude_effects.rework_time_per_unit": 0.0,
        }
    )
    off = small_day.with_changes({"attitude_effects.enabled": False})
    for seed in range(3):
        m1, m2 = simulate(neutral, seed=seed).metrics, simulate(off, seed=seed).metrics
        for k in QUEUE_METRICS:
            assert m1[k] == m2[k] or (math.isnan(m1[k]) and math.isnan(m2[k])), k
        assert m1["first_contact_resolution"] == 1.0 and m1["return_visits"] == 0


def test_unsettled_citizens_come_back(small_day) -> None:
    sc = small_day.with_changes(
        {
            "attitude_effects.fcr_base": 0.5,
            "attitude_effects.fcr_per_unit": 0.0,
            "attitude_effects.return_delay_min": 10,
        }
    )
    m = simulate(sc, seed=1).metrics
    assert 0.3 < m["first_contact_resolution"] < 0.7
    assert m["return_visits"] > 0
    res = simulate(sc, seed=1, log=True)
    unsettled = int((~res.log.settled[res.log.outcome == "served"]).sum())
    assert unsettled == m["return_visits"] + m["returns_later"]


# --- invariants over random valid scenarios --------------------------------

dists = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.5, 8)),
    st.builds(lambda m: {"dist": "deterministic", "mean": m}, st.floats(0.5, 8)),
    st.builds(
        lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(0.5, 8), st.floats(0, 2)
    ),
    st.builds(
        lambda m, cv: {"dist": "gamma", "mean": m, "cv": cv}, st.floats(0.5, 8), st.floats(0, 2)
    ),
    st.builds(
        lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w},
        st.floats(0, 4),
        st.floats(0.1, 4),
    ),
)


@st.composite
def halls(draw):
    n_m = draw(st.integers(1, 3))
    shares = [draw(st.floats(0.05, 1)) for _ in range(n_m)]
    total = sum(shares)
    matters = [
        {"name": f"m{k}", "share": s / total, "service_min": draw(dists)}
        for k, s in enumerate(shares)
    ]
    groups = []
    for g in range(draw(st.integers(1, 3))):
        subset = draw(
            st.lists(st.sampled_from([m["name"] for m in matters]), min_size=1, unique=True)
        )
        groups.append(
            {
                "name": f"g{g}",
                "count": draw(st.integers(1, 3)),
                "matters": draw(st.sampled_from([["*"], subset])),
                "service_time_factor": draw(st.floats(0.5, 1.5)),
                "attitude": draw(st.floats(0, 1)),
                "attitude_sd": draw(st.sampled_from([0.0, 0.2])),
            }
        )
    served = {m for g in groups for m in g["matters"]}
    if "*" not in served:  # make sure every matter has a window
        groups.append({"name": "catchall", "count": 1, "matters": ["*"]})
    data = {
        "name": "random",
        "hall": {"open": "09:00", "close": draw(st.sampled_from(["10:00", "11:00"]))},
        "arrivals": {"rate_per_hour": draw(st.floats(0, 60))},
        "matters": matters,
        "windows": groups,
        "layout": {"queue": draw(st.sampled_from(["single", "per_window"]))},
        "attitude_effects": {
            "enabled": draw(st.booleans()),
            "return_delay_min": draw(st.sampled_from([5.0, 30.0])),
        },
    }
    patience = {}
    if draw(st.booleans()):
        patience["balk_at_queue"] = draw(st.integers(1, 6))
    if draw(st.booleans()):
        patience["renege_min"] = draw(dists)
    if patience:
        data["patience"] = patience
    return scenario_from_dict(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=halls(), seed=st.integers(0, 2**31))
def test_invariants_hold_for_random_halls(sc, seed) -> None:
    tr = trace_replication(sc, seed, 0, engine="simpy")
    m = compute(sc, tr).metrics
    # conservation: every visit ends exactly one way
    assert m["arrived"] == m["served"] + m["abandoned"] + m["unserved"]
    assert m["unserved"] == 0 and m["abandoned"] == m["balked"] + m["reneged"]
    served = tr.outcome == SERVED
    waits = tr.call_min[served] - tr.arrival_min[served]
    assert (waits >= -1e-9).all()
    assert (tr.end_min >= tr.arrival_min - 1e-9).all()
    assert (tr.queue_levels >= 0).all() and tr.queue_levels[-1] == 0
    if not math.isnan(m["utilisation"]):
        assert 0 <= m["utilisation"] <= 1 + 1e-9
    # each window serves one citizen at a time, and only matters it may serve
    for w in np.unique(tr.window[served]):
        mine = served & (tr.window == w)
        order = np.argsort(tr.call_min[mine])
        starts, ends = tr.call_min[mine][order], tr.end_min[mine][order]
        assert (starts[1:] >= ends[:-1] - 1e-9).all()
        group = sc.windows[tr.window_group[w]]
        assert all(group.serves(sc.matters[k].name) for k in tr.matter[mine])
    if sc.layout.queue == "single":
        assert_fcfs_for_what_a_window_can_serve(sc, tr)


def assert_fcfs_for_what_a_window_can_serve(sc, tr) -> None:
    """No window calls j while an earlier citizen it could serve is still waiting."""
    served = np.flatnonzero(tr.outcome == SERVED)
    leave = np.where(tr.outcome == SERVED, tr.call_min, tr.end_min)
    for j in served:
        group = sc.windows[tr.window_group[tr.window[j]]]
        earlier = np.flatnonzero(
            (tr.arrival_min < tr.arrival_min[j]) & (leave > tr.call_min[j] + 1e-9)
        )
        for i in earlier:
            assert not group.serves(sc.matters[tr.matter[i]].name), (
                f"window {tr.window[j]} called a citizen who arrived at {tr.arrival_min[j]:.3f} "
                f"while one from {tr.arrival_min[i]:.3f} it could serve was waiting"
            )
