"""The hall with operations, as one callback loop over a heap of events.

``run_hall(scenario, streams)`` gives the ``HallTrace`` of
``hallsim.engines.simpy_hall.run_hall`` bit for bit for the scenarios ``lacks`` accepts:
one ticket queue with rosters and breaks, or per-window lines (the shortest line or
the shortest expected wait, ties drawn from the ``routing`` stream as the reference
draws them; no rosters there), citizen classes (priority calling,
class-restricted windows, per-class service and patience factors), appointments
(slots, punctuality, grace, no-shows), balking, a waiting room, reneging, attitude
effects with fatigue and return visits, missed calls (过号), clerk speeds, kiosks (自助终端),
helpers (帮办代办), tidal and elastic windows (潮汐窗口, 弹性窗口), several matters per visit
and stations in sequence (一件事一次办, 导办 → 受理 → 出件: ``_Visits``). The fast engine
(``hallsim.engines.fast``) sends such scenarios here; the rest of what its one-pass
recursion does not cover runs on its event kernel.

Why it agrees with the reference: it is the reference's hall (``simpy_hall._Hall``)
with every SimPy process unrolled into the events it waits on. Each event is a heap
entry ``(time, order, kind, citizen)`` where ``order`` grows at exactly the points
where SimPy schedules an event that does something (a timeout when created, an event
when it succeeds), so simultaneous events are processed in SimPy's (time, scheduling
order). The hops SimPy takes are kept where events scheduled in between may act
first: a window's call is an event (``CALLED``), and for a citizen with patience the
condition "called or out of patience" succeeds in a second event (``RESUME``) that
decides whether they are served or renege. When nothing else is due at that instant
the hop would be the very next event, so it is taken at once instead (the same
order). Events that change nothing (a process ending, the call of a citizen already
sent away) are left out: dropping them keeps the relative order of the rest. A
process's start (SimPy runs it right after the current event) becomes code at the end
of the handler that starts it. Times are computed with the reference's floating-point
operations (a timeout of ``d`` ends at ``now + d``, the source's clock is
``now + (t - now)``), and the random streams are read in the reference's order (return
visits' draws in blocks, as the one-pass loops read them: ``hall_setup._Returns``; missed
calls' uniforms likewise: ``_Missed``). A missed call is the reference's
``_answer_call`` at the point where the called citizen's process resumes: its window's
release (now, or a ``_RELEASE`` timeout after the wasted time) and the citizen's return
(a ``_BACK`` timeout) are scheduled in the reference's order.

Kiosks (``simpy_hall._Hall._kiosk_visit``) are SimPy 4's ``Resource`` as
``kernel.Resource`` documents it: slots in use and a first-in-first-out queue of
requests; a request grants the queue's head if a slot is free, a release frees the slot
at once but grants only when its own event (``_KREL``) is processed; a grant is an event
(``_KGRANT``). With patience, "granted or out of patience" succeeds in its own event
(``_KRESUME``, taken at once when nothing else is due then) and the request counts as
granted only if its grant event was processed by then; a citizen who gives up with a
grant still pending frees the kiosk again. The ``kiosks`` stream's three uniforms per
eligible arrival are read at once (every arrival's process reads them first, in arrival
order). A helper held for a session or a service is freed by its own timeout
(``_HFREE``), scheduled before the session's or the service's end, as there. Tidal and
elastic windows: ``_Tidal``.

With one ticket queue an arriving citizen takes the longest idle window on duty (then
the lowest index) that serves their matter and class; the loop keeps a heap of idle
windows per group, so with hundreds of windows an arrival looks at a few heap tops,
not at every window. With per-window lines each window has one heap (its line) and
an arrival picks a line as ``simpy_hall._Hall._choose_line`` does (``calling``).

What it does not cover (``lacks``) stays on the kernel. A mechanism added to
``simpy_hall`` must be named in ``lacks`` until this loop runs it: the loop is the
hall rewritten, not the reference's code, and would ignore it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from heapq import heapify, heappop, heappush
from itertools import accumulate

import numpy as np

from hallsim.engines import calling, hall_setup
from hallsim.engines.clerks import attitude_multiplier
from hallsim.engines.simpy_hall import CALLED, DISMISSED, GONE, WAITING, _VisitPlan
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
)
from hallsim.scenario import Scenario, scenario_cache
from hallsim.streams import draw_demand, quantile, return_plan

INF = float("inf")
NAN = float("nan")
# event kinds
_ARRIVE, _ROSTER, _PROMOTE, _PATIENCE, _CALLED, _RESUME, _END, _RETURN, _START = range(9)
_RELEASE, _BACK = 9, 10  # a missed call's window released, the citizen back
# kiosks (simpy_hall._Hall._kiosk_visit): a request granted, the patience timeout, the
# condition "granted or out of patience", a session's end, a release event; a helper freed
_KGRANT, _KPAT, _KRESUME, _KEND, _KREL, _HFREE = 11, 12, 13, 14, 15, 16
# tidal and elastic windows: a group's switch (after the event that asked for it), a
# window's role change over
_SWITCH, _ENDSW = 17, 18


def lacks(scenario: Scenario) -> list[str]:
    """What this loop does not run (empty: it gives the reference's trace).

    It runs the whole format today. A mechanism added to the reference is named here
    (by its scenario key) until the loop learns it; such scenarios then run on the
    fast engine's event kernel (``fast.path_of``).
    """
    return []


class _Plan:
    """What the loop derives from a scenario once (windows, queues, roster steps)."""

    def __init__(self, sc: Scenario):
        self.base = hall_setup._setup(sc)  # windows' speeds and settle probabilities (+ clerks)
        names = sc.matter_names
        class_names = sc.class_names
        n_windows = len(self.base.window_group)
        self.n_windows = n_windows
        self.group = self.base.window_group.tolist()
        self.served = [list(m) for m in self.base.served]
        # a station is one more queue key after the matters (simpy_hall._Hall)
        stations = sc.station_names
        self.n_keys = len(names) + len(stations)
        for w in range(n_windows):
            st = sc.windows[self.group[w]].station
            if st is not None:
                self.served[w] = [len(names) + stations.index(st)]
        self.classes_of = []
        for w in range(n_windows):
            wg = sc.windows[self.group[w]]
            self.classes_of.append(
                [k for k, name in enumerate(class_names) if wg.serves_class(name)]
            )
        combos = [(m, k) for m in range(self.n_keys) for k in range(len(class_names))]
        self.combos = combos
        self.combo_index = {combo: i for i, combo in enumerate(combos)}
        self.n_classes = len(class_names)
        # eligible windows per (matter, class) in window order (combo index)
        self.combo_windows = [
            [w for w in range(n_windows) if m in self.served[w] and k in self.classes_of[w]]
            for m, k in combos
        ]
        self.window_queues = [
            [self.combo_index[(m, k)] for m in self.served[w] for k in self.classes_of[w]]
            for w in range(n_windows)
        ]
        # the groups of those windows: a window's matters and classes are its group's,
        # so a (matter, class) looks for an idle window in a few groups' idle heaps
        self.combo_groups = [sorted({self.group[w] for w in ws}) for ws in self.combo_windows]
        self.class_priority = [0] + [k.priority for k in sc.classes or []]
        self.class_factor = [1.0] + [k.service_time_factor for k in sc.classes or []]
        factors = [1.0] + [k.patience_factor for k in sc.classes or []]
        self.patience_factor = factors if any(f != 1.0 for f in factors) else None
        self.grace = sc.appointments.grace_min if sc.appointments else 5.0
        self.rostered = sc.uses_roster()
        rosters = [sc.roster(g) for g in range(len(sc.windows))]
        self.group_windows = [
            [w for w in range(n_windows) if self.group[w] == g] for g in range(len(sc.windows))
        ]
        self.off_at_start = [
            w for g, roster in enumerate(rosters) for w in self.group_windows[g][roster[0][1] :]
        ]
        until = [r[-1][0] if r[-1][1] == 0 else INF for r in rosters]
        self.dismiss_at = [
            max((until[self.group[w]] for w in ws), default=-INF) for ws in self.combo_windows
        ]
        steps: dict[float, list[tuple[int, int]]] = {}
        for g, roster in enumerate(rosters):
            for t, level in roster[1:]:
                steps.setdefault(t, []).append((g, level))
        times = sorted(steps)
        # (time, [(group, level)], [combos whose last window goes off duty then])
        self.steps = [
            (t, steps[t], [i for i, when in enumerate(self.dismiss_at) if when == t]) for t in times
        ]
        fx = sc.attitude_effects
        self.fatigue = fx.fatigue_per_hour / 60.0 if fx.enabled else 0.0
        self.start = float(sc.arrival_start_min)
        self.arrival_end = sc.arrival_end_min
        self.close = sc.hall.close_min
        patience = sc.patience
        self.balk_at = patience.balk_at_queue if patience else 0
        self.room = sc.hall.max_waiting
        self.balk_curve = patience.balk_curve() if patience else None
        self.return_plan = return_plan(sc)
        self.uses_classes = sc.uses_classes()
        self.uses_appointments = sc.uses_appointments()
        self.renege = sc.renege_by_matter
        self.group_of = np.array([*self.group, -1], dtype=np.int64)  # [-1]: not served
        self.missed = sc.missed_calls
        # per-window lines (no rosters there: scenario validation): a line per window
        self.lines = sc.layout.queue != "single"
        self.line_choice = calling.LINE_CHOICE[sc.layout.line_choice or "shortest_line"]
        names_of = sc.matters
        # the demand-weighted mean service of the matters a window serves, as
        # (numerator, denominator): simpy_hall divides after multiplying by the speed
        self.mean_of_matters = [
            (
                sum(names_of[k].share * names_of[k].service_min.mean for k in self.served[w]),
                max(sum(names_of[k].share for k in self.served[w]), 1e-300),
            )
            if self.served[w][0] < len(names)
            # a station's windows: speed x the station's mean (x / 1.0 is exact)
            else (sc.stations[self.served[w][0] - len(names)].service_min.mean, 1.0)
            for w in range(n_windows)
        ]
        # several matters per visit, stations (simpy_hall._VisitSteps._init_visits)
        self.visiting = sc.uses_visits()
        if self.visiting:
            visits = sc.visits
            self.k_values, self.k_cum = visits.k_table() if visits else ([1], [1.0])
            self.saving = visits.bundle_saving if visits else 0.0
            self.shortest_first = (visits.order if visits else "listed") == "shortest_queue"
            self.one_sitting = visits.one_sitting if visits else True
            self.shares = np.array([m.share for m in sc.matters], dtype=float)
            self.n_uniforms = 1 + 3 * (max(self.k_values) - 1) + 3 * len(stations)
        # kiosks and helpers (simpy_hall._Hall._init_kiosks_tidal)
        classes = [None, *(sc.classes or [])]
        ks = sc.kiosks if sc.kiosks_active() else None
        self.kiosks = ks
        if ks is not None:
            self.kiosk_ok = [ks.serves(m) for m in names]
            self.kiosk_uptake, self.kiosk_success = hall_setup.kiosk_rates(ks, classes)
        hp = sc.helpers
        self.helpers = hp
        self.helps = [hp is not None and hp.helps(name) for name in class_names]
        self.counter_help = hp is not None and hp.counter_time_factor != 1.0
        # tidal (two roles) and elastic (closed <-> open) groups (_init_kiosks_tidal)
        self.tidal = [g for g, wg in enumerate(sc.windows) if wg.tidal or wg.elastic]
        self.tidal_rule = {}  # group: (switch_on_queue, switch_off_queue)
        self.tidal_wait = {}  # group: time to change into role 0, into role 1
        self.role_combos = {}  # group: the (matter, class) combos each role serves
        self.role_matters = {}  # group: the matters each role serves
        self.watch = {}  # group: the combos whose waiting citizens decide the switch
        self.elastic = set()  # windows of elastic groups
        self.elastic_groups = {g for g in self.tidal if sc.windows[g].elastic}
        combo_index = self.combo_index
        for g in self.tidal:
            wg = sc.windows[g]
            ws = self.group_windows[g]
            home_m = self.served[ws[0]] if ws else []
            home_k = self.classes_of[ws[0]] if ws else []
            home = [combo_index[(m, k)] for m in home_m for k in home_k]
            if wg.elastic is not None:  # role 0 closed (standby), role 1 open
                self.elastic.update(ws)
                self.role_combos[g] = ([], home)
                self.role_matters[g] = ([], home_m)
                self.watch[g] = home
                rule = wg.elastic
                self.tidal_wait[g] = (0.0, rule.switch_min)
            else:
                rule = wg.tidal
                tidal_m = [k for k, m in enumerate(names) if rule.serves(m)]
                tidal_k = (
                    home_k
                    if rule.classes is None
                    else [
                        k
                        for k, c in enumerate(class_names)
                        if "*" in rule.classes or c in rule.classes
                    ]
                )
                role1 = [combo_index[(m, k)] for m in tidal_m for k in tidal_k]
                self.role_combos[g] = (home, role1)
                self.role_matters[g] = (home_m, tidal_m)
                self.watch[g] = [qi for qi in role1 if qi not in set(home)]
                self.tidal_wait[g] = (rule.switch_min, rule.switch_min)
            self.tidal_rule[g] = (rule.switch_on_queue, rule.switch_off_queue)
        self.scenario = sc

    def mean_service(self, setup) -> list[float]:
        """simpy_hall's ``mean_service`` (what shortest_expected_wait multiplies line
        lengths by), with its floating-point operations: speed x mean, then x clerk."""
        sc = self.scenario
        out = []
        for w in range(self.n_windows):
            speed = sc.windows[self.group[w]].service_time_factor * attitude_multiplier(
                sc, setup.clerks[w]
            )
            num, den = self.mean_of_matters[w]
            ms = speed * num / den
            if setup.clerk_speed is not None:
                ms *= float(setup.clerk_speed[w])
            out.append(ms)
        return out


_plan = scenario_cache(_Plan)


def _next_for(heaps, ST, TIER) -> int:
    """simpy_hall._Hall._next_for: the first citizen a window with these queues may
    call (popped), or -1."""
    best = None
    for h in heaps:
        while h:
            top = h[0]
            c = top[4]
            if ST[c] != WAITING or top[1] != TIER[c]:
                heappop(h)  # left, or a stale entry of a promoted citizen
            else:
                if best is None or top < best[0]:
                    best = h
                break
    return heappop(best)[4] if best is not None else -1


def _idle_window(heaps, busy, on_duty, idle_since):
    """The longest idle window on duty in these idle heaps (then the lowest index): its
    ``(idle since, window)`` entry, or None. Entries of windows called or sent off duty
    since they went idle are dropped on the way."""
    top = None
    for h in heaps:
        while h:
            e = h[0]
            x = e[1]
            if busy[x] or not on_duty[x] or idle_since[x] != e[0]:
                heappop(h)
            else:
                if top is None or e < top:
                    top = e
                break
    return top


class _Staffing:
    """The roster process (``simpy_hall._Hall._roster``, ``_set_level``, ``_open``,
    ``_dismiss``) and a missed call's release of its window (``_release``) on the loop's
    lists; a few events a day, so kept out of the loop. ``roster_from`` and ``release``
    take and return the loop's scheduling order and waiting count."""

    def __init__(self, plan, heap, queues, window_heaps, ST, TIER, WIN, add_row):
        self.plan = plan
        self.heap = heap
        self.queues = queues
        self.window_heaps = window_heaps
        self.ST, self.TIER, self.WIN = ST, TIER, WIN
        self.add_row = add_row
        self.now = 0.0
        self.order = 0
        self.waiting = 0
        self.tidal = None  # the tidal and elastic groups' switching (_Tidal), if any

    def windows(self, busy, idle_since, on_duty, closing, duty_start, duty, last_end, IH) -> None:
        self.busy, self.idle_since, self.on_duty = busy, idle_since, on_duty
        self.closing, self.duty_start, self.duty = closing, duty_start, duty
        self.last_end, self.IH = last_end, IH  # IH: the idle heap each window goes to

    def release(self, w, now, order, waiting):
        """simpy_hall._Hall._release (a window's call always an event here)."""
        self.last_end[w] = now
        tidal = self.tidal
        if tidal is not None and tidal.SW[w] >= 0:  # changes role before calling again
            return tidal.begin(w, now, order, waiting)
        if self.closing[w]:
            self.closing[w] = False
            self.busy[w] = False
            self.on_duty[w] = False
            self.duty.append((w, self.duty_start[w], now))
            return order, waiting
        nxt = _next_for(self.window_heaps[w], self.ST, self.TIER)
        if nxt < 0:
            self.busy[w] = False
            self.idle_since[w] = now
            if self.line_count is None:
                heappush(self.IH[w], (now, w))
            return order, waiting
        if self.line_count is not None:
            self.line_count[w] -= 1
        waiting -= 1
        self.q_times.append(now)
        self.q_levels.append(waiting)
        if tidal is not None:
            order = tidal.check(now, order)
        self.ST[nxt] = CALLED
        self.WIN[nxt] = w
        heappush(self.heap, (now, order, _CALLED, nxt))
        return order + 1, waiting

    def queue_trace(self, q_times, q_levels) -> None:
        self.q_times, self.q_levels = q_times, q_levels

    def roster_from(self, k, due, now, order, waiting):
        """The roster process from step ``k``: apply the steps due (step ``k`` is when
        its timeout has just ended), then wait for the next."""
        self.now, self.order, self.waiting = now, order, waiting
        steps = self.plan.steps
        while k < len(steps):
            t, levels, gone = steps[k]
            if t > now and not due:
                heappush(self.heap, (now + (t - now), self.order, _ROSTER, k))
                self.order += 1
                break
            due = False
            for g, level in levels:
                self.set_level(g, level)
            for qi in gone:
                self.dismiss(qi)
            k += 1
        return self.order, self.waiting

    def set_level(self, g, level):
        on_duty, closing, busy = self.on_duty, self.closing, self.busy
        ws = self.plan.group_windows[g]
        staffed = [w for w in ws if on_duty[w] and not closing[w]]
        more = level - len(staffed)
        for w in ws:  # carrying on beats closing then reopening
            if more > 0 and closing[w]:
                closing[w] = False
                more -= 1
        for w in ws:
            if more > 0 and not on_duty[w]:
                self.open_window(w)
                more -= 1
        if more < 0:
            idle = [w for w in reversed(staffed) if not busy[w]]
            taken = [w for w in reversed(staffed) if busy[w]]
            for w in (idle + taken)[:-more]:
                if busy[w]:
                    closing[w] = True  # no pre-emption: finish this citizen first
                else:
                    on_duty[w] = False
                    self.duty.append((w, self.duty_start[w], self.now))

    def open_window(self, w):
        now = self.now
        self.on_duty[w] = True
        self.duty_start[w] = self.idle_since[w] = now
        nxt = _next_for(self.window_heaps[w], self.ST, self.TIER)
        if nxt >= 0:
            self.waiting -= 1
            self.q_times.append(now)
            self.q_levels.append(self.waiting)
            if self.tidal is not None:
                self.order = self.tidal.check(now, self.order)
            self.busy[w] = True
            self.ST[nxt] = CALLED
            self.WIN[nxt] = w
            heappush(self.heap, (now, self.order, _CALLED, nxt))
            self.order += 1
        else:
            heappush(self.IH[w], (now, w))

    def dismiss(self, qi):
        """No window will open again for these citizens: they leave unserved now."""
        queue = self.queues[qi]
        ST = self.ST
        for entry in queue:
            c = entry[4]
            if ST[c] == WAITING:
                ST[c] = DISMISSED
                self.waiting -= 1
                self.q_times.append(self.now)
                self.q_levels.append(self.waiting)
                if self.tidal is not None:
                    self.order = self.tidal.check(self.now, self.order)
                self.add_row((c, -1, NAN, self.now, UNSERVED, False))
        queue.clear()


