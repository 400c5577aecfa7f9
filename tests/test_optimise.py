"""hallsim optimise: known optima from queueing theory, the PCS guarantee, determinism, input.

Expectations come from theory (Erlang C via hallsim.theory, resource pooling),
never from a run of the optimiser.
"""

from __future__ import annotations

import json
import math
import signal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallsim import optimise as opt
from hallsim import theory
from hallsim.cli import entry
from hallsim.scenario import load_scenario, parse_toml, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def steady_hall(
    lam_per_min: float, mean_service: float, matters: dict[str, float], length_min: float
) -> Any:
    """Steady-state hall, exponential service, one window group per matter (edited by
    the space), no attitude effects: a set of M/M/c queues."""
    return scenario_from_dict(
        {
            "name": "theory",
            "run": {"mode": "steady_state", "warmup_min": 200, "length_min": length_min},
            "hall": {"service_level_target_min": 1.0},
            "arrivals": {"rate_per_hour": lam_per_min * 60},
            "matters": [
                {
                    "name": m,
                    "share": s,
                    "service_min": {"dist": "exponential", "mean": mean_service},
                }
                for m, s in matters.items()
            ],
            "windows": [{"name": "w", "count": 1}],
            "attitude_effects": {"enabled": False},
        }
    )


def problem(base, space: dict, **kw) -> opt.Problem:
    return opt.make_problem(base, opt.space_from_dict({"optimise": space}), **kw)


# --------------------------------------------------------------------------- Erlang C


def test_fewest_windows_meeting_an_erlang_c_target() -> None:
    """M/M/c, 60 citizens an hour, 4-minute service: the fewest windows with 90% called
    within 1 minute is Erlang C's answer, and the optimiser finds it."""
    lam, s, t, target = 1.0, 4.0, 1.0, 0.9
    c_star = theory.min_servers(lam, s, service_level=target, target_min=t)
    # the target is well clear of both neighbours (so ε = 0.01 cannot blur them)
    below = theory.erlang_a(lam, s, math.inf, c_star - 1).served_within(t)
    above = theory.erlang_a(lam, s, math.inf, c_star).served_within(t)
    assert below < target - 0.05 and above > target + 0.02
    base = steady_hall(lam, s, {"any": 1.0}, length_min=3000)
    pb = problem(
        base,
        {
            "groups": [{"name": "w", "count": [1, 10]}],
            "minimise": "windows",
            "subject_to": [f"service_level>={target}"],
            "first_replications": 5,
            "max_replications": 200,
        },
    )
    out = opt.optimise(pb)
    assert out.best.windows == c_star
    assert out.guarantee_holds
    # Erlang C is the steady state the simulation estimates: within its interval
    s_best = out.summary(out.best.index, "service_level")
    assert s_best["ci_low"] - 0.01 <= above <= s_best["ci_high"] + 0.01


# --------------------------------------------------------------------------- pooling

POOLING_SPACE = {
    "groups": [
        {"name": "pooled", "count": [0, 4], "matters": ["*"]},
        {"name": "a_only", "count": [0, 2], "matters": ["a"]},
        {"name": "b_only", "count": [0, 2], "matters": ["b"]},
    ],
    "budget": ["clerks=4"],
    "minimise": "wait_mean_min",
    "first_replications": 5,
    "max_replications": 300,
}


def test_the_pooled_design_wins_in_a_symmetric_hall() -> None:
    """Two matters alike in every way: pooling all four windows beats any split
    (resource pooling; 2 × M/M/2 against M/M/4 from Erlang C)."""
    lam, s = 1.0, 3.2  # 80% busy
    dedicated = theory.mmc(lam / 2, s, 2).wait_mean
    pooled = theory.mmc(lam, s, 4).wait_mean
    assert dedicated > 2 * pooled
    base = steady_hall(lam, s, {"a": 0.5, "b": 0.5}, length_min=3000)
    pb = problem(base, POOLING_SPACE, delta=0.2)
    out = opt.optimise(pb)
    assert out.best.label == "pooled×4"
    assert out.guarantee_holds
    # the dedicated split is in the space and is clearly worse, paired on CRN
    ded = next(c for c in out.candidates if c.label == "a_only×2 + b_only×2")
    assert out.paired(ded.index, "wait_mean_min")["ci_low"] > 0


# --------------------------------------------------------------------------- exhaustive


def _exhaustive_problem(seed: int) -> tuple[opt.Problem, tuple[int, int]]:
    """Six clerks for two matters (70/30) with their own windows: each layout is two
    M/M/c queues, so the mean wait of every layout is known exactly."""
    lam, s, n = 1.0, 3.0, 6
    base = steady_hall(lam, s, {"a": 0.7, "b": 0.3}, length_min=1500)
    base = base.with_changes(
        {
            "windows": [
                {"name": "a", "count": 3, "matters": ["a"]},
                {"name": "b", "count": 3, "matters": ["b"]},
            ]
        }
    )

    def exact(a: int) -> float:
        def w(rate: float, c: int) -> float:
            return theory.mmc(rate, s, c).wait_mean if rate * s < c else math.inf

        return 0.7 * w(0.7 * lam, a) + 0.3 * w(0.3 * lam, n - a)

    waits = sorted((exact(a), a) for a in range(1, n))
    best, second = waits[0], waits[1]
    delta = 0.5
    assert second[0] - best[0] >= delta  # the indifference zone holds: PCS applies
    pb = problem(
        base,
        {
            "groups": [{"name": "a", "count": [1, 5]}, {"name": "b", "count": [1, 5]}],
            "budget": [f"clerks={n}"],
            "minimise": "wait_mean_min",
            "delta": delta,
            "alpha": 0.1,
            "first_replications": 10,
            "max_replications": 2000,
            "seed": seed,
        },
    )
    return pb, (best[1], n - best[1])


