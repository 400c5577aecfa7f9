"""Tests for hallsim.satisfaction: the ordered-logit rating model.

Expected values come from the logistic function and the model's definition
(P(Y <= k) = logistic(c_k - eta)), never from pasted runs.
"""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hallsim import satisfaction as sat
from hallsim.cli.satisfaction import sensitivity_command
from hallsim.satisfaction import (
    BETAS,
    COEFFICIENTS,
    COMPONENTS,
    SatisfactionConfig,
    coefficient_table,
    latent_score,
    rating_probabilities,
    sensitivity_table,
    summarise,
    summarise_by,
)
from hallsim.scenario import scenario_from_dict

FAST = settings(max_examples=60, deadline=None)
DEFAULT = SatisfactionConfig()
SC = SatisfactionConfig(baseline="service_canada_2006")
B_ATT, B_UNS = DEFAULT.beta_attitude, DEFAULT.beta_unsettled


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def visits(n: int = 1, **fields) -> dict[str, np.ndarray]:
    """``n`` identical visits at the η = 0 profile unless overridden: served at once,
    settled, not overtaken, clerk at the reference attitude 0.7."""
    base = {
        "wait_min": 0.0,
        "outcome": 0,
        "settled": True,
        "overtaken": 0,
        "proactiveness": 0.7,
        "responsibility": 0.7,
        "care": 0.7,
        "enthusiasm": 0.7,
        "matter": 0,
        "window_group": 0,
    }
    base.update(fields)
    dtypes = {
        "outcome": np.int8,
        "settled": bool,
        "overtaken": np.int64,
        "matter": np.int64,
        "window_group": np.int64,
    }
    return {k: np.full(n, v, dtype=dtypes.get(k, float)) for k, v in base.items()}


def csat_and_mean(v, comfort=0.5, cfg=DEFAULT) -> tuple[float, float]:
    p = rating_probabilities(v, comfort, cfg)
    return float(p[0, 3:].sum()), float(p[0] @ np.arange(1, 6))


# ----------------------------------------------------------------- the baseline


def test_cutpoints_reproduce_service_canada_at_eta_zero():
    # Service Canada 2006: 6% rated 1-2, ~85% rated 4-5 (84% reported), 55% rated 5.
    p = rating_probabilities(visits(), 0.5, SC)[0]
    assert latent_score(visits(), 0.5, SC)[0] == 0.0
    assert p[:2].sum() == pytest.approx(logistic(-2.75), abs=1e-12)
    assert p[3:].sum() == pytest.approx(1 - logistic(-1.73), abs=1e-12)
    assert p[:2].sum() == pytest.approx(0.06, abs=0.001)
    assert p[3:].sum() == pytest.approx(0.85, abs=0.002)
    assert p[4] == pytest.approx(0.55, abs=0.001)


def test_forty_minute_wait_matches_evidence_example():
    # eta = -0.02*(40-10) - 0.02*(40-25) = -0.9 -> CSAT ~70%, bad ~14% (evidence.md).
    v = visits(wait_min=40.0)
    assert latent_score(v, 0.5, SC)[0] == pytest.approx(-0.9, abs=1e-12)
    p = rating_probabilities(v, 0.5, SC)[0]
    assert p[3:].sum() == pytest.approx(1 - logistic(-1.73 + 0.9), abs=1e-12)
    assert p[:2].sum() == pytest.approx(logistic(-2.75 + 0.9), abs=1e-12)
    assert round(p[3:].sum(), 2) == 0.70
    assert round(p[:2].sum(), 2) == 0.14


