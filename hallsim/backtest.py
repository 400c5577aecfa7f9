"""Backtesting a scenario against a ticket log: what the log shows vs what hallsim predicts.

Observed and simulated days go through the same function (``day_metrics``),
so every metric has one definition:

- ``arrived``, ``served``: tickets taken / served in the period (by ticket time);
- ``abandoned_share``: abandoned / arrived;
- ``wait_mean_min``, ``wait_p90_min``: wait (ticket to call) of served citizens;
- ``service_level``: share of arrived citizens called within the hall's
  ``service_level_target_min``;
- ``queue_len_mean``: time-average number waiting, reconstructed from each
  ticket's wait (ticket to call, or to leaving);
- ``utilisation``: busy window-minutes / window-minutes the scenario's roster
  staffs in the period.

The observed value is the log's over the chosen days (the per-day mean for
counts and the queue, the pooled ratio for shares and waits).  Each
replication simulates one day; with ``day_load="observed"`` replication r has
the load of observed day r mod D (the scenario's rates scaled to that day's
ticket count), so the spread of simulated days carries the real day-to-day
spread of demand.  ``pi_*`` is the 2.5–97.5% range of the replications (a
95% prediction interval for one day), ``ci_*`` the Student-t 95% interval of
their mean, and ``days_inside`` the share of observed days whose own value
falls inside the prediction interval (nominal 0.95).
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hallsim.engines.trace import BALKED, RENEGED, SERVED
from hallsim.experiment import trace_replication, worker_pool
from hallsim.metrics import rostered_window_minutes
from hallsim.scenario import Scenario, format_clock
from hallsim.stats import interval
from hallsim.ticketlog import LogError, TicketLog

BT_METRICS = (
    "arrived",
    "served",
    "abandoned_share",
    "wait_mean_min",
    "wait_p90_min",
    "service_level",
    "queue_len_mean",
    "utilisation",
)
POOLED = {"abandoned_share", "wait_mean_min", "wait_p90_min", "service_level", "utilisation"}
DAY_LOADS = ("observed", "fixed")


@dataclass
class Day:
    """One day's tickets (minutes since midnight): served ones have call/start/end."""

    arrive: np.ndarray
    served: np.ndarray  # bool
    abandoned: np.ndarray  # bool
    call: np.ndarray  # NaN if not served
    leave: np.ndarray  # when an abandoning citizen left (NaN if unknown)
    start: np.ndarray
    end: np.ndarray