def test_a_small_problem_solved_exhaustively() -> None:
    pb, truth = _exhaustive_problem(seed=1)
    out = opt.optimise(pb)
    assert len(out.candidates) == 5  # every layout of the space was a candidate
    assert out.best.counts == truth
    assert out.guarantee_holds


@pytest.mark.slow
def test_the_optimum_is_found_with_the_stated_probability() -> None:
    """Over 20 seeds KN with α = 0.1 picks the exact optimum at least as often as a
    binomial(20, 0.9) count falls to with probability 0.95 (16 of 20)."""
    hits = 0
    for seed in range(100, 120):
        pb, truth = _exhaustive_problem(seed)
        hits += opt.optimise(pb, workers=2).best.counts == truth
    assert hits >= 16


# --------------------------------------------------------------------------- determinism


def _small_space() -> dict:
    return {
        "groups": [
            {"name": "integrated", "count": [7, 9]},
            {
                "name": "business_registration",
                "count": [0, 2],
                "matters": ["business_registration"],
            },
        ],
        "budget": ["clerks<=9"],
        "minimise": "wait_mean_min",
        "subject_to": ["service_level>=0.8"],
        "first_replications": 5,
        "max_replications": 15,
    }


@pytest.mark.parametrize(
    "extra",
    [{}, {"max_candidates": 2, "finalists": 3, "procedure": "ocba", "simulations": 60}],
    ids=["enumeration-kn", "search-ocba"],
)
def test_results_do_not_depend_on_the_worker_count(extra) -> None:
    base = load_scenario(ROOT / "scenarios" / "integrated.toml")
    space = {**_small_space(), "max_replications": 20, **extra}
    one = opt.outcome_json(opt.optimise(problem(base, space), workers=1))
    two = opt.outcome_json(opt.optimise(problem(base, space), workers=2))
    one.pop("seconds"), two.pop("seconds")
    assert one == two
    assert one["simulations"] >= one["candidates"] * 5
    if extra:
        assert one["method"] == "neighbourhood search" and "OCBA" in one["guarantee"]["en"]


@pytest.mark.parametrize(
    "extra",
    [{}, {"max_candidates": 2, "finalists": 3, "procedure": "ocba", "simulations": 40}],
    ids=["enumeration-kn", "search-ocba"],
)
def test_results_on_a_dask_cluster_are_those_of_one_worker(extra) -> None:
    """A Dask cluster (here one in this process, reached by its scheduler address) runs
    the same replications and gives the same answer and numbers as one local worker."""
    distributed = pytest.importorskip("dask.distributed")
    import logging

    base = load_scenario(ROOT / "scenarios" / "integrated.toml")
    space = {**_small_space(), **extra}
    one = opt.outcome_json(opt.optimise(problem(base, space), workers=1))
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        on_dask = opt.outcome_json(
            opt.optimise(problem(base, space), backend="dask", scheduler=cluster.scheduler_address)
        )
        assert "simulate_block" in cluster.scheduler.task_prefixes  # the cluster ran them
    one.pop("seconds"), on_dask.pop("seconds")
    assert on_dask == one
    assert one["method"] == ("neighbourhood search" if extra else "enumeration")


def test_bad_backend_arguments_are_refused_before_anything_runs() -> None:
    base = load_scenario(ROOT / "scenarios" / "integrated.toml")
    with pytest.raises(opt.OptimiseError, match="backend"):
        opt.optimise(problem(base, _small_space()), backend="spark")
    with pytest.raises(opt.OptimiseError, match="scheduler"):
        opt.optimise(problem(base, _small_space()), scheduler="tcp://127.0.0.1:1")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "hallsim: cannot reach the dask scheduler at tcp://127.0.0.1:1: timed out"),
        ("zh", "hallsim: 无法连接 tcp://127.0.0.1:1 上的 dask 调度器：timed out"),
    ],
)
def test_an_unreachable_scheduler_exits_1_and_writes_nothing(
    capsys, tmp_path, monkeypatch, lang, said
) -> None:
    pytest.importorskip("dask.distributed")
    from hallsim import cluster

    def unreachable(workers, scheduler):  # as Client(...) after its 10 s timeout
        raise cluster.ClusterError(scheduler, "timed out")

    monkeypatch.setattr(cluster, "dask_executor", unreachable)
    space = _write_space(tmp_path, GOOD)
    out = tmp_path / "res"
    code, o, e = optimise_integrated(
        capsys,
        space,
        "--scheduler",
        "tcp://127.0.0.1:1",
        "--out",
        str(out),
        "-q",
        "--lang",
        lang,
    )
    assert code == 1 and o == ""
    assert e.strip() == said
    assert not out.exists()


# --------------------------------------------------------------------------- procedures


def test_kn_constant_matches_its_formula_limits() -> None:
    # two systems, α = 0.05, n0 = 10: η = ((0.1)^(-2/9) - 1)/2
    eta = (0.1 ** (-2 / 9) - 1) / 2
    assert opt.kn_h2(2, 10, 0.05) == pytest.approx(2 * eta * 9)
    # more systems or a smaller α need a wider continuation region
    assert opt.kn_h2(10, 10, 0.05) > opt.kn_h2(2, 10, 0.05)
    assert opt.kn_h2(2, 10, 0.01) > opt.kn_h2(2, 10, 0.05)
    assert opt.kn_h2(1, 10, 0.05) == 0.0