def test_hand_computed_latent_score_for_every_term():
    cfg = SatisfactionConfig(perceived_wait_factor=1.2, beta_abandoned=-0.4)
    # served, wait 30 (perceived 36), care 1.0 and enthusiasm 0.6 -> index 0.8, unsettled,
    # overtaken 5 (capped at 3), comfort 0.9
    v = visits(wait_min=30.0, care=1.0, enthusiasm=0.6, settled=False, overtaken=5)
    expected = (
        -0.02 * (36 - 10)
        - 0.02 * (36 - 25)
        + B_ATT * (0.8 - 0.7)
        + B_UNS
        - 0.3 * 3
        + 0.3 * (0.9 - 0.5)
    )
    assert latent_score(v, 0.9, cfg)[0] == pytest.approx(expected, abs=1e-12)
    # a reneger: wait until leaving, never settled, attitude term 0 (met no clerk)
    r = visits(
        wait_min=50.0,
        outcome=2,
        settled=False,
        proactiveness=np.nan,
        responsibility=np.nan,
        care=np.nan,
        enthusiasm=np.nan,
        window_group=-1,
    )
    expected = -0.02 * (60 - 10) - 0.02 * (60 - 25) + B_UNS - 0.4
    assert latent_score(r, 0.5, cfg)[0] == pytest.approx(expected, abs=1e-12)
    # a balker: no wait, unsettled
    b = visits(wait_min=0.0, outcome=1, settled=True, care=np.nan, enthusiasm=np.nan)
    assert latent_score(b, 0.5, cfg)[0] == pytest.approx(B_UNS - 0.4, abs=1e-12)


# ----------------------------------------------------------------- probabilities


visit_arrays = st.integers(1, 40).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "wait_min": st.lists(st.floats(0, 1e4), min_size=n, max_size=n),
            "outcome": st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=n, max_size=n),
            "settled": st.lists(st.booleans(), min_size=n, max_size=n),
            "overtaken": st.lists(st.integers(0, 50), min_size=n, max_size=n),
            **{c: st.lists(st.floats(0, 1), min_size=n, max_size=n) for c in COMPONENTS},
        }
    )
)

configs = st.builds(
    SatisfactionConfig,
    beta_wait_per_min=st.floats(-0.2, 0.0),
    beta_wait_beyond_adequate_per_min=st.floats(-0.2, 0.0),
    beta_attitude=st.floats(0.0, 5.0),
    beta_unsettled=st.floats(-5.0, 0.0),
    beta_overtaken=st.floats(-2.0, 0.0),
    beta_comfort=st.floats(0.0, 2.0),
    beta_abandoned=st.floats(-3.0, 0.0),
    perceived_wait_factor=st.floats(0.5, 2.0),
    attitude_weight_proactiveness=st.floats(0.0, 1.0),
    attitude_weight_responsibility=st.floats(0.0, 1.0),
    attitude_weight_care=st.floats(0.1, 1.0),
    attitude_weight_enthusiasm=st.floats(0.0, 1.0),
)


def as_visits(d: dict) -> dict[str, np.ndarray]:
    v = {k: np.asarray(x) for k, x in d.items()}
    v["outcome"] = v["outcome"].astype(np.int8)
    served = v["outcome"] == 0
    v["settled"] = v["settled"].astype(bool) & served
    for c in COMPONENTS:
        v[c] = np.where(served, v[c].astype(float), np.nan)
    return v


@FAST
@given(visit_arrays, configs, st.floats(0, 1))
def test_probabilities_are_a_distribution(d, cfg, comfort):
    p = rating_probabilities(as_visits(d), comfort, cfg)
    assert p.shape == (len(d["wait_min"]), 5)
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_rows_are_independent_and_vectorised():
    # A batch gives the same rows as one visit at a time.
    rng = np.random.default_rng(3)
    n = 200
    v = visits(n)
    v["wait_min"] = rng.exponential(20, n)
    v["care"] = rng.random(n)
    v["overtaken"] = rng.integers(0, 5, n)
    batch = rating_probabilities(v, 0.5, DEFAULT)
    for i in (0, 17, 199):
        one = {k: a[i : i + 1] for k, a in v.items()}
        np.testing.assert_allclose(rating_probabilities(one, 0.5, DEFAULT), batch[i : i + 1])


@FAST
@given(visit_arrays, configs, st.integers(1, 7), st.booleans())
def test_blocks_of_rows_give_the_same_probabilities_bit_for_bit(d, cfg, rows, per_visit):
    """A long day's visits go through the model in blocks of rows (bounded memory); every
    step is per row, so the result is the one-block result exactly."""
    v = as_visits(d)
    n = len(v["wait_min"])
    comfort = np.linspace(0.0, 1.0, n) if per_visit else 0.4
    whole = rating_probabilities(v, comfort, cfg)
    old_rows = sat._ROWS
    sat._ROWS = rows
    try:
        blocks = rating_probabilities(v, comfort, cfg)
    finally:
        sat._ROWS = old_rows
    assert np.array_equal(blocks, whole, equal_nan=True)


