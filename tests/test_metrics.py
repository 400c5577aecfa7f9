"""Metric helpers against brute-force definitions (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hallsim.metrics import _covered, _quantiles, _step_integral, overtaken_counts
from hallsim.stats import t_half_width

finite = st.floats(0, 1000, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=60), st.floats(0, 1))
def test_quantiles_equal_numpy_linear_method(values, q) -> None:
    x = np.array(values)
    assert _quantiles(x, (q,))[0] == float(np.quantile(x, q))


@settings(max_examples=200)
@given(
    st.lists(st.tuples(finite, st.floats(0, 100)), max_size=30),
    st.lists(finite, min_size=2, max_size=10, unique=True),
)
def test_covered_time_per_bin_matches_brute_force(intervals, edges) -> None:
    starts = np.array([s for s, _ in intervals])
    ends = np.array([s + d for s, d in intervals])
    edges = np.sort(np.array(edges))
    got = _covered(starts, ends, edges)
    want = [
        sum(max(0.0, min(e, b) - max(s, a)) for s, e in zip(starts, ends, strict=True))
        for a, b in itertools.pairwise(edges)
    ]
    np.testing.assert_allclose(got, want, atol=1e-6)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.floats(0.01, 10), st.integers(0, 20)), min_size=1, max_size=30),
    st.lists(st.floats(0, 300), min_size=2, max_size=8, unique=True),
)
def test_step_integral_per_bin_matches_brute_force(steps, edges) -> None:
    times = np.concatenate(([0.0], np.cumsum([d for d, _ in steps])))[:-1]
    levels = np.array([lv for _, lv in steps], dtype=float)
    edges = np.sort(np.array(edges))
    got = _step_integral(times, levels, edges)
    # the last level holds forever (right-continuous step function)
    bounds = np.append(times, np.inf)
    want = []
    for a, b in itertools.pairwise(edges):
        total = 0.0
        for k, lv in enumerate(levels):
            lo, hi = max(a, bounds[k]), min(b, bounds[k + 1])
            total += lv * max(0.0, hi - lo)
        want.append(total)
    np.testing.assert_allclose(got, want, atol=1e-6)


@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0, 50), st.booleans()), max_size=25))
def test_overtaken_counts_match_the_definition(visits) -> None:
    arrival = np.arange(len(visits), dtype=float)  # sorted, distinct
    matter = np.array([m for m, _, _ in visits], dtype=np.int64)
    stop = arrival + np.array([w for _, w, _ in visits])  # when each stopped waiting
    called = np.where([c for _, _, c in visits], stop, np.inf)  # inf: left uncalled
    got = overtaken_counts(arrival, matter, stop, called)
    want = [
        sum(1 for j in range(i + 1, len(visits)) if matter[j] == matter[i] and called[j] < stop[i])
        for i in range(len(visits))
    ]
    assert got.tolist() == want


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.floats(0, 80), st.booleans()), min_size=40, max_size=150
    )
)
def test_overtaken_counts_match_the_definition_with_many_overtaken(visits) -> None:
    """Long waits among many visits: more than a few are overtaken, which the counting
    does vectorised rather than one by one; the counts are the definition's either way."""
    test_overtaken_counts_match_the_definition.hypothesis.inner_test(visits)


@given(st.integers(2, 500), st.floats(0.01, 100), st.sampled_from([0.9, 0.95, 0.99, 0.9875]))
def test_t_half_width_is_the_student_t_interval(n, sd, confidence) -> None:
    expected = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    assert t_half_width(sd, n, confidence) == pytest.approx(expected, rel=1e-9)
    assert np.isnan(t_half_width(sd, 1, confidence))


def test_rating_shares_form_a_distribution_consistent_with_csat_and_bad_reviews() -> None:
    from hallsim.experiment import simulate

    from .conftest import day_scenario

    m = simulate(day_scenario(), seed=3).metrics
    shares = [m[f"rating_{k}"] for k in range(1, 6)]
    assert sum(shares) == pytest.approx(1.0)
    assert m["rating_4"] + m["rating_5"] == pytest.approx(m["csat"])
    assert m["rating_1"] + m["rating_2"] == pytest.approx(m["bad_review_rate"])
    assert sum(k * s for k, s in zip(range(1, 6), shares, strict=True)) == pytest.approx(
        m["satisfaction_mean"]
    )


def test_a_matter_or_group_covering_every_visit_repeats_the_headline_exactly() -> None:
    """One matter served by one group: its table rows are the overall values, bit for bit."""
    from hallsim.experiment import simulate

    from .conftest import day_scenario

    one = [{"name": "a", "share": 1.0, "service_min": {"dist": "lognormal", "mean": 5, "cv": 0.8}}]
    res = simulate(day_scenario(matters=one), seed=5)
    m, matter, group = res.metrics, res.matters.iloc[0], res.groups.iloc[0]
    assert not np.isnan(m["csat"])  # satisfaction is on by default
    assert matter["csat"] == m["csat"]
    assert matter["wait_mean_min"] == m["wait_mean_min"] == group["wait_mean_min"]
    assert matter["arrived"] == m["arrived"]
    assert matter["service_level"] == m["service_level"]


def test_quantile_metrics_are_the_quantiles_of_the_log_and_ordered(monkeypatch) -> None:
    """wait_p95_min (a registry record with quantile/quantile_of) is numpy's quantile of the
    served visits' waits; quantiles rise with p. A quantile of the time in the hall is one
    more record: added here to the registry's quantile table, the computation gives it
    too, and as time in the hall (wait + service) is at least the wait, pointwise, so is
    its quantile."""
    from hallsim.experiment import simulate
    from hallsim.metrics import computation, registry

    from .conftest import day_scenario

    quantiles = {**registry.QUANTILES, "time_in_system": (("time_in_system_p90_min", 0.9),)}
    monkeypatch.setattr(computation, "QUANTILES", quantiles)
    res = simulate(day_scenario(), seed=3, log=True)
    served = res.log[res.log.outcome == "served"]
    m = res.metrics
    assert m["wait_p95_min"] == pytest.approx(np.quantile(served.wait_min, 0.95), abs=1e-12)
    tis = served.wait_min + served.service_min
    assert m["time_in_system_p90_min"] == pytest.approx(np.quantile(tis, 0.9), rel=1e-12)
    assert m["wait_p50_min"] <= m["wait_p90_min"] <= m["wait_p95_min"] <= m["wait_max_min"]
    assert m["time_in_system_p90_min"] >= m["wait_p90_min"]
