"""Long runs in bounded memory: segmented fast engine and streamed metrics.

The segments must give exactly the trace of one whole run (so the streamed
metrics are the whole run's, up to the documented quantile error).
"""

from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallsim import metrics, streaming
from hallsim import streams as streams_module
from hallsim.engines import fast as fastpath
from hallsim.experiment import simulate
from hallsim.metrics import registry
from hallsim.scenario import Exponential, Gamma, Lognormal, load_scenario
from hallsim.streams import make_streams
from tests.test_fastpath import CASES, _sc, scenarios

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

TRACE_FIELDS = (
    "arrival_min",
    "matter",
    "window",
    "group",
    "call_min",
    "end_min",
    "outcome",
    "settled",
    "is_return",
)


def assert_segments_equal_whole(scenario, seed: int, replication: int, chunk: int) -> int:
    """Concatenated segments == the whole trace; returns the number of segments."""
    whole = fastpath.run_hall(scenario, make_streams(seed, replication))
    streams = make_streams(seed, replication)
    segments = list(fastpath.run_hall_segments(scenario, streams, chunk))
    for name in TRACE_FIELDS:
        joined = np.concatenate([getattr(t, name) for t in segments])
        assert np.array_equal(joined, getattr(whole, name), equal_nan=True), name
    assert sum(t.returns_later for t in segments) == whole.returns_later
    # each segment's queue trace starts at (start, 0) and ends empty: together, the whole's
    queue_times = np.concatenate(
        [segments[0].queue_times] + [t.queue_times[1:] for t in segments[1:]]
    )
    queue_levels = np.concatenate(
        [segments[0].queue_levels] + [t.queue_levels[1:] for t in segments[1:]]
    )
    assert np.array_equal(queue_times, whole.queue_times)
    assert np.array_equal(queue_levels, whole.queue_levels)
    # every stream was read exactly as far as in the whole run
    after = make_streams(seed, replication)
    fastpath.run_hall(scenario, after)
    for key in ("arrivals", "matters", "service", "routing", "returns"):
        assert streams[key].bit_generator.state == after[key].bit_generator.state, key
    return len(segments)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("chunk", [1, 13, 200])
def test_segments_equal_the_whole_run(case: str, chunk: int) -> None:
    assert_segments_equal_whole(CASES[case](), seed=5, replication=1, chunk=chunk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**16), st.sampled_from([1, 4, 30]))
def test_random_scenarios_segments_equal_the_whole_run(scenario, seed: int, chunk: int) -> None:
    assert_segments_equal_whole(scenario, seed, 0, chunk)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(continuous=False), st.integers(0, 2**16), st.sampled_from([1, 3]))
def test_deterministic_times_segments_equal_the_whole_run(scenario, seed: int, chunk: int) -> None:
    """Ties are common here; the segments must still order them as the whole run does."""
    assert_segments_equal_whole(scenario, seed, 0, chunk)


@pytest.mark.parametrize("layout", ["single", "per_window"])
@pytest.mark.parametrize("balk", [0, 1])
def test_return_arriving_as_a_window_frees_across_a_cut(layout: str, balk: int) -> None:
    """Service 5 and return delay 5 (deterministic): a return visit created before a
    cut arrives at the instant a window frees whose release was scheduled before it.
    SimPy orders the two by when each was scheduled; the cut must not lose that."""
    data = {
        "layout": {"queue": layout},
        "matters": [
            {"name": "a", "share": 1.0, "service_min": {"dist": "deterministic", "mean": 5}}
        ],
        "windows": [{"name": "all", "count": 2}],
        "arrivals": {"rate_per_hour": 20},
        "attitude_effects": {"fcr_base": 0.5, "fcr_per_unit": 0.0, "return_delay_min": 5.0},
    }
    if balk:
        data["patience"] = {"balk_at_queue": balk}
    sc = _sc(**data)
    # seeds where the tie happens at a cut (found by trying 300; 173 in every variant)
    for seed in (54, 64, 114, 116, 173, 221):
        assert_segments_equal_whole(sc, seed, 0, chunk=1)


# --------------------------------------------------------------------------- metrics