class _Tidal:
    """Tidal and elastic windows (``simpy_hall._Hall._tidal_check``, ``_switch_group``,
    ``_begin_switch``, ``_end_switch``, ``_close_role_spells``).

    After every change of the waiting count each group not already switching counts the
    citizens waiting whom it watches (the reference's scan of those heaps) and, past a
    threshold, asks for a switch: an ``_SWITCH`` event at the same instant. A window idle
    then (or busy, once its citizen leaves) is unavailable while it changes role (an
    ``_ENDSW`` timeout, or at once), then calls the next citizen of its new role. An idle
    window waits in the idle heap of its group's current role (``role_heaps``): a role
    serves fixed (matter, class) combos, so each combo looks at fixed heaps; a window
    leaving a role takes its entries out of that role's heap.
    """

    def __init__(self, plan, heap, queues, window_heaps, ST, TIER, busy, IH, role_heaps, start):
        self.plan = plan
        self.heap = heap
        self.window_heaps = window_heaps
        self.ST, self.TIER, self.busy, self.IH = ST, TIER, busy, IH
        self.role_heaps = role_heaps
        self.groups = plan.tidal
        self.watch = {g: [queues[qi] for qi in plan.watch[g]] for g in plan.tidal}
        self.role_queues = {
            g: [[queues[qi] for qi in combos] for combos in plan.role_combos[g]] for g in plan.tidal
        }
        self.role = dict.fromkeys(plan.tidal, 0)
        self.pending: set[int] = set()
        n = plan.n_windows
        self.ROLE = [0] * n  # 0 home, 1 tidal (elastic: closed, open), -1 changing
        self.since = [start] * n  # in the current role since
        self.SW = [-1] * n  # the role to switch to (-1: none)
        self.to = [0] * n  # the role a window changing role will take
        self.spells: list[tuple[int, int, float, float]] = []
        self.switches = 0
        self.staffing = None

    def check(self, now, order) -> int:
        ST, TIER = self.ST, self.TIER
        for g in self.groups:
            if g in self.pending:
                continue
            on, off = self.plan.tidal_rule[g]
            role = self.role[g]
            # the reference's count of those waiting, stopped where the rule is decided
            limit = on if role == 0 else off + 1
            n = 0
            for h in self.watch[g]:
                for e in h:
                    c = e[4]
                    if ST[c] == WAITING and e[1] == TIER[c]:
                        n += 1
                        if n >= limit:
                            break
                if n >= limit:
                    break
            if (role == 0 and n >= on) or (role == 1 and n <= off):
                self.pending.add(g)  # switch after this event
                heappush(self.heap, (now, order, _SWITCH, g))
                order += 1
        return order

    def switch_group(self, g, now, order, waiting):
        self.pending.discard(g)
        role = 1 - self.role[g]
        self.role[g] = role
        for w in self.plan.group_windows[g]:
            self.SW[w] = role
            if not self.busy[w]:
                order, waiting = self.begin(w, now, order, waiting)
        return order, waiting

    def begin(self, w, now, order, waiting):
        role = self.SW[w]
        self.SW[w] = -1
        if role == self.ROLE[w]:  # switched back before it began: nothing to change
            return self.staffing.release(w, now, order, waiting)
        self.busy[w] = True  # no arrival picks it while it changes role
        self.spells.append((w, self.ROLE[w], self.since[w], now))
        self.switches += 1
        h = self.IH[w]  # its idle entries in the role it leaves
        h[:] = [e for e in h if e[1] != w]
        heapify(h)
        self.ROLE[w] = -1
        self.since[w] = now
        wait = self.plan.tidal_wait[self.plan.group[w]][role]
        if wait > 0:
            self.to[w] = role
            heappush(self.heap, (now + wait, order, _ENDSW, w))
            return order + 1, waiting
        return self.end(w, role, now, order, waiting)

    def end(self, w, role, now, order, waiting):
        if self.since[w] < now:
            self.spells.append((w, -1, self.since[w], now))
        g = self.plan.group[w]
        self.ROLE[w] = role
        self.since[w] = now
        self.window_heaps[w] = list(self.role_queues[g][role])
        self.IH[w] = self.role_heaps[g][role]
        return self.staffing.release(w, now, order, waiting)

    def close(self, sc, last_end, duty, start):
        """The role spells open at the end, and elastic windows' duty spells
        (``simpy_hall._Hall._close_role_spells``); True when those replace the duty."""
        close = sc.hall.close_min
        end = max(close, max(last_end, default=0))
        elastic = self.plan.elastic
        for g in self.groups:
            for w in self.plan.group_windows[g]:
                stop = max(close, last_end[w]) if w in elastic else end
                self.spells.append((w, self.ROLE[w], self.since[w], max(stop, self.since[w])))
        if not elastic:
            return False
        if not self.plan.rostered:
            day = sc.run.mode == "day"
            duty[:] = [
                (w, start, max(close, last_end[w]) if day else INF)
                for w in range(self.plan.n_windows)
                if w not in elastic
            ]
        else:
            duty[:] = [d for d in duty if d[0] not in elastic]
        duty += [(i, a, b) for i, r, a, b in self.spells if i in elastic and r != 0]
        return True


