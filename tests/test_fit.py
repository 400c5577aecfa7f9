"""hallsim fit / backtest: logs from a known scenario, fitted back; malformed input → exit 2."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from hallsim.backtest import backtest
from hallsim.cli import entry
from hallsim.fit import FitOptions, fit, fit_patience, to_toml
from hallsim.scenario import ScenarioError, scenario_from_dict
from hallsim.testing import messy, simulated_log, write_log
from hallsim.ticketlog import read_log

# ruff: noqa: E501  (log rows are kept whole, as a ticket system writes them)

BANK = Path(__file__).resolve().parents[2] / "shared/data/anonymous-bank-1999/february.txt"

TRUE = {
    "rate": 60.0,
    "shares": {"a": 0.6, "b": 0.4},
    "service": {"a": (6.0, 0.8), "b": (3.0, 1.2)},  # lognormal mean, cv
    "patience": {"a": 10.0, "b": 4.0},  # exponential means
}


def known(windows: int = 5):
    return scenario_from_dict(
        {
            "name": "known",
            "hall": {"open": "09:00", "close": "15:00", "period_min": 60},
            "arrivals": {"rate_per_hour": TRUE["rate"]},
            "matters": [
                {
                    "name": m,
                    "share": TRUE["shares"][m],
                    "service_min": {"dist": "lognormal", "mean": mc[0], "cv": mc[1]},
                    "renege_min": {"dist": "exponential", "mean": TRUE["patience"][m]},
                }
                for m, mc in TRUE["service"].items()
            ],
            "windows": [{"name": "all", "count": windows}],
            "attitude_effects": {"enabled": False},
        }
    )


def _fit(tmp_path: Path, seed: int, days: int = 8, name: str = "log.csv"):
    path = write_log(simulated_log(known(), days=days, seed=seed), tmp_path / name)
    return fit(read_log([path], "qms-zh"), FitOptions(days="all", period=60, name="refit"))


def test_fit_recovers_the_generating_scenario_over_seeds(tmp_path: Path) -> None:
    """Rates, shares, lognormal mean and cv, censored patience: intervals cover the truth
    at about their nominal rate (95%) over repeated logs."""
    hits = {"share": 0, "svc_mean": 0, "svc_cv": 0, "pat": 0}
    seeds = range(1, 9)
    naive_low = 0
    for seed in seeds:
        res = _fit(tmp_path, seed, name=f"s{seed}.csv")
        sc = scenario_from_dict(tomllib.loads(to_toml(res)))  # it validates
        rates = np.array(list(sc.arrivals.rate_per_hour.values()))
        # 8 days x 60/h: each hourly mean has sd sqrt(60/8) = 2.7
        assert np.all(np.abs(rates - TRUE["rate"]) < 5 * math.sqrt(60 / 8))
        m = res.tables["matters"].set_index("matter")
        for name in ("a", "b"):
            lo, hi = (
                float(x)
                for x in res.comments[f"matters.{list(m.index).index(name)}.share"]
                .split("[")[1]
                .rstrip("]")
                .split(",")
            )
            hits["share"] += lo <= TRUE["shares"][name] <= hi
            ln = next(f for f in res.service_fits[name] if f.dist == "lognormal")
            mean, cv = TRUE["service"][name]
            hits["svc_mean"] += ln.mean_ci[0] <= mean <= ln.mean_ci[1]
            hits["svc_cv"] += ln.cv_ci[0] <= cv <= ln.cv_ci[1]
            ex = next(f for f in res.patience_fits[name] if f.dist == "exponential")
            hits["pat"] += ex.mean_ci[0] <= TRUE["patience"][name] <= ex.mean_ci[1]
            naive_low += m.loc[name, "patience_naive_mean"] < 0.7 * TRUE["patience"][name]
    n = 2 * len(seeds)
    for key, k in hits.items():  # nominal 15.2 of 16; 12 or fewer has probability < 1%
        assert k >= 13, (key, k)
    assert naive_low == n  # abandoners alone always understate patience


def test_naive_patience_is_biased_censored_is_not() -> None:
    """Exponential patience (mean 10) censored by exponential waits (mean 5): the
    abandoners' mean wait estimates E[min(P, W)] = 1 / (1/10 + 1/5) = 3.33, not 10."""
    rng = np.random.default_rng(3)
    p, w = rng.exponential(10, 20000), rng.exponential(5, 20000)
    abandoned = p < w
    wait = np.minimum(p, w)
    naive = wait[abandoned].mean()
    assert naive == pytest.approx(1 / (1 / 10 + 1 / 5), rel=0.05)
    fits = fit_patience(wait, abandoned)
    ex = next(f for f in fits if f.dist == "exponential")
    assert ex.aic <= fits[0].aic + 2  # the true family is (one of) the best by AIC
    assert next(f for f in fits if f.dist == "lognormal").aic > ex.aic + 10  # a wrong one is not
    lo, hi = ex.mean_ci
    assert lo <= 10 <= hi


