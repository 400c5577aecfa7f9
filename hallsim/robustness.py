"""Does the advice survive the assumptions?  (docs/model.md §5)

Each assumption of the attitude and satisfaction models (``ASSUMPTIONS``) is
moved, one at a time, over its documented plausible range, on the same random
numbers as the base run.  For every metric the scenarios are ranked at each
value tried, and the paired difference of each scenario to the first is
kept (for a tornado chart).  Queue assumptions re-simulate; satisfaction
coefficients re-rate the same simulated visits (satisfaction never changes the
queue).  ``compare --robustness`` runs it over several scenarios and
``hallsim sensitivity`` over one (levels instead of rankings).

Also here: ``returns_off`` and ``wait_decomposition``, which split a
difference in mean wait into the part due to fewer return visits and the rest.
No model logic; uses ``hallsim.experiment.simulate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hallsim import satisfaction as _sat
from hallsim.metrics.registry import HIGHER_IS_BETTER
from hallsim.metrics.registry import label as registry_label
from hallsim.scenario import Scenario
from hallsim.stats import paired_difference
from hallsim.streams import return_plan

METRICS = ("wait_mean_min", "service_level", "csat", "satisfaction_mean", "bad_review_rate")
"""Metrics whose ranking the check reports."""
SATISFACTION_METRICS = ("satisfaction_mean", "csat", "bad_review_rate", "complaint_rate")


@dataclass(frozen=True)
class Assumption:
    """One assumption and its plausible range (values tried, low to high)."""

    name: str  # the scenario key (attitude_effects.x, satisfaction.x) or "generalist_slowdown"
    values: tuple[Any, ...]
    queue: bool  # True: changes the queue (re-simulate); False: re-rate the same visits
    why: str  # where the range comes from


def _grid(lo: float, hi: float, k: int = 5) -> tuple[float, ...]:
    return tuple(float(x) for x in np.round(np.linspace(lo, hi, k), 6))


ASSUMPTIONS: tuple[Assumption, ...] = (
    # -- the queue: attitude effects and return timing
    Assumption(
        "attitude_effects.fcr_base",
        _grid(0.65, 0.85),
        True,
        "assumption; FCR at attitude 0 around the Wenzhou 2017 75.9%",
    ),
    Assumption(
        "attitude_effects.fcr_per_unit", _grid(0.0, 0.3), True, "assumption; 0 = no FCR effect"
    ),
    Assumption(
        "attitude_effects.return_same_day_share",
        _grid(0.0, 1.0),
        True,
        "assumption; 1 = every return the same day (the old model)",
    ),
    Assumption("attitude_effects.return_delay_min", _grid(60, 240), True, "assumption"),
    Assumption("attitude_effects.care_time_per_unit", _grid(0.0, 0.2), True, "assumption"),
    Assumption("attitude_effects.rework_time_per_unit", _grid(0.0, 0.4), True, "assumption"),
    Assumption("attitude_effects.fatigue_per_hour", _grid(0.0, 0.05), True, "assumption"),
    Assumption(
        "attitude_effects.reference_attitude",
        _grid(0.3, 0.7),
        True,
        "assumption; service-time multiplier 1 here, and (with include_returns) the FCR at "
        "which the ticket counts were taken",
    ),
    Assumption(
        "generalist_slowdown",
        _grid(1.0, 1.2),
        True,
        "service_time_factor x this for groups serving several matters; Song, Tucker & "
        "Murrell 2015: pooling lengthened stays 17%",
    ),
    # -- predicted satisfaction (re-rated, no re-simulation)
    Assumption(
        "satisfaction.baseline",
        ("service_canada_2006", "china_hall_survey"),
        False,
        "the two named baselines",
    ),
    Assumption(
        "satisfaction.beta_wait_per_min",
        _grid(-0.04, -0.01),
        False,
        "Camacho 2006: -0.020 (return intent), -0.025 (rating)",
    ),
    Assumption(
        "satisfaction.beta_wait_beyond_adequate_per_min", _grid(-0.04, 0.0), False, "assumption"
    ),
    Assumption("satisfaction.desired_wait_min", _grid(0, 20), False, "assumption; 0: no threshold"),
    Assumption(
        "satisfaction.adequate_wait_min", _grid(20, 40), False, "Pockros 2021 20; agency targets"
    ),
    Assumption(
        "satisfaction.perceived_wait_factor", _grid(1.0, 1.36), False, "Magro & Aquilina 1.08"
    ),
    Assumption(
        "satisfaction.beta_attitude",
        _grid(*_sat.DERIVATIONS["beta_attitude"].plausible),
        False,
        "Service Canada effect 0.6 to 1.8 rating points",
    ),
    Assumption("satisfaction.attitude_reference", _grid(0.5, 0.9), False, "assumption"),
    *(
        Assumption(f"satisfaction.attitude_weight_{c}", _grid(0.0, 1.0), False, "assumption")
        for c in _sat.COMPONENTS
    ),
    Assumption(
        "satisfaction.beta_unsettled",
        _grid(*_sat.DERIVATIONS["beta_unsettled"].plausible),
        False,
        "CFI 2008: -1.6 points unshrunk (-2.5)",
    ),
    Assumption("satisfaction.beta_overtaken", _grid(-0.6, 0.0), False, "assumption"),
    Assumption("satisfaction.overtaken_cap", _grid(1, 5), False, "assumption"),
    Assumption("satisfaction.beta_comfort", _grid(0.0, 0.6), False, "assumption"),
    Assumption("satisfaction.comfort_reference", _grid(0.3, 0.7), False, "assumption"),
    Assumption("satisfaction.beta_abandoned", _grid(-1.0, 0.0), False, "assumption"),
    Assumption("satisfaction.complaint_share_of_bad", _grid(0.002, 0.05), False, "assumption"),
)
"""Every assumption varied, with its plausible range (docs/model.md §5)."""


@dataclass(frozen=True)
class QueueCoefficient:
    """A coefficient of ``[attitude_effects]`` / return timing, for the report's list."""

    name: str
    neutral: str
    kind: str  # "assumption" | "switch"
    source: str