@FAST
@given(
    st.integers(1, 300),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1e-6, 1.0, 1e6]),
)
def test_rating_distribution_is_the_column_mean_bit_for_bit(rows, seed, scale):
    """The mean share of each rating is numpy's own mean over the rows, exactly."""
    probs = np.random.default_rng(seed).random((rows, 5)) * scale
    assert np.array_equal(sat.rating_distribution(probs), probs.mean(axis=0))


@FAST
@given(
    st.lists(st.floats(-60, 60), max_size=200),
    st.lists(st.floats(-6, 6), min_size=4, max_size=4).map(sorted),
)
def test_probabilities_from_eta_are_the_definition_bit_for_bit(etas, cutpoints):
    """P(Y = k) = logistic(c_k − η) − logistic(c_{k−1} − η) (c_0 = −inf, c_5 = inf), clipped
    at 0, evaluated row by row, is what the vectorised function returns, in C order."""
    from scipy.special import expit

    eta = np.array(etas, dtype=float)
    got = sat.probabilities_from_eta(eta, tuple(cutpoints))
    assert got.shape == (len(etas), 5) and got.flags.c_contiguous
    for i, e in enumerate(etas):
        cdf = [0.0, *(float(expit(np.float64(c) - e)) for c in cutpoints), 1.0]
        want = [max(cdf[k + 1] - cdf[k], 0.0) for k in range(5)]
        assert got[i].tolist() == want


# ----------------------------------------------------------------- monotonicity

one_visit = st.fixed_dictionaries(
    {
        "wait_min": st.floats(0, 300),
        "settled": st.booleans(),
        "overtaken": st.integers(0, 10),
        **{c: st.floats(0, 1) for c in COMPONENTS},
    }
)


@FAST
@given(one_visit, configs, st.sampled_from(COMPONENTS), st.floats(0, 1))
def test_better_attitude_never_lowers_csat_or_mean(v, cfg, component, up):
    before = visits(**v)
    after = visits(**{**v, component: max(v[component], up)})
    c0, m0 = csat_and_mean(before, cfg=cfg)
    c1, m1 = csat_and_mean(after, cfg=cfg)
    assert c1 >= c0 - 1e-12 and m1 >= m0 - 1e-12


@FAST
@given(one_visit, configs, st.floats(0, 300), st.sampled_from([0, 2]))
def test_longer_wait_never_raises_csat_or_mean(v, cfg, extra, outcome):
    base = {**v, "outcome": outcome}
    c0, m0 = csat_and_mean(visits(**base), cfg=cfg)
    c1, m1 = csat_and_mean(visits(**{**base, "wait_min": v["wait_min"] + extra}), cfg=cfg)
    assert c1 <= c0 + 1e-12 and m1 <= m0 + 1e-12


@FAST
@given(one_visit, configs, st.integers(1, 10))
def test_being_overtaken_or_unsettled_never_raises_csat_or_mean(v, cfg, more):
    c0, m0 = csat_and_mean(visits(**v), cfg=cfg)
    c1, m1 = csat_and_mean(visits(**{**v, "overtaken": v["overtaken"] + more}), cfg=cfg)
    c2, m2 = csat_and_mean(visits(**{**v, "settled": False}), cfg=cfg)
    assert c1 <= c0 + 1e-12 and m1 <= m0 + 1e-12
    assert c2 <= c0 + 1e-12 and m2 <= m0 + 1e-12


def test_a_longer_wait_strictly_lowers_csat_above_desired_wait():
    c10, _ = csat_and_mean(visits(wait_min=10.0))
    c20, _ = csat_and_mean(visits(wait_min=20.0))
    c5, _ = csat_and_mean(visits(wait_min=5.0))
    assert c20 < c10 == c5  # zone of tolerance: waits up to 10 min cost nothing


# ----------------------------------------------------------------- neutral values

