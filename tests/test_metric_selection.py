"""Computing only the metrics a caller asks for (``metrics=``) gives the full
computation's values, bit for bit, for any selection."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hallsim
from hallsim.metrics import METRICS
from tests.conftest import example_scenario_files

SCENARIOS = {p.stem: hallsim.load_scenario(p) for p in example_scenario_files()}
FULL = {
    (name, rep): hallsim.simulate(sc, seed=7, replication=rep).metrics
    for name, sc in SCENARIOS.items()
    for rep in (0, 1)
}


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(sorted(SCENARIOS)),
    rep=st.sampled_from([0, 1]),
    chosen=st.sets(st.sampled_from(METRICS), min_size=1, max_size=8),
)
def test_selected_metrics_equal_the_full_computation(name, rep, chosen):
    part = hallsim.simulate(SCENARIOS[name], seed=7, replication=rep, metrics=chosen)
    assert set(part.metrics) == chosen
    assert part.tables == {}
    full = FULL[(name, rep)]
    assert all(same(full[m], part.metrics[m]) for m in chosen)


def test_every_metric_selected_equals_the_full_computation():
    for (name, rep), full in FULL.items():
        part = hallsim.simulate(SCENARIOS[name], seed=7, replication=rep, metrics=METRICS)
        assert list(part.metrics) == list(METRICS)
        assert all(same(full[m], part.metrics[m]) for m in METRICS), name


def test_bad_selections_are_refused():
    sc = SCENARIOS["integrated"]
    with pytest.raises(ValueError, match="wait_mean"):
        hallsim.simulate(sc, metrics=["wait_mean"])
    with pytest.raises(ValueError, match="at least one"):
        hallsim.simulate(sc, metrics=[])
    with pytest.raises(ValueError, match="log"):
        hallsim.simulate(sc, metrics=["csat"], log=True)


def test_replications_summarise_only_the_selection():
    sc = SCENARIOS["integrated"]
    res = hallsim.run_replications(sc, replications=3, metrics=["wait_mean_min", "csat"])
    full = hallsim.run_replications(sc, replications=3)
    assert set(res.summary) == {"wait_mean_min", "csat"}
    assert res.summary["csat"] == full.summary["csat"]
    assert res.matters.empty


def test_sweep_keeps_only_the_selection(tmp_path):
    from hallsim.sweep import run_sweep

    sc = SCENARIOS["integrated"]
    grid = {"windows.0.count": [8, 9]}
    part = run_sweep(sc, grid, replications=2, workers=1, metrics=["service_level"])
    full = run_sweep(sc, grid, replications=2, workers=1)
    assert "service_level" in part.columns and "wait_mean_min" not in part.columns
    assert part["service_level"].tolist() == full["service_level"].tolist()