ATTITUDE_COEFFICIENTS: tuple[QueueCoefficient, ...] = (
    QueueCoefficient("enabled", "false: every effect below off", "switch", "hallsim"),
    QueueCoefficient(
        "fcr_base",
        "1",
        "assumption",
        "FCR at attitude 0; Wenzhou 2017 (75.9% achieved 最多跑一次) sets the level, but that "
        "rise came from process reform, not clerk attitude",
    ),
    QueueCoefficient(
        "fcr_per_unit",
        "0",
        "assumption",
        "no published effect of clerk attitude on FCR; Zhejiang 2019 (92.9%) is a reform "
        "outcome, not evidence for it",
    ),
    QueueCoefficient(
        "return_same_day_share",
        "— (0: every return on a later day)",
        "assumption",
        "a missing certificate (派出所, 社区) usually takes a day or more; Suzhou 2017 survey: "
        "40.6% of applicants lost 1-2 trips to missing documents, no timing given",
    ),
    QueueCoefficient("return_delay_min", "—", "assumption", "same-day return delay"),
    QueueCoefficient(
        "care_time_per_unit", "0", "assumption", "caring clerks explain more (no effect size)"
    ),
    QueueCoefficient(
        "rework_time_per_unit", "0", "assumption", "low responsibility: errors, rework"
    ),
    QueueCoefficient(
        "reference_attitude",
        "—",
        "assumption",
        "service-time multiplier 1 here; with include_returns, the FCR at which the tickets "
        "were counted",
    ),
    QueueCoefficient("fatigue_per_hour", "0", "assumption", "no source found; off by default"),
)
"""The attitude-effect coefficients the report lists next to the satisfaction ones: they
produce the wait effect of training."""


def with_assumption(scenario: Scenario, name: str, value: Any) -> Scenario:
    """The scenario with one assumption set to ``value``."""
    if name == "generalist_slowdown":
        changes = {
            f"windows.{i}.service_time_factor": w.service_time_factor * float(value)
            for i, w in enumerate(scenario.windows)
            if "*" in w.matters or len(w.matters) > 1
        }
        return scenario.with_changes(changes) if changes else scenario
    return scenario.with_changes({name: value})


def base_value(scenario: Scenario, name: str) -> Any:
    if name == "generalist_slowdown":
        return 1.0
    table, key = name.split(".", 1)
    return getattr(getattr(scenario, table), key)