def test_fitted_roster_and_groups(tmp_path: Path) -> None:
    res = _fit(tmp_path, 1)
    w = res.scenario["windows"]
    assert len(w) == 1 and w[0]["matters"] == ["*"]
    assert max(w[0]["staffed"].values()) <= 5  # never more than the windows that exist
    assert w[0]["count"] >= 3


def test_messy_exports_clean_and_agree(tmp_path: Path) -> None:
    base = simulated_log(known(), days=2, seed=4)
    dirty, added = messy(base, seed=1)
    gb = write_log(dirty, tmp_path / "导出.csv", encoding="gb18030")
    assert b"\xc6\xb1\xba\xc5" in gb.read_bytes()[:20]  # 票号 in GB18030
    xl = write_log(dirty, tmp_path / "export.xlsx")
    bom = write_log(dirty, tmp_path / "bom.csv", encoding="utf-8-sig")
    logs = [read_log([p], "qms-zh") for p in (gb, xl, bom)]
    for log in logs:
        d = dict(zip(log.dropped["reason"], log.dropped["rows"], strict=True))
        assert d["duplicate"] == added["duplicate"]
        assert d["missed_recalled"] == added["missed_recalled"]
        assert d["missing_call"] == added["missing_call"]
        assert d["ghost"] == added["ghost"]
        assert len(log.tickets) == len(base) - added["missing_call"] + added["late"]
        assert any("past midnight" in n for n in log.notes)
    assert logs[0].tickets["arrive"].equals(logs[1].tickets["arrive"])
    res = fit(logs[0], FitOptions(days="all", period=60, open="09:00", close="15:00"))
    d = dict(zip(res.log.dropped["reason"], res.log.dropped["rows"], strict=True))
    assert d["outside_hours"] == added["late"]


@pytest.mark.parametrize("with_returns", [False, True])
def test_round_trip_backtest_covers_observed(tmp_path: Path, with_returns: bool) -> None:
    """backtest(fit(log(scenario))): observed days fall inside the one-day bands
    (also when the log's citizen ids carry return visits)."""
    truth = returning() if with_returns else known()
    path = write_log(simulated_log(truth, days=10, seed=9), tmp_path / "log.csv")
    res = fit(read_log([path], "qms-zh"), FitOptions(days="all", period=60))
    sc = scenario_from_dict(tomllib.loads(to_toml(res)))
    bt = backtest(sc, read_log([path], "qms-zh"), replications=40, seed=2, workers=1)
    for m in ("arrived", "abandoned_share", "wait_mean_min", "utilisation"):
        assert bt.overall[m]["days_inside"] >= 0.7, m  # nominal 0.95 over 10 days
    # no interval leaves its metric's range (shares in [0, 1], the rest >= 0)
    for row in [bt.overall, *bt.periods]:
        for m in ("arrived", "abandoned_share", "wait_mean_min", "service_level", "utilisation"):
            for key in ("ci_low", "ci_high", "pi_low", "pi_high"):
                v = row[m][key]
                assert v is None or (
                    0 <= v and (v <= 1 or m in ("arrived", "wait_mean_min", "utilisation"))
                ), (m, key, v)
    # simulated total arrivals (with same-day returns) match the log's ticket counts:
    # 40 days of ~360 tickets give the mean a standard error under 1%
    arrived = bt.overall["arrived"]
    assert arrived["mean"] == pytest.approx(arrived["observed"], rel=0.03)
    inside = [
        p["wait_mean_min"]["pi_low"]
        <= p["wait_mean_min"]["observed"]
        <= p["wait_mean_min"]["pi_high"]
        for p in bt.periods
    ]
    assert sum(inside) >= len(inside) - 1
    js = bt.to_json()
    assert set(js["periods"][0]["wait_mean_min"]) >= {
        "observed",
        "mean",
        "ci_low",
        "ci_high",
        "pi_low",
        "pi_high",
    }


