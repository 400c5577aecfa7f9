"""The SimPy hall model: one replication, the reference implementation.

Given a scenario and its random streams, ``run_hall`` simulates one day (or a
steady-state run) and returns a ``HallTrace``: raw per-visit arrays and the
queue-length trace.  No seeding, I/O, printing or pandas here; metrics are
computed from the trace in ``hallsim.metrics``.

Citizens are SimPy processes.  Windows are plain objects: when a window frees
it *calls* the next citizen it may serve by triggering that citizen's
``called`` event, which is how a hall with tickets works.  Waiting citizens
(in queues) are kept apart from those in service (held by a window).

One hall class covers every scenario: rosters (staffed levels over the
day), appointments and citizen classes (a calling order by class priority
and booked slot) are simply absent from a plain scenario, which then keeps
the plain ticket order (docs/operations.md).
"""

from __future__ import annotations

import itertools
from heapq import heapify, heappop, heappush

import numpy as np
import simpy

from hallsim.engines import calling, kernel
from hallsim.engines.clerks import attitude_multiplier, settle_probability
from hallsim.engines.hall_setup import kiosk_rates
from hallsim.engines.trace import (
    BALKED,
    BLOCKED,
    KIOSK_DONE,
    KIOSK_FAILED,
    KIOSK_LEFT,
    MISSED,
    NO_KIOSK,
    RENEGED,
    SERVED,
    UNSERVED,
    HallTrace,
    VisitRecorder,
)
from hallsim.scenario import Scenario
from hallsim.streams import (
    Demand,
    draw_clerk_speeds,
    draw_clerks,
    draw_demand,
    quantile,
    return_plan,
)

# a citizen's state in the hall (the operations loop's ``ST`` uses the same codes)
WAITING, CALLED, GONE, DISMISSED = 0, 1, 2, 3


class _Citizen:
    __slots__ = (
        "arrival",
        "base_service",
        "booked",
        "called",
        "entered",
        "helped",
        "is_return",
        "k_call",
        "k_end",
        "kiosk",
        "klass",
        "matter",
        "patience",
        "plan",
        "return_u",
        "seq",
        "settle_u",
        "slot",
        "state",
        "station",
        "tier",
        "window",
    )

    def __init__(self, arrival, matter, base_service, patience, settle_u, is_return, return_u):
        self.arrival = arrival  # ticket time for the counter queue
        self.entered = arrival  # came into the hall (before a kiosk, if any)
        self.kiosk = NO_KIOSK
        self.helped = False
        self.k_call = self.k_end = np.nan
        self.return_u = return_u  # same day or a later day, if unsettled (ReturnPlan)
        self.matter = matter
        self.base_service = base_service
        self.patience = patience
        self.settle_u = settle_u
        self.is_return = is_return
        self.state = WAITING
        self.called = None
        self.window = None
        # rosters, appointments, classes only
        self.klass = 0
        self.booked = False
        self.slot = np.nan
        self.tier = 1  # 0: booked and their slot has come; 1: in ticket order
        # multi-matter visits and stations (docs/visits.md) only
        self.plan = None  # the _VisitPlan of a citizen with several steps
        self.station = -1  # station of the current step, -1 = the matter windows


class _Window:
    __slots__ = (
        "busy",
        "classes",
        "closing",
        "duty_start",
        "group",
        "idle_since",
        "index",
        "last_end",
        "line",
        "line_count",
        "matters",
        "on_duty",
        "p_settle",
        "role",
        "role_since",
        "speed",
        "switch_to",
    )

    def __init__(self, index, group, matters, speed, p_settle, start):
        self.index = index
        self.group = group
        self.matters = matters  # matter indices this window serves
        self.speed = speed  # static service-time multiplier (factor x attitude)
        self.p_settle = p_settle  # P(matter settled at this visit)
        self.busy = False
        self.idle_since = start
        # per_window layout: this window's own line, a heap ordered like the single queue
        self.line = []
        self.line_count = 0  # citizens waiting in ``line`` (reneged ones removed lazily)
        # rosters, appointments, classes only
        self.classes = [0]  # citizen classes this window may call
        self.on_duty = True  # staffed now (rosters)
        self.closing = False  # finishes its citizen, then goes off duty
        self.duty_start = start
        self.last_end = -np.inf  # end of its latest service
        # tidal windows only (docs/kiosks-tidal.md §3)
        self.role = 0  # 0 home role, 1 tidal role, -1 changing role
        self.role_since = start
        self.switch_to = None  # a role change waiting for the current citizen to finish


# --------------------------------------------------------------------------- visits
# Multi-matter visits (一件事一次办) and stations in sequence (docs/visits.md): kept in
# one block so that the rest of the hall only calls in at five points.


class _VisitPlan:
    """The remaining steps of one citizen's visit, and what it has cost them so far."""

    __slots__ = (
        "after",
        "arrival",
        "before",
        "done",
        "home",
        "in_hall",
        "matters",
        "n_matters",
        "queues",
        "sitting",
        "trip_start",
    )

    def __init__(self, arrival, before, matters, after):
        self.arrival = arrival  # first ticket
        self.home = matters[0][0]  # the first matter: station rows are recorded under it
        self.before = before  # [(station, base service)] still to visit, in order
        self.matters = matters  # [(matter, base service, settle uniform)] not yet served
        self.after = after  # [(station, base service, back-office minutes or None)]
        self.n_matters = len(matters)
        self.done = 0  # matters served so far
        self.queues = 0  # queues joined so far (多头跑)
        self.sitting = 0  # matters served at the current step
        self.in_hall = 0.0  # minutes inside, over finished trips
        self.trip_start = arrival


