"""Multi-matter visits and stations in sequence (docs/visits.md): theory and the
一窗受理 decomposition.

1. Jackson networks (the same checks as tests/test_visits.py, with more
   replications): a tandem of two M/M/c stations and an open network with
   probabilistic routing; the product form's mean number at each station and
   time in the hall against the simulation's mean and 99% Student-t interval.
2. The 一窗受理 decomposition, on common random numbers: dedicated vs
   integrated windows with one matter per visit (dedicated.toml,
   integrated.toml: ~360 one-matter citizens a day), and with 1-3 matters per
   visit (visits_*.toml: ~256 citizens bringing the same ~360 matters), where
   the integrated hall is run twice: a ticket per matter (pooling only) and one
   sitting (pooling and fewer queues). Paired differences with 95% intervals.

Prints Markdown; not a test:

    python benchmarks/verify_visits.py [-r 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from theory_rows import row  # benchmarks/theory_rows.py

from hallsim import theory
from hallsim.experiment import run_replications
from hallsim.scenario import load_scenario, scenario_from_dict, scenario_to_dict
from hallsim.stats import paired_difference

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
EXP = "exponential"


def network(lam, c_windows, s_windows, stations, station_windows, length):
    data = {
        "name": "jackson",
        "run": {"mode": "steady_state", "warmup_min": 1000, "length_min": length},
        "arrivals": {"rate_per_hour": lam * 60},
        "matters": [{"name": "m", "share": 1.0, "service_min": {"dist": EXP, "mean": s_windows}}],
        "windows": [{"name": "w", "count": c_windows}],
        "attitude_effects": {"enabled": False},
        "stations": stations,
    }
    for st, count in zip(stations, station_windows, strict=True):
        data["windows"].append({"name": f"{st['name']}_w", "count": count, "station": st["name"]})
    return scenario_from_dict(data)


def jackson_table(reps: int) -> list[str]:
    out = [
        "| check | theory | simulation | 99% CI | inside |",
        "|---|---:|---:|---|:-:|",
    ]
    # tandem: reception M/M/2 (mean 2.5) then windows M/M/3 (mean 4), lambda 0.6/min
    lam = 0.6
    sc = network(
        lam,
        3,
        4.0,
        [{"name": "reception", "position": "before", "service_min": {"dist": EXP, "mean": 2.5}}],
        [2],
        40_000,
    )
    th = theory.jackson_network([lam, 0.0], [2.5, 4.0], [2, 3], [[0, 1], [0, 0]])
    res = run_replications(sc, replications=reps, seed=1, engine="simpy")
    st = res.stations
    for k, name in enumerate(("reception", "windows")):
        got = st.loc[st.station == name, "in_station_mean"].to_numpy(float)
        out.append(
            row(f"tandem M/M/2 → M/M/3: mean number at {name}", th.stations[k].in_system_mean, got)
        )
    out.append(
        row(
            "tandem: time in hall (min)",
            th.time_in_system_mean,
            res.replications.time_in_hall_mean_min,
        )
    )
    # routing: 60% reception (M/M/1, 2) -> windows (M/M/4, 5) -> 30% pick-up (M/M/1, 3)
    lam, p_rec, p_pick = 0.5, 0.6, 0.3
    sc = network(
        lam,
        4,
        5.0,
        [
            {
                "name": "reception",
                "position": "before",
                "share": p_rec,
                "service_min": {"dist": EXP, "mean": 2.0},
            },
            {
                "name": "pickup",
                "position": "after",
                "share": p_pick,
                "service_min": {"dist": EXP, "mean": 3.0},
            },
        ],
        [1, 1],
        40_000,
    )
    th = theory.jackson_network(
        [p_rec * lam, (1 - p_rec) * lam, 0.0],
        [2.0, 5.0, 3.0],
        [1, 4, 1],
        [[0, 1, 0], [0, 0, p_pick], [0, 0, 0]],
    )
    res = run_replications(sc, replications=reps, seed=1, engine="simpy")
    st = res.stations
    for k, name in enumerate(("reception", "windows", "pickup")):
        got = st.loc[st.station == name, "in_station_mean"].to_numpy(float)
        out.append(
            row(f"routing network: mean number at {name}", th.stations[k].in_system_mean, got)
        )
    out.append(
        row(
            "routing network: time in hall (min)",
            th.time_in_system_mean,
            res.replications.time_in_hall_mean_min,
        )
    )
    out.append(
        row(
            "routing network: queues per citizen",
            sum(th.visits),
            res.replications.queues_per_citizen,
        )
    )
    return out


def variant(path: str, **changes):
    data = scenario_to_dict(load_scenario(SCENARIOS / path))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return scenario_from_dict(data)


def decomposition(reps: int) -> list[str]:
    mix = scenario_to_dict(load_scenario(SCENARIOS / "visits_integrated.toml"))["visits"]
    single = {"matters_per_visit": {"1": 1.0}}
    halls = {
        # one matter per visit: the same ~360 matters a day as ~360 one-matter citizens
        "dedicated, 1 matter": variant("dedicated.toml", visits=single),
        "integrated, 1 matter": variant("integrated.toml", visits=single),
        "dedicated, 1-3 matters": variant("visits_dedicated.toml", visits=mix),
        "integrated, ticket per matter": variant(
            "visits_integrated.toml", visits={**mix, "one_sitting": False}
        ),
        "integrated, one sitting": variant("visits_integrated.toml", visits=mix),
    }
    res = {
        k: run_replications(sc, replications=reps, seed=1, engine="simpy")
        for k, sc in halls.items()
    }
    metric = "time_in_hall_mean_min"
    out = [
        f"Time in the hall per citizen ({metric}, minutes; mean and 95% interval over {reps} "
        "days, seed 1, the same citizens in every hall):",
        "",
        "| hall | time in hall | queues per citizen | mean wait per queue |",
        "|---|---:|---:|---:|",
    ]
    for k, r in res.items():
        s = r.summary[metric]
        q = r.summary["queues_per_citizen"]["mean"]
        w = r.summary["wait_mean_min"]["mean"]
        out.append(
            f"| {k} | {s['mean']:.2f} [{s['ci_low']:.2f}, {s['ci_high']:.2f}] | {q:.2f} | {w:.2f} |"
        )

    def diff(a, b):
        d = paired_difference(
            metric, res[b].replications[metric], res[a].replications[metric], 0.95
        )
        return f"{d['mean']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"

    out += [
        "",
        "| gain (paired difference, minutes per citizen) | value [95% CI] |",
        "|---|---:|",
        *(
            f"| {what} | {diff(base, other)} |"
            for what, base, other in (
                (
                    "one matter per visit: integrated − dedicated (pooling alone)",
                    "dedicated, 1 matter",
                    "integrated, 1 matter",
                ),
                (
                    "1-3 matters: integrated, ticket per matter − dedicated (pooling)",
                    "dedicated, 1-3 matters",
                    "integrated, ticket per matter",
                ),
                (
                    "1-3 matters: one sitting − ticket per matter (fewer queues per citizen)",
                    "integrated, ticket per matter",
                    "integrated, one sitting",
                ),
                (
                    "1-3 matters: integrated, one sitting − dedicated (the whole 一窗受理 gain)",
                    "dedicated, 1-3 matters",
                    "integrated, one sitting",
                ),
            )
        ),
    ]
    return out


def busy_day(reps: int, factor: float = 1.1) -> list[str]:
    """The 1-3-matter halls on a busier day (every rate x ``factor``), and one sitting
    with a per-extra-matter saving: when does one sitting beat a ticket per matter?"""
    mix = scenario_to_dict(load_scenario(SCENARIOS / "visits_integrated.toml"))["visits"]

    def busier(path, **changes):
        data = scenario_to_dict(variant(path, **changes))
        rates = data["arrivals"]["rate_per_hour"]
        data["arrivals"]["rate_per_hour"] = {k: v * factor for k, v in rates.items()}
        return scenario_from_dict(data)

    halls = {
        "dedicated": busier("visits_dedicated.toml"),
        "integrated, ticket per matter": busier(
            "visits_integrated.toml", visits={**mix, "one_sitting": False}
        ),
        "integrated, one sitting": busier("visits_integrated.toml"),
        "integrated, one sitting, bundle_saving 0.2": busier(
            "visits_integrated.toml", visits={**mix, "bundle_saving": 0.2}
        ),
    }
    res = {
        k: run_replications(sc, replications=reps, seed=1, engine="simpy")
        for k, sc in halls.items()
    }
    metric = "time_in_hall_mean_min"
    base = res["integrated, ticket per matter"].replications[metric]
    out = [
        f"A busier day (every arrival rate x {factor}), 1-3 matters per citizen:",
        "",
        "| hall | time in hall | queues per citizen | vs ticket per matter [95% CI] |",
        "|---|---:|---:|---:|",
    ]
    for k, r in res.items():
        s = r.summary[metric]
        q = r.summary["queues_per_citizen"]["mean"]
        d = paired_difference(metric, r.replications[metric], base, 0.95)
        dd = (
            "—"
            if d["sd"] in (None, 0.0) and d["mean"] == 0
            else (f"{d['mean']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]")
        )
        out.append(
            f"| {k} | {s['mean']:.2f} [{s['ci_low']:.2f}, {s['ci_high']:.2f}] | {q:.2f} | {dd} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-r", "--replications", type=int, default=20)
    args = ap.parse_args()
    print("\n".join(jackson_table(args.replications)))
    print()
    print("\n".join(decomposition(args.replications)))
    print()
    print("\n".join(busy_day(args.replications)))


if __name__ == "__main__":
    main()
