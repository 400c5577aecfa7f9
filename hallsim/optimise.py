"""Simulation optimisation of a hall's layout: which windows, how many, serving what.

``optimise(make_problem(base, load_space(path), ...))`` searches the designs a
*search space* allows (``[[optimise.groups]]``: window groups with count ranges
and candidate matter sets, optionally ``[optimise.roster]``: windows staffed
per period, under a clerks or staff-hours budget) for the one that minimises
or maximises a metric subject to constraints on other metrics, and states the
probability that it picked correctly.  docs/optimise.md explains it for users.

Method (the references are in docs/sources.md):

1. **Candidates.**  Every design of the space that meets the budget (design
   quantities such as the number of windows or planned staff-hours are known
   without simulating).  When the space has more than ``max_candidates``, an
   integer neighbourhood search started from the Erlang C staffing estimate
   (``hallsim.staffing.erlang_estimate``) chooses them instead
   (``neighbourhood_search``); its ``finalists`` best go on.
2. **Common random numbers.**  Replication r of *every* candidate uses
   ``make_streams(seed, r)``: the same citizens arrive with the same matters
   and service quantiles, so differences between designs are paired and far
   less noisy than independent runs.  Seeds depend only on (seed,
   replication), never on the worker, so results are identical for any
   number of workers.
3. **Feasibility check** of the constraints (Andradóttir & Kim 2010,
   fully sequential, tolerance ε): with probability ≥ 1 − α/2 every
   candidate whose true mean is more than ε on either side of a constraint's
   bound is classified correctly.
4. **Selection of the best** among the feasible candidates by the fully
   sequential indifference-zone procedure KN (Kim & Nelson 2001): with
   probability ≥ 1 − α/2 (≥ 1 − α without constraints) the candidate
   chosen is the best, whenever the best is at least δ better than every
   other one.  KN works with common random numbers (it uses the variance of
   paired differences).  Or OCBA (Chen et al. 2000) for a fixed budget, with
   an estimated, not guaranteed, PCS.

The two steps together give PCS ≥ 1 − α (Bonferroni).  The guarantee rests on
approximately normal replication means and no replication cap binding; the
result says when the cap was reached instead.

Sequential decisions are taken after each replication in index order, even
though replications run in batches; the batch sizes depend only on the
procedures' state, never on the worker count, so decisions, the chosen design,
the reported numbers and the simulations run are identical for any number of
workers.  Replications saved by an interrupted run (``dump_evaluations``) are
reused only as far as a fresh run would ask for them, so a resumed run gives
the same answer too.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hallsim.limits import check_seed
from hallsim.names import METRICS
from hallsim.scenario import (
    Scenario,
    ScenarioError,
    WindowGroup,
    parse_toml,
    read_input_file,
    scenario_from_dict,
)

# --------------------------------------------------------------------------- names

DESIGN_MEASURES = {
    "windows": "windows open (sum of the groups' counts)",
    "planned_staff_hours": "planned window-hours from open to close (rosters and breaks counted)",
}
"""Quantities of a layout known without simulating: usable as objective, budget or constraint."""

BUDGET_MEASURES = {
    "clerks": "windows",  # a clerk staffs one window
    "windows": "windows",
    "staff_hours": "planned_staff_hours",  # a budget is planned, never simulated, hours
    "planned_staff_hours": "planned_staff_hours",
}

PARETO = (("wait_mean_min", "min"), ("planned_staff_hours", "min"), ("csat", "max"))
"""Objectives of the multi-objective view: wait, staff cost, predicted satisfaction."""

SHOWN = ("wait_mean_min", "service_level", "utilisation", "csat", "staff_hours")
"""Metrics recorded for every candidate besides the objective and constraints."""

# Default indifference zone δ (objective) and tolerance ε (constraints), by kind of metric.
# Assumptions (no published standard; docs/optimise.md), overridden by --delta, by
# delta and tolerance in the space file:
# half a minute of mean wait and one percentage point of a share are taken as the
# smallest differences worth telling apart.
DEFAULT_ZONE_MINUTES = 0.5
DEFAULT_ZONE_SHARE = 0.01
DEFAULT_ZONE_COUNT = 1.0
DEFAULT_ZONE_HOURS = 0.5

SHARE_METRICS = frozenset(
    {
        "service_level",
        "utilisation",
        "first_contact_resolution",
        "csat",
        "bad_review_rate",
        "complaint_rate",
        *(f"rating_{k}" for k in range(1, 6)),
    }
)


def default_zone(metric: str) -> float:
    """δ or ε when none is given: the smallest difference worth telling apart."""
    if metric in SHARE_METRICS:
        return DEFAULT_ZONE_SHARE
    if metric.endswith("_min"):
        return DEFAULT_ZONE_MINUTES
    if metric.endswith("hours"):
        return DEFAULT_ZONE_HOURS
    if metric == "satisfaction_mean":
        return 0.05  # on the 1-5 rating scale (assumption)
    return DEFAULT_ZONE_COUNT


class OptimiseError(ValueError):
    """Bad optimisation input; ``str(err)`` names the file or option and the field."""


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Bound:
    """``metric <= value`` or ``metric >= value`` (a constraint or a budget)."""

    metric: str
    op: str  # "<=", ">=" or "="
    value: float
    text: str = ""  # as the user wrote it (a budget's "clerks" is the measure "windows")

    def met(self, x: float) -> bool:
        if self.op == "<=":
            return x <= self.value
        if self.op == ">=":
            return x >= self.value
        return x == self.value

    def __str__(self) -> str:
        return self.text or f"{self.metric}{self.op}{self.value:g}"


_BOUND = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|=)\s*(\S+)\s*$")


def parse_bound(text: str, allowed: Iterable[str], what: str) -> Bound:
    """``"service_level>=0.9"`` → Bound; OptimiseError naming ``what`` otherwise."""
    m = _BOUND.match(str(text))
    if not m:
        raise OptimiseError(f"{what}: expected METRIC<=X or METRIC>=X, got {text!r}")
    name, op, raw = m.groups()
    allowed = list(allowed)
    if name not in allowed:
        raise OptimiseError(f"{what}: unknown measure {name!r}; one of {', '.join(allowed)}")
    try:
        value = float(raw)
    except ValueError:
        raise OptimiseError(f"{what}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise OptimiseError(f"{what}: the bound must be a finite number, got {raw!r}")
    return Bound(name, "=" if op in ("=", "==") else op, value)


def parse_budget(text: str, what: str = "--budget") -> Bound:
    """``clerks=12``, ``clerks<=12``, ``staff_hours<=80`` (planned window-hours)."""
    b = parse_bound(text, BUDGET_MEASURES, what)
    if b.op == ">=":
        raise OptimiseError(f"{what}: a budget is an upper limit (<=) or exact (=), got {text!r}")
    if b.value < 0:
        raise OptimiseError(f"{what}: a budget must be >= 0, got {text!r}")
    return Bound(BUDGET_MEASURES[b.metric], b.op, b.value, f"{b.metric}{b.op}{b.value:g}")


def parse_constraint(text: str, what: str = "--subject-to") -> Bound:
    b = parse_bound(text, [*METRICS, *DESIGN_MEASURES], what)
    if b.op == "=":
        raise OptimiseError(f"{what}: a constraint is METRIC<=X or METRIC>=X, got {text!r}")
    return b


# --------------------------------------------------------------------------- the space file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupSpace(_Strict):
    name: str = Field(min_length=1, description="window group name in the candidate layouts")
    count: int | list[int] = Field(
        description="windows in the group: a number, or [low, high] (inclusive range)"
    )
    matters: list[str] | list[list[str]] | None = Field(
        None,
        description="matters served: one list, or a list of candidate lists to choose from; "
        "absent = the base group of this name's matters, else every matter",
    )
    window: dict[str, Any] = Field(
        default_factory=dict,
        description="other [[windows]] fields (service_time_factor, attitude, classes, ...); "
        "absent = those of the base group of this name",
    )

    @field_validator("count")
    @classmethod
    def _count(cls, v: int | list[int]) -> int | list[int]:
        if isinstance(v, int):
            if not 0 <= v <= 1000:
                raise ValueError(f"count must be in 0..1000, got {v}")
            return v
        if len(v) != 2 or not 0 <= v[0] <= v[1] <= 1000:
            raise ValueError(
                f"count range must be [low, high] with 0 <= low <= high <= 1000, got {v}"
            )
        return v

    @field_validator("window")
    @classmethod
    def _window(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in ("name", "count", "matters"):
            if key in v:
                raise ValueError(f"{key!r} is set by the group itself, not in window")
        unknown = [k for k in v if k not in WindowGroup.model_fields]
        if unknown:
            raise ValueError(
                f"unknown [[windows]] field {unknown[0]!r}; fields are "
                f"{', '.join(sorted(WindowGroup.model_fields))}"
            )
        return v

    @property
    def counts(self) -> list[int]:
        if isinstance(self.count, int):
            return [self.count]
        return list(range(self.count[0], self.count[1] + 1))

    def matter_sets(self, base: WindowGroup | None) -> list[list[str]]:
        if self.matters is None:
            return [list(base.matters) if base else ["*"]]
        if self.matters and isinstance(self.matters[0], list):
            return [list(s) for s in self.matters]
        return [list(self.matters)]


class RosterSpace(_Strict):
    """``[optimise.roster]``: groups whose staffed windows vary by period of the day."""

    groups: list[str] = Field(min_length=1, description="names of [[optimise.groups]]")
    period_min: int = Field(60, ge=15, le=480, description="granularity: one level per period")
    min_staffed: int = Field(1, ge=0, le=1000, description="fewest windows staffed per period")


class Settings(_Strict):
    groups: list[GroupSpace] = Field(min_length=1, description="[[optimise.groups]]")
    roster: RosterSpace | None = None
    minimise: str | None = None
    maximise: str | None = None
    subject_to: list[str] = Field(default_factory=list)
    budget: list[str] = Field(default_factory=list)
    delta: float | None = Field(None, gt=0, description="indifference zone of the objective")
    tolerance: dict[str, float] = Field(
        default_factory=dict, description="ε per constraint metric (feasibility tolerance)"
    )
    alpha: float = Field(0.05, gt=0, lt=0.5, description="1 − PCS")
    first_replications: int = Field(10, ge=5, le=1000, description="n0: replications each")
    max_replications: int = Field(1000, ge=5, le=100_000, description="cap per candidate")
    max_candidates: int = Field(500, ge=1, le=100_000, description="enumerate up to this many")
    procedure: Literal["kn", "ocba"] = Field(
        "kn", description="selection: KN (PCS guarantee) or OCBA (fixed simulation budget)"
    )
    simulations: int | None = Field(
        None, ge=1, le=10_000_000, description="OCBA: replications for the selection, in total"
    )
    finalists: int = Field(
        50, ge=2, le=100_000, description="search: best visited designs passed to selection"
    )
    seed: int | None = Field(None, ge=0)

    @field_validator("groups")
    @classmethod
    def _unique(cls, v: list[GroupSpace]) -> list[GroupSpace]:
        names = [g.name for g in v]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"duplicate group name {n!r}")
        return v


class SpaceFile(_Strict):
    optimise: Settings


def _problem_path(loc: tuple) -> str:
    return ".".join(str(x) for x in loc)


def load_space(path: str | Path) -> Settings:
    """Read and validate a search-space TOML file (OptimiseError naming file and field)."""
    try:
        data = parse_toml(read_input_file(path, "search space"))
    except ValueError as exc:
        raise OptimiseError(f"{path}: {exc}") from None
    return space_from_dict(data, str(path))


def space_from_dict(data: dict, source: str = "<space>") -> Settings:
    try:
        return SpaceFile.model_validate(data).optimise
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (misspelt?)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            lines.append(f"{source}: {_problem_path(err['loc'])}: {msg}")
        raise OptimiseError("\n".join(dict.fromkeys(lines))) from None


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """One layout: counts and matter-set choices per space group, and its scenario."""

    index: int
    counts: tuple[int, ...]
    choices: tuple[int, ...]
    scenario: Scenario
    label: str
    windows: int
    planned_staff_hours: float
    levels: tuple[tuple[int, ...], ...] = ()  # per roster group, windows staffed per period

    def design(self, measure: str) -> float:
        return float(getattr(self, measure))


def planned_staff_hours(scenario: Scenario) -> float:
    """Planned window-hours: each group's roster integrated from open to close
    (steady state: count × the statistics window)."""
    start, end = scenario.stats_window
    if scenario.run.mode != "day":
        return sum(w.count for w in scenario.windows) * (end - start) / 60.0
    total = 0.0
    for g in range(len(scenario.windows)):
        steps = scenario.roster(g)
        for (t0, n), t1 in zip(steps, [t for t, _ in steps[1:]] + [end], strict=True):
            total += n * max(0.0, min(t1, end) - max(t0, start))
    return total / 60.0


@dataclass
class Problem:
    """What to optimise: base scenario, space, objective, constraints, budgets."""

    base: Scenario
    space: Settings
    objective: str
    sense: str  # "min" or "max"
    constraints: list[Bound]
    budgets: list[Bound]
    delta: float
    tolerances: dict[str, float]
    alpha: float
    seed: int
    source: str = "<space>"

    @property
    def needed(self) -> list[str]:
        names = [self.objective, *(c.metric for c in self.constraints), *SHOWN]
        names += [m for m, _ in PARETO]
        return list(dict.fromkeys(names))


def make_problem(
    base: Scenario,
    space: Settings,
    *,
    minimise: str | None = None,
    maximise: str | None = None,
    subject_to: Iterable[str] = (),
    budget: Iterable[str] = (),
    delta: float | None = None,
    alpha: float | None = None,
    seed: int | None = None,
    source: str = "<space>",
) -> Problem:
    """Combine the space file's settings with the command-line ones (which win)."""
    if minimise and maximise:
        raise OptimiseError("give --minimise or --maximise, not both")
    if not (minimise or maximise):
        minimise, maximise = space.minimise, space.maximise
        if minimise and maximise:
            raise OptimiseError(f"{source}: optimise: give minimise or maximise, not both")
        where = f"{source}: optimise.minimise"
    else:
        where = "--minimise" if minimise else "--maximise"
    objective = minimise or maximise
    if not objective:
        raise OptimiseError(
            "no objective: give --minimise METRIC or --maximise METRIC "
            f"(or minimise = ... in {source})"
        )
    measures = [*METRICS, *DESIGN_MEASURES]
    if objective not in measures:
        raise OptimiseError(f"{where}: unknown metric {objective!r}; one of {', '.join(measures)}")
    subject_to, budget = list(subject_to), list(budget)
    cons = (
        [parse_constraint(t) for t in subject_to]
        if subject_to
        else [
            parse_constraint(t, f"{source}: optimise.subject_to.{i}")
            for i, t in enumerate(space.subject_to)
        ]
    )
    buds = (
        [parse_budget(t) for t in budget]
        if budget
        else [parse_budget(t, f"{source}: optimise.budget.{i}") for i, t in enumerate(space.budget)]
    )
    tolerances = {}
    for c in cons:
        tolerances[c.metric] = space.tolerance.get(c.metric, default_zone(c.metric))
    for k, v in space.tolerance.items():
        if k not in METRICS and k not in DESIGN_MEASURES:
            raise OptimiseError(f"{source}: optimise.tolerance.{k}: unknown metric {k!r}")
        if not v > 0:
            raise OptimiseError(f"{source}: optimise.tolerance.{k}: must be > 0, got {v}")
    if delta is not None and not delta > 0:
        raise OptimiseError(f"--delta: must be > 0, got {delta}")
    alpha = space.alpha if alpha is None else alpha
    if not 0 < alpha < 0.5:
        raise OptimiseError(f"--alpha: must be in (0, 0.5), got {alpha}")
    seed = space.seed if seed is None else seed
    return Problem(
        base=base,
        space=space,
        objective=objective,
        sense="min" if minimise else "max",
        constraints=cons,
        budgets=buds,
        delta=delta or space.delta or default_zone(objective),
        tolerances=tolerances,
        alpha=alpha,
        seed=base.run.seed if seed is None else check_seed(seed),
        source=source,
    )


