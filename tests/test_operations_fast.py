"""The fast engine's operations loop (hallsim.engines.operations_loop) against the reference.

The loop unrolls the reference hall's SimPy processes into heap events, so for every
hall it covers (one ticket queue with rosters and breaks, or per-window lines; citizen
classes, appointments, reneging, balking, return visits, missed calls) the trace must
equal the SimPy engine's bit for bit,
and the random streams must be left in the same state. That includes simultaneous
events: deterministic durations and slot times on the roster's clock make them common.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hallsim.engines import choose, fast, operations_loop, simpy_hall
from hallsim.engines.trace import MISSED, RENEGED, SERVED, UNSERVED, HallTrace
from hallsim.experiment import trace_replication
from hallsim.scenario import ScenarioError, load_scenario, scenario_from_dict
from hallsim.streams import make_streams

from .test_kiosks_tidal import kiosk_halls

OPERATIONS = Path(__file__).resolve().parent.parent / "scenarios" / "operations.toml"


def assert_identical(ref: HallTrace, got: HallTrace) -> None:
    """Every field equal bit for bit (NaN where NaN), same dtypes and shapes."""
    for field in dataclasses.fields(HallTrace):
        a, b = getattr(ref, field.name), getattr(got, field.name)
        if isinstance(a, np.ndarray):
            assert isinstance(b, np.ndarray), field.name
            assert a.dtype == b.dtype and a.shape == b.shape, field.name
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field.name
        else:
            assert type(a) is type(b) and (a == b or (a != a and b != b)), field.name


def same_run(scenario, seed: int, replication: int) -> HallTrace:
    s_ref, s_got = make_streams(seed, replication), make_streams(seed, replication)
    ref = simpy_hall.run_hall(scenario, s_ref)
    got = operations_loop.run_hall(scenario, s_got)
    assert_identical(ref, got)
    for name in s_ref:
        assert s_got[name].bit_generator.state == s_ref[name].bit_generator.state, name
    return got


# --------------------------------------------------------------------------- the demo hall


def test_the_fast_engine_runs_operations_toml_on_this_loop() -> None:
    sc = load_scenario(OPERATIONS)
    assert operations_loop.lacks(sc) == []
    assert fast.one_pass_lacks(sc)  # not the one-pass recursion ...
    assert fast.path_of(sc) == "operations"  # ... but this loop, not the kernel
    assert choose(sc, "auto") == "fast"


@pytest.mark.parametrize("replication", range(6))
def test_operations_toml_identical(replication: int) -> None:
    sc = load_scenario(OPERATIONS)
    tr = same_run(sc, 1, replication)
    # the demo exercises what the loop is for
    assert tr.booked.any() and tr.no_shows > 0 and set(np.unique(tr.klass)) == {0, 1, 2}
    assert len(tr.duty_window) > len(sc.windows) and tr.is_return.any()
    via_api = trace_replication(sc, seed=1, replication=replication, engine="fast")
    assert_identical(simpy_hall.run_hall(sc, make_streams(1, replication)), via_api)


def test_what_it_does_not_cover_stays_on_the_kernel() -> None:
    base: dict[str, Any] = {
        "name": "t",
        "hall": {"open": "09:00", "close": "12:00"},
        "arrivals": {"rate_per_hour": 40},
        "matters": [{"name": "a", "share": 1.0, "service_min": {"dist": "exponential", "mean": 5}}],
        "windows": [{"name": "all", "count": 3}],
        "classes": [{"name": "old", "share": 0.2, "priority": 1}],
    }
    assert fast.path_of(scenario_from_dict(base)) == "operations"
    away = {"absent": 0.1, "away_min": {"dist": "exponential", "mean": 2}}
    missed = scenario_from_dict({**base, "missed_calls": away})
    assert operations_loop.lacks(missed) == []  # missed calls run on the loop
    assert fast.path_of(missed) == "operations"
    for layout in (
        {"queue": "per_window"},
        {"queue": "per_window", "line_choice": "shortest_expected_wait"},
    ):
        lines = missed.with_changes({"layout": layout})  # and so do per-window lines
        assert operations_loop.lacks(lines) == [] and fast.path_of(lines) == "operations"
    exp4 = {"dist": "exponential", "mean": 4}
    kiosks = {"count": 1, "matters": ["a"], "service_min": exp4, "uptake": 0.5, "success": 0.8}
    with_kiosks = scenario_from_dict({**base, "kiosks": kiosks, "helpers": {"count": 1}})
    assert operations_loop.lacks(with_kiosks) == []  # kiosks and helpers run on the loop
    assert fast.path_of(with_kiosks) == "operations"
    tidal = {"matters": ["a"], "switch_on_queue": 3, "switch_off_queue": 1}
    elastic = {"switch_on_queue": 3, "switch_off_queue": 1}
    for key, switching in (("tidal", tidal), ("elastic", elastic)):
        two = [{"name": "all", "count": 3}, {"name": "t", "count": 1, key: switching}]
        with_switching = with_kiosks.with_changes({"windows": two})
        assert operations_loop.lacks(with_switching) == []  # and tidal, elastic windows
        assert fast.path_of(with_switching) == "operations"
    for name in ("visits_integrated", "reception_pickup"):  # visits and stations run on it
        visits = load_scenario(OPERATIONS.parent / f"{name}.toml")
        assert operations_loop.lacks(visits) == [] and fast.path_of(visits) == "operations"
    with_helpers = visits.with_changes({"helpers": {"count": 1}})  # with helpers too
    assert operations_loop.lacks(with_helpers) == [] and fast.path_of(with_helpers) == "operations"


@pytest.mark.parametrize("service", ["deterministic", "exponential"])
def test_many_windows_identical(service: str) -> None:
    """Dozens of windows in groups of different sizes, going idle at the same instants
    (deterministic service, rosters and breaks on the quarter hour): the loop's idle
    heaps must pick the reference's window (longest idle, then lowest index) every time,
    also when a citizen back from a missed call is called by an idle window."""
    dist = {"dist": service, "mean": 6.0}
    sc = scenario_from_dict(
        {
            "name": "many windows",
            "hall": {"open": "09:00", "close": "12:00"},
            "arrivals": {"rate_per_hour": 300, "before_open": {"count": 20}},
            "matters": [
                {"name": "a", "share": 0.7, "service_min": dist},
                {"name": "b", "share": 0.3, "service_min": dist},
            ],
            "windows": [
                {
                    "name": "all",
                    "count": 24,
                    "staffed": {"09:00": 12, "09:30": 24, "11:00": 16},
                    "breaks": [{"start": "10:00", "end": "10:30", "windows": 6}],
                },
                {"name": "b_only", "count": 9, "matters": ["b"]},
                {"name": "green", "count": 5, "classes": ["old"]},
            ],
            "classes": [{"name": "old", "share": 0.15, "priority": 1}],
            "appointments": {"booked_share": 0.3, "slot_min": 15, "punctuality_sd_min": 0},
            "missed_calls": {"absent": 0.2, "away_min": dist, "grace_min": 10},
        }
    )
    assert fast.path_of(sc) == "operations"
    for replication in range(3):
        tr = same_run(sc, 7, replication)
        assert tr.missed_calls > 0 and len(np.unique(tr.window)) > 30
    assert len(tr.arrival_min) > 700


# --------------------------------------------------------------------------- random halls


def _dist(draw, continuous: bool) -> dict[str, Any]:
    kinds = ["exponential", "lognormal", "gamma", "uniform"]
    kind = draw(st.sampled_from(kinds if continuous else [*kinds, "deterministic"]))
    mean = draw(st.sampled_from([2.0, 5.0, 8.5]))
    if kind in ("exponential", "deterministic"):
        return {"dist": kind, "mean": mean}
    if kind == "uniform":
        return {"dist": kind, "low": 1.0, "high": 1.0 + mean}
    return {"dist": kind, "mean": mean, "cv": draw(st.sampled_from([0.3, 1.0, 2.0]))}


CLOCK = ["09:00", "09:15", "09:30", "09:45", "10:00", "10:30", "11:00"]


@st.composite
def operations_halls(draw, continuous: bool = True):
    """Single-queue day halls with rosters (levels up, down and to 0, overlapping
    breaks), classes (priorities, class-restricted windows, service and patience
    factors), appointments (slots, punctuality, grace, no-shows), reneging, balking,
    a waiting room, return visits, missed calls (re-queued at the front or the back,
    with or without wasted window time, lost beyond the grace), clerk speeds, several
    window groups; or per-window lines (shortest line or shortest expected wait, ties
    drawn at random) with all of that but rosters."""
    n_matters = draw(st.integers(1, 3))
    names = [f"m{k}" for k in range(n_matters)]
    matters = [
        {"name": n, "share": 1.0 / n_matters, "service_min": _dist(draw, continuous)} for n in names
    ]
    n_classes = draw(st.integers(0, 2))
    class_names = [f"k{k}" for k in range(n_classes)]
    per_window = draw(st.integers(0, 2)) == 0  # rosters need the single queue
    groups = []
    for g in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, 3))
        group: dict[str, Any] = {
            "name": f"g{g}",
            "count": count,
            "matters": draw(
                st.one_of(st.just(["*"]), st.lists(st.sampled_from(names), min_size=1, unique=True))
            ),
            "service_time_factor": draw(st.sampled_from([1.0, 0.8, 1.25])),
            "attitude": draw(st.sampled_from([0.3, 0.6, 0.9])),
            "attitude_sd": draw(st.sampled_from([0.0, 0.0, 0.2])),
        }
        if n_classes and draw(st.booleans()):  # a class-restricted window (green channel)
            group["classes"] = draw(
                st.lists(st.sampled_from(["regular", *class_names]), min_size=1, unique=True)
            )
        if not per_window and draw(st.booleans()):
            keys = draw(st.lists(st.sampled_from(CLOCK[:-1]), min_size=1, max_size=4, unique=True))
            group["staffed"] = {k: draw(st.integers(0, count)) for k in sorted(keys)}
            if draw(st.booleans()):  # overlapping breaks may take every staffed window
                group["breaks"] = [
                    {"start": "09:30", "end": "10:30", "windows": 1},
                    {"start": "10:00", "end": "11:00", "windows": 1},
                ][: draw(st.integers(1, 2))]
        if draw(st.integers(0, 4)) == 0:
            group["speed_factors"] = [draw(st.sampled_from([0.8, 1.0, 1.3])) for _ in range(count)]
        groups.append(group)
    if draw(st.booleans()):  # a window for everyone, all day: nobody is ever unserved
        groups.append({"name": "all", "count": 1, "matters": ["*"]})
    elif not per_window and draw(st.booleans()):  # every window closes before the hall
        for group in groups:
            group["staffed"] = {**group.get("staffed", {"09:00": group["count"]}), "11:00": 0}
    data: dict[str, Any] = {
        "name": "ops",
        "hall": {"open": "09:00", "close": "11:30"},
        "arrivals": {"rate_per_hour": draw(st.sampled_from([20.0, 45.0, 80.0]))},
        "matters": matters,
        "windows": groups,
        "layout": {"queue": "single"},
    }
    if per_window:
        choice = draw(st.sampled_from(["shortest_line", "shortest_expected_wait"]))
        data["layout"] = {"queue": "per_window", "line_choice": choice}
    if n_classes:
        data["classes"] = [
            {
                "name": name,
                "share": draw(st.sampled_from([0.1, 0.3])),
                "priority": draw(st.integers(0, 2)),
                "service_time_factor": draw(st.sampled_from([1.0, 1.3])),
                "patience_factor": draw(st.sampled_from([1.0, 1.0, 2.0])),
            }
            for name in class_names
        ]
    if draw(st.booleans()):
        data["appointments"] = {
            "booked_share": draw(st.sampled_from([0.2, 0.5])),
            "slot_min": draw(st.sampled_from([0.0, 15.0, 30.0])),
            "punctuality_mean_min": draw(st.sampled_from([0.0, -5.0, 3.0])),
            "punctuality_sd_min": draw(st.sampled_from([0.0, 6.0])),
            "grace_min": draw(st.sampled_from([0.0, 5.0])),
            "no_show": draw(st.sampled_from([0.0, 0.1])),
        }
    if draw(st.booleans()):
        patience: dict[str, Any] = {"renege_min": _dist(draw, continuous)}
        if draw(st.booleans()):
            patience["balk_at_queue"] = draw(st.integers(3, 8))
        if draw(st.booleans()):
            patience["balk_probability"] = {"0": 0.0, "3": 0.3, "6": 0.8}
        data["patience"] = patience
    if draw(st.integers(0, 3)) == 0:
        data["hall"]["max_waiting"] = draw(st.integers(0, 6))
    if draw(st.integers(0, 3)) == 0:  # a crowd at the door: many tickets at the same instant
        data["arrivals"]["before_open"] = {"count": draw(st.integers(1, 12))}
    if draw(st.integers(0, 3)) == 0:  # a random day level and a ticket cap
        data["arrivals"]["day_to_day_cv"] = 0.2
        matters[0]["daily_cap"] = draw(st.integers(5, 60))
    data["attitude_effects"] = {
        "enabled": draw(st.booleans()),
        "fcr_base": draw(st.sampled_from([0.5, 0.8])),
        "return_delay_min": draw(st.sampled_from([0.0, 5.0, 30.0])),
        "fatigue_per_hour": draw(st.sampled_from([0.0, 0.25])),
    }
    if draw(st.integers(0, 3)) == 0:  # a same-day return delay drawn per citizen
        data["attitude_effects"]["return_delay"] = _dist(draw, continuous)
        data["attitude_effects"]["return_same_day_share"] = draw(st.sampled_from([0.5, 1.0]))
    if draw(st.booleans()):
        data["missed_calls"] = {
            "absent": draw(st.sampled_from([0.1, 0.3, 0.7])),
            "away_min": _dist(draw, continuous),
            "grace_min": draw(st.sampled_from([0.0, 5.0, 15.0])),
            "requeue": draw(st.sampled_from(["front", "back"])),
            "wasted_min": draw(st.sampled_from([0.0, 1.0, 2.0])),
        }
    try:
        scenario = scenario_from_dict(data)
    except ScenarioError:  # e.g. a class no staffed window serves
        assume(False)
    assume(not operations_loop.lacks(scenario))
    return scenario


OPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@OPS
@given(operations_halls(), st.integers(0, 2**16), st.integers(0, 3))
def test_random_operations_halls_identical(scenario, seed: int, replication: int) -> None:
    tr = same_run(scenario, seed, replication)
    assert np.all(tr.end_min[tr.outcome == SERVED] >= tr.call_min[tr.outcome == SERVED])
    assert tr.queue_levels.min(initial=0) >= 0 and tr.queue_levels[-1] == 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations_halls(continuous=False), st.integers(0, 2**16))
def test_random_operations_halls_with_simultaneous_events_identical(scenario, seed: int) -> None:
    """Deterministic services, patience and return delays on the slots' and roster's
    clock: many events at the same instant, ordered as SimPy orders them."""
    same_run(scenario, seed, 0)


def test_the_random_halls_exercise_the_features() -> None:
    """The strategy reaches what it is meant to test (a fixed sample of it)."""
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(operations_halls(), st.integers(0, 99))
    def collect(scenario, seed):
        tr = operations_loop.run_hall(scenario, make_streams(seed, 0))
        outcomes = set(np.unique(tr.outcome).tolist())
        seen.update(
            name
            for name, hit in [
                ("unserved", UNSERVED in outcomes),
                ("reneged", RENEGED in outcomes),
                ("returns", bool(tr.is_return.any())),
                ("booked", tr.booked is not None and bool(tr.booked.any())),
                ("classes", tr.klass is not None and bool((tr.klass > 0).any())),
                ("roster", tr.duty_window is not None),
                ("capped", tr.refused_cap > 0),
                ("missed", MISSED in outcomes),
                ("requeued", tr.missed_calls > int((tr.outcome == MISSED).sum())),
                ("lines", scenario.layout.queue == "per_window" and bool(tr.booked is not None)),
            ]
            if hit
        )

    collect()
    assert seen == {
        "unserved",
        "reneged",
        "returns",
        "booked",
        "classes",
        "roster",
        "capped",
        "missed",
        "requeued",
        "lines",
    }


# --------------------------------------------------------------------------- kiosks, helpers


def _kiosk_crowd(patience: float, kiosk_min: float, helpers, queue: str, switching=None) -> Any:
    """A crowd at the door and whole-minute kiosk, counter and patience times (and, in
    the test, arrivals on the minute): kiosk requests, grants, releases, give-ups and
    helpers freed fall on the same instants."""
    data: dict[str, Any] = {
        "name": "kiosk crowd",
        "hall": {"open": "09:00", "close": "10:00"},
        "arrivals": {"rate_per_hour": 50, "before_open": {"count": 8}},
        "matters": [
            {"name": "a", "share": 0.7, "service_min": {"dist": "deterministic", "mean": 3.0}},
            {"name": "b", "share": 0.3, "service_min": {"dist": "deterministic", "mean": 2.0}},
        ],
        "layout": {"queue": queue},
        "windows": [{"name": "all", "count": 2}],
        "patience": {"renege_min": {"dist": "deterministic", "mean": patience}},
        "classes": [{"name": "old", "share": 0.4, "kiosk_success": 0.3, "patience_factor": 2.0}],
        "kiosks": {
            "count": 2,
            "matters": ["a"],
            "service_min": {"dist": "deterministic", "mean": kiosk_min},
            "success": 0.6,
        },
    }
    if helpers is not None:
        data["helpers"] = helpers
    if switching is not None:  # a second group that switches: (key, its settings)
        key, rule = switching
        data["windows"].append({"name": "switching", "count": 2, "matters": ["b"], key: rule})
    return scenario_from_dict(data)


@pytest.mark.parametrize("queue", ["single", "per_window"])
@pytest.mark.parametrize("patience", [1.0, 2.0, 3.0, 60.0])
@pytest.mark.parametrize("kiosk_min", [1.0, 2.0])
@pytest.mark.parametrize(
    "helpers",
    [None, {"count": 1, "classes": ["old"], "counter_time_factor": 0.5}, {"count": 2}],
    ids=["no helpers", "one at counters", "two"],
)
def test_kiosk_ties_identical(queue: str, patience: float, kiosk_min: float, helpers) -> None:
    sc = _kiosk_crowd(patience, kiosk_min, helpers, queue)
    assert fast.path_of(sc) == "operations"
    kiosk_visits = 0
    with _arrivals_on_the_minute():
        for replication in range(3):
            tr = same_run(sc, 5, replication)
            kiosk_visits += int((tr.kiosk > 0).sum())
    assert kiosk_visits > 0


@contextmanager
def _arrivals_on_the_minute():
    """Both engines draw the demand with arrivals on whole minutes (``_on_the_minute``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simpy_hall, "draw_demand", _on_the_minute(simpy_hall.draw_demand))
        mp.setattr(operations_loop, "draw_demand", _on_the_minute(operations_loop.draw_demand))
        yield


