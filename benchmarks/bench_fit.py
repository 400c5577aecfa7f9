"""Benchmark: `hallsim fit` on a 1,000,000-ticket log (a year of a large hall).

    python benchmarks/bench_fit.py [--tickets 1000000] [--keep DIR]

Writes a synthetic qms-zh CSV (UTF-8; 250 days, 3 matters, lognormal
services, exponential patience censored by the wait), then times reading,
cleaning and fitting it in this process and reports the peak resident memory
(ru_maxrss).  Target (issue 15): under 30 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic(n: int, path: Path, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-01", periods=250)
    day = days[rng.integers(0, len(days), n)]
    arrive = rng.uniform(9 * 60, 17 * 60, n)
    matter = rng.choice(np.array(["社保", "医保", "不动产"]), n, p=[0.5, 0.3, 0.2])
    wait = rng.exponential(6, n)
    patience = rng.exponential(20, n)
    served = wait <= patience
    service = rng.lognormal(np.log(5), 0.7, n)

    def stamp(m):
        t = day + pd.to_timedelta(np.round(m * 60), unit="s")
        s = pd.Series(t.strftime("%Y-%m-%d %H:%M:%S"))
        return s.where(~np.isnan(m), "")

    call = np.where(served, arrive + wait, np.nan)
    frame = pd.DataFrame(
        {
            "票号": np.arange(n).astype(str),
            "业务类型": matter,
            "取号时间": stamp(arrive),
            "叫号时间": stamp(call),
            "开始办理时间": stamp(call),
            "办结时间": stamp(np.where(served, arrive + wait + service, np.nan)),
            "离开时间": stamp(np.where(served, np.nan, arrive + patience)),
            "窗口号": np.where(served, rng.integers(1, 21, n).astype(str), ""),
            "状态": np.where(served, "已办结", "弃号"),
        }
    )
    frame.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--keep", default=None)
    a = ap.parse_args()
    folder = Path(a.keep or tempfile.mkdtemp(prefix="hallsim-fitbench-"))
    path = folder / "year.csv"
    if not path.exists():
        t = time.perf_counter()
        synthetic(a.tickets, path)
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
    from hallsim.fit import FitOptions, fit, to_toml
    from hallsim.ticketlog import read_log

    t0 = time.perf_counter()
    log = read_log([path], "qms-zh")
    t1 = time.perf_counter()
    res = fit(log, FitOptions(days="all", period=30))
    to_toml(res)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(
        f"tickets {a.tickets}: read+clean {t1 - t0:.1f} s, fit {t2 - t1:.1f} s, "
        f"total {t2 - t0:.1f} s, peak memory {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
