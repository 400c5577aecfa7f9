"""CPU time per replication of one scenario on the simpy and fast engines, side by side.

    python benchmarks/kernel_vs_simpy.py scenarios/kiosks.toml [--blocks 5] [--reps 20]

It prints which of its paths the fast engine takes (``fast.path_of``: the one-pass
recursion, the operations loop, or the event kernel running the reference's hall
code). On a shared machine wall time is noise, so this counts CPU time
(time.process_time) in one process, the two engines interleaved block by block, and
keeps each one's best block: ``trace_replication`` (the engine only) and ``simulate``
(with every metric).
"""

from __future__ import annotations

import argparse
import time

from hallsim.engines import fast
from hallsim.experiment import simulate, trace_replication
from hallsim.scenario import load_scenario


def best_cpu_ms(run, reps: int, blocks: int) -> dict[str, float]:
    """Best CPU milliseconds per replication over ``blocks`` blocks of ``reps``, per engine."""
    best = {"simpy": float("inf"), "fast": float("inf")}
    for _ in range(blocks):
        for engine in best:
            start = time.process_time()
            for r in range(reps):
                run(engine, r)
            best[engine] = min(best[engine], (time.process_time() - start) / reps * 1e3)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    print(f"{args.scenario}: the fast engine's path: {fast.path_of(sc)}")
    print(f"best of {args.blocks} blocks of {args.reps} replications, CPU ms per replication")
    jobs = {
        "trace_replication": lambda engine, r: trace_replication(sc, 1, r, engine=engine),
        "simulate": lambda engine, r: simulate(sc, seed=1, replication=r, engine=engine),
    }
    for label, run in jobs.items():
        run("simpy", 0), run("fast", 0)  # warm: imports, caches
        ms = best_cpu_ms(run, args.reps, args.blocks)
        ratio = ms["simpy"] / ms["fast"]
        print(f"{label:18s} simpy {ms['simpy']:7.2f}  fast {ms['fast']:7.2f}  ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
