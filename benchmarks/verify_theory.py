"""Theory next to simulation: the table in README.md ("Verified against queueing theory").

Runs the same checks as tests/test_theory_vs_sim.py with more replications and
prints, for each, the formula's value and the simulation's mean with its 99%
Student-t interval.  Not a test: ``python benchmarks/verify_theory.py [--engine simpy]``.
"""

from __future__ import annotations

import argparse

from hallsim import theory
from hallsim.experiment import run_replications, summarise_values
from hallsim.scenario import scenario_from_dict


def hall(
    lam: float,
    service: dict,
    servers: int,
    length: float,
    warmup: float = 1000,
    patience: dict | None = None,
    matters: int = 1,
    dedicated: bool = False,
    factor: float = 1.0,
) -> object:
    ms = [{"name": f"m{k}", "share": 1 / matters, "service_min": service} for k in range(matters)]
    windows = (
        [{"name": f"m{k}", "count": 1, "matters": [f"m{k}"]} for k in range(matters)]
        if dedicated
        else [{"name": "g", "count": servers, "service_time_factor": factor}]
    )
    data = {
        "name": "check",
        "run": {"mode": "steady_state", "warmup_min": warmup, "length_min": length},
        "arrivals": {"rate_per_hour": lam * 60},
        "matters": ms,
        "windows": windows,
        "attitude_effects": {"enabled": False},
    }
    if patience:
        data["patience"] = patience
    return scenario_from_dict(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engine", default="auto", choices=["auto", "simpy", "fast"])
    ap.add_argument("--replications", type=int, default=20)
    args = ap.parse_args()
    rows = []

    def check(label, sc, metric, expected, transform=None):
        res = run_replications(
            sc, replications=args.replications, seed=1, workers=2, engine=args.engine
        ).replications
        values = transform(res) if transform else res[metric]
        s = summarise_values(values, 0.99)
        inside = s["ci_low"] <= expected <= s["ci_high"]
        rows.append((label, expected, s["mean"], s["ci_low"], s["ci_high"], inside))

    exp = {"dist": "exponential", "mean": 4.0}
    for rho in (0.7, 0.9):
        lam = rho * 4 / 4.0
        th = theory.mmc(lam, 4.0, 4)
        sc = hall(lam, exp, 4, 50_000)
        check(f"M/M/4 ρ={rho}: mean wait (min)", sc, "wait_mean_min", th.wait_mean)
        check(f"M/M/4 ρ={rho}: mean queue", sc, "queue_len_mean", th.queue_len_mean)
        check(f"M/M/4 ρ={rho}: P(wait ≤ 15)", sc, "service_level", th.service_level(15))
    for n in (7, 8, 9):
        th = theory.erlang_a(0.8, 10.0, 30.0, n)
        sc = hall(
            0.8,
            {"dist": "exponential", "mean": 10.0},
            n,
            20_000,
            patience={"renege_min": {"dist": "exponential", "mean": 30.0}},
        )
        check(
            f"Erlang A n={n}: P(abandon)", sc, None, th.p_abandon, lambda r: r.reneged / r.arrived
        )
        check(f"Erlang A n={n}: mean queue", sc, "queue_len_mean", th.queue_len_mean)
    for name, svc in (
        ("M/D/1", {"dist": "deterministic", "mean": 1.0}),
        ("M/M/1", {"dist": "exponential", "mean": 1.0}),
        ("M/G/1 cs²=2", {"dist": "gamma", "mean": 1.0, "cv": 2**0.5}),
    ):
        cs2 = {"M/D/1": 0.0, "M/M/1": 1.0}.get(name, 2.0)
        check(
            f"{name} ρ=0.8: mean wait (P-K)",
            hall(0.8, svc, 1, 60_000),
            "wait_mean_min",
            theory.mg1_pk(0.8, 1.0, cs2),
        )
    check(
        "pooling: 3 dedicated windows",
        hall(0.6, exp, 3, 60_000, matters=3, dedicated=True),
        "wait_mean_min",
        16.0,
    )
    check(
        "pooling: 3 generalists",
        hall(0.6, exp, 3, 60_000, matters=3),
        "wait_mean_min",
        theory.mmc(0.6, 4.0, 3).wait_mean,
    )
    check(
        "3 generalists 20% slower",
        hall(0.6, exp, 3, 200_000, warmup=5000, matters=3, factor=1.2),
        "wait_mean_min",
        theory.mmc(0.6, 4.8, 3).wait_mean,
    )
    check(
        "4 generalists 20% slower",
        hall(0.6, exp, 4, 60_000, matters=3, factor=1.2),
        "wait_mean_min",
        theory.mmc(0.6, 4.8, 4).wait_mean,
    )

    print(f"| check | theory | simulation ({args.replications} reps) | 99% CI | inside |")
    print("|---|---:|---:|---|:-:|")
    for label, th, mean, lo, hi, ok in rows:
        print(
            f"| {label} | {th:.4f} | {mean:.4f} | [{lo:.4f}, {hi:.4f}] | {'yes' if ok else 'NO'} |"
        )


if __name__ == "__main__":
    main()
