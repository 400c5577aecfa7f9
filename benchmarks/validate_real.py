"""Fit the Anonymous Bank call-centre log (February 1999) and backtest it.

    python benchmarks/validate_real.py PATH/february.txt [-r 50] [--workers 2]

Fits the working days (Sunday–Thursday) with hourly periods, once per roster
estimator, backtests each fitted scenario on the same days, and prints the
Markdown table of docs/fitting.md (overall mean wait, abandonment, per-hour
correlations and coverage).  The log itself is not part of hallsim: it is the
data set of Brown et al. (2005), distributed by the Technion SEE lab; cite
them when you use it.
"""

from __future__ import annotations

import argparse
import tomllib

from hallsim.backtest import backtest, table
from hallsim.fit import FitOptions, fit, restrict, to_toml
from hallsim.scenario import scenario_from_dict
from hallsim.ticketlog import read_log


def markdown(df) -> str:
    def f(x):
        return f"{x:.3g}" if isinstance(x, float) else str(x)

    rows = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    rows += ["| " + " | ".join(f(x) for x in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(rows)


def run(path, roster, reps, workers, day_load="observed", short=5.0, return_days=7):
    opts = FitOptions(
        days="Sun,Mon,Tue,Wed,Thu",
        period=60,
        roster=roster,
        short_service_s=short,
        return_days=return_days,
    )
    res = fit(read_log([path], "anonymous-bank"), opts)
    sc = scenario_from_dict(tomllib.loads(to_toml(res)))
    log, _, _ = restrict(read_log([path], "anonymous-bank"), opts)
    bt = backtest(sc, log, replications=reps, seed=1, workers=workers, day_load=day_load)
    return res, bt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("-r", "--replications", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    from hallsim.backtest import _corr

    print(
        "| roster estimator | day load | returns | arrivals obs / sim "
        "| mean wait obs / sim (s) | abandoned obs / sim "
        "| hourly r (wait) | hourly r (aband.) | days inside 95% band (wait / aband.) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    last = None
    for roster, load, rdays in (
        ("busy-waiting", "observed", 7),
        ("busy-waiting", "observed", 0),
        ("busy-waiting", "fixed", 7),
        ("busy", "observed", 7),
        ("names", "observed", 7),
    ):
        res, bt = run(a.path, roster, a.replications, a.workers, load, return_days=rdays)
        o = bt.overall
        print(
            f"| {roster} | {load} | {'ids, 7 days' if rdays else 'off'} "
            f"| {o['arrived']['observed']:.0f} / {o['arrived']['mean']:.0f} "
            f"| {60 * o['wait_mean_min']['observed']:.0f} / "
            f"{60 * o['wait_mean_min']['mean']:.0f} "
            f"| {100 * o['abandoned_share']['observed']:.1f}% / "
            f"{100 * o['abandoned_share']['mean']:.1f}% "
            f"| {_corr(bt.periods, 'wait_mean_min'):.2f} "
            f"| {_corr(bt.periods, 'abandoned_share'):.2f} "
            f"| {100 * o['wait_mean_min']['days_inside']:.0f}% / "
            f"{100 * o['abandoned_share']['days_inside']:.0f}% |"
        )
        if last is None:
            last = (res, bt)
    res, bt = last
    print()
    print(markdown(table(bt, ("arrived", "abandoned_share", "wait_mean_min", "utilisation"))))
    print()
    print(
        markdown(
            res.tables["matters"][
                [
                    "matter",
                    "tickets",
                    "service_mean_sample",
                    "service_mean_all",
                    "service_mean_fit",
                    "service_cv_sample",
                    "service_cv_fit",
                    "short_services",
                    "patience_naive_mean",
                    "patience_km_median",
                    "patience_dist",
                    "patience_mean_fit",
                ]
            ]
        )
    )
    if "returns" in res.tables:
        print()
        print(markdown(res.tables["returns"]))
    print()
    print("\n".join(bt.verdict()))


if __name__ == "__main__":
    main()
