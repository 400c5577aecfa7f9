"""The simulator against queueing theory (hallsim.theory), inside 99% CIs.

Each check runs independent replications of a steady-state hall with a
warm-up, and asks that the theoretical value lie inside the 99% Student-t
interval of the replication means.  Seeds are fixed, so the tests are
deterministic; a modelling error (wrong service draw, wrong dispatch,
wrong time average) moves the estimate far outside these intervals.
"""

from __future__ import annotations

import numpy as np
import pytest

from hallsim import theory
from hallsim.experiment import run_replications, simulate, summarise_values
from hallsim.scenario import scenario_from_dict
from hallsim.streams import draw_demand, make_streams

from .conftest import queue_scenario


@pytest.fixture(params=["simpy", "fast"])
def engine(request) -> str:
    """Every theory check runs on both engines: the SimPy reference and the fast path."""
    return request.param


def assert_in_ci(values, expected: float, what: str, confidence: float = 0.99) -> None:
    s = summarise_values(values, confidence)
    assert s["ci_low"] <= expected <= s["ci_high"], (
        f"{what}: theory {expected:.4f} outside the {confidence:.0%} CI "
        f"[{s['ci_low']:.4f}, {s['ci_high']:.4f}] (mean {s['mean']:.4f}, n={s['n']})"
    )


def p_wait_positive(sc, seed: int, reps: int, engine: str) -> list[float]:
    out = []
    for r in range(reps):
        log = simulate(sc, seed=seed, replication=r, log=True, engine=engine).log
        served = log[log.outcome == "served"]
        out.append(float((served.wait_min > 0).mean()))
    return out


@pytest.mark.parametrize("rho", [0.7, 0.9])
def test_mmc_matches_erlang_c(rho: float, engine: str) -> None:
    c, mean_s = 4, 4.0
    lam = rho * c / mean_s
    sc = queue_scenario(
        lam, {"dist": "exponential", "mean": mean_s}, c, warmup_min=1000, length_min=30_000
    )
    th = theory.mmc(lam, mean_s, c)
    res = run_replications(sc, replications=10, seed=11, engine=engine)
    reps = res.replications
    assert_in_ci(reps.wait_mean_min, th.wait_mean, "mean wait")
    assert_in_ci(reps.queue_len_mean, th.queue_len_mean, "mean queue length")
    assert_in_ci(reps.utilisation, th.utilisation, "utilisation")
    target = sc.hall.service_level_target_min
    assert_in_ci(reps.service_level, th.service_level(target), "service level")
    assert_in_ci(reps.wait_p95_min, th.wait_quantile(0.95), "95th-percentile wait")
    assert_in_ci(p_wait_positive(sc, 11, 6, engine), th.p_wait, "P(wait > 0)")


@pytest.mark.parametrize(
    ("servers", "p_abandon", "wait_all"),
    # domain.md §3 check values (Garnett, Mandelbaum & Reiman 2002)
    [(7, 0.1712, 5.136), (8, 0.1027, 3.080), (9, 0.0580, 1.740)],
)
def test_mmc_with_patience_matches_erlang_a(servers, p_abandon, wait_all, engine) -> None:
    lam, mean_s, patience = 0.8, 10.0, 30.0
    th = theory.erlang_a(lam, mean_s, patience, servers)
    assert th.p_abandon == pytest.approx(p_abandon, abs=1e-3)
    sc = queue_scenario(
        lam,
        {"dist": "exponential", "mean": mean_s},
        servers,
        warmup_min=500,
        length_min=15_000,
        patience={"renege_min": {"dist": "exponential", "mean": patience}},
    )
    res = run_replications(sc, replications=8, seed=5, engine=engine)
    reps = res.replications
    assert_in_ci(reps.reneged / reps.arrived, th.p_abandon, "abandonment share")
    assert_in_ci(reps.queue_len_mean, th.queue_len_mean, "mean queue length")
    assert (reps.balked == 0).all()


@pytest.mark.parametrize(
    ("service", "ratio"),
    # P-K at rho = 0.8: Wq / E[S] = 2.0 (deterministic), 4.0 (exponential), 6.0 (cs2 = 2)
    [
        ({"dist": "deterministic", "mean": 1.0}, 2.0),
        ({"dist": "exponential", "mean": 1.0}, 4.0),
        ({"dist": "gamma", "mean": 1.0, "cv": 2**0.5}, 6.0),
    ],
)
def test_mg1_matches_pollaczek_khinchine(service, ratio, engine) -> None:
    sc = queue_scenario(0.8, service, 1, warmup_min=500, length_min=40_000)
    cs2 = sc.matters[0].service_min.cv2
    expected = theory.mg1_pk(0.8, 1.0, cs2)
    assert expected == pytest.approx(ratio)
    res = run_replications(sc, replications=10, seed=3, engine=engine)
    assert_in_ci(res.replications.wait_mean_min, expected, f"M/G/1 cs2={cs2:g}")


