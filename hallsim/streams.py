"""Random streams and the exogenous inputs of one replication.

Every random source has its own ``numpy.random.Generator`` spawned from the
replication's ``SeedSequence``: ``SeedSequence(seed, spawn_key=(replication,
source))``.  Seeds therefore depend only on (seed, replication, source), never
on worker or order, and two scenarios run with the same seed share arrivals,
matter draws and base service draws (common random numbers).

Service and patience times are drawn by inverse transform from one uniform
per potential citizen: a scenario that changes a mean, a cv or a window
factor keeps each citizen's quantile, which keeps compared scenarios
synchronised (Law & Kelton, "Simulation Modeling and Analysis", ch. 11).
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence
from scipy import special

from hallsim.engines.clerks import settle_probability
from hallsim.scenario import (
    Appointments,
    Deterministic,
    Exponential,
    Gamma,
    Lognormal,
    Scenario,
    Uniform,
    scenario_cache,
)

# Append new sources at the end only: a source's seed depends on its position.
SOURCES = (
    "arrivals",
    "matters",
    "service",
    "patience",
    "attitude",
    "settle",
    "routing",
    "returns",
    "appointments",  # booked or not, punctuality, no-show (docs/operations.md)
    "classes",  # citizen class (priority channel)
    "online",  # whether a citizen goes online instead (one uniform per potential citizen)
    "return_timing",  # same day (and when) or a later day, per unsettled citizen
    "ticket_returns",  # whether a counted ticket is a new citizen (arrivals.include_returns)
    "day_level",  # the day's random level (arrivals.day_to_day_cv): one gamma draw per day
    "before_open",  # the crowd at opening: its size and, in sub-streams, its citizens' draws
    "balking",  # state-dependent balking (patience.balk_probability): one uniform per chance
    "missed_calls",  # 过号: whether a called citizen is there, and when they come back
    "kiosks",  # self-service kiosks: try one or not, time at the kiosk, success (3 per try)
    "clerk_speed",  # each clerk's speed factor (windows.speed_sd), a sub-stream per clerk
    "visits",  # extra matters and station routes per citizen (docs/visits.md)
)


_SOURCE_INDEX = {name: k for k, name in enumerate(SOURCES)}


# numpy's SeedSequence (numpy/random/bit_generator.pyx, O'Neill's seed_seq design):
# its constants, for ``_SourceSeed``
_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4  # SeedSequence's default pool size (words; pool[i & 3] below relies on it)
_LITTLE_ENDIAN = sys.byteorder == "little"


def _words32(n: int) -> list[int]:
    """An integer as SeedSequence reads it: 32-bit words, least significant first."""
    out = [n & _MASK32]
    n >>= 32
    while n:
        out.append(n & _MASK32)
        n >>= 32
    return out


@functools.lru_cache(maxsize=64)
def _hash_steps(h: int, mult: int, count: int) -> tuple[tuple[int, int], ...]:
    """The (before, after) hash constants of ``count`` hashmix steps from ``h``.

    They do not depend on the words hashed, so they are derived once."""
    steps = []
    for _ in range(count):
        after = (h * mult) & _MASK32
        steps.append((h, after))
        h = after
    return tuple(steps)


def _mix_in(pool: list[int], h: int, word: int) -> int:
    """Mix one entropy word into every pool word (SeedSequence.mix_entropy's last loop);
    returns the hash constant after it."""
    steps = _hash_steps(h, _MULT_A, _POOL)
    for d, (before, after) in enumerate(steps):
        v = ((word ^ before) * after) & _MASK32  # hashmix(word)
        v ^= v >> 16
        r = (_MIX_L * pool[d] - _MIX_R * v) & _MASK32  # mix(pool[d], hashmix(word))
        pool[d] = r ^ (r >> 16)
    return steps[-1][1]


@functools.lru_cache(maxsize=256)
def _seed_pool(seed: int) -> tuple[tuple[int, ...], int]:
    """SeedSequence's pool and hash constant after the words of ``seed`` (padded to the
    pool size, as SeedSequence pads the entropy when there is a spawn key)."""
    run = _words32(seed)
    run += [0] * (_POOL - len(run))
    h = _INIT_A
    pool = []
    for word in run[:_POOL]:
        v = (word ^ h) & _MASK32
        h = (h * _MULT_A) & _MASK32
        v = (v * h) & _MASK32
        pool.append(v ^ (v >> 16))
    for src in range(_POOL):
        for d in range(_POOL):
            if src != d:
                v = (pool[src] ^ h) & _MASK32
                h = (h * _MULT_A) & _MASK32
                v = (v * h) & _MASK32
                v ^= v >> 16
                r = (_MIX_L * pool[d] - _MIX_R * v) & _MASK32
                pool[d] = r ^ (r >> 16)
    for word in run[_POOL:]:
        h = _mix_in(pool, h, word)
    return tuple(pool), h


class _SourceSeed(ISpawnableSeedSequence):
    """``SeedSequence(entropy, spawn_key=key)`` for a source's generator, computed here.

    numpy's SeedSequence costs about 9 us to build and to hand PCG64 its state,
    eight times per replication of a plain scenario.  Its algorithm is a few
    32-bit multiplications per entropy word: the words of the seed and of the
    replication are mixed once per replication (``Streams``), and only the
    source's own word per source, so each generator costs about half as much.
    The state words, hence every draw, are SeedSequence's (tests/test_streams.py
    checks them over random seeds, replications and every source).  ``entropy``
    and ``spawn_key`` read as SeedSequence's (``SubStreams``, ``draw_clerks``);
    anything else (``spawn``, ``pool``) comes from a real SeedSequence made then.
    """

    __slots__ = ("_pool", "_real", "entropy", "spawn_key")

    def __init__(self, entropy: int, spawn_key: tuple[int, ...], pool: list[int]) -> None:
        self.entropy = entropy
        self.spawn_key = spawn_key
        self._pool = pool  # after every entropy word
        self._real: np.random.SeedSequence | None = None

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        """SeedSequence.generate_state: ``n_words`` words of ``dtype`` (uint32 or uint64)."""
        wide = dtype is np.uint64 or np.dtype(dtype) == np.dtype(np.uint64)  # PCG64 asks this
        if not wide and np.dtype(dtype) != np.dtype(np.uint32):
            return self._seed_sequence().generate_state(n_words, dtype)  # its error
        pool = self._pool
        state = np.array(
            [
                (v := ((pool[i & 3] ^ before) * after) & _MASK32) ^ (v >> 16)  # hashmix
                for i, (before, after) in enumerate(
                    _hash_steps(_INIT_B, _MULT_B, 2 * n_words if wide else n_words)
                )
            ],
            dtype=np.uint32,
        )
        if not wide:
            return state
        if _LITTLE_ENDIAN:
            return state.view(np.uint64)
        return state.astype("<u4").view("<u8").astype(np.uint64)  # as SeedSequence does

    def _seed_sequence(self) -> np.random.SeedSequence:
        if self._real is None:
            self._real = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)
        return self._real

    def spawn(self, n_children: int) -> list[np.random.SeedSequence]:
        return self._seed_sequence().spawn(n_children)

    def __repr__(self) -> str:
        return f"_SourceSeed(entropy={self.entropy}, spawn_key={self.spawn_key})"

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._seed_sequence(), name)  # pool, pool_size, n_children_spawned


class Streams(Mapping[str, np.random.Generator]):
    """The generators of one replication by source name, each created on first use.

    Creating a generator costs about 5 us (``_SourceSeed``), a fixed cost per
    replication that matters for short days, and a plain scenario reads only
    half of SOURCES.  A source's generator depends only on (seed, replication,
    source): ``default_rng(SeedSequence(seed, spawn_key=(replication, source)))``,
    so creating it later or never changes no draw.  Iterating yields every
    source, as the dict this replaces did.
    """

    __slots__ = ("_made", "_prefix", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._made: dict[str, np.random.Generator] = {}
        self._prefix: tuple[list[int], int] | None = None

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._made.get(name)
        if rng is None:
            k = _SOURCE_INDEX[name]  # KeyError for an unknown source, like a dict
            rng = self._made[name] = np.random.Generator(np.random.PCG64(self._seed_of(k)))
        return rng

    def _seed_of(self, k: int) -> np.random.SeedSequence | _SourceSeed:
        seed, rep = self.seed, self.replication
        if not (type(seed) is int and type(rep) is int and seed >= 0 and rep >= 0):
            return np.random.SeedSequence(seed, spawn_key=(rep, k))  # numpy's checks, words
        if self._prefix is None:  # the seed's and the replication's words, mixed once
            pool, h = _seed_pool(seed)
            pool = list(pool)
            for word in _words32(rep):
                h = _mix_in(pool, h, word)
            self._prefix = pool, h
        pool, h = self._prefix
        pool = list(pool)
        _mix_in(pool, h, k)
        return _SourceSeed(seed, (rep, k), pool)

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCES)

    def __len__(self) -> int:
        return len(SOURCES)

    def __contains__(self, name: object) -> bool:
        return name in _SOURCE_INDEX


class SubStreams(Mapping[str, np.random.Generator]):
    """A full set of sources under one generator: ``SeedSequence(entropy, spawn_key=
    (*parent.spawn_key, source))`` of the parent's seed sequence (as ``draw_clerks``
    does per clerk).  The crowd at opening draws its citizens from these, so it
    shifts none of the day's own draws.
    """

    __slots__ = ("_made", "_parent")

    def __init__(self, parent: np.random.Generator) -> None:
        self._parent = parent.bit_generator.seed_seq
        self._made: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._made.get(name)
        if rng is None:
            key = (*self._parent.spawn_key, _SOURCE_INDEX[name])
            ss = np.random.SeedSequence(self._parent.entropy, spawn_key=key)
            rng = self._made[name] = np.random.default_rng(ss)
        return rng

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCES)

    def __len__(self) -> int:
        return len(SOURCES)


def make_streams(seed: int, replication: int) -> Streams:
    """One independent generator per random source for this replication (created lazily)."""
    return Streams(seed, replication)


def quantile(dist, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of a scenario distribution at uniforms ``u`` (minutes)."""
    u = np.asarray(u, dtype=float)
    if isinstance(dist, Exponential):
        return -dist.mean * np.log1p(-u)
    if isinstance(dist, Deterministic):
        return np.full_like(u, dist.mean)
    if isinstance(dist, Uniform):
        return dist.low + u * (dist.high - dist.low)
    if isinstance(dist, Lognormal):
        if dist.cv < 1e-9:  # numerically deterministic
            return np.full_like(u, dist.mean)
        sigma2 = np.log1p(dist.cv**2)
        mu = np.log(dist.mean) - sigma2 / 2
        return np.exp(mu + np.sqrt(sigma2) * special.ndtri(u))
    if isinstance(dist, Gamma):
        # numerically deterministic, as for the lognormal: below cv 1e-9 the
        # quantiles equal the mean to double precision, and 1/cv**2 would overflow
        # (cv 3.9e-156 gave shape inf and NaN service times)
        if dist.cv < 1e-9:
            return np.full_like(u, dist.mean)
        shape = 1.0 / dist.cv**2
        return special.gammaincinv(shape, u) * (dist.mean / shape)
    raise TypeError(f"unknown distribution {dist!r}")


