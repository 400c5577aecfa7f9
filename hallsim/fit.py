"""Fitting a scenario to a clean ticket log (``hallsim.ticketlog``).

Each fitted number carries its method, sample size and uncertainty, written
as a comment beside it in the scenario file (``to_toml``).  Methods
(docs/fitting.md):

- arrivals: tickets per period per selected day → mean rate per period (or
  the profile scaled to the ``level`` quantile of daily totals); the
  day-to-day dispersion of daily totals (variance / mean; 1 for Poisson);
- matters: shares with Wilson 95% intervals;
- service per matter: exponential, gamma, lognormal and uniform fitted by
  maximum likelihood, chosen by AIC, with the Kolmogorov–Smirnov statistic;
  services of ``short_service_s`` seconds or less are a separate population
  (hang-ups, mis-routed calls, no-shows at the window) and are trimmed, their
  share reported;
- patience per matter: the waits of abandoning citizens are events, the
  waits of served citizens right-censored observations (a served citizen was
  at least that patient); exponential, lognormal and gamma fitted by censored
  maximum likelihood, chosen by AIC; Kaplan–Meier for the report; a matter
  with few abandonments takes the pooled fit;
- windows: connected matter sets → window groups; each window's speed
  relative to its group (its mean service over the mean its matter mix predicts);
- roster per group and period: the mean number of the group's windows busy
  while at least one citizen it can serve waits, scaled by the fitted mean
  service over the period's observed mean service (``roster="busy-waiting"``);
  ``"busy"`` (busy window-minutes / minutes) and ``"names"`` (distinct
  windows serving) are the alternatives.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from hallsim.scenario import format_clock
from hallsim.ticketlog import LogError, TicketLog

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROSTERS = ("busy-waiting", "busy", "names")
PRIORITY = ("ignore", "strict")


@dataclass
class FitOptions:
    period: int = 30  # minutes per period of the rate table and roster
    days: str = "weekdays"  # weekdays | all | YYYY-MM-DD..YYYY-MM-DD | Mon,Tue,...
    level: str = "mean"  # mean | pNN: plan for the NN-th percentile day (daily total)
    open: str | None = None  # opening hours; None: from the log
    close: str | None = None
    short_service_s: float = 5.0  # services this short or shorter are trimmed (0: keep all)
    roster: str = "busy-waiting"
    priority: str = "ignore"  # ignore: FIFO (soft priority); strict: a priority class
    min_abandoned: int = 30  # fewer abandonments in a matter: it takes the pooled patience
    target_min: float | None = None  # hall.service_level_target_min; None: the default 15
    return_days: int = 7  # a citizen's next ticket within this many days is a return; 0: off
    min_ratings: int = 200  # fewer 好差评 ratings: satisfaction keeps its defaults
    roster_file: str | None = None  # a roster (TOML) replacing the estimated one
    name: str = "fitted"


# --------------------------------------------------------------------------- days


def select_days(days: pd.Series, spec: str) -> np.ndarray:
    """Mask of tickets whose day matches ``spec`` (``LogError`` when malformed)."""
    spec = spec.strip()
    dow = days.dt.day_of_week.to_numpy()
    if spec == "all":
        return np.ones(len(days), dtype=bool)
    if spec == "weekdays":
        return dow < 5
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", spec)
    if m:
        try:
            a, b = pd.Timestamp(m.group(1)), pd.Timestamp(m.group(2))
        except ValueError as exc:
            raise LogError("--days", f"bad date in {spec!r}: {exc}") from None
        if a > b:
            raise LogError("--days", f"range {spec!r} ends before it starts")
        return ((days >= a) & (days <= b)).to_numpy()
    names = [x.strip().capitalize()[:3] for x in spec.split(",")]
    if not names or any(n not in WEEKDAYS for n in names):
        raise LogError(
            "--days",
            "expected weekdays, all, YYYY-MM-DD..YYYY-MM-DD or day names like Mon,Tue; "
            f"got {spec!r}",
        )
    return np.isin(dow, [WEEKDAYS.index(n) for n in names])


def _clock_arg(text: str, what: str) -> float:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) * 60 + int(m.group(2)) > 1440 or int(m.group(2)) >= 60:
        raise LogError(what, f"expected HH:MM, got {text!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def restrict(log: TicketLog, opts: FitOptions) -> tuple[TicketLog, float, float]:
    """Keep the selected days and opening hours (dropped rows counted); (log, open, close)."""
    t = log.tickets
    log.drop(~select_days(t["day"], opts.days), "outside_days")
    t = log.tickets
    if not len(t):
        raise LogError("--days", f"no tickets on the selected days ({opts.days!r})")
    p = opts.period
    arr = t["arrive"].to_numpy()
    if opts.open is not None:
        open_ = _clock_arg(opts.open, "--open")
    else:  # from the log: the period holding the 0.2% quantile of ticket times
        open_ = math.floor(np.quantile(arr, 0.002) / p) * p
    if opts.close is not None:
        close = _clock_arg(opts.close, "--close")
    else:
        close = min(1440, math.ceil(np.quantile(arr, 0.998) / p) * p)
    if close <= open_:
        raise LogError("--close", f"close {format_clock(close)} is not after open")
    log.drop((arr < open_) | (arr >= close), "outside_hours")
    if not len(log.tickets):
        raise LogError("--open", "no tickets inside the opening hours")
    return log, float(open_), float(close)


# --------------------------------------------------------------------------- helpers


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def _gamma_shape(x: np.ndarray) -> float:
    """MLE of the gamma shape: solve log a − ψ(a) = log mean − mean log (Newton)."""
    s = math.log(x.mean()) - np.log(x).mean()
    if s <= 0:
        return 1e6
    a = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(50):
        f = math.log(a) - special.digamma(a) - s
        df = 1 / a - special.polygamma(1, a)
        step = f / df
        a = max(a - step, a / 10)
        if abs(step) < 1e-10 * a:
            break
    return float(a)


def _anderson_darling(sorted_x: np.ndarray, mu: float, sigma: float) -> float:
    """A² of a sorted sample against Normal(mu, sigma) (parameters estimated)."""
    n = len(sorted_x)
    lf = stats.norm.logcdf(sorted_x, mu, sigma)
    ls = stats.norm.logsf(sorted_x, mu, sigma)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (lf + ls[::-1])))


def _lognormal_mean_cv(mu: float, sigma: float) -> tuple[float, float]:
    return math.exp(mu + sigma**2 / 2), math.sqrt(math.expm1(sigma**2))


@dataclass
class DistFit:
    """One candidate distribution fitted to a sample (minutes)."""

    dist: str
    params: dict[str, float]  # in the scenario format (mean/cv, or low/high)
    loglik: float
    k: int  # free parameters
    aic: float = 0.0
    ks: float | None = None
    ad: float | None = None  # Anderson–Darling (lognormal: on the logs)
    mean_ci: tuple[float, float] | None = None
    cv_ci: tuple[float, float] | None = None

    def spec(self) -> dict[str, Any]:
        return {"dist": self.dist, **{k: _r(v) for k, v in self.params.items()}}

    def frozen(self):
        p = self.params
        if self.dist == "exponential":
            return stats.expon(scale=p["mean"])
        if self.dist == "lognormal":
            s2 = math.log1p(p["cv"] ** 2)
            return stats.lognorm(s=math.sqrt(s2), scale=p["mean"] / math.exp(s2 / 2))
        if self.dist == "gamma":
            a = 1 / p["cv"] ** 2
            return stats.gamma(a, scale=p["mean"] / a)
        if self.dist == "uniform":
            return stats.uniform(p["low"], p["high"] - p["low"])
        return stats.uniform(p["mean"], 1e-12)


def _r(x: float) -> float:
    """Four significant figures for the scenario file."""
    return float(f"{x:.4g}")


def fit_service(x: np.ndarray, seed: int = 0) -> list[DistFit]:
    """Candidates fitted by maximum likelihood to services ``x`` (> 0), best AIC first."""
    n = len(x)
    lx = np.log(x)
    m, sd = float(x.mean()), float(x.std(ddof=1)) if n > 1 else 0.0
    out: list[DistFit] = []
    if sd == 0:
        return [DistFit("deterministic", {"mean": m}, 0.0, 1, aic=2.0)]
    se_mean = sd / math.sqrt(n)
    # exponential
    ll = -n * math.log(m) - n
    out.append(
        DistFit("exponential", {"mean": m}, ll, 1, mean_ci=(m - 1.96 * se_mean, m + 1.96 * se_mean))
    )
    # lognormal (closed form)
    mu, sg = float(lx.mean()), float(lx.std(ddof=0))
    ll = float(stats.norm.logpdf(lx, mu, sg).sum() - lx.sum())
    lm, lcv = _lognormal_mean_cv(mu, sg)
    rng = np.random.default_rng(seed)
    mus = rng.normal(mu, sg / math.sqrt(n), 2000)
    sgs = np.abs(rng.normal(sg, sg / math.sqrt(2 * n), 2000))
    means = np.exp(mus + sgs**2 / 2)
    cvs = np.sqrt(np.expm1(sgs**2))
    ad = _anderson_darling(np.sort(lx), mu, sg) if n >= 8 else None
    out.append(
        DistFit(
            "lognormal",
            {"mean": lm, "cv": lcv},
            ll,
            2,
            ad=float(ad) if ad is not None else None,
            mean_ci=tuple(np.quantile(means, [0.025, 0.975])),
            cv_ci=tuple(np.quantile(cvs, [0.025, 0.975])),
        )
    )
    # gamma
    a = _gamma_shape(x)
    scale = m / a
    ll = float(stats.gamma.logpdf(x, a, scale=scale).sum())
    var_a = a / (n * (a * special.polygamma(1, a) - 1)) if a < 1e5 else 0.0
    a_lo, a_hi = max(a - 1.96 * math.sqrt(var_a), 1e-9), a + 1.96 * math.sqrt(var_a)
    out.append(
        DistFit(
            "gamma",
            {"mean": m, "cv": 1 / math.sqrt(a)},
            ll,
            2,
            mean_ci=(m - 1.96 * se_mean, m + 1.96 * se_mean),
            cv_ci=(1 / math.sqrt(a_hi), 1 / math.sqrt(a_lo)),
        )
    )
    # uniform
    lo, hi = float(x.min()), float(x.max())
    out.append(DistFit("uniform", {"low": lo, "high": hi}, -n * math.log(hi - lo), 2))
    sub = x if n <= 20000 else rng.choice(x, 20000, replace=False)
    for f in out:
        f.aic = 2 * f.k - 2 * f.loglik
        f.ks = float(stats.kstest(sub, f.frozen().cdf).statistic)
    out.sort(key=lambda f: f.aic)
    return out


def kaplan_meier(t: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, survival just after each) of the Kaplan–Meier estimator."""
    order = np.argsort(t, kind="stable")
    t, e = t[order], event[order].astype(bool)
    uniq, idx = np.unique(t, return_index=True)
    n = len(t)
    at_risk = n - idx
    deaths = np.add.reduceat(e.astype(np.int64), idx) if n else np.array([])
    keep = deaths > 0
    s = np.cumprod(1 - deaths[keep] / at_risk[keep])
    return uniq[keep], s


