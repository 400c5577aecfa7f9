"""Calling rules (hallsim.engines.calling): the shortest-expected-wait line choice.

Theory: two windows of different speeds, each with its own line, Poisson arrivals joining
the line with the least (citizens there × that window's mean service). The exact
continuous-time Markov chain on the two line lengths, solved numerically
(``theory.two_lines_shortest_expected_wait``), must lie inside the simulation's 99%
intervals. The fast engine reproduces the rule bit for bit (tests/test_fastpath.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallsim import engines, theory
from hallsim.engines import calling, simpy_hall
from hallsim.experiment import run_replications, summarise_values
from hallsim.scenario import ScenarioError, scenario_from_dict
from hallsim.streams import make_streams

RATE = 0.5  # arrivals per minute
BASE = 4.0  # the matter's mean service, minutes (exponential)
FACTORS = (0.5, 1.0)  # window speeds: mean services 2 and 4 minutes


def two_windows(line_choice: str | None = "shortest_expected_wait", factors=FACTORS, **run):
    layout = {"queue": "per_window"}
    if line_choice is not None:
        layout["line_choice"] = line_choice
    return scenario_from_dict(
        {
            "name": "two-lines",
            "run": {"mode": "steady_state", "warmup_min": 500, "length_min": 20_000, **run},
            "arrivals": {"rate_per_hour": RATE * 60},
            "matters": [
                {"name": "any", "share": 1.0, "service_min": {"dist": "exponential", "mean": BASE}}
            ],
            "windows": [
                {"name": f"w{i}", "count": 1, "service_time_factor": f}
                for i, f in enumerate(factors)
            ],
            "layout": layout,
            "attitude_effects": {"enabled": False},
        }
    )


def assert_in_ci(values, expected: float, what: str) -> None:
    s = summarise_values(values, 0.99)
    assert s["ci_low"] <= expected <= s["ci_high"], (
        f"{what}: theory {expected:.4f} outside the 99% CI [{s['ci_low']:.4f}, "
        f"{s['ci_high']:.4f}] (mean {s['mean']:.4f}, n={s['n']})"
    )


def test_two_unequal_windows_match_the_exact_markov_chain() -> None:
    sc = two_windows()
    exact = theory.two_lines_shortest_expected_wait(RATE, tuple(BASE * f for f in FACTORS))
    res = run_replications(sc, replications=10, seed=5, workers=1, engine="auto")
    reps = res.replications
    assert_in_ci(reps.wait_mean_min, exact.wait_mean, "mean wait")
    assert_in_ci(reps.queue_len_mean, exact.queue_len_mean, "mean queue length")
    # both windows staffed all the time: overall utilisation is the mean of the two
    assert_in_ci(reps.utilisation, sum(exact.utilisation) / 2, "utilisation")


def test_the_rule_changes_the_answer_against_shortest_line() -> None:
    """With unequal speeds the expected-wait rule sends more citizens to the fast window
    than the shortest line does, and the chain says waits are shorter for it."""
    by_wait = theory.two_lines_shortest_expected_wait(RATE, (2.0, 4.0))
    assert by_wait.join_share[0] > 0.5
    res = run_replications(two_windows(), replications=5, seed=2, workers=1)
    plain = run_replications(two_windows(None), replications=5, seed=2, workers=1)
    assert res.summary["wait_mean_min"]["mean"] < plain.summary["wait_mean_min"]["mean"]


def test_the_fast_engine_runs_it_bit_for_bit() -> None:
    sc = two_windows(length_min=3000)
    assert engines.supports(sc, "fast") == [] and engines.choose(sc, "auto") == "fast"
    ref = simpy_hall.run_hall(sc, make_streams(3, 1))
    fast = engines.run_trace(sc, make_streams(3, 1), "fast")
    for name in ("arrival_min", "window", "call_min", "end_min", "outcome", "queue_levels"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(ref, name), err_msg=name)


def test_line_choice_needs_per_window_lines() -> None:
    with pytest.raises(ScenarioError, match="line_choice"):
        scenario_from_dict(
            {
                "name": "x",
                "matters": [
                    {"name": "a", "share": 1.0, "service_min": {"dist": "exponential", "mean": 4}}
                ],
                "windows": [{"name": "w", "count": 2}],
                "layout": {"queue": "single", "line_choice": "shortest_expected_wait"},
            }
        )


def test_equal_windows_give_the_shortest_line_trace_bit_for_bit() -> None:
    """With equal speeds, expected wait orders lines as their lengths do: same trace."""
    a = simpy_hall.run_hall(two_windows(factors=(1.0, 1.0), length_min=3000), make_streams(3, 0))
    b = simpy_hall.run_hall(two_windows(None, (1.0, 1.0), length_min=3000), make_streams(3, 0))
    for field in ("arrival_min", "window", "call_min", "end_min", "outcome"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@given(
    sizes=st.lists(st.integers(0, 20), min_size=1, max_size=6),
    speeds=st.lists(st.floats(0.1, 10), min_size=6, max_size=6),
    draw=st.integers(0, 100),
)
def test_line_choice_functions_pick_a_minimum(sizes, speeds, draw) -> None:
    means = speeds[: len(sizes)]
    pick = calling.shortest_expected_wait(sizes, means, lambda k: draw % k)
    expected = [n * s for n, s in zip(sizes, means, strict=True)]
    assert expected[pick] == min(expected)
    short = calling.shortest_line(sizes, means, lambda k: draw % k)
    assert sizes[short] == min(sizes)
