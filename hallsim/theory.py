"""Closed-form and exact-numerical queueing results used to check the simulator.

Everything here is a pure function of its arguments (only math, numpy, scipy).

Units: rates are per MINUTE, times are in MINUTES, offered load ``a = λ·E[S]`` is in
Erlangs (mean number of busy servers an infinite-server system would have).

Sources:
- Erlang B/C, M/M/c, P-K: Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing
  Theory* (4th ed., 2008), ch. 2-3 and 5.
- Erlang A (M/M/n+M): Garnett, Mandelbaum & Reiman (2002), "Designing a call center with
  impatient customers", *Manufacturing & Service Operations Management* 4(3):208-227.
- Allen-Cunneen: Allen, *Probability, Statistics and Queueing Theory* (2nd ed., 1990).
- Non-pre-emptive priorities in M/M/c: Cobham (1954), "Priority assignment in waiting line
  problems", *Operations Research* 2(1):70-76; Gross et al. (2008), sec. 3.4.
- M/M/c/K (finite waiting room): Gross et al. (2008), sec. 2.6.
- Open Jackson networks: Jackson (1957), "Networks of waiting lines", *Operations Research*
  5(4):518-521; Gross et al. (2008), sec. 4.2.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, gammaln, logsumexp

__all__ = [
    "JacksonResult",
    "MMcKResult",
    "MMcMResult",
    "MMcResult",
    "allen_cunneen",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "jackson_network",
    "mg1_pk",
    "min_servers",
    "mmc",
    "mmc_priority_waits",
    "mmck",
]


# --------------------------------------------------------------------------- validation


def _servers(c: int, name: str = "servers", minimum: int = 1) -> int:
    # bool is an Integral subclass, but True servers is certainly a bug.
    if isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {c!r}")
    return int(c)


def _positive(x: float, name: str, allow_inf: bool = False) -> float:
    x = float(x)
    if not (x > 0) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return x


def _non_negative(x: float, name: str) -> float:
    x = float(x)
    if not (0 <= x < math.inf):
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}")
    return x


# --------------------------------------------------------------------------- Erlang B / C


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of M/M/c/c with offered load ``a`` (Erlangs).

    Uses the recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)) (Gross et al. 2008,
    sec. 2.5). Every step stays in [0, 1], so unlike the textbook a^c/c! / Σ a^k/k! it
    neither overflows nor cancels for c in the hundreds or thousands.
    """
    c = _servers(c, "c", minimum=0)
    a = _non_negative(a, "a")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability an arrival waits in M/M/c with offered load ``a`` = λ/μ (Erlangs).

    Returns 1.0 when a >= c (the queue grows without bound, everyone waits). Computed from
    Erlang B via C = B / (1 - (a/c)(1 - B)) (Gross et al. 2008, sec. 2.3), which inherits
    the recursion's stability.
    """
    c = _servers(c, "c")
    a = _non_negative(a, "a")
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


# --------------------------------------------------------------------------- M/M/c


@dataclass(frozen=True)
class MMcResult:
    """Steady-state M/M/c measures. Times in minutes; lengths in citizens.

    ``decay_rate`` = cμ − λ (per minute) is the rate of the exponential tail of the wait.
    """

    p_wait: float  # Erlang C, P(W > 0)
    wait_mean: float  # E[Wq], minutes
    queue_len_mean: float  # E[Lq]
    utilisation: float  # ρ = λ/(cμ)
    time_in_system_mean: float  # E[W] = E[Wq] + E[S], minutes
    in_system_mean: float  # E[L]
    decay_rate: float = math.nan  # cμ − λ, per minute

    def service_level(self, t: float) -> float:
        """P(Wq <= t) = 1 − C·exp(−(cμ−λ)t) for t >= 0 minutes (Gross et al. 2008, eq. 2.36)."""
        t = _non_negative(t, "t")
        return 1.0 - self.p_wait * math.exp(-self.decay_rate * t)


def mmc(arrival_rate: float, mean_service: float, servers: int) -> MMcResult:
    """M/M/c (Erlang C) steady state: λ = ``arrival_rate`` per minute, E[S] in minutes.

    Raises ValueError if ρ = λ·E[S]/c >= 1 (no steady state) or for non-positive arguments.
    Source: Gross et al. (2008), sec. 2.3.
    """
    lam = _positive(arrival_rate, "arrival_rate")
    s = _positive(mean_service, "mean_service")
    c = _servers(servers)
    a = lam * s
    if a >= c:
        raise ValueError(f"unstable: offered load {a:.4g} Erlangs >= {c} servers")
    p_wait = erlang_c(c, a)
    decay = c / s - lam
    wq = p_wait / decay
    return MMcResult(
        p_wait=p_wait,
        wait_mean=wq,
        queue_len_mean=lam * wq,  # Little's law
        utilisation=a / c,
        time_in_system_mean=wq + s,
        in_system_mean=lam * (wq + s),
        decay_rate=decay,
    )


# --------------------------------------------------------------------------- Erlang A


_CHAIN_TOL = 1e-16  # neglected tail mass (and E[Lq] contribution) relative to the total
_CHAIN_MAX_STATES = 5_000_000  # guard against near-zero abandonment in heavy overload


def _erlang_a_chain(lam: float, mu: float, theta: float, n: int) -> np.ndarray:
    """Stationary distribution π_0..π_K of the M/M/n+M birth-death chain.

    Birth rate λ; death rate min(k,n)μ + max(k−n,0)θ. Weights are built in log space
    because a^k/k! overflows doubles for n beyond ~170. The chain is cut at the first K
    where a rigorous bound on the remaining mass and on Σ(k−n)π_k is below _CHAIN_TOL:
    beyond n the ratios r_j = λ/(nμ + (j−n)θ) are non-increasing, so once r < 1 the tail
    is dominated by a geometric series.
    """
    k = np.arange(n + 1)
    log_w = [k * math.log(lam / mu) - gammaln(k + 1)]
    log_total = logsumexp(log_w[0])
    last, j0, block = log_w[0][-1], n, 256
    while True:
        j = np.arange(j0 + 1, j0 + block + 1, dtype=float)
        log_t = last + np.cumsum(np.log(lam / (n * mu + (j - n) * theta)))
        running = np.logaddexp(log_total, np.logaddexp.accumulate(log_t))
        r = lam / (n * mu + (j + 1 - n) * theta)  # ratio to the next (largest remaining)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = (j - n) * r / (1 - r) + r / (1 - r) ** 2
            done = (r < 1) & (log_t + np.log(bound) < math.log(_CHAIN_TOL) + running)
        if done.any():
            cut = int(np.argmax(done)) + 1
            log_w.append(log_t[:cut])
            break
        log_w.append(log_t)
        log_total, last, j0 = running[-1], log_t[-1], j0 + block
        block *= 2
        if j0 - n > _CHAIN_MAX_STATES:
            raise ValueError("patience too long for this overload: chain would not truncate")
    log_all = np.concatenate(log_w)
    w = np.exp(log_all - log_all.max())
    return w / w.sum()


@dataclass(frozen=True)
class MMcMResult:
    """Steady-state M/M/n+M (Erlang A) measures. Times in minutes; lengths in citizens.

    ``wait_mean`` is averaged over ALL arrivals, abandoners included (= E[Lq]/λ).
    The remaining fields record the inputs so the waiting-time tail can be evaluated.
    """

    p_wait: float  # P(all n busy at arrival) = P(Wq > 0), by PASTA
    p_abandon: float  # θ·E[Lq]/λ
    queue_len_mean: float  # E[Lq]
    wait_mean: float  # E[time in queue], all arrivals, minutes
    utilisation: float  # E[busy servers]/n
    throughput: float  # λ(1 − P(ab)), served per minute
    arrival_rate: float = math.nan  # per minute
    mean_service: float = math.nan  # minutes
    mean_patience: float = math.inf  # minutes
    servers: int = 0

    def _tail(self, t: float) -> tuple[float, float]:
        """(P(still waiting at t), P(served with wait <= t)) for a PASTA arrival."""
        t = _non_negative(t, "t")
        lam, mu, n = self.arrival_rate, 1.0 / self.mean_service, self.servers
        theta = 1.0 / self.mean_patience
        if theta == 0.0:  # Erlang C: exponential tail, nobody abandons
            mm = mmc(lam, self.mean_service, n)
            still = mm.p_wait * math.exp(-mm.decay_rate * t)
            return still, 1.0 - still
        pi = _erlang_a_chain(lam, mu, theta, n)
        p_ahead = pi[n:]  # arrival finds i = k − n citizens ahead of it (PASTA)
        i = np.arange(len(p_ahead))
        # With i ahead, the offered wait V (ignoring own patience) is a sum of Exp(nμ + jθ),
        # j = 0..i; its Laplace transform is a Beta-function ratio, which shows that
        # X = exp(−θV) ~ Beta(β, i+1) with β = nμ/θ (derived here; checked in the tests
        # against E[Lq]/λ and the Erlang C limit). Own patience τ ~ Exp(θ), so
        #   P(still waiting at t) = P(V > t)·e^{−θt} = I_x(β, i+1)·x,  x = e^{−θt},
        #   P(served, V <= t) = E[e^{−θV}; V <= t] = β/(β+i+1)·(1 − I_x(β+1, i+1)).
        beta, x = n * mu / theta, math.exp(-theta * t)
        still = float(np.sum(p_ahead * betainc(beta, i + 1, x))) * x
        served_q = beta / (beta + i + 1) * (1.0 - betainc(beta + 1, i + 1, x))
        served = float(pi[:n].sum() + np.sum(p_ahead * served_q))
        return min(max(still, 0.0), 1.0), min(max(served, 0.0), 1.0)

    def service_level(self, t: float) -> float:
        """P(Wq <= t), Wq = time in queue incl. abandoners (t in minutes).

        Consistent with ``wait_mean`` (its integral of 1 − service_level is wait_mean).
        Counts a citizen who abandoned before t as "within t"; see ``served_within``.
        """
        return 1.0 - self._tail(t)[0]

    def served_within(self, t: float) -> float:
        """P(citizen is served AND waited <= t minutes); abandoners count as failures.

        Tends to 1 − p_abandon as t → ∞. This is the conservative service level used by
        ``min_servers``: a citizen who gave up is not counted as served in time.
        """
        return self._tail(t)[1]


def erlang_a(
    arrival_rate: float, mean_service: float, mean_patience: float, servers: int
) -> MMcMResult:
    """M/M/n+M (Erlang A) steady state, exact from the birth-death chain.

    λ = ``arrival_rate`` per minute, mean service 1/μ and mean patience 1/θ in minutes
    (exponential), n = ``servers``. P(wait>0) = Σ_{k>=n} π_k (PASTA); P(abandon) =
    θ·E[Lq]/λ. With ``mean_patience = inf`` this is Erlang C (ValueError if unstable).
    Source: Garnett, Mandelbaum & Reiman (2002).
    """
    lam = _positive(arrival_rate, "arrival_rate")
    s = _positive(mean_service, "mean_service")
    patience = _positive(mean_patience, "mean_patience", allow_inf=True)
    n = _servers(servers)
    inputs = dict(arrival_rate=lam, mean_service=s, mean_patience=patience, servers=n)
    if math.isinf(patience):
        mm = mmc(lam, s, n)
        return MMcMResult(
            p_wait=mm.p_wait,
            p_abandon=0.0,
            queue_len_mean=mm.queue_len_mean,
            wait_mean=mm.wait_mean,
            utilisation=mm.utilisation,
            throughput=lam,
            **inputs,
        )
    theta = 1.0 / patience
    pi = _erlang_a_chain(lam, 1.0 / s, theta, n)
    k = np.arange(len(pi))
    lq = float(np.sum(np.maximum(k - n, 0) * pi))
    p_abandon = theta * lq / lam
    return MMcMResult(
        p_wait=min(float(pi[n:].sum()), 1.0),  # clip float round-off
        p_abandon=p_abandon,
        queue_len_mean=lq,
        wait_mean=lq / lam,  # Little's law over all arrivals
        utilisation=min(float(np.sum(np.minimum(k, n) * pi)) / n, 1.0),
        throughput=lam * (1.0 - p_abandon),
        **inputs,
    )


# --------------------------------------------------------------------------- priorities


def mmc_priority_waits(
    arrival_rates: list[float], mean_service: float, servers: int
) -> list[float]:
    """Mean wait in queue of each class in M/M/c with non-pre-emptive priorities, minutes.

    ``arrival_rates`` per minute, highest priority first; every class has the same
    exponential service time (mean ``mean_service`` minutes); FCFS within a class.
    Cobham's formula: W_k = W0 / ((1 − σ_{k−1})(1 − σ_k)) with W0 = C(c, a)/(cμ),
    σ_k = Σ_{i≤k} λ_i/(cμ) and a = Σλ/μ (Cobham 1954; Gross et al. 2008, sec. 3.4).
    The λ-weighted mean of the W_k is the Erlang C wait (work conservation).
    Raises ValueError if the total load a >= c.
    """
    rates = [_non_negative(r, "arrival rate") for r in arrival_rates]
    if not rates or sum(rates) <= 0:
        raise ValueError("give at least one class with a positive arrival rate")
    s = _positive(mean_service, "mean_service")
    c = _servers(servers)
    a = sum(rates) * s
    if a >= c:
        raise ValueError(f"unstable: offered load {a:.4g} Erlangs >= {c} servers")
    c_mu = c / s
    w0 = erlang_c(c, a) / c_mu
    out, sigma = [], 0.0
    for lam in rates:
        before = sigma
        sigma += lam / c_mu
        out.append(w0 / ((1.0 - before) * (1.0 - sigma)))
    return out


# --------------------------------------------------------------------------- approximations


def mg1_pk(arrival_rate: float, mean_service: float, cs2: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of M/G/1, in minutes.

    Wq = ρ/(1−ρ) · (1 + cs²)/2 · E[S], with ρ = λ·E[S] < 1 and cs² the squared coefficient
    of variation of service time (0 deterministic, 1 exponential). Gross et al. (2008), 5.1.
    """
    lam = _positive(arrival_rate, "arrival_rate")
    s = _positive(mean_service, "mean_service")
    cs2 = _non_negative(cs2, "cs2")
    rho = lam * s
    if rho >= 1:
        raise ValueError(f"unstable: utilisation {rho:.4g} >= 1")
    return rho / (1 - rho) * (1 + cs2) / 2 * s