def km_median(times: np.ndarray, surv: np.ndarray) -> float | None:
    below = np.flatnonzero(surv <= 0.5)
    return float(times[below[0]]) if len(below) else None


def fit_patience(wait: np.ndarray, abandoned: np.ndarray, seed: int = 0) -> list[DistFit]:
    """Censored MLE of patience: abandoners' waits are events, served waits censored.

    Candidates exponential, lognormal, gamma, best AIC first; ``mean_ci`` /
    ``cv_ci`` from the asymptotic normal law of the parameters (inverse
    Hessian), propagated by simulation.  Censored waits of zero carry no
    information (S(0) = 1) and are left out.
    """
    keep = (wait > 0) | abandoned
    w, d = np.maximum(wait[keep], 1e-6), abandoned[keep].astype(bool)
    ev, ce = w[d], w[~d]
    n_ev = len(ev)
    out: list[DistFit] = []
    rng = np.random.default_rng(seed)
    if n_ev == 0:
        return out
    total = float(w.sum())
    mean = total / n_ev  # exponential: events / exposure
    ll = -n_ev * math.log(mean) - total / mean
    se = mean / math.sqrt(n_ev)
    out.append(
        DistFit("exponential", {"mean": mean}, ll, 1, mean_ci=(mean - 1.96 * se, mean + 1.96 * se))
    )
    # the likelihood over distinct waits (to 0.1 s) with their counts: exact for
    # logs in whole seconds, and a million tickets cost a few thousand terms
    ev, nev = np.unique(np.round(ev * 600) / 600, return_counts=True)
    ce, nce = np.unique(np.round(ce * 600) / 600, return_counts=True)
    ev, ce = np.maximum(ev, 1e-6), np.maximum(ce, 1e-6)
    lev, lce = np.log(ev), np.log(ce)

    def nll_ln(th):
        mu, ls = th
        s = math.exp(ls)
        return -(
            (nev * (stats.norm.logpdf(lev, mu, s) - lev)).sum()
            + (nce * stats.norm.logsf(lce, mu, s)).sum()
        )

    def nll_ga(th):
        la, lsc = th
        a, sc = math.exp(la), math.exp(lsc)
        return -(
            (nev * stats.gamma.logpdf(ev, a, scale=sc)).sum()
            + (nce * stats.gamma.logsf(ce, a, scale=sc)).sum()
        )

    x0 = [float(np.log(w).mean()) + 0.5, math.log(max(float(np.log(w).std()), 0.3))]
    for name, nll, th0, conv in (
        ("lognormal", nll_ln, x0, lambda th: _lognormal_mean_cv(th[0], math.exp(th[1]))),
        (
            "gamma",
            nll_ga,
            [0.0, math.log(mean)],
            lambda th: (math.exp(th[0]) * math.exp(th[1]), 1 / math.sqrt(math.exp(th[0]))),
        ),
    ):
        res = optimize.minimize(nll, th0, method="BFGS")
        if not np.isfinite(res.fun):
            continue
        mn, cv = conv(res.x)
        if not (np.isfinite(mn) and np.isfinite(cv)) or mn > 1e6:
            continue
        cov = np.asarray(res.hess_inv)
        try:
            draws = rng.multivariate_normal(res.x, cov, 1000)
            vals = np.array([conv(th) for th in draws])
            vals = vals[np.isfinite(vals).all(axis=1)]
            mci = tuple(np.quantile(vals[:, 0], [0.025, 0.975]))
            cci = tuple(np.quantile(vals[:, 1], [0.025, 0.975]))
        except (ValueError, np.linalg.LinAlgError, OverflowError):
            mci = cci = None
        out.append(
            DistFit(name, {"mean": mn, "cv": cv}, -float(res.fun), 2, mean_ci=mci, cv_ci=cci)
        )
    for f in out:
        f.aic = 2 * f.k - 2 * f.loglik
    out.sort(key=lambda f: f.aic)
    return out