# case: (neutral config, a config where the mechanism is active, input change that
# must not matter under the neutral config but does under the active one)
NEUTRAL_CASES = {
    "beta_wait_per_min": ({"beta_wait_per_min": 0.0}, {}, {"wait_min": 24.0}),
    "beta_attitude": (
        {"beta_attitude": 0.0},
        {},
        {"care": 0.0, "enthusiasm": 1.0, "proactiveness": 0.1},
    ),
    "attitude_weight_proactiveness": (
        {},
        {"attitude_weight_proactiveness": 0.5},
        {"proactiveness": 0.0},
    ),
    "attitude_weight_responsibility": (
        {},
        {"attitude_weight_responsibility": 0.5},
        {"responsibility": 1.0},
    ),
    "attitude_weight_care": ({"attitude_weight_care": 0.0}, {}, {"care": 0.0}),
    "attitude_weight_enthusiasm": ({"attitude_weight_enthusiasm": 0.0}, {}, {"enthusiasm": 0.0}),
    "beta_unsettled": ({"beta_unsettled": 0.0}, {}, {"settled": False}),
    "beta_overtaken": ({"beta_overtaken": 0.0}, {}, {"overtaken": 7}),
    "overtaken_cap": ({"overtaken_cap": 0.0}, {}, {"overtaken": 7}),
    "beta_abandoned": (
        {"beta_abandoned": 0.0, "beta_unsettled": 0.0, "beta_attitude": 0.0},
        {"beta_abandoned": -0.5, "beta_unsettled": 0.0, "beta_attitude": 0.0},
        {"outcome": 2, "settled": False, "care": np.nan, "enthusiasm": np.nan},
    ),
}


@pytest.mark.parametrize("case", sorted(NEUTRAL_CASES))
def test_neutral_value_removes_the_mechanism(case):
    neutral, active, change = NEUTRAL_CASES[case]
    start = visits(
        wait_min=3.0, care=0.4, enthusiasm=0.9, proactiveness=0.5, responsibility=0.2, overtaken=0
    )
    changed = visits(**{**{k: v[0] for k, v in start.items()}, **change})
    cfg = SatisfactionConfig(**neutral)
    np.testing.assert_array_equal(
        rating_probabilities(changed, 0.5, cfg), rating_probabilities(start, 0.5, cfg)
    )
    # the same change does matter when the mechanism is on (so this test can fail)
    on = SatisfactionConfig(**active)
    assert not np.allclose(
        rating_probabilities(changed, 0.5, on), rating_probabilities(start, 0.5, on)
    )


def test_neutral_extra_slope_makes_the_adequate_wait_irrelevant():
    v = visits(wait_min=90.0)
    flat = [
        SatisfactionConfig(beta_wait_beyond_adequate_per_min=0.0, adequate_wait_min=a)
        for a in (10.0, 25.0, 60.0)
    ]
    p = [rating_probabilities(v, 0.5, cfg) for cfg in flat]
    np.testing.assert_array_equal(p[0], p[1])
    np.testing.assert_array_equal(p[1], p[2])
    steep = [SatisfactionConfig(adequate_wait_min=a) for a in (25.0, 60.0)]
    assert not np.allclose(*(rating_probabilities(v, 0.5, cfg) for cfg in steep))


def test_neutral_comfort_coefficient():
    cfg = SatisfactionConfig(beta_comfort=0.0)
    v = visits()
    np.testing.assert_array_equal(
        rating_probabilities(v, 0.0, cfg), rating_probabilities(v, 1.0, cfg)
    )
    assert not np.allclose(
        rating_probabilities(v, 0.0, DEFAULT), rating_probabilities(v, 1.0, DEFAULT)
    )


@FAST
@given(st.floats(0, 300), st.floats(0.25, 4.0))
def test_perceived_wait_factor_scales_the_wait(wait, factor):
    # factor f at wait w is the same visit as factor 1 (neutral) at wait f*w
    scaled = SatisfactionConfig(perceived_wait_factor=factor)
    a = rating_probabilities(visits(wait_min=wait), 0.5, scaled)
    b = rating_probabilities(visits(wait_min=factor * wait), 0.5, DEFAULT)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_complaint_share_zero_predicts_no_complaints():
    p = rating_probabilities(visits(3, wait_min=60.0), 0.5, DEFAULT)
    assert summarise(p, SatisfactionConfig(complaint_share_of_bad=0.0))["complaint_rate"] == 0
    s = summarise(p, DEFAULT)
    assert s["complaint_rate"] == pytest.approx(
        DEFAULT.complaint_share_of_bad * s["bad_review_rate"]
    )


