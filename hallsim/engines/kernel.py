"""A lean event kernel: SimPy 4's event order, without SimPy's generality.

The fast engine (``hallsim.engines.fast``) runs the reference hall model
(``hallsim.engines.simpy_hall``) on this kernel for the scenarios its one-pass
recursion does not cover (rosters, appointments, citizen classes, missed calls,
visits, kiosks...).
The hall's code is then literally the reference's, so the trace is the
reference's bit for bit as long as this kernel processes events in exactly
SimPy's order and computes times with the same floating-point operations. It
does, for the part of SimPy's API the hall uses (``now``, ``timeout``, ``event``,
``process``, ``run``, ``event.succeed``, ``event.callbacks``, ``a | b``, ``a & b``,
``Resource`` with ``request``, ``release`` and ``Request.cancel``):

* an event is scheduled at ``now + delay`` (a timeout at creation, any other
  event when it succeeds) and events are processed in (time, scheduling order);
* a process starts with an *urgent* initialisation: SimPy schedules it with a
  priority ahead of every normal event at that instant, so it runs right
  after the event being processed (and after any process started before it):
  a first-in-first-out list here, emptied before the next event is taken;
* a process waits on the event it yields (its resume is appended to the event's
  callbacks) or continues at once if that event was already processed; when its
  generator returns, the process (itself an event) is scheduled;
* a condition (``a | b``, ``a & b``) adds its check to its events' callbacks,
  succeeds (is scheduled) when its rule is met, and when it is processed removes
  its remaining checks and takes as value the list of its events processed by
  then (what ``in`` sees in SimPy's ConditionValue: ``req in (yield req | t)``);
* a resource (SimPy 4's ``Resource``: the kiosks) keeps its users and a first-in
  first-out queue of requests. A request is granted (scheduled, at ``now``) when
  it is made, or later by a release, and only ever the head of the queue: SimPy's
  ``_trigger_put`` stops at the first request it looks at. Making a request grants
  the head if a slot is free; ``release`` frees the slot at once but schedules a
  release event, and only processing that event grants the head; a request made
  in between (at the same instant) hands the freed slot to the head at once (to
  itself only if nobody was waiting), and the release event then finds it taken.
  ``cancel`` takes a request not yet granted out of the queue (a granted one
  keeps its slot until released), and a request as a context manager cancels and
  releases itself on leaving the ``with`` block, except when its generator is
  closed (SimPy's GeneratorExit rule).

What it leaves out: failed events and exceptions thrown into processes,
interrupts, ``run(until=...)``, stores, priority and preemptive resources,
``usage_since`` and dictionary access to condition values. The hall uses none of
them (``tests/test_kernel.py`` checks the order of simultaneous events, requests
and releases against SimPy).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from heapq import heappop, heappush
from itertools import count
from typing import Any


class Event:
    """An event: callbacks run when it is processed (then ``callbacks`` is None)."""

    __slots__ = ("callbacks", "env", "triggered", "value")

    def __init__(self, env: Environment):
        self.env = env
        self.callbacks: list | None = []
        self.triggered = False
        self.value = None

    def succeed(self, value: Any = None) -> Event:
        if self.triggered:
            raise RuntimeError(f"{self!r} has already been triggered")
        self.triggered = True
        self.value = value
        env = self.env
        heappush(env._queue, (env.now, next(env._eid), self))
        return self

    def __or__(self, other: Event) -> Condition:
        return Condition(self.env, (self, other), need_all=False)

    def __and__(self, other: Event) -> Condition:
        return Condition(self.env, (self, other), need_all=True)


class Timeout(Event):
    """Scheduled at creation, at ``now + delay`` (SimPy's floating-point operation)."""

    __slots__ = ()

    def __init__(self, env: Environment, delay: float, value: Any = None):
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.env = env
        self.callbacks = []
        self.triggered = True
        self.value = value
        heappush(env._queue, (env.now + delay, next(env._eid), self))


class Condition(Event):
    """Any (``|``) or all (``&``) of some events."""

    __slots__ = ("_check", "count", "events", "need")

    def __init__(self, env: Environment, events: tuple[Event, ...], need_all: bool):
        Event.__init__(self, env)
        self.events = events
        self.count = 0
        self.need = len(events) if need_all else min(1, len(events))
        check = self._check = self.check  # one bound method, so that it can be removed
        if not events:
            self.succeed()
        for event in events:
            if event.callbacks is None:
                check(event)
            else:
                event.callbacks.append(check)
        self.callbacks.append(self._build_value)

    def check(self, event: Event) -> None:
        if self.triggered:
            return
        self.count += 1
        if self.count >= self.need:
            self.succeed()

    def _build_value(self, event: Event) -> None:
        """Processed: remove the remaining checks, and the value is the events processed
        by now (nested conditions contribute theirs, as in SimPy)."""
        self._remove_checks()
        self.value = self._processed([])

    def _remove_checks(self) -> None:
        check = self._check
        for e in self.events:
            callbacks = e.callbacks
            if callbacks and check in callbacks:
                callbacks.remove(check)
            if isinstance(e, Condition):
                e._remove_checks()

    def _processed(self, value: list[Event]) -> list[Event]:
        for e in self.events:
            if isinstance(e, Condition):
                e._processed(value)
            elif e.callbacks is None:
                value.append(e)
        return value


class Process(Event):
    """A generator driven by the events it yields; an event itself (when it returns)."""

    __slots__ = ("_resume_cb", "generator")

    def __init__(self, env: Environment, generator: Generator):
        Event.__init__(self, env)
        self.generator = generator
        self._resume_cb = self._resume
        env._urgent.append(self)  # SimPy's urgent Initialize event

    def _resume(self, event: Event | None) -> None:
        send = self.generator.send
        value = None if event is None else event.value
        while True:
            try:
                event = send(value)
            except StopIteration as stop:
                self.triggered = True
                self.value = stop.value
                env = self.env
                heappush(env._queue, (env.now, next(env._eid), self))
                return
            callbacks = event.callbacks
            if callbacks is not None:
                callbacks.append(self._resume_cb)
                return
            value = event.value  # already processed: go on at once, as SimPy does


class Request(Event):
    """A request for a slot of a ``Resource``: succeeds (is scheduled) when granted."""

    __slots__ = ("resource",)

    def __init__(self, resource: Resource):
        Event.__init__(self, resource.env)
        self.resource = resource
        resource.queue.append(self)
        resource._grant_head()

    def cancel(self) -> None:
        """Leave the queue if not granted yet (a granted request keeps its slot)."""
        if not self.triggered:
            self.resource.queue.remove(self)

    def __enter__(self) -> Request:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.cancel()
        if exc_type is not GeneratorExit:  # SimPy: no release when the generator is closed
            self.resource.release(self)


class Resource:
    """``capacity`` slots, granted in request order (SimPy 4's ``Resource``)."""

    __slots__ = ("_grant", "capacity", "env", "queue", "users")

    def __init__(self, env: Environment, capacity: int = 1):
        if capacity <= 0:
            raise ValueError('"capacity" must be > 0.')
        self.env = env
        self.capacity = capacity
        self.users: list[Request] = []
        self.queue: deque[Request] = deque()
        self._grant = self._grant_head  # one bound method for every release event

    @property
    def count(self) -> int:
        """Slots in use."""
        return len(self.users)

    def request(self) -> Request:
        return Request(self)

    def release(self, request: Request) -> Event:
        """Free ``request``'s slot (if it holds one); the returned release event, once
        processed, grants the head of the queue."""
        users = self.users
        if request in users:
            users.remove(request)
        event = Event(self.env)
        event.callbacks.append(self._grant)
        return event.succeed()

    def _grant_head(self, _event: Event | None = None) -> None:
        """SimPy's ``_trigger_put``: the head of the queue only, if a slot is free."""
        if self.queue and len(self.users) < self.capacity:
            request = self.queue.popleft()
            self.users.append(request)
            request.succeed()


class Environment:
    """The clock, the event list and the processes' start list."""

    __slots__ = ("_eid", "_queue", "_urgent", "now")

    def __init__(self, initial_time: float = 0.0):
        self.now = initial_time
        self._queue: list[tuple[float, int, Event]] = []
        self._eid = count()
        self._urgent: deque[Process] = deque()

    def timeout(self, delay: float, value: Any = None) -> Timeout:
        return Timeout(self, delay, value)

    def event(self) -> Event:
        return Event(self)

    def process(self, generator: Generator) -> Process:
        return Process(self, generator)

    def any_of(self, events) -> Condition:
        return Condition(self, tuple(events), need_all=False)

    def all_of(self, events) -> Condition:
        return Condition(self, tuple(events), need_all=True)

    def run(self) -> None:
        """Process every event, in (time, scheduling order), until none is left."""
        queue, urgent = self._queue, self._urgent
        pop, start = heappop, urgent.popleft
        while True:
            while urgent:
                start()._resume(None)
            if not queue:
                return
            self.now, _, event = pop(queue)
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
