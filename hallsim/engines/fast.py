"""Fast engine: the hall model without SimPy, giving the reference's exact trace.

``run_hall(scenario, streams)`` returns the same ``HallTrace`` as
``hallsim.engines.simpy_hall.run_hall`` for the same scenario and streams, and consumes the
random streams exactly as the reference does (``draw_clerks``, ``draw_demand``,
one ``routing.integers`` call per per-window arrival with tied shortest lines,
``returns.random(3)``, or ``random(4)`` with a timing uniform, per same-day
return visit in creation order).

Three paths (``path_of``).  The one-pass recursion below covers the plain format.
What it does not cover (``one_pass_lacks``: rosters and breaks, appointments,
citizen classes, missed calls, kiosks...) runs, for a hall with rosters, classes,
appointments, missed calls, kiosks, helpers, tidal or elastic windows, several
matters per visit or stations, in ``hallsim.engines.operations_loop`` (the
reference's hall unrolled into one callback loop over a heap of events, 2.5-6x the
reference's speed), and otherwise (what ``operations_loop.lacks`` names: nothing in
the format today, a mechanism added to the reference until the loop runs it) the
reference's own hall code (``simpy_hall._Hall``) on a lean event kernel
(``hallsim.engines.kernel``) that processes events in SimPy's order: the same trace by
construction, at close to the reference's speed.

The one-pass recursion: the reference is work-conserving and first-come-first-served per window,
and nobody who arrives later can change what happens to an earlier citizen.

* single queue: a free window calls the longest-waiting citizen among the
  matters it serves, so when citizens are taken in arrival order each one
  gets the eligible window that frees first (an idle one if any: the window
  idle longest, ties lowest index, which is the smallest (free time, index)).
  Its call time is max(arrival, that free time); it reneges instead if that is
  later than arrival + patience (a call at exactly that instant is served).
  This generalises the Kiefer-Wolfowitz recursion of the FCFS multi-server
  queue to matter restrictions, reneging, balking and returns.
* per-window lines: each window serves its own line in order, so the line a
  citizen joins (chosen from the lines' sizes at arrival) fixes the call time
  as max(arrival, the window's free time after the citizens ahead).
* return visits are created at the service end of an unsettled visit; they
  are generated in creation (service-end) order before any later arrival is
  processed, so the returns stream is read in the reference's order.

So one pass over the citizens in arrival-event order suffices: no event list,
only a heap of window free times per group of windows with the same matters,
and (for balking and per-window lines) heaps of the times waiting citizens
leave.  The queue-length trace is rebuilt afterwards from join and leave times.

Floating point follows the reference step by step: SimPy's clock advances by
``now + (t - now)``, service ends at ``call + base * speed`` and so on, so the
arrays are bit-for-bit equal.

Simultaneous events have probability zero with continuous distributions,
except through floating-point underflow (a gamma with cv >= 2.5 gives
services and patience of exactly zero length) and ``return_delay_min = 0``.
They are ordered as SimPy orders them (by when each event was scheduled, see
``_Visits.before``): a window freeing at the instant a citizen's patience
runs out serves them, a return visit arrives after the window it left has
called the next citizen, and so on.  Not every ordering is modelled: ties
between unrelated chains of events (deterministic durations) and chains of
several zero-length services feeding zero-delay returns can still be
ordered differently.  There agreement is statistical; in random tests the
traces were identical in all but about one in a thousand such scenarios.

Other costs avoided: with no ``attitude_sd`` the clerks are the groups'
values and the per-scenario setup is cached (see ``_Setup``); return visits
read their random numbers in vectorised blocks (``_Returns``).

Long runs: ``run_hall_segments`` gives the same trace in segments, cut where
an arrival finds nobody waiting, so that memory holds one segment at a time
(``hallsim.streaming`` folds their metrics).
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from heapq import heapify, heappop, heappush, heapreplace

import numpy as np

from hallsim.engines import calling
from hallsim.engines.hall_setup import _STUCK, _Returns, _Setup, _setup
from hallsim.engines.trace import BALKED, RENEGED, HallTrace
from hallsim.scenario import Scenario, scenario_cache
from hallsim.streams import (
    Demand,
    demand_chunks,
    draw_demand,
)

__all__ = ["lacks", "one_pass_lacks", "run_hall", "run_hall_segments", "supports"]

INF = float("inf")
NAN = float("nan")


def lacks(scenario: Scenario) -> list[str]:
    """The features of ``scenario`` this engine does not reproduce (empty: it runs it).

    It covers the whole scenario format: what its one-pass recursion does not cover
    (``one_pass_lacks``) runs in ``operations_loop`` or on the event kernel
    (``_run_on_kernel``), whichever ``path_of`` picks. A mechanism added to the
    reference that the kernel cannot run (it uses SimPy beyond
    ``hallsim.engines.kernel``) is named here until it can.
    """
    return []


def one_pass_lacks(scenario: Scenario) -> list[str]:
    """What the one-pass recursion does not cover; such scenarios run in
    ``operations_loop`` (what its ``lacks`` accepts) or on the kernel.

    It covers the plain scenario format: several window groups with matter
    restrictions, single and per-window queues (shortest line or expected wait),
    balking (at a length or by chance), reneging, a waiting room, day mode with rate
    tables, steady state, attitude effects with spread, fatigue and return visits (a
    fixed same-day delay or a distribution). Not rosters and breaks, nor the calling
    rules ``calling.RULES`` marks as not one-pass (citizen classes, appointments), nor
    the mechanisms ``unsupported_mechanism`` names (missed calls).
    """
    missing = calling.one_pass_lacks(scenario)
    if scenario.uses_roster():
        missing.append("rosters or breaks")
    if (mechanism := unsupported_mechanism(scenario)) is not None:
        missing.append(mechanism)
    # several queues per citizen (docs/visits.md): the one-pass recursion serves one each
    if scenario.visits is not None:
        missing.append("visits")
    if scenario.stations:
        missing.append("stations")
    # kiosks, helpers, tidal windows, clerk speeds, class patience (docs/kiosks-tidal.md)
    missing.extend(scenario.uses_kiosks_tidal())
    return missing


def supports(scenario: Scenario) -> bool:
    """True when this engine reproduces the reference for ``scenario`` (``lacks`` is empty)."""
    return isinstance(scenario, Scenario) and not lacks(scenario)


def unsupported_mechanism(scenario: Scenario) -> str | None:
    """The scenario key of a mechanism the one-pass recursion does not run, or None.

    Missed calls (a called citizen re-queued later) break the one-pass
    recursion.  Chance balking is one ``balking`` draw per arrival who finds no
    window free, in arrival-event order, which the loops make in that order; a
    waiting room is a count of everyone waiting, which the loops keep.  Ticket caps,
    the crowd at opening, day levels and day types are in the demand, which both
    engines share.
    """
    if scenario.missed_calls is not None:
        return "missed_calls"
    return None


# --------------------------------------------------------------------------- inputs


def event_times(arrival: np.ndarray, start: float) -> np.ndarray:
    """SimPy clock at each arrival of the reference's source process.

    The source waits ``timeout(t - now)``, so the clock becomes
    ``now + (t - now)``, which is not always ``t`` in floating point (it is
    whenever ``now >= t / 2``, by Sterbenz's lemma).  Vectorised under the
    assumption that the previous clock equals the previous ticket time, then
    repaired sequentially where that fails (only near time 0).
    """
    n = len(arrival)
    if n == 0 or (0 < start and arrival[-1] <= 2 * start):
        return arrival  # every clock is >= start >= t / 2: exact (the usual day mode)
    prev = np.empty(n)
    prev[0] = start
    prev[1:] = arrival[:-1]
    clock = np.where(arrival > prev, prev + (arrival - prev), prev)
    bad = np.flatnonzero(clock != arrival)
    if not len(bad):
        return arrival
    t = arrival.tolist()
    s = list(t)
    bad_list = bad.tolist()
    b = 0
    while b < len(bad_list):
        j = bad_list[b]
        now = start if j == 0 else s[j - 1]
        while j < n:
            tj = t[j]
            if tj > now:
                now = now + (tj - now)
            s[j] = now
            j += 1
            if now == tj:
                break  # back in step: the vectorised values hold until the next bad index
        while b < len(bad_list) and bad_list[b] < j:
            b += 1
    return np.array(s, dtype=float)


def _path(scenario: Scenario) -> str:
    """Which path runs ``scenario``: "one_pass", "operations" (rosters, classes,
    appointments, missed calls, kiosks, helpers, tidal and elastic windows, visits,
    stations: ``operations_loop``) or "kernel" (what ``operations_loop.lacks`` names)."""
    if not one_pass_lacks(scenario):
        return "one_pass"
    from hallsim.engines import operations_loop

    return "kernel" if operations_loop.lacks(scenario) else "operations"


path_of = scenario_cache(_path)  # the path, chosen once per scenario


# --------------------------------------------------------------------------- loops


def _basic_single(S, svc, B, speed, free):
    """One class of windows serving every matter, no patience, no returns, no fatigue.

    The Kiefer-Wolfowitz recursion with a heap of (free time, window).  Returns
    the call times, the windows and whether a window freed at the very instant
    of an arrival (then the general loop, which orders such ties as SimPy
    does, is used instead).  Service ends are computed vectorised afterwards,
    with the same floating-point operations.  ``svc`` is base x speed when all
    windows have the same speed, else None.  ``free``: each window's free time
    before the first citizen.
    """
    C: list[float] = []
    W: list[int] = []
    c_append, w_append = C.append, W.append
    h = sorted((f, w) for w, f in enumerate(free))
    tie = False
    if svc is not None:
        for s, v in zip(S, svc, strict=True):
            f, w = h[0]
            if f >= s:
                if f == s:
                    tie = True
                s = f
            heapreplace(h, (s + v, w))
            c_append(s)
            w_append(w)
    else:
        for s, b in zip(S, B, strict=True):
            f, w = h[0]
            if f >= s:
                if f == s:
                    tie = True
                s = f
            heapreplace(h, (s + b * speed[w], w))
            c_append(s)
            w_append(w)
    return C, W, tie


# Codes in the loops' window list (``_Visits.window``, the loops' W):
# a window index >= 0 means served.
_W_BALKED, _W_RENEGED, _W_STUCK = -1 - BALKED, -1 - RENEGED, -1 - _STUCK
# balked by chance (patience.balk_probability): BALKED even when _W_BALKED means BLOCKED
_W_BALKED_BY_CHANCE = -1
# turned away by a full waiting room with per-window lines (hall.max_waiting)
_W_BLOCKED = _W_LOWEST = -5


@dataclass
class _Pending:
    """Return visits a segment hands on to the next (see ``run_hall_segments``)."""

    arrivals: list[tuple]  # created: (clock, ticket time, created at, matter, base, patience,
    # settle u, timing u)
    creations: list[tuple]  # to be created at a service end: (service end, k, matter, delay)
    k_next: int  # next creation-order tie-breaker


def _doubles(x: np.ndarray) -> array:
    """A float column as the loops' compact sequence (the same doubles)."""
    out = array("d")
    out.frombytes(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    return out


class _Visits:
    """Per-visit lists of the loops; return visits are appended after the originals.

    ``window`` holds the window, or -1 - outcome for a visit that was not served.
    The loops bind these lists to one-letter locals (``S = v.clock``, ``M = v.matter``,
    ``B`` base service, ``P`` patience, ``U`` settlement uniform, ``C`` call, ``E`` end,
    ``W`` window, ``RT`` return timing): attribute look-ups in the hot loop cost time.
    Also holds the pending return visits: ``cre`` the unsettled visits whose
    return is still to be created, ``rq`` the created ones by arrival clock.

    Float and window columns are ``array.array``s, not lists: a Python float in a list
    takes 32 bytes, in an array 8, so a 100,000-citizen day's loop holds about 8 MB
    instead of 31 MB (benchmarks/README.md, workload (f)), and reading them is no
    slower.
    """

    def __init__(
        self,
        demand,
        clock: np.ndarray,
        setup: _Setup,
        returns: _Returns | None,
        free: list[float] | None = None,
        stop: int | None = None,
        carry: _Pending | None = None,
    ):
        n = len(clock)
        self.n = n
        self.start = setup.start
        # windows' free times when the first of these citizens comes (segments: see
        # run_hall_segments); every window is free from the start otherwise
        self.free = list(free) if free is not None else [setup.start] * len(setup.speed)
        # the loops may stop before original ``stop`` or later, at the first original
        # arriving when nobody waits and no return visit is pending (``cut``)
        self.stop = n if stop is None else stop
        self.cut: int | None = None
        self._max_leave = -INF
        self._seen = 0  # originals scanned by ``quiet``
        self._seen_ret = n  # return visits scanned by ``quiet``
        self.clock = _doubles(clock)  # SimPy clock at arrival
        self.matter = demand.matter.tolist()
        self.base_service = _doubles(demand.base_service_min)
        self.patience = _doubles(demand.patience_min)
        self.settle_u = _doubles(demand.settle_u)
        self.return_u = _doubles(demand.return_u)  # same day or later, if unsettled (ReturnPlan)
        self.ticket: list[float] = []  # ticket time (arrival_min) of return visits
        self.created: list[float] = []  # when each return visit was created (its arrival scheduled)
        self.parent: list[int] = []  # the unsettled visit each return visit comes from
        self.call = array("d", [NAN]) * n
        self.end = array("d", [NAN]) * n
        self.window = array("q", [0]) * n
        self.joined: list[int] = []  # visits that joined the queue, in arrival order
        self.returns = returns
        # (service end, k, matter, visit, delay) of unsettled visits returning today
        self.cre: list[tuple] = []
        self.rq: list[tuple] = []  # (clock at return, visit index)
        self.returns_later = 0
        self.k_cre = 0  # tie-breaker of ``cre``: creation order
        if carry is not None:  # return visits still to come from the previous segment
            for clock_r, t, rc, m, b, p, u, rt in carry.arrivals:
                c = len(self.clock)
                row = (clock_r, m, b, p, u, NAN, NAN, 0, rt)
                for lst, x in zip(self._lists(), row, strict=True):
                    lst.append(x)
                self.ticket.append(t)
                self.created.append(rc)
                self.parent.append(-1)  # an earlier segment's visit: before everything here
                heappush(self.rq, (clock_r, c))
            for e, k, m, d in carry.creations:
                heappush(self.cre, (e, k, m, -1, d))
            self.k_cre = carry.k_next

    def release(self) -> None:
        """Drop the per-visit columns once the trace's numpy arrays are made from them
        (lower peak memory on a long day)."""
        for name in ("clock", "matter", "base_service", "patience", "settle_u", "return_u"):
            setattr(self, name, [])
        self.call, self.end, self.window, self.ticket = [], [], [], []

    def _lists(self) -> tuple[list, ...]:
        return (
            self.clock,
            self.matter,
            self.base_service,
            self.patience,
            self.settle_u,
            self.call,
            self.end,
            self.window,
            self.return_u,
        )

    # -- simultaneous events ------------------------------------------------------
    # SimPy runs the events of one instant in the order they were scheduled.  An
    # event is identified here by (clock when scheduled, visit whose processing
    # scheduled it, phase): a window's release (its service end) is scheduled
    # when its last visit's service starts (phase 0); an original arrival while
    # the source handles the previous arrival, before that visit starts
    # (phase -1); a return arrival right after the service end of the visit it
    # comes from (phase 1).  Visits are ordered as this module processes them.

    def before(self, a: int, b: int) -> bool:
        """Visit ``a`` is processed before visit ``b`` (-1: before everything)."""
        if a < 0 or b < 0:
            return a < b
        S = self.clock
        if S[a] != S[b]:
            return S[a] < S[b]
        if (a < self.n) != (b < self.n):
            return a < self.n  # at equal clocks originals come before returns
        return a < b

    def can_cut(self, i: int, s: float, free) -> bool:
        """May a segment end before original ``i`` (``i`` >= ``stop``), arriving at ``s``?

        Yes if it is an original still to come, every pending return visit
        (created or not) comes after ``s``, ``quiet``, and no created return
        visit arrives at the very instant a window frees (``free``: the
        windows' free times).  The next segment forgets which earlier visit
        scheduled a window's release (it puts the release first), which is
        right for every event of its own but not for a return visit created
        earlier: with deterministic times the two can tie, and SimPy orders
        them by when each was scheduled.
        """
        cre, rq = self.cre, self.rq
        if not (
            i < self.n
            and (not cre or cre[0][0] > s)
            and (not rq or rq[0][0] > s)
            and self.quiet(i, s)
        ):
            return False
        if rq:
            coming = {clock for clock, _ in rq}
            return not any(f in coming for f in free)
        return True

    def quiet(self, i: int, s: float) -> bool:
        """Has every visit before original ``i`` left the queue before ``s``?

        Also requires the return visits still to come to be the last ones
        created: with a fixed delay return visits are processed in creation
        order, so they are; with a delay distribution they may not be, and then
        this says no.  Incremental: each
        visit is scanned once.
        """
        C, E, W = self.call, self.end, self.window
        top = self._max_leave
        for c in range(self._seen, i):
            x = C[c]
            if x != x:  # not called: left at its end, or never (stuck)
                x = E[c]
                if x != x:
                    x = INF
            if x > top:
                top = x
        c = self._seen_ret
        while c < len(C):
            x = C[c]
            if x != x:
                x = E[c]
                if x != x:
                    if W[c] != _W_STUCK:
                        break  # created, not yet come: pending
                    x = INF
            if x > top:
                top = x
            c += 1
        self._max_leave, self._seen, self._seen_ret = top, i, c
        if top >= s:
            return False
        pending = sorted(c for _, c in self.rq)
        return pending == list(range(len(C) - len(pending), len(C)))

    def take_pending(self) -> _Pending:
        """Remove the return visits still to come (at a cut) and hand them on."""
        k = len(self.rq)
        arrivals = []
        if k:
            lo = len(self.clock) - k
            j = lo - self.n
            arrivals = list(
                zip(
                    self.clock[lo:],
                    self.ticket[j:],
                    self.created[j:],
                    self.matter[lo:],
                    self.base_service[lo:],
                    self.patience[lo:],
                    self.settle_u[lo:],
                    self.return_u[lo:],
                    strict=True,
                )
            )
            for lst in (*self._lists(), self.ticket, self.created, self.parent):
                del lst[len(lst) - k :]
            self.rq = []
        creations = [(e, kk, m, d) for e, kk, m, _, d in sorted(self.cre)]
        self.cre = []
        return _Pending(arrivals, creations, self.k_cre)

    def truncate(self, i: int) -> None:
        """Keep originals [0, i) and the return visits (the loop stopped at original ``i``)."""
        n = self.n
        if i == n:
            return
        for lst in self._lists():
            del lst[i:n]
        shift = n - i
        self.joined = [c if c < i else c - shift for c in self.joined]
        self.parent = [c if c < i else c - shift for c in self.parent]  # returns of returns
        self.n = i

    def arrival_key(self, c: int) -> tuple[float, int, int]:
        if c >= self.n:
            j = c - self.n
            return (self.created[j], self.parent[j], 1)
        return (self.clock[c - 1], c - 1, -1) if c else (self.start, -1, -1)

    def _less(self, a: tuple[float, int, int], b: tuple[float, int, int]) -> bool:
        if a[0] != b[0]:
            return a[0] < b[0]
        if a[1] != b[1]:
            return self.before(a[1], b[1])
        return a[2] < b[2]

    def release_first(self, q: int, c: int) -> bool:
        """A window whose last visit is ``q`` frees at the instant visit ``c`` arrives:
        does its release come first (the window is free for ``c``)?"""
        return q < 0 or self._less((self.call[q], q, 0), self.arrival_key(c))

    def leave_first(self, leave: tuple[float, int, int], c: int) -> bool:
        """A waiting citizen leaves the queue at the instant visit ``c`` arrives:
        first?  ``leave`` is (time, previous visit of the calling window, 0) for
        a call, (time, the visit, 2) for a renege (its condition event is
        scheduled at that instant)."""
        t, vis, phase = leave
        if phase:
            key = (t, vis, phase)
        elif vis >= 0:
            key = (self.call[vis], vis, 0)
        else:  # the window's release was scheduled before this segment: first
            key = (-INF, -1, 0)
        return self._less(key, self.arrival_key(c))

    def drop_simultaneous(self, heap: list[tuple], c: int) -> None:
        """Remove from a heap of leaves those at visit ``c``'s arrival instant that come first."""
        t = self.clock[c]
        kept = [e for e in heap if not (e[0] == t and self.leave_first(e, c))]
        if len(kept) < len(heap):
            heap[:] = kept
            heapify(heap)

    def create_returns(self, nxt: float) -> float:
        """Create the return visits due at or before ``nxt``; returns the next arrival clock.

        A return is created at the service end of an unsettled visit, in
        service-end order, and draws ``returns.random(3)`` then.  Every such
        end before ``nxt`` is known: its visit arrived earlier.
        """
        cre, rq, S = self.cre, self.rq, self.clock
        draw = self.returns.draw
        while cre and cre[0][0] <= nxt:
            e0, _, m0, parent, d0 = heappop(cre)
            back = e0 + d0
            b0, p0, u0, rt0 = draw(m0)
            clock = e0 + (back - e0)  # the return process waits timeout(back - now)
            c = len(S)
            S.append(clock)
            self.ticket.append(back)
            self.created.append(e0)
            self.parent.append(parent)
            self.matter.append(m0)
            self.base_service.append(b0)
            self.patience.append(p0)
            self.settle_u.append(u0)
            self.return_u.append(rt0)
            self.call.append(NAN)
            self.end.append(NAN)
            self.window.append(0)
            heappush(rq, (clock, c))
            if clock < nxt:
                nxt = clock
        return nxt


# The two loops below share their first part (the next citizen in arrival-event
# order, merging return visits) and their last (service and return creation);
# they are written out twice because a function call per citizen would cost
# more than the rest of the loop body.


def _balk_chance(setup: _Setup, balking: np.random.Generator | None):
    """(P(balk) of a line length, memoised; the draw) for balk_probability, else None."""
    if setup.balk_curve is None:
        return None, None
    curve = setup.balk_curve
    table: dict[int, float] = {}

    def p_balk(n: int) -> float:
        p = table.get(n)
        if p is None:
            p = table[n] = float(np.interp(n, *curve))  # as simpy_hall._turned_away
        return p

    return p_balk, balking.random


def _single_loop(v: _Visits, setup: _Setup, balking=None) -> None:
    """Single ticket queue: each citizen gets the eligible window that frees first.

    A window that frees at the very instant a citizen arrives is free for
    them if its service end was scheduled before their arrival event was, as
    in SimPy's event order (ties need zero-length or deterministic times).
    """
    S, M, B, P, U, RT = v.clock, v.matter, v.base_service, v.patience, v.settle_u, v.return_u
    share = setup.same_day_share
    C, E, W = v.call, v.end, v.window
    cre, rq = v.cre, v.rq
    joined_append = v.joined.append
    release_first, create_returns = v.release_first, v.create_returns
    speed, ps = setup.speed, setup.p_settle
    fat, open_min = setup.fatigue, setup.start
    balk_at = setup.balk_at
    D, arrival_end = setup.return_delay, setup.arrival_end
    delay_of = setup.delay_of
    returning = v.returns is not None
    n = v.n
    last_visit = [-1] * len(
        speed
    )  # each window's last visit: its service start scheduled the release
    # one heap of (free time, window) per class of windows serving the same matters
    free = v.free
    heap_of = {matters: sorted((free[w], w) for w in ws) for matters, ws in setup.classes}
    heaps = list(heap_of.values())
    heaps_of_matter = [
        [h for matters, h in heap_of.items() if k in matters] for k in range(setup.n_matters)
    ]
    only_heap = [hs[0] if len(hs) == 1 else None for hs in heaps_of_matter]
    waiting: list[tuple] = []  # (leave time, ...) of everyone waiting, kept for balking
    p_balk, balk_draw = _balk_chance(setup, balking)
    track = bool(balk_at) or p_balk is not None  # keep ``waiting``
    drop_simultaneous = v.drop_simultaneous
    k_cre = v.k_cre
    returns_later = 0
    first = [*S[:n], INF]  # clocks of the original arrivals
    stop = v.stop
    barrier = first[stop]  # from original ``stop`` on, every citizen takes the slow branch
    # earliest pending return creation or return arrival (or the barrier)
    guard = min(barrier, rq[0][0] if rq else INF, cre[0][0] if cre else INF)
    i = 0
    while True:
        # ---- the next citizen in arrival-event order
        s = first[i]
        if s < guard:
            c = i
            i += 1
        else:
            if i >= stop and v.can_cut(i, s, (f for h in heaps for f, _ in h)):
                v.cut = i  # a quiet instant: the caller may start a new segment here
                break
            nxt = rq[0][0] if rq and rq[0][0] < s else s
            if cre and cre[0][0] <= nxt:
                create_returns(nxt)  # those created before the next arrival
            if rq and rq[0][0] < s:  # at equal clocks the original arrival first
                c = heappop(rq)[1]
                s = S[c]
            elif i < n:
                c = i
                i += 1
            else:
                break
            guard = rq[0][0] if rq else INF
            if cre and cre[0][0] < guard:
                guard = cre[0][0]
            if barrier < guard:
                guard = barrier
        m = M[c]

        # ---- the window that will call them, and when
        h = only_heap[m]
        if h is not None:
            top = h[0]
        else:
            hs = heaps_of_matter[m]
            if hs:
                h = hs[0]
                top = h[0]
                for h2 in hs:
                    if h2[0] < top:
                        top = h2[0]
                        h = h2
            else:
                top = (INF, -1)
        f, w = top
        if f < s or (f == s and release_first(last_visit[w], c)):
            call = s  # the eligible window idle longest takes them
        else:
            if track:
                while waiting and waiting[0][0] < s:
                    heappop(waiting)
                if waiting and waiting[0][0] == s:
                    drop_simultaneous(waiting, c)
                if balk_at and len(waiting) >= balk_at:
                    W[c] = _W_BALKED
                    E[c] = s
                    continue
                if p_balk is not None and balk_draw() < p_balk(len(waiting)):
                    W[c] = _W_BALKED_BY_CHANCE
                    E[c] = s
                    continue
            joined_append(c)
            R = s + P[c]
            if f <= R and f < INF:  # called at the very instant patience ends: served
                call = f
                if track:
                    heappush(waiting, (f, last_visit[w], 0))
            elif R < INF:
                W[c] = _W_RENEGED
                E[c] = R
                if track:
                    heappush(waiting, (R, c, 2))
                continue
            else:  # no window serves the matter and nobody gives up
                W[c] = _W_STUCK
                if track:
                    heappush(waiting, (INF, c, 2))
                continue

        # ---- service
        sp = speed[w]
        if fat:
            sp = sp * (1.0 + fat * (call - open_min))
        e = call + B[c] * sp
        heapreplace(h, (e, w))
        last_visit[w] = c
        C[c] = call
        E[c] = e
        W[c] = w
        if returning and U[c] >= ps[w]:
            d = (D if delay_of is None else delay_of(RT[c])) if RT[c] < share else INF
            if e + d >= arrival_end:  # a later day (or after the last ticket)
                returns_later += 1
            else:
                heappush(cre, (e, k_cre, m, c, d))
                k_cre += 1
                if e < guard:
                    guard = e
    for h in heap_of.values():  # where the next segment starts (run_hall_segments)
        for f, w in h:
            free[w] = f
    v.returns_later = returns_later
    v.k_cre = k_cre


def _hall_waiting(waiting: list[tuple], s: float, c: int, drop_simultaneous) -> int:
    """How many wait in all lines when visit ``c`` arrives at ``s`` (a waiting room)."""
    while waiting and waiting[0][0] < s:
        heappop(waiting)
    if waiting and waiting[0][0] == s:
        drop_simultaneous(waiting, c)
    return len(waiting)


def _lines_loop(v: _Visits, setup: _Setup, routing: np.random.Generator, balking=None) -> None:
    """One line per window: the citizen joins the shortest eligible line (ties at random)."""
    S, M, B, P, U, RT = v.clock, v.matter, v.base_service, v.patience, v.settle_u, v.return_u
    share = setup.same_day_share
    C, E, W = v.call, v.end, v.window
    cre, rq = v.cre, v.rq
    joined_append = v.joined.append
    release_first, create_returns = v.release_first, v.create_returns
    speed, ps = setup.speed, setup.p_settle
    fat, open_min = setup.fatigue, setup.start
    balk_at = setup.balk_at
    D, arrival_end = setup.return_delay, setup.arrival_end
    delay_of = setup.delay_of
    returning = v.returns is not None
    n = v.n
    nw = len(speed)
    last_visit = [-1] * nw  # each window's last visit: its service start scheduled the release
    F = v.free  # each window's free time after the citizens in its line
    line_leaves: list[list[tuple]] = [
        [] for _ in range(nw)
    ]  # (leave time, ...) of each line's waiters
    drop_simultaneous = v.drop_simultaneous
    eligible_windows = setup.eligible
    draw = routing.integers
    p_balk, balk_draw = _balk_chance(setup, balking)
    room = setup.lines_room
    waiting: list[tuple] = []  # with a waiting room: the leave entries of every line
    mean_service = setup.mean_service
    expected_wait = setup.line_choice == "shortest_expected_wait"
    k_cre = v.k_cre
    returns_later = 0
    first = [*S[:n], INF]  # clocks of the original arrivals
    stop = v.stop
    barrier = first[stop]  # from original ``stop`` on, every citizen takes the slow branch
    # earliest pending return creation or return arrival (or the barrier)
    guard = min(barrier, rq[0][0] if rq else INF, cre[0][0] if cre else INF)
    i = 0
    while True:
        # ---- the next citizen in arrival-event order
        s = first[i]
        if s < guard:
            c = i
            i += 1
        else:
            if i >= stop and v.can_cut(i, s, F):
                v.cut = i  # a quiet instant: the caller may start a new segment here
                break
            nxt = rq[0][0] if rq and rq[0][0] < s else s
            if cre and cre[0][0] <= nxt:
                create_returns(nxt)  # those created before the next arrival
            if rq and rq[0][0] < s:  # at equal clocks the original arrival first
                c = heappop(rq)[1]
                s = S[c]
            elif i < n:
                c = i
                i += 1
            else:
                break
            guard = rq[0][0] if rq else INF
            if cre and cre[0][0] < guard:
                guard = cre[0][0]
            if barrier < guard:
                guard = barrier
        m = M[c]

        # ---- the line they join (waiting + in service), and when they are called
        best = -1
        ties = None
        for x in eligible_windows[m]:
            lw = line_leaves[x]
            while lw and lw[0][0] < s:
                heappop(lw)
            if lw and lw[0][0] == s:
                drop_simultaneous(lw, c)
            fx = F[x]
            size = len(lw) + (fx > s or (fx == s and not release_first(last_visit[x], c)))
            if expected_wait:  # calling.shortest_expected_wait: citizens x mean service
                size = size * mean_service[x]
            if best < 0 or size < best:
                best = size
                ties = [x]
            elif size == best:
                ties.append(x)
        if ties is None:
            raise ValueError("min() arg is an empty sequence")  # as the reference does
        w = ties[0] if len(ties) == 1 else ties[int(draw(len(ties)))]
        f = F[w]
        lw = line_leaves[w]
        if not lw and (f < s or (f == s and release_first(last_visit[w], c))):
            call = s
        elif room is not None and _hall_waiting(waiting, s, c, drop_simultaneous) >= room:
            W[c] = _W_BLOCKED
            E[c] = s
            continue
        elif balk_at and len(lw) >= balk_at:
            W[c] = _W_BALKED
            E[c] = s
            continue
        elif p_balk is not None and balk_draw() < p_balk(len(lw)):
            W[c] = _W_BALKED_BY_CHANCE
            E[c] = s
            continue
        else:
            joined_append(c)
            R = s + P[c]
            if f <= R:  # called at the very instant patience ends: served
                call = f
                leave = (f, last_visit[w], 0)
            else:
                W[c] = _W_RENEGED
                E[c] = R
                leave = (R, c, 2)
            heappush(lw, leave)
            if room is not None:
                heappush(waiting, leave)
            if W[c] == _W_RENEGED:
                continue

        # ---- service
        sp = speed[w]
        if fat:
            sp = sp * (1.0 + fat * (call - open_min))
        e = call + B[c] * sp
        F[w] = e
        last_visit[w] = c
        C[c] = call
        E[c] = e
        W[c] = w
        if returning and U[c] >= ps[w]:
            d = (D if delay_of is None else delay_of(RT[c])) if RT[c] < share else INF
            if e + d >= arrival_end:  # a later day (or after the last ticket)
                returns_later += 1
            else:
                heappush(cre, (e, k_cre, m, c, d))
                k_cre += 1
                if e < guard:
                    guard = e
    v.returns_later = returns_later
    v.k_cre = k_cre


# --------------------------------------------------------------------------- output


def _merge(start: float, joins: np.ndarray, leaves: np.ndarray):
    """Queue-length step function from the join and leave times of the queue.

    Returns None when two changes fall on the same instant (their order then
    needs the ordering of ``_queue_trace``).
    """
    times = np.concatenate((joins, leaves))
    order = np.argsort(times, kind="stable")
    times = times[order]
    if len(times) > 1 and (times[1:] == times[:-1]).any():
        return None
    levels = np.cumsum((order < len(joins)) * 2 - 1)
    return np.concatenate(([start], times)), np.concatenate(([0], levels))


def _queue_trace(
    v: _Visits, clock: np.ndarray, call: np.ndarray, end: np.ndarray, code: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Queue trace of the general loop: the visits ``v.joined`` join at their clock.

    A served visit leaves the queue when called, a reneging one at its end, a
    stuck one never.  Simultaneous changes are ordered as SimPy orders the
    events making them (see ``_Visits.before``).
    """
    joined = np.array(v.joined, dtype=np.int64)
    jt = clock[joined]
    jcode = code[joined]
    served = jcode >= 0
    leaves = np.where(served, call[joined], end[joined])
    if jcode.min(initial=0) == _W_STUCK:
        leaves = leaves[jcode != _W_STUCK]
    out = _merge(v.start, jt, leaves)
    if out is not None:
        return out

    # event keys (time, clock when scheduled, rank of the visit scheduling it, phase)
    n, N = v.n, len(clock)
    idx = np.arange(N)
    rank = np.empty(N + 1, dtype=np.int64)  # rank[-1] = -1 for "before everything"
    rank[np.lexsort((idx, idx >= n, clock))] = np.arange(N)
    rank[N] = -1
    rc = np.array(v.created, dtype=float)
    parent = np.array(v.parent, dtype=np.int64)
    # joins: the arrival event
    orig = joined < n
    jo, jr = joined[orig], joined[~orig] - n
    j_sched = np.empty(len(joined))
    j_vis = np.empty(len(joined), dtype=np.int64)
    j_phase = np.where(orig, -1, 1)
    j_sched[orig] = np.where(jo > 0, clock[np.maximum(jo - 1, 0)], v.start)
    j_vis[orig] = jo - 1
    j_sched[~orig] = rc[jr]
    j_vis[~orig] = parent[jr]
    # calls: the service end of the window's previous visit
    sv = np.flatnonzero(code >= 0)
    chain = sv[np.lexsort((rank[sv], call[sv], code[sv]))]
    prev = np.full(N, -1, dtype=np.int64)
    same = code[chain[1:]] == code[chain[:-1]]
    prev[chain[1:][same]] = chain[:-1][same]
    called = joined[served]
    q = prev[called]
    # reneges: the patience timeout's condition, scheduled at that instant
    gone = joined[jcode == _W_RENEGED]
    times = np.concatenate([jt, call[called], end[gone]])
    # a call by a window whose previous visit is in an earlier segment (q = -1): first
    sched = np.concatenate([j_sched, np.where(q >= 0, call[q], -INF), end[gone]])
    vis = np.concatenate([j_vis, q, gone])
    phase = np.concatenate([j_phase, np.zeros(len(called), np.int64), np.full(len(gone), 2)])
    delta = np.concatenate(
        [np.ones(len(joined), np.int64), np.full(len(called) + len(gone), -1, np.int64)]
    )
    order = np.lexsort((phase, rank[vis], sched, times))
    return (
        np.concatenate([[v.start], times[order]]),
        np.concatenate([[0], np.cumsum(delta[order])]),
    )


def _trace(
    setup: _Setup,
    arrival: np.ndarray,
    matter: np.ndarray,
    call: np.ndarray,
    end: np.ndarray,
    code: np.ndarray,
    settle_u: np.ndarray,
    n_orig: int,
    queue: tuple[np.ndarray, np.ndarray],
    returns_later: int,
) -> HallTrace:
    """Assemble the HallTrace; ``code`` is the window, or -1 - outcome if not served."""
    idx = code - _W_LOWEST  # row of the per-code tables of the setup
    cols = [arrival, matter, call, end, idx, settle_u]
    stuck = _W_STUCK - _W_LOWEST
    if n_orig and (idx == stuck).any():  # stuck visits never left: the reference records nothing
        keep = idx != stuck
        cols = [x[keep] for x in cols]
        first = np.flatnonzero(keep) < n_orig
    else:
        first = None
    arrival = cols[0]
    nrec = len(arrival)
    if nrec > n_orig or (nrec > 1 and not (arrival[1:] > arrival[:-1]).all()):
        order = np.lexsort((cols[3], arrival))
        cols = [x[order] for x in cols]
        is_return = (order >= n_orig) if first is None else ~first[order]
    else:
        is_return = np.zeros(nrec, dtype=bool)
    arrival, matter, call, end, idx, settle_u = cols
    return HallTrace(
        arrival_min=arrival,
        matter=matter,
        window=setup.window_of[idx],
        group=setup.group_of[idx],
        call_min=call,
        end_min=end,
        outcome=setup.outcome_of[idx],
        settled=settle_u < setup.p_settle_of[idx],
        is_return=is_return,
        queue_times=queue[0],
        queue_levels=queue[1],
        window_group=setup.window_group.copy(),
        clerks=setup.clerks.copy(),
        clerk_speed=setup.clerk_speed,
        returns_later=returns_later,
        horizon_end_min=float(end.max()) if nrec else float(setup.start),
    )


def _columns(d: Demand) -> list[np.ndarray]:
    return [d.arrival_min, d.matter, d.base_service_min, d.patience_min, d.settle_u, d.return_u]


def _demand(cols: list[np.ndarray]) -> Demand:
    """A plain demand from ``_columns``."""
    *head, return_u = cols
    return Demand(*head, return_u=return_u)


def _head(d: Demand, k: int) -> Demand:
    """The first ``k`` citizens of a plain (no operations) demand."""
    return _demand([x[:k] for x in _columns(d)])


def _run_basic(setup: _Setup, demand, clock: np.ndarray, free: list[float], stop: int):
    """The Kiefer-Wolfowitz path: (trace, cut, free times at the cut, None: no returns here).

    None if simultaneous events need the general loop.  Calls are
    non-decreasing here, so nobody waits when original j comes iff the call
    of j - 1 is before it; the first such j >= ``stop`` is the cut (else the
    last one after ``stop`` / 2; None if neither), and everything from it on
    is dropped.
    """
    base = demand.base_service_min
    speed = setup.speed
    if all(x == speed[0] for x in speed):
        svc = base * speed[0]
        C, W, tie = _basic_single(clock.tolist(), svc.tolist(), None, speed, free)
        call = np.array(C, dtype=float)
        window = np.array(W, dtype=np.int64)
        end = call + svc
    else:
        C, W, tie = _basic_single(clock.tolist(), None, base.tolist(), speed, free)
        call = np.array(C, dtype=float)
        window = np.array(W, dtype=np.int64)
        end = call + base * np.array(speed)[window]
    if tie:
        return None
    n = len(clock)
    cut = None
    if stop < n:
        quiet = np.flatnonzero(call[:-1] < clock[1:]) + 1  # originals arriving to no queue
        later = quiet[quiet >= stop]
        if len(later):
            cut = int(later[0])
        elif len(quiet) and quiet[-1] >= stop // 2:  # an earlier cut rather than a retry
            cut = int(quiet[-1])
        if cut is not None:
            demand = _head(demand, cut)
            clock, call, window, end = clock[:cut], call[:cut], window[:cut], end[:cut]
    waited = call > clock
    queue = _merge(setup.start, clock[waited], call[waited])
    if queue is None:  # e.g. a zero-length service (floating-point underflow)
        return None
    after = None  # where the next segment starts: needed only at a cut
    if cut is not None:
        windows_free = np.array(free, dtype=float)
        np.maximum.at(windows_free, window, end)  # each window frees when its last visit ends
        after = windows_free.tolist()
    arrival, matter, settle_u = demand.arrival_min, demand.matter, demand.settle_u
    trace = _trace(setup, arrival, matter, call, end, window, settle_u, len(call), queue, 0)
    return trace, cut, after, None


def _run_loop(
    setup: _Setup, demand, clock: np.ndarray, free, stop, returns, routing, carry=None, balking=None
):
    """The general loops: (trace, cut, free times at the cut or the end, pending returns)."""
    v = _Visits(demand, clock, setup, returns, free, stop, carry)
    if setup.single:
        _single_loop(v, setup, balking)
    else:
        _lines_loop(v, setup, routing, balking)
    cut = v.cut
    pending = None
    if cut is not None:
        pending = v.take_pending()
        v.truncate(cut)
        demand = _head(demand, cut)
        clock = clock[:cut]
    n = v.n
    # each column is dropped as soon as it is a numpy array: lower peak memory
    call = np.array(v.call, dtype=float)
    v.call = []
    end = np.array(v.end, dtype=float)
    v.end = []
    code = np.array(v.window, dtype=np.int64)
    v.window = []
    clock_all = np.concatenate([clock, v.clock[n:]]) if len(v.ticket) else clock
    arrival, matter, settle_u = demand.arrival_min, demand.matter, demand.settle_u
    if len(v.ticket):
        arrival = np.concatenate([arrival, v.ticket])
        matter = np.concatenate([matter, v.matter[n:]])
        settle_u = np.concatenate([settle_u, v.settle_u[n:]])
    v.release()
    queue = _queue_trace(v, clock_all, call, end, code)
    trace = _trace(setup, arrival, matter, call, end, code, settle_u, n, queue, v.returns_later)
    return trace, cut, v.free, pending


def _new_returns(scenario: Scenario, setup: _Setup, streams, n: int) -> _Returns | None:
    if not setup.returns_possible:
        return None
    # blocks are drawn ahead and the unused draws handed back (``finish``), so the
    # size changes no value: a quarter more than the expected same-day returns
    expected = n * (1.0 - min(setup.p_settle)) * setup.same_day_share * 1.25 + 16
    return _Returns(scenario, streams["returns"], int(expected))


def _run_on_kernel(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """The reference hall model, run on the lean event kernel instead of SimPy.

    The same code as ``simpy_hall.run_hall`` (clerks drawn when the hall is built,
    then the demand), so the same trace, while the kernel processes the events in
    SimPy's order (``hallsim.engines.kernel``).
    """
    from hallsim.engines import kernel, simpy_hall  # simpy only for scenarios needing it

    env = kernel.Environment(float(scenario.arrival_start_min))
    hall = simpy_hall._Hall(scenario, streams, env)
    demand = draw_demand(scenario, streams)
    # per-citizen inputs as Python numbers: the same IEEE doubles, but arithmetic on
    # them (and on the clock they become) costs a third of numpy scalars'
    listed = {
        name: value.tolist()
        for name in _PER_CITIZEN
        if isinstance(value := getattr(demand, name), np.ndarray)
    }
    return hall.run(dataclasses.replace(demand, **listed))


_PER_CITIZEN = (
    "arrival_min",
    "matter",
    "base_service_min",
    "patience_min",
    "settle_u",
    "booked",
    "slot_min",
    "klass",
    "return_u",
)


def run_hall(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """Simulate one replication; the same trace as ``hallsim.engines.simpy_hall.run_hall``."""
    path = path_of(scenario)
    if path == "operations":
        from hallsim.engines import operations_loop

        return operations_loop.run_hall(scenario, streams)
    if path == "kernel":
        return _run_on_kernel(scenario, streams)
    setup = _setup(scenario).replication(streams)
    demand = draw_demand(scenario, streams)
    clock = event_times(demand.arrival_min, setup.start)
    free = [setup.start] * len(setup.speed)
    n = len(clock)
    if setup.basic:
        out = _run_basic(setup, demand, clock, free, n)
        if out is not None:
            out[0].refused_cap = demand.refused_cap
            out[0].refused_by_matter = demand.refused_by_matter
            return out[0]
    returns = _new_returns(scenario, setup, streams, n)
    routing = None if setup.single else streams["routing"]  # only lines draw ties at random
    balking = streams["balking"] if setup.balk_curve is not None else None
    trace = _run_loop(setup, demand, clock, free, n, returns, routing, None, balking)[0]
    if returns is not None:
        returns.finish()
    trace.refused_cap = demand.refused_cap  # ticket caps act in the demand
    trace.refused_by_matter = demand.refused_by_matter
    return trace


def run_hall_segments(
    scenario: Scenario, streams: dict[str, np.random.Generator], chunk: int = 16384
) -> Iterator[HallTrace]:
    """``run_hall`` in consecutive segments of about ``chunk`` citizens each.

    A segment ends at the first original arrival, from ``chunk`` on, that
    finds nobody waiting and no return visit pending.  Everything later
    depends on the past only through the windows' free times, which the next
    segment starts from, so the segments together are exactly ``run_hall``'s
    trace (each visit in the segment where it arrives: a return visit due
    after the cut is handed on to the next segment), while memory holds one
    segment.  A segment with no such instant is retried with twice as many
    citizens (a hall that never clears its queue keeps growing the segment).
    ``streaming.simulate_streamed`` folds the segments' metrics.

    Each segment's trace is complete in itself: its queue-length trace starts
    at 0 at the scenario's start and every visit in it has left the queue
    before the next segment's first arrival.

    Scenarios the one-pass recursion does not cover (``one_pass_lacks``) have no
    segments: ``engines.run_segments`` refuses them.
    """
    if lacks := one_pass_lacks(scenario):
        raise ValueError(f"the fast engine runs {', '.join(lacks)} only whole, not in segments")
    setup = _setup(scenario).replication(streams)
    routing = None if setup.single else streams["routing"]  # only lines draw ties at random
    balking = streams["balking"] if setup.balk_curve is not None else None
    returns = _new_returns(scenario, setup, streams, chunk)
    free = [setup.start] * len(setup.speed)
    parts = demand_chunks(scenario, streams, max(64, chunk // 8))  # fill in small steps
    buf: list[np.ndarray] = [np.empty(0), np.empty(0, np.int64)] + [np.empty(0)] * 4
    clock = np.empty(0)
    last_clock = setup.start
    exhausted = yielded = False
    carry = None  # return visits due after the last cut
    want = chunk
    while True:
        while not exhausted and len(clock) < want + max(64, want // 8):
            d = next(parts, None)
            if d is None:
                exhausted = True
                break
            buf = [np.concatenate(bx) for bx in zip(buf, _columns(d), strict=True)]
            clock = np.concatenate([clock, event_times(d.arrival_min, last_clock)])
            last_clock = float(clock[-1]) if len(clock) else last_clock
        if not len(clock) and yielded:
            break
        demand = _demand(buf)
        stop = len(clock) if exhausted else want
        saved = (
            routing.bit_generator.state if routing is not None else None,
            returns.used if returns else 0,
            balking.bit_generator.state if balking is not None else None,
        )
        out = _run_basic(setup, demand, clock, free, stop) if setup.basic else None
        if out is None:
            out = _run_loop(setup, demand, clock, free, stop, returns, routing, carry, balking)
        trace, cut, after, pending = out
        if cut is None and not exhausted:  # no quiet instant: roll back, take more citizens
            if routing is not None:
                routing.bit_generator.state = saved[0]
            if returns is not None:
                returns.used = saved[1]
            if balking is not None:
                balking.bit_generator.state = saved[2]
            want *= 2
            continue
        yield trace
        yielded = True
        if cut is None:
            break
        buf = [x[cut:] for x in buf]
        clock = clock[cut:]
        free, carry, want = after, pending, chunk
    if returns is not None:
        returns.finish()