def test_best_toml_is_a_valid_scenario_with_the_chosen_layout(tmp_path) -> None:
    base = steady_hall(1.0, 3.2, {"a": 0.5, "b": 0.5}, length_min=500)
    space = {**POOLING_SPACE, "max_replications": 20}
    out = opt.optimise(problem(base, space, delta=5.0))
    text = opt.scenario_toml(out.best, "note")
    sc = scenario_from_dict(parse_toml(text))
    assert [(w.name, w.count) for w in sc.windows] == [
        (w.name, w.count) for w in out.best.scenario.windows
    ]
    pasted = parse_toml(opt.windows_toml(out.best))["windows"]
    assert [w["count"] for w in pasted] == [w.count for w in sc.windows]


# --------------------------------------------------------------------------- command line


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = entry(list(args))
    o, e = capsys.readouterr()
    return code, o, e


def optimise_integrated(capsys, space: Path, *args: str) -> tuple[int, str, str]:
    """``hallsim optimise`` of scenarios/integrated.toml over ``space``, then ``args``."""
    return run(
        capsys,
        "optimise",
        str(ROOT / "scenarios" / "integrated.toml"),
        "--space",
        str(space),
        *args,
    )


def _write_space(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "space.toml"
    p.write_text(body)
    return p


GOOD = """
[optimise]
minimise = "wait_mean_min"
budget = ["clerks=9"]
first_replications = 5
max_replications = 20
[[optimise.groups]]
name = "integrated"
count = [7, 9]
[[optimise.groups]]
name = "business_registration"
count = [0, 2]
matters = ["business_registration"]
"""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (GOOD.replace("count = [7, 9]", "count = [9, 7]"), "optimise.groups.0.count"),
        (
            GOOD.replace('name = "integrated"', 'name = "integrated"\ncolour = 1'),
            "optimise.groups.0.colour",
        ),
        (GOOD.replace('["business_registration"]', '["tax"]'), "optimise.groups.1.matters"),
        (GOOD.replace('"clerks=9"', '"clerks>=9"'), "optimise.budget.0"),
        (GOOD.replace('minimise = "wait_mean_min"', 'minimise = "happiness"'), "optimise.minimise"),
        (
            GOOD + "\n[[optimise.groups]]\nname = 'x'\ncount = 1\nwindow = { speed = 2 }\n",
            "optimise.groups.2.window",
        ),
        (GOOD + "\n[optimise.roster]\ngroups = ['nope']\n", "optimise.roster.groups.0"),
        (
            GOOD + "\n[optimise.roster]\ngroups = ['integrated']\nperiod_min = 5\n",
            "optimise.roster.period_min",
        ),
        (
            GOOD.replace("first_replications = 5", "first_replications = 1"),
            "optimise.first_replications",
        ),
        ("[optimise\n", "not valid TOML"),
    ],
)
def test_bad_space_file_exits_2_naming_file_and_field(capsys, tmp_path, body, field) -> None:
    space = _write_space(tmp_path, body)
    out = tmp_path / "out"
    code, o, e = optimise_integrated(
        capsys,
        space,
        "--out",
        str(out),
    )
    assert code == 2
    assert str(space) in e and field in e
    assert "Traceback" not in e and o == ""
    assert not out.exists()  # nothing written


def test_bad_constraint_option_exits_2(capsys, tmp_path) -> None:
    space = _write_space(tmp_path, GOOD)
    code, _, e = optimise_integrated(
        capsys,
        space,
        "--subject-to",
        "service_level>>0.9",
    )
    assert code == 2 and "--subject-to" in e


def test_cli_json_and_results_folder(capsys, tmp_path) -> None:
    space = _write_space(tmp_path, GOOD)
    out = tmp_path / "res"
    code, o, e = optimise_integrated(
        capsys,
        space,
        "--json",
        "-w",
        "1",
        "--out",
        str(out),
        "--delta",
        "1.0",
    )
    assert code == 0, e
    data = json.loads(o)
    assert data["candidates"] == 3  # 9 + 0, 8 + 1, 7 + 2: the others break the budget
    assert data["best"]["windows"] == 9
    assert data["answer"]["en"] and data["answer"]["zh"]
    for name in ("optimise.json", "best.toml", "candidates.csv", "plots/pareto.png"):
        assert (out / name).is_file(), name
    assert load_scenario(out / "best.toml").windows


def test_a_fixed_minimum_keeps_a_green_channel_window_in_every_layout() -> None:
    """'At least one green-channel window' is a count range starting at 1."""
    base = load_scenario(ROOT / "scenarios" / "operations.toml")
    space = {
        "groups": [
            {"name": "integrated", "count": [7, 9]},
            {"name": "green_channel", "count": [1, 3]},
        ],
        "budget": ["clerks=10"],
        "minimise": "wait_mean_priority_min",
        "first_replications": 5,
        "max_replications": 5,
    }
    out = opt.optimise(problem(base, space))
    assert sorted(c.counts for c in out.candidates) == [(7, 3), (8, 2), (9, 1)]
    for c in out.candidates:
        green = next(w for w in c.scenario.windows if w.name == "green_channel")
        assert green.count >= 1 and green.classes == ["elderly", "urgent"]  # copied from base


def test_no_feasible_layout_is_an_answer_not_an_error(capsys, tmp_path) -> None:
    space = _write_space(tmp_path, GOOD)
    code, o, e = optimise_integrated(
        capsys,
        space,
        "--subject-to",
        "windows<=3",
        "--json",
        "-w",
        "1",
    )
    assert code == 0, e
    data = json.loads(o)
    assert data["best"] is None and data["feasible"] == 0
    assert "none was found feasible" in data["guarantee"]["en"]


