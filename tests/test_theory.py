"""Tests for hallsim.theory against published values (shared/domain.md sec. 3) and identities."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import simpson

from hallsim.theory import (
    allen_cunneen,
    erlang_a,
    erlang_b,
    erlang_c,
    jackson_network,
    mg1_pk,
    min_servers,
    mmc,
    mmck,
)

FAST = settings(max_examples=60, deadline=None)

# --------------------------------------------------------------------------- domain.md checks


def test_pooling_separate_single_windows():
    # 12 citizens/h = 0.2/min, 4 min exponential service -> M/M/1 Wq = 16 min.
    assert mmc(0.2, 4.0, 1).wait_mean == pytest.approx(16.0, rel=1e-12)
    assert mg1_pk(0.2, 4.0, 1.0) == pytest.approx(16.0, rel=1e-12)


def test_pooling_three_generalists():
    r = mmc(0.6, 4.0, 3)
    assert round(r.wait_mean, 2) == 4.31
    assert round(1.0 - r.service_level(10.0), 3) == 0.144


def test_pooling_generalists_twenty_percent_slower():
    w3 = mmc(0.6, 4.8, 3).wait_mean
    assert w3 == pytest.approx(37.0, abs=0.5)
    assert round(w3) == 37
    assert round(mmc(0.6, 4.8, 4).wait_mean, 2) == 1.97


@pytest.mark.parametrize(
    ("n", "p_wait", "p_abandon", "wait_mean"),
    [(9, 0.4924, 0.0580, 1.740), (8, 0.6669, 0.1027, 3.080), (7, 0.8256, 0.1712, 5.136)],
)
def test_erlang_a_table(n, p_wait, p_abandon, wait_mean):
    r = erlang_a(0.8, 10.0, 30.0, n)
    assert r.p_wait == pytest.approx(p_wait, abs=1e-3)
    assert r.p_abandon == pytest.approx(p_abandon, abs=1e-3)
    assert r.wait_mean == pytest.approx(wait_mean, abs=0.005)


def test_erlang_a_n7_exact_p_wait():
    # domain.md: "n=7 exact P(wait>0) = 0.82554…" (the table rounds it to 0.8256).
    assert erlang_a(0.8, 10.0, 30.0, 7).p_wait == pytest.approx(0.82554, abs=1e-5)


@pytest.mark.parametrize(("cs2", "ratio"), [(0.0, 2.0), (1.0, 4.0), (2.0, 6.0)])
def test_pk_at_rho_08(cs2, ratio):
    s = 5.0
    assert mg1_pk(0.8 / s, s, cs2) / s == pytest.approx(ratio, rel=1e-12)


# --------------------------------------------------------------------------- identities


def test_erlang_b_matches_direct_formula():
    for c in range(0, 15):
        for a in (0.0, 0.3, 2.0, 7.5, 20.0):
            terms = [a**k / math.factorial(k) for k in range(c + 1)]
            assert erlang_b(c, a) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)


def test_erlang_c_matches_direct_formula_and_large_c():
    for c, a in [(1, 0.5), (3, 2.4), (10, 8.0)]:
        head = sum(a**k / math.factorial(k) for k in range(c))
        top = a**c / math.factorial(c) * c / (c - a)
        assert erlang_c(c, a) == pytest.approx(top / (head + top), rel=1e-12)
    # c in the hundreds: a^c/c! would overflow; the recursion must not.
    assert 0.0 < erlang_c(800, 780.0) < 1.0
    assert erlang_c(5, 5.0) == 1.0 and erlang_c(5, 9.0) == 1.0


@given(st.floats(0.0, 0.999))
def test_erlang_c_single_server_is_rho(rho):
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12, abs=1e-15)


def test_mmc_queue_length_formula():
    # Independent textbook form E[Lq] = C·ρ/(1−ρ).
    r = mmc(0.6, 4.0, 3)
    rho = 0.8
    assert r.queue_len_mean == pytest.approx(r.p_wait * rho / (1 - rho), rel=1e-12)
    assert r.utilisation == pytest.approx(rho)


@given(st.floats(0.01, 5.0), st.floats(0.1, 30.0), st.integers(1, 60))
@FAST
def test_allen_cunneen_markovian_is_erlang_c(lam, s, c):
    if lam * s >= c:
        return
    assert allen_cunneen(lam, s, c) == pytest.approx(mmc(lam, s, c).wait_mean, rel=1e-12)


@given(st.floats(0.01, 0.99), st.floats(0.0, 4.0))
def test_allen_cunneen_single_server_is_pk(rho, cs2):
    s = 3.0
    assert allen_cunneen(rho / s, s, 1, ca2=1.0, cs2=cs2) == pytest.approx(
        mg1_pk(rho / s, s, cs2), rel=1e-12
    )


def test_erlang_a_large_patience_is_erlang_c():
    c_res = mmc(0.6, 4.0, 3)
    a_res = erlang_a(0.6, 4.0, 1e7, 3)
    assert a_res.p_wait == pytest.approx(c_res.p_wait, rel=1e-4)
    assert a_res.wait_mean == pytest.approx(c_res.wait_mean, rel=1e-4)
    assert a_res.p_abandon < 1e-5
    assert a_res.served_within(10.0) == pytest.approx(c_res.service_level(10.0), rel=1e-4)
    inf_res = erlang_a(0.6, 4.0, math.inf, 3)
    assert inf_res.p_wait == c_res.p_wait and inf_res.p_abandon == 0.0


def test_erlang_a_many_servers_no_abandonment():
    p = [erlang_a(0.8, 10.0, 30.0, n).p_abandon for n in range(5, 41)]
    assert all(b < a for a, b in itertools.pairwise(p))
    assert p[-1] < 1e-10


def test_erlang_a_overload_is_stable():
    # Erlang A has a steady state even when λ > nμ: abandonment balances the excess.
    r = erlang_a(1.5, 10.0, 30.0, 5)  # 15 Erlangs on 5 servers
    assert r.throughput == pytest.approx(r.utilisation * 5 / 10.0, rel=1e-9)  # busy × μ
    assert r.p_abandon == pytest.approx(1 - r.throughput / 1.5)
    assert r.p_wait > 0.99


def test_erlang_a_service_level_integrates_to_mean_wait():
    # E[Wq] = ∫ P(Wq > t) dt; checks the tagged-citizen tail against the chain's E[Lq]/λ.
    r = erlang_a(0.8, 10.0, 30.0, 8)
    t = np.linspace(0.0, 600.0, 1201)
    tail = [1.0 - r.service_level(x) for x in t]
    assert simpson(tail, x=t) == pytest.approx(r.wait_mean, rel=1e-6)
    # Served-in-time can never beat "left the queue by t" (abandoners count as failures).
    assert all(r.served_within(x) <= r.service_level(x) + 1e-12 for x in (0.5, 5.0, 30.0))
    assert r.service_level(0.0) == pytest.approx(1.0 - r.p_wait)
    assert r.served_within(1e4) == pytest.approx(1.0 - r.p_abandon, abs=1e-9)


def test_erlang_a_tail_matches_matrix_exponential():
    # Independent check of the Beta closed form: tagged citizen's position chain, expm.
    from scipy.linalg import expm

    lam, s, patience, n, t = 0.8, 10.0, 30.0, 8, 5.0
    r = erlang_a(lam, s, patience, n)
    mu, theta = 1 / s, 1 / patience
    m = 80  # queue positions kept; P(more than 80 waiting) is far below 1e-12 here
    k = np.arange(n + m)
    w = np.array(
        [
            lam**j / math.prod(min(i, n) * mu + max(i - n, 0) * theta for i in range(1, j + 1))
            for j in k
        ]
    )
    p_ahead = (w / w.sum())[n:]
    q = np.zeros((m + 1, m + 1))  # states 0..m-1: citizens ahead; m: in service
    for i in range(m):
        move = n * mu + i * theta
        q[i, i] = -(move + theta)
        q[i, i - 1 if i else m] = move
    p_t = np.append(p_ahead, 0.0) @ expm(q * t)
    assert r.service_level(t) == pytest.approx(1 - p_t[:m].sum(), abs=1e-10)
    assert r.served_within(t) == pytest.approx(1 - r.p_wait + p_t[m], abs=1e-10)


# --------------------------------------------------------------------------- properties


@given(st.integers(1, 300), st.floats(0.0, 400.0))
@FAST
def test_erlang_c_bounds_and_monotonicity(c, a):
    p = erlang_c(c, a)
    assert 0.0 <= p <= 1.0
    assert erlang_c(c + 1, a) <= p + 1e-12  # more servers, less waiting
    assert erlang_c(c, a * 1.05 + 0.01) >= p - 1e-12  # more load, more waiting


@given(st.floats(0.01, 3.0), st.floats(0.5, 20.0), st.integers(1, 80))
@FAST
def test_mmc_littles_law(lam, s, c):
    if lam * s >= c:
        with pytest.raises(ValueError):
            mmc(lam, s, c)
        return
    r = mmc(lam, s, c)
    assert r.queue_len_mean == pytest.approx(lam * r.wait_mean, rel=1e-12)
    assert r.in_system_mean == pytest.approx(lam * r.time_in_system_mean, rel=1e-12)
    assert r.in_system_mean == pytest.approx(r.queue_len_mean + lam * s, rel=1e-12)


@given(st.floats(0.05, 3.0), st.floats(0.5, 20.0), st.floats(1.0, 120.0), st.integers(1, 60))
@FAST
def test_erlang_a_littles_law_and_flow_balance(lam, s, patience, n):
    r = erlang_a(lam, s, patience, n)
    assert r.queue_len_mean == pytest.approx(lam * r.wait_mean, rel=1e-12)
    # Flow balance: served per minute = busy servers × μ, computed from π independently.
    assert r.throughput == pytest.approx(r.utilisation * n / s, rel=1e-8)
    assert 0.0 <= r.p_abandon <= r.p_wait <= 1.0
    assert 0.0 <= r.utilisation <= 1.0


@given(
    st.floats(0.05, 3.0),
    st.floats(1.0, 15.0),
    st.floats(0.5, 20.0),
    st.floats(0.5, 0.95),
    st.floats(0.0, 15.0),
)
@FAST
def test_min_servers_erlang_c(lam, s, max_wait, level, t):
    c = min_servers(lam, s, max_wait_mean=max_wait, service_level=level, target_min=t)
    r = mmc(lam, s, c)
    assert r.wait_mean <= max_wait and r.service_level(t) >= level
    if c - 1 > lam * s:
        prev = mmc(lam, s, c - 1)
        assert prev.wait_mean > max_wait or prev.service_level(t) < level
    else:
        assert c == math.floor(lam * s) + 1  # c − 1 servers cannot cope at all


@given(
    st.floats(0.05, 2.0),
    st.floats(1.0, 15.0),
    st.floats(2.0, 60.0),
    st.floats(0.01, 0.3),
    st.floats(0.5, 0.95),
    st.floats(0.0, 10.0),
)
@settings(max_examples=30, deadline=None)
def test_min_servers_erlang_a(lam, s, patience, max_ab, level, t):
    def ok(n):
        r = erlang_a(lam, s, patience, n)
        return r.p_abandon <= max_ab and r.served_within(t) >= level

    n = min_servers(
        lam, s, mean_patience=patience, max_abandon=max_ab, service_level=level, target_min=t
    )
    assert ok(n)
    assert n == 1 or not ok(n - 1)


def test_min_servers_domain_example():
    # Mean wait <= 5 min for the pooled hall: 3 windows give 4.31 min.
    assert min_servers(0.6, 4.0, max_wait_mean=5.0) == 3
    # Slower generalists need a 4th window for the same target.
    assert min_servers(0.6, 4.8, max_wait_mean=5.0) == 4


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "call",
    [
        lambda: mmc(0.6, 4.0, 2),  # ρ = 1.2
        lambda: mmc(0.75, 4.0, 3),  # ρ = 1 exactly
        lambda: mmc(0.0, 4.0, 3),
        lambda: mmc(-0.1, 4.0, 3),
        lambda: mmc(0.6, 0.0, 3),
        lambda: mmc(math.nan, 4.0, 3),
        lambda: mmc(0.6, 4.0, 0),
        lambda: mmc(0.6, 4.0, 2.5),
        lambda: mmc(0.6, 4.0, True),
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_c(0, 1.0),
        lambda: erlang_c(3, -1.0),
        lambda: erlang_a(0.8, 10.0, 0.0, 7),
        lambda: erlang_a(0.8, 10.0, 30.0, 0),
        lambda: erlang_a(0.0, 10.0, 30.0, 7),
        lambda: erlang_a(0.8, 10.0, math.inf, 7),  # no patience and 8 Erlangs on 7
        lambda: mg1_pk(0.25, 4.0, 1.0),
        lambda: mg1_pk(0.2, 4.0, -0.5),
        lambda: allen_cunneen(0.6, 4.0, 3, ca2=-1.0),
        lambda: mmc(0.6, 4.0, 3).service_level(-1.0),
        lambda: min_servers(0.6, 4.0),  # no target
        lambda: min_servers(0.6, 4.0, service_level=0.8),  # missing target_min
        lambda: min_servers(0.6, 4.0, max_abandon=0.1),  # abandonment without patience
        lambda: min_servers(0.6, 4.0, max_wait_mean=0.01, max_servers=3),  # unreachable
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- M/M/c/K


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.floats(0.01, 120.0))
def test_mmck_with_no_waiting_room_is_erlang_b(c, a):
    # K = c: the Erlang loss system; s = 1 so λ = a
    r = mmck(a, 1.0, c, c)
    assert r.p_block == pytest.approx(erlang_b(c, a), rel=1e-9, abs=1e-15)
    assert r.queue_len_mean == 0.0 and r.wait_mean == 0.0 and r.p_wait == 0.0


@pytest.mark.parametrize("rho", [0.3, 0.9, 1.0001, 2.5])
@pytest.mark.parametrize("k", [1, 2, 5, 20])
def test_mm1k_closed_form(rho, k):
    # Gross et al. (2008), eq. 2.41: p_n = (1-ρ)ρ^n / (1-ρ^(K+1))
    r = mmck(rho, 1.0, 1, k)
    p = [(1 - rho) * rho**n / (1 - rho ** (k + 1)) for n in range(k + 1)]
    assert r.p_block == pytest.approx(p[k], rel=1e-9)
    assert r.in_system_mean == pytest.approx(sum(n * pn for n, pn in enumerate(p)), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.floats(0.05, 0.95), st.integers(0, 40))
def test_mmck_flow_balance_and_limit(c, rho, extra):
    lam, s = rho * c, 1.0
    r = mmck(lam, s, c, c + extra)
    # admitted work = busy servers (flow balance), and Little's law on the queue
    assert r.utilisation * c == pytest.approx(lam * (1 - r.p_block) * s, rel=1e-9)
    assert r.queue_len_mean == pytest.approx(lam * (1 - r.p_block) * r.wait_mean, rel=1e-9)
    # a bigger waiting room blocks less and queues more, and tends to M/M/c
    bigger = mmck(lam, s, c, c + extra + 1)
    assert bigger.p_block <= r.p_block + 1e-15
    assert bigger.queue_len_mean >= r.queue_len_mean - 1e-12
    far = mmck(lam, s, c, c + 3000)
    assert far.wait_mean == pytest.approx(mmc(lam, s, c).wait_mean, rel=1e-6, abs=1e-12)


# --------------------------------------------------------------------------- Jackson


def test_jackson_tandem_of_single_servers_adds_the_two_mm1_times():
    lam, s1, s2 = 0.5, 1.2, 1.6
    r = jackson_network([lam, 0.0], [s1, s2], [1, 1], [[0, 1], [0, 0]])
    expected = 1 / (1 / s1 - lam) + 1 / (1 / s2 - lam)  # Burke: both stations see Poisson(λ)
    assert r.time_in_system_mean == pytest.approx(expected, rel=1e-12)
    assert r.throughput == pytest.approx((lam, lam))


def test_jackson_feedback_multiplies_visits():
    # an M/M/1 station to which a share q of citizens return: λ_total = λ/(1-q)
    lam, s, q = 0.2, 1.0, 0.5
    r = jackson_network([lam], [s], [1], [[q]])
    assert r.visits == pytest.approx((1 / (1 - q),))
    assert r.time_in_system_mean == pytest.approx(
        (1 / (1 - q)) / (1 / s - lam / (1 - q)), rel=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 1.0),
    st.floats(0.0, 0.6),
    st.floats(0.0, 0.4),
    st.integers(1, 6),
    st.integers(1, 6),
)
def test_jackson_throughput_solves_the_traffic_equations(lam, p12, p21, c1, c2):
    routing = [[0.0, p12], [p21, 0.0]]
    s = [0.5 * c1 / lam, 0.4 * c2 / lam]  # keeps both stations below ρ = 0.5
    r = jackson_network([lam, 0.0], s, [c1, c2], routing)
    l1, l2 = r.throughput
    assert l1 == pytest.approx(lam + p21 * l2, rel=1e-9)
    assert l2 == pytest.approx(p12 * l1, rel=1e-9)
    # what leaves equals what comes in
    assert l1 * (1 - p12) + l2 * (1 - p21) == pytest.approx(lam, rel=1e-9)


def test_jackson_refuses_a_closed_loop_and_bad_rows():
    with pytest.raises(ValueError, match="not open"):
        jackson_network([0.1, 0.0], [1.0, 1.0], [1, 1], [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="rows"):
        jackson_network([0.1], [1.0], [1], [[1.2]])