def returns_off(scenario: Scenario) -> Scenario:
    """The scenario without return visits' load: nobody comes back the same day, and the
    ticket counts are read as counted at this scenario's own first-contact resolution
    (so better resolution no longer removes tickets).  Same random numbers: the
    candidate arrivals and every draw stay those of ``scenario``."""
    fx = scenario.attitude_effects
    if not fx.enabled:
        return scenario
    changes: dict[str, Any] = {"attitude_effects.return_same_day_share": 0.0}
    if scenario.arrivals.include_returns:
        changes["arrivals.counted_fcr"] = return_plan(scenario).p
    return scenario.with_changes(changes)


def _simulate(scenario: Scenario, seed: int, replication: int, engine: str, visits: bool):
    from hallsim.experiment import simulate

    return simulate(
        scenario,
        seed=seed,
        replication=replication,
        engine=engine,
        breakdowns=False,
        streaming=False if visits else None,
    )


def wait_decomposition(
    scenarios: list[Scenario],
    base_wait: list[np.ndarray],
    seed: int,
    engine: str = "auto",
    metric: str = "wait_mean_min",
) -> list[dict]:
    """Split each scenario − baseline difference in ``metric`` into the part from fewer
    (or more) return visits and the rest, by re-running every scenario with
    ``returns_off`` on the same random numbers.

    ``base_wait[i]`` holds scenario i's per-replication values.  Rows: scenario,
    baseline, total, returns, rest (means of the paired differences) with 95%
    intervals ``*_ci``.  returns = total − rest.
    """
    reps = len(base_wait[0])
    off = [
        np.array(
            [
                _simulate(returns_off(sc), seed, r, engine, False).metrics[metric]
                for r in range(reps)
            ]
        )
        for sc in scenarios
    ]
    rows = []
    for i in range(1, len(scenarios)):
        total = base_wait[i] - base_wait[0]
        rest = off[i] - off[0]
        parts = {"total": total, "rest": rest, "returns": total - rest}
        row: dict[str, Any] = {
            "scenario": scenarios[i].name,
            "baseline": scenarios[0].name,
            "metric": metric,
        }
        for key, d in parts.items():
            p = paired_difference(metric, d, 0.0)  # d is already scenario − baseline
            row[key] = float("nan") if p["mean"] is None else p["mean"]
            row[f"{key}_ci"] = [p["ci_low"], p["ci_high"]]
        row["returns_share"] = (
            row["returns"] / row["total"] if row["total"] not in (0.0,) else float("nan")
        )
        rows.append(row)
    return rows