def test_the_erlang_seeded_search_reaches_the_erlang_c_optimum() -> None:
    """A space too large to enumerate: the neighbourhood search starts from the Erlang C
    estimate and must still end at the fewest windows meeting the target."""
    lam, s, t, target = 1.0, 4.0, 1.0, 0.9
    c_star = theory.min_servers(lam, s, service_level=target, target_min=t)
    base = steady_hall(lam, s, {"any": 1.0}, length_min=3000)
    pb = problem(
        base,
        {
            "groups": [{"name": "w", "count": [1, 40]}],
            "minimise": "windows",
            "subject_to": [f"service_level>={target}"],
            "first_replications": 5,
            "max_replications": 200,
            "max_candidates": 10,
        },
    )
    out = opt.optimise(pb)
    assert out.method == "neighbourhood search" and len(out.candidates) < 40
    assert out.best.windows == c_star


# --------------------------------------------------------------------------- the procedures
# on synthetic normal data, where the truth is set by the test


class NormalSystems:
    """Stands in for the Evaluator: system i's day j is Normal(mean_i, sd_i), with a
    common component shared by all systems on the same day (like common random numbers)."""

    def __init__(self, means, sds, seed: int, metric: str = "m", common: float = 0.5):
        import numpy as np

        self.means, self.sds = np.asarray(means, float), np.asarray(sds, float)
        self.rng = np.random.default_rng(seed)
        self.common_sd = common
        self.days = np.empty((0, len(means)))
        self.metric = metric
        self.asked: dict[int, int] = {}

    def _grow(self, n: int) -> None:
        import numpy as np

        while len(self.days) < n:
            shared = self.rng.normal(0, self.common_sd)
            day = self.means + shared + self.sds * self.rng.normal(size=len(self.means))
            self.days = np.vstack([self.days, day])

    def ensure(self, wanted: dict[int, int]) -> None:
        for i, n in wanted.items():
            self.asked[i] = max(self.asked.get(i, 0), n)
            self._grow(n)

    def n(self, i: int) -> int:
        return self.asked.get(i, 0)

    def values(self, i: int, metric: str, n: int | None = None):
        col = self.days[: self.n(i), i]
        return col if n is None else col[:n]


def test_kn_selects_the_best_with_at_least_the_stated_probability() -> None:
    """Slippage configuration (the hardest for KN): the best is exactly δ better than
    four others.  Over 300 macro-replications the share of correct selections is at
    least 1 − α less three binomial standard errors."""
    alpha, delta, runs = 0.05, 0.5, 300
    hits = 0
    for seed in range(runs):
        ev = NormalSystems([1.0, 1.5, 1.5, 1.5, 1.5], [1.0, 1.0, 1.5, 2.0, 1.0], seed)
        sel = opt.kn_select(ev, list(range(5)), "m", "min", delta, alpha, 10, 100_000)
        hits += sel.best == 0 and not sel.capped
    floor = runs * (1 - alpha) - 3 * math.sqrt(runs * alpha * (1 - alpha))
    assert hits >= floor


def test_kn_maximises_too_and_stops_when_one_is_left() -> None:
    ev = NormalSystems([0.0, 3.0, 0.0], [1.0, 1.0, 1.0], seed=3)
    sel = opt.kn_select(ev, [0, 1, 2], "m", "max", 0.5, 0.05, 10, 10_000)
    assert sel.best == 1 and sel.survivors == [1]
    assert set(sel.eliminated_at) == {0, 2}


def test_feasibility_check_classifies_with_at_least_the_stated_probability() -> None:
    """Bound 'm <= 0' with tolerance ε: systems exactly ε inside and ε outside (the
    hardest cases) are classed correctly at least as often as promised."""
    alpha, eps, runs = 0.05, 0.2, 200
    bound = opt.Bound("m", "<=", 0.0)
    right = 0
    for seed in range(runs):
        ev = NormalSystems([-eps, eps], [1.0, 1.0], seed, common=0.0)
        res = opt.feasibility_check(ev, [0, 1], [bound], {"m": eps}, alpha, 10, 100_000)
        right += res[0].feasible and not res[1].feasible
    floor = runs * (1 - alpha) - 3 * math.sqrt(runs * alpha * (1 - alpha))
    assert right >= floor


def test_the_cap_is_reported_when_it_binds() -> None:
    ev = NormalSystems([0.0, 0.01], [1.0, 1.0], seed=1, common=0.0)
    sel = opt.kn_select(ev, [0, 1], "m", "min", 0.05, 0.05, 10, 30)
    assert sel.capped and len(sel.survivors) == 2 and ev.n(0) <= 30


def test_an_interrupted_run_resumes_with_identical_results(tmp_path) -> None:
    base = steady_hall(1.0, 3.2, {"a": 0.5, "b": 0.5}, length_min=1000)
    pb = problem(base, POOLING_SPACE, delta=0.2)
    fresh = opt.outcome_json(opt.optimise(pb))
    key, path = opt.problem_key(pb), tmp_path / "evaluations.npz"
    calls: list[int] = []

    def stop(ev: opt.Evaluator) -> None:
        calls.append(1)
        if len(calls) == 2:
            opt.dump_evaluations(ev, key, path)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        opt.optimise(pb, checkpoint=stop)
    saved = opt.load_evaluations(path, key)
    assert 0 < sum(len(v) for v in saved.values()) < fresh["simulations"]
    again = opt.outcome_json(opt.optimise(pb, saved=saved))
    fresh.pop("seconds"), again.pop("seconds")
    assert again == fresh
    # another problem (here: another seed) never reuses them
    other = problem(base, {**POOLING_SPACE, "seed": 99}, delta=0.2)
    assert opt.load_evaluations(path, opt.problem_key(other)) == {}


# --------------------------------------------------------------------------- rosters


