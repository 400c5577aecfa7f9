"""Replications, common random numbers and sequential precision (hallsim.experiment)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hallsim.cli import entry
from hallsim.experiment import (
    ci_half_width,
    run_replications,
    run_until_precision,
    simulate,
    summarise_values,
)
from tests.conftest import day_scenario


def one_matter_hall(windows: int, rate_per_hour: float = 36, close: str = "11:00"):
    """A day from 09:00, exponential 5-min service (36/h: offered load 3 Erlang)."""
    return day_scenario(
        hall={"open": "09:00", "close": close},
        arrivals={"rate_per_hour": rate_per_hour},
        matters=[{"name": "a", "share": 1.0, "service_min": {"dist": "exponential", "mean": 5}}],
        windows=[{"name": "g", "count": windows}],
    )


def peak_hour(windows: int):
    """One peak hour at 48/h: 4 Erlang offered, so 4 windows are saturated, 5 at 80%."""
    return one_matter_hall(windows, rate_per_hour=48, close="10:00")


# --- common random numbers ---------------------------------------------------


def test_same_seed_gives_identical_arrivals_whatever_the_window_count() -> None:
    four, five = one_matter_hall(4), one_matter_hall(5)
    for rep in range(3):
        a = simulate(four, seed=11, replication=rep, log=True).log
        b = simulate(five, seed=11, replication=rep, log=True).log
        a, b = a[~a.is_return], b[~b.is_return]  # first visits are exogenous
        assert len(a) > 30
        np.testing.assert_array_equal(a.arrival_min.to_numpy(), b.arrival_min.to_numpy())
        np.testing.assert_array_equal(a.matter.to_numpy(), b.matter.to_numpy())
        # ...and the waits do differ, so the two halls really are different
        assert a.wait_min.mean() != b.wait_min.mean()


def test_a_different_replication_or_seed_gives_different_arrivals() -> None:
    hall = one_matter_hall(4)
    base = simulate(hall, seed=11, replication=0, log=True).log.arrival_min.to_numpy()
    other_rep = simulate(hall, seed=11, replication=1, log=True).log.arrival_min.to_numpy()
    other_seed = simulate(hall, seed=12, replication=0, log=True).log.arrival_min.to_numpy()
    assert not np.array_equal(base, other_rep)
    assert not np.array_equal(base, other_seed)


def _half_widths(n: int, seed: int, other_seed: int) -> tuple[float, float, float]:
    """(paired, unpaired) 95% half-widths of mean wait 5 windows - 4 windows, and rho."""
    four = run_replications(peak_hour(4), n, seed=seed).replications.wait_mean_min
    five = run_replications(peak_hour(5), n, seed=seed).replications.wait_mean_min
    five_indep = run_replications(peak_hour(5), n, seed=other_seed)
    five_indep = five_indep.replications.wait_mean_min
    diff = (five - four).to_numpy()
    paired = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
    va, vb = four.var(ddof=1) / n, five_indep.var(ddof=1) / n  # Welch interval
    dof = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1))
    unpaired = stats.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert diff.mean() < 0  # a fifth window shortens the mean wait...
    assert (diff <= 1e-9).mean() >= 0.9  # ...on (nearly) every common day
    return paired, unpaired, float(np.corrcoef(four, five)[0, 1])


def test_paired_interval_is_much_narrower_than_independent_runs() -> None:
    """Peak hour, 4 vs 5 windows, 20 replications, three independent trials.

    Var(paired difference) = s4^2 + s5^2 - 2 rho s4 s5, while independent runs
    have rho = 0, so the ratio of half-widths is about
    sqrt(1 - 2 rho k / (1 + k^2)) with k = s5 / s4.  Common arrivals and
    service draws make the two halls' mean waits move together (rho ~ 0.95);
    the saturated 4-window hall varies more than twice as much (k ~ 0.4),
    giving a ratio near sqrt(1 - 2 * 0.95 * 0.4 / 1.16) ~ 0.59; without
    common random numbers it would be ~ 1.  (The unequal spread is what limits the gain:
    k -> 1 would let the ratio fall towards sqrt(1 - rho).)
    """
    ratios = []
    for seed in (1, 2, 3):
        paired, unpaired, rho = _half_widths(20, seed, other_seed=100 + seed)
        assert rho > 0.7
        assert paired < unpaired
        ratios.append(paired / unpaired)
    assert np.mean(ratios) < 0.7


# --- sequential precision ----------------------------------------------------


def _hw(df: pd.DataFrame, metric: str, n: int) -> float:
    return ci_half_width(df[metric].iloc[:n])


def test_ci_half_width_matches_summarise_values() -> None:
    x = [1.0, 2.0, 4.0, float("nan"), 7.0]
    s = summarise_values(x)
    assert ci_half_width(x) == pytest.approx((s["ci_high"] - s["ci_low"]) / 2)
    assert ci_half_width([3.0]) == math.inf


def test_precision_stops_at_the_first_replication_count_meeting_the_target() -> None:
    hall = one_matter_hall(4)
    pilot = run_replications(hall, 5, seed=3).replications
    target = _hw(pilot, "wait_mean_min", 5) / 2  # about 4x the pilot's replications
    res = run_until_precision(hall, "wait_mean_min", target, max_replications=200, batch=4, seed=3)
    reps = res.replications
    n = len(reps)
    assert 5 < n < 200
    assert _hw(reps, "wait_mean_min", n) <= target
    assert _hw(reps, "wait_mean_min", n - 1) > target  # one fewer was not enough
    # the replications used are exactly 0..n-1 of a fixed-count experiment
    pd.testing.assert_frame_equal(reps, run_replications(hall, n, seed=3).replications)
    # the summary reports the interval over those n replications
    s = res.summary["wait_mean_min"]
    assert (s["ci_high"] - s["ci_low"]) / 2 <= target


def test_precision_result_does_not_depend_on_workers_or_batch() -> None:
    hall = one_matter_hall(4)
    a = run_until_precision(hall, "wait_mean_min", 0.2, relative=True, batch=3, seed=5)
    b = run_until_precision(hall, "wait_mean_min", 0.2, relative=True, workers=2, seed=5)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    n = len(a.replications)
    mean = a.summary["wait_mean_min"]["mean"]
    assert _hw(a.replications, "wait_mean_min", n) <= 0.2 * abs(mean)
    prev = a.replications.wait_mean_min.iloc[: n - 1]
    assert ci_half_width(prev) > 0.2 * abs(prev.mean())


def test_precision_stops_at_the_maximum_when_the_target_is_out_of_reach() -> None:
    res = run_until_precision(one_matter_hall(4), "wait_mean_min", 1e-6, max_replications=12)
    assert len(res.replications) == 12
    assert _hw(res.replications, "wait_mean_min", 12) > 1e-6


def test_run_precision_on_the_command_line(capsys, tmp_path) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text(
        'name = "p"\n[hall]\nopen = "09:00"\nclose = "11:00"\n[arrivals]\nrate_per_hour = 36\n'
        '[[matters]]\nname = "a"\nshare = 1.0\n'
        'service_min = { dist = "exponential", mean = 5 }\n'
        '[[windows]]\nname = "g"\ncount = 4\n'
    )
    code = entry(
        ["run", str(hall), "--precision", "15%", "--json", "-w", "1", "--out", str(tmp_path / "o")]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    obj = json.loads(out)
    w = obj["metrics"]["wait_mean_min"]
    assert (w["ci_high"] - w["ci_low"]) / 2 <= 0.15 * w["mean"] + 1e-12
    assert f"precision: {obj['replications']} replications used" in err

    code = entry(["run", str(hall), "--precision", "-3"])
    _, err = capsys.readouterr()
    assert code == 2 and "--precision" in err


def test_the_readme_python_api_is_importable_from_the_package() -> None:
    import hallsim

    for name in ("load_scenario", "simulate", "run_replications", "run_sweep", "compare"):
        assert hasattr(hallsim, name), name
        assert name in hallsim.__all__


def test_run_experiment_is_a_deprecated_name_of_run_replications() -> None:
    import hallsim

    with pytest.warns(DeprecationWarning, match="run_replications"):
        old = hallsim.run_experiment
    assert old is hallsim.run_replications
    assert "run_experiment" not in hallsim.__all__


def test_compare_api_pairs_scenarios_and_judges_the_wait() -> None:
    """hallsim.compare: common random numbers (the same seed for all), a paired interval
    per metric and a verdict consistent with it; comparing a scenario with itself gives
    differences of exactly 0."""
    import hallsim

    from .conftest import day_scenario

    a = day_scenario()
    b = a.with_changes({"windows.0.count": a.windows[0].count + 2, "name": "more"})
    c = hallsim.compare([a, b], replications=4, seed=7)
    assert [r.scenario.name for r in c.results] == [a.name, "more"]
    assert c.seed == 7 and all(r.seed == 7 for r in c.results)
    wait = next(d for d in c.differences if d["metric"] == "wait_mean_min")
    assert wait["mean"] == pytest.approx(
        c.results[1].summary["wait_mean_min"]["mean"]
        - c.results[0].summary["wait_mean_min"]["mean"]
    )
    (v,) = c.wait_verdicts()
    assert v["verdict"] == (
        "shorter" if v["ci_high"] < 0 else "longer" if v["ci_low"] > 0 else "no clear difference in"
    )
    same = hallsim.compare([a, a.with_changes({"name": "copy"})], replications=3, seed=7)
    assert all(d["mean"] in (0.0, None) for d in same.differences)
    with pytest.raises(ValueError, match="distinct"):
        hallsim.compare([a, a], replications=2)
