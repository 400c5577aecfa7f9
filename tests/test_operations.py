"""Rosters, appointments and the priority channel (docs/operations.md).

Expectations come from hand-worked recursions, invariants and Cobham's
formula, never from a pasted run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from hallsim import theory
from hallsim.engines.trace import SERVED, UNSERVED
from hallsim.experiment import simulate, trace_replication
from hallsim.metrics import METRICS, compute
from hallsim.scenario import ScenarioError, load_scenario, scenario_from_dict
from hallsim.streams import draw_demand, make_streams

from .conftest import day_scenario, queue_scenario

OPEN = 540.0  # 09:00


def one_window(rate: float, service: float, staffed: dict, close: str = "11:00", **extra):
    """One window, deterministic service, no attitude effects: waits can be worked out by hand."""
    return day_scenario(
        hall={"open": "09:00", "close": close},
        arrivals={"rate_per_hour": rate},
        matters=[
            {"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": service}}
        ],
        windows=[{"name": "w", "count": 1, "staffed": staffed}],
        attitude_effects={"enabled": False},
        **extra,
    )


# --- rosters -----------------------------------------------------------------


def test_one_window_with_a_closed_half_hour_follows_the_hand_recursion() -> None:
    # Open 09:00-10:00 and from 10:30.  A citizen in service at 10:00 is finished
    # (no pre-emption); nobody is *called* in [10:00, 10:30).
    sc = one_window(5, 10.0, {"09:00": 1, "10:00": 0, "10:30": 1})
    tr = trace_replication(sc, 2, 0, engine="simpy")
    assert (tr.outcome == SERVED).all()
    free, straddled = OPEN, False
    for a, call, end in zip(tr.arrival_min, tr.call_min, tr.end_min, strict=True):
        start = max(a, free)
        if 600 <= start < 630:
            start = 630.0
        assert call == pytest.approx(start, abs=1e-9)
        assert end == pytest.approx(start + 10.0, abs=1e-9)
        straddled |= call < 600 < end
        free = end
    assert straddled, "this seed should have a citizen in service at the closing time"


def test_a_window_closing_mid_service_finishes_that_citizen_then_stops_calling() -> None:
    sc = day_scenario(
        arrivals={"rate_per_hour": 40},
        matters=[{"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": 7}}],
        windows=[{"name": "w", "count": 2, "staffed": {"09:00": 2, "10:00": 1, "10:30": 2}}],
        attitude_effects={"enabled": False},
    )
    tr = trace_replication(sc, 1, 0, engine="simpy")
    # window 1 (the higher index) closes at 10:00; it was busy, so it finishes
    spells = [
        (s, e)
        for w, s, e in zip(tr.duty_window, tr.duty_start_min, tr.duty_end_min, strict=True)
        if w == 1
    ]
    assert spells[0][0] == OPEN and spells[0][1] > 600
    finishing = (tr.window == 1) & (tr.call_min < 600) & (tr.end_min > 600)
    assert finishing.sum() == 1
    assert tr.end_min[finishing][0] == pytest.approx(spells[0][1])
    assert tr.end_min[finishing][0] - tr.call_min[finishing][0] == pytest.approx(7.0)
    assert spells[1][0] == 630.0  # back on duty at 10:30
    called = tr.call_min[tr.window == 1]
    assert not ((called >= 600) & (called < 630)).any()
    # the extra minutes are overtime against the roster; utilisation uses time on duty
    m = compute(sc, tr).metrics
    assert m["staff_overtime_min"] >= spells[0][1] - 600 - 1e-9
    assert 0 < m["utilisation"] <= 1


def test_a_roster_that_keeps_every_window_open_changes_nothing() -> None:
    plain = day_scenario(
        attitude_effects={"enabled": True, "return_delay_min": 20},
        patience={"renege_min": {"dist": "exponential", "mean": 15}},
    )
    rostered = plain.with_changes({"windows.0.staffed": {"09:00": 3}})
    assert rostered.uses_operations() and not plain.uses_operations()
    for rep in range(3):
        a = trace_replication(plain, 4, rep, engine="simpy")
        b = trace_replication(rostered, 4, rep, engine="simpy")
        for key in ("arrival_min", "window", "call_min", "end_min", "outcome", "queue_levels"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
        ma, mb = compute(plain, a).metrics, compute(rostered, b).metrics
        for k in METRICS:
            assert ma[k] == mb[k] or (math.isnan(ma[k]) and math.isnan(mb[k])), k


def test_citizens_left_when_no_window_will_open_again_are_unserved() -> None:
    # the only window closes for good at 10:00; arrivals go on until 11:00
    sc = one_window(20, 2.0, {"09:00": 1, "10:00": 0})
    tr = trace_replication(sc, 3, 0, engine="simpy")
    m = compute(sc, tr).metrics
    unserved = tr.outcome == UNSERVED
    assert m["unserved"] == unserved.sum() > 10
    assert m["arrived"] == m["served"] + m["abandoned"] + m["unserved"]
    assert (tr.arrival_min[unserved] >= 600 - 30).all()
    # sent away when the window closed, or on arrival after that
    np.testing.assert_allclose(tr.end_min[unserved], np.maximum(tr.arrival_min[unserved], 600))
    assert (tr.call_min[tr.outcome == SERVED] < 600).all()


def test_staffed_windows_in_the_period_table_follow_the_roster() -> None:
    sc = day_scenario(
        windows=[
            {
                "name": "g",
                "count": 3,
                "staffed": {"09:00": 1, "09:45": 3},
                "breaks": [{"start": "10:30", "end": "11:00", "windows": 2}],
            }
        ]
    )
    periods = simulate(sc, seed=1, engine="simpy").periods
    by_start = dict(zip(periods.period, periods.staffed_windows, strict=True))
    assert by_start["09:00"] == 1.0
    assert by_start["09:30"] == pytest.approx((15 * 1 + 15 * 3) / 30)
    assert by_start["10:00"] == 3.0
    assert by_start["10:30"] == 1.0
    # after close the level in force at close (3: the break ended) holds on
    assert (periods.staffed_windows[periods.period_start_min >= 660] == 3.0).all()


# --- conservation over random rosters (hypothesis) ------------------------------

GRID = [f"{h:02d}:{m:02d}" for h in (9, 10) for m in (0, 15, 30, 45)]


@st.composite
def operation_halls(draw):
    close = draw(st.sampled_from(["10:00", "11:00"]))
    times = [t for t in GRID if t < close]
    matters = [
        {"name": "a", "share": 0.5, "service_min": {"dist": "exponential", "mean": 4}},
        {"name": "b", "share": 0.5, "service_min": {"dist": "lognormal", "mean": 6, "cv": 0.8}},
    ]
    classes = None
    if draw(st.booleans()):
        classes = [
            {"name": f"c{k}", "share": draw(st.floats(0, 0.4)), "priority": draw(st.integers(0, 2))}
            for k in range(draw(st.integers(1, 2)))
        ]
    cnames = ["regular", *(c["name"] for c in classes or [])]
    groups = []
    for g in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, 3))
        group = {
            "name": f"g{g}",
            "count": count,
            "matters": draw(st.sampled_from([["*"], ["a"], ["b"]])),
        }
        if draw(st.integers(0, 9)) < 7:
            keys = draw(st.lists(st.sampled_from(times), min_size=1, max_size=4, unique=True))
            group["staffed"] = {k: draw(st.integers(0, count)) for k in keys}
        if draw(st.booleans()):
            a, b = sorted(
                draw(
                    st.lists(st.sampled_from([*times, close]), min_size=2, max_size=2, unique=True)
                )
            )
            group["breaks"] = [{"start": a, "end": b, "windows": 1}]
        if classes and draw(st.booleans()):
            group["classes"] = draw(st.lists(st.sampled_from(cnames), min_size=1, unique=True))
        groups.append(group)
    data = {
        "name": "random-ops",
        "hall": {"open": "09:00", "close": close},
        "arrivals": {"rate_per_hour": draw(st.floats(5, 60))},
        "matters": matters,
        "windows": groups,
        "attitude_effects": {"enabled": draw(st.booleans()), "return_delay_min": 20.0},
    }
    if classes:
        data["classes"] = classes
    if draw(st.booleans()):
        data["appointments"] = {
            "booked_share": draw(st.floats(0, 1)),
            "punctuality_mean_min": draw(st.floats(-10, 10)),
            "punctuality_sd_min": draw(st.floats(0, 10)),
            "no_show": draw(st.floats(0, 0.5)),
            "slot_min": draw(st.sampled_from([0.0, 15.0])),
        }
    if draw(st.booleans()):
        data["patience"] = {"renege_min": {"dist": "exponential", "mean": draw(st.floats(3, 60))}}
    if draw(st.booleans()):
        data.setdefault("patience", {})["balk_at_queue"] = draw(st.integers(2, 8))
    try:
        return scenario_from_dict(data)
    except ScenarioError:
        assume(False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=operation_halls(), seed=st.integers(0, 2**31))
def test_no_citizen_is_lost_or_served_twice_over_random_rosters(sc, seed) -> None:
    tr = trace_replication(sc, seed, 0, engine="simpy")
    m = compute(sc, tr).metrics
    assert m["arrived"] == m["served"] + m["abandoned"] + m["unserved"]
    # every citizen who came in is recorded exactly once (return visits are extra)
    demand = draw_demand(sc, make_streams(seed, 0))
    np.testing.assert_array_equal(
        np.sort(tr.arrival_min[~tr.is_return]), np.sort(demand.arrival_min)
    )
    assert m["no_shows"] == demand.no_shows
    served = tr.outcome == SERVED
    assert (tr.call_min[served] >= tr.arrival_min[served] - 1e-9).all()
    assert (tr.queue_levels >= 0).all() and tr.queue_levels[-1] == 0
    if not math.isnan(m["utilisation"]):
        assert 0 <= m["utilisation"] <= 1 + 1e-9
    names = sc.class_names
    klass = tr.klass if tr.klass is not None else np.zeros(len(tr.outcome), dtype=int)
    for w in np.unique(tr.window[served]):
        mine = served & (tr.window == w)
        order = np.argsort(tr.call_min[mine])
        starts, ends = tr.call_min[mine][order], tr.end_min[mine][order]
        assert (starts[1:] >= ends[:-1] - 1e-9).all()  # one citizen at a time
        group = sc.windows[tr.window_group[w]]
        assert all(group.serves(sc.matters[k].name) for k in tr.matter[mine])
        assert all(group.serves_class(names[k]) for k in klass[mine])
        if tr.duty_window is None:  # no roster: on duty all day
            assert not sc.uses_roster()
            continue
        # every service lies inside one on-duty spell of that window
        on = tr.duty_window == w
        spells = list(zip(tr.duty_start_min[on], tr.duty_end_min[on], strict=True))
        for s, e in zip(starts, ends, strict=True):
            assert any(a - 1e-9 <= s and e <= b + 1e-9 for a, b in spells), (w, s, e)
    # the unserved: no window able to serve them is staffed from then on
    for i in np.flatnonzero(tr.outcome == UNSERVED):
        t = tr.end_min[i]
        for g, group in enumerate(sc.windows):
            if group.serves(sc.matters[tr.matter[i]].name) and group.serves_class(names[klass[i]]):
                assert all(n == 0 for start, n in sc.roster(g) if start >= t - 1e-9)
                assert sc.staffed_at(g, t) == 0
    assert_priority_then_ticket_order(sc, tr, klass)
    if tr.duty_window is not None:
        assert_no_staffed_window_idles_while_someone_it_serves_waits(sc, tr, klass)


def assert_no_staffed_window_idles_while_someone_it_serves_waits(sc, tr, klass) -> None:
    served = tr.outcome == SERVED
    leave = np.where(served, tr.call_min, tr.end_min)
    names = sc.class_names
    for w, a, b in zip(tr.duty_window, tr.duty_start_min, tr.duty_end_min, strict=True):
        group = sc.windows[tr.window_group[w]]
        mine = served & (tr.window == w) & (tr.call_min >= a - 1e-9) & (tr.end_min <= b + 1e-9)
        order = np.argsort(tr.call_min[mine])
        edges = [
            a,
            *np.column_stack([tr.call_min[mine][order], tr.end_min[mine][order]]).ravel(),
            b,
        ]
        idle = [(edges[k], edges[k + 1]) for k in range(0, len(edges), 2)]
        able = np.array(
            [
                group.serves(sc.matters[m].name) and group.serves_class(names[k])
                for m, k in zip(tr.matter, klass, strict=True)
            ],
            dtype=bool,
        )
        for s0, s1 in idle:
            overlap = np.minimum(leave, s1) - np.maximum(tr.arrival_min, s0)
            assert not (able & (overlap > 1e-7)).any(), f"window {w} idle in [{s0}, {s1}]"


def assert_priority_then_ticket_order(sc, tr, klass) -> None:
    """No window calls j while a citizen it could serve of higher priority waits, nor (for
    walk-in j) an earlier citizen of the same priority."""
    prio = np.array([0] + [c.priority for c in sc.classes or []])[klass]
    booked = tr.booked if tr.booked is not None else np.zeros(len(klass), dtype=bool)
    names = sc.class_names
    leave = np.where(tr.outcome == SERVED, tr.call_min, tr.end_min)
    for j in np.flatnonzero(tr.outcome == SERVED):
        group = sc.windows[tr.window_group[tr.window[j]]]
        waiting = np.flatnonzero(
            (tr.arrival_min < tr.call_min[j] - 1e-9) & (leave > tr.call_min[j] + 1e-9)
        )
        for i in waiting:
            if not (
                group.serves(sc.matters[tr.matter[i]].name) and group.serves_class(names[klass[i]])
            ):
                continue
            assert prio[i] <= prio[j], "a higher-priority citizen was left waiting"
            if prio[i] == prio[j] and not booked[j]:
                assert tr.arrival_min[i] >= tr.arrival_min[j], "ticket order broken"


# --- priority channel -------------------------------------------------------------


def test_priority_class_waits_match_cobham_in_mmc() -> None:
    # M/M/5, λ = 1/min, E[S] = 4 min (ρ = 0.8); 30% elderly served first, non-pre-emptive
    sc = queue_scenario(
        1.0,
        {"dist": "exponential", "mean": 4.0},
        5,
        warmup_min=500,
        length_min=8000,
        classes=[{"name": "elderly", "share": 0.3}],
    )
    w_elderly, w_regular = theory.mmc_priority_waits([0.3, 0.7], 4.0, 5)
    runs = [simulate(sc, seed=3, replication=r, engine="simpy").metrics for r in range(10)]
    for key, expected in (
        ("wait_mean_priority_min", w_elderly),
        ("wait_mean_regular_min", w_regular),
        ("wait_mean_min", theory.mmc(1.0, 4.0, 5).wait_mean),
    ):
        x = np.array([m[key] for m in runs])
        half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        assert abs(x.mean() - expected) <= half, (key, x.mean(), half, expected)
    # the fairness cost: regular citizens are overtaken, the elderly (almost) never
    assert np.mean([m["overtaken_mean_regular"] for m in runs]) > 0.3


def test_reserved_windows_serve_only_their_class_and_the_class_table_adds_up() -> None:
    sc = day_scenario(
        classes=[{"name": "elderly", "share": 0.2, "priority": 1, "service_time_factor": 1.5}],
        windows=[
            {"name": "green", "count": 1, "classes": ["elderly"]},
            {"name": "general", "count": 3},
        ],
    )
    res = simulate(sc, seed=2, log=True, engine="simpy")
    log = res.log
    assert set(log["class"][log.window_group == "green"]) <= {"elderly"}
    table = res.classes.set_index("class")
    assert table.loc["elderly", "arrived"] + table.loc["regular", "arrived"] == len(log)
    assert table.loc["elderly", "arrived"] == (log["class"] == "elderly").sum() > 0
    # the elderly have their own window and priority: they wait less
    assert table.loc["elderly", "wait_mean_min"] < table.loc["regular", "wait_mean_min"]


# --- appointments -----------------------------------------------------------------


def test_punctual_booked_citizens_at_a_quiet_window_do_not_wait() -> None:
    sc = day_scenario(
        hall={"open": "09:00", "close": "17:00"},
        arrivals={"rate_per_hour": 3},
        matters=[{"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": 1}}],
        windows=[{"name": "w", "count": 1}],
        appointments={"booked_share": 0.5, "no_show": 0.0, "punctuality_sd_min": 0.0},
        attitude_effects={"enabled": False},
    )
    waits = []
    for rep in range(10):
        res = simulate(sc, seed=5, replication=rep, log=True, engine="simpy")
        log = res.log
        assert res.metrics["no_shows"] == 0
        waits.extend(log.wait_min[log.booked])
    waits = np.array(waits)
    assert len(waits) > 50
    # a booked citizen waits only for a citizen already in service (≤ 1 minute)
    assert waits.max() <= 1.0 + 1e-9
    assert waits.mean() < 0.05
    assert np.mean(waits == 0) > 0.9


def test_booked_citizens_with_their_slot_come_go_ahead_of_walk_ins() -> None:
    sc = day_scenario(
        arrivals={"rate_per_hour": 42},
        appointments={
            "booked_share": 0.3,
            "punctuality_mean_min": -5,
            "punctuality_sd_min": 3,
            "no_show": 0.2,
        },
        attitude_effects={"enabled": False},
    )
    runs = [simulate(sc, seed=1, replication=r, engine="simpy").metrics for r in range(6)]
    booked = np.nanmean([m["wait_mean_booked_min"] for m in runs])
    walkin = np.nanmean([m["wait_mean_walkin_min"] for m in runs])
    assert booked < walkin
    # no-shows are about no_show × booked share of the demand
    no_shows = np.mean([m["no_shows"] for m in runs])
    arrived = np.mean([m["arrived"] for m in runs])
    assert 0.02 < no_shows / (arrived + no_shows) < 0.12


def test_early_booked_citizens_are_not_called_ahead_before_their_slot() -> None:
    sc = day_scenario(
        arrivals={"rate_per_hour": 45},
        appointments={"booked_share": 0.5, "punctuality_mean_min": -20, "punctuality_sd_min": 2},
        attitude_effects={"enabled": False},
    )
    demand = draw_demand(sc, make_streams(1, 0))
    tr = trace_replication(sc, 1, 0, engine="simpy")
    slot = {a: s for a, s in zip(demand.arrival_min, demand.slot_min, strict=True)}
    leave = np.where(tr.outcome == SERVED, tr.call_min, tr.end_min)
    checked = 0
    for j in np.flatnonzero((tr.outcome == SERVED) & tr.booked):
        t = tr.call_min[j]
        if t >= slot[tr.arrival_min[j]]:
            continue
        checked += 1  # called before the slot: only in ticket order among walk-ins
        earlier_walkins = (~tr.booked) & (tr.arrival_min < tr.arrival_min[j]) & (leave > t + 1e-9)
        assert not earlier_walkins.any()
    assert checked > 0


# --- files: validation names the field -----------------------------------------------

BASE = """
name = "bad"
[hall]
open = "09:00"
close = "17:00"
[[matters]]
name = "a"
share = 1.0
service_min = { dist = "exponential", mean = 4 }
[[windows]]
name = "g"
count = 3
"""


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('staffed = { "08:30" = 2 }', "windows.0.staffed.08:30"),
        ('staffed = { "17:00" = 2 }', "windows.0.staffed.17:00"),
        ('staffed = { "09:00" = -1 }', "windows.0.staffed.09:00"),
        ('staffed = { "09:00" = 4 }', "windows.0.staffed.09:00"),
        ('staffed = { "09:00" = 1.5 }', "windows.0.staffed.09:00"),
        ('staffed = { "9h" = 1 }', "windows.0.staffed.9h"),
        ('staffed = { "09:00" = 0 }', "matters.0.name"),
        ('breaks = [{ start = "12:00", end = "18:00" }]', "windows.0.breaks.0.end"),
        ('breaks = [{ start = "13:00", end = "12:00" }]', "windows.0.breaks.0"),
        (
            'staffed = { "09:00" = 1 }\nbreaks = [{ start = "12:00", end = "13:00", windows = 2 }]',
            "windows.0.breaks.0.windows",
        ),
        ('classes = ["vip"]', "windows.0.classes.0"),
    ],
)
def test_bad_schedules_name_the_field(tmp_path, extra, path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(BASE + extra + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert [p for p, _ in err.value.problems] == [path], str(err.value)
    assert "bad.toml" in str(err.value)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('[[classes]]\nname = "regular"\nshare = 0.1', "classes.0.name"),
        ('[[classes]]\nname = "x"\nshare = 0.7\n[[classes]]\nname = "y"\nshare = 0.7', "classes"),
        ('[[classes]]\nname = "x"\nmatter_shares = { b = 0.1 }', "classes.0.matter_shares.b"),
        ("[appointments]\nno_show = 1.5", "appointments.no_show"),
        ("[appointments]\nbooked_sahre = 0.5", "appointments.booked_sahre"),
    ],
)
def test_bad_classes_and_appointments_name_the_field(tmp_path, extra, path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(BASE + extra + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert [p for p, _ in err.value.problems] == [path], str(err.value)


def test_rosters_need_day_mode_and_a_single_queue() -> None:
    with pytest.raises(ScenarioError, match=r"windows\.0\.staffed"):
        queue_scenario(
            0.5,
            {"dist": "exponential", "mean": 4},
            3,
            windows=[{"name": "w", "count": 3, "staffed": {"09:00": 2}}],
        )
    with pytest.raises(ScenarioError, match=r"windows\.0\.staffed.*single"):
        day_scenario(
            layout={"queue": "per_window"},
            windows=[{"name": "w", "count": 3, "staffed": {"09:00": 2}}],
        )


def test_example_scenarios_load_and_use_operations() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "scenarios"
    for name in ("operations.toml",):
        sc = load_scenario(root / name)
        assert sc.uses_roster() and sc.uses_appointments() and sc.uses_classes()
    plain = load_scenario(root / "integrated.toml")
    assert not plain.uses_operations()


def test_per_window_lines_honour_priority_too() -> None:
    sc = day_scenario(
        layout={"queue": "per_window"},
        arrivals={"rate_per_hour": 45},
        classes=[{"name": "urgent", "share": 0.2, "priority": 2}],
        attitude_effects={"enabled": False},
    )
    runs = [simulate(sc, seed=8, replication=r, engine="simpy").metrics for r in range(4)]
    for m in runs:
        assert m["arrived"] == m["served"] + m["abandoned"] + m["unserved"]
    assert np.mean([m["wait_mean_priority_min"] for m in runs]) < np.mean(
        [m["wait_mean_regular_min"] for m in runs]
    )


def test_a_roster_combines_staffed_windows_and_breaks() -> None:
    sc = day_scenario(
        hall={"open": "09:00", "close": "17:00"},
        windows=[
            {
                "name": "g",
                "count": 4,
                "staffed": {"09:00": 3, "12:00": 2, "13:30": 4},
                "breaks": [{"start": "12:00", "end": "13:00", "windows": 1}],
            }
        ],
    )
    assert sc.roster(0) == [(540.0, 3), (720.0, 1), (780.0, 2), (810.0, 4)]
    assert sc.staffed_at(0, 500.0) == 0 and sc.staffed_at(0, 1500.0) == 4


def test_validate_exits_2_naming_the_roster_field(tmp_path, capsys) -> None:
    from hallsim.cli import entry

    f = tmp_path / "bad.toml"
    f.write_text(BASE + 'staffed = { "09:00" = 5 }\n', encoding="utf-8")
    assert entry(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "windows.0.staffed.09:00" in err and "0..count (3)" in err