def test_every_coefficient_is_named_sourced_and_has_a_valid_neutral_value():
    names = set(SatisfactionConfig.model_fields)
    assert {c.name for c in COEFFICIENTS} == names
    assert set(BETAS) <= names
    for c in COEFFICIENTS:
        desc = SatisfactionConfig.model_fields[c.name].description
        assert "Source:" in desc and "Neutral:" in desc, c.name
        assert c.kind in {"sourced", "derived", "assumption", "switch"}
        if c.kind == "assumption":
            assert "assumption" in desc
        else:
            assert c.source and c.source != "assumption"
        if c.neutral is not None:
            SatisfactionConfig(**{c.name: c.neutral})  # a neutral value is a valid value
    table = coefficient_table()
    assert list(table["coefficient"]) == [c.name for c in COEFFICIENTS]


# ----------------------------------------------------------------- summaries


def test_disabled_model_gives_nan():
    cfg = SatisfactionConfig(enabled=False)
    p = rating_probabilities(visits(4), 0.5, cfg)
    assert p.shape == (4, 5) and np.isnan(p).all()
    assert all(math.isnan(x) for x in summarise(p, cfg).values())


def test_empty_summary_is_nan():
    out = summarise(np.empty((0, 5)))
    assert set(out) >= {"satisfaction_mean", "csat", "bad_review_rate", "complaint_rate"}
    assert all(math.isnan(x) for x in out.values())


def test_summarise_by_hand():
    probs = np.array([[0.1, 0.1, 0.2, 0.3, 0.3], [0.0, 0.0, 0.0, 0.0, 1.0]])
    out = summarise(probs)
    assert out["satisfaction_mean"] == pytest.approx((3.6 + 5.0) / 2)
    assert out["csat"] == pytest.approx((0.6 + 1.0) / 2)
    assert out["bad_review_rate"] == pytest.approx(0.1)
    groups = summarise_by(probs, np.array([-1, 2]))
    assert set(groups) == {-1, 2}
    assert groups[-1]["satisfaction_mean"] == pytest.approx(3.6)
    assert groups[2]["csat"] == pytest.approx(1.0)


def test_summarise_by_agrees_with_overall_mean():
    rng = np.random.default_rng(5)
    v = visits(500)
    v["wait_min"] = rng.exponential(25, 500)
    p = rating_probabilities(v, 0.5, DEFAULT)
    g = rng.integers(-1, 4, 500)
    by = summarise_by(p, g)
    counts = np.bincount(g + 1)
    total = sum(by[k]["csat"] * counts[k + 1] for k in by) / 500
    assert total == pytest.approx(summarise(p)["csat"])


# ----------------------------------------------------------------- config


@pytest.mark.parametrize(
    "bad",
    [
        {"cutpoints": (-1.0, -2.0, 0.0, 1.0)},
        {"desired_wait_min": 30.0, "adequate_wait_min": 20.0},
        {"beta_wait_per_min": float("nan")},
        {"attitude_weight_care": 0.0, "attitude_weight_enthusiasm": 0.0},
        {"betta_wait": 1.0},
        {"complaint_share_of_bad": 1.5},
    ],
)
def test_invalid_configs_are_rejected(bad):
    with pytest.raises(ValidationError):
        SatisfactionConfig(**bad)


def test_config_lives_in_the_scenario_and_is_sweepable():
    text = """
    name = "t"
    [[matters]]
    name = "a"
    share = 1
    service_min = { dist = "exponential", mean = 4 }
    [[windows]]
    name = "w"
    [satisfaction]
    beta_wait_per_min = -0.03
    cutpoints = [-3.0, -2.0, -1.0, 0.0]
    """
    sc = scenario_from_dict(tomllib.loads(text))
    assert sc.satisfaction.beta_wait_per_min == -0.03
    assert sc.satisfaction.cutpoints == (-3.0, -2.0, -1.0, 0.0)
    changed = sc.with_changes({"satisfaction.beta_attitude": 0.0})
    assert changed.satisfaction.beta_attitude == 0.0
    assert changed.satisfaction.beta_wait_per_min == -0.03


# ----------------------------------------------------------------- sensitivity


