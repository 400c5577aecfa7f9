"""Compare scenarios on common random numbers: ``hallsim.compare`` (the Python API behind
``hallsim compare``).

The first scenario is the baseline. Every scenario runs the same replications with the
same seed (common random numbers), so differences are paired; with more than two
scenarios each interval is Bonferroni-adjusted so that all hold together at 95%. The
verdict on mean wait, the best scenario per metric and the return-visit part of each
difference in mean wait are decided here, not in the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hallsim.experiment import ExperimentResult, as_scenario, run_replications
from hallsim.metrics import METRICS
from hallsim.metrics.registry import (
    ALL_METRICS,
    HIGHER_IS_BETTER,
    KEY_METRICS,
    VISIT_KEY_METRICS,
    reported,
)
from hallsim.scenario import Scenario
from hallsim.stats import bonferroni, paired_difference


def paired_differences(results: list[ExperimentResult], confidence: float = 0.95) -> list[dict]:
    """Scenario − baseline per metric over common random numbers (paired t-interval).

    With more than two scenarios the interval is Bonferroni-adjusted for the
    family of comparisons against the baseline.
    """
    base = results[0]
    level = bonferroni(confidence, len(results) - 1)
    out = []
    for other in results[1:]:
        for m in reported(other.replications.columns, base.replications.columns):
            diff = paired_difference(m, other.replications[m], base.replications[m], level)
            n = diff.pop("n")
            out.append(
                {
                    "baseline": base.scenario.name,
                    "scenario": other.scenario.name,
                    "metric": m,
                    **diff,
                    "n": n,
                    "confidence": level,
                }
            )
    return out


def best_scenario(results: list[ExperimentResult], metric: str) -> str | None:
    """The scenario with the best mean ``metric`` (higher or lower, as the registry says)."""
    vals = [
        (r.summary[metric]["mean"], r.scenario.name)
        for r in results
        if r.summary[metric]["mean"] is not None
    ]
    if not vals:
        return None
    pick = max if metric in HIGHER_IS_BETTER else min
    return pick(vals)[1]


def verdict(difference: dict) -> str:
    """'shorter', 'longer' or 'no clear difference in' for a paired difference in wait."""
    if difference["ci_low"] is None:
        return "no clear difference in"
    if difference["ci_high"] < 0:
        return "shorter"
    if difference["ci_low"] > 0:
        return "longer"
    return "no clear difference in"


@dataclass
class Comparison:
    """What ``compare`` found; ``results[0]`` is the baseline."""

    results: list[ExperimentResult]
    seed: int
    replications: int
    metric: str  # the metric that names the best scenario
    differences: list[dict]  # every metric, each scenario minus the baseline
    best: str | None
    wait_decomposition: list[dict] = field(default_factory=list)
    robustness: Any = None  # robustness.Check when asked for
    key_metrics: tuple[str, ...] = KEY_METRICS

    def wait_verdicts(self) -> list[dict]:
        """Per scenario: its mean-wait difference to the baseline and the verdict."""
        return [
            {**d, "verdict": verdict(d)}
            for d in self.differences
            if d["metric"] == "wait_mean_min" and d["ci_low"] is not None
        ]


def compare(
    scenarios: Sequence[Scenario | str | Path],
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    log: bool = False,
    engine: str = "auto",
    metric: str = "wait_mean_min",
    robustness: bool = False,
    progress: Callable[[int], None] | None = None,
    robustness_progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Run ``scenarios`` on common random numbers and compare each with the first.

    ``seed`` and ``replications`` default to the baseline's ``run.seed`` and
    ``run.replications`` and are used for every scenario. ``robustness`` also varies
    each model assumption over its plausible range (docs/model.md §5).

    >>> import hallsim
    >>> files = ["scenarios/dedicated.toml", "scenarios/integrated.toml"]
    >>> c = hallsim.compare(files, replications=10)  # doctest: +SKIP
    >>> c.wait_verdicts()[0]["verdict"]  # doctest: +SKIP
    """
    scs = [as_scenario(s) for s in scenarios]
    if len(scs) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = [s.name for s in scs]
    if len(set(names)) < len(names):
        raise ValueError("compared scenarios need distinct names")
    if metric not in ALL_METRICS:
        raise ValueError(f"metric must be one of the metrics, got {metric!r}")
    if metric not in METRICS and not all(sc.uses_visits() for sc in scs):
        raise ValueError(
            f"metric {metric!r} is reported only by scenarios with [visits] or [[stations]]"
        )
    seed = scs[0].run.seed if seed is None else seed
    replications = scs[0].run.replications if replications is None else replications
    results = [
        run_replications(
            sc,
            replications=replications,
            seed=seed,
            workers=workers,
            log=log,
            progress=progress,
            engine=engine,
        )
        for sc in scs
    ]
    from hallsim import robustness as rb

    decomposition: list[dict] = []
    if any(rb.returns_off(sc) is not sc for sc in scs):
        waits = [r.replications["wait_mean_min"].to_numpy(dtype=float) for r in results]
        decomposition = rb.wait_decomposition(scs, waits, seed, engine)
    check = (
        rb.check(scs, replications, seed, engine, progress=robustness_progress)
        if robustness
        else None
    )
    return Comparison(
        results=results,
        seed=seed,
        replications=replications,
        metric=metric,
        differences=paired_differences(results),
        best=best_scenario(results, metric),
        wait_decomposition=decomposition,
        robustness=check,
        key_metrics=KEY_METRICS
        + tuple(
            m
            for m in VISIT_KEY_METRICS
            if m in reported(*(r.replications.columns for r in results))
        ),
    )
