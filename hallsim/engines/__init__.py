"""Simulation engines: from a scenario and its random streams to a raw ``HallTrace``.

``simpy`` (``simpy_hall``) is the reference model and covers every scenario; ``fast``
(``fast``) reproduces its trace bit for bit, without SimPy: by a one-pass recursion for
the plain format, by one event loop (``operations_loop``) for a hall with rosters,
appointments, classes, missed calls (one ticket queue or per-window lines), kiosks,
helpers, tidal or elastic windows, and by running the reference's hall code on a lean
event kernel (``kernel``) for the rest (visits, stations).
Which engine runs a scenario is decided here and nowhere else (``choose``): the
experiment layer, streaming, the sweep, staffing and the command line all ask this
module. Engines import neither the experiment layer nor the results folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from hallsim.names import ENGINES as ENGINES

if TYPE_CHECKING:
    import numpy as np

    from hallsim.engines.trace import HallTrace
    from hallsim.scenario import Scenario


def supports(scenario: Scenario, engine: str) -> list[str]:
    """The features of ``scenario`` that ``engine`` does not model (empty: it runs it)."""
    check_engine(engine)
    if engine != "fast":
        return []
    return list(_fast_lacks()(scenario))


_FAST_LACKS = None


def _fast_lacks():
    """``fast.lacks`` memoised per scenario (scenarios are frozen): every replication
    asks, and on a short day the question cost ~7% of a run (benchmarks/README.md)."""
    global _FAST_LACKS
    if _FAST_LACKS is None:
        from hallsim.engines import fast
        from hallsim.scenario import scenario_cache

        _FAST_LACKS = scenario_cache(lambda scenario: tuple(fast.lacks(scenario)))
    return _FAST_LACKS


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")


def choose(scenario: Scenario, engine: str = "auto") -> str:
    """The engine that runs ``scenario``: ``simpy`` or ``fast``.

    ``auto`` takes the fast engine where it covers the scenario. ``fast`` on a scenario
    it does not cover raises ValueError naming the features it lacks.
    """
    check_engine(engine)
    if engine == "simpy":
        return "simpy"
    lacks = supports(scenario, "fast")
    if not lacks:
        return "fast"
    if engine == "fast":
        raise ValueError(unsupported_message(scenario, lacks))
    return "simpy"


def unsupported_message(scenario: Scenario, lacks: list[str]) -> str:
    return (
        f"the fast engine does not model scenario {scenario.name!r}: it uses "
        f"{', '.join(lacks)}, which only the simpy engine models; use engine auto or simpy"
    )


def run_trace(
    scenario: Scenario, streams: dict[str, np.random.Generator], engine: str = "auto"
) -> HallTrace:
    """One replication's raw trace from the engine ``choose`` picks."""
    if choose(scenario, engine) == "fast":
        from hallsim.engines import fast

        return fast.run_hall(scenario, streams)
    from hallsim.engines import simpy_hall

    return simpy_hall.run_hall(scenario, streams)


def run_segments(
    scenario: Scenario, streams: dict[str, np.random.Generator], chunk: int = 16384
) -> Iterator[HallTrace]:
    """One replication's trace in segments, in bounded memory (fast engine only)."""
    from hallsim.engines import fast

    if lacks := fast.lacks(scenario) or fast.one_pass_lacks(scenario):
        raise ValueError(unsupported_message(scenario, lacks))
    return fast.run_hall_segments(scenario, streams, chunk)


def runs_in_segments(scenario: Scenario) -> bool:
    """Can ``run_segments`` simulate ``scenario`` (in bounded memory)?"""
    from hallsim.engines import fast

    return not fast.lacks(scenario) and not fast.one_pass_lacks(scenario)