def test_sensitivity_table_matches_direct_rerating(monkeypatch):
    monkeypatch.setattr(sat, "_CHUNK", 7)  # exercise the chunked path
    rng = np.random.default_rng(11)
    v = visits(50)
    v["wait_min"] = rng.exponential(30, 50)
    v["care"] = rng.random(50)
    v["outcome"][:5] = 2
    v["settled"][:8] = False
    table = sensitivity_table(v, 0.6, DEFAULT)
    base = summarise(rating_probabilities(v, 0.6, DEFAULT))
    assert table.iloc[0]["coefficient"] == "(base)"
    assert table.iloc[0]["csat"] == pytest.approx(base["csat"])
    row = table[(table.coefficient == "beta_unsettled") & (table.factor == 2.0)].iloc[0]
    direct = summarise(rating_probabilities(v, 0.6, SatisfactionConfig(beta_unsettled=2 * B_UNS)))
    assert row["value"] == 2 * B_UNS
    assert row["csat"] == pytest.approx(direct["csat"])
    assert row["csat_change"] == pytest.approx(direct["csat"] - base["csat"])
    assert row["csat_change"] < 0  # a harsher unsettled penalty with unsettled visits
    assert set(table.coefficient) == {"(base)", *sat.SENSITIVITY_COEFFICIENTS}


def test_sensitivity_reports_impossible_combinations():
    cfg = SatisfactionConfig(desired_wait_min=20.0)
    table = sensitivity_table(visits(3, wait_min=30.0), 0.5, cfg)
    row = table[(table.coefficient == "desired_wait_min") & (table.factor == 2.0)].iloc[0]
    assert math.isnan(row["csat"]) and "adequate_wait_min" in row["note"]


SMALL_HALL = """
name = "small"
[run]
replications = 2
[hall]
open = "09:00"
close = "10:30"
comfort = 0.8
[arrivals]
rate_per_hour = 50
[[matters]]
name = "a"
share = 1
service_min = { dist = "exponential", mean = 4 }
[[windows]]
name = "w"
count = 3
attitude = 0.5
[patience]
renege_min = { dist = "exponential", mean = 20 }
"""