# --------------------------------------------------------------------------- timelines


def _levels(times: np.ndarray, deltas: np.ndarray, edges: np.ndarray):
    """Step function from +/-1 events, cut at ``edges``: (segment starts, lengths, level)."""
    t = np.concatenate([times, edges])
    d = np.concatenate([deltas, np.zeros(len(edges))])
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    level = np.cumsum(d)
    length = np.diff(t, append=t[-1])
    return t, length, level


def busy_and_waiting(
    tk: pd.DataFrame,
    day_index: np.ndarray,
    matters: set[str],
    windows: set[str],
    open_: float,
    close: float,
    period: int,
) -> dict[str, np.ndarray]:
    """Per period (summed over days): minutes with someone waiting, busy-window
    minutes, busy-window minutes while someone waits, and the largest number busy.

    Days are laid end to end 2 days apart, so one sort covers the whole log.
    """
    span = 2880.0
    nper = round((close - open_) / period)
    ndays = int(day_index.max()) + 1 if len(day_index) else 0
    off = day_index * span
    mine = tk["matter"].isin(matters).to_numpy()
    arr = tk["arrive"].to_numpy() + off
    stop = np.where(
        tk["outcome"].to_numpy() == "served", tk["call"].to_numpy(), tk["leave"].to_numpy()
    )
    stop = np.where(np.isnan(stop), tk["arrive"].to_numpy(), stop) + off
    q_t = np.concatenate([arr[mine], stop[mine]])
    q_d = np.concatenate([np.ones(mine.sum()), -np.ones(mine.sum())])
    srv = (tk["outcome"].to_numpy() == "served") & tk["window"].isin(windows).to_numpy()
    b_t = np.concatenate(
        [tk["start"].to_numpy()[srv] + off[srv], tk["end"].to_numpy()[srv] + off[srv]]
    )
    b_d = np.concatenate([np.ones(srv.sum()), -np.ones(srv.sum())])
    edges = (
        np.arange(ndays)[:, None] * span + open_ + period * np.arange(nper + 1)[None, :]
    ).ravel()
    # one merged event list: queue changes in column 0, busy changes in column 1
    t = np.concatenate([q_t, b_t, edges])
    dq = np.concatenate([q_d, np.zeros(len(b_t)), np.zeros(len(edges))])
    db = np.concatenate([np.zeros(len(q_t)), b_d, np.zeros(len(edges))])
    order = np.argsort(t, kind="stable")
    t, dq, db = t[order], dq[order], db[order]
    q, b = np.cumsum(dq), np.cumsum(db)
    length = np.diff(t, append=t[-1])
    rel = t - np.floor(t / span) * span
    per = np.floor((rel - open_) / period).astype(np.int64)
    ok = (per >= 0) & (per < nper) & (length > 0)
    per, length, q, b = per[ok], length[ok], q[ok], b[ok]
    waiting = q > 0.5
    out = {
        "wait_minutes": np.bincount(per, weights=length * waiting, minlength=nper),
        "busy_minutes": np.bincount(per, weights=length * b, minlength=nper),
        "busy_while_waiting": np.bincount(per, weights=length * b * waiting, minlength=nper),
    }
    dayper = (np.floor(t[ok] / span).astype(np.int64)) * nper + per
    peak = np.zeros(ndays * nper)
    np.maximum.at(peak, dayper, b)
    out["peak_busy_mean"] = peak.reshape(ndays, nper).mean(axis=0) if ndays else np.zeros(nper)
    return out


# --------------------------------------------------------------------------- the fit


