"""Benchmark: `hallsim optimise` over the demo hall's 12-clerk layouts.

    python benchmarks/bench_optimise.py [--workers 2] [--space spaces/space_12_clerks.toml]

Runs the search of README "How should I split my clerks?" (scenarios/integrated.toml,
spaces/space_12_clerks.toml: 125 layouts of exactly 12 windows, minimise mean
wait subject to service_level >= 0.9) and the second question (least planned
staff-hours with at most 12 clerks), each once, and prints candidates, simulated
days, seconds, the chosen layout and whether the PCS guarantee held.  Target
(issue 19): at least 50 layout candidates for the demo hall in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from hallsim import optimise as opt
from hallsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = {
    "12 clerks, least mean wait": {},
    "at most 12 clerks, least staff-hours": {
        "minimise": "planned_staff_hours",
        "budget": ["clerks<=12"],
    },
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "integrated.toml"))
    ap.add_argument("--space", default=str(ROOT / "spaces" / "space_12_clerks.toml"))
    args = ap.parse_args()
    base = load_scenario(args.scenario)
    space = opt.load_space(args.space)
    rows = []
    for question, kw in QUESTIONS.items():
        pb = opt.make_problem(base, space, source=args.space, **kw)
        t0 = time.perf_counter()
        out = opt.optimise(pb, workers=args.workers)
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "question": question,
                "method": out.method,
                "candidates": len(out.candidates),
                "simulations": out.evaluator.simulations,
                "seconds": round(seconds, 2),
                "best": out.best.label if out.best else None,
                "pcs": out.pcs,
                "guarantee_holds": out.guarantee_holds,
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False))
    print(
        json.dumps(
            {"workers": args.workers, "cpus": os.cpu_count(), "load_average": os.getloadavg()}
        )
    )


if __name__ == "__main__":
    main()