class _Missed:
    """过号 (``simpy_hall._Hall._answer_call``): whether a called citizen is there.

    ``answer`` is the call's answer up to its first wait, at the moment the citizen's
    process resumes after being called (where the reference calls ``_answer_call``).
    Each call reads one ``missed_calls`` uniform; when the citizen is not there, the
    window's release is a timeout of ``wasted_min`` (or happens now), then one more
    uniform gives the time away: beyond the grace the citizen is lost (MISSED), within
    it their return is a ``_BACK`` event (the loop re-queues them).

    The uniforms are drawn in blocks (as ``hall_setup._Returns`` draws return visits);
    ``finish`` rewinds the stream and advances it by exactly the number used, as the
    reference's one draw at a time would (a double takes one draw of the bit generator
    whatever the block size, so the values are the same).
    """

    def __init__(self, mc, rng, staffing, heap, ST, add_row):
        self.absent = mc.absent
        self.wasted = mc.wasted_min
        self.away_min = mc.away_min
        self.grace = mc.grace_min
        self.tier = -1 if mc.requeue == "front" else 1
        self.rng = rng
        self.staffing = staffing
        self.heap = heap
        self.ST = ST
        self.add_row = add_row
        self.count = 0
        self.saved = None  # the stream's state before the first block
        self.used = 0  # uniforms used before the current block
        self.block = np.empty(0)
        self.u: list[float] = []  # the current block as Python floats
        self.pos = 0  # the next one in it
        self.size = 256

    def _uniform(self) -> int:
        """Position in ``self.u`` of the stream's next uniform."""
        if self.pos == len(self.u):
            if self.saved is None:
                self.saved = self.rng.bit_generator.state
            self.used += len(self.u)
            self.block = self.rng.random(self.size)
            self.u = self.block.tolist()
            self.pos = 0
            self.size *= 2
        self.pos += 1
        return self.pos - 1

    def finish(self) -> None:
        if self.saved is not None:
            self.rng.bit_generator.state = self.saved
            self.rng.random(self.used + self.pos)

    def answer(self, i, w, now, order, waiting):
        """(order, waiting, True) when citizen ``i`` answers ``w``'s call (service
        starts), else (order, waiting, False)."""
        j = self.pos
        if j == len(self.u):
            j = self._uniform()
        else:
            self.pos = j + 1
        if not self.u[j] < self.absent:
            return order, waiting, True
        self.count += 1
        if self.wasted > 0:
            heappush(self.heap, (now + self.wasted, order, _RELEASE, w))
            order += 1
        else:
            order, waiting = self.staffing.release(w, now, order, waiting)
        j = self._uniform()
        away = float(quantile(self.away_min, self.block[j : j + 1])[0])
        if away > self.grace:
            self.ST[i] = GONE
            self.add_row((i, -1, NAN, now, MISSED, False))
            return order, waiting, False
        heappush(self.heap, (now + away, order, _BACK, i))
        return order + 1, waiting, False