def _two_period_day():
    """09:00-17:00, 30 citizens an hour until 13:00 and 90 after, exponential 2-minute
    service, no patience: each 4-hour period is close to its M/M/c steady state."""
    return scenario_from_dict(
        {
            "name": "two-periods",
            "hall": {"open": "09:00", "close": "17:00", "service_level_target_min": 2.0},
            "arrivals": {"rate_per_hour": {"09:00": 30, "13:00": 90}},
            "matters": [
                {"name": "any", "share": 1.0, "service_min": {"dist": "exponential", "mean": 2}}
            ],
            "windows": [{"name": "w", "count": 3}],
            "attitude_effects": {"enabled": False},
        }
    )


def _erlang_roster_optimum(target: float) -> tuple[int, int]:
    """The fewest staff-hours (c1 + c2, equal periods) whose day-level share called within
    2 minutes (arrival-weighted Erlang C) meets the target; ties by mean wait."""
    rates, s, t = (0.5, 1.5), 2.0, 2.0

    def sl(rate: float, c: int) -> float:
        return theory.erlang_a(rate, s, math.inf, c).served_within(t) if rate * s < c else 0.0

    best = None
    for c1 in range(1, 8):
        for c2 in range(1, 8):
            day = (rates[0] * sl(rates[0], c1) + rates[1] * sl(rates[1], c2)) / sum(rates)
            if day >= target:
                key = (c1 + c2, c1, c2)
                best = key if best is None or key < best else best
    return best[1], best[2]


@pytest.mark.parametrize("max_candidates", [100, 5])
def test_a_small_roster_problem_solved_exhaustively(max_candidates) -> None:
    """Two 4-hour periods, 1-7 windows each (49 rosters): the least staff-hours keeping
    91% called within 2 minutes is Erlang C's answer, by enumeration and by search."""
    truth = _erlang_roster_optimum(0.91)
    assert truth == (2, 5)
    pb = problem(
        _two_period_day(),
        {
            "groups": [{"name": "w", "count": [1, 7]}],
            "roster": {"groups": ["w"], "period_min": 240, "min_staffed": 1},
            "minimise": "planned_staff_hours",
            "subject_to": ["service_level>=0.91"],
            "tolerance": {"service_level": 0.02},
            "first_replications": 10,
            "max_replications": 300,
            "max_candidates": max_candidates,
        },
    )
    out = opt.optimise(pb)
    if max_candidates == 100:
        assert out.method == "enumeration" and len(out.candidates) == 49
    else:
        assert out.method == "neighbourhood search"
    assert out.best.levels == (truth,)
    assert out.best.planned_staff_hours == pytest.approx(4 * sum(truth))
    w = out.best.scenario.windows[0]
    assert w.count == max(truth) and w.staffed == {"09:00": truth[0], "13:00": truth[1]}


def test_cli_saves_replications_as_it_goes_and_resumes(capsys, tmp_path, monkeypatch) -> None:
    from hallsim.cli import optimise as cli_optimise

    monkeypatch.setattr(cli_optimise, "CHECKPOINT_SECONDS", 0.0)  # save after every batch
    space = _write_space(tmp_path, GOOD)
    out = tmp_path / "res"
    args = ("optimise", str(ROOT / "scenarios" / "integrated.toml"), "--space", str(space))
    args += ("--json", "-w", "1", "--out", str(out))
    code, first, e = run(capsys, *args)
    assert code == 0, e
    assert (out / "evaluations.npz").is_file()
    code, again, e = run(capsys, *args)
    assert code == 0 and "resuming" in e
    a, b = json.loads(first), json.loads(again)
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_the_search_respects_a_staff_hours_budget_the_erlang_start_breaks() -> None:
    """Erlang's start (6 windows: the search's default target of 80% within the service
    level time) is over a 5-window staff-hours budget: the search moves inside it, and
    every design it visits keeps the budget."""
    base = steady_hall(1.0, 4.0, {"any": 1.0}, length_min=1000)  # 1000/60 h a window
    pb = problem(
        base,
        {
            "groups": [{"name": "w", "count": [1, 40]}],
            "minimise": "wait_mean_min",
            "budget": ["staff_hours<=85"],
            "first_replications": 5,
            "max_replications": 30,
            "max_candidates": 10,
        },
    )
    out = opt.optimise(pb)
    assert out.method == "neighbourhood search"
    assert all(c.planned_staff_hours <= 85 for c in out.candidates)
    assert out.best.windows == 5  # waits fall with every window: the most the budget allows


# --------------------------------------------------------------------------- OCBA


def test_ocba_allocation_follows_its_ratios() -> None:
    """Chen et al. (2000): N_i ∝ (s_i/d_i)² for the non-best; N_b = s_b sqrt(Σ N_i²/s_i²)."""
    n = opt.ocba_allocation([1.0, 2.0, 3.0, 2.0], [1.0, 1.0, 1.0, 2.0], 1000, "min")
    assert n.sum() == pytest.approx(1000)
    assert n[1] / n[2] == pytest.approx((1 / 1) ** 2 / (1 / 2) ** 2)  # closer: 4× more
    assert n[3] / n[1] == pytest.approx(4.0)  # twice the spread at the same distance
    assert n[0] == pytest.approx(math.sqrt(n[1] ** 2 + n[2] ** 2 + n[3] ** 2 / 4))
    # maximising mirrors it
    m = opt.ocba_allocation([-1.0, -2.0, -3.0, -2.0], [1.0, 1.0, 1.0, 2.0], 1000, "max")
    assert m == pytest.approx(n)


