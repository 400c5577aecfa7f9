"""Tests for hallsim.calibrate and ``hallsim calibrate``.

Surveys are drawn from the model itself with known coefficients
(scenarios/make_survey_example.py), so a correct maximum-likelihood fit must
recover them within a few standard errors, and the standard errors must match
the spread of estimates over independent surveys.
"""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hallsim.calibrate import CUTPOINT_NAMES, calibrate, survey_visits
from hallsim.cli.satisfaction import calibrate_command
from hallsim.satisfaction import BETAS, COMPONENTS, SatisfactionConfig, rating_probabilities
from hallsim.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "scenarios" / "survey_example.csv"


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_survey_example", ROOT / "scenarios" / "make_survey_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
KNOWN: SatisfactionConfig = gen.KNOWN


def known_value(name: str) -> float:
    if name in CUTPOINT_NAMES:
        return KNOWN.cutpoints[CUTPOINT_NAMES.index(name)]
    return getattr(KNOWN, name)


def z_scores(result) -> dict[str, float]:
    return {k: (v - known_value(k)) / result.std_errors[k] for k, v in result.estimates.items()}


# ----------------------------------------------------------------- recovery


def test_shipped_survey_is_what_the_documented_generator_makes():
    shipped = pd.read_csv(SURVEY)
    assert len(shipped) == gen.N == 2000
    pd.testing.assert_frame_equal(shipped, gen.make_survey(), check_dtype=False)


def test_calibration_recovers_known_coefficients_from_shipped_survey():
    # base = the generator's coefficients, so the LR test checks them (not today's defaults)
    result = calibrate(pd.read_csv(SURVEY), base=KNOWN)
    assert result.n == 2000 and result.converged
    fitted = set(result.estimates)
    assert fitted == {*CUTPOINT_NAMES, *BETAS} - {"beta_comfort"}  # no comfort column
    for name, z in z_scores(result).items():
        assert abs(z) < 3, f"{name}: {result.estimates[name]} vs {known_value(name)} (z={z:.2f})"
    assert result.log_likelihood >= result.log_likelihood_base
    assert result.lr_pvalue > 0.01  # the survey is consistent with the true coefficients


def test_calibration_is_tight_on_a_large_fresh_sample():
    result = calibrate(gen.make_survey(n=12_000, seed=7))
    for name, z in z_scores(result).items():
        assert abs(z) < 3, name
    # precision grows like sqrt(n): about 0.0077/sqrt(6) = 0.0031 for the wait slope at n = 12,000
    assert result.std_errors["beta_wait_per_min"] < 0.004
    assert abs(result.estimates["beta_attitude"] - 1.5) < 0.25
    assert abs(result.estimates["beta_unsettled"] + 1.5) < 0.15


def test_standard_errors_match_the_spread_over_independent_surveys():
    # z = (estimate - truth) / SE is ~N(0, 1) if the SEs are right: mean z^2 ~ 1.
    z2 = []
    estimates = []
    for seed in range(8):
        result = calibrate(gen.make_survey(n=1500, seed=1000 + seed))
        z2 += [z**2 for z in z_scores(result).values()]
        estimates.append(result.estimates["beta_unsettled"])
    assert 0.5 < np.mean(z2) < 1.8
    assert abs(np.mean(estimates) + 1.5) < 0.15  # no gross bias


def test_four_components_and_blank_attitude_for_abandoners():
    survey = gen.make_survey(n=6000, seed=3)
    rng = np.random.default_rng(4)
    a = survey.pop("attitude").to_numpy()
    # care and enthusiasm (weights 0.5, 0.5) average to the index; the other two vary freely
    spread = rng.uniform(-0.2, 0.2, len(a))
    survey["care"] = np.clip(a + spread, 0, 1)
    survey["enthusiasm"] = 2 * a - survey["care"]
    bad = (survey["enthusiasm"] < 0) | (survey["enthusiasm"] > 1)
    survey.loc[bad, "enthusiasm"] = survey.loc[bad, "care"] = a[bad]
    survey["proactiveness"] = rng.random(len(a))
    survey["responsibility"] = rng.random(len(a))
    for c in ("proactiveness", "responsibility"):
        survey.loc[survey.abandoned == 1, c] = np.nan
    result = calibrate(survey)
    z = (result.estimates["beta_attitude"] - 1.5) / result.std_errors["beta_attitude"]
    assert abs(z) < 3