def test_sensitivity_command_runs_a_scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_HALL)
    result = CliRunner().invoke(sensitivity_command, [str(path), "--json", "-r", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"] == "small" and data["replications"] == 2
    rows = {(r["assumption"], r["value"]): r for r in data["rows"]}
    # the hall's clerks are below the reference attitude, so a larger beta_attitude hurts
    lo, hi = sat.DERIVATIONS["beta_attitude"].plausible
    assert rows[("satisfaction.beta_attitude", hi)]["csat_change"] < 0
    assert rows[("satisfaction.beta_attitude", lo)]["csat_change"] > 0
    assert 0 < rows[("(base)", None)]["csat"] < 1
    # a satisfaction coefficient never moves the wait; a queue assumption may
    assert rows[("satisfaction.beta_attitude", hi)]["wait_mean_min_change"] == 0
    assert rows[("attitude_effects.return_same_day_share", 1.0)]["kind"] == "queue"
    text = CliRunner().invoke(sensitivity_command, [str(path), "-r", "1"])
    assert text.exit_code == 0 and "beta_unsettled" in text.stdout


def test_sensitivity_command_bad_scenario_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = 'x'\n")
    result = CliRunner().invoke(sensitivity_command, [str(path)])
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_sensitivity_command_on_a_run_long_enough_to_stream(tmp_path, monkeypatch):
    """sensitivity re-rates every visit: it must get them even where simulate would stream."""
    from hallsim import streaming

    monkeypatch.setattr(streaming, "MIN_CITIZENS", 10)  # stream anything steady-state
    steady = SMALL_HALL.replace(
        "[run]\n", '[run]\nmode = "steady_state"\nwarmup_min = 30\nlength_min = 300\n'
    ).replace('open = "09:00"\nclose = "10:30"\n', "")
    path = tmp_path / "steady.toml"
    path.write_text(steady)
    result = CliRunner().invoke(sensitivity_command, [str(path), "--json", "-r", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["visits"] > 0


# ------------------------------------------- published effect → logit, and baselines


@pytest.mark.parametrize("name", sorted(sat.DERIVATIONS))
def test_every_derived_coefficient_reproduces_its_published_effect(name):
    d = sat.DERIVATIONS[name]
    beta = getattr(DEFAULT, name)
    effect = sat.effect_of_coefficient(
        beta, sat.DERIVATION_CUTPOINTS, scale=d.scale, x_from=d.x_from, x_to=d.x_to, x_ref=d.x_ref
    )
    # the default is rounded to 2 decimals: the effect is reproduced within that rounding
    assert effect == pytest.approx(d.effect, abs=0.01)
    assert d.plausible[0] <= beta <= d.plausible[1]


def test_the_issue_arithmetic_old_coefficients_understated_their_sources():
    # 1.5 logits move the mean rating by ~0.77 points, not 1.2 (Service Canada cut-points)
    c = sat.DERIVATION_CUTPOINTS
    old = sat.effect_of_coefficient(1.5, c, x_ref=0.7)
    assert 0.7 < old < 0.85
    # 1.6 points of "never resolved" need about -2.5 logits
    assert sat.coefficient_for_effect(-1.6, c) == pytest.approx(-2.48, abs=0.02)


@FAST
@given(
    effect=st.floats(-3.5, 3.5).filter(lambda e: abs(e) > 1e-3),
    x_ref=st.floats(0, 1),
    baseline=st.sampled_from(sorted(sat.BASELINES)),
)
def test_conversion_round_trips_on_the_mean_rating(effect, x_ref, baseline):
    c = sat.BASELINES[baseline].cutpoints
    reach = sorted(sat.effect_of_coefficient(b, c, x_ref=x_ref) for b in (-59.0, 59.0))
    if not reach[0] < effect < reach[1]:
        with pytest.raises(ValueError, match="cannot be reached"):
            sat.coefficient_for_effect(effect, c, x_ref=x_ref)
        return
    beta = sat.coefficient_for_effect(effect, c, x_ref=x_ref)
    assert np.sign(beta) == np.sign(effect)
    assert sat.effect_of_coefficient(beta, c, x_ref=x_ref) == pytest.approx(effect, abs=1e-6)


def test_conversion_on_the_top_two_share_and_bad_input():
    c = sat.DERIVATION_CUTPOINTS
    beta = sat.coefficient_for_effect(-0.10, c, scale="top2")
    # P(4-5) = 1 - logistic(c3 - beta): solve by hand
    assert 1 - logistic(c[2] - beta) == pytest.approx(1 - logistic(c[2]) - 0.10, abs=1e-8)
    with pytest.raises(ValueError):
        sat.coefficient_for_effect(4.5, c)
    with pytest.raises(ValueError):
        sat.coefficient_for_effect(0.1, c, scale="median")


def test_service_canada_baseline_reproduces_its_survey():
    r = sat.rating_at(0.0, SatisfactionConfig(baseline="service_canada_2006").cutpoints)
    assert r["bottom2"] == pytest.approx(0.06, abs=0.001)  # 6% dissatisfied
    assert 0.84 <= r["top2"] <= 0.855  # 84-85% rated 4-5


def test_china_baseline_reproduces_its_survey_and_is_the_default():
    assert DEFAULT.baseline == "china_hall_survey"
    r = sat.rating_at(0.0, DEFAULT.cutpoints)
    assert r["top2"] == pytest.approx(0.869, abs=0.001)  # Zhejiang 2017: 86.9% satisfied
    assert r["bottom2"] == pytest.approx(0.04, abs=0.001)  # the stated assumption
    p = sat.probabilities_from_eta(np.zeros(1), DEFAULT.cutpoints)[0]
    assert p == pytest.approx(np.array(sat.BASELINES["china_hall_survey"].shares), abs=0.001)


def test_baseline_sets_cutpoints_unless_given_and_follows_changes():
    sc = scenario_from_dict(
        {
            "name": "b",
            "matters": [
                {"name": "a", "share": 1, "service_min": {"dist": "exponential", "mean": 4}}
            ],
            "windows": [{"name": "w"}],
            "satisfaction": {"baseline": "service_canada_2006"},
        }
    )
    assert sc.satisfaction.cutpoints == sat.BASELINES["service_canada_2006"].cutpoints
    back = sc.with_changes({"satisfaction.baseline": "china_hall_survey"})
    assert back.satisfaction.cutpoints == sat.BASELINES["china_hall_survey"].cutpoints
    own = SatisfactionConfig(baseline="service_canada_2006", cutpoints=(-3, -2, -1, 0))
    assert own.cutpoints == (-3, -2, -1, 0)
    with pytest.raises(ValidationError):
        SatisfactionConfig(baseline="mars")
