"""hallsim.stats: intervals stay inside each metric's range and keep their coverage
(issue 16 §4); the paired difference, Bonferroni level and plain t-interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallsim.experiment import simulate, summarise_values
from hallsim.metrics import METRICS
from hallsim.stats import COUNTS, bounds, interval, interval_note, t_half_width
from hallsim.theory import mmc

from .conftest import queue_scenario


def _values(metric: str):
    lo, hi = bounds(metric)
    top = 1e4 if math.isinf(hi) else hi
    value = st.floats(lo, top, allow_nan=False)
    return st.one_of(
        st.lists(value, min_size=1, max_size=30),
        st.integers(1, 30).map(lambda n: [lo] * n),  # all zero (all at the lower bound)
        st.tuples(value, st.integers(1, 30)).map(lambda t: [t[0]] * t[1]),  # all equal
        st.lists(st.sampled_from([lo, min(top, lo + 1)]), min_size=2, max_size=30),
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data(), metric=st.sampled_from(METRICS))
def test_no_interval_leaves_its_metric_range(data, metric) -> None:
    values = data.draw(_values(metric))
    s = summarise_values(values, metric=metric)
    lo, hi = bounds(metric)
    assert lo - 1e-9 <= s["mean"] <= hi + 1e-9
    if len(values) < 2:
        assert s["ci_low"] is None
        return
    assert lo <= s["ci_low"] <= s["ci_high"] <= hi
    assert s["ci_low"] <= s["mean"] + 1e-9 and s["mean"] - 1e-9 <= s["ci_high"]
    # never wider than the plain t-interval, except the rule of three for all-zero counts
    half = t_half_width(s["sd"], s["n"])
    if not (metric in COUNTS and s["mean"] == 0 and s["sd"] == 0):
        assert s["ci_high"] - s["ci_low"] <= 2 * half + 1e-9


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data(), metric=st.sampled_from(METRICS))
def test_paired_difference_intervals_stay_inside_the_difference_range(data, metric) -> None:
    a = np.array(data.draw(_values(metric)))
    b = np.array(data.draw(st.lists(st.sampled_from(list(a)), min_size=len(a), max_size=len(a))))
    if len(a) < 2:
        return
    d = b - a
    lo, hi = bounds(metric)
    low, high = interval(metric, d.mean(), d.std(ddof=1), len(d), difference=True)
    assert lo - hi <= low <= high <= hi - lo


def test_the_issue_examples_are_cut_at_their_bounds() -> None:
    # reneged 0.33 per day, mostly 0: the t-interval [-0.28, 0.95] starts at 0
    s = summarise_values([0, 0, 1, 0, 0, 1, 0, 0, 0], metric="reneged")
    assert s["ci_low"] == 0.0 and s["ci_high"] == pytest.approx(
        s["mean"] + t_half_width(s["sd"], 9)
    )
    note = interval_note("reneged", s["mean"], s["sd"], s["n"], s["ci_low"], s["ci_high"])
    assert "cut" in note
    # a service level near 100% never exceeds it
    s = summarise_values([1.0, 1.0, 0.98, 1.0], metric="service_level")
    assert s["ci_high"] == 1.0 and s["ci_low"] < s["mean"]
    # all zero: [0, 3/n] by the rule of three (-ln 0.05 = 2.996)
    s = summarise_values([0.0] * 10, metric="reneged")
    assert (s["ci_low"], s["ci_high"]) == (0.0, pytest.approx(-math.log(0.05) / 10))
    # all equal and not a count: a zero-width interval, said so
    s = summarise_values([0.5] * 4, metric="csat")
    assert s["ci_low"] == s["ci_high"] == 0.5
    assert "same value" in interval_note("csat", 0.5, 0.0, 4, 0.5, 0.5)


def test_coverage_is_near_nominal_on_mmc_by_repeated_experiments() -> None:
    """200 experiments of 5 short replications each (fast engine, about 3 s): the 95%
    interval contains the Erlang C value in >= 93% of them, for a time, a share near
    its upper bound and the utilisation."""
    lam, s, c, target = 0.6, 2.0, 2, 5.0
    sc = queue_scenario(
        lam,
        {"dist": "exponential", "mean": s},
        c,
        warmup_min=200,
        length_min=1000,
        hall={"service_level_target_min": target},
    )
    th = mmc(lam, s, c)
    truth = {
        "wait_mean_min": th.wait_mean,
        "utilisation": th.utilisation,
        "service_level": 1 - th.p_wait * math.exp(-th.decay_rate * target),
    }
    experiments, reps = 200, 5
    hits = dict.fromkeys(truth, 0)
    for e in range(experiments):
        runs = [
            simulate(sc, seed=1000 + e, replication=r, engine="fast", breakdowns=False).metrics
            for r in range(reps)
        ]
        for m, value in truth.items():
            sm = summarise_values([x[m] for x in runs], metric=m)
            hits[m] += sm["ci_low"] <= value <= sm["ci_high"]
    coverage = {m: h / experiments for m, h in hits.items()}
    assert all(c >= 0.93 for c in coverage.values()), coverage


def test_bonferroni_splits_the_error_rate_over_the_comparisons() -> None:
    from hallsim.stats import bonferroni

    assert bonferroni(0.95, 1) == pytest.approx(0.95)
    assert bonferroni(0.95, 4) == pytest.approx(0.9875)
    assert bonferroni(0.95, 0) == pytest.approx(0.95)  # no comparison: the level itself


@given(st.lists(st.floats(-100, 100), min_size=2, max_size=30))
def test_summarise_without_a_metric_is_the_plain_t_interval(xs) -> None:
    from scipy import stats as sps

    from hallsim.stats import summarise

    s = summarise(xs)
    x = np.asarray(xs)
    half = sps.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    assert s["n"] == len(x) and s["mean"] == pytest.approx(x.mean(), abs=1e-9)
    assert s["ci_low"] == pytest.approx(x.mean() - half, abs=1e-9)
    assert s["ci_high"] == pytest.approx(x.mean() + half, abs=1e-9)


def test_paired_difference_pairs_replications_and_skips_undefined_ones() -> None:
    from hallsim.stats import paired_difference

    base = [1.0, 2.0, float("nan"), 4.0]
    other = [1.5, 2.5, 3.0, 4.5]  # +0.5 in every defined pair
    d = paired_difference("wait_mean_min", other, base)
    assert d["n"] == 3 and d["mean"] == pytest.approx(0.5) and d["sd"] == 0.0
    assert d["ci_low"] == pytest.approx(0.5) and d["ci_high"] == pytest.approx(0.5)
    # a difference of shares stays inside [-1, 1]
    wide = paired_difference("csat", [1.0, 0.0, 1.0], [0.0, 1.0, 0.0])
    assert -1.0 <= wide["ci_low"] <= wide["ci_high"] <= 1.0


FEW = """
name = "few"
[run]
replications = 3
seed = 2
[hall]
open = "09:00"
close = "10:00"
[arrivals]
rate_per_hour = 50
[[matters]]
name = "a"
share = 1
service_min = { dist = "exponential", mean = 5 }
[[windows]]
name = "w"
count = 4
[patience]
renege_min = { dist = "exponential", mean = 30 }
"""


def test_cut_intervals_are_marked_in_the_cli_and_explained_in_the_report(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from hallsim.cli import main
    from hallsim.report import build_report

    (tmp_path / "few.toml").write_text(FEW)
    out = tmp_path / "few"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "few.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    notes = json.loads((out / "summary.json").read_text())["hallsim"]["interval_notes"]["few"]
    cut = {m for m, note in notes.items() if note.startswith("t-interval cut")}
    assert cut  # three replications of a busy hour: several counts sit near 0
    rows = {
        line.split("│")[1].strip().removesuffix(" (predicted)"): line
        for line in result.output.splitlines()
        if "│" in line
    }
    for m in cut:
        assert rows[m].rstrip(" │").endswith("*"), rows[m]
    assert "* interval cut at the metric's range" in result.output
    html = build_report(out)
    assert "An interval stays inside its metric" in html and "t-interval cut at the" in html


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.floats(0, 100, allow_nan=False)), min_size=0, max_size=25
    ),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_t_half_width_of_an_array_is_each_elements_t_interval(pairs, confidence):
    """An array of sample sizes (a sweep's points x metrics) gives, element by element,
    t(1 - alpha/2, n - 1) * sd / sqrt(n) from scipy's t distribution; NaN below n = 2."""
    from scipy import stats as sps

    n = np.array([p[0] for p in pairs], dtype=float)
    sd = np.array([p[1] for p in pairs], dtype=float)
    half = t_half_width(sd, n, confidence)
    assert half.shape == n.shape
    for k in range(len(n)):
        if n[k] < 2:
            assert math.isnan(half[k])
        else:
            q = sps.t.ppf(0.5 + confidence / 2, n[k] - 1)
            assert half[k] == pytest.approx(q * sd[k] / math.sqrt(n[k]), rel=1e-9, abs=1e-12)
    grid = np.tile(n, (3, 1))  # a 2-D table keeps its shape
    assert t_half_width(np.ones_like(grid), grid, confidence).shape == grid.shape