# ----------------------------------------------------------------- what is not fitted


def test_missing_columns_keep_base_values():
    survey = gen.make_survey(n=1500, seed=5)[["rating", "wait_min"]]
    base = SatisfactionConfig(beta_attitude=0.9, beta_unsettled=-1.0)
    result = calibrate(survey, base)
    assert set(result.estimates) == {
        *CUTPOINT_NAMES,
        "beta_wait_per_min",
        "beta_wait_beyond_adequate_per_min",
    }
    assert result.config.beta_attitude == 0.9 and result.config.beta_unsettled == -1.0
    assert "attitude" in result.not_fitted["beta_attitude"]
    table = result.table().set_index("coefficient")
    assert not table.loc["beta_overtaken", "fitted"]
    assert np.isnan(table.loc["beta_overtaken", "std_error"])


def test_hall_comfort_enters_as_an_offset_absorbed_by_the_cutpoints():
    # A constant offset o in eta shifts every cut-point by exactly o in the MLE.
    survey = gen.make_survey(n=2000, seed=9)
    plain = calibrate(survey)
    comfy = calibrate(survey, comfort=1.0)
    shift = KNOWN.beta_comfort * (1.0 - KNOWN.comfort_reference)
    np.testing.assert_allclose(
        np.array(comfy.config.cutpoints) - np.array(plain.config.cutpoints), shift, atol=2e-3
    )
    for name in ("beta_wait_per_min", "beta_attitude", "beta_unsettled"):
        assert comfy.estimates[name] == pytest.approx(plain.estimates[name], abs=2e-3)
    # and both reproduce the same predictions once the comfort is plugged back in
    _, visits, _, _ = survey_visits(survey)
    np.testing.assert_allclose(
        rating_probabilities(visits, 1.0, comfy.config),
        rating_probabilities(visits, 0.5, plain.config),
        atol=2e-3,
    )


def test_fitted_config_plugs_straight_back_into_the_model():
    survey = pd.read_csv(SURVEY)
    result = calibrate(survey)
    rating, visits, _, _ = survey_visits(survey)
    p = rating_probabilities(visits, 0.5, result.config)
    loglik = np.log(p[np.arange(len(rating)), rating - 1]).sum()
    assert loglik == pytest.approx(result.log_likelihood, abs=1e-6)
    np.testing.assert_allclose(result.fitted_shares, p.mean(axis=0))


def test_toml_snippet_round_trips_into_a_scenario():
    result = calibrate(pd.read_csv(SURVEY), source="survey_example.csv")
    text = result.to_toml()
    table = tomllib.loads(text)["satisfaction"]
    assert SatisfactionConfig(**table) == result.config
    scenario = scenario_from_dict(
        {
            "name": "fitted",
            "matters": [
                {"name": "a", "share": 1, "service_min": {"dist": "exponential", "mean": 4}}
            ],
            "windows": [{"name": "w"}],
            "satisfaction": table,
        }
    )
    assert scenario.satisfaction == result.config
    assert "survey_example.csv" in text and "fitted, SE" in text


# ----------------------------------------------------------------- bad input


def good_survey() -> pd.DataFrame:
    return gen.make_survey(n=300, seed=2)


@pytest.mark.parametrize(
    ("mutate", "column", "words"),
    [
        (lambda s: s.drop(columns="rating"), "rating", "missing"),
        (lambda s: s.drop(columns="wait_min"), "wait_min", "missing"),
        (lambda s: s.assign(rating=s.rating.where(s.index != 4, 6)), "rating", "row 5"),
        (
            lambda s: s.assign(rating=s.rating.astype(float).where(s.index != 0, 2.5)),
            "rating",
            "whole",
        ),
        (
            lambda s: s.assign(wait_min=s.wait_min.where(s.index != 9, np.nan)),
            "wait_min",
            "missing value",
        ),
        (lambda s: s.assign(wait_min=s.wait_min.where(s.index != 2, -1.0)), "wait_min", ">= 0"),
        (
            lambda s: s.assign(wait_min=s.wait_min.astype(object).where(s.index != 3, "ten")),
            "wait_min",
            "not a number",
        ),
        (lambda s: s.assign(attitude=s.attitude.where(s.index != 1, 1.2)), "attitude", "[0, 1]"),
        (lambda s: s.assign(settled=s.settled.where(s.index != 1, 2)), "settled", "0 or 1"),
        (lambda s: s.assign(settled=1, abandoned=1), "settled", "abandoned"),
        (
            lambda s: s.assign(care=0.5, enthusiasm=0.5).drop(columns="attitude"),
            "proactiveness",
            "all four",
        ),
        (
            lambda s: s.assign(care=0.5, enthusiasm=0.5, proactiveness=0.5, responsibility=0.5),
            "attitude",
            "not both",
        ),
        (lambda s: s.assign(rating=s.rating.clip(lower=2)), "rating", "no row rated 1"),
        (
            lambda s: s.assign(overtaken=s.overtaken.astype(float).where(s.index != 0, 1.5)),
            "overtaken",
            "whole",
        ),
    ],
)
def test_bad_surveys_raise_errors_naming_the_column(mutate, column, words):
    with pytest.raises(ValueError) as info:
        calibrate(mutate(good_survey()))
    message = str(info.value)
    assert f"'{column}'" in message and words in message