def visit_route(sc, k_values, k_cum, shares, u, first) -> tuple[list, list, list]:
    """A citizen's route from its ``visits`` uniforms ``u``: (before, matters, after).

    A fixed number of uniforms per citizen (1 + 3 per possible extra matter + 3 per
    station), so two halls fed the same seed see the same citizens with the same
    matters, times and routes (common random numbers). ``first`` is the citizen's
    drawn (matter, base service, settle uniform). The operations loop calls this too.
    """
    stations = sc.stations or []
    k_max = max(k_values)
    k = k_values[min(int(np.searchsorted(k_cum, u[0], side="right")), len(k_cum) - 1)]
    matters = [first]
    left = shares.copy()
    left[first[0]] = 0.0
    for j in range(k - 1):
        cum = np.cumsum(left)
        m = min(int(np.searchsorted(cum, u[1 + 3 * j] * cum[-1], side="right")), len(cum) - 1)
        while left[m] <= 0:  # guard against a rounding step onto an empty matter
            m -= 1
        left[m] = 0.0
        base = float(quantile(sc.matters[m].service_min, u[2 + 3 * j : 3 + 3 * j])[0])
        matters.append((m, base, float(u[3 + 3 * j])))
    before, after = [], []
    names = [sc.matters[m].name for m, _, _ in matters]
    for s, st in enumerate(stations):
        v = u[1 + 3 * (k_max - 1) + 3 * s :][:3]
        if not (v[0] < st.share and any(st.routes(n) for n in names)):
            continue
        base = float(quantile(st.service_min, v[1:2])[0])
        if st.position == "before":
            before.append((s, base))
        else:
            delay = None
            if st.back_office_min is not None:
                delay = float(quantile(st.back_office_min, v[2:3])[0])
            after.append((s, base, delay))
    return before, matters, after


class _VisitSteps:
    """Mixin of ``_Hall``: draws each citizen's steps and walks them through."""

    def _init_visits(self) -> None:
        sc = self.sc
        self.visiting = sc.uses_visits()
        if not self.visiting:
            return
        self.n_keys_matters = len(sc.matters)
        visits = sc.visits
        self.k_values, self.k_cum = visits.k_table() if visits else ([1], [1.0])
        self.saving = visits.bundle_saving if visits else 0.0
        self.order = visits.order if visits else "listed"
        self.one_sitting = visits.one_sitting if visits else True
        self.shares = np.array([m.share for m in sc.matters], dtype=float)
        self.citizen_rows: list[tuple] = []
        self.second_trips = 0
        self.second_trips_later = 0

    def _plan_visit(self, c) -> None:
        """Draw ``c``'s extra matters and station route from the ``visits`` stream
        (``visit_route``), then make its first step current."""
        sc = self.sc
        k_max = max(self.k_values)
        u = self.streams["visits"].random(1 + 3 * (k_max - 1) + 3 * len(sc.stations or []))
        first = (c.matter, c.base_service, c.settle_u)
        before, matters, after = visit_route(sc, self.k_values, self.k_cum, self.shares, u, first)
        c.plan = _VisitPlan(c.arrival, before, matters, after)
        self._take_step(c)

    def _take_step(self, c) -> bool:
        """Make ``c``'s next step current; False when none is left."""
        plan = c.plan
        if plan.before:
            s, base = plan.before.pop(0)
            c.matter, c.station, c.base_service = self.n_keys_matters + s, s, base
            return True
        if plan.matters:
            j = 0
            if self.order == "shortest_queue" and len(plan.matters) > 1:
                j = min(
                    range(len(plan.matters)), key=lambda i: self._waiting_for(plan.matters[i][0])
                )
            m, base, settle_u = plan.matters.pop(j)
            c.matter, c.station, c.base_service, c.settle_u = m, -1, base, settle_u
            return True
        if plan.after:
            s, base, _ = plan.after[0]
            c.matter, c.station, c.base_service = self.n_keys_matters + s, s, base
            return True
        return False

    def _waiting_for(self, key: int) -> int:
        """Citizens waiting now for queue key ``key`` (any class)."""
        if self.single:
            heaps = [h for (m, _), h in self.queues.items() if m == key]
        else:
            heaps = [w.line for w in self.windows if key in w.matters]
        return sum(1 for h in heaps for e in h if e[4].state == WAITING)

    def _sitting(self, c, w) -> float:
        """Base minutes of this step: at a matter window, every remaining matter it serves."""
        plan = c.plan
        if c.station >= 0 or not self.one_sitting:
            plan.sitting = 0 if c.station >= 0 else 1
            return c.base_service
        total, n = c.base_service, 1
        keep = []
        for item in plan.matters:
            if item[0] in w.matters:
                total += (1.0 - self.saving) * item[1]
                n += 1
            else:
                keep.append(item)
        plan.matters = keep
        plan.sitting = n
        return total

    def _step_recorded(self, c, end, outcome) -> None:
        plan = c.plan
        plan.queues += 1
        if outcome == SERVED:
            plan.done += plan.sitting
            return
        plan.sitting = 0
        self._visit_ends(c, end, complete=False)  # leaves with the earlier matters done

    def _next_step(self, c) -> None:
        """After a served step: the next queue, a trip out for the back office, or home."""
        plan, env = c.plan, self.env
        if c.station >= 0 and plan.after and plan.after[0][0] == c.station:
            plan.after.pop(0)  # the after-station just served
        if not plan.before and not plan.matters and plan.after and plan.after[0][2] is not None:
            s, base, delay = plan.after[0]
            plan.after[0] = (s, base, None)
            plan.in_hall += env.now - plan.trip_start
            ready = env.now + delay
            if ready >= self.sc.arrival_end_min:  # back another day: not simulated
                self.second_trips_later += 1
                plan.after.clear()
                self._visit_ends(c, env.now, complete=True, trip_counted=True)
                return
            self.second_trips += 1
            self._forget(c)
            env.process(self._second_trip(c, ready))
            return
        self._forget(c)
        if not self._take_step(c):
            self._visit_ends(c, env.now, complete=True)
            return
        self._requeue(c, env.now)
        env.process(self.citizen(c))

    def _forget(self, c) -> None:
        """Drop ``c``'s stale entries (a promotion, a missed call) from the lines of the
        step just done: the next step sets ``c`` WAITING again, which would revive them."""
        if self.single:
            heaps = [self.queues[(c.matter, c.klass)]]
        else:
            heaps = [w.line for w in self.windows if c.matter in w.matters]
        for h in heaps:
            if any(e[4] is c for e in h):
                h[:] = [e for e in h if e[4] is not c]
                heapify(h)

    def _second_trip(self, c, ready):
        yield self.env.timeout(ready - self.env.now)
        c.plan.trip_start = self.env.now
        self._take_step(c)
        self._requeue(c, self.env.now)
        yield from self.citizen(c)

    @staticmethod
    def _requeue(c, now) -> None:
        """A fresh ticket for the next queue (later steps are never booked)."""
        c.arrival = now
        c.entered = now  # the step's own ticket: no kiosk before a later step
        c.state = WAITING
        c.called = None
        c.window = None
        c.tier = 1
        c.booked = False
        c.slot = np.nan

    def _visit_ends(self, c, end, complete, trip_counted=False) -> None:
        plan = c.plan
        if not trip_counted:
            plan.in_hall += end - plan.trip_start
        self.citizen_rows.append(
            (plan.arrival, plan.in_hall, plan.queues, plan.n_matters, plan.done, complete)
        )

    def _visit_extras(self, col) -> dict:
        rows = sorted(self.citizen_rows)
        cols = list(zip(*rows, strict=True)) if rows else [[]] * 6
        return {
            "station": col["station"],
            "visit_start_min": col["visit_start_min"],
            "matters_done": col["matters_done"],
            "citizen_arrival_min": np.asarray(cols[0], dtype=float),
            "citizen_in_hall_min": np.asarray(cols[1], dtype=float),
            "citizen_queues": np.asarray(cols[2], dtype=np.int64),
            "citizen_matters": np.asarray(cols[3], dtype=np.int64),
            "citizen_matters_done": np.asarray(cols[4], dtype=np.int64),
            "citizen_complete": np.asarray(cols[5], dtype=bool),
            "second_trips": self.second_trips,
            "second_trips_later": self.second_trips_later,
        }


