"""The single-queue hall with operations, as one callback loop over a heap of events.

``run_hall(scenario, streams)`` gives the ``HallTrace`` of
``hallsim.engines.simpy_hall.run_hall`` bit for bit for the scenarios ``lacks`` accepts:
one ticket queue with rosters and breaks, citizen classes (priority calling,
class-restricted windows, per-class service and patience factors), appointments
(slots, punctuality, grace, no-shows), balking, a waiting room, reneging, attitude
effects with fatigue and return visits, clerk speeds. The fast engine
(``hallsim.engines.fast``) sends such scenarios here; the rest of what its one-pass
recursion does not cover runs on its event kernel.

Why it agrees with the reference: it is the reference's hall (``simpy_hall._Hall``)
with every SimPy process unrolled into the events it waits on. Each event is a heap
entry ``(time, order, kind, citizen)`` where ``order`` grows at exactly the points
where SimPy schedules an event that does something (a timeout when created, an event
when it succeeds), so simultaneous events are processed in SimPy's (time, scheduling
order). The hops SimPy takes are kept, because events scheduled in between may act
first: a window's call is an event (``CALLED``), and for a citizen with patience the
condition "called or out of patience" succeeds in a second event (``RESUME``) that
decides whether they are served or renege. Events that change nothing (a process
ending, the call of a citizen already sent away) are left out: dropping them keeps
the relative order of the rest. A process's start (SimPy runs it right after the
current event) becomes a call at the end of the handler that starts it. Times are
computed with the reference's floating-point operations (a timeout of ``d`` ends at
``now + d``), and the random streams are read in the reference's order.
"""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from hallsim.engines.trace import (
    BALKED,
    BLOCKED,
    RENEGED,
    SERVED,
    UNSERVED,
    HallTrace,
    VisitRecorder,
)
from hallsim.scenario import Scenario, scenario_cache
from hallsim.streams import draw_demand, return_plan

INF = float("inf")
NAN = float("nan")
WAITING, CALLED, GONE, DISMISSED = 0, 1, 2, 3  # as simpy_hall
# event kinds
_ARRIVE, _ROSTER, _PROMOTE, _PATIENCE, _CALLED, _RESUME, _END, _RETURN = range(8)


def lacks(scenario: Scenario) -> list[str]:
    """What this loop does not run (empty: it gives the reference's trace)."""
    missing = []
    if scenario.layout.queue != "single":
        missing.append("per-window lines")
    if scenario.missed_calls is not None:
        missing.append("missed_calls")
    if scenario.visits is not None:
        missing.append("visits")
    if scenario.stations:
        missing.append("stations")
    # kiosks, helpers, tidal and elastic windows (class patience factors it runs)
    missing.extend(k for k in scenario.uses_kiosks_tidal() if k != "classes.patience_factor")
    return missing


class _Citizen:
    __slots__ = (
        "arrival",
        "base",
        "booked",
        "call",
        "is_return",
        "klass",
        "matter",
        "patience",
        "return_u",
        "seq",
        "settle_u",
        "slot",
        "state",
        "tier",
        "trig",
        "window",
    )

    def __init__(self, arrival, matter, base, patience, settle_u, is_return, return_u, klass):
        self.arrival = arrival
        self.matter = matter
        self.base = base
        self.patience = patience
        self.settle_u = settle_u
        self.is_return = is_return
        self.return_u = return_u
        self.klass = klass
        self.booked = False
        self.slot = NAN
        self.tier = 1  # 0: booked and their slot has come; 1: in ticket order
        self.state = WAITING
        self.window = -1
        self.trig = False  # the "called or out of patience" condition has succeeded
        self.call = NAN
        self.seq = -1


class _Plan:
    """What the loop derives from a scenario once (windows, queues, roster steps)."""

    def __init__(self, sc: Scenario):
        from hallsim.engines import fast

        self.base = fast._setup(sc)  # windows' speeds and settle probabilities (+ clerks)
        names = sc.matter_names
        class_names = sc.class_names
        n_windows = len(self.base.window_group)
        self.n_windows = n_windows
        self.group = self.base.window_group.tolist()
        self.served = [list(m) for m in self.base.served]
        self.classes_of = []
        for w in range(n_windows):
            wg = sc.windows[self.group[w]]
            self.classes_of.append(
                [k for k, name in enumerate(class_names) if wg.serves_class(name)]
            )
        combos = [(m, k) for m in range(len(names)) for k in range(len(class_names))]
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