def _on_the_minute(draw_demand):
    """The demand with every arrival moved back to its whole minute: with deterministic
    times nearly every event then shares its instant with others."""

    def draw(scenario, streams):
        demand = draw_demand(scenario, streams)
        return dataclasses.replace(demand, arrival_min=np.floor(demand.arrival_min))

    return draw


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kiosk_halls(continuous=False), st.integers(0, 2**16))
def test_kiosk_halls_with_arrivals_on_the_minute_identical(sc, seed: int) -> None:
    """Kiosk requests, grants, give-ups, releases, helpers freed, role switches, counter
    calls and the source's steps all on whole minutes: still the reference's trace."""
    assume(sc.uses_kiosks_tidal())
    assert fast.path_of(sc) == "operations"
    with _arrivals_on_the_minute():
        same_run(sc, seed, 0)


@pytest.mark.parametrize("switch_min", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("on", [1, 2])
@pytest.mark.parametrize("key", ["tidal", "elastic"])
@pytest.mark.parametrize("patience", [2.0, 60.0])
def test_tidal_and_elastic_ties_identical(key: str, on: int, switch_min: float, patience) -> None:
    """Role switches asked for, begun and ended on the same whole minutes as calls,
    arrivals and kiosk events: the loop gives the reference's trace."""
    rule: dict[str, Any] = {"switch_on_queue": on, "switch_off_queue": on - 1}
    rule["switch_min"] = switch_min
    if key == "tidal":
        rule["matters"] = ["a"]
    sc = _kiosk_crowd(patience, 2.0, {"count": 1}, "single", (key, rule))
    assert fast.path_of(sc) == "operations"
    switches = 0
    with _arrivals_on_the_minute():
        for replication in range(3):
            switches += same_run(sc, 5, replication).tidal_switches
    assert switches > 0
