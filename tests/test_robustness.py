"""The robustness check and the return-visit decomposition (issue 16 §2, §5)."""

from __future__ import annotations

import numpy as np
import pytest

from hallsim import robustness as rb
from hallsim.experiment import run_replications, trace_replication

from .conftest import day_scenario

REPS = 4


def _staff(name: str, attitude: float, count: int = 3):
    return day_scenario(
        name=name,
        windows=[{"name": "g", "count": count, "attitude": attitude}],
        attitude_effects={"fcr_base": 0.6, "fcr_per_unit": 0.3, "return_delay_min": 20},
        arrivals={"rate_per_hour": 45},
    )


def test_returns_off_removes_return_visits_and_keeps_the_random_numbers() -> None:
    low, high = _staff("low", 0.3), _staff("high", 0.9)
    off_low, off_high = rb.returns_off(low), rb.returns_off(high)
    for sc in (off_low, off_high):
        tr = trace_replication(sc, 3, 0)
        assert not tr.is_return.any()
    # without returns the ticket stream no longer depends on resolution: the same
    # citizens arrive at both (common random numbers), and the same as the candidates
    # kept for the worse hall
    a = trace_replication(off_low, 3, 0).arrival_min
    b = trace_replication(off_high, 3, 0).arrival_min
    np.testing.assert_array_equal(a, b)
    # a hall without attitude effects has nothing to switch off
    plain = day_scenario(attitude_effects={"enabled": False})
    assert rb.returns_off(plain) is plain


def test_decomposition_parts_add_up_and_training_gains_through_fewer_returns() -> None:
    scenarios = [_staff("low", 0.3), _staff("high", 0.9)]
    waits = [
        run_replications(sc, REPS, seed=5).replications["wait_mean_min"].to_numpy()
        for sc in scenarios
    ]
    (row,) = rb.wait_decomposition(scenarios, waits, seed=5)
    assert row["total"] == pytest.approx(row["returns"] + row["rest"], abs=1e-12)
    assert row["total"] == pytest.approx(float(np.mean(waits[1] - waits[0])))
    # better attitude settles more: fewer tickets and fewer same-day returns
    assert row["returns"] < 0
    for key in ("total", "returns", "rest"):
        lo, hi = row[f"{key}_ci"]
        assert lo <= row[key] <= hi


def test_robustness_finds_the_value_where_the_ranking_flips() -> None:
    # no attitude effects on the queue; every minute of wait counts.  "kind" has
    # better clerks, "quick" a third window.  With beta_attitude = 0 only waiting
    # matters (quick wins on CSAT); at 5 an attitude gap of 0.6 is worth 3 logits.
    common = {
        "attitude_effects": {"enabled": False},
        "satisfaction": {"desired_wait_min": 0.0, "adequate_wait_min": 0.0},
        "arrivals": {"rate_per_hour": 50},
    }
    kind = day_scenario(name="kind", windows=[{"name": "g", "count": 2, "attitude": 0.9}], **common)
    quick = day_scenario(
        name="quick", windows=[{"name": "g", "count": 3, "attitude": 0.3}], **common
    )
    values = (0.0, 2.25, 5.0)
    check = rb.check(
        [kind, quick],
        REPS,
        seed=2,
        metrics=("wait_mean_min", "csat"),
        assumptions=(rb.Assumption("satisfaction.beta_attitude", values, False, "test"),),
    )
    ranks = {r["value"]: check.ranking(r["values"], "csat")[0] for r in check.rows}
    assert ranks[0.0] == "quick" and ranks[5.0] == "kind"
    verdicts = {v["metric"]: v for v in check.verdicts()}
    assert verdicts["wait_mean_min"]["robust"] and verdicts["wait_mean_min"]["best"] == "quick"
    assert not verdicts["csat"]["robust"]
    assert "under every assumption tried" in check.sentence()
    assert "unless beta_attitude" in check.sentence()
    # re-rating at the base value reproduces the simulated metrics exactly
    base_row = next(r for r in check.rows if r["value"] == 2.25)
    np.testing.assert_allclose(base_row["values"]["csat"], check.base["csat"], rtol=1e-12)
    # the tornado spans the paired difference from the lowest to the highest value
    (bar,) = check.tornado("csat", "quick")
    assert bar["low"] > 0 > bar["high"]
    assert bar["low_value"] == 0.0 and bar["high_value"] == 5.0


def test_every_assumption_names_a_real_setting_and_its_base_lies_in_range() -> None:
    sc = day_scenario()
    for a in rb.ASSUMPTIONS:
        for v in a.values:
            rb.with_assumption(sc, a.name, v)  # valid for a default hall
        base = rb.base_value(sc, a.name)
        if isinstance(base, float | int) and not isinstance(base, bool):
            assert min(a.values) <= base <= max(a.values), a.name
        else:
            assert base in a.values, a.name


SMALL = """
name = "{name}"
[run]
replications = 2
seed = 3
[hall]
open = "09:00"
close = "10:30"
[arrivals]
rate_per_hour = 40
[[matters]]
name = "a"
share = 1
service_min = {{ dist = "exponential", mean = 5 }}
[[windows]]
name = "w"
count = {count}
attitude = {attitude}
"""


