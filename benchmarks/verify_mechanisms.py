"""Theory next to simulation for the mechanisms of docs/mechanisms.md.

The same checks as tests/test_mechanisms.py with more replications: Erlang B
(no waiting room), M/M/c/K (a finite one), the birth-death chain of
state-dependent balking, the geometric number of missed calls (过号), and the
index of dispersion of daily counts with a random day level.  Prints a
Markdown table: the formula's value, the simulation's mean and its 99%
Student-t interval.  Not a test:

    python benchmarks/verify_mechanisms.py [--engine simpy|fast] [-r 20]

The balking curve and missed calls always run on the reference engine here (the
fast engine gives the same traces for them, on its event kernel).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from theory_rows import row, steady  # benchmarks/theory_rows.py

from hallsim import theory
from hallsim.experiment import run_replications
from hallsim.scenario import scenario_from_dict
from hallsim.streams import draw_demand, make_streams


def day(**extra) -> object:
    data = {
        "name": "check-day",
        "hall": {"open": "08:00", "close": "18:00"},
        "arrivals": {"rate_per_hour": 60},
        "matters": [{"name": "m", "share": 1.0, "service_min": {"dist": "exponential", "mean": 4}}],
        "windows": [{"name": "w", "count": 5}],
        "attitude_effects": {"enabled": False},
        **extra,
    }
    return scenario_from_dict(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="fast", choices=["simpy", "fast"])
    ap.add_argument("-r", "--replications", type=int, default=20)
    args = ap.parse_args()
    r, eng = args.replications, args.engine
    rows = [
        "| check | engine | theory | simulation | 99% CI | inside |",
        "|---|---|---|---|---|---|",
    ]

    for c, a in [(1, 0.8), (4, 3.2), (10, 8.0)]:
        sc = steady(a / 4.0, 4.0, c, 30_000, hall={"max_waiting": 0})
        reps = run_replications(sc, replications=r, seed=1, engine=eng).replications
        rows.append(
            row(
                f"Erlang B, c={c}, a={a:g}", theory.erlang_b(c, a), reps.blocked / reps.arrived, eng
            )
        )

    c, room, lam, s = 3, 3, 0.9, 3.0
    th = theory.mmck(lam, s, c, c + room)
    sc = steady(lam, s, c, 30_000, hall={"max_waiting": room})
    reps = run_replications(sc, replications=r, seed=2, engine=eng).replications
    rows.append(row("M/M/3/6 P(block)", th.p_block, reps.blocked / reps.arrived, eng))
    rows.append(row("M/M/3/6 E[Lq]", th.queue_len_mean, reps.queue_len_mean, eng))
    rows.append(row("M/M/3/6 E[Wq] admitted", th.wait_mean, reps.wait_mean_min, eng))
    rows.append(row("M/M/3/6 utilisation", th.utilisation, reps.utilisation, eng))

    # state-dependent balking: M/M/1, b(n) linear from 0 at n = 0 to 0.8 at n = 4 waiting
    lam, s = 0.9, 1.0

    def balk(q: float) -> float:
        return float(np.interp(q, [0, 4], [0.0, 0.8]))

    w = [1.0]
    for n in range(1, 200):
        w.append(w[-1] * (lam if n == 1 else lam * (1 - balk(n - 2))) * s)
    p = np.array(w) / sum(w)
    p_balk = float(sum(p[k] * balk(k - 1) for k in range(1, len(p))))
    lq = float(np.sum(np.clip(np.arange(len(p)) - 1, 0, None) * p))
    sc = steady(lam, s, 1, 30_000, patience={"balk_probability": {"0": 0.0, "4": 0.8}})
    reps = run_replications(sc, replications=r, seed=3, engine="simpy").replications
    rows.append(row("balking chain P(balk)", p_balk, reps.balked / reps.arrived, "simpy"))
    rows.append(row("balking chain E[Lq]", lq, reps.queue_len_mean, "simpy"))

    p_abs, away, grace = 0.2, 10.0, 5.0
    q = math.exp(-grace / away)
    mc = {"absent": p_abs, "away_min": {"dist": "exponential", "mean": away}, "grace_min": grace}
    reps = run_replications(
        day(missed_calls=mc), replications=r, seed=4, engine="simpy"
    ).replications
    rows.append(
        row(
            "过号 P(lost)",
            p_abs * q / (1 - p_abs * (1 - q)),
            reps.missed_lost / reps.arrived,
            "simpy",
        )
    )
    rows.append(
        row(
            "过号 calls per citizen",
            p_abs / (1 - p_abs * (1 - q)),
            reps.missed_calls / reps.arrived,
            "simpy",
        )
    )

    for cv in (0.0, 0.13):
        sc = day(arrivals={"rate_per_hour": 60, "day_to_day_cv": cv})
        counts = np.array(
            [len(draw_demand(sc, make_streams(5, k)).arrival_min) for k in range(100 * r)]
        )
        batches = counts.reshape(r, 100)
        ids = batches.var(axis=1, ddof=1) / batches.mean(axis=1)
        rows.append(row(f"index of dispersion, cv={cv:g}", 1 + 600 * cv**2, ids, "demand"))

    print("\n".join(rows))


if __name__ == "__main__":
    main()
