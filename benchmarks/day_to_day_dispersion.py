"""Day-to-day variation of daily counts in a real queue log (docs/mechanisms.md §3).

    python benchmarks/day_to_day_dispersion.py PATH/february.txt

Reads the Anonymous Bank call-centre log (February 1999; the data set of
Brown et al. 2005, distributed by the Technion SEE lab: cite them when you
use it; it is not part of hallsim), counts the calls of each working day
(Sunday–Thursday, phantom calls dropped) and prints the index of dispersion
of the daily counts (variance / mean; 1 for Poisson days) and the day-level
coefficient of variation it implies for ``arrivals.day_to_day_cv``:
v² = (variance − mean) / mean², overall and within each day of the week.
"""

from __future__ import annotations

import argparse
import math

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", help="february.txt of the Anonymous Bank data set")
    args = ap.parse_args()
    d = pd.read_csv(args.log, sep="\t", usecols=["date", "outcome"])
    d = d[d.outcome != "PHANTOM"]
    counts = d.groupby("date").size()
    days = pd.to_datetime(counts.index.astype(str), format="%y%m%d")
    counts.index = days
    working = counts[days.day_of_week.isin([6, 0, 1, 2, 3])]  # Sunday..Thursday
    mean, var = float(working.mean()), float(working.var(ddof=1))
    print(f"working days: {len(working)}, mean {mean:.0f}, variance {var:.0f}")
    cv = math.sqrt(max(0.0, var - mean)) / mean
    print(f"index of dispersion {var / mean:.1f}; day level cv {cv:.3f}")
    # within a day of the week: the pooled variance around each weekday's mean
    dow = working.index.day_of_week
    resid = working - working.groupby(dow).transform("mean")
    dof = len(working) - dow.nunique()
    pooled = float((resid**2).sum()) / dof
    print(
        f"within a day of the week: variance {pooled:.0f}, index {pooled / mean:.1f}, "
        f"day level cv {math.sqrt(max(0.0, pooled - mean)) / mean:.3f}"
    )
    shares = working.groupby(dow).mean() / mean
    names = {6: "Sun", 0: "Mon", 1: "Tue", 2: "Wed", 3: "Thu"}
    print("day-of-week factors: " + ", ".join(f"{names[k]} {v:.2f}" for k, v in shares.items()))


if __name__ == "__main__":
    main()