def _result(means: dict[float, list[float]], base: list[float]) -> rb.RobustnessResult:
    """A check over three scenarios with given mean waits (two replications each)."""
    names = ["base", "trained", "window"]

    def table(m: list[float]) -> dict[str, np.ndarray]:
        return {"wait_mean_min": np.repeat(np.array(m, dtype=float)[:, None], 2, axis=1)}

    out = rb.RobustnessResult(names, ("wait_mean_min",), table(base))
    for value, m in means.items():
        out.rows.append(
            {
                "assumption": "attitude_effects.fcr_base",
                "value": value,
                "base": 0.75,
                "queue": True,
                "values": table(m),
            }
        )
    return out


def test_ranking_changes_behind_an_unchanged_best_are_reported_nearest_the_base() -> None:
    # the window stays best; trained and base swap at fcr_base 0.65 and 0.7
    check = _result(
        {0.65: [3.0, 4.0, 1.0], 0.7: [3.9, 4.0, 1.0], 0.8: [5.0, 3.0, 1.0]}, [5.0, 3.0, 1.0]
    )
    (v,) = check.verdicts()
    assert v["robust"] and v["best"] == "window"
    assert v["ranking"] == ["window", "trained", "base"]
    assert not v["ranking_robust"]
    (c,) = v["ranking_changes"]
    assert c["value"] == 0.7 and c["ranking"] == ["window", "base", "trained"]
    assert "window is best on mean wait under every assumption tried" in check.sentence()
    assert "order behind it changes at fcr_base = 0.7" in check.sentence()
    zh = check.sentence_zh()
    assert "window 在平均等候时长上都最好" in zh and "fcr_base = 0.7" in zh


def test_a_ranking_that_never_changes_is_said_so_in_both_languages() -> None:
    check = _result({0.65: [6.0, 3.0, 1.0], 0.85: [4.0, 3.5, 1.0]}, [5.0, 3.0, 1.0])
    (v,) = check.verdicts()
    assert v["robust"] and v["ranking_robust"] and v["ranking_changes"] == []
    assert check.sentence().endswith("the full ranking of the 3 scenarios never changes")
    assert check.sentence_zh().endswith("3 个方案的完整排序从未改变")
    # a new winner is reported as a change of the best, in both languages
    flip = _result({0.65: [1.0, 3.0, 2.0]}, [5.0, 3.0, 1.0])
    assert "window is best on mean wait unless fcr_base = 0.65 (then base)" in flip.sentence()
    assert "除非 fcr_base = 0.65（此时 base 最好）" in flip.sentence_zh()


def test_compare_robustness_reaches_summary_json_report_and_tornado(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from hallsim.cli import main
    from hallsim.plots import plot_tornado
    from hallsim.report import build_report

    # one queue assumption and two satisfaction ones keep the test fast; every entry of
    # ASSUMPTIONS is checked for validity above
    monkeypatch.setattr(
        rb,
        "ASSUMPTIONS",
        tuple(
            a
            for a in rb.ASSUMPTIONS
            if a.name
            in (
                "attitude_effects.return_same_day_share",
                "satisfaction.beta_attitude",
                "satisfaction.baseline",
            )
        ),
    )

    files = []
    for name, count, attitude in (("base", 3, 0.5), ("trained", 3, 0.8), ("more", 4, 0.5)):
        f = tmp_path / f"{name}.toml"
        f.write_text(SMALL.format(name=name, count=count, attitude=attitude))
        files.append(str(f))
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        main, ["compare", *files, "--robustness", "-q", "-w", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    assert "under every assumption tried" in result.output or "unless" in result.output
    assert "Robustness (" in result.output  # the Chinese line with --lang zh (hallsim.i18n)
    assert "from return visits" in result.output
    import json

    summary = json.loads((out / "summary.json").read_text())
    check = summary["robustness"]
    assert check["sentence"] and check["sentence_zh"] and len(check["verdicts"]) >= 3
    assert {r["assumption"] for r in check["rows"]} == {a.name for a in rb.ASSUMPTIONS}
    # --json prints the same check and the return-visit split
    printed = CliRunner().invoke(
        main,
        ["compare", *files, "--robustness", "--json", "-w", "1", "--out", str(tmp_path / "j")],
    )
    assert printed.exit_code == 0, printed.output
    obj = json.loads(printed.stdout)
    assert obj["robustness"]["sentence"] == check["sentence"]
    assert obj["wait_decomposition"] == summary["wait_decomposition"]
    assert {d["scenario"] for d in summary["wait_decomposition"]} == {"trained", "more"}
    # every metric block says whether it is a prediction
    block = summary["metrics"]["base"]
    assert block["csat"]["predicted"] is True and block["rating_3"]["predicted"] is True
    assert block["wait_mean_min"]["predicted"] is False
    fig = plot_tornado(out, "csat")
    assert len(fig.axes) == 2  # one panel per compared scenario
    html = build_report(out)
    assert "Does the advice survive the assumptions?" in html
    assert "fcr_per_unit" in html and "return_same_day_share" in html  # attitude coefficients
    assert "Where the difference in mean wait comes from" in html
    assert check["sentence"] in html and "ranking changes at" in html
    assert check["sentence_zh"] in build_report(out, lang="zh")  # the report in Chinese