def test_ocba_spends_its_budget_and_finds_a_clear_best() -> None:
    ev = NormalSystems([1.0, 1.6, 2.5, 4.0], [1.0, 1.0, 1.0, 1.0], seed=5, common=0.0)
    sel = opt.ocba_select(ev, [0, 1, 2, 3], "m", "min", 10, 600)
    assert sel.best == 0 and sel.procedure == "OCBA"
    assert sum(ev.n(i) for i in range(4)) == 600
    assert ev.n(1) > ev.n(3)  # the close competitor gets more than the clearly worse
    assert 0.9 < sel.approximate_pcs <= 1.0


# --------------------------------------------------------------------------- the space


@given(
    low_all=st.integers(0, 3),
    span_all=st.integers(0, 3),
    low_b=st.integers(0, 2),
    span_b=st.integers(0, 2),
    clerks=st.integers(1, 8),
    exact=st.booleans(),
)
@settings(max_examples=25)
def test_every_layout_within_the_budget_is_a_candidate(
    low_all, span_all, low_b, span_b, clerks, exact
) -> None:
    """Two matters; 'all' serves both, 'b_only' only b: a layout is a hall iff 'all' is
    open.  The candidates are exactly the count pairs within the clerks budget."""
    base = steady_hall(1.0, 1.0, {"a": 0.5, "b": 0.5}, length_min=100)
    op = "=" if exact else "<="
    pb = problem(
        base,
        {
            "groups": [
                {"name": "all", "count": [low_all, low_all + span_all], "matters": ["*"]},
                {"name": "b_only", "count": [low_b, low_b + span_b], "matters": ["b"]},
            ],
            "minimise": "wait_mean_min",
            "budget": [f"clerks{op}{clerks}"],
        },
    )
    cands, rejected = opt.enumerate_candidates(pb)
    within = [
        (x, y)
        for x in range(low_all, low_all + span_all + 1)
        for y in range(low_b, low_b + span_b + 1)
        if (x + y == clerks if exact else x + y <= clerks)
    ]
    assert sorted(c.counts for c in cands) == sorted((x, y) for x, y in within if x > 0)
    assert opt.space_size(pb) == len(within)
    assert rejected["not_a_valid_hall"] == sum(1 for x, _ in within if x == 0)


def test_days_where_the_objective_is_undefined_are_left_out() -> None:
    """A wait is undefined on a day nobody is served (null in --json): KN uses the days
    where it is defined, like every summary, and still finds the best."""
    import numpy as np

    for sense, means in (("min", [1.0, 3.0, 3.0]), ("max", [3.0, 1.0, 1.0])):
        ev = NormalSystems(means, [1.0, 1.0, 1.0], seed=2, common=0.0)
        ev._grow(400)
        ev.days[::7, 1] = np.nan  # system 1 undefined on every 7th day
        ev.days[:, 2] = np.nan  # system 2 never defined: never chosen
        sel = opt.kn_select(ev, [0, 1, 2], "m", sense, 0.5, 0.05, 10, 400)
        assert sel.best == 0


@pytest.mark.parametrize(
    "extra",
    [{}, {"max_candidates": 2, "finalists": 2, "max_replications": 5}],
    ids=["enumeration", "search-capped"],
)
def test_every_progress_line_note_and_method_reads_in_chinese(extra) -> None:
    """What `hallsim optimise --lang zh` prints of the library's English words (progress,
    notes, the search method) is Chinese: a reworded English message must be reworded in
    i18n's patterns too, or it would show untranslated."""
    from hallsim.i18n import has_chinese, optimise_text

    base = load_scenario(ROOT / "scenarios" / "integrated.toml")
    said: list[str] = []
    out = opt.optimise(problem(base, {**_small_space(), **extra}), workers=1, progress=said.append)
    texts = [*said, *out.notes, out.method]
    assert said and (out.notes or not extra)
    for text in texts:
        assert has_chinese(optimise_text(text, "zh")), text
        assert optimise_text(text, "en") == text
    assert optimise_text("not a known message", "zh") == "not a known message"


# --------------------------------------------------------------------------- Ctrl-C


def test_a_ctrl_c_landing_in_the_pool_shutdown_leaves_no_worker_running(monkeypatch) -> None:
    """A second Ctrl-C that lands inside the pool's shutdown (the first one is what
    closes it) is held until the shutdown is done: every worker has stopped, none is left
    waiting for a stop signal the process would wait on for ever at exit."""
    import os
    import signal
    from concurrent.futures import ProcessPoolExecutor

    base = steady_hall(1.0, 3.2, {"a": 0.5, "b": 0.5}, length_min=200)
    pb = problem(base, POOLING_SPACE)
    cands, _ = opt.enumerate_candidates(pb)
    ev = opt.Evaluator(pb, cands, workers=2)
    shutdown = ProcessPoolExecutor.shutdown

    def ctrl_c_then_shutdown(self, *a, **k):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands as the shutdown starts
        return shutdown(self, *a, **k)

    with pytest.raises(KeyboardInterrupt):
        with ev:
            ev.ensure({c.index: 2 for c in cands})
            pool = ev._pool
            workers = list(pool._processes.values())
            monkeypatch.setattr(ProcessPoolExecutor, "shutdown", ctrl_c_then_shutdown)
    monkeypatch.undo()
    for p in workers:
        p.join(10)
    alive = [p for p in workers if p.is_alive()]
    pool.shutdown(wait=True, cancel_futures=True)  # a left-over pool is stopped here
    assert not alive