def _covered(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total length of the intervals [a, b) inside each bin of ``edges``."""
    out = np.zeros(len(edges) - 1)
    if not len(a):
        return out
    lo = np.maximum(a[:, None], edges[None, :-1])
    hi = np.minimum(b[:, None], edges[None, 1:])
    return np.clip(hi - lo, 0, None).sum(axis=0)


def day_parts(day: Day, edges: np.ndarray, target: float) -> dict[str, np.ndarray]:
    """Per period: the sums the metrics are made of (counts, wait sums, areas)."""
    n = len(edges) - 1
    per = np.searchsorted(edges, day.arrive, side="right") - 1
    inside = (per >= 0) & (per < n)
    per_s = per[inside & day.served]
    wait_s = (day.call - day.arrive)[inside & day.served]
    stop = np.where(day.served, day.call, day.leave)
    stop = np.where(np.isnan(stop), day.arrive, stop)
    # intervals cut into the period bins (a 1-D sweep: sorted prefix sums)
    return {
        "arrived": np.bincount(per[inside], minlength=n).astype(float),
        "served": np.bincount(per_s, minlength=n).astype(float),
        "abandoned": np.bincount(per[inside & day.abandoned], minlength=n).astype(float),
        "wait_sum": np.bincount(per_s, weights=wait_s, minlength=n),
        "within": np.bincount(per_s[wait_s <= target + 1e-9], minlength=n).astype(float),
        "queue_area": _area(day.arrive, stop, edges),
        "busy": _area(day.start[day.served], day.end[day.served], edges),
        "waits": (per_s, wait_s),
    }


def _area(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """∫ #{i: a_i <= t < b_i} dt over each bin, by prefix sums of sorted ends."""
    a, b = np.sort(a), np.sort(b)
    ca = np.concatenate([[0.0], np.cumsum(a)])
    cb = np.concatenate([[0.0], np.cumsum(b)])

    def integral(x):  # ∫_{-inf}^{x} (#started − #ended) dt
        ka = np.searchsorted(a, x, side="right")
        kb = np.searchsorted(b, x, side="right")
        return (ka * x - ca[ka]) - (kb * x - cb[kb])

    v = integral(edges)
    return np.diff(v)


def metrics_from_parts(parts: list[dict], staffed: np.ndarray, lengths: np.ndarray) -> dict:
    """Per-period and overall metrics of one or more days (pooled ratios, per-day counts)."""
    D = len(parts)
    s = {
        k: sum(p[k] for p in parts)
        for k in ("arrived", "served", "abandoned", "wait_sum", "within", "queue_area", "busy")
    }
    per_s = np.concatenate([p["waits"][0] for p in parts])
    wait_s = np.concatenate([p["waits"][1] for p in parts])
    n = len(lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = {
            "arrived": s["arrived"] / D,
            "served": s["served"] / D,
            "abandoned_share": s["abandoned"] / s["arrived"],
            "wait_mean_min": s["wait_sum"] / s["served"],
            "service_level": s["within"] / s["arrived"],
            "queue_len_mean": s["queue_area"] / D / lengths,
            "utilisation": s["busy"] / (D * staffed),
        }
    p90 = np.full(n, np.nan)
    if len(per_s):
        order = np.lexsort((wait_s, per_s))
        ps, ws = per_s[order], wait_s[order]
        bounds = np.searchsorted(ps, np.arange(n + 1))
        for k in range(n):
            if bounds[k + 1] > bounds[k]:
                p90[k] = np.quantile(ws[bounds[k] : bounds[k + 1]], 0.9)
    per["wait_p90_min"] = p90
    tot = {k: float(v.sum()) for k, v in s.items()}
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = {
            "arrived": tot["arrived"] / D,
            "served": tot["served"] / D,
            "abandoned_share": tot["abandoned"] / tot["arrived"] if tot["arrived"] else math.nan,
            "wait_mean_min": tot["wait_sum"] / tot["served"] if tot["served"] else math.nan,
            "wait_p90_min": float(np.quantile(wait_s, 0.9)) if len(wait_s) else math.nan,
            "service_level": tot["within"] / tot["arrived"] if tot["arrived"] else math.nan,
            "queue_len_mean": tot["queue_area"] / D / float(lengths.sum()),
            "utilisation": tot["busy"] / (D * float(staffed.sum())) if staffed.sum() else math.nan,
        }
    return {"periods": per, "overall": overall}


def log_days(log: TicketLog, open_: float, close: float) -> list[Day]:
    """The log's tickets by day, within opening hours."""
    t = log.tickets
    t = t[(t["arrive"] >= open_) & (t["arrive"] < close)]
    out = []
    for _, g in t.groupby("day", sort=True):
        served = (g["outcome"] == "served").to_numpy()
        out.append(
            Day(
                g["arrive"].to_numpy(float),
                served,
                (g["outcome"] == "abandoned").to_numpy(),
                g["call"].to_numpy(float),
                g["leave"].to_numpy(float),
                g["start"].to_numpy(float),
                g["end"].to_numpy(float),
            )
        )
    return out


def trace_day(trace) -> Day:
    served = trace.outcome == SERVED
    gone = (trace.outcome == RENEGED) | (trace.outcome == BALKED)
    return Day(
        trace.arrival_min,
        served,
        gone,
        np.where(served, trace.call_min, np.nan),
        np.where(gone, trace.end_min, np.nan),
        np.where(served, trace.call_min, np.nan),
        np.where(served, trace.end_min, np.nan),
    )


def _edges(scenario: Scenario) -> np.ndarray:
    o, c, p = scenario.hall.open_min, scenario.hall.close_min, scenario.hall.period_min
    return np.append(np.arange(o, c, p), c)


def _sim_one(args) -> dict:
    scenario, seed, rep, edges, target = args
    tr = trace_replication(scenario, seed, rep, engine="auto")
    parts = day_parts(trace_day(tr), edges, target)
    return parts


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every arrival rate multiplied by ``factor``."""
    rate = scenario.arrivals.rate_per_hour
    new = {k: v * factor for k, v in rate.items()} if isinstance(rate, dict) else rate * factor
    return scenario.with_changes({"arrivals.rate_per_hour": new})


def expected_arrivals(scenario: Scenario) -> float:
    sched = [*scenario.rate_schedule(), (scenario.arrival_end_min, 0.0)]
    return sum(r * (b[0] - a) for (a, r), b in itertools.pairwise(sched))


@dataclass
class Backtest:
    scenario: Scenario
    days: int
    replications: int
    seed: int
    day_load: str
    overall: dict[str, dict[str, float | None]]
    periods: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "days": self.days,
            "replications": self.replications,
            "seed": self.seed,
            "day_load": self.day_load,
            "overall": self.overall,
            "periods": self.periods,
            "verdict": self.verdict(),
        }

    def verdict(self, lang: str = "en") -> list[str]:
        """One line per headline measure: how the simulation matches the log (in ``lang``)."""
        from hallsim.i18n import t

        out = []
        for m, label in (("wait_mean_min", "bt.wait"), ("abandoned_share", "bt.abandoned")):
            rows = [
                p[m]
                for p in self.periods
                if p[m]["observed"] is not None and p[m]["pi_low"] is not None
            ]
            k = sum(r["pi_low"] <= r["observed"] <= r["pi_high"] for r in rows)
            o = self.overall[m]
            diff = (o["mean"] or 0) - (o["observed"] or 0)
            direction = "bt.over" if diff > 0 else "bt.under"
            if m == "abandoned_share":
                how = t(direction, lang, by=t("slide.points", lang, n=f"{100 * abs(diff):.1f}"))
            else:
                rel = diff / o["observed"] if o["observed"] else math.nan
                how = t(direction, lang, by=f"{100 * abs(rel):.0f}%")
            r = _corr(self.periods, m)
            out.append(
                t(
                    "bt.verdict",
                    lang,
                    label=t(label, lang),
                    k=k,
                    n=len(rows),
                    how=how,
                    r=f"{r:.2f}",
                    days=f"{100 * (o.get('days_inside') or 0):.0f}",
                )
            )
        return out


def _corr(periods, m) -> float:
    x = np.array([p[m]["observed"] if p[m]["observed"] is not None else np.nan for p in periods])
    y = np.array([p[m]["mean"] if p[m]["mean"] is not None else np.nan for p in periods])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return math.nan
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _band(
    metric: str, obs: float, sims: np.ndarray, days_obs: np.ndarray | None
) -> dict[str, float | None]:
    v = sims[np.isfinite(sims)]
    out: dict[str, float | None] = {"observed": _num(obs)}
    if len(v) == 0:
        out.update(mean=None, ci_low=None, ci_high=None, pi_low=None, pi_high=None)
        return out
    m = float(v.mean())
    sd = float(v.std(ddof=1)) if len(v) > 1 else math.nan
    ci_low, ci_high = interval(metric, m, sd, len(v))  # inside the metric's range
    lo, hi = np.quantile(v, [0.025, 0.975])
    out.update(
        mean=m, ci_low=_num(ci_low), ci_high=_num(ci_high), pi_low=float(lo), pi_high=float(hi)
    )
    if days_obs is not None:
        d = days_obs[np.isfinite(days_obs)]
        out["days_inside"] = float(np.mean((d >= lo) & (d <= hi))) if len(d) else None
    return out


def backtest(
    scenario: Scenario,
    log: TicketLog,
    replications: int = 50,
    seed: int | None = None,
    workers: int = 1,
    day_load: str = "observed",
) -> Backtest:
    """Simulate ``replications`` days of ``scenario`` and compare with the log's days."""
    if scenario.run.mode != "day":
        raise LogError("scenario", "backtest needs a day-mode scenario (run.mode = 'day')")
    if day_load not in DAY_LOADS:
        raise LogError("--day-load", f"expected one of {DAY_LOADS}, got {day_load!r}")
    seed = scenario.run.seed if seed is None else seed
    edges = _edges(scenario)
    lengths = np.diff(edges)
    staffed = np.array(
        [rostered_window_minutes(scenario, a, b) for a, b in itertools.pairwise(edges)]
    )
    target = scenario.hall.service_level_target_min
    days = log_days(log, edges[0], edges[-1])
    if not days:
        raise LogError("log", "no tickets inside the scenario's opening hours")
    obs_parts = [day_parts(d, edges, target) for d in days]
    observed = metrics_from_parts(obs_parts, staffed, lengths)
    per_day = [metrics_from_parts([p], staffed, lengths) for p in obs_parts]
    D = len(days)
    expected = expected_arrivals(scenario)
    scens: dict[int, Scenario] = {}
    jobs = []
    for r in range(replications):
        if day_load == "observed" and expected > 0:
            d = r % D
            if d not in scens:
                scens[d] = scaled(scenario, len(days[d].arrive) / expected)
            sc = scens[d]
        else:
            sc = scenario
        jobs.append((sc, seed, r, edges, target))
    if workers > 1 and replications > 1:
        # not fork: the CSV reader's threads may hold locks a forked child would inherit
        n_w = min(workers, os.cpu_count() or 1)
        with worker_pool(n_w, "forkserver") as ex:
            sim_parts = list(
                ex.map(_sim_one, jobs, chunksize=max(1, replications // (4 * workers)))
            )
    else:
        sim_parts = [_sim_one(j) for j in jobs]
    sims = [metrics_from_parts([p], staffed, lengths) for p in sim_parts]
    overall = {}
    for m in BT_METRICS:
        overall[m] = _band(
            m,
            observed["overall"][m],
            np.array([s["overall"][m] for s in sims], dtype=float),
            np.array([d["overall"][m] for d in per_day], dtype=float),
        )
    periods = []
    for k in range(len(lengths)):
        row: dict[str, Any] = {"start": format_clock(edges[k])}
        for m in BT_METRICS:
            row[m] = _band(
                m,
                observed["periods"][m][k],
                np.array([s["periods"][m][k] for s in sims], dtype=float),
                np.array([d["periods"][m][k] for d in per_day], dtype=float),
            )
        periods.append(row)
    return Backtest(scenario, D, replications, seed, day_load, overall, periods)


def table(
    bt: Backtest,
    metrics: tuple[str, ...] = ("arrived", "abandoned_share", "wait_mean_min", "utilisation"),
) -> pd.DataFrame:
    """Per period: observed, simulated mean and 95% prediction interval of ``metrics``."""
    rows = []
    for p in [*bt.periods, {"start": "all", **bt.overall}]:
        row = {"period": p["start"]}
        for m in metrics:
            b = p[m]
            row[f"{m} obs"] = b["observed"]
            row[f"{m} sim"] = b["mean"]
            row[f"{m} pi"] = (
                f"[{b['pi_low']:.3g}, {b['pi_high']:.3g}]" if b["pi_low"] is not None else "—"
            )
        rows.append(row)
    return pd.DataFrame(rows)