def test_too_few_rows_and_empty_surveys_are_refused():
    with pytest.raises(ValueError, match="no rows"):
        calibrate(good_survey().iloc[:0])
    tiny = pd.DataFrame({"rating": [1, 2, 3, 4, 5], "wait_min": [0, 5, 15, 30, 60]})
    with pytest.raises(ValueError, match="rows"):
        calibrate(tiny)


def test_abandoner_without_attitude_is_accepted_but_served_needs_it():
    survey = good_survey()
    served = survey.index[survey.abandoned == 0][0]
    survey.loc[served, "attitude"] = np.nan
    with pytest.raises(ValueError, match="'attitude'"):
        calibrate(survey)


def test_survey_columns_match_components():
    assert set(COMPONENTS) == {"proactiveness", "responsibility", "care", "enthusiasm"}


# ----------------------------------------------------------------- the command


def run(args):
    return CliRunner().invoke(calibrate_command, args)


def test_cli_prints_coefficients_and_toml():
    result = run([str(SURVEY)])
    assert result.exit_code == 0, result.stderr
    assert "beta_wait_per_min" in result.stdout and "[satisfaction]" in result.stdout
    assert "std. error" in result.stdout
    tomllib.loads(result.stdout[result.stdout.index("# Fitted by") :])  # valid TOML tail


def test_cli_out_writes_file_and_prints_its_path_last(tmp_path):
    out = tmp_path / "fitted.toml"
    result = run([str(SURVEY), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    table = tomllib.loads(out.read_text())["satisfaction"]
    SatisfactionConfig(**table)


def test_cli_json_is_one_object(tmp_path):
    scenario = tmp_path / "hall.toml"
    scenario.write_text(
        'name = "h"\n[hall]\ncomfort = 0.9\n[[matters]]\nname = "a"\nshare = 1\n'
        'service_min = { dist = "exponential", mean = 4 }\n[[windows]]\nname = "w"\n'
        "[satisfaction]\nbeta_comfort = 0.5\n"
    )
    result = run([str(SURVEY), "--json", "--scenario", str(scenario)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["n"] == 2000 and data["scenario"] == str(scenario)
    rows = {r["coefficient"]: r for r in data["coefficients"]}
    assert rows["beta_comfort"]["estimate"] == 0.5 and rows["beta_comfort"]["std_error"] is None
    assert "[satisfaction]" in data["toml"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "file not found"),
        ("", "empty"),
        ("rating,wait\n1,2\n", "'wait_min'"),
        ("rating,wait_min\n1,2\n9,3\n", "'rating'"),
    ],
)
def test_cli_bad_input_exits_2_names_file_and_writes_nothing(tmp_path, content, words):
    survey = tmp_path / "survey.csv"
    if content is not None:
        survey.write_text(content)
    out = tmp_path / "fitted.toml"
    result = run([str(survey), "--out", str(out)])
    assert result.exit_code == 2
    assert "survey.csv" in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists()


def test_cli_bad_scenario_exits_2(tmp_path):
    scenario = tmp_path / "bad.toml"
    scenario.write_text("name = 'x'\n[satisfaction]\nbeta_wait = 1\n")
    result = run([str(SURVEY), "--scenario", str(scenario)])
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr and "satisfaction.beta_wait" in result.stderr


def test_cli_out_in_missing_directory_exits_2(tmp_path):
    result = run([str(SURVEY), "--out", str(tmp_path / "nope" / "fitted.toml")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