class _Helpers:
    """帮办代办 (``simpy_hall._Hall._hold_helper``): a helper held for a session; the
    helper is free again at a timeout (an ``_HFREE`` event) scheduled before the
    session's own end, as the reference schedules it."""

    def __init__(self, hp, heap):
        self.count = hp.count
        self.kiosk_success = hp.kiosk_success
        self.counter_factor = hp.counter_time_factor
        self.heap = heap
        self.busy = 0
        self.busy_min = 0.0
        self.spells: list[tuple[float, float]] = []
        self.helped = 0
        self.numpy_sum = False

    def hold(self, duration, now, order, numpy_time=False) -> int:
        """Hold a helper for ``duration`` from ``now``. ``numpy_time``: the reference's
        duration is a NumPy double (a demand's service time), which makes its sum one."""
        if numpy_time:
            self.numpy_sum = True
        self.busy += 1
        self.helped += 1
        self.busy_min += duration
        self.spells.append((now, now + duration))
        heappush(self.heap, (now + duration, order, _HFREE, -1))
        return order + 1


def _kiosk_draws(plan, demand, rng, n):
    """The kiosks stream's three uniforms per eligible arrival (try it, time, success),
    read at once: every arrival's process starts, in arrival order, and reads its three
    first thing. Per citizen: tries a kiosk, the session's time, the success uniform."""
    booked = demand.booked if demand.booked is not None else np.zeros(n, dtype=bool)
    eligible = np.array(plan.kiosk_ok, dtype=bool)[demand.matter] & ~np.asarray(booked, bool)
    idx = np.flatnonzero(eligible)
    u = rng.random((len(idx), 3))
    klass = demand.klass if demand.klass is not None else np.zeros(n, dtype=np.int64)
    tries = np.zeros(n, dtype=bool)
    tries[idx] = u[:, 0] < np.array(plan.kiosk_uptake)[klass[idx]]
    duration = np.zeros(n)
    duration[idx] = quantile(plan.kiosks.service_min, np.ascontiguousarray(u[:, 1]))
    success_u = np.ones(n)
    success_u[idx] = u[:, 2]
    return tries.tolist(), duration.tolist(), success_u.tolist()