# Exponential gaps are drawn in blocks of at most this many, so that a long
# steady-state run can be drawn chunk by chunk (``demand_chunks``) with the
# same values as in one go.  Blocks for a day's rate pieces are far smaller.
ARRIVAL_BLOCK = 8192


@dataclass(frozen=True)
class _Batch:
    """Per-element constants for drawing every piece's first block at once (read-only)."""

    total: int  # draws in all first blocks
    blocks: np.ndarray
    scale: np.ndarray  # per draw: its piece's 1 / rate
    # the draws laid out one piece per row, rows padded with zeros to the longest
    # block: ``slots`` are the draws' flat positions; per slot its piece's start and
    # end (-inf in the padding, so nothing there is inside)
    slots: np.ndarray
    shape: tuple[int, int]
    start: np.ndarray
    stop: np.ndarray


@functools.lru_cache(maxsize=64)
def _arrival_pieces(
    schedule: tuple[tuple[float, float], ...], end: float, cap: int
) -> tuple[list[tuple[float, float, float, int]], _Batch | None]:
    """(start, rate, stop, block) of each piece with arrivals, and the batch constants.

    Depends on the scenario only, so it is derived once, not per replication.
    """
    bounds = [s for s, _ in schedule[1:]] + [end]
    pieces = []
    for (start, rate), stop in zip(schedule, bounds, strict=True):
        if rate > 0 and stop > start:
            expected = rate * (stop - start)
            # a block a little larger than needed, so one block usually covers a piece
            pieces.append((start, rate, stop, min(int(expected + 4 * np.sqrt(expected) + 16), cap)))
    if len(pieces) < 2:
        return pieces, None
    starts, rates, stops, blocks = (np.array(x) for x in zip(*pieces, strict=True))
    width = int(blocks.max())
    shape = (len(blocks), width)
    in_block = np.arange(width)[None, :] < blocks[:, None]
    batch = _Batch(
        total=int(blocks.sum()),
        blocks=blocks,
        scale=np.repeat(1.0 / rates, blocks),
        slots=np.flatnonzero(in_block),
        shape=shape,
        start=np.broadcast_to(starts[:, None], shape).copy(),
        stop=np.where(in_block, stops[:, None], -np.inf),
    )
    for x in (batch.blocks, batch.scale, batch.slots, batch.start, batch.stop):
        x.setflags(write=False)
    return pieces, batch