@dataclass
class RobustnessResult:
    """Values of every metric, per assumption value, scenario and replication."""

    scenarios: list[str]
    metrics: tuple[str, ...]
    base: dict[str, np.ndarray]  # metric -> (scenarios, replications)
    rows: list[dict] = field(default_factory=list)  # one per (assumption, value)
    n_visits: int = 0  # visits re-rated for the satisfaction assumptions (all scenarios)

    def means(self, values: dict[str, np.ndarray]) -> dict[str, list[float]]:
        return {m: np.nanmean(values[m], axis=1).tolist() for m in self.metrics}

    def ranking(self, values: dict[str, np.ndarray], metric: str) -> list[str]:
        """Scenario names, best first, by the mean over replications."""
        mean = np.nanmean(values[metric], axis=1)
        sign = -1.0 if metric in HIGHER_IS_BETTER else 1.0
        order = np.argsort(sign * mean, kind="stable")
        return [self.scenarios[k] for k in order]

    def verdicts(self) -> list[dict]:
        """Per metric: the base best scenario and ranking; each assumption value at which
        the best scenario differs (``changes``) and at which the full ranking differs
        (``ranking_changes``), per assumption the value nearest the base."""
        out = []
        for m in self.metrics:
            if np.all(np.isnan(self.base[m])):
                continue
            ranking = self.ranking(self.base, m)
            best = ranking[0]
            changes, reorders = [], []
            for row in self.rows:
                if row["values"][m] is None:
                    continue
                other = self.ranking(row["values"], m)
                point = {"assumption": row["assumption"], "value": row["value"]}
                if other[0] != best:
                    changes.append(point | {"best": other[0]})
                if other != ranking:
                    reorders.append(point | {"ranking": other})
            out.append(
                {
                    "metric": m,
                    "best": best,
                    "robust": not changes,
                    "changes": self._nearest_base(changes),
                    "ranking": ranking,
                    "ranking_robust": not reorders,
                    "ranking_changes": self._nearest_base(reorders),
                    "tried": len({r["assumption"] for r in self.rows}),
                }
            )
        return out

    def _nearest_base(self, points: list[dict]) -> list[dict]:
        """Per assumption, the point whose value lies nearest the assumption's base."""
        base = {r["assumption"]: r["base"] for r in self.rows}
        first: dict[str, dict] = {}
        for c in points:
            prev = first.get(c["assumption"])
            b = base[c["assumption"]]
            if prev is None or _distance(c["value"], b) < _distance(prev["value"], b):
                first[c["assumption"]] = c
        return list(first.values())

    def sentence(self) -> str:
        """The one-line answer, e.g. 'a is best on predicted CSAT under every assumption
        tried; b is best on mean wait unless fcr_base = 0.65 (then c)'."""
        return self._sentence("en")

    def sentence_zh(self) -> str:
        """``sentence`` in Chinese."""
        return self._sentence("zh")

    def _sentence(self, lang: str) -> str:
        labels = LABELS if lang == "en" else LABELS_ZH
        robust: dict[str, list[str]] = {}
        fragile, reordered = [], []
        for v in self.verdicts():
            label = labels.get(v["metric"], v["metric"])
            if v["robust"]:
                robust.setdefault(v["best"], []).append(label)
            else:
                flips = [
                    (c["assumption"].split(".")[-1], _fmt(c["value"]), c["best"])
                    for c in v["changes"][:3]
                ]
                more = len(v["changes"]) - len(flips)
                if lang == "en":
                    text = ", ".join(f"{a} = {x} (then {b})" for a, x, b in flips)
                    text += f" and {more} more" if more else ""
                    fragile.append(f"{v['best']} is best on {label} unless {text}")
                else:
                    text = "、".join(f"{a} = {x}（此时 {b} 最好）" for a, x, b in flips)
                    text += f"等 {len(v['changes'])} 处" if more else ""
                    fragile.append(f"{v['best']} 在{label}上最好，除非 {text}")
            if v["robust"] and not v["ranking_robust"] and len(self.scenarios) > 2:
                c = v["ranking_changes"][0]
                order = " > ".join(c["ranking"])
                name, x = c["assumption"].split(".")[-1], _fmt(c["value"])
                reordered.append(
                    f"on {label} the order behind it changes at {name} = {x} ({order})"
                    if lang == "en"
                    else f"{label}的其余排序在 {name} = {x} 时改变（{order}）"
                )
        if lang == "en":
            parts = [
                f"{best} is best on {_join(labels_)} under every assumption tried"
                for best, labels_ in robust.items()
            ]
        else:
            parts = [f"{best} 在{_join_zh(labels_)}上都最好" for best, labels_ in robust.items()]
            if parts:
                parts[0] = "在尝试过的每个假设下，" + parts[0]
        parts += fragile + reordered
        if len(self.scenarios) > 2 and all(v["ranking_robust"] for v in self.verdicts()):
            parts.append(
                f"the full ranking of the {len(self.scenarios)} scenarios never changes"
                if lang == "en"
                else f"{len(self.scenarios)} 个方案的完整排序从未改变"
            )
        return ("; " if lang == "en" else "；").join(parts)

    def levels(self) -> list[dict]:
        """One scenario's view (``hallsim sensitivity``): per assumption value, each
        metric's mean and its change from the base (first row: the base)."""
        base = {m: float(np.nanmean(self.base[m][0])) for m in self.metrics}
        rows = [
            {"assumption": "(base)", "kind": "", "value": None, "base": None}
            | {m: base[m] for m in self.metrics}
            | {f"{m}_change": 0.0 for m in self.metrics}
        ]
        for r in self.rows:
            row = {
                "assumption": r["assumption"],
                "kind": "queue" if r["queue"] else "satisfaction",
                "value": r["value"],
                "base": r["base"],
            }
            for m in self.metrics:
                v = r["values"][m]
                mean = float("nan") if v is None else float(np.nanmean(v[0]))
                row[m] = mean
                row[f"{m}_change"] = mean - base[m]
            rows.append(row)
        return rows

    def tornado(self, metric: str, scenario: str) -> list[dict]:
        """Per assumption: the paired difference scenario − first scenario in ``metric``
        at the low and high ends of its range, and at the base (largest swing first)."""
        k = self.scenarios.index(scenario)
        base = float(np.nanmean(self.base[metric][k] - self.base[metric][0]))
        by: dict[str, list[tuple[Any, float]]] = {}
        for row in self.rows:
            v = row["values"][metric]
            if v is None:
                continue
            by.setdefault(row["assumption"], []).append(
                (row["value"], float(np.nanmean(v[k] - v[0])))
            )
        out = []
        for name, pts in by.items():
            low, high = pts[0], pts[-1]
            out.append(
                {
                    "assumption": name,
                    "low_value": low[0],
                    "high_value": high[0],
                    "low": low[1],
                    "high": high[1],
                    "base": base,
                    "swing": abs(high[1] - low[1]),
                }
            )
        out.sort(key=lambda r: -r["swing"] if np.isfinite(r["swing"]) else 0)
        return out

    def to_json(self) -> dict:
        return {
            "scenarios": self.scenarios,
            "metrics": list(self.metrics),
            "base_means": self.means(self.base),
            "rows": [
                {
                    "assumption": r["assumption"],
                    "value": r["value"],
                    "base": r["base"],
                    "means": {
                        m: (
                            None
                            if r["values"][m] is None
                            else np.nanmean(r["values"][m], axis=1).tolist()
                        )
                        for m in self.metrics
                    },
                }
                for r in self.rows
            ],
            "verdicts": self.verdicts(),
            "sentence": self.sentence(),
            "sentence_zh": self.sentence_zh(),
            "tornado": {
                m: {name: self.tornado(m, name) for name in self.scenarios[1:]}
                for m in self.metrics
                if not np.all(np.isnan(self.base[m]))
            },
        }