BAD = [
    (
        "票号,业务类型,取号时间,叫号时间,开始办理时间,办结时间,窗口号,状态\n"
        "1,a,2024-03-04 09:00:00,2024-03-04 09:01:00,2024-03-04 09:01:00,2024-03-04 09:05:00,W1,已办结\n"
        "2,a,2024-03-04 9h,,,,,弃号\n",
        "row 3, column '取号时间'",
    ),
    (
        "票号,业务类型,取号时间,叫号时间,开始办理时间,办结时间,窗口号,状态\n"
        "1,a,2024-03-04 09:00:00,2024-03-04 09:01:00,2024-03-04 09:01:00,2024-03-04 09:05:00,W1,?\n",
        "row 2, column '状态'",
    ),
    (
        "票号,事项,叫号时间,办结时间,状态\n1,a,2024-03-04 09:01:00,2024-03-04 09:05:00,已办结\n",
        "ticket_time",
    ),
    (
        "票号,业务类型,取号时间,叫号时间,开始办理时间,办结时间,窗口号,状态\n"
        "1,,2024-03-04 09:00:00,2024-03-04 09:01:00,2024-03-04 09:01:00,2024-03-04 09:05:00,W1,已办结\n",
        "row 2, column '业务类型'",
    ),
]


@pytest.mark.parametrize(("text", "named"), BAD)
def test_malformed_logs_exit_2_and_write_nothing(tmp_path: Path, capsys, text, named) -> None:
    log = tmp_path / "bad.csv"
    log.write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "s.toml"
    assert entry(["fit", str(log), "--days", "all", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and named in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("mapping", "named"),
    [
        ('[columns]\nmatter = "m"\n', "columns.ticket_time"),
        (
            '[columns]\nmatter="m"\nticket_time="t"\nend_time="e"\nstatus="s"\ncall_time="c"\n'
            '[status]\n"ok" = "done"\n',
            "status.ok",
        ),
        ('[columns]\nmattr = "m"\n', "columns.mattr"),
        ("[columns\n", "not a valid TOML"),
    ],
)
def test_malformed_mappings_exit_2(tmp_path: Path, capsys, mapping, named) -> None:
    m = tmp_path / "map.toml"
    m.write_text(mapping, encoding="utf-8")
    log = write_log(simulated_log(known(), days=1, seed=1), tmp_path / "log.csv")
    out = tmp_path / "s.toml"
    assert entry(["fit", str(log), "--map", str(m), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "map.toml" in err and named in err
    assert not out.exists()


def test_cli_fit_then_backtest_and_refuse_foreign_file(tmp_path: Path, capsys) -> None:
    log = write_log(simulated_log(known(), days=3, seed=2), tmp_path / "log.csv")
    out = tmp_path / "hall.toml"
    assert entry(["fit", str(log), "--days", "all", "--period", "60", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith(str(out))
    assert (tmp_path / "hall_fit" / "report.html").exists()
    assert entry(["validate", str(out)]) == 0
    assert entry(["fit", str(log), "--days", "all", "--out", str(out)]) == 0  # ours: replaced
    foreign = tmp_path / "mine.toml"
    foreign.write_text("precious", encoding="utf-8")
    capsys.readouterr()
    assert entry(["fit", str(log), "--days", "all", "--out", str(foreign)]) == 2
    assert foreign.read_text(encoding="utf-8") == "precious"
    assert (
        entry(["backtest", str(out), str(log), "--days", "all", "-r", "4", "-w", "1", "--json"])
        == 0
    )
    import json

    js = json.loads(capsys.readouterr().out)
    assert {"overall", "periods"} <= set(js) and "wait_mean_min" in js["overall"]


def test_per_matter_patience_is_validated() -> None:
    data = {
        "name": "x",
        "matters": [
            {
                "name": "a",
                "share": 1.0,
                "service_min": {"dist": "exponential", "mean": 3},
                "renege_min": {"dist": "lognormal", "mean": 3},
            }
        ],
        "windows": [{"name": "w", "count": 1}],
    }
    with pytest.raises(ScenarioError, match=r"matters\.0\.renege_min"):
        scenario_from_dict(data)


@pytest.mark.skipif(not BANK.exists(), reason="the real Anonymous Bank log is not present")
def test_real_bank_log_reads_as_documented() -> None:
    log = read_log([BANK], "anonymous-bank")
    t = log.tickets
    served = t["outcome"] == "served"
    assert 30000 < len(t) < 31200  # ~31,100 asked for an agent, minus zero-length services
    assert 0.12 < (t["outcome"] == "abandoned").mean() < 0.135  # README: about 12.7%
    wait = (t["call"] - t["arrive"])[served] * 60
    assert 35 < wait.mean() < 46  # README: 41 s


# --------------------------------------------------------------------------- returns, ratings


def returning(fcr: float = 0.8, same_day: float = 0.5, delay: float = 60.0):
    """known() with return visits: attitude effects on, every attitude effect neutral."""
    sc = known()
    return sc.with_changes(
        {
            "attitude_effects": {
                "enabled": True,
                "fcr_base": fcr,
                "fcr_per_unit": 0.0,
                "care_time_per_unit": 0.0,
                "rework_time_per_unit": 0.0,
                "return_same_day_share": same_day,
                "return_delay_min": delay,
            }
        }
    )


def test_returns_from_citizen_ids_recover_fcr_share_and_delay(tmp_path: Path) -> None:
    """The generator's ids carry the model's return visits: the fit finds the scenario's
    first-contact resolution, same-day share and delay, and writes them as returns."""
    truth = returning()
    path = write_log(simulated_log(truth, days=10, seed=5), tmp_path / "ret.csv")
    res = fit(read_log([path], "qms-zh"), FitOptions(days="all", period=60, return_days=1))
    text = to_toml(res)
    sc = scenario_from_dict(tomllib.loads(text))
    ae = sc.attitude_effects
    n_fcr = int(res.comments["attitude_effects.fcr_base"].split("n=")[1].split()[0])
    assert abs(ae.fcr_base - 0.8) < 3 * math.sqrt(0.8 * 0.2 / n_fcr)  # 3 binomial sd
    possible = float(
        res.comments["attitude_effects.return_same_day_share"].split("divided by ")[1].split(",")[0]
    )
    assert abs(ae.return_same_day_share - 0.5) < 3 * math.sqrt(0.25 / possible)
    assert ae.return_delay_min == pytest.approx(60, abs=1 / 60)  # ids paired to the second
    # neutral attitude: only the fitted returns act; ticket counts include the returns
    assert ae.enabled and ae.fcr_per_unit == 0 and ae.care_time_per_unit == 0
    assert ae.rework_time_per_unit == 0
    # only served citizens return, so counted_fcr sits above the FCR (see the round trip)
    assert sc.arrivals.include_returns and ae.fcr_base <= sc.arrivals.counted_fcr <= 1
    assert "# first-contact resolution: n=" in text and "Wilson" in text


def test_no_returns_in_the_log_leaves_attitude_effects_off(tmp_path: Path) -> None:
    res = _fit(tmp_path, 2, days=3)
    assert res.scenario["attitude_effects"] == {"enabled": False}
    assert any("return visits" in n and "0 of" in n for n in res.notes)
    off = fit(
        read_log([tmp_path / "log.csv"], "qms-zh"),
        FitOptions(days="all", period=60, return_days=0),
    )
    assert not any("return visits" in n for n in off.notes)


def test_satisfaction_calibrated_from_ratings(tmp_path: Path) -> None:
    """Ratings drawn from the default satisfaction model: the fitted abandonment
    coefficient's interval covers the default, and the values land in [satisfaction]."""
    from hallsim.satisfaction import SatisfactionConfig
    from hallsim.testing import add_ratings

    base = SatisfactionConfig()
    log = add_ratings(simulated_log(known(), days=6, seed=3), base, share=0.6, seed=2)
    path = write_log(log, tmp_path / "rated.csv")
    res = fit(read_log([path], "qms-zh"), FitOptions(days="all", period=60))
    text = to_toml(res)
    sc = scenario_from_dict(tomllib.loads(text))
    assert "[satisfaction]" in text and "ordered logit MLE (hallsim calibrate)" in text
    c = res.comments["satisfaction.beta_abandoned"]
    lo, hi = (float(v) for v in c.split("95% [")[1].split("]")[0].split(","))
    assert lo <= base.beta_abandoned <= hi
    assert sc.satisfaction.beta_abandoned == pytest.approx(
        res.scenario["satisfaction"]["beta_abandoned"]
    )
    assert list(sc.satisfaction.cutpoints) == res.scenario["satisfaction"]["cutpoints"]
    # too few ratings: says so and keeps the defaults
    few = add_ratings(simulated_log(known(), days=1, seed=3), base, share=0.05, seed=2)
    res2 = fit(
        read_log([write_log(few, tmp_path / "few.csv")], "qms-zh"),
        FitOptions(days="all", period=60),
    )
    assert "satisfaction" not in res2.scenario
    assert any("satisfaction not calibrated: only" in n for n in res2.notes)


# --------------------------------------------------------------------------- options


def test_days_specs_select_the_right_days() -> None:
    import pandas as pd

    from hallsim.fit import select_days

    days = pd.Series(pd.date_range("2024-03-01", "2024-03-31"))  # 2024-03-01 is a Friday
    assert select_days(days, "all").sum() == 31
    assert select_days(days, "weekdays").sum() == 21
    assert select_days(days, "2024-03-04..2024-03-10").sum() == 7
    sel = days[select_days(days, "Mon,Tue")]
    assert set(sel.dt.day_name()) == {"Monday", "Tuesday"} and len(sel) == 8
    assert select_days(days, "sat").sum() == 5
    for bad in ("Funday", "2024-03-10..2024-03-01", "2024-13-01..2024-13-02", ""):
        with pytest.raises(ValueError, match="--days"):
            select_days(days, bad)


def test_level_p90_scales_to_the_busy_day(tmp_path: Path) -> None:
    log = write_log(simulated_log(known(), days=8, seed=6), tmp_path / "log.csv")
    mean = fit(read_log([log], "qms-zh"), FitOptions(days="all", period=60))
    p90 = fit(read_log([log], "qms-zh"), FitOptions(days="all", period=60, level="p90"))
    totals = mean.tables["days"]["tickets"].to_numpy()
    ratio = np.quantile(totals, 0.9) / totals.mean()
    r_mean = np.array(list(mean.scenario["arrivals"]["rate_per_hour"].values()))
    r_p90 = np.array(list(p90.scenario["arrivals"]["rate_per_hour"].values()))
    assert r_p90 == pytest.approx(r_mean * ratio, rel=1e-3)
    assert "p90 day" in p90.comments["arrivals.rate_per_hour"]


def test_every_fitted_value_has_its_comment(tmp_path: Path) -> None:
    """n, an interval and the method beside the arrival rates, shares, services, patience."""
    text = to_toml(_fit(tmp_path, 3, days=3))
    lines = text.splitlines()
    for key in ("rate_per_hour", "share", "service_min", "renege_min"):
        idx = [i for i, line in enumerate(lines) if line.startswith(f"{key} = ")]
        assert idx, key
        for i in idx:
            above = lines[i - 1]
            assert (above.startswith("# ") and "n=" in above) or "abandoned" in above, (key, above)
            assert "95%" in above or "pooled" in above, (key, above)


# --------------------------------------------------------------------------- writing


def test_fit_writes_scenario_and_report_as_hallsim_files(tmp_path: Path, capsys) -> None:
    from hallsim.resultsdir import RECORD

    log = write_log(simulated_log(known(), days=2, seed=2), tmp_path / "log.csv")
    out = tmp_path / "hall.toml"
    assert entry(["fit", str(log), "--days", "all", "--period", "60", "--out", str(out)]) == 0
    report = tmp_path / "hall_fit"
    names = {p.name for p in report.iterdir()}
    assert {"report.html", "arrivals.png", "service_qq.png", "patience.png", "roster.png"} <= names
    assert RECORD in names and not [n for n in names if n.startswith(".hallsim-tmp")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    # a hand-written scenario that merely mentions hallsim is still the user's
    mine = tmp_path / "mine.toml"
    mine.write_text('# my hallsim scenario\nname = "x"\n', encoding="utf-8")
    assert entry(["fit", str(log), "--days", "all", "--out", str(mine)]) == 2
    assert mine.read_text(encoding="utf-8").startswith("# my hallsim")
    assert not (tmp_path / "mine_fit").exists()
    # a foreign report folder is refused before anything is written
    (tmp_path / "other_fit").mkdir()
    (tmp_path / "other_fit" / "notes.txt").write_text("mine", encoding="utf-8")
    assert entry(["fit", str(log), "--days", "all", "--out", str(tmp_path / "other.toml")]) == 2
    assert "not a hallsim results folder" in capsys.readouterr().err
    assert not (tmp_path / "other.toml").exists()
    # --force writes beside the user's file, never over it
    assert (
        entry(["fit", str(log), "--days", "all", "--force", "--out", str(tmp_path / "other.toml")])
        == 0
    )
    assert (tmp_path / "other_fit" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_backtest_out_is_a_results_folder(tmp_path: Path, capsys) -> None:
    import json

    from hallsim.resultsdir import RECORD, ResultsFolder

    log = write_log(simulated_log(known(), days=2, seed=2), tmp_path / "log.csv")
    sc = tmp_path / "hall.toml"
    assert entry(["fit", str(log), "--days", "all", "--period", "60", "--out", str(sc)]) == 0
    out = tmp_path / "bt"
    args = ["backtest", str(sc), str(log), "--days", "all", "-r", "3", "-w", "1", "--out", str(out)]
    assert entry(args) == 0
    rec = json.loads((out / RECORD).read_text(encoding="utf-8"))
    assert rec["kind"] == "backtest" and rec["complete"] is True
    assert set(rec["files"]) == {"backtest.json", "backtest.csv", "plots/backtest.png"}
    assert entry(args) == 0  # its own folder: replaced
    # a second writer into a folder in use exits 2 and changes nothing
    before = (out / "backtest.json").read_bytes()
    with ResultsFolder(out, "backtest", replace=False).open():  # another writer holds it
        capsys.readouterr()
        assert entry(args) == 2
        assert "another hallsim command" in capsys.readouterr().err
    assert (out / "backtest.json").read_bytes() == before
    # a foreign non-empty folder: refused (before simulating), --force writes beside
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "backtest.json").write_text("precious", encoding="utf-8")
    fargs = [*args[:-1], str(foreign)]
    assert entry(fargs) == 2
    assert entry([*fargs, "--force"]) == 2  # --force never overwrites the user's file
    assert (foreign / "backtest.json").read_text(encoding="utf-8") == "precious"
    # a bad log writes nothing, not even the folder
    bad = tmp_path / "bad.csv"
    bad.write_text("票号,业务类型\n1,a\n", encoding="utf-8")
    assert entry([*args[:3], str(bad), *args[4:-1], str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()
    # plot --kind backtest (the default for a backtest folder) draws from backtest.json
    capsys.readouterr()
    assert entry(["plot", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith("backtest.png")
    assert entry(["plot", str(out), "--kind", "backtest", "--out", str(tmp_path / "b.svg")]) == 0
    assert "<svg" in (tmp_path / "b.svg").read_text(encoding="utf-8")
    assert entry(["plot", str(tmp_path), "--kind", "backtest"]) == 2  # no backtest.json


@pytest.mark.parametrize(
    ("name", "data", "named"),
    [
        ("x.xlsx", b"not a workbook", "not a readable XLSX"),
        (
            "bad.csv",
            "票号,业务类型,取号时间,办结时间,状态,叫号时间\n1,a,2024-03-04 09:00:00,2024-03-04 09:05:00,已办结,2024-03-04 09:01:00\n".encode(
                "utf-16"
            ),
            "neither UTF-8 nor GB18030",
        ),
        ("bad.csv", b"", "empty file"),
        (
            "bad.csv",
            "日期,业务类型,取号时间,叫号时间,办结时间,状态\n2024-03-04,a,9:00,9:01,9:05,已办结\n2024-13-45,a,9:00,9:01,9:05,已办结\n".encode(),
            "row 3, column '日期'",
        ),
        (
            "bad.csv",
            "日期,业务类型,取号时间,叫号时间,办结时间,状态\n2024-03-04,a,9:00,9:01,9:75,已办结\n".encode(),
            "row 2, column '办结时间'",
        ),
        (
            "bad.csv",
            "票号,业务类型,取号时间,叫号时间,办结时间,状态,评价\n1,a,2024-03-04 09:00:00,2024-03-04 09:01:00,2024-03-04 09:05:00,已办结,9\n".encode(),
            "row 2, column '评价'",
        ),
    ],
)
def test_more_malformed_logs_exit_2(tmp_path: Path, capsys, name, data, named) -> None:
    log = tmp_path / name
    log.write_bytes(data)
    out = tmp_path / "o" / "s.toml"
    assert entry(["fit", str(log), "--days", "all", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert name in err and named in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_options_exit_2(tmp_path: Path, capsys) -> None:
    log = write_log(simulated_log(known(), days=1, seed=1), tmp_path / "log.csv")
    for extra, named in (
        (["--days", "Funday"], "--days"),
        (["--level", "p999"], "--level"),
        (["--open", "25:00"], "--open"),
        (["--days", "2030-01-01..2030-01-02"], "no tickets"),
    ):
        assert entry(["fit", str(log), *extra, "--out", str(tmp_path / "s.toml")]) == 2
        assert named in capsys.readouterr().err
    assert not (tmp_path / "s.toml").exists() and not (tmp_path / "s_fit").exists()


def test_roster_file_overrides_the_estimate(tmp_path: Path, capsys) -> None:
    log = write_log(simulated_log(known(), days=2, seed=2), tmp_path / "log.csv")
    roster = tmp_path / "roster.toml"
    roster.write_text('[staffed]\n"09:00" = 3\n"12:00" = 4\n', encoding="utf-8")
    out = tmp_path / "hall.toml"
    args = ["fit", str(log), "--days", "all", "--period", "60", "--out", str(out)]
    assert entry([*args, "--roster-file", str(roster)]) == 0
    sc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert sc["windows"][0]["staffed"] == {"09:00": 3, "12:00": 4}
    assert sc["windows"][0]["count"] == 4
    assert "roster given in" in out.read_text(encoding="utf-8")
    for text, named in (
        ('[staffed]\n"9h" = 3\n', "staffed.9h"),
        ('[staffed]\n"09:00" = -1\n', "staffed.09:00"),
        ('[staffed.hall9]\n"09:00" = 2\n', "staffed.hall9"),
        ("[other]\n", "[staffed]"),
    ):
        roster.write_text(text, encoding="utf-8")
        capsys.readouterr()
        assert entry([*args[:-1], str(tmp_path / "x.toml"), "--roster-file", str(roster)]) == 2
        err = capsys.readouterr().err
        assert "roster.toml" in err and named in err
        assert not (tmp_path / "x.toml").exists()
