"""Theory next to simulation for kiosks, elastic windows and clerk speeds (docs/kiosks-tidal.md).

The same checks as tests/test_kiosks_tidal.py with more replications, on the
reference (SimPy) engine, the only one that has these mechanisms:

- kiosk success 1: the kiosks are an M/M/k hall of their own (Erlang C);
- kiosk success 0: the kiosks' departures are Poisson (Burke 1956), so the
  counters behind them are M/M/c, and the whole hall is a Jackson tandem;
- kiosk shares: uptake = share eligible x uptake, failures = 1 - success;
- elastic windows that open on the first wait (switch_on_queue = 1, off = 0,
  no opening time): M/M/(main + standby);
- clerk speed spread: the factors' mean 1 and cv.

Then the example halls: scenarios/tidal.toml against the same hall with the
tidal and standby windows fixed, and scenarios/kiosks.toml against no kiosks.
Prints Markdown tables. Not a test:

    python benchmarks/verify_kiosks_tidal.py [-r 20]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from theory_rows import row, steady  # benchmarks/theory_rows.py

from hallsim import theory
from hallsim.engines import simpy_hall
from hallsim.experiment import run_replications
from hallsim.scenario import load_scenario, scenario_from_dict
from hallsim.streams import draw_clerk_speeds, make_streams

ROOT = Path(__file__).resolve().parent.parent


def kiosk_waits(sc, reps: int, seed: int):
    s0, s1 = sc.stats_window
    kw, cw = [], []
    for r in range(reps):
        t = simpy_hall.run_hall(sc, make_streams(seed, r))
        inside = (t.arrival_min >= s0) & (t.arrival_min < s1)
        kw.append(float(np.mean((t.kiosk_call_min - t.arrival_min)[inside])))
        counter = inside & (t.window >= 0)
        cw.append(float(np.mean((t.call_min - t.kiosk_end_min)[counter])) if counter.any() else 0.0)
    return kw, cw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-r", "--replications", type=int, default=20)
    ap.add_argument("--examples-only", action="store_true", help="only the example halls")
    args = ap.parse_args()
    reps = args.replications
    if args.examples_only:
        examples(reps)
        return
    length = 20_000.0
    kiosks = {"count": 2, "matters": ["*"], "service_min": {"dist": "exponential", "mean": 1.5}}
    print(f"{reps} replications of {length:,.0f} minutes after a 500-minute warm-up\n")
    print("| check | theory | simulation | 99% CI | inside |")
    print("|---|---|---|---|---|")
    for success in (1.0, 0.0):
        sc = steady(1.0, 2.0, 3, length, kiosks={**kiosks, "success": success})
        kw, cw = kiosk_waits(sc, reps, seed=11)
        print(
            row(f"kiosks M/M/2 E[Wq], success {success:g}", theory.mmc(1.0, 1.5, 2).wait_mean, kw)
        )
        if success == 0.0:
            print(
                row(
                    "counters behind failed kiosks, M/M/3 E[Wq]",
                    theory.mmc(1.0, 2.0, 3).wait_mean,
                    cw,
                )
            )
            jk = theory.jackson_network([1.0, 0.0], [1.5, 2.0], [2, 3], [[0.0, 1.0], [0.0, 0.0]])
            res = run_replications(sc, replications=reps, seed=11, engine="simpy").replications
            print(
                row(
                    "Jackson tandem: time in hall",
                    jk.time_in_system_mean,
                    res.time_in_system_mean_min,
                )
            )
    sc = steady(1.0, 2.0, 3, length, kiosks={**kiosks, "count": 4, "uptake": 0.6, "success": 0.7})
    res = run_replications(sc, replications=reps, seed=12, engine="simpy").replications
    print(row("kiosk uptake (= uptake 0.6)", 0.6, res.kiosk_uptake))
    print(row("kiosk failure rate (= 1 - success)", 0.3, res.kiosk_failure_rate))
    print(row("counter demand avoided (0.6 x 0.7)", 0.42, res.counter_demand_avoided))
    sc = steady(
        1.0,
        3.0,
        2,
        length,
        windows=[
            {"name": "main", "count": 2},
            {"name": "standby", "count": 2, "elastic": {"switch_on_queue": 1}},
        ],
    )
    res = run_replications(sc, replications=reps, seed=13, engine="simpy").replications
    print(
        row(
            "elastic on first wait = M/M/4 E[Wq]",
            theory.mmc(1.0, 3.0, 4).wait_mean,
            res.wait_mean_min,
        )
    )
    big = scenario_from_dict(
        {
            "name": "clerks",
            "matters": [
                {"name": "m", "share": 1.0, "service_min": {"dist": "exponential", "mean": 1}}
            ],
            "windows": [{"name": "w", "count": 1000, "speed_sd": 0.2}],
        }
    )
    means, cvs = [], []
    for r in range(reps):
        f = draw_clerk_speeds(big, make_streams(1, r)["clerk_speed"])
        means.append(float(f.mean()))
        cvs.append(float(f.std(ddof=1) / f.mean()))
    print(row("clerk speed factor mean (1000 clerks)", 1.0, means))
    print(row("clerk speed factor cv (speed_sd 0.2)", 0.2, cvs))

    examples(reps)


def examples(reps: int) -> None:
    print("\nExample halls (day mode, same seed and demand)\n")
    print("| hall | mean wait | business registration wait | staff hours | switches |")
    print("|---|---|---|---|---|")
    tidal = load_scenario(ROOT / "scenarios" / "tidal.toml")
    static = tidal.with_changes({"windows.2.tidal": None, "windows.5.elastic": None})
    closed = tidal.with_changes(
        {"windows.2.tidal": None, "windows.5.elastic": None, "windows.5.count": 0}
    )
    for label, sc in (
        ("tidal + standby", tidal),
        ("static, standby always open", static),
        ("static, no standby", closed),
    ):
        out = run_replications(sc, replications=reps, seed=1, engine="simpy")
        m = out.replications
        br = out.matters[out.matters.matter == "business_registration"].wait_mean_min
        sw = m.tidal_switches.mean()
        print(
            f"| {label} | {m.wait_mean_min.mean():.2f} | {br.mean():.2f} | "
            f"{m.staff_hours.mean():.1f} | {'—' if math.isnan(sw) else f'{sw:.1f}'} |"
        )
    print(
        "\n| hall | mean wait | counter utilisation | done at a kiosk | kiosk failures "
        "| helper utilisation |"
    )
    print("|---|---|---|---|---|---|")
    kio = load_scenario(ROOT / "scenarios" / "kiosks.toml")
    none = kio.with_changes({"kiosks": None, "helpers": None})
    for label, sc in (("kiosks + helpers", kio), ("no kiosks", none)):
        m = run_replications(sc, replications=reps, seed=1, engine="simpy").replications

        def pct(x):
            v = x.mean()
            return "—" if math.isnan(v) else f"{100 * v:.1f}%"

        print(
            f"| {label} | {m.wait_mean_min.mean():.2f} | {pct(m.utilisation)} | "
            f"{pct(m.counter_demand_avoided)} | {pct(m.kiosk_failure_rate)} | "
            f"{pct(m.helper_utilisation)} |"
        )


if __name__ == "__main__":
    main()