LABELS = {
    "wait_mean_min": "mean wait",
    "service_level": "service level",
    "csat": "predicted CSAT",
    "satisfaction_mean": "predicted mean rating",
    "bad_review_rate": "predicted bad-review rate",
}


LABELS_ZH = {m: registry_label(m, "zh") for m in LABELS}
"""The halls' Chinese terms, from the metric registry (平均等候时长, ...)."""


def _join_zh(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "、".join(items[:-1]) + "和" + items[-1]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _distance(value: Any, base: Any) -> float:
    try:
        return abs(float(value) - float(base))
    except (TypeError, ValueError):
        return 0.0


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float | int) else str(value)


def check(
    scenarios: list[Scenario],
    replications: int,
    seed: int,
    engine: str = "auto",
    metrics: tuple[str, ...] = METRICS,
    assumptions: tuple[Assumption, ...] = ASSUMPTIONS,
    progress: Callable[[int], None] | None = None,
) -> RobustnessResult:
    """Run the robustness check (see the module docstring).  Values the scenario cannot
    take (e.g. a desired wait above its adequate wait) are skipped."""
    n, reps = len(scenarios), replications

    def table() -> dict[str, np.ndarray]:
        return {m: np.full((n, reps), np.nan) for m in metrics}

    base = table()
    visits: list[list[dict]] = [[{} for _ in range(reps)] for _ in scenarios]
    base_metrics: list[list[dict]] = [[{} for _ in range(reps)] for _ in scenarios]
    for i, sc in enumerate(scenarios):
        for r in range(reps):
            res = _simulate(sc, seed, r, engine, True)
            visits[i][r] = res.visits
            base_metrics[i][r] = res.metrics
            for m in metrics:
                base[m][i, r] = res.metrics[m]
            if progress:
                progress(1)
    out = RobustnessResult([s.name for s in scenarios], metrics, base)
    out.n_visits = sum(len(v.get("wait_min", ())) for row in visits for v in row)
    for a in assumptions:
        for value in a.values:
            values = table()
            ok = True
            for i, sc in enumerate(scenarios):
                try:
                    changed = with_assumption(sc, a.name, value)
                except Exception:
                    ok = False
                    break
                for r in range(reps):
                    if a.queue:
                        met = _simulate(changed, seed, r, engine, False).metrics
                    else:
                        met = dict(base_metrics[i][r])
                        if changed.satisfaction.enabled and visits[i][r]:
                            met.update(
                                _sat._summarise_visits(
                                    visits[i][r], changed.hall.comfort, changed.satisfaction
                                )
                            )
                    for m in metrics:
                        values[m][i, r] = met[m]
            if not ok:
                continue
            out.rows.append(
                {
                    "assumption": a.name,
                    "value": value,
                    "base": base_value(scenarios[0], a.name),
                    "queue": a.queue,
                    "values": {
                        m: (None if np.all(np.isnan(values[m])) else values[m]) for m in metrics
                    },
                }
            )
            if progress:
                progress(1)
    return out