class _Hall(_VisitSteps):
    """The hall: ticket queue or per-window lines, with rosters, appointments
    and a priority channel when the scenario has them (docs/operations.md).

    Calling order: a free window calls, among the waiting citizens it may
    serve (matter and class), the one of highest class priority; within a
    priority, booked citizens whose slot has come (and who came by slot +
    grace) in slot order; then everyone else in ticket order.  Service is
    never interrupted.  Without classes, bookings and roster changes this is
    plain ticket order: the longest-waiting citizen the window may serve
    (``hallsim.engines.fast`` reproduces this bit for bit).

    Rosters (single queue): a group's staffed level follows
    ``scenario.roster(g)``.  To close windows, idle ones go first (highest
    index first), then busy ones, which finish their citizen and then stop
    calling.  To open windows, closing ones carry on first, then the
    lowest-index closed ones open and call at once.  Citizens whose every
    eligible window is closed for the rest of the day are sent away unserved
    at that moment, or on arrival.
    """

    def __init__(self, scenario: Scenario, streams: dict[str, np.random.Generator], env=None):
        self.sc = scenario
        # ``env``: the fast engine's event kernel (engines/kernel.py), same event order
        self.env = env or simpy.Environment(initial_time=scenario.arrival_start_min)
        self.streams = streams
        self.single = scenario.layout.queue == "single"
        patience = scenario.patience
        self.balk_at = patience.balk_at_queue if patience else 0
        self.fatigue = (
            scenario.attitude_effects.fatigue_per_hour / 60.0
            if scenario.attitude_effects.enabled
            else 0.0
        )
        self.open_min = scenario.arrival_start_min

        clerks = draw_clerks(scenario, streams["attitude"])
        self.clerks = clerks
        names = scenario.matter_names
        self.windows: list[_Window] = []
        groups = []
        stations = scenario.station_names
        for g, wg in enumerate(scenario.windows):
            served = [k for k, m in enumerate(names) if wg.serves(m)]
            if wg.station is not None:  # a station is one more queue key after the matters
                served = [len(names) + stations.index(wg.station)]
            for _ in range(wg.count):
                i = len(self.windows)
                clerk = clerks[i]
                self.windows.append(
                    _Window(
                        i,
                        g,
                        served,
                        wg.service_time_factor * attitude_multiplier(scenario, clerk),
                        settle_probability(scenario, clerk),
                        self.open_min,
                    )
                )
                groups.append(g)
        self.window_group = np.array(groups, dtype=np.int64)
        self.waiting = 0
        self.q_times = [self.env.now]
        self.q_levels = [0]
        self.visits = VisitRecorder()
        self._add_visit = self.visits.rows.append  # one call per visit: skip a method
        self.returns_later = 0
        self.return_draws = streams["returns"]
        self.return_plan = return_plan(scenario)
        self.routing = streams["routing"]
        self._seq = itertools.count()  # ticket numbers: break ties between equal times
        self.line_choice = calling.LINE_CHOICE[scenario.layout.line_choice or "shortest_line"]
        # each window's mean service time: its speed x the demand-weighted mean of the
        # matters it serves (what shortest_expected_wait multiplies line lengths by)
        self.mean_service = [
            w.speed
            * sum(
                scenario.matters[k].share * scenario.matters[k].service_min.mean for k in w.matters
            )
            / max(sum(scenario.matters[k].share for k in w.matters), 1e-300)
            if w.matters[0] < len(names)
            else w.speed * scenario.stations[w.matters[0] - len(names)].service_min.mean
            for w in self.windows
        ]

        sc = scenario
        self.class_priority = [0] + [k.priority for k in sc.classes or []]
        self.class_factor = [1.0] + [k.service_time_factor for k in sc.classes or []]
        class_names = sc.class_names
        for w in self.windows:
            group = sc.windows[w.group]
            w.classes = [k for k, name in enumerate(class_names) if group.serves_class(name)]
        keys = len(sc.matters) + len(sc.stations or [])  # stations queue after the matters
        combos = [(m, k) for m in range(keys) for k in range(len(class_names))]
        # eligible windows per (matter, class), in window order like ``eligible``
        self.combo_windows = {
            (m, k): [w for w in self.windows if m in w.matters and k in w.classes]
            for m, k in combos
        }
        self.queues = {combo: [] for combo in combos}  # single layout: a heap per combo
        self.window_queues = [
            [self.queues[(m, k)] for m in w.matters for k in w.classes] for w in self.windows
        ]
        self.line_of: dict[int, _Window] = {}  # per_window: the window whose line c joined
        self.grace = sc.appointments.grace_min if sc.appointments else 5.0
        self.no_shows = 0

        # rosters
        self.rostered = sc.uses_roster()
        self.rosters = [sc.roster(g) for g in range(len(sc.windows))]
        self.group_windows = [
            [w for w in self.windows if w.group == g] for g in range(len(sc.windows))
        ]
        for g, roster in enumerate(self.rosters):
            for w in self.group_windows[g][roster[0][1] :]:
                w.on_duty = False
        until = [r[-1][0] if r[-1][1] == 0 else np.inf for r in self.rosters]
        # no window of any eligible group is staffed from this time on
        self.dismiss_at = {
            combo: max((until[w.group] for w in ws), default=-np.inf)
            for combo, ws in self.combo_windows.items()
        }
        self.duty: list[tuple[int, float, float]] = []
        self.refused_cap = 0
        self.refused_by_matter = None
        # the waiting room, chance balking and missed calls (docs/mechanisms.md)
        self.room = sc.hall.max_waiting
        self.balk_curve = sc.patience.balk_curve() if sc.patience else None
        self.missed = sc.missed_calls
        self.missed_count = 0
        self._init_kiosks_tidal()
        self._init_visits()

    # -- queue bookkeeping --------------------------------------------------
    def _queue_changed(self, delta: int) -> None:
        self.waiting += delta
        self.q_times.append(self.env.now)
        self.q_levels.append(self.waiting)
        if self.tidal:
            self._tidal_check()

    # -- dispatch ---------------------------------------------------------
    def _start(self, w: _Window, c: _Citizen) -> None:
        w.busy = True
        c.state = CALLED
        c.window = w

    # -- citizens -----------------------------------------------------------
    def _schedule_return(self, c: _Citizen) -> None:
        delay = self.return_plan.same_day_delay(c.return_u)
        if delay is None:  # comes back on a later day
            self.returns_later += 1
            return
        back = self.env.now + delay
        if back >= self.sc.arrival_end_min:
            self.returns_later += 1
            return
        # a return visit draws fresh service, patience, settlement (and, when the
        # same-day share is strictly between 0 and 1, its own timing uniform) from
        # the returns stream, in the (deterministic) order returns are created
        m = self.sc.matters[c.matter]
        plan = self.return_plan
        u = self.return_draws.random(4 if plan.timing else 3)
        base = float(quantile(m.service_min, u[:1])[0])
        renege = self.sc.renege_by_matter[c.matter]
        patience = float(quantile(renege, u[1:2])[0]) if renege is not None else np.inf
        timing = float(u[3]) if plan.timing else (0.0 if plan.share > 0 else 1.0)
        r = _Citizen(back, c.matter, base, patience, u[2], True, timing)
        r.klass = c.klass  # a return visit keeps the citizen's class; it is never booked
        self.env.process(self._return_visit(r))

    def _return_visit(self, c: _Citizen):
        yield self.env.timeout(c.arrival - self.env.now)
        if self.patience_factor is not None:  # a return visit goes straight to a counter
            c.patience *= self.patience_factor[c.klass]
        yield from self.citizen(c)

    def _trace(self) -> HallTrace:
        col = self.visits.columns()
        return HallTrace(
            arrival_min=col["arrival_min"],
            matter=col["matter"],
            window=col["window"],
            group=col["group"],
            call_min=col["call_min"],
            end_min=col["end_min"],
            outcome=col["outcome"],
            settled=col["settled"],
            is_return=col["is_return"],
            queue_times=np.asarray(self.q_times, dtype=float),
            queue_levels=np.asarray(self.q_levels, dtype=np.int64),
            window_group=self.window_group,
            clerks=self.clerks,
            returns_later=self.returns_later,
            # not env.now: patience timeouts of citizens already called stay on
            # the event list and would push the clock past the last departure
            horizon_end_min=(
                float(col["end_min"].max()) if len(col["end_min"]) else self.sc.arrival_start_min
            ),
            **self._trace_extras(col),
        )

    # -- the waiting room, chance balking, missed calls -------------------------
    def _turned_away(self, c: _Citizen, line: int) -> bool:
        """Whether an arrival who finds no window free leaves at once (and record it).

        ``line`` is the number waiting in the line they would join (the hall's
        single queue, or their window's line).  A full waiting room turns them
        away (BLOCKED); then ``balk_at_queue``; then, with ``balk_probability``,
        one ``balking`` uniform decides.
        """
        if self.room is not None and self.waiting >= self.room:
            self._record(c, None, np.nan, self.env.now, BLOCKED)
            return True
        if self.balk_at and line >= self.balk_at:
            self._record(c, None, np.nan, self.env.now, BALKED)
            return True
        if self.balk_curve is not None:
            p = float(np.interp(line, *self.balk_curve))
            if self.streams["balking"].random() < p:
                self._record(c, None, np.nan, self.env.now, BALKED)
                return True
        return False

    def _answer_call(self, c: _Citizen, w: _Window):
        """过号: the citizen called to ``w`` may not be there.

        Each call reads one ``missed_calls`` uniform (there or not) and, when
        not, one more for how long until they come back.  The window spends
        ``wasted_min`` calling, then calls the next citizen.  Back within
        ``grace_min``: re-queued at the front or the back, and called again
        (they may miss again); later: the ticket is void and they are lost
        (MISSED).  Returns the window that serves them, or None.
        """
        env, mc = self.env, self.missed
        rng = self.streams["missed_calls"]
        while rng.random() < mc.absent:
            self.missed_count += 1
            if mc.wasted_min > 0:
                env.timeout(mc.wasted_min).callbacks.append(lambda _e, w=w: self._release(w))
            else:
                self._release(w)
            away = float(quantile(mc.away_min, rng.random(1))[0])
            if away > mc.grace_min:
                c.state = GONE
                self._record(c, None, np.nan, env.now, MISSED)
                return None
            yield env.timeout(away)
            c.state = WAITING
            c.called = env.event()
            c.tier = -1 if mc.requeue == "front" else 1
            entry = (-self.class_priority[c.klass], c.tier, env.now, next(self._seq), c)
            if self.single:
                heappush(self.queues[(c.matter, c.klass)], entry)
                idle = [x for x in self.combo_windows[(c.matter, c.klass)] if not x.busy]
            else:  # back to the line of the window that called them (their own line)
                heappush(w.line, entry)
                w.line_count += 1
                idle = [w] if not w.busy else []
            self._queue_changed(+1)
            idle = [x for x in idle if x.on_duty]
            if idle:  # a free window calls them at once (nobody else it serves is waiting)
                x = min(idle, key=lambda x: (x.idle_since, x.index))
                nxt = self._next_for(x)
                if not self.single:
                    x.line_count -= 1
                self._queue_changed(-1)
                self._start(x, nxt)
                nxt.called.succeed()
            yield c.called
            if c.state == DISMISSED:
                return None
            w = c.window
        return w

    # -- rosters --------------------------------------------------------------
    def _roster(self):
        """Apply every group's roster changes and send away citizens nobody will call."""
        env = self.env
        steps: dict[float, list[tuple[int, int]]] = {}
        for g, roster in enumerate(self.rosters):
            for t, level in roster[1:]:
                steps.setdefault(t, []).append((g, level))
        for t in sorted(steps):
            if t > env.now:
                yield env.timeout(t - env.now)
            for g, level in steps[t]:
                self._set_level(g, level)
            for combo, when in self.dismiss_at.items():
                if when == t:
                    self._dismiss(combo)

    def _set_level(self, g: int, level: int) -> None:
        ws = self.group_windows[g]
        staffed = [w for w in ws if w.on_duty and not w.closing]
        more = level - len(staffed)
        for w in ws:  # carrying on beats closing then reopening
            if more > 0 and w.closing:
                w.closing = False
                more -= 1
        for w in ws:
            if more > 0 and not w.on_duty:
                self._open(w)
                more -= 1
        if more < 0:
            idle = [w for w in reversed(staffed) if not w.busy]
            busy = [w for w in reversed(staffed) if w.busy]
            for w in (idle + busy)[:-more]:
                if w.busy:
                    w.closing = True  # no pre-emption: finish this citizen first
                else:
                    self._off_duty(w)

    def _open(self, w: _Window) -> None:
        w.on_duty = True
        w.duty_start = w.idle_since = self.env.now
        nxt = self._next_for(w)
        if nxt is not None:
            self._queue_changed(-1)
            self._start(w, nxt)
            nxt.called.succeed()

    def _off_duty(self, w: _Window) -> None:
        w.on_duty = False
        self.duty.append((w.index, w.duty_start, self.env.now))

    def _dismiss(self, combo: tuple[int, int]) -> None:
        """No window will open again for these citizens: they leave unserved now."""
        queue = self.queues[combo]
        for entry in queue:
            c = entry[4]
            if c.state == WAITING:
                c.state = DISMISSED
                self._queue_changed(-1)
                self._record(c, None, np.nan, self.env.now, UNSERVED)
                c.called.succeed()
        queue.clear()

    # -- dispatch -------------------------------------------------------------
    def _entry(self, c: _Citizen) -> tuple:
        key = calling.ticket_key(
            self.class_priority[c.klass], c.tier == 0, c.slot, c.arrival, c.seq
        )
        return (*key, c)

    def _next_for(self, w: _Window):
        heaps = self.window_queues[w.index] if self.single else (w.line,)
        best = None
        for h in heaps:
            # drop citizens who left and entries made stale by a promotion
            while h and (h[0][4].state != WAITING or h[0][1] != h[0][4].tier):
                heappop(h)
            if h and (best is None or h[0] < best[0]):
                best = h
        return heappop(best)[4] if best is not None else None

    def _release(self, w: _Window) -> None:
        w.last_end = self.env.now
        if w.switch_to is not None:  # a tidal window changes role before calling again
            self._begin_switch(w)
            return
        if w.closing:
            w.closing = False
            w.busy = False
            self._off_duty(w)
            return
        nxt = self._next_for(w)
        if nxt is None:
            w.busy = False
            w.idle_since = self.env.now
            return
        if not self.single:
            w.line_count -= 1
        self._queue_changed(-1)
        self._start(w, nxt)
        nxt.called.succeed()

    def _promote(self, c: _Citizen) -> None:
        """A punctual booked citizen's slot has come: called ahead of walk-ins from now.

        Only while they still wait for the first call on their booked ticket: once
        called (also when they missed the call and queue again), gone, or on to a later
        step of their visit (never booked: ``_requeue`` clears ``booked``), the slot is
        spent and their place is their ticket's."""
        if c.booked and c.window is None and c.state == WAITING and c.tier == 1:
            c.tier = 0
            heap = self.queues[(c.matter, c.klass)] if self.single else self.line_of[c.seq].line
            heappush(heap, self._entry(c))

    # -- citizens -----------------------------------------------------------
    def source(self, demand: Demand):
        env = self.env
        self.no_shows = demand.no_shows
        self.refused_cap = demand.refused_cap
        self.refused_by_matter = demand.refused_by_matter
        booked, slot, klass = demand.booked, demand.slot_min, demand.klass
        return_u = demand.return_u
        if return_u is None:  # a hand-made demand: every return the same day
            return_u = np.zeros(len(demand.arrival_min))
        for i in range(len(demand.arrival_min)):
            t = demand.arrival_min[i]
            if t > env.now:
                yield env.timeout(t - env.now)
            c = _Citizen(
                t,
                int(demand.matter[i]),
                demand.base_service_min[i],
                demand.patience_min[i],
                demand.settle_u[i],
                False,
                return_u[i],
            )
            if klass is not None:
                c.klass = int(klass[i])
            if booked is not None and booked[i]:
                c.booked = True
                c.slot = float(slot[i])
            if self.visiting:
                self._plan_visit(c)
            env.process(self.visit(c))

    def _choose_line(self, c: _Citizen) -> _Window:
        cands = self.combo_windows[(c.matter, c.klass)]
        sizes = [w.line_count + w.busy for w in cands]
        means = [self.mean_service[w.index] for w in cands]
        return cands[self.line_choice(sizes, means, self._draw_tie)]

    def _draw_tie(self, k: int) -> int:
        return int(self.routing.integers(k))

    def citizen(self, c: _Citizen):
        env = self.env
        c.seq = next(self._seq)
        if env.now >= self.dismiss_at[(c.matter, c.klass)]:
            self._record(c, None, np.nan, env.now, UNSERVED)
            return
        punctual = c.booked and c.arrival <= c.slot + self.grace
        if punctual and c.arrival >= c.slot:
            c.tier = 0
        w = None
        if self.single:
            idle = [x for x in self.combo_windows[(c.matter, c.klass)] if x.on_duty and not x.busy]
            if idle:
                w = min(idle, key=lambda x: (x.idle_since, x.index))
            elif self._turned_away(c, self.waiting):
                return
        else:
            target = self._choose_line(c)
            if not target.busy and target.line_count == 0:
                w = target
            elif self._turned_away(c, target.line_count):
                return
        if w is not None:
            self._start(w, c)
        else:
            c.called = env.event()
            if self.single:
                heappush(self.queues[(c.matter, c.klass)], self._entry(c))
            else:
                heappush(target.line, self._entry(c))
                target.line_count += 1
                self.line_of[c.seq] = target
            self._queue_changed(+1)
            if punctual and c.tier == 1:  # early: ahead of walk-ins once the slot comes
                env.timeout(c.slot - env.now).callbacks.append(lambda _e, c=c: self._promote(c))
            if c.patience < np.inf:
                yield c.called | env.timeout(c.patience)
                if c.state == DISMISSED:
                    return
                if c.state != CALLED:
                    c.state = GONE
                    if not self.single:
                        target.line_count -= 1
                    self._queue_changed(-1)
                    self._record(c, None, np.nan, env.now, RENEGED)
                    return
            else:
                yield c.called
                if c.state == DISMISSED:
                    return
            w = c.window
        if self.missed is not None:
            w = yield from self._answer_call(c, w)
            if w is None:  # lost after a missed call
                return
        call = env.now
        speed = w.speed
        if c.klass:
            speed *= self.class_factor[c.klass]
        if self.fatigue:
            speed *= 1.0 + self.fatigue * (call - self.open_min)
        # one sitting of a multi-matter visit: every remaining matter this window serves
        base = c.base_service if c.plan is None else self._sitting(c, w)
        if self.counter_help:
            speed *= self._counter_helper(c, base * speed)
        yield env.timeout(base * speed)
        settled = c.settle_u < w.p_settle or (c.plan is not None and c.station >= 0)
        self._record(c, w, call, env.now, SERVED, settled)
        if not settled:
            self._schedule_return(c)
        self._release(w)
        if c.plan is not None:
            self._next_step(c)

    def _record(self, c, w, call, end, outcome, settled=False):
        if c.plan is not None:
            self._step_recorded(c, end, outcome)
        if self.kiosk_rows is not None:
            self.kiosk_rows.append((c.kiosk, c.k_call, c.k_end, c.helped))
        self._add_visit(
            (
                c.entered,
                c.matter if c.station < 0 else c.plan.home,
                w.index if w else -1,
                w.group if w else -1,
                call,
                end,
                outcome,
                settled,
                c.is_return,
                c.klass,
                c.booked,
                c.station,
                c.plan.sitting if c.plan is not None else int(outcome == SERVED),
                c.plan.arrival if c.plan is not None else c.entered,
            )
        )

    # -- kiosks, helpers, tidal windows, clerks who differ (docs/kiosks-tidal.md) --
    # Kept apart from the counter model: each hook above is one line, and a
    # scenario without these keys never reaches this code.
    def _init_kiosks_tidal(self) -> None:
        sc = self.sc
        self.visit = self.citizen  # what a new arrival does (a kiosk first, or the counter)
        class_names = sc.class_names
        classes = [None, *(sc.classes or [])]
        # clerk speed (windows.speed_sd / speed_factors): one factor per window
        self.clerk_speed = draw_clerk_speeds(sc, self.streams["clerk_speed"])
        if self.clerk_speed is not None:
            for w in self.windows:
                w.speed *= float(self.clerk_speed[w.index])
                self.mean_service[w.index] *= float(self.clerk_speed[w.index])
        # per-class patience
        factors = [1.0 if k is None else k.patience_factor for k in classes]
        self.patience_factor = factors if any(f != 1.0 for f in factors) else None
        # kiosks
        ks = sc.kiosks if sc.kiosks_active() else None
        self.kiosks = ks
        self.kiosk_rows: list[tuple] | None = None
        if ks is not None:
            self.kiosk_ok = [ks.serves(m) for m in sc.matter_names]
            self.kiosk_uptake, self.kiosk_success = kiosk_rates(ks, classes)
            self.kiosk_res = _resource(self.env, ks.count)
            self.kiosk_rows = []
        if ks is not None or self.patience_factor is not None:
            self.visit = self._citizen_differs
        # helpers
        hp = sc.helpers
        self.helpers = hp
        self.helper_busy = 0
        self.helper_busy_min = 0.0
        self.helper_spells: list[tuple[float, float]] = []
        self.helped_count = 0  # accompaniments (a citizen helped at the kiosk and counter: 2)
        self.helps = [hp is not None and hp.helps(name) for name in class_names]
        self.counter_help = hp is not None and hp.counter_time_factor != 1.0
        # tidal windows
        # tidal (two roles) and elastic (closed <-> open) groups share the switching code
        self.tidal = [g for g, wg in enumerate(sc.windows) if wg.tidal or wg.elastic]
        self.tidal_switches = 0
        self.elastic_duty = False  # duty spells written for elastic windows
        self.role_spells: list[tuple[int, int, float, float]] = []
        self.roles: dict[int, list[tuple[list[int], list[int]]]] = {}
        self.tidal_role = {g: 0 for g in self.tidal}
        self.tidal_pending = set()
        self.tidal_watch: dict[int, list[list]] = {}
        for g in self.tidal:
            wg = sc.windows[g]
            home_m = self.group_windows[g][0].matters if self.group_windows[g] else []
            home_k = self.group_windows[g][0].classes if self.group_windows[g] else []
            if wg.elastic is not None:  # role 0 closed (standby), role 1 open
                self.roles[g] = [([], []), (home_m, home_k)]
                self.tidal_watch[g] = [self.queues[(m, k)] for m in home_m for k in home_k]
                for w in self.group_windows[g]:
                    w.matters, w.classes = [], []
                    self.window_queues[w.index] = []
                    for ws in self.combo_windows.values():
                        if w in ws:
                            ws.remove(w)
                continue
            tide = wg.tidal
            tidal_m = [k for k, m in enumerate(sc.matter_names) if tide.serves(m)]
            tidal_k = (
                home_k
                if tide.classes is None
                else [
                    k for k, n in enumerate(class_names) if "*" in tide.classes or n in tide.classes
                ]
            )
            self.roles[g] = [(home_m, home_k), (tidal_m, tidal_k)]
            home = {(m, k) for m in home_m for k in home_k}
            # the queue that decides: citizens the tidal role serves and the home role does not
            self.tidal_watch[g] = [
                self.queues[(m, k)] for m in tidal_m for k in tidal_k if (m, k) not in home
            ]

    def _citizen_differs(self, c: _Citizen):
        """A new arrival: class patience, then a kiosk if they try one, else the counter."""
        if self.patience_factor is not None:
            c.patience *= self.patience_factor[c.klass]
        if self.kiosks is not None and self.kiosk_ok[c.matter] and not c.booked:
            done = yield from self._kiosk_visit(c)
            if done:
                return
        yield from self.citizen(c)

    def _kiosk_visit(self, c: _Citizen):
        """自助终端: three ``kiosks`` uniforms per eligible arrival (try it, time, success).

        Returns True when the visit ends here (done at the kiosk, or gave up
        waiting for one); False sends the citizen to the counter queue with a
        ticket taken now and the patience left (the time already spent counts
        in their wait and time in the hall).
        """
        env, ks = self.env, self.kiosks
        u = self.streams["kiosks"].random(3)
        if u[0] >= self.kiosk_uptake[c.klass]:
            return False
        req = self.kiosk_res.request()
        if c.patience < np.inf:
            got = yield req | env.timeout(c.patience)
            if req not in got:
                if req.triggered:  # granted at the instant they gave up: free it again
                    self.kiosk_res.release(req)
                else:
                    req.cancel()
                c.kiosk = KIOSK_LEFT
                c.k_call = c.k_end = np.nan
                self._record(c, None, np.nan, env.now, RENEGED)
                return True
        else:
            yield req
        c.k_call = env.now
        duration = float(quantile(ks.service_min, u[1:2])[0])
        p = self.kiosk_success[c.klass]
        if self.helps[c.klass] and self.helper_busy < self.helpers.count:
            c.helped = True
            self._hold_helper(duration)
            if self.helpers.kiosk_success is not None:
                p = self.helpers.kiosk_success
        yield env.timeout(duration)
        self.kiosk_res.release(req)
        c.k_end = env.now
        if u[2] < p:
            c.kiosk = KIOSK_DONE
            self._record(c, None, c.k_call, env.now, SERVED, True)
            return True
        c.kiosk = KIOSK_FAILED
        c.patience -= env.now - c.entered  # the patience left for the counter queue
        c.patience = max(c.patience, 0.0)
        c.arrival = env.now
        return False

    def _hold_helper(self, duration: float) -> None:
        self.helper_busy += 1
        self.helped_count += 1
        self.helper_busy_min += duration
        self.helper_spells.append((self.env.now, self.env.now + duration))

        def free(_e):
            self.helper_busy -= 1

        self.env.timeout(duration).callbacks.append(free)

    def _counter_helper(self, c: _Citizen, duration: float) -> float:
        """A free helper comes to the counter with a citizen of a helped class: time factor."""
        if not self.helps[c.klass] or self.helper_busy >= self.helpers.count:
            return 1.0
        c.helped = True
        factor = self.helpers.counter_time_factor
        self._hold_helper(duration * factor)
        return factor

    # tidal windows
    def _tidal_waiting(self, g: int) -> int:
        return sum(
            1 for h in self.tidal_watch[g] for e in h if e[4].state == WAITING and e[1] == e[4].tier
        )

    def _tidal_check(self) -> None:
        for g in self.tidal:
            if g in self.tidal_pending:
                continue
            tide = self.sc.windows[g].tidal or self.sc.windows[g].elastic
            n = self._tidal_waiting(g)
            role = self.tidal_role[g]
            if (role == 0 and n >= tide.switch_on_queue) or (
                role == 1 and n <= tide.switch_off_queue
            ):
                # switch after this event: no re-entry into the dispatch under way
                self.tidal_pending.add(g)
                self.env.timeout(0).callbacks.append(lambda _e, g=g: self._switch_group(g))

    def _switch_group(self, g: int) -> None:
        self.tidal_pending.discard(g)
        role = 1 - self.tidal_role[g]
        self.tidal_role[g] = role
        for w in self.group_windows[g]:
            w.switch_to = role
            if not w.busy:
                self._begin_switch(w)

    def _begin_switch(self, w: _Window) -> None:
        """Leave the current role: unavailable for ``switch_min``, then the new role."""
        role = w.switch_to
        w.switch_to = None
        if role == w.role:  # switched back before it began: nothing to change
            self._release(w)
            return
        w.busy = True  # no arrival picks it while it changes role
        self.role_spells.append((w.index, w.role, w.role_since, self.env.now))
        self.tidal_switches += 1
        for ws in self.combo_windows.values():
            if w in ws:
                ws.remove(w)
        w.role, w.role_since = -1, self.env.now
        wg = self.sc.windows[w.group]
        # an elastic window closes at once; opening and a tidal role change take time
        wait = wg.tidal.switch_min if wg.tidal else (wg.elastic.switch_min if role else 0.0)
        if wait > 0:
            self.env.timeout(wait).callbacks.append(lambda _e: self._end_switch(w, role))
        else:
            self._end_switch(w, role)

    def _end_switch(self, w: _Window, role: int) -> None:
        if w.role_since < self.env.now:
            self.role_spells.append((w.index, -1, w.role_since, self.env.now))
        matters, classes = self.roles[w.group][role]
        w.matters, w.classes = matters, classes
        w.role, w.role_since = role, self.env.now
        for m in matters:
            for k in classes:
                ws = self.combo_windows[(m, k)]
                ws.append(w)
                ws.sort(key=lambda x: x.index)
        self.window_queues[w.index] = [self.queues[(m, k)] for m in matters for k in classes]
        self._release(w)  # calls the next citizen of its new role (or idles)

    def _close_role_spells(self) -> None:
        close = self.sc.hall.close_min
        end = max(close, max((w.last_end for w in self.windows), default=0))
        elastic = {
            w.index for g in self.tidal if self.sc.windows[g].elastic for w in self.group_windows[g]
        }
        for g in self.tidal:
            for w in self.group_windows[g]:
                stop = max(close, w.last_end) if w.index in elastic else end
                self.role_spells.append((w.index, w.role, w.role_since, max(stop, w.role_since)))
        if not elastic:
            return
        # an elastic window is staffed while open or opening, not on standby: its duty
        # spells replace the whole day (staffed minutes, utilisation, staff_hours)
        if not self.rostered:
            # as computed without duty spells: to close or the last service (day), all along
            # (steady state, where the metrics clip to the statistics window)
            day = self.sc.run.mode == "day"
            self.duty = [
                (w.index, self.open_min, max(close, w.last_end) if day else np.inf)
                for w in self.windows
                if w.index not in elastic
            ]
        else:
            self.duty = [d for d in self.duty if d[0] not in elastic]
        self.duty += [(i, s, e) for i, r, s, e in self.role_spells if i in elastic and r != 0]
        self.elastic_duty = True

    def _kiosks_tidal_extras(self) -> dict:
        """The trace's kiosk, helper, tidal and clerk-speed fields (absent: none)."""
        out: dict = {}
        if self.clerk_speed is not None:
            out["clerk_speed"] = self.clerk_speed
        if self.kiosk_rows is not None:
            rows = self.visits.rows
            order = (
                np.lexsort(
                    (np.array([r[5] for r in rows], dtype=float), np.array([r[0] for r in rows]))
                )
                if rows
                else np.empty(0, dtype=np.int64)
            )
            cols = list(zip(*self.kiosk_rows, strict=True)) if rows else [[], [], [], []]
            out["kiosk"] = np.asarray(cols[0], dtype=np.int8)[order]
            out["kiosk_call_min"] = np.asarray(cols[1], dtype=float)[order]
            out["kiosk_end_min"] = np.asarray(cols[2], dtype=float)[order]
        if self.helpers is not None:
            out["helper_busy_min"] = self.helper_busy_min
            out["helper_start_min"] = np.array([s[0] for s in self.helper_spells], dtype=float)
            out["helper_end_min"] = np.array([s[1] for s in self.helper_spells], dtype=float)
            out["helped"] = self.helped_count
        if self.elastic_duty and not self.rostered:
            duty = sorted(self.duty)
            out["duty_window"] = np.array([d[0] for d in duty], dtype=np.int64)
            out["duty_start_min"] = np.array([d[1] for d in duty], dtype=float)
            out["duty_end_min"] = np.array([d[2] for d in duty], dtype=float)
        if self.tidal:
            spells = sorted(self.role_spells, key=lambda s: (s[0], s[2], s[3]))
            out["role_window"] = np.array([s[0] for s in spells], dtype=np.int64)
            out["role"] = np.array([s[1] for s in spells], dtype=np.int64)
            out["role_start_min"] = np.array([s[2] for s in spells], dtype=float)
            out["role_end_min"] = np.array([s[3] for s in spells], dtype=float)
            out["tidal_switches"] = self.tidal_switches
        return out

    # -- the run --------------------------------------------------------------
    def run(self, demand: Demand) -> HallTrace:
        if self.rostered:
            self.env.process(self._roster())
        self.env.process(self.source(demand))
        self.env.run()
        # safety net: nobody may stay waiting (dismissal should have seen to it)
        close = self.sc.hall.close_min
        lines = self.queues.values() if self.single else [w.line for w in self.windows]
        for line in lines:
            for entry in line:
                c = entry[4]
                if c.state == WAITING:  # e.g. back from a missed call after the roster's end
                    c.state = DISMISSED
                    self._queue_changed(-1)  # the queue trace ends empty
                    self._record(c, None, np.nan, max(c.arrival, close), UNSERVED)
        if self.rostered:
            for w in self.windows:
                if w.on_duty:  # on duty at close: serves until its last citizen leaves
                    self.duty.append((w.index, w.duty_start, max(close, w.last_end)))
        if self.tidal:
            self._close_role_spells()
        return self._trace()

    def _trace_extras(self, col) -> dict:
        # class and booking columns only where the scenario has them, as the
        # fast engine (which covers the rest) leaves them out
        extras = {
            "klass": col["klass"] if self.sc.uses_classes() else None,
            "booked": col["booked"] if self.sc.uses_appointments() else None,
            "no_shows": self.no_shows,
            "refused_cap": self.refused_cap,
            "refused_by_matter": self.refused_by_matter,
            "missed_calls": self.missed_count,
            "missed_wasted_min": self.missed_count
            * (self.missed.wasted_min if self.missed else 0.0),
        }
        extras.update(self._kiosks_tidal_extras())
        if self.visiting:
            extras.update(self._visit_extras(col))
        if self.rostered:
            duty = sorted(self.duty)
            extras["duty_window"] = np.array([d[0] for d in duty], dtype=np.int64)
            extras["duty_start_min"] = np.array([d[1] for d in duty], dtype=float)
            extras["duty_end_min"] = np.array([d[2] for d in duty], dtype=float)
        return extras


def _resource(env, capacity: int):
    """A SimPy ``Resource`` of ``capacity`` slots, or the event kernel's twin when the
    hall runs on the kernel (the fast engine; same grants in the same order)."""
    if isinstance(env, kernel.Environment):
        return kernel.Resource(env, capacity)
    return simpy.Resource(env, capacity=capacity)


def run_hall(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """Simulate one replication of ``scenario`` with the SimPy reference model."""
    hall = _Hall(scenario, streams)
    demand = draw_demand(scenario, streams)
    return hall.run(demand)