@dataclass
class FitResult:
    scenario: dict[str, Any]
    comments: dict[str, str]  # dotted path -> comment written beside it
    log: TicketLog
    open_min: float
    close_min: float
    days: list[pd.Timestamp]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    service_fits: dict[str, list[DistFit]] = field(default_factory=dict)
    service_samples: dict[str, np.ndarray] = field(default_factory=dict)
    patience_fits: dict[str, list[DistFit]] = field(default_factory=dict)
    km: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fit(log: TicketLog, opts: FitOptions | None = None) -> FitResult:
    """Fit a scenario to a clean ticket log (see the module docstring)."""
    opts = opts or FitOptions()
    if opts.roster not in ROSTERS:
        raise LogError("--roster", f"expected one of {ROSTERS}, got {opts.roster!r}")
    if opts.priority not in PRIORITY:
        raise LogError("--priority", f"expected one of {PRIORITY}, got {opts.priority!r}")
    if not 5 <= opts.period <= 240:
        raise LogError("--period", f"expected 5..240 minutes, got {opts.period}")
    level_q = None
    if opts.level != "mean":
        m = re.fullmatch(r"p(\d{1,2})", opts.level)
        if not m:
            raise LogError("--level", f"expected mean or pNN (e.g. p90), got {opts.level!r}")
        level_q = int(m.group(1)) / 100
    log, open_, close = restrict(log, opts)
    tk = log.tickets
    P = opts.period
    comments: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    notes = list(log.notes)
    days = sorted(tk["day"].unique())
    day_index = np.searchsorted(np.array(days, dtype="datetime64[ns]"), tk["day"].to_numpy())
    D = len(days)
    nper = round((close - open_) / P)
    starts = open_ + P * np.arange(nper)

    # ---- arrivals
    per = np.clip(((tk["arrive"].to_numpy() - open_) // P).astype(np.int64), 0, nper - 1)
    counts = np.zeros((D, nper))
    np.add.at(counts, (day_index, per), 1)
    totals = counts.sum(axis=1)
    mean_rate = counts.mean(axis=0) * 60 / P
    scale = 1.0
    if level_q is not None:
        scale = float(np.quantile(totals, level_q) / totals.mean())
    rate = mean_rate * scale
    disp = float(totals.var(ddof=1) / totals.mean()) if D > 1 else float("nan")
    tables["arrivals"] = pd.DataFrame(
        {
            "period": [format_clock(s) for s in starts],
            "rate_per_hour": rate,
            "mean_per_day": counts.mean(axis=0),
            "sd_per_day": counts.std(axis=0, ddof=1) if D > 1 else np.nan,
        }
    )
    tables["days"] = pd.DataFrame(
        {"day": [pd.Timestamp(d).strftime("%Y-%m-%d %a") for d in days], "tickets": totals}
    )
    rate_key = "arrivals.rate_per_hour"
    if D > 1:  # Student-t 95% interval of each period's mean rate over the days
        half = stats.t.ppf(0.975, D - 1) * counts.std(axis=0, ddof=1) / math.sqrt(D) * 60 / P
        rel = half / np.maximum(mean_rate, 1e-9)
        rate_ci = (
            f"; 95% t interval per period +/-{np.median(half):.3g}/h median "
            f"(+/-{100 * np.median(rel[mean_rate > 0]):.0f}%), widest +/-{half.max():.3g}/h"
        )
    else:
        rate_ci = "; one day: no interval"
    comments[rate_key] = (
        f"n={int(totals.sum())} tickets; tickets per hour by {P}-min period, mean over "
        f"{D} days ({opts.days}){rate_ci}"
        + (f" scaled x{scale:.3f} to the {opts.level} day" if level_q else "")
        + f"; daily total {totals.mean():.0f} (sd {totals.std(ddof=1) if D > 1 else 0:.0f}, "
        f"variance/mean {disp:.1f}: 1 for Poisson days)"
    )

    # ---- matters
    names = sorted(tk["matter"].unique(), key=lambda m: -int((tk["matter"] == m).sum()))
    n_all = len(tk)
    served_mask = (tk["outcome"] == "served").to_numpy()
    matters, service_fits, samples, patience_fits, km = [], {}, {}, {}, {}
    short_min = opts.short_service_s / 60
    dur_all = (tk["end"] - tk["start"]).to_numpy(dtype=float)
    wait_all = np.where(
        served_mask,
        tk["call"].to_numpy() - tk["arrive"].to_numpy(),
        tk["leave"].to_numpy() - tk["arrive"].to_numpy(),
    )
    aband = (tk["outcome"] == "abandoned").to_numpy()
    known_wait = np.isfinite(wait_all)
    mrows = []
    # pooled patience first: matters with few abandonments use it
    pooled = fit_patience(wait_all[known_wait], aband[known_wait]) if aband.any() else []
    if pooled:
        t_km, s_km = kaplan_meier(wait_all[known_wait], aband[known_wait])
        km["(all)"] = (t_km, s_km)
        patience_fits["(all)"] = pooled
    for i, name in enumerate(names):
        mk = (tk["matter"] == name).to_numpy()
        k = int(mk.sum())
        lo, hi = wilson(k, n_all)
        dur = dur_all[mk & served_mask]
        short = dur <= short_min if short_min > 0 else np.zeros(len(dur), bool)
        x = dur[~short]
        entry: dict[str, Any] = {"name": name, "share": _r(k / n_all)}
        comments[f"matters.{i}.share"] = (
            f"n={k} of {n_all} tickets; 95% Wilson [{lo:.4f}, {hi:.4f}]"
        )
        if len(x) < 2:
            raise LogError(
                "log",
                f"matter {name!r} has {len(x)} usable services: too few to fit a service time",
            )
        fits = fit_service(x)
        service_fits[name], samples[name] = fits, x
        best = fits[0]
        entry["service_min"] = best.spec()
        sample_cv = float(x.std(ddof=1) / x.mean())
        ci = ""
        if best.mean_ci:
            ci += f", mean 95% [{best.mean_ci[0]:.3g}, {best.mean_ci[1]:.3g}]"
        if best.cv_ci:
            ci += f", cv 95% [{best.cv_ci[0]:.3g}, {best.cv_ci[1]:.3g}]"
        comments[f"matters.{i}.service_min"] = (
            f"n={len(x)} services; MLE, best AIC of "
            + "/".join(f.dist for f in fits)
            + f"{ci}; KS {best.ks:.3f}"
            + (f"; Anderson-Darling A2 {best.ad:.3g} (on the logs)" if best.ad is not None else "")
            + f"; sample mean {x.mean():.3g} cv {sample_cv:.3g}"
            + (
                f"; {short.sum()} services <= {opts.short_service_s:g} s "
                f"({100 * short.mean():.1f}%) trimmed"
                if short.any()
                else ""
            )
        )
        # patience
        wk = mk & known_wait
        n_ab = int((aband & mk).sum())
        pf = fit_patience(wait_all[wk], aband[wk]) if n_ab else []
        naive = float(np.mean(wait_all[wk & aband])) if n_ab else float("nan")
        if pf:
            patience_fits[name] = pf
            km[name] = kaplan_meier(wait_all[wk], aband[wk])
        med = km_median(*km[name]) if name in km else None
        pf[0] if pf else None
        row = {
            "matter": name,
            "tickets": k,
            "share": k / n_all,
            "served": int((mk & served_mask).sum()),
            "abandoned": n_ab,
            "service_mean_sample": float(x.mean()),
            "service_cv_sample": sample_cv,
            "service_mean_all": float(dur.mean()) if len(dur) else np.nan,
            "short_services": int(short.sum()),
            "service_dist": best.dist,
            "service_mean_fit": best.params.get("mean", np.nan),
            "service_cv_fit": best.params.get("cv", np.nan),
            "patience_naive_mean": naive,
            "patience_km_median": med,
        }
        if pf and n_ab >= opts.min_abandoned:
            bp = pf[0]
            entry["renege_min"] = bp.spec()
            comments[f"matters.{i}.renege_min"] = (
                f"{n_ab} abandoned, {int(wk.sum()) - n_ab} served (censored); censored MLE, "
                f"best AIC of {'/'.join(f.dist for f in pf)}"
                + (f", mean 95% [{bp.mean_ci[0]:.3g}, {bp.mean_ci[1]:.3g}]" if bp.mean_ci else "")
                + (f"; Kaplan-Meier median {med:.3g}" if med is not None else "")
                + f"; naive mean of abandoners only {naive:.3g} (biased low)"
            )
            row["patience_dist"], row["patience_mean_fit"] = bp.dist, bp.params["mean"]
        else:
            row["patience_dist"] = "pooled" if pooled else "none"
            row["patience_mean_fit"] = np.nan
        mrows.append(row)
        matters.append(entry)
    tables["matters"] = pd.DataFrame(mrows)
    # shares rounded to 4 figures must still sum to 1 within the format's 0.001
    fix = 1.0 - sum(m["share"] for m in matters)
    matters[0]["share"] = _r(matters[0]["share"] + fix)

    # ---- windows → groups (connected matter sets)
    srv = tk.loc[served_mask & tk["window"].astype(str).ne("")]
    ct = pd.crosstab(srv["window"], srv["matter"])
    serves = ct.ge(np.maximum(5, 0.02 * ct.sum(axis=1).to_numpy())[:, None])
    parent = {m: m for m in names}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for w in ct.index:
        ms = [m for m in ct.columns if serves.loc[w, m]]
        for a in ms[1:]:
            parent[find(a)] = find(ms[0])
    # a matter no window serves often enough joins the group serving most of it
    for m in names:
        if m in ct.columns and not serves[m].any():
            w = ct[m].idxmax()
            ms = [x for x in ct.columns if serves.loc[w, x]]
            if ms:
                parent[find(m)] = find(ms[0])
    comps: dict[str, list[str]] = {}
    for m in names:
        comps.setdefault(find(m), []).append(m)
    groups = []
    for ms in comps.values():
        wins = [w for w in ct.index if any(serves.loc[w, m] for m in ms if m in ct.columns)]
        if not wins:
            wins = [w for w in ct.index if ct.loc[w, [m for m in ms if m in ct.columns]].sum() > 0]
        groups.append({"matters": ms, "windows": wins})
    single = len(groups) == 1
    tables["windows"] = _window_speeds(srv, groups, service_fits)

    # ---- roster per group and period
    windows_out, rrows = [], []
    fitted_mean = {m: service_fits[m][0].frozen().mean() for m in names}
    group_names = ["all"] if len(groups) == 1 else [f"group{i + 1}" for i in range(len(groups))]
    given = load_roster(opts.roster_file, group_names) if opts.roster_file else None
    for gi, g in enumerate(groups):
        ms, wins = set(g["matters"]), set(g["windows"])
        bw = busy_and_waiting(tk, day_index, ms, wins, open_, close, P)
        gm = tk["matter"].isin(ms).to_numpy()
        shares = np.array([(tk["matter"] == m).sum() for m in g["matters"]], dtype=float)
        sim_mean = float(np.dot(shares / shares.sum(), [fitted_mean[m] for m in g["matters"]]))
        # observed mean service per period (services started in it, untrimmed)
        s_ok = served_mask & gm & tk["window"].isin(wins).to_numpy()
        sp = np.clip(((tk["start"].to_numpy()[s_ok] - open_) // P).astype(np.int64), 0, nper - 1)
        dsum = np.bincount(sp, weights=dur_all[s_ok], minlength=nper)
        dn = np.bincount(sp, minlength=nper)
        obs_mean = np.where(dn > 0, dsum / np.maximum(dn, 1), sim_mean)
        adjust = np.clip(sim_mean / obs_mean, 0.5, 2.0)
        names_per = _names_per_period(tk[s_ok], day_index[s_ok], open_, P, nper, D)
        busy = bw["busy_minutes"] / (D * P)
        enough = bw["wait_minutes"] >= 0.05 * D * P  # someone waits >= 5% of the period
        bww = np.where(
            enough, bw["busy_while_waiting"] / np.maximum(bw["wait_minutes"], 1e-9), np.nan
        )
        est = {
            "busy-waiting": np.where(enough, bww * adjust, bw["peak_busy_mean"]),
            "busy": busy,
            "names": names_per,
        }[opts.roster]
        level = np.maximum(np.rint(est), np.where(counts.sum(axis=0) > 0, 1, 0)).astype(int)
        level = np.clip(level, 0, max(len(wins), 1))  # never more windows than the log shows
        count = max(int(level.max()), 1)
        staffed: dict[str, int] = {}
        prev = None
        for s, lv in zip(starts, level, strict=True):
            if lv != prev:
                staffed[format_clock(s)] = int(lv)
                prev = lv
        gname = "all" if single else f"group{gi + 1}"
        how = (
            f"roster estimated by {opts.roster!r} from {len(wins)} windows seen "
            f"({', '.join(sorted(wins)[:6])}{'...' if len(wins) > 6 else ''}); "
            "the log has no roster: see the fit report; --roster-file overrides it"
        )
        if given is not None:
            mine = given.get(gname, given.get("*"))
            if mine is not None:
                staffed = mine
                count = max(max(mine.values()), 1)
                how = f"roster given in {opts.roster_file} (not estimated)"
        wg: dict[str, Any] = {
            "name": gname,
            "count": count,
            "matters": ["*"] if single else list(g["matters"]),
            "staffed": staffed,
        }
        comments[f"windows.{gi}.staffed"] = how
        windows_out.append(wg)
        for p in range(nper):
            rrows.append(
                {
                    "group": gname,
                    "period": format_clock(starts[p]),
                    "names": names_per[p],
                    "busy": busy[p],
                    "busy_while_waiting": bww[p],
                    "waiting_share": bw["wait_minutes"][p] / (D * P),
                    "service_adjust": adjust[p],
                    "peak_busy": bw["peak_busy_mean"][p],
                    "fitted": level[p],
                }
            )
    tables["roster"] = pd.DataFrame(rrows)

    # ---- scenario
    sc: dict[str, Any] = {
        "name": opts.name,
        "description": f"fitted by hallsim fit from {', '.join(log.files)}; days {opts.days}",
        "run": {"mode": "day", "replications": 20, "seed": 1},
        "hall": {"open": format_clock(open_), "close": format_clock(close), "period_min": P},
        "arrivals": {
            "rate_per_hour": {format_clock(s): _r(r) for s, r in zip(starts, rate, strict=True)}
        },
        "matters": matters,
        "layout": {"queue": "single"},
        "windows": windows_out,
        "attitude_effects": {"enabled": False},
    }
    if opts.target_min is not None:
        sc["hall"]["service_level_target_min"] = opts.target_min
    if close >= 1440:
        sc["hall"]["close"] = "24:00"
    comments["hall.open"] = "opening hours from the log (0.2% / 99.8% quantiles of ticket times)"
    comments["attitude_effects.enabled"] = (
        "a fitted queue: service times already include the clerks' attitude"
    )
    if pooled:
        bp = pooled[0]
        sc["patience"] = {"renege_min": bp.spec()}
        comments["patience.renege_min"] = (
            f"all matters pooled: {int(aband.sum())} abandoned, "
            f"{int((known_wait & ~aband).sum())} served (censored); censored MLE {bp.dist}; "
            "used by matters without their own renege_min"
        )
    pr = tk["priority"].to_numpy()
    if (pr > 0).any():
        share_by = {m: _r(float((pr[(tk["matter"] == m).to_numpy()] > 0).mean())) for m in names}
        w_pri = (
            np.nanmean(wait_all[served_mask & (pr > 0)])
            if (served_mask & (pr > 0)).any()
            else np.nan
        )
        w_reg = (
            np.nanmean(wait_all[served_mask & (pr == 0)])
            if (served_mask & (pr == 0)).any()
            else np.nan
        )
        tables["priority"] = pd.DataFrame(
            {"matter": list(share_by), "priority_share": list(share_by.values())}
        )
        msg = (
            f"priority tickets: {100 * (pr > 0).mean():.1f}%; served priority tickets waited "
            f"{w_pri:.2f} min on average, others {w_reg:.2f} min"
        )
        notes.append(msg)
        if opts.priority == "strict":
            sc["classes"] = [
                {"name": "priority", "share": 0.0, "matter_shares": share_by, "priority": 1}
            ]
            comments["classes"] = msg + "; modelled as strict (non-pre-emptive) priority"
        else:
            comments["layout.queue"] = (
                msg + "; modelled FIFO (--priority ignore): the log's priority is soft, "
                "strict classes (--priority strict) overshoot"
            )
    settled = None
    if opts.return_days > 0 and tk["citizen"].astype(str).ne("").any():
        rv = fit_returns(tk, opts.return_days, close)
        notes.extend(rv.notes)
        tables["returns"] = rv.table()
        settled = rv.settled
        if rv.returned > 0:
            _write_returns(sc, comments, rv, opts.return_days, float(served_mask.mean()))
    elif opts.return_days > 0:
        notes.append("no citizen id column: return visits not fitted (attitude effects off)")
    if tk["rating"].notna().any():
        _fit_satisfaction(sc, comments, notes, tables, tk, wait_all, settled, opts.min_ratings)
    return FitResult(
        sc,
        comments,
        log,
        open_,
        close,
        [pd.Timestamp(d) for d in days],
        tables,
        service_fits,
        samples,
        patience_fits,
        km,
        notes,
    )


def _names_per_period(tk, day_index, open_, P, nper, D) -> np.ndarray:
    """Mean over days of the distinct windows that started a service in each period."""
    if not len(tk):
        return np.zeros(nper)
    p = np.clip(((tk["start"].to_numpy() - open_) // P).astype(np.int64), 0, nper - 1)
    f = pd.DataFrame({"d": day_index, "p": p, "w": tk["window"].to_numpy()})
    n = f.drop_duplicates().groupby("p").size()
    out = np.zeros(nper)
    out[n.index.to_numpy()] = n.to_numpy() / D
    return out


def _window_speeds(srv: pd.DataFrame, groups, service_fits) -> pd.DataFrame:
    """Each window's mean service over the mean its own matter mix predicts."""
    rows = []
    dur = (srv["end"] - srv["start"]).to_numpy(dtype=float)
    mmean = pd.Series(dur).groupby(srv["matter"].to_numpy()).mean()
    expected = srv["matter"].map(mmean).to_numpy()
    f = pd.DataFrame({"w": srv["window"].to_numpy(), "d": dur, "e": expected})
    agg = f.groupby("w").agg(n=("d", "size"), d=("d", "mean"), e=("e", "mean"))
    for gi, g in enumerate(groups):
        for w in g["windows"]:
            if w in agg.index:
                r = agg.loc[w]
                rows.append(
                    {
                        "group": gi + 1,
                        "window": w,
                        "services": int(r.n),
                        "relative_speed": r.d / r.e,
                    }
                )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- roster file


def load_roster(path: str, groups: list[str]) -> dict[str, dict[str, int]]:
    """A roster file (TOML) that replaces the estimated one.

    ``[staffed]`` with ``"HH:MM" = windows`` entries sets every group's roster
    (each level holds until the next time); with several window groups,
    ``[staffed.group1]``, ``[staffed.group2]`` ... set each (the group names
    the fit gives, in the fit report).  ``LogError`` names the file and key.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise LogError(path, "roster file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LogError(path, f"not a valid TOML roster: {exc}") from None
    table = data.get("staffed")
    if set(data) != {"staffed"} or not isinstance(table, dict) or not table:
        raise LogError(path, '[staffed]: expected a table "HH:MM" = windows (and nothing else)')

    def levels(tab: dict, where: str) -> dict[str, int]:
        out = {}
        for key, val in tab.items():
            try:
                t = _clock_arg(key, f"{where}.{key}")
            except LogError:
                raise LogError(path, f"{where}.{key}: expected a time HH:MM") from None
            if isinstance(val, bool) or not isinstance(val, int) or val < 0:
                raise LogError(path, f"{where}.{key}: expected a whole number of windows >= 0")
            out[format_clock(t)] = val
        return dict(sorted(out.items()))

    if all(not isinstance(v, dict) for v in table.values()):
        return {"*": levels(table, "staffed")}
    out = {}
    for g, tab in table.items():
        if g not in groups or not isinstance(tab, dict):
            raise LogError(
                path, f"staffed.{g}: no such window group; the fit's groups are {groups}"
            )
        out[g] = levels(tab, f"staffed.{g}")
    return out


# --------------------------------------------------------------------------- returns


@dataclass
class ReturnFit:
    """Return visits found from citizen ids (``fit_returns``)."""

    eligible: int  # served visits followed up for the whole window
    returned: int  # of them, followed by another ticket of the same citizen in the window
    same_day: int  # of those, the next ticket the same day
    possible_same_day: float  # expected same-day returns if every returner came back today
    delays: np.ndarray  # same-day delays (next ticket − service end), minutes
    delay_fits: list[DistFit]
    retried_after_abandon: int  # abandoned tickets followed by a ticket the same day
    settled: np.ndarray  # per ticket: served and not followed by a return (for calibrate)
    notes: list[str]
    follow_up_short: bool  # the log is too short for full follow-up; share biased low

    @property
    def fcr(self) -> float:
        return 1 - self.returned / self.eligible if self.eligible else 1.0

    @property
    def same_day_share(self) -> float:
        if self.possible_same_day <= 0:
            return 0.0
        return float(min(1.0, self.same_day / self.possible_same_day))

    def same_day_interval(self) -> tuple[float, float]:
        """95% Wilson interval of the same-day share (treating the expected number
        of possible same-day returns as the trials)."""
        trials = max(round(self.possible_same_day), self.same_day)
        return wilson(self.same_day, trials)

    def table(self) -> pd.DataFrame:
        lo, hi = wilson(self.returned, self.eligible)
        slo, shi = self.same_day_interval()
        return pd.DataFrame(
            {
                "quantity": [
                    "served visits followed up",
                    "followed by a return",
                    "first-contact resolution",
                    "returns the same day",
                    "same-day share (corrected for closing)",
                    "mean same-day delay (min)",
                    "abandoned, came back the same day",
                ],
                "value": [
                    self.eligible,
                    self.returned,
                    f"{self.fcr:.4f} [{1 - hi:.4f}, {1 - lo:.4f}]",
                    self.same_day,
                    f"{self.same_day_share:.4f} [{slo:.4f}, {shi:.4f}]",
                    f"{self.delays.mean():.3g}" if len(self.delays) else "",
                    self.retried_after_abandon,
                ],
            }
        )


def fit_returns(tk: pd.DataFrame, window_days: int, close: float) -> ReturnFit:
    """Return visits from hashed citizen ids.

    A served ticket whose citizen takes another ticket within ``window_days``
    days (counted in calendar days) was not settled: that estimates the
    first-contact resolution (FCR).  Only served tickets at least
    ``window_days`` before the log's last day count, so every one was followed
    up for the whole window (unless that leaves fewer than 50).  Same-day
    returns give the delay (next ticket − service end) and the same-day share;
    a return that would come after closing cannot be seen the same day, so the
    share divides by Σ F(close − end) over the returners (F the fitted delay
    distribution) rather than by their count — the model sends such returns to
    a later day as well.  Abandoned citizens who come back are counted, not
    modelled (hallsim's abandoners do not return).
    """
    has_id = tk["citizen"].astype(str).ne("").to_numpy()
    day_no = (tk["day"].to_numpy().astype("datetime64[D]").astype(np.int64)).astype(float)
    f = pd.DataFrame(
        {
            "i": np.arange(len(tk)),
            "c": tk["citizen"].astype(str).to_numpy(),
            "d": day_no,
            "a": tk["arrive"].to_numpy(dtype=float),
            "e": tk["end"].to_numpy(dtype=float),
            "o": tk["outcome"].to_numpy(),
        }
    )[has_id]
    f = f.sort_values(["c", "d", "a"], kind="stable")
    same_c = f["c"].to_numpy()[1:] == f["c"].to_numpy()[:-1]
    nd = np.append(np.where(same_c, f["d"].to_numpy()[1:], np.nan), np.nan)
    na = np.append(np.where(same_c, f["a"].to_numpy()[1:], np.nan), np.nan)
    d, e = f["d"].to_numpy(), f["e"].to_numpy()
    served = (f["o"] == "served").to_numpy()
    with np.errstate(invalid="ignore"):
        ret = served & (nd - d <= window_days)
        today = ret & (nd == d)
    last = float(np.nanmax(day_no))
    elig = served & (d <= last - window_days)
    notes = []
    short = int(elig.sum()) < 50
    if short:
        elig = served.copy()
        notes.append(
            f"the log spans too few days to follow each visit up for {window_days} days: "
            "first-contact resolution is biased high (returns after the log ends are unseen)"
        )
    delays = (na - e)[today]
    delays = delays[delays > 0]
    fits = fit_service(delays) if len(delays) >= 2 and np.ptp(delays) > 0 else []
    if fits:
        cdf = fits[0].frozen().cdf
        possible = float(cdf(np.maximum(close - e[ret & elig], 0)).sum())
    elif len(delays):
        possible = float(np.sum(close - e[ret & elig] >= delays.mean()))
    else:
        possible = float((ret & elig).sum())
    settled = np.zeros(len(tk), dtype=bool)
    settled[f["i"].to_numpy()[served & ~ret]] = True
    settled[~has_id & (tk["outcome"] == "served").to_numpy()] = True
    aband = (f["o"] == "abandoned").to_numpy()
    retried = int((aband & (nd == d)).sum())
    rv = ReturnFit(
        int(elig.sum()),
        int((ret & elig).sum()),
        int((today & elig).sum()),
        possible,
        delays,
        fits,
        retried,
        settled,
        notes,
        short,
    )
    notes.append(
        f"return visits (same citizen id within {window_days} days): {rv.returned} of "
        f"{rv.eligible} served visits, FCR {rv.fcr:.3f}; {rv.same_day} the same day; "
        f"{retried} abandoned citizens came back the same day (not modelled)"
    )
    return rv


def _same_day_reach(sc: dict, rv: ReturnFit) -> float:
    """ḡ: the share of the day's arrivals whose same-day return would still come before
    arrivals stop (rate-weighted, over the fitted delay's quantiles)."""
    from hallsim.scenario import parse_clock

    open_, close = parse_clock(sc["hall"]["open"]), parse_clock(sc["hall"]["close"])
    keys = sorted((parse_clock(k), v) for k, v in sc["arrivals"]["rate_per_hour"].items())
    t = np.arange(open_, close) + 0.5
    starts = np.array([k for k, _ in keys])
    rates = np.array([v for _, v in keys])
    lam = rates[np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(rates) - 1)]
    if rv.delay_fits:
        delays = rv.delay_fits[0].frozen().ppf((np.arange(64) + 0.5) / 64)
    elif len(rv.delays):
        delays = np.array([rv.delays.mean()])
    else:
        return 0.0
    reach = (t[:, None] + delays[None, :] < close).mean(axis=1)
    return float(np.sum(lam * reach) / np.sum(lam)) if lam.sum() > 0 else 0.0


def _write_returns(
    sc: dict, comments: dict, rv: ReturnFit, window_days: int, served_share: float
) -> None:
    """Returns in the scenario: attitude effects on with every attitude effect neutral,
    so only the fitted FCR and return timing act (docs/model.md §2)."""
    lo, hi = wilson(rv.returned, rv.eligible)
    ae: dict[str, Any] = {
        "enabled": True,
        "fcr_base": _r(rv.fcr),
        "fcr_per_unit": 0.0,
        "care_time_per_unit": 0.0,
        "rework_time_per_unit": 0.0,
        "return_same_day_share": _r(rv.same_day_share),
    }
    short = "; follow-up shorter than the window: biased high" if rv.follow_up_short else ""
    comments["attitude_effects.enabled"] = (
        "on only to model return visits found in the log; the attitude effects on "
        "service time and FCR are set neutral (0) below: a fitted queue already holds them"
    )
    comments["attitude_effects.fcr_base"] = (
        f"first-contact resolution: n={rv.eligible} served visits, {rv.returned} followed by "
        f"a ticket of the same citizen within {window_days} days; 95% Wilson "
        f"[{1 - hi:.4f}, {1 - lo:.4f}]{short}"
    )
    slo, shi = rv.same_day_interval()
    comments["attitude_effects.return_same_day_share"] = (
        f"{rv.same_day} of {rv.returned} returns came the same day; divided by "
        f"{rv.possible_same_day:.1f}, the returns that could have come back before closing "
        f"under the fitted delay; 95% Wilson [{slo:.4f}, {shi:.4f}]"
    )
    if rv.delay_fits:
        best = rv.delay_fits[0]
        ae["return_delay_min"] = _r(float(rv.delays.mean()))
        ae["return_delay"] = best.spec()
        ci = f", mean 95% [{best.mean_ci[0]:.3g}, {best.mean_ci[1]:.3g}]" if best.mean_ci else ""
        comments["attitude_effects.return_delay_min"] = (
            f"mean same-day delay (next ticket - service end), n={len(rv.delays)}"
        )
        comments["attitude_effects.return_delay"] = (
            f"n={len(rv.delays)} same-day delays; MLE, best AIC of "
            + "/".join(f.dist for f in rv.delay_fits)
            + f"{ci}; KS {best.ks:.3f}"
        )
    elif len(rv.delays):
        ae["return_delay_min"] = _r(float(rv.delays.mean()))
        comments["attitude_effects.return_delay_min"] = (
            f"mean same-day delay, n={len(rv.delays)} (too few for a distribution)"
        )
    sc["attitude_effects"] = ae
    # hallsim thins the ticket rate by the same-day returns every arrival would cause,
    # but only served citizens return: counted_fcr makes up the difference so that the
    # simulated total (new + earlier days' + same-day returns) matches the log's counts
    g = _same_day_reach(sc, rv)
    back = rv.same_day_share * (1 - rv.fcr) * g
    counted = rv.fcr * (1 - served_share * back) / (1 - back) if back < 1 else rv.fcr
    sc["arrivals"]["include_returns"] = True
    sc["arrivals"]["counted_fcr"] = _r(min(1.0, counted))
    comments["arrivals.include_returns"] = (
        "the log's ticket counts contain the return visits: simulated total arrivals match "
        "the rates at counted_fcr"
    )
    comments["arrivals.counted_fcr"] = (
        f"the fitted FCR {rv.fcr:.4f} x (1 - {served_share:.3f} x {back:.4f}) / "
        f"(1 - {back:.4f}): only the served ({served_share:.1%}) return, while the rate is "
        f"thinned for every arrival's same-day return ({back:.4f} = same-day share x "
        f"(1 - FCR) x {g:.3f}, the share of arrivals whose return comes before closing)"
    )


# --------------------------------------------------------------------------- satisfaction


def _fit_satisfaction(sc, comments, notes, tables, tk, wait_all, settled, min_ratings) -> None:
    """[satisfaction] cut-points and coefficients from the log's 好差评 ratings
    (``hallsim.calibrate``: ordered logit, maximum likelihood), or a note why not."""
    rated = tk["rating"].notna().to_numpy() & np.isfinite(wait_all)
    n = int(rated.sum())
    rating = tk["rating"].to_numpy()[rated]
    levels = np.bincount(np.rint(rating).astype(int), minlength=6)[1:]
    why = None
    if n < min_ratings:
        why = f"only {n} rated tickets (at least {min_ratings} needed)"
    elif (levels == 0).any():
        miss = ", ".join(str(k + 1) for k in np.flatnonzero(levels == 0))
        why = f"no ticket rated {miss}: the four cut-points cannot be fitted"
    if why:
        notes.append(f"satisfaction not calibrated: {why}; [satisfaction] keeps its defaults")
        return
    from hallsim.calibrate import CUTPOINT_NAMES, calibrate

    aband = (tk["outcome"] == "abandoned").to_numpy()[rated]
    survey = pd.DataFrame(
        {
            "rating": np.rint(rating).astype(int),
            "wait_min": np.clip(wait_all[rated], 0, 1440),
            "abandoned": aband.astype(int),
        }
    )
    if settled is not None:
        survey["settled"] = settled[rated].astype(int)
    try:
        cal = calibrate(survey, source="ticket log")
    except ValueError as exc:
        notes.append(f"satisfaction not calibrated: {exc}")
        return
    method = f"n={cal.n} rated tickets; ordered logit MLE (hallsim calibrate)"
    out: dict[str, Any] = {}
    ses = [cal.std_errors.get(c) for c in CUTPOINT_NAMES]
    out["cutpoints"] = [_r(v) for v in cal.config.cutpoints]
    comments["satisfaction.cutpoints"] = f"{method}; SE " + ", ".join(
        f"{s:.2g}" for s in ses if s is not None
    )
    estimates, errors, nf = dict(cal.estimates), dict(cal.std_errors), dict(cal.not_fitted)
    extra = {}
    if (
        "beta_unsettled" in estimates
        and "beta_abandoned" not in estimates
        and "collinear" in nf.get("beta_abandoned", "")
    ):
        # every unsettled visit in this log is an abandonment (no served visit was
        # followed by a return), so only beta_unsettled + beta_abandoned is identified:
        # keep beta_unsettled at its default and give abandonment the rest
        total, kept = estimates.pop("beta_unsettled"), cal.base.beta_unsettled
        estimates["beta_abandoned"] = total - kept
        errors["beta_abandoned"] = errors["beta_unsettled"]
        extra["beta_abandoned"] = (
            f"; abandoners are the only unsettled visits here, so the fit gives "
            f"beta_unsettled + beta_abandoned = {total:.4g}; beta_unsettled kept at its "
            f"default {kept:g}"
        )
        nf.pop("beta_abandoned")
        nf["beta_unsettled"] = "not separable from beta_abandoned in this log"
    for name, est in estimates.items():
        if name in CUTPOINT_NAMES:
            continue
        se = errors[name]
        out[name] = _r(est)
        comments[f"satisfaction.{name}"] = (
            f"{method}; 95% [{est - 1.96 * se:.4g}, {est + 1.96 * se:.4g}]{extra.get(name, '')}"
        )
    not_fitted = "; ".join(f"{k}: {v}" for k, v in nf.items())
    notes.append(f"satisfaction calibrated from {cal.n} ratings; kept at defaults: {not_fitted}")
    sc["satisfaction"] = out
    tables["satisfaction"] = cal.table()


# --------------------------------------------------------------------------- writing


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "0.0"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_value(k)


def to_toml(res: FitResult) -> str:
    """The fitted scenario as TOML, each fitted value with its comment above it."""
    sc, cm = res.scenario, res.comments
    lines = [
        "# Fitted by `hallsim fit` (docs/fitting.md). Each comment gives n, the estimate's",
        "# interval and the method. 由 hallsim fit 从叫号日志拟合。",
    ]
    for note in res.notes:
        lines.append(f"# note: {note}")
    lines.append("")

    def emit(path: str, key: str, value: Any) -> None:
        if path in cm:
            lines.append(f"# {cm[path]}")
        lines.append(f"{_key(key)} = {_toml_value(value)}")  # TOML 1.0: inline tables on one line

    for key in ("name", "description"):
        emit(key, key, sc[key])
    tables = ("run", "hall", "arrivals", "layout", "patience", "attitude_effects", "satisfaction")
    for table in tables:
        if table in sc:
            lines += ["", f"[{table}]"]
            for k, v in sc[table].items():
                emit(f"{table}.{k}", k, v)
    for arr in ("matters", "windows", "classes"):
        for i, item in enumerate(sc.get(arr, [])):
            if arr in cm and i == 0:
                lines += ["", f"# {cm[arr]}"]
            lines += ["", f"[[{arr}]]"]
            for k, v in item.items():
                emit(f"{arr}.{i}.{k}", k, v)
    return "\n".join(lines) + "\n"
