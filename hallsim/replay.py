"""A replay of one simulated day for presenters: the hall's floor plan, played.

``replay_data(results)`` turns ``citizens.parquet`` (written by ``--log``) of
one replication into compact columns per scenario; ``templates/replay.html.j2``
draws them on a canvas with inline JavaScript (no network): windows as boxes
coloured by group and lit while they serve, the waiting crowd of each queue as
dots, a clock, play/pause, a speed control and a time slider.  In a compare the
scenarios play side by side on one clock, on the **same replication**, so they
see the same arrivals (common random numbers).

Every position is read from the log; nothing is simulated.  One replication is
one possible day, not the average day: the replay says so.

A citizen's timeline: arrives at ``arrival_min``; waits in the queue of the
window group that serves them (the group they were called to; for those who
left unserved, the first group serving their matter) until ``arrival_min +
wait_min``; then, if served, is at ``window`` for ``service_min``.  With
``[layout] queue = "per_window"`` the crowd is still shown per window group.
With a roster or breaks, a group's windows beyond its staffed level are shown
closed; the log does not say which window a clerk left, so the closed ones
are drawn as the idle windows with the highest numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from hallsim.plots import OKABE_ITO, Results

MAX_SCENARIOS = 3
"""Scenarios drawn side by side (a compare of more shows the first three)."""


def _round(values: pd.Series, digits: int = 2) -> list[float | None]:
    """Minutes as short JSON numbers; NaN becomes null."""
    return [None if (v is None or math.isnan(v)) else round(float(v), digits) for v in values]


def _clock_min(text: Any, default: float) -> float:
    try:
        h, m = str(text).split(":")
        return 60 * int(h) + int(m)
    except (ValueError, AttributeError):
        return default


def _groups(settings: dict[str, Any], log: pd.DataFrame) -> list[dict[str, Any]]:
    """Window groups in scenario order with their global window indices.

    The model numbers windows group after group in the scenario's order; the
    log's (window, group) pairs are used instead wherever they say otherwise.
    """
    groups = []
    start = 0
    for i, w in enumerate(settings.get("windows", [])):
        count = int(w.get("count", 0) or 0)
        groups.append(
            {
                "name": str(w.get("name", f"group {i + 1}")),
                "matters": list(w.get("matters", [])),
                "windows": list(range(start, start + count)),
                "colour": OKABE_ITO[i % (len(OKABE_ITO) - 1)],  # the last (yellow) is weak
                "staffed": staffing_steps(w),
            }
        )
        start += count
    seen = log.dropna(subset=["window_group"])
    seen = seen[seen["window"] >= 0]
    by_name = {g["name"]: g for g in groups}
    for name, windows in seen.groupby("window_group")["window"]:
        g = by_name.get(name)
        used = sorted({int(w) for w in windows})
        if g is not None and not set(used) <= set(g["windows"]):
            g["windows"] = sorted(set(g["windows"]) | set(used))
    return groups


def staffing_steps(window: dict[str, Any]) -> list[list[float]] | None:
    """A window group's staffed windows through the day as [[minute, level], ...]
    (the level holds from that minute on), from its roster (``staffed``: 0 before
    the first key) less its ``breaks``; None when the group has neither (all open)."""
    staffed = window.get("staffed")
    breaks = window.get("breaks") or []
    if not staffed and not breaks:
        return None
    count = int(window.get("count", 0) or 0)
    roster = sorted((_clock_min(k, 0.0), int(v)) for k, v in (staffed or {}).items())
    spans = [
        (_clock_min(b.get("start"), 0.0), _clock_min(b.get("end"), 0.0), int(b.get("windows", 1)))
        for b in breaks
    ]
    changes = {0.0, *(t for t, _ in roster)}
    for start, end, _ in spans:
        changes |= {start, end}
    times = sorted(changes)

    def level(t: float) -> int:
        base = count if not roster else 0
        for start, n in roster:
            if start <= t:
                base = n
        away = sum(n for a, b, n in spans if a <= t < b)
        return max(0, min(count, base) - away)

    steps: list[list[float]] = []
    for t in times:
        if not steps or steps[-1][1] != level(t):
            steps.append([t, level(t)])
    return steps


def _queue_of(matter: str, groups: list[dict[str, Any]]) -> int:
    for i, g in enumerate(groups):
        if "*" in g["matters"] or matter in g["matters"]:
            return i
    return 0


def scenario_replay(res: Results, scenario: str, replication: int) -> dict[str, Any]:
    """One scenario's day as columns: arrival, call (null if unserved), leave,
    window (-1 if unserved) and queue (index into ``groups``) per citizen."""
    log = res.table("citizens")
    assert log is not None
    day = log[(log["scenario"] == scenario) & (log["replication"] == replication)]
    day = day.sort_values("arrival_min", kind="stable")
    settings = res.settings.get(scenario, {})
    groups = _groups(settings, day)
    index = {g["name"]: i for i, g in enumerate(groups)}
    served = day["outcome"].eq("served").to_numpy()
    arrival = day["arrival_min"].astype(float)
    leave_queue = arrival + day["wait_min"].astype(float)
    service = day["service_min"].astype(float).where(served)
    queue = [
        index.get(g, _queue_of(m, groups)) if isinstance(g, str) else _queue_of(m, groups)
        for g, m in zip(day["window_group"], day["matter"], strict=True)
    ]
    window = [int(w) if s else -1 for w, s in zip(day["window"], served, strict=True)]
    hall = settings.get("hall", {})
    t_open = _clock_min(hall.get("open"), float(arrival.min()) if len(arrival) else 0.0)
    t_close = _clock_min(hall.get("close"), t_open + 480)
    return {
        "name": scenario,
        "groups": [{k: g[k] for k in ("name", "windows", "colour", "staffed")} for g in groups],
        "arrival": _round(arrival),
        "call": _round(leave_queue),
        "end": _round(leave_queue + service.fillna(0.0)),
        "window": window,
        "queue": queue,
        "served": [bool(s) for s in served],
        "open": t_open,
        "close": t_close,
        "citizens": len(day),
    }


def replay_data(res: Results) -> dict[str, Any] | None:
    """The replay of the first common replication of (up to three of) the scenarios,
    or None when the folder has no citizen log (run without ``--log``)."""
    log = res.table("citizens", required=False)
    names = res.scenarios[:MAX_SCENARIOS]
    if log is None or not len(log) or not names:
        return None
    common = None
    for n in names:
        reps = set(log.loc[log["scenario"] == n, "replication"].astype(int))
        common = reps if common is None else common & reps
    if not common:
        return None
    replication = min(common)
    scenarios = [scenario_replay(res, n, replication) for n in names]
    start = min(s["open"] for s in scenarios)
    ends = [max([s["close"], *[e for e in s["end"] if e is not None]]) for s in scenarios]
    return {
        "replication": replication,
        "start": start,
        "end": max(ends),
        "scenarios": scenarios,
        "left_out": res.scenarios[MAX_SCENARIOS:],
    }


def replay_json(data: dict[str, Any]) -> str:
    """JSON safe to put inside an HTML <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def replay_context(res: Results) -> dict[str, Any] | None:
    """What ``templates/replay.html.j2`` needs, or None without a citizen log."""
    data = replay_data(res)
    if data is None:
        return None
    return {
        "json": replay_json(data),
        "replication": data["replication"],
        "citizens": [s["citizens"] for s in data["scenarios"]],
        "names": [s["name"] for s in data["scenarios"]],
        "left_out": data["left_out"],
    }