class _Visits:
    """Several matters per visit and stations (``simpy_hall._VisitSteps``).

    Each step of a visit is a citizen of its own here (an index into the loop's lists,
    appended like a return visit) sharing the visit's ``_VisitPlan``: the reference
    gives the same citizen a fresh ticket per step, and its ``_forget`` drops the
    entries of the step just done, which with an index per step are simply stale (and
    skipped when they reach a heap's top: the keys are totally ordered, so where they
    lie in a heap does not change the calling order). The booked slot's promotion
    targets the first step's index only, so a later step is never promoted. A
    station step's settle uniform is -1 (always settled, as the reference's station
    rows). The next step's process starts (SimPy runs a process's start before any
    other event due now) as a ``_RETURN`` event of order -1 at the same instant: it is
    the next event, and what it schedules comes after the call made at the step's end.
    """

    def __init__(self, plan, rng, n, cit, queues, lines):
        self.plan = plan
        self._draw_routes(rng, n)
        self.cit = cit  # the loop's per-citizen lists
        self.queues = queues
        self.lines = lines
        self.n_matters = len(plan.scenario.matters)
        self.PL: list = [None] * n  # each citizen's visit plan (None: a return visit)
        # the reference's base time of a demand's first matter is a NumPy double, which
        # makes a helper's busy minutes one (``_Helpers.hold``): which step's base is it
        self.NPB = [False] * n
        self.numpy = False  # ... and whether the last sitting's minutes are one
        self.first_item: dict[int, tuple] = {}  # per first step: its first matter's entry
        self.took_first = False
        self.tidal = None  # the tidal windows' roles (_Tidal), whose matters change
        self.STN = [-1] * n  # the station of the step (-1: the matter windows)
        self.VP = list(cit["P"])  # the visit's patience, per queue (with class factor)
        self.MD: dict[int, int] = {}  # matters served at the step's sitting, when recorded
        self.rows: list[tuple] = []  # per citizen (simpy_hall._VisitSteps._visit_ends)
        self.trips = 0
        self.trips_later = 0
        self.A, self.RU, self.K = cit["A"], cit["RU"], cit["K"]
        # a new step: its ticket, key, base, patience, settle uniform; its visit's return
        # timing and class; then what it starts with: not booked, waiting in ticket
        # order, not called
        self.adds = [cit[x].append for x in ("A", "M", "B", "P", "SU", "RU", "K")]
        self.fresh = [
            (cit[name].append, value)
            for name, value in (
                ("BK", False),
                ("SL", NAN),
                ("ST", WAITING),
                ("TIER", 1),
                ("WIN", -1),
                ("CALL", NAN),
                ("SEQ", -1),
                ("TRIG", False),
                ("LN", -1),
            )
        ]

    def _draw_routes(self, rng, n) -> None:
        """simpy_hall.visit_route for every arrival at once: the ``visits`` stream's
        uniforms in one block (the reference's one ``random`` per arrival reads the same
        doubles) and each quantile for every arrival in one call (as the fast engine
        draws the demand and return visits); ``route`` then picks what each one uses."""
        plan = self.plan
        sc = plan.scenario
        U = rng.random((n, plan.n_uniforms))
        k_values = plan.k_values
        ki = np.minimum(np.searchsorted(plan.k_cum, U[:, 0], side="right"), len(plan.k_cum) - 1)
        self.k = np.asarray(k_values)[ki].tolist()
        k_max = max(k_values)
        # per extra matter j: the choice uniform, each matter's base time, the settlement
        self.pick = [U[:, 1 + 3 * j].tolist() for j in range(k_max - 1)]
        self.extra_base = [
            [
                quantile(m.service_min, np.ascontiguousarray(U[:, 2 + 3 * j])).tolist()
                for m in sc.matters
            ]
            for j in range(k_max - 1)
        ]
        self.extra_settle = [U[:, 3 + 3 * j].tolist() for j in range(k_max - 1)]
        self.stations = []  # per station: (before?, routed matters, routed, base, delay)
        for s, st in enumerate(sc.stations or []):
            col = 1 + 3 * (k_max - 1) + 3 * s
            routed = (U[:, col] < st.share).tolist()
            base = quantile(st.service_min, np.ascontiguousarray(U[:, col + 1])).tolist()
            delay = None
            if st.position == "after" and st.back_office_min is not None:
                delay = quantile(st.back_office_min, np.ascontiguousarray(U[:, col + 2])).tolist()
            serves = [st.routes(m.name) for m in sc.matters]
            self.stations.append((st.position == "before", serves, routed, base, delay))
        self.shares = plan.shares.tolist()

    def route(self, i, first):
        """(before, matters, after) of arrival ``i``, as simpy_hall.visit_route: the
        cumulative shares are summed left to right as ``np.cumsum`` does, and searched
        as ``np.searchsorted(..., side="right")`` does (``bisect_right``)."""
        matters = [first]
        k = self.k[i]
        if k > 1:
            left = list(self.shares)
            left[first[0]] = 0.0
            for j in range(k - 1):
                cum = list(accumulate(left))
                m = min(bisect_right(cum, self.pick[j][i] * cum[-1]), len(cum) - 1)
                while left[m] <= 0:  # guard against a rounding step onto an empty matter
                    m -= 1
                left[m] = 0.0
                matters.append((m, self.extra_base[j][m][i], self.extra_settle[j][i]))
        before, after = [], []
        for s, (is_before, serves, routed, base, delay) in enumerate(self.stations):
            if not (routed[i] and any(serves[m] for m, _, _ in matters)):
                continue
            if is_before:
                before.append((s, base[i]))
            else:
                after.append((s, base[i], delay[i] if delay is not None else None))
        return before, matters, after

    def start(self, i) -> None:
        """simpy_hall._VisitSteps._plan_visit for arrival ``i`` (in the source's step)."""
        c = self.cit
        before, matters, after = self.route(i, (c["M"][i], c["B"][i], c["SU"][i]))
        p = _VisitPlan(c["A"][i], before, matters, after)
        self.PL[i] = p
        self.first_item[id(p)] = matters[0]
        c["M"][i], self.STN[i], c["B"][i], c["SU"][i] = self.take_step(p)
        self.NPB[i] = self.took_first

    def take_step(self, p):
        """simpy_hall._VisitSteps._take_step: (queue key, station, base, settle uniform)."""
        self.took_first = False
        if p.before:
            s, base = p.before.pop(0)
            return self.n_matters + s, s, base, -1.0
        if p.matters:
            j = 0
            if self.plan.shortest_first and len(p.matters) > 1:
                j = min(range(len(p.matters)), key=lambda x: self.waiting_for(p.matters[x][0]))
            item = p.matters.pop(j)
            self.took_first = item is self.first_item[id(p)]
            m, base, su = item
            return m, -1, base, su
        if p.after:
            s, base, _ = p.after[0]
            return self.n_matters + s, s, base, -1.0
        return None

    def waiting_for(self, key) -> int:
        """Citizens waiting now for queue key ``key`` (any class; every entry counts)."""
        plan = self.plan
        if self.lines:
            heaps = [self.queues[w] for w in range(plan.n_windows) if key in plan.served[w]]
        else:
            nk = plan.n_classes
            heaps = self.queues[key * nk : (key + 1) * nk]
        ST = self.cit["ST"]
        return sum(1 for h in heaps for e in h if ST[e[4]] == WAITING)

    def sitting(self, i, w) -> float:
        """simpy_hall._VisitSteps._sitting: the step's base minutes at window ``w``."""
        p = self.PL[i]
        base = self.cit["B"][i]
        self.numpy = self.NPB[i]
        if self.STN[i] >= 0 or not self.plan.one_sitting:
            p.sitting = 0 if self.STN[i] >= 0 else 1
            return base
        total, n = base, 1
        keep = []
        serves = self.plan.served[w]
        tidal = self.tidal
        if tidal is not None and w in tidal.window_role_group:  # its current role's matters
            serves = self.plan.role_matters[tidal.window_role_group[w]][tidal.ROLE[w]]
        saving = self.plan.saving
        first = self.first_item[id(p)]
        for item in p.matters:
            if item[0] in serves:
                total += (1.0 - saving) * item[1]
                n += 1
                if item is first:
                    self.numpy = True
            else:
                keep.append(item)
        p.matters = keep
        p.sitting = n
        return total

    def recorder(self, rows):
        """``rows.append`` and simpy_hall._VisitSteps._step_recorded."""
        PL, MD, ends = self.PL, self.MD, self.rows
        add = rows.append

        def add_row(r):
            add(r)
            i = r[0]
            p = PL[i]
            if p is not None:
                p.queues += 1
                if r[4] == SERVED:
                    p.done += p.sitting
                else:  # leaves with the earlier matters done
                    p.sitting = 0
                    p.in_hall += r[3] - p.trip_start
                    ends.append((p.arrival, p.in_hall, p.queues, p.n_matters, p.done, False))
                MD[i] = p.sitting

        return add_row

    def step(self, i, now, taken) -> int:
        """A new citizen for the next step of ``i``'s visit (simpy_hall._requeue)."""
        m, s, base, su = taken
        j = len(self.A)
        for add, value in zip(
            self.adds, (now, m, base, self.VP[i], su, self.RU[i], self.K[i]), strict=True
        ):
            add(value)
        for add, value in self.fresh:
            add(value)
        self.PL.append(self.PL[i])
        self.STN.append(s)
        self.VP.append(self.VP[i])
        self.NPB.append(self.took_first)
        return j

    def returned(self) -> None:
        """A return visit (plain) appended to the loop's lists."""
        self.PL.append(None)
        self.STN.append(-1)
        self.VP.append(INF)
        self.NPB.append(False)

    def next_step(self, i, now, order, heap) -> int:
        """simpy_hall._VisitSteps._next_step after ``i``'s served step."""
        p = self.PL[i]
        st = self.STN[i]
        if st >= 0 and p.after and p.after[0][0] == st:
            p.after.pop(0)  # the after-station just served
        if not p.before and not p.matters and p.after and p.after[0][2] is not None:
            s, base, delay = p.after[0]
            p.after[0] = (s, base, None)
            p.in_hall += now - p.trip_start
            ready = now + delay
            if ready >= self.plan.arrival_end:  # back another day: not simulated
                self.trips_later += 1
                p.after.clear()
                self.rows.append((p.arrival, p.in_hall, p.queues, p.n_matters, p.done, True))
                return order
            self.trips += 1
            back = now + (ready - now)  # simpy_hall._second_trip's timeout
            p.trip_start = back
            j = self.step(i, back, self.take_step(p))
            heappush(heap, (back, order, _RETURN, j))
            return order + 1
        taken = self.take_step(p)
        if taken is None:
            p.in_hall += now - p.trip_start
            self.rows.append((p.arrival, p.in_hall, p.queues, p.n_matters, p.done, True))
            return order
        heappush(heap, (now, -1, _RETURN, self.step(i, now, taken)))
        return order

    def extras(self, trace, who, n, M) -> None:
        """The trace's visit fields (simpy_hall._VisitSteps._visit_extras)."""
        PL, STN = self.PL, self.STN
        ids = who.tolist()
        stn = np.array(STN, dtype=np.int64)[who]
        plans = [PL[i] for i in ids]
        trace.station = stn
        trace.matter = np.array(
            [M[i] if s < 0 else p.home for i, s, p in zip(ids, stn.tolist(), plans, strict=True)],
            dtype=np.int64,
        )
        trace.visit_start_min = np.array(
            [
                p.arrival if p is not None else a
                for p, a in zip(plans, trace.arrival_min.tolist(), strict=True)
            ],
            dtype=float,
        )
        trace.matters_done = np.array(
            [
                self.MD[i] if p is not None else int(o == SERVED)
                for i, p, o in zip(ids, plans, trace.outcome.tolist(), strict=True)
            ],
            dtype=np.int64,
        )
        trace.is_return = (who >= n) & np.array([p is None for p in plans], dtype=bool)
        rows = sorted(self.rows)
        cols = list(zip(*rows, strict=True)) if rows else [[]] * 6
        trace.citizen_arrival_min = np.asarray(cols[0], dtype=float)
        trace.citizen_in_hall_min = np.asarray(cols[1], dtype=float)
        trace.citizen_queues = np.asarray(cols[2], dtype=np.int64)
        trace.citizen_matters = np.asarray(cols[3], dtype=np.int64)
        trace.citizen_matters_done = np.asarray(cols[4], dtype=np.int64)
        trace.citizen_complete = np.asarray(cols[5], dtype=bool)
        trace.second_trips = self.trips
        trace.second_trips_later = self.trips_later