def poisson_blocks(
    schedule: list[tuple[float, float]], end: float, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Arrival times of a Poisson process with piecewise-constant rate, block by block.

    ``schedule`` is [(start_min, rate_per_min), ...], the last piece ending at
    ``end``.  Within each piece gaps are exponential; at a boundary the draw
    restarts from the boundary with the new rate, which is exact because the
    exponential is memoryless.  Yields sorted, non-empty arrays (a day's rate
    table in one).
    """
    pieces, batch = _arrival_pieces(tuple(schedule), end, ARRIVAL_BLOCK)
    if batch is not None:
        # A day's rate table: every piece's first block in one call (the values
        # are those of one exponential(1 / rate) call per piece, as below);
        # if some piece needs a second block, rewind and go piece by piece.
        # The steps run over all pieces at once, one piece per row: the same
        # float operations, the cumulative sums restarting at each row (a
        # cumulative sum adds in order, and the zeros padding a row come after
        # its draws).
        saved = rng.bit_generator.state
        gaps = np.zeros(batch.shape)
        np.put(gaps, batch.slots, rng.standard_exponential(batch.total) * batch.scale)
        times = np.cumsum(gaps, axis=1)
        times += batch.start
        inside = times < batch.stop
        # times rise within a piece: the arrivals inside are a prefix of its block
        if (np.count_nonzero(inside, axis=1) < batch.blocks).all():
            inside_times = times[inside]
            if len(inside_times):
                yield inside_times
            return
        rng.bit_generator.state = saved
    for start, rate, stop, block in pieces:
        t = start
        while True:
            times = t + np.cumsum(rng.exponential(1.0 / rate, size=block))
            inside = times[times < stop]
            if len(inside):
                yield inside
            if len(inside) < block:
                break
            t = times[-1]


class QuantilesBy:
    """``quantile(dists[k], u)`` for a fixed list of distributions, parameters derived once.

    When every distribution is lognormal (or every one exponential), all of
    them are evaluated in one pass with per-element parameters; the
    arithmetic is ``quantile``'s, step by step, so the values are identical.
    """

    def __init__(self, dists: list) -> None:
        self.dists = list(dists)
        self.kind = None
        if len(dists) > 1 and all(isinstance(d, Lognormal) and d.cv >= 1e-9 for d in dists):
            sigma2 = [np.log1p(d.cv**2) for d in dists]
            self.mu = np.array(
                [np.log(d.mean) - s2 / 2 for d, s2 in zip(dists, sigma2, strict=True)]
            )
            self.sigma = np.array([np.sqrt(s2) for s2 in sigma2])
            self.kind = "lognormal"
        elif len(dists) > 1 and all(isinstance(d, Exponential) for d in dists):
            self.neg_mean = np.array([-d.mean for d in dists])
            self.kind = "exponential"

    def __call__(self, which: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``quantile(dists[which[i]], u[i])`` for every i."""
        if len(self.dists) == 1:
            return quantile(self.dists[0], u)
        if self.kind == "lognormal":
            return np.exp(self.mu[which] + self.sigma[which] * special.ndtri(u))
        if self.kind == "exponential":
            return self.neg_mean[which] * np.log1p(-u)
        out = np.empty(len(u))
        for k, d in enumerate(self.dists):
            sel = which == k
            out[sel] = quantile(d, u[sel])
        return out

    def each(self, u: np.ndarray) -> list[np.ndarray]:
        """``quantile(dists[k], u)`` for every k."""
        if self.kind == "lognormal":
            return list(np.exp(self.mu[:, None] + self.sigma[:, None] * special.ndtri(u)))
        return [quantile(d, u) for d in self.dists]


def piecewise_poisson(
    schedule: list[tuple[float, float]], end: float, rng: np.random.Generator
) -> np.ndarray:
    """All arrival times of ``poisson_blocks`` in one array."""
    blocks = list(poisson_blocks(schedule, end, rng))
    return np.concatenate(blocks) if blocks else np.empty(0)


@dataclass(frozen=True)
class Demand:
    """Exogenous inputs of one replication, one entry per citizen who comes in."""

    arrival_min: np.ndarray  # ticket times, sorted
    matter: np.ndarray  # index into scenario.matters
    base_service_min: np.ndarray  # before window factor and attitude
    patience_min: np.ndarray  # inf when citizens never renege
    settle_u: np.ndarray  # uniform compared with P(settled) at the end of service
    # operations (None when the scenario does not use them; docs/operations.md)
    booked: np.ndarray | None = None  # bool: came for a booked slot
    slot_min: np.ndarray | None = None  # booked slot time (NaN for walk-ins)
    klass: np.ndarray | None = None  # 0 regular, k = scenario.classes[k - 1]
    no_shows: int = 0  # booked citizens who did not come (or would have come after close)
    refused_cap: int = 0  # citizens refused a ticket by a matter's daily_cap (限号)
    refused_by_matter: np.ndarray | None = None  # the same per matter (None without caps)
    # uniform deciding, if this visit leaves unsettled, whether the citizen comes back
    # the same day (u < return_same_day_share; then the delay's quantile is u / share)
    return_u: np.ndarray | None = None


INF_DELAY = float("inf")


class ReturnPlan:
    """Return timing and ``arrivals.include_returns``: what both engines and the demand
    draw derive from a scenario (docs/model.md §2).

    Unsettled citizens come back the same day with probability ``share`` (after
    ``delay``: fixed ``return_delay_min`` or the ``return_delay`` distribution),
    else on a later day (``returns_later``).  With ``include_returns`` the rate
    table counts tickets, returns included, of a hall whose first-contact
    resolution was ``p_ref``; with this scenario's resolution ``p`` the new
    citizens plus earlier days' returns arrive at
    rate × (p_ref / p) × (1 − share·(1 − p)·g(t)), and the simulated same-day
    returns fill the rest (g(t): the fraction of the same-day returns that can
    have come back by time t).  That rate is drawn as a Poisson stream at
    rate × ``factor`` thinned by ``keep_probability`` (one ``ticket_returns``
    uniform per candidate), where ``factor`` = max(2, 1 / the lowest first-contact
    resolution any clerk can have) is 2 unless FCR can fall below 0.5, so
    scenarios that differ in attitude, ``counted_fcr`` or FCR coefficients share
    their candidate arrivals (common random numbers).
    """

    def __init__(self, scenario: Scenario) -> None:
        fx = scenario.attitude_effects
        self.share = float(fx.return_same_day_share)
        self.delay = fx.return_delay  # None: fixed fx.return_delay_min
        self.delay_min = float(fx.return_delay_min)
        self.possible = fx.enabled  # P(settled) < 1 only with attitude effects
        # per-citizen timing uniform: needed only when the share is strictly between 0 and 1
        self.timing = self.possible and 0.0 < self.share < 1.0
        counts = [g.count for g in scenario.windows]
        ps = [
            settle_probability(scenario, np.array(g.attitude_components(), dtype=float))
            for g in scenario.windows
        ]
        self.p = float(np.average(ps, weights=counts)) if sum(counts) else 1.0
        ref = fx.reference_attitude
        p_ref = scenario.arrivals.counted_fcr
        if p_ref is None:
            p_ref = settle_probability(scenario, np.full(4, ref))
        self.p_ref = float(p_ref)
        floor = (
            float(np.clip(fx.fcr_base + min(0.0, fx.fcr_per_unit), 0.0, 1.0)) if fx.enabled else 1.0
        )
        self.thin = scenario.arrivals.include_returns and (self.p < 1.0 or self.p_ref < 1.0)
        # 2, or 1 / the lowest FCR any clerk can have if that is below 0.5: independent
        # of counted_fcr, of attitude and of FCR coefficients in their plausible range,
        # so scenarios differing in any of them share their candidate arrivals
        self.factor = max(2.0, 1.0 / max(floor, 0.05)) if self.thin else 1.0
        self.schedule = tuple((t, r * self.factor) for t, r in scenario.rate_schedule())
        self._rates = scenario.rate_schedule()
        self._starts = np.array([a for a, _ in self._rates])  # the rate table, as arrays
        self._rate_values = np.array([r for _, r in self._rates])
        self.start = scenario.arrival_start_min
        # a fixed same-day delay (what the fast engine runs), None for a distribution
        self.fixed_delay: float | None = None
        if self.delay is None:
            self.fixed_delay = self.delay_min
        elif isinstance(self.delay, Deterministic):
            self.fixed_delay = float(self.delay.mean)
        elif not (self.possible and self.share > 0):
            self.fixed_delay = INF_DELAY  # no same-day returns: the delay is never used
        if self.delay is None:
            self._delays = np.array([self.delay_min])
        else:
            self._delays = quantile(self.delay, (np.arange(64) + 0.5) / 64)

    def same_day_delay(self, u: float) -> float | None:
        """The delay of a citizen with timing uniform ``u``, or None for a later day."""
        if not u < self.share:
            return None
        if self.delay is None:
            return self.delay_min
        return float(quantile(self.delay, np.array([u / self.share]))[0])

    def _rate_at(self, t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self._starts, t, side="right") - 1
        return np.where(k >= 0, self._rate_values[np.maximum(k, 0)], 0.0)

    def _keep_of(self, lam: np.ndarray, earlier: np.ndarray) -> np.ndarray:
        """The keep probability from the rate at t and the mean rate at t − delay."""
        # earlier / lam where lam > 0, else 0 (np.where over the quotient, without its warnings)
        g = np.divide(earlier, lam, out=np.zeros(lam.shape), where=lam > 0)
        same_day = self.share * (1.0 - self.p) * g
        keep = (self.p_ref / self.p) * (1.0 - same_day) / self.factor
        return np.minimum(np.maximum(keep, 0.0), 1.0)  # np.clip's values, at half its cost

    @functools.cached_property
    def _keep_table(self) -> np.ndarray:
        """A fixed delay: the keep probability for every (piece of t, piece of t − delay),
        row and column 0 standing for "before the first piece" (rate 0).

        The rates are piecewise constant, so ``keep_probability`` only picks entries:
        each entry is ``_keep_of`` of the same two rates, hence the same number.
        """
        rates = np.concatenate(([0.0], self._rate_values))
        lam, earlier = np.meshgrid(rates, rates, indexing="ij")  # [row, col]
        return self._keep_of(lam, earlier)

    def keep_probability(self, times: np.ndarray) -> np.ndarray:
        """P(a candidate at ``times`` is a new citizen or an earlier day's return)."""
        times = np.asarray(times, dtype=float)
        # g(t): same-day return arrivals at t relative to lam(t), over the delay quantiles
        if len(self._delays) == 1:  # a fixed delay: the mean over one quantile is its value
            row = np.searchsorted(self._starts, times, side="right")  # piece + 1, 0 before
            back = times - self._delays[0]
            col = np.searchsorted(self._starts, back, side="right")
            col[back < self.start] = 0  # before the arrivals start: no returns yet
            return self._keep_table[row, col]
        lam = self._rate_at(times)
        back = times[:, None] - self._delays[None, :]
        at = self._rate_at(back.ravel()).reshape(back.shape)
        earlier = np.where(back >= self.start, at, 0.0).mean(axis=1)
        return self._keep_of(lam, earlier)


return_plan = scenario_cache(ReturnPlan)


class _DrawPlan:
    """What ``_citizen_draws`` derives from a scenario, the same for every replication."""

    def __init__(self, scenario: Scenario) -> None:
        self.matter_cum = None  # cumulative matter shares; None: one matter, no draw
        if len(scenario.matters) > 1:
            cum = np.cumsum(scenario.matter_probs)
            # rounding can leave cum[-1] a hair below 1: close the last matter with a
            # positive share at exactly 1 so a zero-share matter is never drawn
            last = max(k for k, p in enumerate(scenario.matter_probs) if p > 0)
            cum[last:] = 1.0
            self.matter_cum = cum
        online = np.array(
            [
                m.online_share if m.online_share is not None else scenario.arrivals.online_share
                for m in scenario.matters
            ]
        )
        # u >= 0 always: with no online share nobody is diverted, no draw needed
        self.online = online if online.any() else None
        self.settle = scenario.attitude_effects.enabled
        self.service = QuantilesBy([m.service_min for m in scenario.matters])
        self.renege = scenario.patience.renege_min if scenario.patience else None
        # per-matter patience ([[matters]] renege_min): one dist per matter (None: never)
        by = scenario.renege_by_matter
        self.renege_by = by if any(m.renege_min is not None for m in scenario.matters) else None


draw_plan = scenario_cache(_DrawPlan)


def _citizen_draws(
    scenario: Scenario,
    times: np.ndarray,
    streams: dict[str, np.random.Generator],
    come_in_only: bool = False,
) -> tuple[np.ndarray, ...]:
    """(matter, keep, base service, patience, settle_u, return_u) of the citizens
    ticketing at ``times``.

    ``keep`` (who comes in rather than going online) is None when everybody does.
    ``come_in_only``: the other arrays hold only the citizens kept, whose service
    and patience quantiles alone are then computed (the same values: each
    quantile is elementwise).

    One uniform per citizen from each stream, in order, so drawing the
    citizens in chunks gives the same values as drawing them all at once.
    """
    n = len(times)
    # A draw that cannot change anything is skipped (each stream is read by
    # nothing else, so skipping shifts no other draw): the matter when there
    # is one, the settle uniform when nothing can leave a matter unsettled
    # (P(settled) = 1 without attitude effects, and any u < 1), patience when
    # nobody reneges.
    plan = draw_plan(scenario)
    if plan.matter_cum is not None:
        matter = np.searchsorted(plan.matter_cum, streams["matters"].random(n), side="right")
    else:
        matter = np.zeros(n, dtype=np.int64)
    u_service = streams["service"].random(n)
    u_settle = streams["settle"].random(n) if plan.settle else np.zeros(n)
    keep = None
    if plan.online is not None:
        keep = streams["online"].random(n) >= plan.online[matter]
    rp = return_plan(scenario)
    if rp.thin:
        new = streams["ticket_returns"].random(n) < rp.keep_probability(times)
        keep = new if keep is None else keep & new
    if rp.timing:
        u_return = streams["return_timing"].random(n)
    else:  # every return the same day (u = 0 < share) or none (u = 1 >= share)
        u_return = np.full(n, 0.0 if rp.share > 0 else 1.0)
    renege = plan.renege_by is not None or plan.renege is not None
    u_patience = streams["patience"].random(n) if renege else None
    if come_in_only and keep is not None:
        matter, u_service, u_settle, u_return = (
            matter[keep],
            u_service[keep],
            u_settle[keep],
            u_return[keep],
        )
        if u_patience is not None:
            u_patience = u_patience[keep]

    base = plan.service(matter, u_service)

    if plan.renege_by is not None:
        patience = patience_by_matter(plan.renege_by, matter, u_patience)
    elif plan.renege is not None:
        patience = quantile(plan.renege, u_patience)
    else:
        patience = np.full(len(matter), np.inf)
    return matter, keep, base, patience, u_settle, u_return


def _come_in(
    scenario: Scenario, times: np.ndarray, streams: dict[str, np.random.Generator]
) -> tuple[np.ndarray, ...]:
    """(times, matter, base, patience, settle_u, return_u) of those ticketing at ``times``
    who come in."""
    matter, keep, *rest = _citizen_draws(scenario, times, streams, come_in_only=True)
    return (times if keep is None else times[keep], matter, *rest)


def patience_by_matter(dists: list, matter: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Patience of each citizen from its matter's distribution (inf where None)."""
    out = np.full(len(u), np.inf)
    for k, dist in enumerate(dists):
        if dist is not None:
            mine = matter == k
            out[mine] = quantile(dist, u[mine])
    return out


def demand_chunks(
    scenario: Scenario, streams: dict[str, np.random.Generator], size: int
) -> Iterator[Demand]:
    """The demand of ``draw_demand`` in consecutive chunks of about ``size`` citizens.

    Concatenated, the chunks equal ``draw_demand``'s arrays exactly (each
    stream is read in the same order), while memory stays at one chunk.  Not
    for scenarios with operations features, whose booked citizens are
    re-sorted over the whole day.
    """
    if scenario.uses_operations():
        raise ValueError("demand_chunks does not cover operations features")
    pending: list[np.ndarray] = []
    count = 0
    blocks = poisson_blocks(
        list(return_plan(scenario).schedule), scenario.arrival_end_min, streams["arrivals"]
    )
    for block in itertools.chain(blocks, [None]):
        if block is not None:
            pending.append(block)
            count += len(block)
            if count < size:
                continue
        elif not pending:
            break
        times = np.concatenate(pending)
        pending, count = [], 0
        *kept, u_return = _come_in(scenario, times, streams)
        yield Demand(*kept, return_u=u_return)


def draw_demand(scenario: Scenario, streams: dict[str, np.random.Generator]) -> Demand:
    """Draw arrivals and each citizen's matter, service and patience quantiles.

    All citizens of the full demand (before online diversion) get their draws,
    so changing ``online_share`` removes citizens without shifting the draws
    of the others.  The crowd at opening, a random day level and ticket caps
    (docs/mechanisms.md) are added by ``day_demand`` from streams of their own.
    """
    if not scenario.uses_day_demand():
        return _draw_walk_ins(scenario, streams, return_plan(scenario).schedule)
    level = day_level(scenario, streams)
    schedule = return_plan(scenario).schedule
    if level != 1.0:
        schedule = tuple((t, r * level) for t, r in schedule)
    demand = _draw_walk_ins(scenario, streams, schedule)
    return day_demand(scenario, streams, demand, level)


def _draw_walk_ins(
    scenario: Scenario,
    streams: dict[str, np.random.Generator],
    schedule: tuple[tuple[float, float], ...],
) -> Demand:
    """The citizens arriving from opening on at the rates of ``schedule``."""
    times = piecewise_poisson(list(schedule), scenario.arrival_end_min, streams["arrivals"])
    if not scenario.uses_operations():
        *kept, u_return = _come_in(scenario, times, streams)
        return Demand(*kept, return_u=u_return)
    matter, keep, base, patience, u_settle, u_return = _citizen_draws(scenario, times, streams)
    if keep is None:
        keep = np.ones(len(times), dtype=bool)

    # Operations draw from streams of their own, for every potential citizen,
    # so that switching them on or off leaves all the draws above unchanged.
    booked = slot = klass = None
    no_shows = 0
    arrival = times
    if scenario.uses_appointments():
        arrival, booked, slot, came = draw_appointments(
            scenario, times, matter, streams["appointments"]
        )
        no_shows = int(np.sum(keep & ~came))
        keep &= came
    if scenario.uses_classes():
        klass = draw_classes(scenario, matter, streams["classes"])
    # booked citizens arrive around their slot: restore ticket order (stable)
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(arrival[idx], kind="stable")]
    return Demand(
        arrival_min=arrival[idx],
        matter=matter[idx],
        base_service_min=base[idx],
        patience_min=patience[idx],
        settle_u=u_settle[idx],
        return_u=u_return[idx],
        booked=booked[idx] if booked is not None else None,
        slot_min=slot[idx] if slot is not None else None,
        klass=klass[idx] if klass is not None else None,
        no_shows=no_shows,
    )


def day_level(scenario: Scenario, streams: dict[str, np.random.Generator]) -> float:
    """This day's level: a gamma multiplier with mean 1 and cv ``arrivals.day_to_day_cv``.

    Arrivals are then a mixed (doubly stochastic) Poisson process: a day's count
    N has mean Λ and variance Λ + Λ²·cv² (index of dispersion 1 + Λ·cv²), the
    negative binomial for a constant rate.  1.0 (no draw) when cv is 0.
    """
    cv = scenario.arrivals.day_to_day_cv
    if cv == 0:
        return 1.0
    shape = 1.0 / cv**2
    return float(streams["day_level"].gamma(shape, 1.0 / shape))


def crowd_size(scenario: Scenario, streams: dict[str, np.random.Generator], level: float) -> int:
    """How many citizens wait at the door at opening (0 without a crowd)."""
    crowd = scenario.crowd_at_open
    if crowd is None:
        return 0
    if crowd.count is not None:
        return crowd.count  # a fixed count: observed, so no day level or day-type factor
    assert crowd.rate_per_hour is not None
    minutes = scenario.hall.open_min - crowd.from_min
    mean = crowd.rate_per_hour / 60.0 * minutes * level
    day = scenario.day_type_entry
    if day is not None and day.before_open is None:  # the ordinary crowd, scaled like all rates
        mean *= day.rate_factor
    return int(streams["before_open"].poisson(mean))


def day_demand(
    scenario: Scenario, streams: dict[str, np.random.Generator], demand: Demand, level: float
) -> Demand:
    """``demand`` with the crowd at opening put first and ticket caps applied.

    The crowd's citizens draw their matter, service, patience and so on from
    sub-streams of ``before_open`` (one per source), so the crowd neither
    shifts nor is shifted by the day's other draws.  They are walk-ins who are
    already in the hall: no online diversion and no thinning for returns.
    """
    n = crowd_size(scenario, streams, level)
    if n:
        crowd_streams = SubStreams(streams["before_open"])
        times = np.full(n, scenario.hall.open_min)
        matter, _keep, base, patience, u_settle, u_return = _citizen_draws(
            scenario, times, crowd_streams
        )
        # operations: the crowd are walk-ins (not booked), with classes like everyone
        booked = np.zeros(n, dtype=bool) if demand.booked is not None else None
        slot = np.full(n, np.nan) if demand.slot_min is not None else None
        klass = None
        if demand.klass is not None:
            klass = draw_classes(scenario, matter, crowd_streams["classes"])

        def cat(a, b):
            return None if a is None or b is None else np.concatenate([a, b])

        return_u = (
            demand.return_u if demand.return_u is not None else np.zeros(len(demand.arrival_min))
        )
        demand = Demand(
            arrival_min=np.concatenate([times, demand.arrival_min]),
            matter=np.concatenate([matter, demand.matter]),
            base_service_min=np.concatenate([base, demand.base_service_min]),
            patience_min=np.concatenate([patience, demand.patience_min]),
            settle_u=np.concatenate([u_settle, demand.settle_u]),
            return_u=np.concatenate([u_return, return_u]),
            booked=cat(booked, demand.booked),
            slot_min=cat(slot, demand.slot_min),
            klass=cat(klass, demand.klass),
            no_shows=demand.no_shows,
        )
    if scenario.uses_caps():
        demand = apply_caps(scenario, demand)
    return demand


def apply_caps(scenario: Scenario, demand: Demand) -> Demand:
    """限号: each matter's tickets beyond its ``daily_cap``, in ticket order, are refused.

    Booked citizens are exempt (neither counted nor refused) when
    ``appointments.exempt_from_caps`` (the default).  Refused citizens leave
    the demand; their number is ``refused_cap``.
    """
    ap = scenario.appointments
    exempt = (
        demand.booked if demand.booked is not None and (ap is None or ap.exempt_from_caps) else None
    )
    refuse = np.zeros(len(demand.arrival_min), dtype=bool)
    for m, matter in enumerate(scenario.matters):
        if matter.daily_cap is None:
            continue
        counted = demand.matter == m
        if exempt is not None:
            counted &= ~exempt
        ticket = np.cumsum(counted)  # the matter's ticket number of each counted citizen
        refuse |= counted & (ticket > matter.daily_cap)
    by_matter = np.bincount(demand.matter[refuse], minlength=len(scenario.matters))
    keep = ~refuse
    fields = {
        name: (value[keep] if isinstance(value, np.ndarray) else value)
        for name, value in vars(demand).items()
        if name != "refused_by_matter"
    }
    fields["refused_cap"] = demand.refused_cap + int(refuse.sum())
    fields["refused_by_matter"] = by_matter.astype(np.int64)
    return Demand(**fields)


def draw_appointments(
    scenario: Scenario, times: np.ndarray, matter: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(arrival, booked, slot, came) for every potential citizen.

    A booked citizen's slot is the time they would have walked in (or that
    time rounded down to the ``slot_min`` grid); they arrive at slot +
    Normal(punctuality_mean_min, punctuality_sd_min), not before the hall
    opens.  They do not come with probability ``no_show``, nor when they
    would arrive after arrivals end (close): the door is shut.
    """
    n = len(times)
    u_book = rng.random(n)
    z = rng.standard_normal(n)
    u_show = rng.random(n)
    ap = scenario.appointments or Appointments()
    start, end = scenario.arrival_start_min, scenario.arrival_end_min
    booked = u_book < np.asarray(scenario.booked_shares())[matter]
    slot = times
    if ap.slot_min > 0:
        slot = start + np.floor((times - start) / ap.slot_min) * ap.slot_min
    if ap.punctuality_mean_min != 0 or ap.punctuality_sd_min != 0:
        actual = slot + (ap.punctuality_mean_min + ap.punctuality_sd_min * z)
    else:
        actual = slot
    actual = np.maximum(actual, start)
    arrival = np.where(booked, actual, times)
    came = ~(booked & ((u_show < ap.no_show) | (arrival >= end)))
    return arrival, booked, np.where(booked, slot, np.nan), came


def draw_classes(scenario: Scenario, matter: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Citizen class of every potential citizen: 0 regular, k for ``scenario.classes[k-1]``."""
    u = rng.random(len(matter))
    n_classes = len(scenario.classes or [])
    if n_classes == 0:
        return np.zeros(len(matter), dtype=np.int64)
    cum = np.cumsum([scenario.class_shares(m) for m in range(len(scenario.matters))], axis=1)
    below = (u[:, None] >= cum[matter]).sum(axis=1)  # classes whose cumulative share is <= u
    return np.where(below >= n_classes, 0, below + 1).astype(np.int64)


def draw_clerks(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Attitude components of each window's clerk, shape (windows, 4).

    Column order: proactiveness, responsibility, care, enthusiasm.  Each clerk
    is the group's value plus Normal(0, attitude_sd), clipped to [0, 1].  Every
    clerk draws from a stream of their own, keyed by (group, window in group)
    under the attitude stream, so adding windows to one group leaves the
    clerks of every other window unchanged (common random numbers).
    """
    parent = rng.bit_generator.seed_seq
    rows = []
    for g, group in enumerate(scenario.windows):
        base = np.array(group.attitude_components())
        if group.attitude_sd == 0:  # no spread: no draws needed (and none are cheap)
            rows.extend(np.clip(base, 0.0, 1.0) for _ in range(group.count))
            continue
        for k in range(group.count):
            clerk_rng = np.random.default_rng(
                np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, g, k))
            )
            noise = clerk_rng.standard_normal(4) * group.attitude_sd
            rows.append(np.clip(base + noise, 0.0, 1.0))
    return np.vstack(rows) if rows else np.empty((0, 4))


def draw_clerk_speeds(scenario: Scenario, rng: np.random.Generator) -> np.ndarray | None:
    """Each window's clerk speed factor (multiplies service time), or None when all are 1.

    ``speed_factors`` gives them; ``speed_sd`` = v draws each from a lognormal with
    mean 1 and cv v, from a stream of each clerk's own keyed by (group, window in
    group) as in ``draw_clerks``, so adding windows to one group changes no other
    clerk (docs/kiosks-tidal.md §4).
    """
    if not any(g.speed_sd > 0 or g.speed_factors is not None for g in scenario.windows):
        return None
    out: list[float] = []
    for g, group in enumerate(scenario.windows):
        if group.speed_factors is not None:
            out.extend(float(f) for f in group.speed_factors)
            continue
        if group.speed_sd == 0:
            out.extend(1.0 for _ in range(group.count))
            continue
        sigma2 = math.log1p(group.speed_sd**2)
        parent = rng.bit_generator.seed_seq  # read only when a clerk is drawn
        for k in range(group.count):
            clerk_rng = np.random.default_rng(
                np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, g, k))
            )
            z = float(clerk_rng.standard_normal())
            out.append(math.exp(-sigma2 / 2 + math.sqrt(sigma2) * z))
    return np.array(out, dtype=float)