def _steady(name: str, rate: float, length: float):
    return load_scenario(SCENARIOS / f"{name}.toml").with_changes(
        {
            "run.mode": "steady_state",
            "run.warmup_min": 300.0,
            "run.length_min": length,
            "arrivals.rate_per_hour": rate,
        }
    )


STEADY = {
    "mm5": lambda: load_scenario(SCENARIOS / "mmc_steady_state.toml").with_changes(
        {"run.length_min": 6000.0}
    ),
    # returns, reneging, balking, restricted windows, attitude spread
    "hybrid": lambda: _steady("hybrid", 45.0, 5000.0),
    "dedicated_lines": lambda: _steady("dedicated", 40.0, 5000.0).with_changes(
        {"layout.queue": "per_window"}
    ),
}


def _close(exact: float, streamed: float, rtol: float) -> bool:
    if math.isnan(exact):
        return math.isnan(streamed)
    return abs(streamed - exact) <= rtol * abs(exact) + 1e-9


@pytest.mark.parametrize("case", sorted(STEADY))
def test_streamed_metrics_equal_the_whole_run(case: str) -> None:
    """Folded segment metrics = metrics of the whole trace; quantiles within the sketch's bound."""
    sc = STEADY[case]()
    whole = metrics.compute(sc, fastpath.run_hall(sc, make_streams(4, 2)))
    streamed = streaming.simulate_streamed(sc, seed=4, replication=2, chunk=300)
    assert streamed.visits == {}
    assert list(streamed.metrics) == list(whole.metrics)
    for key, exact in whole.metrics.items():
        # quantiles: the sketch's bound; others: sums regrouped (rounding only)
        sketched = registry.BY_NAME[key].fold == registry.SKETCH
        rtol = streaming.QUANTILE_ACCURACY if sketched else 1e-9
        assert _close(exact, streamed.metrics[key], rtol), (key, exact, streamed.metrics[key])
    for name, cols in whole.tables.items():
        assert list(streamed.tables[name]) == list(cols), name
        for col, values in cols.items():
            got = list(streamed.tables[name][col])
            if isinstance(values[0], str):
                assert got == list(values), (name, col)
                continue
            # busy time per period comes from prefix sums over all visits (rounding ~1e-9)
            rtol = streaming.QUANTILE_ACCURACY if col == "wait_p90_min" else 1e-7
            for a, b in zip(values, got, strict=True):
                assert _close(float(a), float(b), rtol), (name, col, a, b)


def test_streamed_sweep_metrics_without_breakdowns() -> None:
    sc = STEADY["hybrid"]()
    full = streaming.simulate_streamed(sc, seed=1, chunk=500)
    bare = streaming.simulate_streamed(sc, seed=1, chunk=500, breakdowns=False)
    assert bare.tables == {}
    assert bare.metrics == pytest.approx(full.metrics, nan_ok=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e4), min_size=1, max_size=400),
    st.integers(0, 50),
    st.sampled_from([1e-2, 1e-3]),
)
def test_sketch_quantiles_within_their_relative_accuracy(
    values: list[float], zeros: int, accuracy: float
) -> None:
    x = np.array(values + [0.0] * zeros)
    sketch = streaming.QuantileSketch(accuracy)
    for part in np.array_split(x, 3):  # added in pieces, as segments are
        sketch.add(part)
    assert sketch.count == len(x)
    qs = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0)
    for q, got in zip(qs, sketch.quantiles(qs), strict=True):
        exact = float(np.quantile(x, q))
        assert abs(got - exact) <= accuracy * exact + 1e-9, (q, exact, got)


def test_empty_sketch_gives_nan() -> None:
    assert all(math.isnan(v) for v in streaming.QuantileSketch().quantiles((0.5, 0.9)))


def test_simulate_streams_only_long_steady_state_runs() -> None:
    long = load_scenario(SCENARIOS / "mmc_steady_state.toml").with_changes(
        {"run.length_min": 120_000.0}  # 135,000 citizens
    )
    assert streaming.applies(long)
    assert streaming.expected_citizens(long) == pytest.approx(1.125 * 121_000)
    assert simulate(long, seed=1).visits == {}  # streamed
    short = load_scenario(SCENARIOS / "mmc_steady_state.toml")
    assert not streaming.applies(short)
    assert not streaming.applies(load_scenario(SCENARIOS / "integrated.toml"))  # a day
    assert len(simulate(long, seed=1, log=True).log) > 0  # a log turns streaming off
    with pytest.raises(ValueError, match="fast engine"):
        simulate(long, seed=1, engine="simpy", streaming=True)
    with pytest.raises(ValueError, match="steady-state"):  # a day's averages do not fold
        simulate(load_scenario(SCENARIOS / "integrated.toml"), seed=1, streaming=True)