def _cli_interrupted_twice(args: list[str], after: float) -> int:
    """Run ``hallsim optimise`` as a terminal would, and press Ctrl-C twice (SIGINT to
    the process group, as a terminal sends it) ``after`` seconds into its search; its exit
    code (None if it has not exited within 20 s)."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys; from hallsim.cli import entry; sys.exit(entry(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, like a terminal's foreground job
        # Ctrl-C is ignored by a background job's children: the CLI must see it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            if "search" in line or "layouts within" in line:
                started.set()
        started.set()

    threading.Thread(target=read, daemon=True).start()
    started.wait(60)
    time.sleep(after)
    for _ in range(2):
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            break
    try:
        return proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


@pytest.mark.slow
def test_a_double_ctrl_c_with_workers_exits_and_the_run_resumes(capsys, tmp_path) -> None:
    """Two Ctrl-C at once (a terminal sends SIGINT to the whole group; `timeout -s INT`
    sends two) with a pool of workers: the run exits with 130 within 20 s at whatever point
    they land, and rerunning the command finishes with the answer of a run never stopped."""
    args = ["optimise", str(ROOT / "scenarios" / "integrated.toml")]
    args += ["--space", str(ROOT / "spaces" / "space_12_clerks.toml")]
    args += ["--minimise", "planned_staff_hours", "--budget", "clerks<=12", "-w", "2"]
    code, fresh, e = run(capsys, *args, "--json", "-q", "--out", str(tmp_path / "fresh"))
    assert code == 0, e
    out = ["--out", str(tmp_path / "stopped")]
    for after in (0.0, 0.15, 0.4):
        assert _cli_interrupted_twice([*args, *out], after) == 130
    code, again, e = run(capsys, *args, *out, "--json", "-q")
    assert code == 0, e
    a, b = json.loads(fresh), json.loads(again)
    for d in (a, b):
        d.pop("seconds"), d.pop("command", None)
    assert a == b


# --------------------------------------------------------------------------- Pareto front


def _outcome_with_days(days: list[list[list[float]]]) -> opt.Outcome:
    """An outcome whose candidate i has the simulated days ``days[i]`` (rows: mean wait,
    predicted CSAT), on the pooling space's layouts; nothing is simulated."""
    import numpy as np

    pb = problem(steady_hall(1.0, 3.2, {"a": 0.5, "b": 0.5}, length_min=200), POOLING_SPACE)
    cands, _ = opt.enumerate_candidates(pb)
    cands = cands[: len(days)]
    ev = opt.Evaluator(pb, cands)
    for c, rows in zip(cands, days, strict=True):
        obs = np.zeros((len(rows), len(ev.columns)))
        obs[:, ev.columns["wait_mean_min"]] = [r[0] for r in rows]
        obs[:, ev.columns["csat"]] = [r[1] for r in rows]
        obs[:, ev.columns["planned_staff_hours"]] = c.planned_staff_hours
        obs[:, ev.columns["windows"]] = c.windows
        ev.obs[c.index] = obs
    return opt.Outcome(pb, cands, ev, {}, None, {}, "enumeration", len(cands))


_day = st.tuples(st.floats(0, 30, allow_nan=False), st.floats(0, 1, allow_nan=False))


@settings(max_examples=60)
@given(st.lists(st.lists(_day, min_size=2, max_size=8), min_size=2, max_size=5), st.data())
def test_the_pareto_front_compares_every_layout_on_the_same_days(days, data) -> None:
    """On common random numbers day r is the same day for every layout: the front, and the
    means shown for it, are over the days every layout has, so simulating one layout on
    more days (as KN does) never changes whether it dominates or is dominated."""
    import numpy as np

    out = _outcome_with_days(days)
    shared = min(len(d) for d in days)
    assert out.pareto_days() == shared
    front = out.pareto()
    js = opt.outcome_json(out)
    assert js["pareto_days"] == shared
    assert [r["index"] for r in js["pareto"]] == front
    for r in js["pareto"]:
        assert r["replications"] == shared
        wait = [d[0] for d in days[r["index"]][:shared]]
        assert r["metrics"]["wait_mean_min"]["mean"] == pytest.approx(np.mean(wait))
    # the same front as when every layout has only the shared days
    assert _outcome_with_days([d[:shared] for d in days]).pareto() == front
    # more days (any values) for a layout other than one with only the shared days
    # leave the front as it was
    short = next(k for k, d in enumerate(days) if len(d) == shared)
    i = data.draw(st.sampled_from([k for k in range(len(days)) if k != short]))
    extra = data.draw(st.lists(_day, min_size=1, max_size=5))
    longer = [d + extra if k == i else d for k, d in enumerate(days)]
    assert _outcome_with_days(longer).pareto() == front


def test_a_layout_simulated_longer_does_not_dominate_by_its_extra_days() -> None:
    """Two layouts with the same staff-hours and the same first 10 days: neither dominates
    the other. Layout 0's 16 extra days are all good (as those KN adds to the layout it
    chooses may be): it must not dominate layout 1 by them."""
    from hallsim.optimise import PARETO

    assert [m for m, _ in PARETO] == ["wait_mean_min", "planned_staff_hours", "csat"]
    ten = [[1.0 + (r % 3), 0.8] for r in range(10)]
    out = _outcome_with_days([ten + [[0.1, 0.9]] * 16, ten])
    assert out.candidates[0].planned_staff_hours == out.candidates[1].planned_staff_hours
    assert out.pareto() == [0, 1]


# --------------------------------------------------------------------------- δ