_plan = scenario_cache(_Plan)


def run_hall(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """One replication; the same trace as ``simpy_hall.run_hall`` (see the module doc)."""
    from hallsim.engines import fast

    plan = _plan(scenario)
    setup = plan.base.replication(streams)  # the reference's clerk draws, in its order
    demand = draw_demand(scenario, streams)
    speed = setup.speed
    p_settle = setup.p_settle
    n_windows = plan.n_windows
    group = plan.group
    n_classes = plan.n_classes
    combo_windows = plan.combo_windows
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
    rplan = plan.return_plan
    arrival_end = plan.arrival_end
    same_day_delay = rplan.same_day_delay
    returns = (
        fast._Returns(scenario, streams["returns"], int(len(demand.arrival_min) * 0.3) + 16)
        if any(p < 1.0 for p in p_settle)
        else None
    )
    renege = scenario.renege_by_matter

    # window state
    busy = [False] * n_windows
    idle_since = [open_min] * n_windows
    on_duty = [True] * n_windows
    closing = [False] * n_windows
    duty_start = [open_min] * n_windows
    last_end = [-INF] * n_windows
    for w in plan.off_at_start:
        on_duty[w] = False
    duty: list[tuple[int, float, float]] = []
    queues: list[list] = [[] for _ in plan.combos]

    heap: list[tuple] = []
    order = 0  # SimPy's scheduling order (event ids), as far as it matters
    seq = 0  # ticket numbers, as simpy_hall's _seq
    waiting = 0
    q_times = [open_min]
    q_levels = [0]
    rows: list[tuple] = []
    add_row = rows.append
    returns_later = 0
    now = open_min

    def record(c, w, call, end, outcome, settled=False):
        add_row(
            (
                c.arrival,
                c.matter,
                w,
                group[w] if w >= 0 else -1,
                call,
                end,
                outcome,
                settled,
                c.is_return,
                c.klass,
                c.booked,
                -1,
                1 if outcome == SERVED else 0,
                c.arrival,
            )
        )

    def next_for(w):
        best = None
        for qi in window_queues[w]:
            h = queues[qi]
            while h:
                top = h[0]
                c = top[4]
                if c.state != WAITING or top[1] != c.tier:
                    heappop(h)
                else:
                    break
            if h and (best is None or h[0] < best[0]):
                best = h
        return heappop(best)[4] if best is not None else None

    def call_next(w, c):
        """``_start`` then ``c.called.succeed()``: the call is an event of its own."""
        nonlocal order
        c.state = CALLED
        c.window = w
        heappush(heap, (now, order, _CALLED, c))
        order += 1

    def serve(c):
        """The citizen's process goes on at its call: the service timeout."""
        nonlocal order
        w = c.window
        c.call = now
        s = speed[w]
        if c.klass:
            s *= class_factor[c.klass]
        if fatigue:
            s *= 1.0 + fatigue * (now - open_min)
        heappush(heap, (now + c.base * s, order, _END, c))
        order += 1

    def release(w):
        nonlocal waiting
        last_end[w] = now
        if closing[w]:
            closing[w] = False
            busy[w] = False
            on_duty[w] = False
            duty.append((w, duty_start[w], now))
            return
        nxt = next_for(w)
        if nxt is None:
            busy[w] = False
            idle_since[w] = now
            return
        waiting -= 1
        q_times.append(now)
        q_levels.append(waiting)
        call_next(w, nxt)

    def open_window(w):
        nonlocal waiting
        on_duty[w] = True
        duty_start[w] = idle_since[w] = now
        nxt = next_for(w)
        if nxt is not None:
            waiting -= 1
            q_times.append(now)
            q_levels.append(waiting)
            busy[w] = True
            call_next(w, nxt)

    def set_level(g, level):
        ws = plan.group_windows[g]
        staffed = [w for w in ws if on_duty[w] and not closing[w]]
        more = level - len(staffed)
        for w in ws:  # carrying on beats closing then reopening
            if more > 0 and closing[w]:
                closing[w] = False
                more -= 1
        for w in ws:
            if more > 0 and not on_duty[w]:
                open_window(w)
                more -= 1
        if more < 0:
            idle = [w for w in reversed(staffed) if not busy[w]]
            taken = [w for w in reversed(staffed) if busy[w]]
            for w in (idle + taken)[:-more]:
                if busy[w]:
                    closing[w] = True
                else:
                    on_duty[w] = False
                    duty.append((w, duty_start[w], now))

    def dismiss(qi):
        nonlocal waiting
        queue = queues[qi]
        for entry in queue:
            c = entry[4]
            if c.state == WAITING:
                c.state = DISMISSED
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                record(c, -1, NAN, now, UNSERVED)
        queue.clear()

    def roster_from(k, due):
        """The roster process from step ``k``: apply the steps due (step ``k`` is when
        its timeout has just ended), then wait for the next."""
        nonlocal order
        steps = plan.steps
        while k < len(steps):
            t, levels, gone = steps[k]
            if t > now and not due:
                heappush(heap, (now + (t - now), order, _ROSTER, k))
                order += 1
                return
            due = False
            for g, level in levels:
                set_level(g, level)
            for qi in gone:
                dismiss(qi)
            k += 1

    def begin(c):
        """A citizen takes a ticket (``simpy_hall._Hall.citizen`` up to its first wait)."""
        nonlocal seq, order, waiting
        c.seq = seq
        seq += 1
        qi = c.matter * n_classes + c.klass
        if now >= dismiss_at[qi]:
            record(c, -1, NAN, now, UNSERVED)
            return
        punctual = c.booked and c.arrival <= c.slot + grace
        if punctual and c.arrival >= c.slot:
            c.tier = 0
        best = -1
        for x in combo_windows[qi]:
            if on_duty[x] and not busy[x]:
                if best < 0 or idle_since[x] < idle_since[best]:
                    best = x
        if best >= 0:
            busy[best] = True
            c.state = CALLED
            c.window = best
            serve(c)
            return
        # turned away? (simpy_hall._Hall._turned_away)
        if room is not None and waiting >= room:
            record(c, -1, NAN, now, BLOCKED)
            return
        if balk_at and waiting >= balk_at:
            record(c, -1, NAN, now, BALKED)
            return
        if balking is not None:
            p = balk_p.get(waiting)
            if p is None:
                p = balk_p[waiting] = float(np.interp(waiting, *balk_curve))
            if balking.random() < p:
                record(c, -1, NAN, now, BALKED)
                return
        tier0 = c.tier == 0
        heappush(
            queues[qi],
            (-class_priority[c.klass], c.tier, c.slot if tier0 else c.arrival, c.seq, c),
        )
        waiting += 1
        q_times.append(now)
        q_levels.append(waiting)
        if punctual and not tier0:  # early: ahead of walk-ins once the slot comes
            heappush(heap, (now + (c.slot - now), order, _PROMOTE, c))
            order += 1
        if c.patience < INF:
            heappush(heap, (now + c.patience, order, _PATIENCE, c))
            order += 1

    # -- the demand, as plain Python numbers (the same doubles)
    arrival = demand.arrival_min.tolist()
    matter = demand.matter.tolist()
    base = demand.base_service_min.tolist()
    patience = demand.patience_min.tolist()
    settle_u = demand.settle_u.tolist()
    return_u = demand.return_u.tolist() if demand.return_u is not None else [0.0] * len(arrival)
    klass = demand.klass.tolist() if demand.klass is not None else None
    booked = demand.booked.tolist() if demand.booked is not None else None
    slot = demand.slot_min.tolist() if demand.slot_min is not None else None
    n = len(arrival)
    i = 0

    def source(due):
        """The source process: citizens due now start, then it waits for the next
        (citizen ``i`` is due when its timeout has just ended)."""
        nonlocal i, order
        start = i
        while i < n:
            t = arrival[i]
            if t > now and not due:
                heappush(heap, (now + (t - now), order, _ARRIVE, None))
                order += 1
                break
            due = False
            i += 1
        for j in range(start, i):  # their processes start after the source's step
            c = _Citizen(
                arrival[j],
                matter[j],
                base[j],
                patience[j],
                settle_u[j],
                False,
                return_u[j],
                klass[j] if klass is not None else 0,
            )
            if booked is not None and booked[j]:
                c.booked = True
                c.slot = slot[j]
            if patience_factor is not None:
                c.patience *= patience_factor[c.klass]
            begin(c)

    if plan.rostered:
        roster_from(0, False)
    source(False)
    while heap:
        now, _, kind, c = heappop(heap)
        if kind == _END:
            w = c.window
            settled = c.settle_u < p_settle[w]
            record(c, w, c.call, now, SERVED, settled)
            back = None
            if not settled:  # simpy_hall._Hall._schedule_return
                delay = same_day_delay(c.return_u)
                if delay is None or now + delay >= arrival_end:
                    returns_later += 1
                else:
                    back = now + delay
                    b, pat, su, timing = returns.draw(c.matter)
                    if renege[c.matter] is None:
                        pat = INF
                    back = _Citizen(back, c.matter, b, pat, su, True, timing, c.klass)
            release(w)
            if back is not None:  # the return visit's process starts: it waits
                heappush(heap, (now + (back.arrival - now), order, _RETURN, back))
                order += 1
        elif kind == _CALLED:
            if c.state == DISMISSED:
                continue
            if c.patience == INF:
                serve(c)
            elif not c.trig:
                c.trig = True
                heappush(heap, (now, order, _RESUME, c))
                order += 1
        elif kind == _ARRIVE:
            source(True)
        elif kind == _PATIENCE:
            if not c.trig and c.state != DISMISSED:
                c.trig = True
                heappush(heap, (now, order, _RESUME, c))
                order += 1
        elif kind == _RESUME:
            if c.state == CALLED:
                serve(c)
            elif c.state == WAITING:
                c.state = GONE
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                record(c, -1, NAN, now, RENEGED)
        elif kind == _PROMOTE:
            if c.state == WAITING and c.tier == 1:
                c.tier = 0
                heappush(
                    queues[c.matter * n_classes + c.klass],
                    (-class_priority[c.klass], 0, c.slot, c.seq, c),
                )
        elif kind == _RETURN:
            if patience_factor is not None:  # a return visit goes straight to a counter
                c.patience *= patience_factor[c.klass]
            begin(c)
        else:  # _ROSTER
            roster_from(c, True)
    if returns is not None:
        returns.finish()

    # safety net (simpy_hall._Hall.run): nobody may stay waiting
    close = plan.close
    for queue in queues:
        for entry in queue:
            c = entry[4]
            if c.state == WAITING:
                c.state = DISMISSED
                waiting -= 1
                q_times.append(now)
                q_levels.append(waiting)
                record(c, -1, NAN, max(c.arrival, close), UNSERVED)
    if plan.rostered:
        for w in range(n_windows):
            if on_duty[w]:
                duty.append((w, duty_start[w], max(close, last_end[w])))

    recorder = VisitRecorder()
    recorder.rows = rows
    col = recorder.columns()
    end = col["end_min"]
    trace = HallTrace(
        arrival_min=col["arrival_min"],
        matter=col["matter"],
        window=col["window"],
        group=col["group"],
        call_min=col["call_min"],
        end_min=end,
        outcome=col["outcome"],
        settled=col["settled"],
        is_return=col["is_return"],
        queue_times=np.asarray(q_times, dtype=float),
        queue_levels=np.asarray(q_levels, dtype=np.int64),
        window_group=setup.window_group.copy(),
        clerks=np.clip(setup.clerks, 0.0, 1.0),
        returns_later=returns_later,
        horizon_end_min=float(end.max()) if len(end) else scenario.arrival_start_min,
        klass=col["klass"] if plan.uses_classes else None,
        booked=col["booked"] if plan.uses_appointments else None,
        no_shows=demand.no_shows,
        refused_cap=demand.refused_cap,
        refused_by_matter=demand.refused_by_matter,
        missed_calls=0,
        missed_wasted_min=0 * 0.0,
    )
    if setup.clerk_speed is not None:
        trace.clerk_speed = setup.clerk_speed
    if plan.rostered:
        duty.sort()
        trace.duty_window = np.array([d[0] for d in duty], dtype=np.int64)
        trace.duty_start_min = np.array([d[1] for d in duty], dtype=float)
        trace.duty_end_min = np.array([d[2] for d in duty], dtype=float)
    return trace