def pooling_pair(mean_pooled: float, pooled_servers: int):
    """domain.md pooling example: 3 departments x 12/h, service 4 min (exponential)."""
    matters = [
        {"name": f"d{k}", "share": 1 / 3, "service_min": {"dist": "exponential", "mean": 4.0}}
        for k in range(3)
    ]
    common = {
        "run": {"mode": "steady_state", "warmup_min": 1000, "length_min": 40_000},
        "arrivals": {"rate_per_hour": 36},
        "matters": matters,
        "attitude_effects": {"enabled": False},
    }
    dedicated = scenario_from_dict(
        {
            **common,
            "name": "dedicated",
            "windows": [{"name": f"d{k}", "count": 1, "matters": [f"d{k}"]} for k in range(3)],
        }
    )
    pooled = scenario_from_dict(
        {
            **common,
            "name": "pooled",
            "windows": [
                {"name": "g", "count": pooled_servers, "service_time_factor": mean_pooled / 4.0}
            ],
        }
    )
    return dedicated, pooled


def test_pooling_example_dedicated_vs_generalists(engine) -> None:
    dedicated, pooled = pooling_pair(4.0, 3)
    assert theory.mmc(0.2, 4.0, 1).wait_mean == pytest.approx(16.0)
    assert theory.mmc(0.6, 4.0, 3).wait_mean == pytest.approx(4.31, abs=0.005)
    ded = run_replications(dedicated, replications=10, seed=2, engine=engine).replications
    pool = run_replications(pooled, replications=10, seed=2, engine=engine).replications
    assert_in_ci(ded.wait_mean_min, 16.0, "three separate windows")
    assert_in_ci(pool.wait_mean_min, theory.mmc(0.6, 4.0, 3).wait_mean, "pooled M/M/3")


def test_generalist_slowdown_reverses_pooling_gain(engine) -> None:
    # generalists 20% slower (4.8 min): 3 pooled windows ~37 min, 4 pooled ~1.97 min
    th3, th4 = theory.mmc(0.6, 4.8, 3).wait_mean, theory.mmc(0.6, 4.8, 4).wait_mean
    assert round(th3) == 37 and th4 == pytest.approx(1.97, abs=0.005)
    _, four = pooling_pair(4.8, 4)
    res4 = run_replications(four, replications=10, seed=4, engine=engine).replications
    assert_in_ci(res4.wait_mean_min, th4, "4 slower generalists")
    # rho = 0.96: long relaxation, so a longer run; the check stays a 99% CI
    _, three = pooling_pair(4.8, 3)
    three = three.with_changes({"run.length_min": 150_000, "run.warmup_min": 5000})
    res3 = run_replications(three, replications=10, seed=4, engine=engine).replications
    assert_in_ci(res3.wait_mean_min, th3, "3 slower generalists")
    # the reversal itself: dedicated specialists (16 min) beat 3 slow generalists
    assert res3.wait_mean_min.mean() > 16.0


def test_nonhomogeneous_arrival_counts_match_rate_table() -> None:
    table = {"09:00": 30, "10:00": 90, "11:30": 0, "12:00": 45}
    sc = scenario_from_dict(
        {
            "name": "nhpp",
            "hall": {"open": "08:30", "close": "13:00"},
            "arrivals": {"rate_per_hour": table},
            "matters": [
                {"name": "a", "share": 1, "service_min": {"dist": "exponential", "mean": 1}}
            ],
            "windows": [{"name": "g", "count": 1}],
            # the arrival process alone: no return visits to take out of the ticket
            # counts (arrivals.include_returns; see test_attitude for that case)
            "attitude_effects": {"enabled": False},
        }
    )
    edges = np.array([510, 540, 600, 690, 720, 780])  # 08:30 09:00 10:00 11:30 12:00 13:00
    rates = np.array([0, 30, 90, 0, 45]) / 60.0
    expected = rates * np.diff(edges)
    reps = 400
    counts = np.zeros((reps, len(expected)))
    for r in range(reps):
        times = draw_demand(sc, make_streams(9, r)).arrival_min
        counts[r] = np.histogram(times, bins=edges)[0]
    assert counts[:, 0].sum() == 0 and counts[:, 3].sum() == 0  # zero-rate pieces
    for k in (1, 2, 4):
        # Poisson: mean = variance = expected count; z-test on the mean over reps
        z = (counts[:, k].mean() - expected[k]) / np.sqrt(expected[k] / reps)
        assert abs(z) < 3.3, f"interval {k}: mean count {counts[:, k].mean():.2f} vs {expected[k]}"
        # dispersion: a Poisson count has variance equal to its mean
        assert counts[:, k].var(ddof=1) == pytest.approx(expected[k], rel=0.25)
