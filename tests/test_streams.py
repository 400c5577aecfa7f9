"""hallsim.streams: random streams and exogenous draws (common random numbers).

Properties, not recorded values: a replication's streams depend only on (seed,
replication, source); the inverse CDFs agree with scipy's; the drawn arrivals of a
homogeneous day are Poisson in count and uniform in time; demand drawn in chunks equals
demand drawn whole.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hallsim.scenario import Exponential, Gamma, Lognormal, Uniform
from hallsim.streams import SOURCES, demand_chunks, draw_demand, make_streams, quantile

from .conftest import day_scenario, queue_scenario


@given(seed=st.integers(0, 2**63 - 1), rep=st.integers(0, 10_000))
@settings(max_examples=30)
def test_a_source_depends_only_on_seed_replication_and_name(seed, rep) -> None:
    a, b = make_streams(seed, rep), make_streams(seed, rep)
    b["routing"].random(5)  # using one source first changes no other source
    for name in SOURCES:
        assert np.array_equal(a[name].random(3), b[name].random(3)) or name == "routing"
    other = make_streams(seed, rep + 1)
    assert not np.array_equal(
        make_streams(seed, rep)["arrivals"].random(4), other["arrivals"].random(4)
    )


@pytest.mark.parametrize(
    "dist, ref",
    [
        (Exponential(dist="exponential", mean=4.0), stats.expon(scale=4.0)),
        (Uniform(dist="uniform", low=1.0, high=3.0), stats.uniform(1.0, 2.0)),
        (Gamma(dist="gamma", mean=5.0, cv=0.5), stats.gamma(4.0, scale=1.25)),
        (
            Lognormal(dist="lognormal", mean=5.0, cv=0.8),
            stats.lognorm(np.sqrt(np.log1p(0.64)), scale=np.exp(np.log(5.0) - np.log1p(0.64) / 2)),
        ),
    ],
)
def test_quantile_is_the_inverse_cdf(dist, ref) -> None:
    u = np.linspace(0.001, 0.999, 101)
    np.testing.assert_allclose(quantile(dist, u), ref.ppf(u), rtol=1e-9)
    assert ref.mean() == pytest.approx(dist.mean)


def test_day_arrivals_are_poisson_in_count_and_uniform_in_time() -> None:
    # 40 per hour from 09:00 to 11:00; no return visits (they would thin the new arrivals)
    sc = day_scenario(attitude_effects={"enabled": False})
    counts, times = [], []
    for r in range(200):
        d = draw_demand(sc, make_streams(5, r))
        counts.append(len(d.arrival_min))
        times.extend(d.arrival_min.tolist())
        assert np.all(np.diff(d.arrival_min) >= 0)
    expected = 40 * 2 * (1 - sc.arrivals.online_share)
    mean = np.mean(counts)
    # mean of 200 Poisson counts: sd sqrt(expected / 200); 4 sd
    assert abs(mean - expected) < 4 * np.sqrt(expected / 200)
    lo, hi = sc.arrival_start_min, sc.arrival_end_min
    assert stats.kstest(times, stats.uniform(lo, hi - lo).cdf).pvalue > 1e-3


def test_demand_in_chunks_equals_demand_whole() -> None:
    sc = queue_scenario(1.0, {"dist": "exponential", "mean": 3.0}, 4, length_min=3000)
    whole = draw_demand(sc, make_streams(2, 1))
    parts = list(demand_chunks(sc, make_streams(2, 1), 100))
    joined = np.concatenate([p.arrival_min for p in parts])
    np.testing.assert_array_equal(joined, whole.arrival_min)
    np.testing.assert_array_equal(
        np.concatenate([p.base_service_min for p in parts]), whole.base_service_min
    )


@given(
    seed=st.one_of(st.integers(0, 2**64 + 5), st.integers(2**120, 2**160)),
    rep=st.one_of(st.integers(0, 10_000), st.integers(2**32 - 2, 2**70)),
)
@settings(max_examples=60)
def test_every_source_is_numpys_seed_sequence(seed, rep) -> None:
    # make_streams derives SeedSequence's state itself (faster): the generators must be
    # exactly default_rng(SeedSequence(seed, spawn_key=(replication, source index)))
    streams = make_streams(seed, rep)
    for k, name in enumerate(SOURCES):
        ref = np.random.SeedSequence(seed, spawn_key=(rep, k))
        rng = streams[name]
        assert rng.bit_generator.state == np.random.default_rng(ref).bit_generator.state
        seq = rng.bit_generator.seed_seq
        assert (seq.entropy, seq.spawn_key) == (ref.entropy, ref.spawn_key)
        for dtype in (np.uint32, np.uint64):
            mine, theirs = seq.generate_state(5, dtype), ref.generate_state(5, dtype)
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    seq = streams["returns"].bit_generator.seed_seq
    ref = np.random.SeedSequence(seed, spawn_key=(rep, SOURCES.index("returns")))
    assert list(seq.pool) == list(ref.pool)
    assert [c.generate_state(2).tolist() for c in seq.spawn(2)] == [
        c.generate_state(2).tolist() for c in ref.spawn(2)
    ]


def test_a_source_generator_survives_pickling() -> None:
    import pickle

    rng = make_streams(3, 4)["service"]
    rng.random(3)
    again = pickle.loads(pickle.dumps(rng))
    assert np.array_equal(rng.random(5), again.random(5))


@given(
    times=st.lists(st.floats(480.0, 1140.0), min_size=1, max_size=60),
    delay=st.sampled_from([0.0, 15.0, 45.0, 200.0]),
)
@settings(max_examples=40, deadline=None)
def test_keep_probability_is_the_formula_at_each_time(times, delay) -> None:
    # ReturnPlan picks the keep probability from a table of rate pairs (a fixed delay);
    # each value must be the docstring's formula at that time alone:
    # keep = clip((p_ref / p) * (1 - share * (1 - p) * lam(t - delay) / lam(t)) / factor)
    from hallsim.streams import ReturnPlan

    sc = day_scenario(
        arrivals={"rate_per_hour": {"09:00": 40, "10:00": 0, "10:30": 70}},
        attitude_effects={"return_delay_min": delay, "return_same_day_share": 0.6},
    )
    plan = ReturnPlan(sc)
    assert plan.thin and plan.fixed_delay == delay
    rates = sc.rate_schedule()

    def lam(t: float) -> float:
        past = [r for start, r in rates if start <= t]
        return past[-1] if past else 0.0

    got = plan.keep_probability(np.array(times))
    for t, value in zip(times, got.tolist(), strict=True):
        back = t - delay
        earlier = lam(back) if back >= plan.start else 0.0
        g = earlier / lam(t) if lam(t) > 0 else 0.0
        keep = (plan.p_ref / plan.p) * (1.0 - plan.share * (1.0 - plan.p) * g) / plan.factor
        assert value == min(max(keep, 0.0), 1.0)