def roster_starts(problem: Problem) -> list[float]:
    """Starts (minutes) of the roster periods: every ``period_min`` from open to close."""
    r = problem.space.roster
    if r is None:
        return []
    a, b = problem.base.hall.open_min, problem.base.hall.close_min
    return [float(t) for t in np.arange(a, b, r.period_min)]


def _roster_index(problem: Problem) -> dict[str, int]:
    r = problem.space.roster
    return {} if r is None else {name: k for k, name in enumerate(r.groups)}


def _group_dict(
    problem: Problem,
    g: int,
    count: int,
    matters: list[str],
    levels: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    spec = problem.space.groups[g]
    base = {w.name: w for w in problem.base.windows}.get(spec.name)
    data: dict[str, Any] = {}
    if base is not None and not spec.window:
        data = base.model_dump(mode="python", exclude_unset=True)
    data.update(spec.window)
    data.update(name=spec.name, count=count, matters=matters)
    if levels is not None:
        from hallsim.staffing import staffed_table

        # the searched roster replaces any written one; its levels are net of breaks
        data.pop("breaks", None)
        data["staffed"] = staffed_table(list(levels), roster_starts(problem))
    elif data.get("staffed") is not None:
        # a roster scales with the group: never more windows staffed than it has
        data["staffed"] = {k: min(v, count) for k, v in data["staffed"].items()}
    return data


def build_scenario(
    problem: Problem,
    counts: tuple[int, ...],
    choices: tuple[int, ...],
    levels: tuple[tuple[int, ...], ...] = (),
) -> Scenario:
    """The base scenario with its [[windows]] replaced by this layout (ScenarioError if invalid)."""
    groups = []
    rosters = _roster_index(problem)
    for g, (n, c) in enumerate(zip(counts, choices, strict=True)):
        if n == 0:
            continue
        spec = problem.space.groups[g]
        base = {w.name: w for w in problem.base.windows}.get(spec.name)
        k = rosters.get(spec.name)
        own = levels[k] if k is not None and levels else None
        groups.append(_group_dict(problem, g, n, spec.matter_sets(base)[c], own))
    data = problem.base.model_dump(mode="python", exclude_unset=True)
    data["windows"] = groups
    return scenario_from_dict(data, "optimise candidate")


def _sets(problem: Problem) -> list[list[list[str]]]:
    by_name = {w.name: w for w in problem.base.windows}
    return [g.matter_sets(by_name.get(g.name)) for g in problem.space.groups]


COUNTING_LIMIT = 1_000_000
"""Count tuples examined one by one to size a space; beyond, the plain product is the size."""


def _windows_cap(problem: Problem) -> tuple[float, bool]:
    """The tightest windows budget, and whether it is exact (cheap pre-filter)."""
    caps = [b.value for b in problem.budgets if b.metric == "windows"]
    return min(caps, default=math.inf), any(
        b.metric == "windows" and b.op == "=" for b in problem.budgets
    )


def space_size(problem: Problem) -> int:
    """Layouts of the space within the windows budget (matter-set choices included;
    validity as a hall is only known once built)."""
    sets = _sets(problem)
    groups = problem.space.groups
    cap, exact = _windows_cap(problem)
    if math.prod(len(g.counts) for g in groups) > COUNTING_LIMIT:
        return math.prod(len(g.counts) * len(s) for g, s in zip(groups, sets, strict=True))
    total = 0
    rosters, r = _roster_index(problem), problem.space.roster
    periods = len(roster_starts(problem))
    for counts in itertools.product(*(g.counts for g in groups)):
        n = sum(counts)
        if n > cap or (exact and n != cap):
            continue
        size = math.prod(len(s) if c else 1 for c, s in zip(counts, sets, strict=True))
        for g, c in zip(groups, counts, strict=True):
            if g.name in rosters and c:  # rosters whose busiest period staffs all c windows
                low = min(r.min_staffed, c)
                size *= (c - low + 1) ** periods - (c - low) ** periods
        total += size
    return total


def _budget_ok(problem: Problem, cand: Candidate) -> bool:
    return all(b.met(cand.design(b.metric)) for b in problem.budgets)


def check_space(problem: Problem) -> None:
    """Every group's matter sets name real matters and its window fields are valid."""
    names = set(problem.base.matter_names)
    r = problem.space.roster
    if r is not None:
        known = [g.name for g in problem.space.groups]
        for k, name in enumerate(r.groups):
            if name not in known:
                raise OptimiseError(
                    f"{problem.source}: optimise.roster.groups.{k}: {name!r} is not one of "
                    f"the [[optimise.groups]] ({', '.join(known)})"
                )
        if problem.base.run.mode != "day":
            raise OptimiseError(
                f"{problem.source}: optimise.roster: a roster needs a day scenario "
                f"(run.mode = 'day'), {problem.base.run.mode!r} given"
            )
        if problem.base.layout.queue != "single":
            raise OptimiseError(
                f"{problem.source}: optimise.roster: rosters need the single ticket queue "
                "(layout.queue = 'single')"
            )
    for g, sets in enumerate(_sets(problem)):
        for i, s in enumerate(sets):
            for m in s:
                if m != "*" and m not in names:
                    where = f"optimise.groups.{g}.matters"
                    if len(sets) > 1:
                        where += f".{i}"
                    raise OptimiseError(
                        f"{problem.source}: {where}: unknown matter {m!r}; the scenario's "
                        f"matters are {sorted(names)} (or '*' for all)"
                    )
        spec = problem.space.groups[g]
        trial = _group_dict(problem, g, max(1, spec.counts[-1]), sets[0])
        try:
            WindowGroup.model_validate(trial)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise OptimiseError(
                f"{problem.source}: optimise.groups.{g}.window.{_problem_path(err['loc'])}: "
                f"{err['msg'].removeprefix('Value error, ')}"
            ) from None


def make_candidate(
    problem: Problem,
    index: int,
    counts: tuple[int, ...],
    choices: tuple[int, ...],
    levels: tuple[tuple[int, ...], ...] = (),
) -> Candidate | None:
    """The candidate, or None when the layout is not a valid hall (e.g. a matter unserved)."""
    rosters = _roster_index(problem)
    for g, spec in enumerate(problem.space.groups):
        k = rosters.get(spec.name)
        if k is not None and levels and counts[g] and max(levels[k]) != counts[g]:
            # a rostered group has as many windows as its busiest period staffs: other
            # counts would be the same hall under another name
            return None
    try:
        sc = build_scenario(problem, counts, choices, levels)
    except ScenarioError:
        return None
    sets = _sets(problem)
    chosen = [sets[g][c] for g, c in enumerate(choices)]
    parts = []
    for g, (n, s) in enumerate(zip(counts, chosen, strict=True)):
        if n:
            txt = f"{problem.space.groups[g].name}×{n}"
            if len(sets[g]) > 1:
                txt += "[" + ",".join(s) + "]"
            k = rosters.get(problem.space.groups[g].name)
            if k is not None and levels:
                txt += " staffed " + "-".join(str(x) for x in levels[k])
            parts.append(txt)
    return Candidate(
        index=index,
        counts=counts,
        choices=choices,
        scenario=sc,
        label=" + ".join(parts),
        windows=sum(counts),
        planned_staff_hours=planned_staff_hours(sc),
        levels=levels,
    )


def _level_options(problem: Problem, counts: tuple[int, ...]) -> list[tuple[tuple[int, ...], ...]]:
    """Every roster of the roster groups for these counts (a group not opened: zeros)."""
    r = problem.space.roster
    if r is None:
        return [()]
    periods = len(roster_starts(problem))
    count_of = {g.name: c for g, c in zip(problem.space.groups, counts, strict=True)}
    per_group = []
    for name in r.groups:
        c = count_of[name]
        if c == 0:
            per_group.append([(0,) * periods])
        else:
            rows = itertools.product(range(min(r.min_staffed, c), c + 1), repeat=periods)
            per_group.append([row for row in rows if max(row) == c])
    return list(itertools.product(*per_group))


def enumerate_candidates(problem: Problem) -> tuple[list[Candidate], dict[str, int]]:
    """Every valid layout within the budgets, in a fixed order; and counts of the rejected."""
    sets = _sets(problem)
    axes = []
    for g, s in zip(problem.space.groups, sets, strict=True):
        axes.append([(n, c) for n in g.counts for c in range(len(s) if n else 1)])
    out: list[Candidate] = []
    rejected = {"over_budget": 0, "not_a_valid_hall": 0}
    cap, exact = _windows_cap(problem)
    for combo in itertools.product(*axes):
        counts = tuple(n for n, _ in combo)
        if sum(counts) > cap or (exact and sum(counts) != cap):
            rejected["over_budget"] += 1
            continue
        for levels in _level_options(problem, counts):
            cand = make_candidate(problem, len(out), counts, tuple(c for _, c in combo), levels)
            if cand is None:
                rejected["not_a_valid_hall"] += 1
            elif not _budget_ok(problem, cand):
                rejected["over_budget"] += 1
            else:
                out.append(cand)
    return out, rejected


# --------------------------------------------------------------------------- simulation


def _simulate_block(job: tuple[Scenario, int, int, int, tuple[str, ...]]) -> np.ndarray:
    """Replications lo..hi-1 of one candidate: an array [replication, metric]."""
    from hallsim.experiment import simulate

    scenario, seed, lo, hi, names = job
    rows = []
    wanted = names or ("arrived",)  # only the metrics the problem reads are computed
    for r in range(lo, hi):
        m = simulate(scenario, seed=seed, replication=r, metrics=wanted).metrics
        rows.append([np.nan if m.get(k) is None else float(m[k]) for k in names])
    return np.asarray(rows, dtype=float).reshape(hi - lo, len(names))


class Evaluator:
    """Replications of candidates on common random numbers, run in a local process pool
    or on a Dask cluster (``backend="dask"``; ``hallsim.cluster``).

    ``obs[i]`` holds candidate i's replications 0..n-1 as rows ``[metric]``
    (the simulated metrics and the design measures).  Which replications run
    depends only on what is asked, never on the worker count or the backend.
    """

    def __init__(
        self,
        problem: Problem,
        candidates: list[Candidate],
        workers: int = 1,
        backend: str = "local",
        scheduler: str | None = None,
    ):
        self.problem = problem
        self.candidates = candidates
        self.names = tuple(m for m in problem.needed if m not in DESIGN_MEASURES)
        self.columns = {m: k for k, m in enumerate(self.names)}
        for m in DESIGN_MEASURES:
            self.columns[m] = len(self.columns)
        self.obs: dict[int, np.ndarray] = {}
        self.simulations = 0
        self.workers = max(1, int(workers))
        self.backend, self.scheduler = _check_backend(backend, scheduler)
        self._pool: Executor | None = None
        self._close: Callable[[bool], None] | None = None
        # replications of an earlier, interrupted run of the same problem (by layout label):
        # taken instead of simulating them again, only as far as this run asks
        self.saved: dict[str, np.ndarray] = {}
        self.resumed = 0
        self.checkpoint: Callable[[Evaluator], None] | None = None

    def __enter__(self) -> Evaluator:
        if self._close is not None:  # open already (a search hands on its evaluator)
            return self
        if self.backend == "dask":
            from hallsim.cluster import dask_executor

            dask = dask_executor(self.workers, self.scheduler)
            close = dask.close
            self._pool, self.workers = dask.executor, dask.workers
            self._close = lambda _interrupted: close()
        elif self.workers > 1:
            from hallsim.experiment import stop_pool, worker_pool

            pool = worker_pool(self.workers)
            self._pool = pool
            self._close = lambda interrupted: stop_pool(pool, interrupted)
        return self

    def __exit__(self, kind: type[BaseException] | None = None, *_: object) -> None:
        from hallsim.experiment import ctrl_c_held

        # a second Ctrl-C must not cut the shutdown short (experiment.stop_pool)
        with ctrl_c_held():
            if self._close is not None:
                close, self._pool, self._close = self._close, None, None
                interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
                close(interrupted)

    def n(self, i: int) -> int:
        return len(self.obs.get(i, ()))

    def ensure(self, wanted: dict[int, int]) -> None:
        """Run replications so candidate i has at least ``wanted[i]`` of them."""
        jobs, owners = [], []
        for i, n in wanted.items():
            old = self.saved.get(self.candidates[i].label)
            if old is not None and self.n(i) < min(n, len(old)):
                rows = old[self.n(i) : min(n, len(old))]
                self.obs[i] = rows if i not in self.obs else np.vstack([self.obs[i], rows])
                self.simulations += len(rows)
                self.resumed += len(rows)
        todo = {i: n for i, n in wanted.items() if n > self.n(i)}
        total = sum(n - self.n(i) for i, n in todo.items())
        if not total:
            return
        # blocks of a few replications: enough to amortise a job's cost, enough
        # jobs to keep every worker busy (block sizes never change any number)
        block = max(1, min(25, total // (4 * self.workers) or 1))
        for i, n in sorted(todo.items()):
            sc = self.candidates[i].scenario
            for lo in range(self.n(i), n, block):
                jobs.append((sc, self.problem.seed, lo, min(n, lo + block), self.names))
                owners.append(i)
        results = (
            self._pool.map(_simulate_block, jobs) if self._pool else map(_simulate_block, jobs)
        )
        new: dict[int, list[np.ndarray]] = {}
        for i, rows in zip(owners, results, strict=True):
            new.setdefault(i, []).append(rows)
        for i, parts in new.items():
            cand = self.candidates[i]
            sim = np.vstack(parts)
            design = np.tile([cand.windows, cand.planned_staff_hours], (len(sim), 1))
            block_rows = np.hstack([sim, design])
            self.obs[i] = block_rows if i not in self.obs else np.vstack([self.obs[i], block_rows])
            self.simulations += len(sim)
        if self.checkpoint is not None:
            self.checkpoint(self)

    def snapshot(self) -> dict[str, np.ndarray]:
        """Every replication run so far, by layout label (with the earlier run's)."""
        out = dict(self.saved)
        for i, rows in self.obs.items():
            label = self.candidates[i].label
            if label not in out or len(out[label]) < len(rows):
                out[label] = rows
        return out

    def values(self, i: int, metric: str, n: int | None = None) -> np.ndarray:
        x = self.obs[i][:, self.columns[metric]]
        return x if n is None else x[:n]


# --------------------------------------------------------------------------- procedures


def kn_h2(k: int, n0: int, alpha: float) -> float:
    """KN's h² = 2η(n0 − 1), η = ½[(2α/(k − 1))^(−2/(n0 − 1)) − 1] (Kim & Nelson 2001, c = 1)."""
    if k < 2:
        return 0.0
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    return 2 * eta * (n0 - 1)


def fcp_h2(n0: int, beta: float) -> float:
    """h² of the feasibility check for one (system, constraint) with error ``beta``
    (Andradóttir & Kim 2010, c = 1): (n0 − 1)[(2β)^(−2/(n0 − 1)) − 1]."""
    return (n0 - 1) * ((2 * beta) ** (-2 / (n0 - 1)) - 1)


TIE_BREAK = ("wait_mean_min", "min")
"""Among layouts tied on an exact design objective (windows, planned staff-hours), the one
with the shortest mean wait is chosen (by KN): least staff, then least waiting."""

ROUND_RUNS = 32
"""Replications a sequential round aims to run (at least one per undecided candidate):
few candidates left get several replications each, which keeps the pool busy.  Derived
from the procedure's state only, never from the worker count, so the simulations run
are identical for any worker count."""


def _batch(undecided: int) -> int:
    return max(1, math.ceil(ROUND_RUNS / max(1, undecided)))


@dataclass
class Feasibility:
    feasible: bool
    decided_at: int  # replications used for the decision
    capped: bool  # the replication cap was reached undecided (decided by the sample mean)


def feasibility_check(
    ev: Evaluator,
    ids: list[int],
    bounds: list[Bound],
    tolerances: dict[str, float],
    alpha: float,
    n0: int,
    cap: int,
) -> dict[int, Feasibility]:
    """Andradóttir & Kim's (2010) fully sequential feasibility check, every constraint.

    For a constraint with bound q and tolerance ε, d_j = q − Y_j (≤) or Y_j − q (≥);
    sample until |Σ_{j≤r} d_j| ≥ R(r) = max(0, h²S²/(2ε) − εr/2), S² the variance
    of the first n0 d_j; feasible for that constraint iff the sum is ≥ 0.  A
    candidate is feasible iff every constraint is.  Bonferroni over candidates and
    constraints: all decisions outside the tolerance zones are right with
    probability ≥ 1 − alpha.
    """
    if not bounds:
        return {i: Feasibility(True, 0, False) for i in ids}
    beta = alpha / (len(ids) * len(bounds))
    h2 = fcp_h2(n0, beta)
    ev.ensure({i: n0 for i in ids})
    state: dict[tuple[int, int], bool | None] = {}
    s2: dict[tuple[int, int], float] = {}
    decided_at = dict.fromkeys(ids, n0)
    capped = dict.fromkeys(ids, False)
    for i in ids:
        for b, bound in enumerate(bounds):
            d = _signed(ev.values(i, bound.metric, n0), bound)
            # a metric undefined on a day (no one served) is left out, as in summaries
            s2[i, b] = _nanvar(d)
            state[i, b] = None
    r = n0
    while True:
        open_ids = [i for i in ids if any(state[i, b] is None for b in range(len(bounds)))]
        # decide at every r up to what has been run, in order
        for i in open_ids:
            for rr in range(r, ev.n(i) + 1):
                pending = [b for b in range(len(bounds)) if state[i, b] is None]
                if not pending:
                    break
                for b in pending:
                    bound = bounds[b]
                    eps = tolerances[bound.metric]
                    d = _signed(ev.values(i, bound.metric, rr), bound)
                    total = float(np.nansum(d))
                    reach = max(0.0, h2 * s2[i, b] / (2 * eps) - eps * rr / 2)
                    if abs(total) >= reach:
                        state[i, b] = total >= 0
                        decided_at[i] = max(decided_at[i], rr)
                if all(state[i, b] is not None for b in range(len(bounds))):
                    break
        open_ids = [i for i in ids if any(state[i, b] is None for b in range(len(bounds)))]
        if not open_ids:
            break
        r = min(ev.n(i) for i in open_ids) + 1
        if r > cap:
            for i in open_ids:
                for b in range(len(bounds)):
                    if state[i, b] is None:
                        d = _signed(ev.values(i, bounds[b].metric, cap), bounds[b])
                        state[i, b] = float(np.nanmean(d)) >= 0
                capped[i] = True
                decided_at[i] = cap
            break
        ev.ensure({i: min(cap, ev.n(i) + _batch(len(open_ids))) for i in open_ids})
    # a constraint already failed makes the others moot: stop early on "infeasible"
    return {
        i: Feasibility(all(state[i, b] for b in range(len(bounds))), decided_at[i], capped[i])
        for i in ids
    }


def _signed_mean(x: np.ndarray, sign: float) -> float:
    """sign × the mean over the days where the metric is defined; +inf (never the best)
    when it is defined on none."""
    x = x[~np.isnan(x)]
    return sign * float(x.mean()) if len(x) else math.inf


def _nanvar(x: np.ndarray) -> float:
    """Sample variance over the defined days (inf with fewer than two: never decided)."""
    x = x[~np.isnan(x)]
    return float(np.var(x, ddof=1)) if len(x) >= 2 else math.inf


def _signed(y: np.ndarray, bound: Bound) -> np.ndarray:
    """Positive on the feasible side of the bound."""
    return (bound.value - y) if bound.op == "<=" else (y - bound.value)


@dataclass
class Selection:
    best: int
    eliminated_at: dict[int, int]  # candidate -> replications when eliminated
    replications: int  # r when the procedure stopped
    capped: bool  # stopped by the cap with several candidates left
    survivors: list[int]
    h2: float
    procedure: str = "KN"
    approximate_pcs: float | None = None  # OCBA: an estimate, not a guarantee


def kn_select(
    ev: Evaluator,
    ids: list[int],
    metric: str,
    sense: str,
    delta: float,
    alpha: float,
    n0: int,
    cap: int,
    on_round: Callable[[int, int], None] | None = None,
) -> Selection:
    """Kim & Nelson's (2001) fully sequential procedure KN on common random numbers.

    After n0 replications each, S²_il is the variance of the paired differences
    X_i − X_l.  At each r, candidate i leaves when some l is better by more than
    W_il(r) = max(0, δ/(2r)·(h²S²_il/δ² − r)) in mean.  Candidates whose
    differences are exactly zero in every replication (S² = 0, equal means) are
    the same design as far as the metric can tell; the later one leaves.
    """
    ids = sorted(ids)
    k = len(ids)
    ev.ensure({i: n0 for i in ids})
    if k == 1:
        return Selection(ids[0], {}, n0, False, ids, 0.0)
    h2 = kn_h2(k, n0, alpha)
    sign = 1.0 if sense == "min" else -1.0
    x0 = np.vstack([sign * ev.values(i, metric, n0) for i in ids])  # [k, n0]
    diff = x0[:, None, :] - x0[None, :, :]
    if np.isnan(diff).any():
        s2 = np.array([[_nanvar(diff[a, b]) for b in range(k)] for a in range(k)])
    else:
        s2 = np.var(diff, axis=2, ddof=1)
    alive = np.ones(k, dtype=bool)
    eliminated: dict[int, int] = {}
    r = n0
    capped = False
    while True:
        have = min(ev.n(ids[a]) for a in np.flatnonzero(alive))
        while r <= have and alive.sum() > 1:
            live = np.flatnonzero(alive)
            means = np.array([_signed_mean(ev.values(ids[a], metric, r), sign) for a in live])
            w = np.maximum(0.0, delta / (2 * r) * (h2 * s2[np.ix_(live, live)] / delta**2 - r))
            with np.errstate(invalid="ignore"):  # inf − inf: two never-defined designs
                gap = means[:, None] - means[None, :]  # > 0: row worse than column
                worse = gap > w
            same = (s2[np.ix_(live, live)] == 0) & (gap == 0)
            same &= live[:, None] > live[None, :]
            np.fill_diagonal(worse, False)
            out = (worse | same).any(axis=1)
            for a in live[out]:
                alive[a] = False
                eliminated[ids[a]] = r
            if alive.sum() > 1:
                r += 1
        if alive.sum() == 1:
            break
        if r > cap:
            capped = True
            break
        live = np.flatnonzero(alive)
        if on_round:
            on_round(int(alive.sum()), r)
        ev.ensure({ids[a]: min(cap, r - 1 + _batch(len(live))) for a in live})
        if min(ev.n(ids[a]) for a in live) < r:  # cap reached
            capped = True
            r = cap
            break
    live = np.flatnonzero(alive)
    survivors = [ids[a] for a in live]
    n = min(r, min(ev.n(i) for i in survivors))
    best = min(survivors, key=lambda i: (_signed_mean(ev.values(i, metric, n), sign), i))
    return Selection(best, eliminated, n, capped, survivors, h2)


def ocba_allocation(means: np.ndarray, sds: np.ndarray, total: float, sense: str) -> np.ndarray:
    """OCBA's asymptotically optimal shares of ``total`` replications (Chen et al. 2000):
    N_i/N_j = (s_i/d_i)² / (s_j/d_j)² for i, j not the best b (d = distance to the best
    mean), N_b = s_b·sqrt(Σ_{i≠b} N_i²/s_i²)."""
    sign = 1.0 if sense == "min" else -1.0
    x = sign * np.asarray(means, float)
    b = int(np.argmin(x))
    scale = 1e-9 * (1.0 + np.abs(x).max())
    s = np.maximum(np.asarray(sds, float), scale)
    d = np.maximum(np.abs(x - x[b]), scale)
    w = (s / d) ** 2
    w[b] = 0.0
    w[b] = s[b] * math.sqrt(float(np.sum(np.delete(w, b) ** 2 / np.delete(s, b) ** 2)))
    return total * w / w.sum()


def ocba_select(
    ev: Evaluator,
    ids: list[int],
    metric: str,
    sense: str,
    n0: int,
    budget: int,
) -> Selection:
    """Spend ``budget`` replications in total (the first n0 each included) by OCBA, in
    rounds of ROUND_RUNS; choose the best sample mean.  ``approximate_pcs`` is the
    Bonferroni estimate 1 − Σ_i P(candidate i truly better), from the paired differences
    to the chosen one (common random numbers): an estimate, not a guarantee."""
    from scipy import stats

    ids = sorted(ids)
    sign = 1.0 if sense == "min" else -1.0
    ev.ensure({i: n0 for i in ids})
    if len(ids) == 1:
        return Selection(ids[0], {}, n0, False, ids, 0.0, "OCBA", 1.0)
    used = {i: n0 for i in ids}
    while sum(used.values()) < budget:
        want = min(budget, sum(used.values()) + ROUND_RUNS)
        means = np.array([ev.values(i, metric, used[i]).mean() for i in ids])
        sds = np.array([ev.values(i, metric, used[i]).std(ddof=1) for i in ids])
        target = ocba_allocation(means, sds, want, sense)
        have = np.array([used[i] for i in ids], float)
        deficit = np.maximum(0.0, target - have)
        extra = want - int(have.sum())
        if deficit.sum() <= 0:
            deficit = np.ones(len(ids))
        share = deficit / deficit.sum() * extra
        add = np.floor(share).astype(int)
        for a in np.argsort(-(share - add), kind="stable")[: extra - int(add.sum())]:
            add[a] += 1  # largest remainders first, ties by position: deterministic
        for a, i in enumerate(ids):
            used[i] += int(add[a])
        ev.ensure({i: used[i] for i in ids})
    best = min(ids, key=lambda i: (sign * ev.values(i, metric, used[i]).mean(), i))
    wrong = 0.0
    for i in ids:
        if i == best:
            continue
        n = min(used[i], used[best])
        d = sign * (ev.values(i, metric, n) - ev.values(best, metric, n))
        sd = float(d.std(ddof=1))
        mean = float(d.mean())
        if sd > 0:
            wrong += float(stats.norm.cdf(-mean / (sd / math.sqrt(n))))
        elif mean <= 0:
            wrong += 0.5  # indistinguishable on every day
    return Selection(best, {}, max(used.values()), False, ids, 0.0, "OCBA", max(0.0, 1.0 - wrong))


# --------------------------------------------------------------------------- search


def _erlang_levels(
    problem: Problem, counts: tuple[int, ...], choices: tuple[int, ...], target: Bound
) -> tuple[np.ndarray, list[str]] | None:
    """Erlang C/A windows per group and roster period for this layout (None if unknown)."""
    from hallsim import staffing

    try:
        sc = build_scenario(problem, counts, choices)
        r = problem.space.roster
        if r is not None:
            sc = sc.with_changes({"hall.period_min": r.period_min}, source="optimise")
        level, _ = staffing.erlang_estimate(
            sc, staffing.Target(target.metric, target.op, target.value)
        )
    except (ScenarioError, staffing.StaffingError, ValueError):
        return None
    return level, [w.name for w in sc.windows]


def erlang_seed(
    problem: Problem, target: Bound | None = None
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """A starting design for the neighbourhood search from the Erlang C estimate.

    Builds the space's first matter-set choice with every group at its largest
    count, asks ``staffing.erlang_estimate`` for each group's windows in the
    busiest period, clips them to the group's range, then trims or tops up
    (groups in order) to meet a windows budget.  With ``[optimise.roster]``,
    each roster group's level per period is Erlang's estimate for that period
    (with the chosen counts), clipped to [min_staffed, count].
    """
    from hallsim import staffing

    groups = problem.space.groups
    counts = [g.counts[-1] for g in groups]
    choices = tuple(0 for _ in groups)
    want = target or Bound("service_level", ">=", 0.8)
    if want.metric not in staffing.TARGET_METRICS:
        want = Bound("service_level", ">=", 0.8)
    est = _erlang_levels(problem, tuple(max(1, c) for c in counts), choices, want)
    if est is not None:
        named = {n: int(p) for n, p in zip(est[1], est[0].max(axis=1), strict=True)}
        counts = [min(max(named.get(g.name, 0), g.counts[0]), g.counts[-1]) for g in groups]
    else:
        counts = [g.counts[0] for g in groups]
    for b in problem.budgets:
        if b.metric != "windows":
            continue
        g = 0
        while sum(counts) > b.value and g < 10_000:
            k = g % len(groups)
            if counts[k] > groups[k].counts[0]:
                counts[k] -= 1
            g += 1
        g = 0
        while b.op == "=" and sum(counts) < b.value and g < 10_000:
            k = g % len(groups)
            if counts[k] < groups[k].counts[-1]:
                counts[k] += 1
            g += 1
    r = problem.space.roster
    levels: tuple[tuple[int, ...], ...] = ()
    if r is not None:
        periods = len(roster_starts(problem))
        est = _erlang_levels(problem, tuple(counts), choices, want)
        by_name = {} if est is None else dict(zip(est[1], est[0], strict=True))
        count_of = {g.name: c for g, c in zip(groups, counts, strict=True)}
        rows = []
        for name in r.groups:
            c = count_of[name]
            row = by_name.get(name, np.full(periods, c))
            rows.append(tuple(int(min(max(x, min(r.min_staffed, c)), c)) for x in row[:periods]))
        levels = tuple(rows)
        for name, row in zip(r.groups, levels, strict=True):
            a = [g.name for g in groups].index(name)
            if counts[a]:
                counts[a] = max(row)  # a rostered group has as many windows as it staffs
    return tuple(counts), choices, levels


def _clip_levels(problem: Problem, counts, levels):
    r = problem.space.roster
    if r is None or not levels:
        return levels
    count_of = {g.name: c for g, c in zip(problem.space.groups, counts, strict=True)}
    out = []
    for name, row in zip(r.groups, levels, strict=True):
        c = count_of[name]
        out.append(tuple(min(max(x, min(r.min_staffed, c)), c) for x in row))
    return tuple(out)


def _neighbours(problem: Problem, counts, choices, levels=()):
    """Designs one step away: a window more or fewer in a group, one moved between groups,
    another matter set, and (rosters) one window more or fewer in one period."""
    groups, sets = problem.space.groups, _sets(problem)
    k = len(groups)
    out = []
    rostered = set(_roster_index(problem)) if levels else set()
    for a in range(k):
        if groups[a].name in rostered:  # its count follows its roster (moves below)
            for j in range(len(sets[a])):
                if j != choices[a]:
                    ch = list(choices)
                    ch[a] = j
                    out.append((counts, tuple(ch), levels))
            continue
        for step in (-1, 1):
            c = list(counts)
            c[a] += step
            if c[a] in groups[a].counts:
                out.append((tuple(c), choices, _clip_levels(problem, c, levels)))
        for b in range(k):
            if a != b and groups[b].name not in rostered:
                c = list(counts)
                c[a] -= 1
                c[b] += 1
                if c[a] in groups[a].counts and c[b] in groups[b].counts:
                    out.append((tuple(c), choices, _clip_levels(problem, c, levels)))
        for j in range(len(sets[a])):
            if j != choices[a]:
                ch = list(choices)
                ch[a] = j
                out.append((counts, tuple(ch), levels))
    r = problem.space.roster
    if r is not None and levels:
        index = {g.name: a for a, g in enumerate(groups)}
        for gi, name in enumerate(r.groups):
            a = index[name]
            low, high = groups[a].counts[0], groups[a].counts[-1]
            for p in range(len(levels[gi])):
                for step in (-1, 1):
                    row = list(levels[gi])
                    row[p] += step
                    if not max(r.min_staffed, 0) <= row[p] or not low <= max(row) <= high:
                        continue
                    c = list(counts)
                    c[a] = max(row)  # the group has as many windows as its busiest period
                    new = list(levels)
                    new[gi] = tuple(row)
                    out.append((tuple(c), choices, tuple(new)))
    return out


def _score(problem: Problem, ev: Evaluator, c: Candidate) -> float:
    """Sample-mean objective (smaller is better), +1e9 when a constraint's mean fails."""
    sign = 1.0 if problem.sense == "min" else -1.0
    ok = all(b.met(float(np.nanmean(ev.values(c.index, b.metric)))) for b in problem.constraints)
    value = sign * float(np.nanmean(ev.values(c.index, problem.objective)))
    if problem.objective in DESIGN_MEASURES:  # exact: the tie-break metric orders ties
        value += 1e-6 * float(np.nanmean(ev.values(c.index, TIE_BREAK[0])))
    return value + (0 if ok else 1e9)


def neighbourhood_search(
    problem: Problem,
    ev_factory: Callable[[list[Candidate]], Evaluator],
    n0: int,
    max_visits: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Candidate], Evaluator]:
    """Greedy integer neighbourhood search on common random numbers.

    From the Erlang seed, evaluate every neighbour (``_neighbours``) with n0
    replications; move to the best neighbour that meets the budgets and, by its
    sample means, the constraints, while it improves the objective; stop at a
    local optimum or after ``max_visits`` designs.  Returns the designs visited
    (KN then selects among the best of them, so the guarantee is over those).
    """
    visited: dict[tuple, Candidate | None] = {}
    cands: list[Candidate] = []
    ev = ev_factory(cands)

    def visit(key) -> Candidate | None:
        if key in visited:
            return visited[key]
        cand = make_candidate(problem, len(cands), *key)
        if cand is None or not _budget_ok(problem, cand):
            visited[key] = None
            return None
        cands.append(cand)
        visited[key] = cand
        return cand

    start = erlang_seed(problem, problem.constraints[0] if problem.constraints else None)
    current = visit(start)
    if current is None:
        for key in _neighbours(problem, *start):
            current = visit(key)
            if current is not None:
                break
    groups = problem.space.groups
    counts, choices, levels = start
    while current is None and any(c > g.counts[0] for c, g in zip(counts, groups, strict=True)):
        # over a budget Erlang cannot see (staff-hours): drop a window from the group
        # with the most above its minimum until a design fits
        a = max(range(len(groups)), key=lambda k: (counts[k] - groups[k].counts[0], -k))
        counts = tuple(c - (k == a) for k, c in enumerate(counts))
        key = (counts, choices, _clip_levels(problem, counts, levels))
        current = visit(key)
    if current is None:
        return cands, ev
    ev.ensure({current.index: n0})
    while len(cands) < max_visits:
        keys = _neighbours(problem, current.counts, current.choices, current.levels)
        nb = [c for c in (visit(key) for key in keys) if c is not None]
        ev.ensure({c.index: n0 for c in nb})
        if not nb:
            break
        best = min(nb, key=lambda c: (_score(problem, ev, c), c.index))
        if progress:
            progress(f"search: {len(cands)} designs visited, at {current.label}")
        if _score(problem, ev, best) >= _score(problem, ev, current):
            break
        current = best
    return cands, ev


# --------------------------------------------------------------------------- the answer


@dataclass
class Outcome:
    problem: Problem
    candidates: list[Candidate]
    evaluator: Evaluator
    feasibility: dict[int, Feasibility]
    selection: Selection | None
    rejected: dict[str, int]
    method: str  # "enumeration" or "neighbourhood search"
    space_size: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return None if self.selection is None else self.candidates[self.selection.best]

    @property
    def pcs(self) -> float:
        """The guaranteed PCS (KN), or OCBA's estimate."""
        if self.selection is not None and self.selection.procedure == "OCBA":
            return float(self.selection.approximate_pcs)
        return 1.0 - self.problem.alpha

    @property
    def guarantee_holds(self) -> bool:
        if self.selection is not None and self.selection.procedure == "OCBA":
            return False  # OCBA estimates the PCS; it guarantees nothing
        if self.selection is not None and self.selection.capped:
            return False
        return not any(f.capped for f in self.feasibility.values())

    def summary(self, i: int, metric: str, n: int | None = None) -> dict[str, float | None]:
        from hallsim.experiment import summarise_values

        metric_range = metric if metric in METRICS else None
        s = summarise_values(self.evaluator.values(i, metric, n), metric=metric_range)
        return {k: s[k] for k in ("mean", "ci_low", "ci_high", "sd", "n")}

    def paired(self, i: int, metric: str) -> dict[str, float | None]:
        """Candidate i − best on the replications both have (common random numbers)."""
        from hallsim.experiment import summarise_values

        b = self.selection.best
        n = min(self.evaluator.n(i), self.evaluator.n(b))
        d = self.evaluator.values(i, metric, n) - self.evaluator.values(b, metric, n)
        s = summarise_values(d)
        if s["sd"] == 0:
            s["ci_low"] = s["ci_high"] = s["mean"]
        return {k: s[k] for k in ("mean", "ci_low", "ci_high", "n")}

    def ranking(self) -> list[int]:
        """Feasible candidates, best first, then by mean objective (and the tie-break
        metric) on the replications each shares with the best."""
        if self.selection is None:
            return []
        p = self.problem
        sign = 1.0 if p.sense == "min" else -1.0
        best = self.selection.best
        feas = [i for i, f in self.feasibility.items() if f.feasible]

        def key(i: int):
            d = self.paired(i, p.objective)["mean"] or 0.0
            t = self.paired(i, TIE_BREAK[0])["mean"] or 0.0 if p.objective in DESIGN_MEASURES else 0
            return (i != best, sign * d, t, i)

        return sorted(feas, key=key)

    def pareto_days(self) -> int:
        """The days the Pareto front compares on: replications 0..n-1, which every
        simulated candidate has.  On common random numbers replication r is the same day
        for every layout, so the front's means are over the same days for all (a layout
        simulated longer, e.g. by KN, must not look better or worse by its extra days)."""
        ns = [self.evaluator.n(c.index) for c in self.candidates]
        return min((n for n in ns if n > 0), default=0)

    def pareto(self) -> list[int]:
        """Candidates no other candidate beats on every PARETO objective, by their means
        over the ``pareto_days`` every candidate shares (the numbers shown for it).  A
        description of the trade-off, not a selection with a guarantee."""
        days = self.pareto_days()
        ids = [c.index for c in self.candidates if self.evaluator.n(c.index) > 0]
        pts = np.array(
            [
                [
                    (1 if sense == "min" else -1) * np.nanmean(self.evaluator.values(i, m, days))
                    for m, sense in PARETO
                ]
                for i in ids
            ]
        )
        front = []
        for a, i in enumerate(ids):
            dominated = np.any(np.all(pts <= pts[a], axis=1) & np.any(pts < pts[a], axis=1))
            if not dominated:
                front.append(i)
        return front


def _check_backend(backend: str, scheduler: str | None) -> tuple[str, str | None]:
    """``backend`` and ``scheduler`` as the sweep takes them: a scheduler means Dask."""
    from hallsim.names import BACKENDS

    if backend not in BACKENDS:
        raise OptimiseError(f"backend: must be one of {BACKENDS}, got {backend!r}")
    if scheduler and backend != "dask":
        raise OptimiseError("scheduler: a Dask scheduler address needs backend='dask'")
    return backend, scheduler or None


def _evaluator(problem, cands, workers, saved, checkpoint, backend, scheduler) -> Evaluator:
    ev = Evaluator(problem, cands, workers, backend, scheduler)
    ev.saved = dict(saved or {})
    ev.checkpoint = checkpoint
    return ev


def problem_key(problem: Problem) -> str:
    """What an optimisation's replications depend on: base scenario, groups, seed and
    the metrics recorded.  Saved replications are reused only under the same key."""
    import hashlib
    import json

    from hallsim import __version__
    from hallsim.scenario import scenario_to_dict

    text = json.dumps(
        {
            "base": scenario_to_dict(problem.base),
            "groups": [g.model_dump(mode="json") for g in problem.space.groups],
            "seed": problem.seed,
            "metrics": [m for m in problem.needed if m not in DESIGN_MEASURES],
            "version": __version__,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


EVALUATIONS = "evaluations.npz"
"""The replications of a run in its results folder (what a rerun resumes from)."""


def dump_evaluations(ev: Evaluator, key: str, path: str | Path) -> None:
    """Write the evaluator's replications to ``path`` (an .npz; the caller renames it)."""
    snap = ev.snapshot()
    labels = sorted(snap)
    arrays = {f"a{k}": snap[label] for k, label in enumerate(labels)}
    with open(path, "wb") as fh:
        np.savez(fh, key=np.array(key), labels=np.array(labels, dtype=str), **arrays)


def load_evaluations(path: str | Path, key: str) -> dict[str, np.ndarray]:
    """Saved replications by layout label, or {} when missing, unreadable or of another
    problem (a different scenario, space, seed or hallsim version)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return {}
            labels = [str(x) for x in data["labels"]]
            return {label: np.array(data[f"a{k}"]) for k, label in enumerate(labels)}
    except (OSError, KeyError, ValueError):
        return {}


def kn_zone(problem: Problem) -> tuple[str, str, float]:
    """The metric KN selects on, its sense and the indifference zone δ it uses: the
    objective's, or, for an exact design objective (staff-hours, windows), the
    tie-break metric's among the layouts tied at the exact optimum.  The one place
    the progress line, the guarantee and ``--json`` take δ from."""
    if problem.objective not in DESIGN_MEASURES:
        return problem.objective, problem.sense, problem.delta
    metric, sense = TIE_BREAK
    return metric, sense, default_zone(metric)


def _select(
    problem: Problem,
    ev: Evaluator,
    ok: list[int],
    n0: int,
    cap: int,
    alpha: float,
    say: Callable[[str], None],
) -> Selection:
    """KN on the objective; for an exact design objective, the exact optimum's ties
    go to KN on the tie-break metric (a lexicographic objective)."""

    def rounds(k: int, r: int) -> None:
        if r % 25 == 0:
            say(f"KN: {k} candidates left after {r} replications")

    space = problem.space

    def pick_best(ids: list[int], metric: str, sense: str, delta: float) -> Selection:
        if space.procedure == "ocba":
            budget = space.simulations or 20 * n0 * len(ids)
            return ocba_select(ev, ids, metric, sense, n0, max(budget, n0 * len(ids)))
        return kn_select(ev, ids, metric, sense, delta, alpha, n0, cap, rounds)

    metric, sense, delta = kn_zone(problem)
    if problem.objective not in DESIGN_MEASURES:
        return pick_best(ok, metric, sense, delta)
    value = {i: ev.candidates[i].design(problem.objective) for i in ok}
    pick = min if problem.sense == "min" else max
    target = pick(value.values())
    tied = [i for i in ok if value[i] == target]
    sel = pick_best(tied, metric, sense, delta)
    for i in ok:
        if value[i] != target:
            sel.eliminated_at[i] = n0
    return sel


def optimise(
    problem: Problem,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    saved: dict[str, np.ndarray] | None = None,
    checkpoint: Callable[[Evaluator], None] | None = None,
    backend: str = "local",
    scheduler: str | None = None,
) -> Outcome:
    """Search the space, check the constraints, select the best (see the module doc).

    ``saved``: replications of an earlier run of the same problem (``problem_key``),
    by layout label, e.g. from ``load_evaluations``; they are used instead of
    simulating again, so an interrupted run resumes with identical results.
    ``checkpoint(evaluator)`` is called after every batch of replications.
    ``backend="dask"`` runs the replications on a Dask cluster: the one at
    ``scheduler`` (e.g. ``"tcp://host:8786"``), else a LocalCluster of ``workers``
    processes.  It needs the extra ``hallsim[cluster]`` (ImportError naming it);
    a cluster that cannot be reached raises ``hallsim.cluster.ClusterError``.
    The outcome is the same for any backend and number of workers.
    """
    import time

    start = time.monotonic()
    say = progress or (lambda _m: None)
    backend, scheduler = _check_backend(backend, scheduler)
    if backend == "dask":
        from hallsim.cluster import require_dask

        require_dask()  # before anything runs
    check_space(problem)
    s = problem.space
    n0, cap = s.first_replications, max(s.first_replications, s.max_replications)
    size = space_size(problem)
    notes: list[str] = []
    if size <= s.max_candidates:
        cands, rejected = enumerate_candidates(problem)
        method = "enumeration"
        ev = _evaluator(problem, cands, workers, saved, checkpoint, backend, scheduler)
        say(f"{len(cands)} layouts within the budget ({size} in the space); {n0} replications each")
    else:
        method = "neighbourhood search"
        rejected = {"over_budget": 0, "not_a_valid_hall": 0}
        holder: dict[str, Evaluator] = {}

        def factory(cands: list[Candidate]) -> Evaluator:
            holder["ev"] = _evaluator(
                problem, cands, workers, saved, checkpoint, backend, scheduler
            )
            holder["ev"].__enter__()
            return holder["ev"]

        say(f"{size} layouts in the space (> max_candidates {s.max_candidates}): searching")
        try:
            cands, ev = neighbourhood_search(problem, factory, n0, s.max_candidates, say)
        except BaseException as exc:
            if "ev" in holder:
                holder["ev"].__exit__(type(exc))
            raise
        # the search's pool (or cluster) stays open for the selection below
        notes.append(
            f"the space holds {size} designs; a neighbourhood search visited {len(cands)}, "
            "and the selection guarantee is over those (a local, not a global, optimum)"
        )
    if not cands:
        ev.__exit__()
        raise OptimiseError(
            f"{problem.source}: no layout of the space meets the budget "
            f"({', '.join(map(str, problem.budgets)) or 'none'}) and serves every matter"
        )
    with ev:
        ids = [c.index for c in cands]
        ev.ensure({i: n0 for i in ids})
        if method != "enumeration" and len(ids) > s.finalists:
            ids = sorted(ids, key=lambda i: (_score(problem, ev, cands[i]), i))[: s.finalists]
            notes.append(
                f"the {s.finalists} best of the {len(cands)} designs visited (by their "
                f"first {n0} days) went on to the feasibility check and selection"
            )
        alpha_f = problem.alpha / 2 if problem.constraints else 0.0
        alpha_s = problem.alpha - alpha_f
        say(f"feasibility check of {len(problem.constraints)} constraint(s)")
        feas = feasibility_check(
            ev, ids, problem.constraints, problem.tolerances, alpha_f or 1, n0, cap
        )
        ok = [i for i in ids if feas[i].feasible]
        sel = None
        if ok:
            metric, _, delta = kn_zone(problem)
            say(f"{len(ok)} feasible; selecting the best by KN on {metric} (δ = {delta:g})")
            sel = _select(problem, ev, ok, n0, cap, alpha_s, say)
    if sel is not None and sel.capped:
        notes.append(
            f"the replication cap ({cap}) stopped KN with {len(sel.survivors)} candidates "
            "still in contention: the best of them by sample mean is shown, without the "
            "guarantee (raise max_replications or delta)"
        )
    capped = [i for i, f in feas.items() if f.capped]
    if capped:
        notes.append(
            f"{len(capped)} candidate(s) reached the replication cap undecided on a "
            "constraint and were classified by their sample mean"
        )
    return Outcome(
        problem, cands, ev, feas, sel, rejected, method, size, time.monotonic() - start, notes
    )


# --------------------------------------------------------------------------- reporting

RUNNERS_UP = 5
"""Runner-up layouts shown with their paired differences to the best."""


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _toml_value(v: Any) -> str:
    from hallsim.fit import _toml_value as value

    return value(v)


def windows_toml(candidate: Candidate) -> str:
    """The layout's [[windows]] tables, to paste in place of the base scenario's."""
    lines = []
    for w in candidate.scenario.windows:
        lines.append("[[windows]]")
        for k, v in w.model_dump(mode="json", exclude_unset=True, exclude_none=True).items():
            lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def scenario_toml(candidate: Candidate, note: str = "") -> str:
    """The whole scenario with this layout, as TOML that ``hallsim validate`` accepts."""
    from hallsim.fit import _key

    data = candidate.scenario.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    data["description"] = f"layout chosen by hallsim optimise: {candidate.label}"
    lines = [f"# {note}"] if note else []
    arrays = {k: v for k, v in data.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict) and k not in arrays}
    for k, v in data.items():
        if k not in arrays and k not in tables:
            lines.append(f"{_key(k)} = {_toml_value(v)}")
    for k, v in tables.items():
        lines += ["", f"[{k}]"]
        lines += [f"{_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items()]
    for k, items in arrays.items():
        for item in items:
            lines += ["", f"[[{k}]]"]
            lines += [f"{_key(kk)} = {_toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def zh_name(metric: str) -> str:
    """A metric or design measure as a Chinese reader reads it: its registry label (the
    key stays in JSON and in the English text, where it is what the space file names)."""
    from hallsim.metrics.registry import label

    return label(metric, "zh")


def zh_constraint(c: Bound) -> str:
    return f"{zh_name(c.metric)} {c.op} {c.value:g}"


def guarantee_text(out: Outcome) -> tuple[str, str]:
    """The probability-of-correct-selection statement (English, Chinese)."""
    p = out.problem
    pcs = f"{100 * out.pcs:g}%"
    obj = p.objective
    _, _, delta = kn_zone(p)
    if obj in DESIGN_MEASURES:
        zone_en = (
            f"{obj} is exact; among layouts tied on it, the shortest mean wait is chosen "
            f"(δ = {delta:g})"
        )
        zone_zh = f"{zh_name(obj)}为确定值；并列者中选平均等候时长最短者（δ = {delta:g}）"
    else:
        zone_en = f"whenever it is at least δ = {delta:g} better than every other"
        zone_zh = f"只要最优方案比其他方案至少好 δ = {delta:g}"
    tol = ", ".join(f"{c} (ε = {p.tolerances[c.metric]:g})" for c in p.constraints)
    tol_zh = "，".join(
        f"{zh_constraint(c)}（ε = {p.tolerances[c.metric]:g}）" for c in p.constraints
    )
    if out.selection is None:
        en = (
            f"With probability ≥ {pcs}, every layout outside the tolerance of {tol} is classed "
            "feasible or not correctly (Andradóttir & Kim 2010): none was found feasible."
        )
        zh = (
            f"在 {tol_zh} 的容差之外，各方案可行与否的判断以不低于 {pcs} 的概率正确"
            "（Andradóttir & Kim 2010）：没有可行方案。"
        )
        if not out.guarantee_holds:
            en += " NOT MET here: the replication cap was reached (see the notes)."
            zh += " 本次未达到：已到重复次数上限（见说明）。"
        return en, zh
    checked = len(out.feasibility)
    if out.method == "enumeration":
        over, over_zh = "all layouts", "全部方案"
    elif checked < len(out.candidates):
        over = f"the {checked} best designs the search visited"
        over_zh = f"搜索访问过的最好的 {checked} 个方案"
    else:
        over, over_zh = "the designs visited by the search", "搜索访问过的方案"
    if out.selection is not None and out.selection.procedure == "OCBA":
        en = (
            f"OCBA (Chen et al. 2000) spent the simulation budget; the estimated probability "
            f"that the chosen design is the best of {over} is {100 * out.pcs:.1f}% "
            "(Bonferroni, from paired differences): an estimate, not a guarantee."
        )
        zh = (
            f"OCBA（Chen 等 2000）按固定仿真预算分配；所选方案为最优的估计概率为 "
            f"{100 * out.pcs:.1f}%（估计值，非保证）。"
        )
        return en, zh
    en = (
        f"With probability ≥ {pcs} the chosen layout is the best of {over} ({zone_en})"
        + (f", and every layout outside the tolerance of {tol} is classed correctly" if tol else "")
        + " — Kim & Nelson (2001) KN"
        + (" with the Andradóttir & Kim (2010) feasibility check" if tol else "")
        + "."
    )
    zh = (
        f"所选方案以不低于 {pcs} 的概率是{over_zh}中的最优（{zone_zh}）"
        + (f"，且 {tol_zh} 容差之外的每个方案均被正确判定可行与否" if tol else "")
        + "——Kim & Nelson (2001) 的 KN 程序"
        + ("，及 Andradóttir & Kim (2010) 的可行性检验" if tol else "")
        + "。"
    )
    if not out.guarantee_holds:
        en += " NOT MET here: the replication cap was reached (see the notes)."
        zh += " 本次未达到：已到重复次数上限（见说明）。"
    return en, zh


def answer_line(out: Outcome) -> tuple[str, str]:
    """One line each in English and Chinese: what to do."""
    b = out.best
    p = out.problem
    if b is None:
        return (
            "No layout of the space meets the constraints.",
            "搜索空间中没有满足约束的方案。",
        )
    s = out.summary(b.index, p.objective) if p.objective not in DESIGN_MEASURES else None
    val = f"{b.design(p.objective):g}" if s is None else f"{s['mean']:.3g}"
    verb = "minimises" if p.sense == "min" else "maximises"
    verb_zh = "最小" if p.sense == "min" else "最大"
    cons = "; ".join(str(c) for c in p.constraints)
    en = f"Open {b.label}: it {verb} {p.objective} ({val})" + (
        f" subject to {cons}" if cons else ""
    )
    cons_zh = "；".join(zh_constraint(c) for c in p.constraints)
    zh = f"开设 {b.label}：使{zh_name(p.objective)}{verb_zh}（{val}）" + (
        f"，满足 {cons_zh}" if cons else ""
    )
    if out.selection.procedure == "OCBA":
        en += f", estimated PCS {100 * out.pcs:.0f}% (OCBA, not a guarantee)."
        zh += f"，正确选择概率估计为 {100 * out.pcs:.0f}%（OCBA，非保证）。"
    elif out.guarantee_holds:
        en += f", PCS ≥ {100 * out.pcs:g}%."
        zh += f"，正确选择概率 ≥ {100 * out.pcs:g}%。"
    else:
        en += "; the PCS guarantee was not met (the replication cap was reached)."
        zh += "；未达到正确选择概率保证（已到重复次数上限）。"
    return en, zh


def outcome_json(out: Outcome) -> dict[str, Any]:
    """Everything the command prints, as plain JSON-able data."""
    p = out.problem
    shown = list(dict.fromkeys([p.objective, *(c.metric for c in p.constraints), *SHOWN]))
    shown_sim = [m for m in shown if m not in DESIGN_MEASURES]

    def cand_json(i: int, days: int | None = None) -> dict[str, Any]:
        """Candidate i, its metrics over all its days or over its first ``days``."""
        c = out.candidates[i]
        f = out.feasibility.get(i)
        row: dict[str, Any] = {
            "index": i,
            "layout": c.label,
            "counts": {g.name: n for g, n in zip(p.space.groups, c.counts, strict=True)},
            "windows": c.windows,
            "planned_staff_hours": c.planned_staff_hours,
            "replications": out.evaluator.n(i) if days is None else days,
            "feasible": None if f is None else f.feasible,  # None: not a finalist
            "metrics": {
                m: {k: _num(v) for k, v in out.summary(i, m, days).items()} for m in shown_sim
            },
        }
        if c.levels:
            starts = roster_starts(p)
            from hallsim.scenario import format_clock

            row["roster"] = {
                name: {format_clock(t): int(x) for t, x in zip(starts, lv, strict=True)}
                for name, lv in zip(p.space.roster.groups, c.levels, strict=True)
            }
        if out.selection is not None and i in out.selection.eliminated_at:
            row["eliminated_after"] = out.selection.eliminated_at[i]
        return row

    best = out.best
    ranking = out.ranking()
    runners = []
    for i in ranking[1 : 1 + RUNNERS_UP]:
        row = cand_json(i)
        row["difference_to_best"] = {
            m: {k: _num(v) for k, v in out.paired(i, m).items()}
            for m in dict.fromkeys([p.objective, *shown_sim])
        }
        runners.append(row)
    en, zh = answer_line(out)
    g_en, g_zh = guarantee_text(out)
    return {
        "scenario": p.base.name,
        "objective": {"metric": p.objective, "sense": p.sense, "delta": p.delta},
        # what KN selected on: the objective, or the tie-break for an exact objective
        "selected_on": dict(zip(("metric", "sense", "delta"), kn_zone(p), strict=True)),
        "constraints": [
            {"metric": c.metric, "op": c.op, "value": c.value, "tolerance": p.tolerances[c.metric]}
            for c in p.constraints
        ],
        "budgets": [str(b) for b in p.budgets],
        "alpha": p.alpha,
        "pcs": out.pcs,
        "guarantee_holds": out.guarantee_holds,
        "guarantee": {"en": g_en, "zh": g_zh},
        "answer": {"en": en, "zh": zh},
        "seed": p.seed,
        "method": out.method,
        "layouts_in_space": out.space_size,
        "candidates": len(out.candidates),
        "checked": len(out.feasibility),
        "feasible": sum(f.feasible for f in out.feasibility.values()),
        "rejected": out.rejected,
        "simulations": out.evaluator.simulations,
        "seconds": out.seconds,
        "best": None
        if best is None
        else {**cand_json(best.index), "windows_toml": windows_toml(best)},
        "runners_up": runners,
        "pareto": [cand_json(i, out.pareto_days()) for i in out.pareto()],
        "pareto_objectives": [{"metric": m, "sense": s} for m, s in PARETO],
        "pareto_days": out.pareto_days(),
        "notes": out.notes,
    }


def candidates_table(out: Outcome):
    """One row per candidate: layout, counts, replications, feasibility, metric means."""
    import pandas as pd

    p = out.problem
    rows = []
    front = set(out.pareto())
    for c in out.candidates:
        row: dict[str, Any] = {"index": c.index, "layout": c.label}
        row.update({f"count_{g.name}": n for g, n in zip(p.space.groups, c.counts, strict=True)})
        row.update(
            windows=c.windows,
            planned_staff_hours=c.planned_staff_hours,
            replications=out.evaluator.n(c.index),
            feasible=(out.feasibility[c.index].feasible if c.index in out.feasibility else None),
            best=out.best is not None and c.index == out.best.index,
            pareto=c.index in front,
        )
        for m in out.evaluator.names:
            s = out.summary(c.index, m)
            row[f"{m}_mean"] = s["mean"]
            row[f"{m}_ci_low"] = s["ci_low"]
            row[f"{m}_ci_high"] = s["ci_high"]
        rows.append(row)
    return pd.DataFrame(rows)


def plot_pareto(out: Outcome):
    """Mean wait against planned staff-hours for every candidate, over the days all share
    (``Outcome.pareto_days``), the Pareto front ringed, colour = predicted CSAT (a
    prediction, marked as such)."""
    from hallsim import plots

    days = out.pareto_days()
    ids = [c.index for c in out.candidates]
    x = np.array([out.candidates[i].planned_staff_hours for i in ids])
    y = np.array([np.nanmean(out.evaluator.values(i, "wait_mean_min", days)) for i in ids])
    z = np.array([np.nanmean(out.evaluator.values(i, "csat", days)) for i in ids])
    front = out.pareto()
    with plots._style([c.label for c in out.candidates]) as cjk:
        fig = plots._figure()
        ax = fig.add_subplot()
        sc = ax.scatter(x, y, c=100 * z, cmap="viridis", s=28, alpha=0.8)
        fig.colorbar(sc, ax=ax, label="predicted CSAT (%) — model prediction")
        fx = np.array([out.candidates[i].planned_staff_hours for i in front])
        fy = np.array([np.nanmean(out.evaluator.values(i, "wait_mean_min", days)) for i in front])
        order = np.argsort(fx)
        ax.plot(fx[order], fy[order], "o", mfc="none", mec="crimson", ms=11, label="Pareto front")
        if out.best is not None:
            b = out.best
            ax.plot(
                [b.planned_staff_hours],
                [np.nanmean(out.evaluator.values(b.index, "wait_mean_min", days))],
                "*",
                color="crimson",
                ms=16,
                label=f"chosen: {b.label}",
            )
        ax.set_xlabel("planned staff-hours (window-hours a day)")
        ax.set_ylabel("mean wait (min)")
        ax.set_title(
            f"{out.problem.base.name}: {len(ids)} designs, mean over the first {days} days "
            "(the same days for every design)"
        )
        ax.legend(loc="upper right", fontsize="small")
        return plots._finish(fig, cjk)