def run_hall(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """One replication; the same trace as ``simpy_hall.run_hall`` (see the module doc).

    A citizen is an index into per-citizen lists (the demand's, then return visits
    appended); a heap event is ``(time, order, kind, citizen)``.
    """
    plan = _plan(scenario)
    setup = plan.base.replication(streams)  # the reference's clerk draws, in its order
    demand = draw_demand(scenario, streams)
    speed = setup.speed
    p_settle = setup.p_settle
    n_windows = plan.n_windows
    n_classes = plan.n_classes
    group = plan.group
    combo_windows = plan.combo_windows
    lines = plan.lines
    window_queues = plan.window_queues
    class_priority = plan.class_priority
    class_factor = plan.class_factor
    patience_factor = plan.patience_factor
    grace = plan.grace
    dismiss_at = plan.dismiss_at
    fatigue = plan.fatigue
    open_min = plan.start
    room = plan.room
    balk_at = plan.balk_at
    balk_curve = plan.balk_curve
    balking = streams["balking"] if balk_curve is not None else None
    balk_p: dict[int, float] = {}
    arrival_end = plan.arrival_end
    same_day_delay = plan.return_plan.same_day_delay
    renege = plan.renege
    returns = (
        hall_setup._Returns(scenario, streams["returns"], int(len(demand.arrival_min) * 0.3) + 16)
        if any(p < 1.0 for p in p_settle)
        else None
    )

    # citizens: the demand as plain Python numbers (the same doubles), one list per field
    A = demand.arrival_min.tolist()  # came into the hall
    n = len(A)
    TK = A  # ticket time: the arrival, or a failed kiosk session's end
    M = demand.matter.tolist()
    B = demand.base_service_min.tolist()
    if patience_factor is not None and n:  # class patience, as simpy_hall on arrival
        P = (demand.patience_min * np.array(patience_factor)[demand.klass]).tolist()
    else:
        P = demand.patience_min.tolist()
    SU = demand.settle_u.tolist()
    RU = demand.return_u.tolist() if demand.return_u is not None else [0.0] * n
    K = demand.klass.tolist() if demand.klass is not None else [0] * n
    BK = demand.booked.tolist() if demand.booked is not None else [False] * n
    SL = demand.slot_min.tolist() if demand.slot_min is not None else [NAN] * n
    ST = [WAITING] * n  # state
    TIER = [1] * n  # 0: booked and their slot has come; 1: in ticket order
    WIN = [-1] * n  # the window that called them
    CALL = [NAN] * n
    SEQ = [-1] * n  # ticket number
    TRIG = [False] * n  # "called or out of patience" has succeeded
    LN = [-1] * n  # per-window lines: the window whose line they joined

    heap: list[tuple] = []
    # kiosks: a SimPy Resource (kernel.Resource documents its order): slots in use and
    # a first-in-first-out queue of requests not yet granted
    kiosk_try = None
    if plan.kiosks is not None:
        kiosk_try, KD, KU = _kiosk_draws(plan, demand, streams["kiosks"], n)
        k_count = plan.kiosks.count
        k_users = 0
        k_queue: deque[int] = deque()
        k_success = plan.kiosk_success
        TK = list(A)
        KIO = [NO_KIOSK] * n  # what happened at a kiosk
        KC = [NAN] * n  # session start
        KE = [NAN] * n  # session end
        KOK = [False] * n  # done there
        KG = [False] * n  # request granted (its event scheduled)
        KGP = [False] * n  # ... and processed
        KTR = [False] * n  # "granted or out of patience" has succeeded
    helpers = _Helpers(plan.helpers, heap) if plan.helpers is not None else None
    helps = plan.helps
    counter_help = plan.counter_help
    if helpers:
        h_count = helpers.count
        h_kiosk_success = helpers.kiosk_success
        counter_factor = helpers.counter_factor

    # windows
    busy = [False] * n_windows
    idle_since = [open_min] * n_windows
    on_duty = [True] * n_windows
    closing = [False] * n_windows
    duty_start = [open_min] * n_windows
    last_end = [-INF] * n_windows
    for w in plan.off_at_start:
        on_duty[w] = False
    duty: list[tuple[int, float, float]] = []
    queues: list[list] = [[] for _ in plan.combos]  # a heap per (matter, class)
    # each window's heaps (no comprehension over ``queues``: that would make it a
    # closure cell, slower to read in the event loop)
    window_heaps = []
    if lines:  # each window calls from its own line only
        queues = [[] for _ in range(n_windows)]  # the lines, in window order
        for line in queues:
            window_heaps.append([line])
        line_count = [0] * n_windows  # citizens waiting in each line
        line_choice = plan.line_choice
        mean_service = plan.mean_service(setup)
        draw_tie = streams["routing"].integers
    else:
        for qs in window_queues:
            window_heaps.append(list(map(queues.__getitem__, qs)))
        line_count = None
    # idle windows on duty: a heap of (idle since, window) per group, so an arrival
    # finds the reference's choice (longest idle, then lowest index) without a scan of
    # every window; entries of windows since called or sent off duty are dropped when met
    idle_heaps: list[list] = [[] for _ in plan.group_windows]
    IH = [idle_heaps[g] for g in group]  # the idle heap each window goes to
    tidal = None
    if plan.tidal:  # a tidal or elastic group: a heap per role (_Tidal)
        role_heaps = {g: ([], []) for g in plan.tidal}
        for g in plan.tidal:
            for w in plan.group_windows[g]:
                IH[w] = role_heaps[g][0]
    for w in range(n_windows):
        if on_duty[w]:
            IH[w].append((open_min, w))  # in window order: already heaps
    combo_idle = []  # each (matter, class)'s groups' idle heaps
    for qi, gs in enumerate(plan.combo_groups):
        heaps = [idle_heaps[g] for g in gs if g not in plan.tidal]
        for g in plan.tidal:
            heaps += [role_heaps[g][r] for r in (0, 1) if qi in plan.role_combos[g][r]]
        combo_idle.append(heaps)

    order = 0  # SimPy's scheduling order (event ids), as far as it matters
    seq = 0  # ticket numbers, as simpy_hall's _seq
    waiting = 0
    q_times = [open_min]
    q_levels = [0]
    rows: list[tuple] = []  # (citizen, window, call, end, outcome, settled) per visit
    add_row = rows.append
    visits = PL = None
    if plan.visiting:
        cit = dict(A=A, M=M, B=B, P=P, SU=SU, RU=RU, K=K, BK=BK, SL=SL, ST=ST, TIER=TIER)
        cit.update(WIN=WIN, CALL=CALL, SEQ=SEQ, TRIG=TRIG, LN=LN)
        visits = _Visits(plan, streams["visits"], n, cit, queues, lines)
        PL = visits.PL
        add_row = visits.recorder(rows)
    returns_later = 0
    now = open_min
    ia = 0  # the source's next citizen

    staffing = _Staffing(plan, heap, queues, window_heaps, ST, TIER, WIN, add_row)
    staffing.windows(busy, idle_since, on_duty, closing, duty_start, duty, last_end, IH)
    if plan.tidal:
        tidal = _Tidal(plan, heap, queues, window_heaps, ST, TIER, busy, IH, role_heaps, open_min)
        tidal.staffing = staffing
        staffing.tidal = tidal
        if visits is not None:  # a sitting serves the matters of the window's current role
            visits.tidal = tidal
            tidal.window_role_group = {w: g for g in plan.tidal for w in plan.group_windows[g]}
        for g in plan.tidal:
            if g in plan.elastic_groups:  # closed: calls nobody
                for w in plan.group_windows[g]:
                    window_heaps[w] = []
    staffing.queue_trace(q_times, q_levels)
    staffing.line_count = line_count
    missed = None
    if plan.missed is not None:
        missed = _Missed(plan.missed, streams["missed_calls"], staffing, heap, ST, add_row)
        requeue_tier = missed.tier

    if plan.rostered:
        order, waiting = staffing.roster_from(0, False, now, order, waiting)
    # the source process's start: citizens due at the opening, then its first timeout
    heappush(heap, (now, -1, _START, 0))
    while heap:
        now, _, kind, i = heappop(heap)
        if kind == _END:
            w = WIN[i]
            settled = SU[i] < p_settle[w]
            add_row((i, w, CALL[i], now, SERVED, settled))
            back = -1
            if not settled:  # simpy_hall._Hall._schedule_return
                delay = same_day_delay(RU[i])
                if delay is None or now + delay >= arrival_end:
                    returns_later += 1
                else:
                    m = M[i]
                    base, pat, su, timing = returns.draw(m)
                    if renege[m] is None:
                        pat = INF
                    if patience_factor is not None:  # a return goes straight to a counter
                        pat *= patience_factor[K[i]]
                    back = len(A)
                    A.append(now + delay)
                    if TK is not A:
                        TK.append(now + delay)
                    M.append(m)
                    B.append(base)
                    P.append(pat)
                    SU.append(su)
                    RU.append(timing)
                    K.append(K[i])
                    BK.append(False)
                    SL.append(NAN)
                    ST.append(WAITING)
                    TIER.append(1)
                    WIN.append(-1)
                    CALL.append(NAN)
                    SEQ.append(-1)
                    TRIG.append(False)
                    LN.append(-1)
                    if PL is not None:
                        visits.returned()
            # simpy_hall._Hall._release
            last_end[w] = now
            nxt = -1
            if tidal is not None and tidal.SW[w] >= 0:  # a role change first
                order, waiting = tidal.begin(w, now, order, waiting)
            elif closing[w]:
                closing[w] = False
                busy[w] = False
                on_duty[w] = False
                duty.append((w, duty_start[w], now))
            else:
                nxt = _next_for(window_heaps[w], ST, TIER)
                if nxt < 0:
                    busy[w] = False
                    idle_since[w] = now
                    if not lines:
                        heappush(IH[w], (now, w))
                else:
                    if lines:
                        line_count[w] -= 1
                    waiting -= 1
                    q_times.append(now)
                    q_levels.append(waiting)
                    if tidal is not None:
                        order = tidal.check(now, order)
                    ST[nxt] = CALLED
                    WIN[nxt] = w
                    called = order  # the call's event
                    order += 1
            if back >= 0:  # the return visit's process starts: it waits
                heappush(heap, (now + (A[back] - now), order, _RETURN, back))
                order += 1
            if PL is not None and PL[i] is not None:  # the visit's next step
                order = visits.next_step(i, now, order, heap)
            if nxt < 0:
                continue
            if heap and heap[0][0] == now:  # something else happens now: the call waits
                heappush(heap, (now, called, _CALLED, nxt))
                continue
            # the call is the next event, and (with patience) so is the condition's:
            # the called citizen's service starts at once, as it would there
            TRIG[nxt] = True
            # the service starts (three more copies below): inline, as a function call
            # per service costs the hot loop more than noise (benchmarks/README.md)
            if missed is not None:
                order, waiting, there = missed.answer(nxt, w, now, order, waiting)
                if not there:
                    continue
            CALL[nxt] = now
            sp = speed[w]
            k = K[nxt]
            if k:
                sp *= class_factor[k]
            if fatigue:
                sp *= 1.0 + fatigue * (now - open_min)
            b = B[nxt] if PL is None or PL[nxt] is None else visits.sitting(nxt, w)
            if counter_help and helps[k] and helpers.busy < h_count:
                order = helpers.hold(
                    b * sp * counter_factor,
                    now,
                    order,
                    nxt < n if PL is None or PL[nxt] is None else visits.numpy,
                )
                sp *= counter_factor
            heappush(heap, (now + b * sp, order, _END, nxt))
            order += 1
            continue
        if kind == _CALLED:
            if P[i] == INF or not TRIG[i]:
                if P[i] != INF:
                    TRIG[i] = True
                    if heap and heap[0][0] == now:  # the condition's own event
                        heappush(heap, (now, order, _RESUME, i))
                        order += 1
                        continue
                # resumes now (nothing else happens at this instant): the service, inline
                # as in the release's handler
                w = WIN[i]
                if missed is not None:
                    order, waiting, there = missed.answer(i, w, now, order, waiting)
                    if not there:
                        continue
                CALL[i] = now
                sp = speed[w]
                k = K[i]
                if k:
                    sp *= class_factor[k]
                if fatigue:
                    sp *= 1.0 + fatigue * (now - open_min)
                b = B[i] if PL is None or PL[i] is None else visits.sitting(i, w)
                if counter_help and helps[k] and helpers.busy < h_count:
                    order = helpers.hold(
                        b * sp * counter_factor,
                        now,
                        order,
                        i < n if PL is None or PL[i] is None else visits.numpy,
                    )
                    sp *= counter_factor
                heappush(heap, (now + b * sp, order, _END, i))
                order += 1
            continue
        if kind >= _SWITCH:  # tidal and elastic windows (_Tidal)
            if kind == _SWITCH:
                order, waiting = tidal.switch_group(i, now, order, waiting)
            else:  # a window's role change is over
                order, waiting = tidal.end(i, tidal.to[i], now, order, waiting)
            continue
        if kind >= _KGRANT:  # kiosks and helpers (simpy_hall._Hall._kiosk_visit)
            if kind == _KEND:
                # the kiosk released (its event scheduled), done or on to a counter
                k_users -= 1
                heappush(heap, (now, order, _KREL, -1))
                order += 1
                KE[i] = now
                if KOK[i]:
                    KIO[i] = KIOSK_DONE
                    add_row((i, -1, KC[i], now, SERVED, True))
                    continue
                KIO[i] = KIOSK_FAILED
                pat = P[i] - (now - A[i])  # the patience left for the counter queue
                P[i] = max(pat, 0.0)
                TK[i] = now  # a ticket taken now
                kind = _RETURN  # simpy_hall._Hall.citizen, at once
            else:
                if kind == _HFREE:
                    helpers.busy -= 1
                    continue
                if kind == _KREL:  # a release event: SimPy's _trigger_put grants the head
                    if k_queue and k_users < k_count:
                        x = k_queue.popleft()
                        k_users += 1
                        KG[x] = True
                        heappush(heap, (now, order, _KGRANT, x))
                        order += 1
                    continue
                if kind == _KGRANT:
                    KGP[i] = True  # the request is processed: in the condition's value
                    if P[i] == INF:
                        kind = _KRESUME  # ``yield req``: the process resumes now
                if kind != _KRESUME:  # a grant or the patience timeout: the condition's check
                    if KTR[i]:
                        continue  # it has succeeded already (or been processed)
                    KTR[i] = True
                    if heap and heap[0][0] == now:  # the condition's own event
                        heappush(heap, (now, order, _KRESUME, i))
                        order += 1
                        continue
                    kind = _KRESUME  # nothing else happens at this instant: it is next
                # the condition processed: the request in its value, or out of patience
                if not KGP[i]:  # out of patience first: leaves (a granted kiosk freed)
                    if KG[i]:
                        k_users -= 1
                        heappush(heap, (now, order, _KREL, -1))
                        order += 1
                    else:
                        k_queue.remove(i)
                    KIO[i] = KIOSK_LEFT
                    add_row((i, -1, NAN, now, RENEGED, False))
                    continue
                KC[i] = now  # the session: a helper if one is free, then its timeout
                d = KD[i]
                k = K[i]
                p = k_success[k]
                if helpers is not None and helps[k] and helpers.busy < h_count:
                    order = helpers.hold(d, now, order)
                    if h_kiosk_success is not None:
                        p = h_kiosk_success
                KOK[i] = KU[i] < p
                heappush(heap, (now + d, order, _KEND, i))
                order += 1
                continue
        if kind == _ARRIVE or kind == _START or kind == _RETURN:
            while True:
                pend_t = INF
                if kind == _RETURN:
                    todo = (i,)
                else:  # the source: citizen ``ia`` is due (unless at the start), then the next
                    due = kind == _ARRIVE
                    start = ia
                    while ia < n:
                        t = A[ia]
                        if t > now and not due:  # the source's timeout for the next one
                            pend_t = now + (t - now)
                            pend_o = order
                            order += 1
                            break
                        due = False
                        ia += 1
                    todo = range(start, ia)  # their processes start after the source's step
                    if PL is not None:  # their visits are drawn in the source's step
                        for x in todo:
                            visits.start(x)
                for i in todo:  # simpy_hall._Hall.citizen up to its first wait
                    if kiosk_try is not None and kind != _RETURN and kiosk_try[i]:
                        # _kiosk_visit up to its wait: a request (granted now if a kiosk
                        # is free: the queue's head only), then the patience timeout
                        k_queue.append(i)
                        if k_users < k_count:
                            x = k_queue.popleft()
                            k_users += 1
                            KG[x] = True
                            heappush(heap, (now, order, _KGRANT, x))
                            order += 1
                        if P[i] < INF:
                            heappush(heap, (now + P[i], order, _KPAT, i))
                            order += 1
                        continue
                    SEQ[i] = seq
                    seq += 1
                    k = K[i]
                    qi = M[i] * n_classes + k
                    if now >= dismiss_at[qi]:
                        add_row((i, -1, NAN, now, UNSERVED, False))
                        continue
                    punctual = tier0 = False
                    if BK[i]:
                        a, sl = A[i], SL[i]
                        punctual = a <= sl + grace
                        if punctual and a >= sl:
                            TIER[i] = 0
                            tier0 = True
                    if lines:  # simpy_hall._Hall._choose_line: the line to join
                        cands = combo_windows[qi]
                        target = cands[
                            line_choice(
                                [line_count[x] + busy[x] for x in cands],
                                [mean_service[x] for x in cands],
                                draw_tie,
                            )
                        ]
                        line = line_count[target]
                        top = (0, target) if not busy[target] and line == 0 else None
                    else:
                        line = waiting
                        top = None  # the longest idle window on duty (then the lowest index)
                        # _idle_window, inline: with the call in the release, a call here too
                        # costs the hot loop more than noise (benchmarks/README.md)
                        for h in combo_idle[qi]:
                            while h:
                                e = h[0]
                                x = e[1]
                                if busy[x] or not on_duty[x] or idle_since[x] != e[0]:
                                    heappop(h)  # called, or off duty, since it went idle
                                else:
                                    if top is None or e < top:
                                        top = e
                                    break
                    if top is not None:
                        best = top[1]
                        busy[best] = True
                        ST[i] = CALLED
                        WIN[i] = best
                        # the service, inline as in the release's handler
                        if missed is not None:
                            order, waiting, there = missed.answer(i, best, now, order, waiting)
                            if not there:
                                continue
                        CALL[i] = now
                        sp = speed[best]
                        if k:
                            sp *= class_factor[k]
                        if fatigue:
                            sp *= 1.0 + fatigue * (now - open_min)
                        b = B[i] if PL is None or PL[i] is None else visits.sitting(i, best)
                        if counter_help and helps[k] and helpers.busy < h_count:
                            order = helpers.hold(
                                b * sp * counter_factor,
                                now,
                                order,
                                i < n if PL is None or PL[i] is None else visits.numpy,
                            )
                            sp *= counter_factor
                        heappush(heap, (now + b * sp, order, _END, i))
                        order += 1
                        continue
                    # turned away? (simpy_hall._Hall._turned_away)
                    if room is not None and waiting >= room:
                        add_row((i, -1, NAN, now, BLOCKED, False))
                        continue
                    if balk_at and line >= balk_at:
                        add_row((i, -1, NAN, now, BALKED, False))
                        continue
                    if balking is not None:
                        p = balk_p.get(line)
                        if p is None:
                            p = balk_p[line] = float(np.interp(line, *balk_curve))
                        if balking.random() < p:
                            add_row((i, -1, NAN, now, BALKED, False))
                            continue
                    if lines:
                        qi = target  # the window's line
                        line_count[target] += 1
                        LN[i] = target
                    heappush(
                        queues[qi],
                        (
                            -class_priority[k],
                            0 if tier0 else 1,
                            SL[i] if tier0 else TK[i],
                            SEQ[i],
                            i,
                        ),
                    )
                    waiting += 1
                    q_times.append(now)
                    q_levels.append(waiting)
                    if tidal is not None:
                        order = tidal.check(now, order)
                    if punctual and not tier0:  # early: ahead of walk-ins once the slot comes
                        heappush(heap, (now + (SL[i] - now), order, _PROMOTE, i))
                        order += 1
                    pat = P[i]
                    if pat < INF:
                        heappush(heap, (now + pat, order, _PATIENCE, i))
                        order += 1
                if pend_t == INF:
                    break
                if heap:
                    top = heap[0]
                    if top[0] < pend_t or (top[0] == pend_t and top[1] < pend_o):
                        heappush(heap, (pend_t, pend_o, _ARRIVE, ia))
                        break
                # that timeout is the next event: on to it without the heap
                now = pend_t
                kind = _ARRIVE
            continue
        if kind == _PATIENCE:
            if TRIG[i] or ST[i] == DISMISSED:
                continue
            TRIG[i] = True
            if heap and heap[0][0] == now:
                heappush(heap, (now, order, _RESUME, i))
                order += 1
                continue
            kind = _RESUME  # nothing else happens at this instant: resume at once
        if kind == _RESUME:
            state = ST[i]
            if state == CALLED:  # the service, inline as in the release's handler
                w = WIN[i]
                if missed is not None:
                    order, waiting, there = missed.answer(i, w, now, order, waiting)
                    if not there:
                        continue
                CALL[i] = now
                sp = speed[w]
                k = K[i]
                if k:
                    sp *= class_factor[k]
                if fatigue:
                    sp *= 1.0 + fatigue * (now - open_min)
                b = B[i] if PL is None or PL[i] is None else visits.sitting(i, w)
                if counter_help and helps[k] and helpers.busy < h_count:
                    order = helpers.hold(
                        b * sp * counter_factor,
                        now,
                        order,
                        i < n if PL is None or PL[i] is None else visits.numpy,
                    )
                    sp *= counter_factor
                heappush(heap, (now + b * sp, order, _END, i))
                order += 1
            elif state == WAITING:
                ST[i] = GONE
                if lines:
                    line_count[LN[i]] -= 1
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                if tidal is not None:
                    order = tidal.check(now, order)
                add_row((i, -1, NAN, now, RENEGED, False))
        elif kind == _PROMOTE:
            # simpy_hall._promote: only while still waiting for the first call on the
            # booked ticket (a visit's later steps are citizens of their own, never booked)
            if ST[i] == WAITING and TIER[i] == 1 and WIN[i] < 0:
                TIER[i] = 0
                k = K[i]
                qi = LN[i] if lines else M[i] * n_classes + k
                heappush(queues[qi], (-class_priority[k], 0, SL[i], SEQ[i], i))
        elif kind == _ROSTER:
            order, waiting = staffing.roster_from(i, True, now, order, waiting)
        elif kind == _RELEASE:  # a missed call's wasted time is over
            order, waiting = staffing.release(i, now, order, waiting)
        else:  # _BACK: back from a missed call within the grace (simpy_hall._answer_call)
            ST[i] = WAITING
            TIER[i] = requeue_tier
            P[i] = INF  # waits for the next call without a patience timeout
            k = K[i]
            entry = (-class_priority[k], requeue_tier, now, seq, i)
            seq += 1
            top = None  # a free window calls at once (nobody else it serves is waiting)
            if lines:  # back to the line of the window that called them (their own)
                x = WIN[i]
                heappush(queues[x], entry)
                line_count[x] += 1
                if not busy[x] and on_duty[x]:
                    top = (0, x)
            else:
                qi = M[i] * n_classes + k
                heappush(queues[qi], entry)
                top = _idle_window(combo_idle[qi], busy, on_duty, idle_since)
            waiting += 1
            q_times.append(now)
            q_levels.append(waiting)
            if tidal is not None:
                order = tidal.check(now, order)
            if top is not None:
                x = top[1]
                nxt = _next_for(window_heaps[x], ST, TIER)
                if lines:
                    line_count[x] -= 1
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                if tidal is not None:
                    order = tidal.check(now, order)
                busy[x] = True
                ST[nxt] = CALLED
                WIN[nxt] = x
                heappush(heap, (now, order, _CALLED, nxt))
                order += 1
    if returns is not None:
        returns.finish()
    if missed is not None:
        missed.finish()

    # safety net (simpy_hall._Hall.run): nobody may stay waiting
    close = plan.close
    for queue in queues:
        for entry in queue:
            c = entry[4]
            if ST[c] == WAITING:
                ST[c] = DISMISSED
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                add_row((c, -1, NAN, max(TK[c], close), UNSERVED, False))
    if plan.rostered:
        for w in range(n_windows):
            if on_duty[w]:
                duty.append((w, duty_start[w], max(close, last_end[w])))
    elastic_duty = tidal is not None and tidal.close(scenario, last_end, duty, open_min)
    n_missed = missed.count if missed is not None else 0
    trace, who = _trace(
        plan, setup, demand, rows, n, A, M, K, q_times, q_levels, returns_later, duty, n_missed
    )
    if visits is not None:
        visits.extras(trace, who, n, M)
    if kiosk_try is not None:  # per visit, in the trace's order (returns never at a kiosk)
        more = len(A) - n
        trace.kiosk = np.array(KIO + [NO_KIOSK] * more, dtype=np.int8)[who]
        trace.kiosk_call_min = np.array(KC + [NAN] * more, dtype=float)[who]
        trace.kiosk_end_min = np.array(KE + [NAN] * more, dtype=float)[who]
    if elastic_duty and not plan.rostered:  # (rostered: in _trace's duty spells)
        duty.sort()
        trace.duty_window = np.array([d[0] for d in duty], dtype=np.int64)
        trace.duty_start_min = np.array([d[1] for d in duty], dtype=float)
        trace.duty_end_min = np.array([d[2] for d in duty], dtype=float)
    if tidal is not None:
        spells = sorted(tidal.spells, key=lambda x: (x[0], x[2], x[3]))
        trace.role_window = np.array([x[0] for x in spells], dtype=np.int64)
        trace.role = np.array([x[1] for x in spells], dtype=np.int64)
        trace.role_start_min = np.array([x[2] for x in spells], dtype=float)
        trace.role_end_min = np.array([x[3] for x in spells], dtype=float)
        trace.tidal_switches = tidal.switches
    if helpers is not None:
        busy_min = helpers.busy_min
        trace.helper_busy_min = np.float64(busy_min) if helpers.numpy_sum else busy_min
        trace.helper_start_min = np.array([s[0] for s in helpers.spells], dtype=float)
        trace.helper_end_min = np.array([s[1] for s in helpers.spells], dtype=float)
        trace.helped = helpers.helped
    return trace


def _trace(plan, setup, demand, rows, n, A, M, K, q_times, q_levels, returns_later, duty, n_missed):
    """The HallTrace of ``simpy_hall._Hall._trace``: visits sorted by (arrival, end),
    ties in the order they were recorded; and the citizen of each visit."""
    if rows:
        who, window, call, end, outcome, settled = (np.array(x) for x in zip(*rows, strict=True))
        who = who.astype(np.int64)
        arrival = np.array(A, dtype=float)[who]
        end = end.astype(float)
        order = np.lexsort((end, arrival))
        who, window = who[order], window[order].astype(np.int64)
        arrival, end = arrival[order], end[order]
        call = call[order].astype(float)
        outcome = outcome[order].astype(np.int8)
        settled = settled[order].astype(bool)
    else:
        who = window = np.empty(0, dtype=np.int64)
        arrival = call = end = np.empty(0)
        outcome = np.empty(0, dtype=np.int8)
        settled = np.empty(0, dtype=bool)
    is_return = who >= n
    klass = booked = None
    if plan.uses_classes:
        klass = np.array(K, dtype=np.int64)[who]
    if plan.uses_appointments:
        booked = np.zeros(len(who), dtype=bool)
        if demand.booked is not None:
            first = who < n  # a demand's citizen (neither a return visit nor a later step)
            booked[first] = np.asarray(demand.booked, dtype=bool)[who[first]]
    trace = HallTrace(
        arrival_min=arrival,
        matter=np.array(M, dtype=np.int64)[who],
        window=window,
        group=plan.group_of[window],
        call_min=call,
        end_min=end,
        outcome=outcome,
        settled=settled,
        is_return=is_return,
        queue_times=np.asarray(q_times, dtype=float),
        queue_levels=np.asarray(q_levels, dtype=np.int64),
        window_group=setup.window_group.copy(),
        clerks=np.clip(setup.clerks, 0.0, 1.0),
        returns_later=returns_later,
        horizon_end_min=float(end.max()) if len(end) else float(plan.start),
        klass=klass,
        booked=booked,
        no_shows=demand.no_shows,
        refused_cap=demand.refused_cap,
        refused_by_matter=demand.refused_by_matter,
        missed_calls=n_missed,
        missed_wasted_min=n_missed * (plan.missed.wasted_min if plan.missed else 0.0),
    )
    if setup.clerk_speed is not None:
        trace.clerk_speed = setup.clerk_speed
    if plan.rostered:
        duty.sort()
        trace.duty_window = np.array([d[0] for d in duty], dtype=np.int64)
        trace.duty_start_min = np.array([d[1] for d in duty], dtype=float)
        trace.duty_end_min = np.array([d[2] for d in duty], dtype=float)
    return trace, who
