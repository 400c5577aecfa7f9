"""CPU time per replication on the simpy and fast engines, side by side, per scenario.

    python benchmarks/fast_vs_simpy.py                        # every example in scenarios/
    python benchmarks/fast_vs_simpy.py scenarios/kiosks.toml [--blocks 5] [--reps 20]
    python benchmarks/fast_vs_simpy.py --md /tmp/table.md     # also a Markdown table

The fast engine runs a scenario on one of three paths (``fast.path_of``): the
one-pass recursion, the operations event loop or the event kernel (the reference's
hall code on ``hallsim/engines/kernel.py``). This prints which, and what each saves
over the SimPy reference. On a shared machine wall time is noise, so this counts CPU
time (time.process_time) in one process, the two engines interleaved block by block,
and keeps each one's best block: ``trace_replication`` (the engine only) and
``simulate`` (with every metric and table). Both engines give the same numbers
(tests/test_fastpath.py); the script checks the mean wait of the first replication.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from hallsim.engines import fast
from hallsim.experiment import simulate, trace_replication
from hallsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


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


def example_files() -> list[Path]:
    """Every scenario in scenarios/ (the optimiser's search spaces live in spaces/)."""
    return sorted((ROOT / "scenarios").glob("*.toml"))


def measure(path: Path, reps: int, blocks: int) -> dict:
    sc = load_scenario(path)
    if sc.run.mode != "day":  # a steady-state example runs for hours of simulated time
        reps = max(1, reps // 10)
    one = {e: simulate(sc, seed=1, replication=0, engine=e) for e in ("simpy", "fast")}
    same = all(
        (a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
        for a, b in zip(one["simpy"].metrics.values(), one["fast"].metrics.values(), strict=True)
        if isinstance(a, (int, float))
    )
    row = {"scenario": path.name, "path": fast.path_of(sc), "same_metrics": same}
    jobs = {
        "engine": lambda engine, r: trace_replication(sc, 1, r, engine=engine),
        "simulate": lambda engine, r: simulate(sc, seed=1, replication=r, engine=engine),
    }
    for label, run in jobs.items():
        ms = best_cpu_ms(run, reps, blocks)
        row[label] = ms
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--md", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    files = args.scenarios or example_files()
    load = os.getloadavg()
    print(f"best of {args.blocks} blocks of {args.reps} replications, CPU ms per replication")
    lines = [
        "| scenario | fast path | engine: simpy | fast | ratio | simulate: simpy | fast | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for path in files:
        row = measure(path, args.reps, args.blocks)
        cells = [row["scenario"], row["path"] + ("" if row["same_metrics"] else " (DIFFERS)")]
        for label in ("engine", "simulate"):
            ms = row[label]
            cells += [f"{ms['simpy']:.2f}", f"{ms['fast']:.2f}", f"{ms['simpy'] / ms['fast']:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines.append("")
    lines.append(f"load average at start {load[0]:.1f}, at end {os.getloadavg()[0]:.1f}")
    if args.md:
        args.md.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
