"""The fast engine's event kernel (hallsim.engines.kernel) against SimPy 4 itself.

The kernel runs the reference hall's code, so a trace is the reference's bit for
bit only if the kernel processes events in exactly SimPy's order. Each toy model
here logs what ran when and makes its random choices in processing order, and
runs once on the kernel and once on SimPy: any difference in event order, in a
resource's grants or in a condition's value changes the log. Delays are small
integers, many zero, so simultaneous events are the rule, not the exception.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from hallsim.engines import kernel


def _tie_model(env, seed: int) -> list[tuple]:
    """A toy model full of simultaneous events (integer delays, many zero): processes
    started by processes, conditions, events succeeded by other processes, plain
    callbacks on timeouts. Its log records what ran when, and its random draws are
    made in processing order, so any difference in event order changes the log."""
    rng = random.Random(seed)
    log: list[tuple] = []
    calls: list[tuple[int, Any]] = []

    def citizen(k: int):
        log.append((env.now, "arrive", k))
        called = env.event()
        calls.append((k, called))
        if rng.random() < 0.5:
            yield called | env.timeout(rng.choice([0, 1, 2, 3]))
        else:
            yield called & env.timeout(rng.choice([0, 1]))
        log.append((env.now, "resumed", k, called.triggered))
        yield env.timeout(rng.choice([0, 0, 1, 2]))
        log.append((env.now, "done", k))
        if rng.random() < 0.3:
            env.process(citizen(100 + k))

    def window(j: int):
        for _ in range(40):
            yield env.timeout(rng.choice([0, 1, 2]))
            while calls:
                k, called = calls.pop(0)
                if not called.triggered:
                    called.succeed()
                    log.append((env.now, "call", j, k))
                    break

    def source():
        for k in range(30):
            yield env.timeout(rng.choice([0, 1, 1, 2]))
            env.process(citizen(k))
            if rng.random() < 0.3:
                env.timeout(rng.choice([0, 1])).callbacks.append(
                    lambda _e, k=k: log.append((env.now, "callback", k))
                )

    env.process(window(0))
    env.process(source())
    env.process(window(1))
    env.run()
    log.append((env.now, "end"))
    return log


@pytest.mark.parametrize("seed", range(40))
def test_the_kernel_orders_simultaneous_events_as_simpy(seed: int) -> None:
    assert _tie_model(kernel.Environment(0), seed) == _tie_model(simpy.Environment(0), seed)


# --------------------------------------------------------------------------- resources

# how a user ends its use of the resource: the hall's kiosk visit is "plain"
# (request, ``req | timeout`` with patience, cancel, release)
ENDINGS = ("plain", "with", "yield_release", "release_later", "release_twice")

users = st.lists(
    st.tuples(
        st.integers(0, 3),  # start
        st.none() | st.integers(0, 4),  # patience (None: waits as long as it takes)
        st.integers(0, 3),  # time holding the slot
        st.sampled_from(ENDINGS),
        st.booleans(),  # asks again at once after releasing
    ),
    min_size=1,
    max_size=12,
)


def _resource_model(env, new_resource, capacity: int, program: list[tuple]) -> list[tuple]:
    """Users of one resource, each from ``program``; the log records every request,
    grant (with what the condition's value holds), give-up and release, with the
    slots in use and the queue length at that moment."""
    res = new_resource(env, capacity)
    log: list[tuple] = []

    def note(*what) -> None:
        log.append((env.now, *what, res.count, len(res.queue)))

    def wait(k: int, req, patience):
        """Yields until granted; True when granted, False when patience ran out."""
        if patience is None:
            yield req
            return True
        limit = env.timeout(patience)
        got = yield req | limit
        note("woke", k, req in got, limit in got)
        return req in got

    def user(k: int, start, patience, hold, ending, again):
        yield env.timeout(start)
        note("ask", k)
        if ending == "with":
            with res.request() as req:
                if not (yield from wait(k, req, patience)):
                    note("gave up", k)  # leaves the with block: cancel, then release
                    return
                note("granted", k)
                yield env.timeout(hold)
            note("released", k)
        else:
            req = res.request()
            if not (yield from wait(k, req, patience)):
                req.cancel()
                note("gave up", k)
                return
            note("granted", k)
            yield env.timeout(hold)
            if ending == "yield_release":
                yield res.release(req)
            elif ending == "release_later":  # from a plain callback, one instant on
                env.timeout(0).callbacks.append(lambda _e: res.release(req))
            else:
                res.release(req)
                if ending == "release_twice":  # a second release frees nothing
                    res.release(req)
            note("released", k)
        if again:
            env.process(user(k + 100, 0, patience, hold, "plain", False))

    for k, spec in enumerate(program):
        env.process(user(k, *spec))
    env.run()
    note("end")
    return log


@given(st.integers(1, 3), users)
def test_a_resource_grants_as_simpy(capacity: int, program: list[tuple]) -> None:
    """Same grants, same order, same condition values; simultaneous requests, releases
    and give-ups everywhere (a granted request whose patience ran out at the same
    instant keeps its slot in both: ``cancel`` only leaves the queue)."""
    ours = _resource_model(kernel.Environment(0), kernel.Resource, capacity, program)
    theirs = _resource_model(
        simpy.Environment(0), lambda env, c: simpy.Resource(env, capacity=c), capacity, program
    )
    assert ours == theirs


def test_a_release_grants_the_head_only_when_processed() -> None:
    """SimPy's rule, by hand: a release frees the slot at once, a request made in the
    same instant takes it (granting the queue's head), and the release event then
    finds no free slot for the next one."""
    env = kernel.Environment(0)
    res = kernel.Resource(env, 1)
    first = res.request()
    second, third = res.request(), res.request()
    assert res.users == [first] and list(res.queue) == [second, third]
    res.release(first)
    assert res.count == 0 and list(res.queue) == [second, third]
    fourth = res.request()  # grants the head, not itself
    assert res.users == [second] and list(res.queue) == [third, fourth]
    env.run()  # the release event: no free slot, nothing more granted
    assert res.users == [second] and list(res.queue) == [third, fourth]
    assert second.callbacks is None and not third.triggered


def test_condition_values_hold_the_events_processed_by_then() -> None:
    """Nested conditions contribute their events, in SimPy as in the kernel."""

    def model(env) -> list:
        seen = []

        def proc():
            a, b, c = env.timeout(1, "a"), env.timeout(2, "b"), env.timeout(1, "c")
            got = yield (a | b) & c
            seen.append(sorted(e.value for e in got))
            d = env.timeout(0, "d")
            got = yield d | env.event()
            seen.append([e.value for e in got])

        env.process(proc())
        env.run()
        return seen

    assert model(kernel.Environment(0)) == model(simpy.Environment(0)) == [["a", "c"], ["d"]]


def test_a_resource_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="capacity"):
        kernel.Resource(kernel.Environment(0), 0)
