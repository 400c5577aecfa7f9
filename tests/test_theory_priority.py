"""Cobham's non-pre-emptive priority formula for M/M/c (hallsim.theory.mmc_priority_waits)."""

from __future__ import annotations

import math

import pytest

from hallsim import theory


def test_one_class_is_erlang_c() -> None:
    (w,) = theory.mmc_priority_waits([0.9], 4.0, 4)
    assert w == pytest.approx(theory.mmc(0.9, 4.0, 4).wait_mean, rel=1e-12)


def test_mm1_matches_the_textbook_form() -> None:
    # M/M/1: W0 = ρ/μ (mean residual work), so W_k = ρ·E[S] / ((1 − σ_{k−1})(1 − σ_k))
    lam1, lam2, s = 0.1, 0.15, 2.0
    w1, w2 = theory.mmc_priority_waits([lam1, lam2], s, 1)
    rho = (lam1 + lam2) * s
    assert w1 == pytest.approx(rho * s / (1 - lam1 * s), rel=1e-12)
    assert w2 == pytest.approx(rho * s / ((1 - lam1 * s) * (1 - rho)), rel=1e-12)


@pytest.mark.parametrize("servers", [2, 5, 12])
def test_rate_weighted_waits_conserve_the_erlang_c_wait(servers) -> None:
    # equal service rates: priorities reorder the queue but do not change the work in it
    rates = [0.1 * servers, 0.05 * servers, 0.08 * servers]
    waits = theory.mmc_priority_waits(rates, 4.0, servers)
    mean = sum(r * w for r, w in zip(rates, waits, strict=True)) / sum(rates)
    assert mean == pytest.approx(theory.mmc(sum(rates), 4.0, servers).wait_mean, rel=1e-12)


def test_higher_priority_waits_less() -> None:
    waits = theory.mmc_priority_waits([0.2, 0.3, 0.4], 5.0, 5)
    assert waits[0] < waits[1] < waits[2]


def test_a_class_without_arrivals_still_has_a_wait() -> None:
    w_empty, w_other = theory.mmc_priority_waits([0.0, 1.0], 4.0, 5)
    assert w_empty == pytest.approx(theory.erlang_c(5, 4.0) / (5 / 4.0))
    assert math.isfinite(w_other)


@pytest.mark.parametrize(
    ("rates", "service", "servers"),
    [([0.5, 0.6], 4.0, 4), ([], 4.0, 2), ([0.0], 4.0, 2), ([-0.1, 0.2], 4.0, 2), ([0.1], 0, 2)],
)
def test_bad_inputs_raise(rates, service, servers) -> None:
    with pytest.raises(ValueError):
        theory.mmc_priority_waits(rates, service, servers)