def allen_cunneen(
    arrival_rate: float,
    mean_service: float,
    servers: int,
    ca2: float = 1.0,
    cs2: float = 1.0,
) -> float:
    """Allen-Cunneen G/G/c approximation of the mean wait in queue, in minutes.

    Wq ≈ Wq(M/M/c) · (ca² + cs²)/2, ca²/cs² the squared coefficients of variation of
    inter-arrival and service times. Exact for M/M/c and for M/G/1 (= P-K). Allen (1990).
    """
    ca2 = _non_negative(ca2, "ca2")
    cs2 = _non_negative(cs2, "cs2")
    return mmc(arrival_rate, mean_service, servers).wait_mean * (ca2 + cs2) / 2


# --------------------------------------------------------------------------- staffing


def min_servers(
    arrival_rate: float,
    mean_service: float,
    *,
    max_wait_mean: float | None = None,
    service_level: float | None = None,
    target_min: float | None = None,
    mean_patience: float | None = None,
    max_abandon: float | None = None,
    max_servers: int = 1000,
) -> int:
    """Smallest number of servers meeting every given target (rates /min, times in min).

    Targets (give at least one; all given must hold):
    - ``max_wait_mean``: mean wait in queue <= this many minutes;
    - ``service_level`` with ``target_min``: P(served after waiting <= target_min) >=
      service_level; without patience this is Erlang C's 1 − C·e^{−(cμ−λ)t};
    - ``max_abandon`` (needs ``mean_patience``): P(abandon) <= this.
    Without ``mean_patience`` (or with inf) the model is M/M/c (Erlang C); with it,
    M/M/n+M (Erlang A, Garnett et al. 2002), where abandoners count as NOT served in time
    and ``max_wait_mean`` applies to the wait over all arrivals.
    Raises ValueError if no staffing up to ``max_servers`` meets the targets.
    """
    lam = _positive(arrival_rate, "arrival_rate")
    s = _positive(mean_service, "mean_service")
    max_servers = _servers(max_servers, "max_servers")
    if (service_level is None) != (target_min is None):
        raise ValueError("service_level and target_min must be given together")
    if max_wait_mean is None and service_level is None and max_abandon is None:
        raise ValueError("give at least one target")
    if max_wait_mean is not None:
        _positive(max_wait_mean, "max_wait_mean")
    if service_level is not None:
        if not 0 < service_level < 1:
            raise ValueError(f"service_level must be in (0, 1), got {service_level!r}")
        _non_negative(target_min, "target_min")
    patience = math.inf if mean_patience is None else mean_patience
    patience = _positive(patience, "mean_patience", allow_inf=True)
    if max_abandon is not None:
        if math.isinf(patience):
            raise ValueError("max_abandon needs a finite mean_patience")
        if not 0 < max_abandon < 1:
            raise ValueError(f"max_abandon must be in (0, 1), got {max_abandon!r}")

    # Erlang C has no steady state below floor(a)+1 servers; Erlang A always has one.
    start = math.floor(lam * s) + 1 if math.isinf(patience) else 1

    def meets(c: int) -> bool:
        r = erlang_a(lam, s, patience, c)
        if max_wait_mean is not None and r.wait_mean > max_wait_mean:
            return False
        if max_abandon is not None and r.p_abandon > max_abandon:
            return False
        return service_level is None or r.served_within(target_min) >= service_level

    # Every measure improves with each added server, so the smallest c that meets the
    # targets is found by bisection: a few evaluations, not one per c (a hall at
    # 100,000 citizens an hour would otherwise evaluate a thousand long chains).
    if start <= max_servers and meets(max_servers):
        lo, hi = start, max_servers  # meets(hi); the answer lies in [lo, hi]
        while lo < hi:
            mid = (lo + hi) // 2
            if meets(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo
    raise ValueError(f"no staffing up to {max_servers} servers meets the targets")


# --------------------------------------------------------------------------- M/M/c/K


@dataclass(frozen=True)
class MMcKResult:
    """Steady state of M/M/c/K: at most K citizens in the hall (c in service, K−c waiting).

    An arrival who finds K present is turned away (lost). Times in minutes.
    """

    p_block: float  # P(an arrival is turned away) = p_K (PASTA)
    wait_mean: float  # E[Wq] of admitted citizens, minutes
    queue_len_mean: float  # E[Lq]
    in_system_mean: float  # E[L]
    utilisation: float  # mean busy servers / c
    p_wait: float  # P(an admitted citizen waits > 0)


def mmck(arrival_rate: float, mean_service: float, servers: int, capacity: int) -> MMcKResult:
    """M/M/c/K by the birth-death chain (Gross et al. 2008, sec. 2.6).

    ``capacity`` K >= ``servers`` c is the most citizens present at once; K = c is the
    Erlang loss system (M/M/c/c), whose ``p_block`` equals :func:`erlang_b`. Any load
    is allowed: the chain is finite.
    """
    lam = _positive(arrival_rate, "arrival_rate")
    s = _positive(mean_service, "mean_service")
    c = _servers(servers)
    k_max = _servers(capacity, "capacity", minimum=c)
    a = lam * s
    # log p_n up to a constant: log a^n/n! for n <= c, then a^c/c! (a/c)^(n-c)
    n = np.arange(k_max + 1)
    logp = np.where(
        n <= c,
        n * math.log(a) - gammaln(n + 1),
        c * math.log(a) - gammaln(c + 1) + (n - c) * math.log(a / c),
    )
    p = np.exp(logp - logsumexp(logp))
    p_block = float(p[-1])
    lq = float(np.sum(np.clip(n - c, 0, None) * p))
    ls = float(np.sum(n * p))
    admitted = lam * (1.0 - p_block)
    busy = float(np.sum(np.minimum(n, c) * p))
    p_wait_admitted = float(np.sum(p[c:k_max]) / (1.0 - p_block)) if k_max > c else 0.0
    return MMcKResult(
        p_block=p_block,
        wait_mean=lq / admitted,  # Little's law on admitted citizens
        queue_len_mean=lq,
        in_system_mean=ls,
        utilisation=busy / c,
        p_wait=p_wait_admitted,
    )


# --------------------------------------------------------------------------- Jackson networks


@dataclass(frozen=True)
class JacksonResult:
    """Open Jackson network of M/M/c stations: per-station and end-to-end measures."""

    throughput: tuple[float, ...]  # total arrival rate at each station, per minute
    stations: tuple[MMcResult, ...]  # each station as an M/M/c with its throughput
    in_system_mean: float  # E[number in the network]
    time_in_system_mean: float  # E[time from entering to leaving], minutes
    visits: tuple[float, ...]  # mean visits per external arrival to each station


def jackson_network(
    external_rates: list[float],
    mean_services: list[float],
    servers: list[int],
    routing: list[list[float]],
) -> JacksonResult:
    """Open Jackson network (Jackson 1957; Gross et al. 2008, sec. 4.2).

    ``external_rates[i]``: Poisson arrivals from outside to station i (per minute);
    ``routing[i][j]``: probability that a citizen leaving i goes next to j (the rest
    of row i leaves the hall). The traffic equations λ = γ + Pᵀλ give each station's
    throughput; the product form makes each station an independent M/M/c with that
    rate, so the means add up and Little's law gives the time in the hall.
    Raises ValueError if a row sums above 1, the network is not open, or a station
    is unstable.
    """
    m = len(external_rates)
    if not (len(mean_services) == len(servers) == len(routing) == m) or m == 0:
        raise ValueError("external_rates, mean_services, servers and routing must align")
    gamma = np.array([_non_negative(x, "external_rates") for x in external_rates])
    p = np.array(routing, dtype=float)
    if p.shape != (m, m) or np.any(p < 0) or np.any(p.sum(axis=1) > 1 + 1e-12):
        raise ValueError("routing must be a square matrix of probabilities, rows <= 1")
    try:
        lam = np.linalg.solve(np.eye(m) - p.T, gamma)
    except np.linalg.LinAlgError as exc:
        raise ValueError("routing is not open: some citizens never leave") from exc
    if np.any(lam < -1e-12) or not np.all(np.isfinite(lam)):
        raise ValueError("routing is not open: some citizens never leave")
    results = []
    for i in range(m):
        s_i = _positive(mean_services[i], "mean_services")
        if lam[i] <= 0:  # a station nobody is routed to is idle
            results.append(MMcResult(0.0, 0.0, 0.0, 0.0, s_i, 0.0, servers[i] / s_i))
        else:
            results.append(mmc(float(lam[i]), s_i, servers[i]))
    total_in = float(sum(r.in_system_mean for r in results))
    total_rate = float(gamma.sum())
    return JacksonResult(
        throughput=tuple(float(x) for x in lam),
        stations=tuple(results),
        in_system_mean=total_in,
        time_in_system_mean=total_in / total_rate,
        visits=tuple(float(x) / total_rate for x in lam),
    )
