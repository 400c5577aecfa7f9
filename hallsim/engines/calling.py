"""Calling-order rules: who a free window calls, and which line an arriving citizen joins.

Each rule is one small function plus a ``Rule`` record saying when a scenario uses it and
whether the fast engine's one-pass recursion (``hallsim.engines.fast``) reproduces it.
The SimPy reference (``hallsim.engines.simpy_hall``) implements every rule by calling these
functions; the fast engine runs a scenario using a rule its recursion does not cover
(``one_pass_lacks``) on its event kernel, with the reference's own hall code. Adding a
rule: a function here, a ``Rule`` in ``RULES``, and the scenario key that selects it
(docs/where-to-add-what.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# -- calling order (a free window calls the smallest key among the citizens it may serve)


def ticket_key(priority: int, booked_now: bool, slot: float, arrival: float, seq: int) -> tuple:
    """The calling order as one sortable key.

    Highest class priority first; within a priority, booked citizens whose slot has come
    (``booked_now``) in slot order; then everyone else in ticket order (arrival time, then
    ticket number). Without classes and bookings this is plain first-come-first-served.
    """
    tier = 0 if booked_now else 1
    return (-priority, tier, slot if booked_now else arrival, seq)


# -- joining a line (per-window layouts): the index of the line to join, ties drawn at random


def shortest_line(sizes: Sequence[int], mean_service: Sequence[float], draw: Callable) -> int:
    """The line with the fewest citizens (waiting plus in service); ties at random.

    ``draw(k)`` returns a uniform integer in [0, k); it is called only when lines tie.
    """
    smallest = min(sizes)
    ties = [i for i, s in enumerate(sizes) if s == smallest]
    return ties[0] if len(ties) == 1 else ties[draw(len(ties))]


def shortest_expected_wait(
    sizes: Sequence[int], mean_service: Sequence[float], draw: Callable
) -> int:
    """The line whose expected wait is least: citizens there × that window's mean service.

    For windows of different speeds: a line of 3 at a window twice as fast is
    shorter in time than a line of 2 at the slow one. An idle window with an empty line
    (expected wait 0) always wins. Ties at random, as ``shortest_line``.
    """
    expected = [n * s for n, s in zip(sizes, mean_service, strict=True)]
    best = min(expected)
    ties = [i for i, e in enumerate(expected) if e == best]
    return ties[0] if len(ties) == 1 else ties[draw(len(ties))]


LINE_CHOICE: dict[str, Callable[..., int]] = {
    "shortest_line": shortest_line,
    "shortest_expected_wait": shortest_expected_wait,
}
"""``layout.line_choice`` -> the function that picks the line (per-window layouts)."""


# -- which rules a scenario uses, and which the fast engine's one-pass recursion covers


@dataclass(frozen=True)
class Rule:
    name: str
    feature: str  # as a user reads it in "the fast engine does not cover ..."
    used_by: Callable[[Any], bool]  # scenario -> does it use this rule
    one_pass: bool  # the fast engine's one-pass recursion reproduces it bit for bit


RULES: tuple[Rule, ...] = (
    Rule("ticket_order", "ticket order", lambda sc: True, True),
    Rule("class_priority", "citizen classes", lambda sc: sc.uses_classes(), False),
    Rule("booked_slot", "appointments", lambda sc: sc.uses_appointments(), False),
    Rule(
        "shortest_line",
        "per-window lines, shortest line",
        lambda sc: (
            sc.layout.queue == "per_window"
            and (sc.layout.line_choice or "shortest_line") == "shortest_line"
        ),
        True,
    ),
    Rule(
        "shortest_expected_wait",
        "per-window lines routed by shortest expected wait (layout.line_choice)",
        lambda sc: (
            sc.layout.queue == "per_window" and sc.layout.line_choice == "shortest_expected_wait"
        ),
        True,
    ),
)


def one_pass_lacks(scenario: Any) -> list[str]:
    """The calling rules this scenario uses that the fast engine's recursion does not cover."""
    return [r.feature for r in RULES if not r.one_pass and r.used_by(scenario)]
