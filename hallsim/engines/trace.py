"""What an engine returns: the raw trace of one replication, and the outcome codes.

Both engines (``simpy_hall`` and ``fast``) build a ``HallTrace``; metrics are computed
from it afterwards (``hallsim.metrics``), never inside an engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SERVED, BALKED, RENEGED, UNSERVED = 0, 1, 2, 3
# turned away by a full waiting room (hall.max_waiting); lost after a missed call (过号作废)
BLOCKED, MISSED = 4, 5
# a visit's kiosk use (``HallTrace.kiosk``, docs/kiosks-tidal.md): none, done there,
# failed (then a counter), left the kiosk queue
NO_KIOSK, KIOSK_DONE, KIOSK_FAILED, KIOSK_LEFT = 0, 1, 2, 3


@dataclass
class HallTrace:
    """Raw results of one replication (arrays have one entry per visit)."""

    arrival_min: np.ndarray
    matter: np.ndarray
    window: np.ndarray  # window index, -1 if never served
    group: np.ndarray  # window group index, -1 if never served
    call_min: np.ndarray  # time called to a window (NaN if never called)
    end_min: np.ndarray  # time the citizen left the hall (service end, balk or renege)
    outcome: np.ndarray  # SERVED, BALKED, RENEGED, UNSERVED
    settled: np.ndarray  # bool: matter settled at this visit
    is_return: np.ndarray  # bool: a return visit of an unsettled citizen
    queue_times: np.ndarray  # times at which the number waiting changed
    queue_levels: np.ndarray  # number waiting from that time on
    window_group: np.ndarray  # group index of each window
    clerks: np.ndarray  # (windows, 4) attitude components of each window's clerk
    returns_later: int  # unsettled citizens whose return falls after the horizon
    horizon_end_min: float  # when the last citizen left
    # operations (None when the scenario does not use them; docs/operations.md)
    klass: np.ndarray | None = None  # citizen class: 0 regular, k = scenario.classes[k - 1]
    booked: np.ndarray | None = None  # bool: a booked visit (a return visit is a walk-in)
    no_shows: int = 0  # booked citizens who did not come
    duty_window: np.ndarray | None = None  # rosters: one row per on-duty spell of a window
    duty_start_min: np.ndarray | None = None
    duty_end_min: np.ndarray | None = None  # incl. finishing the citizen in service
    # ticket caps and missed calls (docs/mechanisms.md)
    refused_cap: int = 0  # citizens refused a ticket by a daily cap (never in the arrays)
    refused_by_matter: np.ndarray | None = None  # the same per matter (None without caps)
    missed_calls: int = 0  # calls nobody answered (a citizen may miss several)
    missed_wasted_min: float = 0.0  # window minutes spent on those calls
    # multi-matter visits and stations in sequence (docs/visits.md); None when not used.
    # With them, each row above is one queue joined (a step), not one citizen.
    station: np.ndarray | None = None  # station index of each row, -1 = the matter windows
    visit_start_min: np.ndarray | None = None  # each row's citizen's first ticket: the
    # statistics window counts a citizen's every step by it, not by the step's own ticket
    matters_done: np.ndarray | None = None  # matters served at each row's sitting (0 if none)
    citizen_arrival_min: np.ndarray | None = None  # one entry per citizen: first ticket
    citizen_in_hall_min: np.ndarray | None = None  # time inside, summed over both trips
    citizen_queues: np.ndarray | None = None  # queues joined (多头跑)
    citizen_matters: np.ndarray | None = None  # matters brought
    citizen_matters_done: np.ndarray | None = None  # matters served before leaving
    citizen_complete: np.ndarray | None = None  # bool: every step done
    second_trips: int = 0  # 承诺件 citizens back the same day for pick-up
    second_trips_later: int = 0  # ... whose back office ends after close (another day)
    # kiosks, helpers, tidal windows, clerk speeds (docs/kiosks-tidal.md); None when unused
    kiosk: np.ndarray | None = None  # per visit: 0 none, 1 done at a kiosk, 2 failed, 3 left
    kiosk_call_min: np.ndarray | None = None  # start at the kiosk (NaN if none)
    kiosk_end_min: np.ndarray | None = None  # end at the kiosk (NaN if none)
    helper_busy_min: float | None = None  # helper-minutes accompanying citizens
    helped: int = 0  # accompaniments by a helper (at a kiosk or a counter)
    helper_start_min: np.ndarray | None = None  # one row per accompaniment
    helper_end_min: np.ndarray | None = None
    role_window: np.ndarray | None = None  # tidal windows: one row per role spell
    role: np.ndarray | None = None  # 0 home role, 1 tidal role, -1 changing role
    role_start_min: np.ndarray | None = None
    role_end_min: np.ndarray | None = None
    tidal_switches: int = 0  # role changes begun (per window)
    clerk_speed: np.ndarray | None = None  # each window's clerk speed factor (None: all 1)


VISIT_COLUMNS: tuple[tuple[str, type], ...] = (
    ("arrival_min", float),
    ("matter", np.int64),
    ("window", np.int64),
    ("group", np.int64),
    ("call_min", float),
    ("end_min", float),
    ("outcome", np.int8),
    ("settled", bool),
    ("is_return", bool),
    ("klass", np.int64),
    ("booked", bool),
    ("station", np.int64),  # -1: the matter windows (docs/visits.md)
    ("matters_done", np.int64),  # matters served at this sitting
    ("visit_start_min", float),  # the citizen's first ticket (= arrival_min without visits)
)
"""A visit record's named columns, in the order ``VisitRecorder.add`` takes them."""


class VisitRecorder:
    """One row per visit as it ends, then named, sorted columns for ``HallTrace``.

    Rows are appended as tuples in ``VISIT_COLUMNS`` order (cheap in the event loop);
    ``columns()`` returns each column as an array sorted by (arrival, end), the order
    of every trace.
    """

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def columns(self) -> dict[str, np.ndarray]:
        rows = self.rows
        raw = list(zip(*rows, strict=True)) if rows else [[] for _ in VISIT_COLUMNS]
        order = (
            np.lexsort((np.array(raw[5], dtype=float), np.array(raw[0], dtype=float)))
            if rows
            else np.empty(0, dtype=np.int64)
        )
        return {
            name: np.asarray(values, dtype=dtype)[order]
            for (name, dtype), values in zip(VISIT_COLUMNS, raw, strict=True)
        }
