"""Benchmark: how long ``hallsim`` takes to start, per command.

Run on demand (never part of the tests)::

    python benchmarks/startup.py                 # 20 runs of each command
    python benchmarks/startup.py --runs 50 --json /tmp/startup.json
    python benchmarks/startup.py --repo /path/to/other/checkout   # e.g. an older commit

Each command runs as a fresh ``python -m hallsim ...`` process (what the
``hallsim`` script does), ``--runs`` times in turn, from the repository root
with PYTHONPATH set to it.  Bytecode is cached as after an installation
(PYTHONPYCACHEPREFIX in a temporary folder, PYTHONDONTWRITEBYTECODE unset; a
warm-up run of each command fills it), so no run pays for compiling.  The
table shows the fastest run and the median (wall clock, ``time.perf_counter``
around ``subprocess.run``): the fastest is the one least disturbed by other
work on the machine.  The CPU columns (user + system time of the child,
``getrusage(RUSAGE_CHILDREN)``) change less with the machine's load than
the wall clock: on a busy machine they are the better guide to what an idle one
would show.  The first line is a bare
``python -c pass`` for the interpreter's own start-up; the second imports
click and pydantic and validates one tiny model (the floor for ``validate``,
which cannot do without either).  A last pass runs each
command once with ``-X importtime`` and lists which of the heavy libraries it
imported, so a slow start can be traced to its import.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3  # issue 13: --help and validate under 0.3 s

FLOOR = """
import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

class Tiny(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    x: float = Field(0.0, ge=0)

Tiny.model_validate({"x": 1.0})
"""
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", ["-c", "pass"]),
    # validate's floor: click, and pydantic validating one tiny model (no hallsim code)
    ("click + pydantic, one tiny model", ["-c", FLOOR]),
    ("hallsim --version", ["-m", "hallsim", "--version"]),
    ("hallsim --help", ["-m", "hallsim", "--help"]),
    ("hallsim run --help", ["-m", "hallsim", "run", "--help"]),
    (
        "hallsim validate scenarios/integrated.toml",
        ["-m", "hallsim", "validate", "scenarios/integrated.toml"],
    ),
    ("import hallsim", ["-c", "import hallsim"]),
    # the demo run, as a user types it (20 replications, default workers); {out}: a
    # results folder in the temporary folder, written again by every run
    (
        "hallsim run scenarios/integrated.toml",
        ["-m", "hallsim", "run", "scenarios/integrated.toml", "-q", "--out", "{out}"],
    ),
]
TARGET_RUN_S = 1.0  # issue 19: hallsim run on the demo under 1 s
# libraries a command should import only when it needs them
HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "statsmodels",
    "pyarrow",
    "jinja2",
    "rich",
    "simpy",
    "dask",
    "pydantic",
)


def child_env(repo: Path, cache: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_runs(
    argv: list[str], env: dict[str, str], repo: Path, runs: int
) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each run; CPU is user + system time of the child."""
    out = []
    for _ in range(runs):
        c0, t0 = cpu_children(), time.perf_counter()
        done = subprocess.run(
            [sys.executable, *argv], cwd=repo, env=env, capture_output=True, check=False
        )
        out.append((time.perf_counter() - t0, cpu_children() - c0))
        if done.returncode != 0:
            raise SystemExit(f"{argv}: exit {done.returncode}\n{done.stderr.decode()}")
    return out


def heavy_imports(argv: list[str], env: dict[str, str], repo: Path) -> list[str]:
    """Top-level names of the HEAVY libraries the command imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seen = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip().split(".")[0]
            if name in HEAVY:
                seen.add(name)
    return [h for h in HEAVY if h in seen]


def git_commit(repo: Path) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    p.add_argument(
        "--repo", type=Path, default=ROOT, help="checkout to measure (default: this one)"
    )
    p.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = p.parse_args(argv)
    repo = args.repo.resolve()
    with tempfile.TemporaryDirectory(prefix="hallsim-pycache-") as cache:
        env = child_env(repo, cache)
        out = str(Path(cache) / "run-results")
        commands = [(label, [a.replace("{out}", out) for a in cmd]) for label, cmd in COMMANDS]
        for _, cmd in commands:  # warm-up: compile and cache the bytecode
            time_runs(cmd, env, repo, 1)
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in COMMANDS}
        for _ in range(args.runs):  # round-robin: a busy spell hits every command alike
            for label, cmd in commands:
                times[label] += time_runs(cmd, env, repo, 1)
        heavy = {label: heavy_imports(cmd, env, repo) for label, cmd in commands}
    rows = []
    for label, _ in COMMANDS:
        wall = [w for w, _ in times[label]]
        cpu = [c for _, c in times[label]]
        rows.append(
            {
                "command": label,
                "min_s": min(wall),
                "median_s": statistics.median(wall),
                "cpu_min_s": min(cpu),
                "cpu_median_s": statistics.median(cpu),
                "runs": len(wall),
                "heavy_imports": heavy[label],
            }
        )
    info = {
        "repo": str(repo),
        "commit": git_commit(repo),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "nproc": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(
        f"hallsim start-up, {info['commit']} in {repo}; Python {info['python']}, "
        f"{info['nproc']} CPUs, load average {', '.join(f'{x:.2f}' for x in info['loadavg'])}"
    )
    print()
    print("| command | fastest, s | median, s | CPU fastest, s | CPU median, s | heavy libraries |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| `{r['command']}` | {r['min_s']:.3f} | {r['median_s']:.3f} | "
            f"{r['cpu_min_s']:.3f} | {r['cpu_median_s']:.3f} | "
            f"{', '.join(r['heavy_imports']) or '—'} |"
        )
    print()
    print(
        f"{args.runs} runs of each command, in turn; target for --help and validate: "
        f"< {TARGET_S} s, for the demo run: < {TARGET_RUN_S} s"
    )
    if args.json:
        args.json.write_text(json.dumps({"info": info, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