def test_streamed_memory_does_not_grow_with_the_horizon() -> None:
    """Peak traced memory of a streamed run: 4x the horizon, about the same peak."""
    base = load_scenario(SCENARIOS / "mmc_steady_state.toml")

    def peak(length: float) -> int:
        sc = base.with_changes({"run.length_min": length, "hall.period_min": 10_000.0})
        tracemalloc.start()
        streaming.simulate_streamed(sc, seed=1, chunk=2000)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    short, long = peak(20_000.0), peak(80_000.0)  # ~23k and ~91k citizens
    # the whole trace of the long run alone takes more than 3x the short run's peak
    assert long < 1.5 * short, (short, long)


# --------------------------------------------------------------------------- arrival draws


def _poisson_one_piece_at_a_time(schedule, end, rng, block_cap):
    """The plain algorithm: each piece draws exponential(1 / rate) blocks until past its end."""
    bounds = [s for s, _ in schedule[1:]] + [end]
    out = []
    for (start, rate), stop in zip(schedule, bounds, strict=True):
        if rate <= 0 or stop <= start:
            continue
        expected = rate * (stop - start)
        block = min(int(expected + 4 * np.sqrt(expected) + 16), block_cap)
        t = start
        while True:
            times = t + np.cumsum(rng.exponential(1.0 / rate, size=block))
            out.append(times[times < stop])
            if len(out[-1]) < block:
                break
            t = times[-1]
    return np.concatenate(out) if out else np.empty(0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.0, 50.0), st.sampled_from([0.0, 0.1, 1.0, 4.0])), max_size=6),
    st.sampled_from([3, 40, streams_module.ARRIVAL_BLOCK]),
    st.integers(0, 2**16),
)
def test_batched_first_blocks_equal_one_piece_at_a_time(pieces, block_cap, seed) -> None:
    """poisson_blocks draws a rate table's first blocks in one call: same numbers, same stream."""
    schedule, t = [], 0.0
    for gap, rate in pieces:
        schedule.append((t, rate))
        t += gap
    schedule = schedule or [(0.0, 1.0)]
    end = t + 10.0
    old = streams_module.ARRIVAL_BLOCK
    streams_module.ARRIVAL_BLOCK = block_cap  # small caps force second blocks (the rewind)
    try:
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        got = streams_module.piecewise_poisson(schedule, end, a)
    finally:
        streams_module.ARRIVAL_BLOCK = old
    want = _poisson_one_piece_at_a_time(schedule, end, b, block_cap)
    assert np.array_equal(got, want)
    assert a.bit_generator.state == b.bit_generator.state


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda m, cv: Lognormal(dist="lognormal", mean=m, cv=cv),
                st.floats(0.5, 20.0),
                st.sampled_from([0.0, 1e-12, 0.3, 0.8, 2.0]),
            ),
            st.builds(lambda m: Exponential(dist="exponential", mean=m), st.floats(0.5, 20.0)),
            st.builds(lambda m: Gamma(dist="gamma", mean=m, cv=0.5), st.floats(0.5, 20.0)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 2**16),
)
def test_quantiles_by_equal_one_distribution_at_a_time(dists, seed) -> None:
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(dists), 300)
    u = rng.random(300)
    want = np.empty(300)
    for k, d in enumerate(dists):
        want[which == k] = streams_module.quantile(d, u[which == k])
    assert np.array_equal(streams_module.QuantilesBy(dists)(which, u), want)
    # every distribution at the same uniforms (return visits draw their service this way)
    each = streams_module.QuantilesBy(dists).each(u)
    assert len(each) == len(dists)
    for d, got in zip(dists, each, strict=True):
        assert np.array_equal(got, streams_module.quantile(d, u))
