"""A ticket-log generator for tests: simulate a known scenario, write its log.

``simulated_log`` runs the reference model for ``days`` days and returns the
tickets as a DataFrame with the ``qms-zh`` Chinese headers; ``write_log``
writes it as UTF-8 / GB18030 CSV or XLSX; ``messy`` adds the quirks of real
exports (duplicates, missing call times, missed calls re-called, times past
midnight, tickets after close, ghost rows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hallsim.experiment import trace_replication
from hallsim.model import BALKED, RENEGED, SERVED
from hallsim.scenario import Scenario

HEAD = {
    "ticket": "票号",
    "matter": "业务类型",
    "ticket_time": "取号时间",
    "call_time": "叫号时间",
    "start_time": "开始办理时间",
    "end_time": "办结时间",
    "window": "窗口号",
    "status": "状态",
    "citizen": "证件号(脱敏)",
}


def _stamp(day: pd.Timestamp, minutes: np.ndarray) -> list[str]:
    out = []
    for m in minutes:
        if np.isnan(m):
            out.append("")
        else:
            out.append(
                (day + pd.Timedelta(seconds=round(float(m) * 60))).strftime("%Y-%m-%d %H:%M:%S")
            )
    return out


def simulated_log(
    scenario: Scenario, days: int = 5, seed: int = 1, first_day: str = "2024-03-04"
) -> pd.DataFrame:
    """``days`` simulated days of ``scenario`` as a qms-zh ticket log (one row per ticket).

    Citizen ids (证件号) follow the model's return visits: a same-day return
    visit carries the id of the unsettled visit it comes from (paired by its
    arrival = that visit's end + ``return_delay_min``: a fixed delay is
    needed), and every other unsettled served citizen comes back on the next
    day, taking over the id of a ticket drawn at random from that day's first
    visits (with ``include_returns`` the next day's tickets already hold the
    earlier days' returns).  So the log's first-contact resolution is the
    scenario's, and its same-day share is ``return_same_day_share`` of the
    citizens whose return falls before closing.
    """
    ae = scenario.attitude_effects
    if ae.return_delay is not None:
        raise ValueError("simulated_log pairs return visits by a fixed return_delay_min")
    delay = ae.return_delay_min
    rng = np.random.default_rng([seed, 7])
    traces = [trace_replication(scenario, seed, d, engine="simpy") for d in range(days)]
    ids = [
        np.array([f"C{d:03d}{i:05d}" for i in range(len(tr.arrival_min))], dtype=object)
        for d, tr in enumerate(traces)
    ]
    carried: list[str] = []  # ids of citizens coming back the next day
    frames = []
    day0 = pd.Timestamp(first_day)
    for d, tr in enumerate(traces):
        day = day0 + pd.Timedelta(days=d)
        served = tr.outcome == SERVED
        gone = (tr.outcome == RENEGED) | (tr.outcome == BALKED)
        cid = ids[d]
        first = np.flatnonzero(~tr.is_return)
        take = rng.choice(first, size=min(len(carried), len(first)), replace=False)
        cid[take] = carried[: len(take)]
        unsettled = served & ~tr.settled
        back_of = {}  # (matter, end + delay) -> visit index of an unsettled citizen
        for k in np.flatnonzero(unsettled):
            back_of.setdefault((int(tr.matter[k]), float(tr.end_min[k] + delay)), []).append(k)
        came_back = np.zeros(len(cid), dtype=bool)
        for j in np.flatnonzero(tr.is_return)[np.argsort(tr.arrival_min[tr.is_return])]:
            ks = back_of.get((int(tr.matter[j]), float(tr.arrival_min[j])))
            if ks:
                k = ks.pop(0)
                cid[j] = cid[k]
                came_back[k] = True
        carried = list(cid[unsettled & ~came_back])
        names = np.asarray(scenario.matter_names, dtype=object)
        n = len(tr.arrival_min)
        frames.append(
            pd.DataFrame(
                {
                    HEAD["ticket"]: [f"A{d:02d}{i:04d}" for i in range(n)],
                    HEAD["matter"]: names[tr.matter],
                    HEAD["ticket_time"]: _stamp(day, tr.arrival_min),
                    HEAD["call_time"]: _stamp(day, np.where(served, tr.call_min, np.nan)),
                    HEAD["start_time"]: _stamp(day, np.where(served, tr.call_min, np.nan)),
                    HEAD["end_time"]: _stamp(day, np.where(served, tr.end_min, np.nan)),
                    HEAD["window"]: np.where(served, [f"W{w + 1}" for w in tr.window], ""),
                    HEAD["status"]: np.where(served, "已办结", np.where(gone, "弃号", "未办理")),
                    "离开时间": _stamp(day, np.where(gone, tr.end_min, np.nan)),
                    HEAD["citizen"]: cid,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def add_ratings(log: pd.DataFrame, config=None, share: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """The log with a 评价 column drawn from the satisfaction model ``config``.

    Each rated ticket's rating is drawn from the model's five probabilities for
    its wait (ticket to call, or to leaving), its outcome (served or abandoned)
    and settled = served, at the reference attitude; ``share`` of the tickets
    are rated, the others left blank (most citizens do not rate).
    """
    from hallsim.satisfaction import (
        COMPONENTS,
        OUTCOME_RENEGED,
        OUTCOME_SERVED,
        SatisfactionConfig,
        latent_score,
        probabilities_from_eta,
    )

    cfg = config or SatisfactionConfig()
    rng = np.random.default_rng(seed)
    t0 = pd.to_datetime(log[HEAD["ticket_time"]])
    served = log[HEAD["status"]].eq("已办结").to_numpy()
    stop = pd.to_datetime(log[HEAD["call_time"]].where(served, log["离开时间"]).replace("", None))
    wait = ((stop - t0).dt.total_seconds() / 60).to_numpy(dtype=float)
    n = len(log)
    visits = {
        "wait_min": np.nan_to_num(wait),
        "outcome": np.where(served, OUTCOME_SERVED, OUTCOME_RENEGED).astype(np.int8),
        "settled": served,
        "overtaken": np.zeros(n, dtype=np.int64),
        **{c: np.full(n, cfg.attitude_reference) for c in COMPONENTS},
    }
    probs = probabilities_from_eta(latent_score(visits, cfg.comfort_reference, cfg), cfg.cutpoints)
    u = rng.random(n)
    rating = 1 + (u[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)
    rated = (rng.random(n) < share) & np.isfinite(wait)
    out = log.copy()
    out["评价"] = np.where(rated, rating.astype(str), "")
    return out


def messy(log: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, dict[str, int]]:
    """The log with real-export quirks added; returns it and how many of each were added."""
    rng = np.random.default_rng(seed)
    df = log.copy()
    n = len(df)
    served = np.flatnonzero(df[HEAD["status"]].to_numpy() == "已办结")
    pick = rng.choice(served, size=min(len(served), 12), replace=False)
    dup, nocall, missed = pick[:4], pick[4:8], pick[8:12]
    extra = [df.iloc[dup]]  # exact duplicates
    m = df.iloc[missed].copy()  # a missed call (过号) earlier, then re-called (the kept row)
    m[HEAD["status"]] = "过号"
    m[HEAD["start_time"]] = ""
    m[HEAD["end_time"]] = ""
    extra.append(m)
    df.loc[df.index[nocall], [HEAD["call_time"], HEAD["start_time"]]] = ""  # missing call time
    last = pd.to_datetime(df[HEAD["ticket_time"]]).max()
    late = df.iloc[[0, 1]].copy()  # after close, served past midnight
    late[HEAD["ticket"]] = ["L1", "L2"]
    late[HEAD["ticket_time"]] = (last.normalize() + pd.Timedelta(hours=23, minutes=50)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    nxt = last.normalize() + pd.Timedelta(days=1)
    late[HEAD["call_time"]] = late[HEAD["start_time"]] = (nxt + pd.Timedelta(minutes=5)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    late[HEAD["end_time"]] = (nxt + pd.Timedelta(minutes=9)).strftime("%Y-%m-%d %H:%M:%S")
    late[HEAD["status"]] = "已办结"
    extra.append(late)
    ghost = df.iloc[[2]].copy()
    ghost[HEAD["ticket"]] = "T0"
    ghost[HEAD["status"]] = "作废"
    extra.append(ghost)
    out = pd.concat([df, *extra], ignore_index=True)
    out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)
    assert len(out) == n + 4 + 4 + 2 + 1
    return out, {"duplicate": 4, "missed_recalled": 4, "missing_call": 4, "late": 2, "ghost": 1}


def write_log(log: pd.DataFrame, path: str | Path, encoding: str = "utf-8") -> Path:
    """Write as CSV (``encoding`` utf-8, utf-8-sig or gb18030) or, for .xlsx, a workbook."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        log.to_excel(path, index=False, engine="openpyxl")
    else:
        log.to_csv(path, index=False, encoding=encoding)
    return path