@pytest.mark.parametrize(
    "objective", [{"minimise": "planned_staff_hours"}, {"minimise": "wait_mean_min", "delta": 0.3}]
)
def test_the_delta_shown_is_the_one_kn_selects_with(monkeypatch, objective) -> None:
    """The progress line, the guarantee (both languages) and --json's ``selected_on`` give
    the δ KN is called with: for an exact objective (staff-hours) that of the tie-break
    metric, not the objective's."""
    import re

    used: list[tuple[str, float]] = []
    kn = opt.kn_select

    def spy(ev, ids, metric, sense, delta, *a, **k):
        used.append((metric, delta))
        return kn(ev, ids, metric, sense, delta, *a, **k)

    monkeypatch.setattr(opt, "kn_select", spy)
    base = load_scenario(ROOT / "scenarios" / "integrated.toml")
    said: list[str] = []
    out = opt.optimise(problem(base, {**_small_space(), **objective}), progress=said.append)
    assert len(set(used)) == 1
    metric, delta = used[0]
    line = next(s for s in said if "selecting the best" in s)
    assert re.search(rf"KN on {metric} \(δ = {delta:g}\)", line), line
    js = opt.outcome_json(out)
    assert js["selected_on"]["metric"] == metric and js["selected_on"]["delta"] == delta
    for text in js["guarantee"].values():
        assert set(re.findall(r"δ = (\d[\d.]*\d|\d)", text)) == {f"{delta:g}"}, text


# --------------------------------------------------------------------------- Chinese


@pytest.mark.parametrize("objective", ["planned_staff_hours", "wait_mean_min"])
def test_chinese_output_names_metrics_by_their_chinese_labels(capsys, tmp_path, objective) -> None:
    """Under --lang zh a person reads the metrics registry's Chinese labels, never the raw
    keys (which stay in --json), and the guarantee cites the same sources as the English."""
    import re

    from hallsim.metrics.registry import label

    space = {**_small_space(), "minimise": objective}
    body = "[optimise]\n" + "\n".join(
        f"{k} = {json.dumps(v)}" for k, v in space.items() if k != "groups"
    )
    for g in space["groups"]:
        body += "\n[[optimise.groups]]\n"
        body += "\n".join(f"{k} = {json.dumps(v)}" for k, v in g.items())
    path = _write_space(tmp_path, body)
    args = ("optimise", str(ROOT / "scenarios" / "integrated.toml"), "--space", str(path))
    code, text, e = run(capsys, *args, "--lang", "zh", "-w", "1")
    assert code == 0, e
    printed = text.split("# ")[0] + e  # before the [[windows]] snippet to paste
    keys = ["wait_mean_min", "service_level", "utilisation", "csat", "planned_staff_hours"]
    for key in keys:
        assert not re.search(rf"\b{key}\b", printed), key
        assert label(key, "zh") in printed, key
    for source in ("Kim & Nelson (2001)", "Andradóttir & Kim (2010)"):
        assert source in text
    code, js, e = run(capsys, *args, "--lang", "zh", "-w", "1", "--json")
    data = json.loads(js)
    assert set(keys) - {"planned_staff_hours"} <= set(data["best"]["metrics"])
    assert data["objective"]["metric"] == objective
    for source in ("Kim & Nelson (2001)", "Andradóttir & Kim (2010)"):
        assert source in data["guarantee"]["zh"] and source in data["guarantee"]["en"]


def test_ctrl_c_while_writing_the_results_says_how_to_resume(capsys, tmp_path, monkeypatch) -> None:
    """Ctrl-C after the search, while the results are written (here: the plot), exits 130
    with the resume hint, the replications saved; the same command then finishes with the
    answer of a run never stopped."""
    space = _write_space(tmp_path, GOOD)
    args = ("optimise", str(ROOT / "scenarios" / "integrated.toml"), "--space", str(space))
    args += ("--json", "-w", "1")
    code, fresh, e = run(capsys, *args, "--out", str(tmp_path / "fresh"))
    assert code == 0, e

    def ctrl_c(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(opt, "plot_pareto", ctrl_c)
    out = ("--out", str(tmp_path / "stopped"))
    handler = signal.getsignal(signal.SIGINT)
    code, _, e = run(capsys, *args, *out)
    assert code == 130 and "rerun the same command to resume" in e, e
    # Ctrl-C is ignored while the save runs, not afterwards: this process (and every
    # child it starts later) gets Ctrl-C again
    assert signal.getsignal(signal.SIGINT) is handler
    assert (tmp_path / "stopped" / "evaluations.npz").is_file()
    monkeypatch.undo()
    code, again, e = run(capsys, *args, *out)
    assert code == 0 and "resuming" in e, e
    a, b = json.loads(fresh), json.loads(again)
    assert b["simulations"] == a["simulations"]
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_ctrl_c_held_raises_once_after_its_block_and_restores_the_handler() -> None:
    import os
    import signal

    from hallsim.experiment import ctrl_c_held

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_held():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            done = True  # the block runs to its end
    assert done and signal.getsignal(signal.SIGINT) is before
    with pytest.raises(ValueError):  # an exception already leaving: Ctrl-C adds nothing
        with ctrl_c_held():
            os.kill(os.getpid(), signal.SIGINT)
            raise ValueError
    assert signal.getsignal(signal.SIGINT) is before


def test_an_interrupted_pool_stops_whatever_point_its_start_up_reached() -> None:
    """Ctrl-C can land as a pool starts: no worker yet, or its thread made but not started.
    Stopping it then is no error, and a pool with running workers is left with none."""
    import threading

    from hallsim.experiment import stop_pool, worker_pool

    stop_pool(worker_pool(2), interrupted=True)  # nothing started yet
    pool = worker_pool(2)
    assert pool.submit(abs, -1).result() == 1
    workers = list(pool._processes.values())
    stop_pool(pool, interrupted=True)
    assert not any(p.is_alive() for p in workers)
    pool = worker_pool(2)
    pool._executor_manager_thread = threading.Thread(target=lambda: None)  # made, not started
    stop_pool(pool, interrupted=True)
