"""Shared helpers: small scenarios built in code so expectations come from theory."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

from hallsim.scenario import Scenario, scenario_from_dict

# Simulation examples vary in run time and a loaded CI machine is slower:
# per-example deadlines would make tests flaky without testing anything.
settings.register_profile("hallsim", deadline=None)
settings.load_profile("hallsim")


def queue_scenario(
    arrival_rate: float,
    service: dict[str, Any],
    servers: int,
    *,
    warmup_min: float = 500.0,
    length_min: float = 20_000.0,
    patience: dict[str, Any] | None = None,
    name: str = "theory",
    **extra: Any,
) -> Scenario:
    """A steady-state single-matter hall: M/G/c(+G), arrival rate per MINUTE."""
    data: dict[str, Any] = {
        "name": name,
        "run": {"mode": "steady_state", "warmup_min": warmup_min, "length_min": length_min},
        "arrivals": {"rate_per_hour": arrival_rate * 60},
        "matters": [{"name": "any", "share": 1.0, "service_min": service}],
        "windows": [{"name": "w", "count": servers}],
        "attitude_effects": {"enabled": False},
    }
    if patience is not None:
        data["patience"] = patience
    data.update(extra)
    return scenario_from_dict(data)


def day_scenario(**overrides: Any) -> Scenario:
    """A small day hall (2 hours) with two matters; overrides replace top-level tables."""
    data: dict[str, Any] = {
        "name": "small-day",
        "hall": {"open": "09:00", "close": "11:00"},
        "arrivals": {"rate_per_hour": 40},
        "matters": [
            {"name": "a", "share": 0.6, "service_min": {"dist": "exponential", "mean": 4}},
            {"name": "b", "share": 0.4, "service_min": {"dist": "lognormal", "mean": 6, "cv": 0.8}},
        ],
        "windows": [{"name": "g", "count": 3}],
    }
    data.update(overrides)
    return scenario_from_dict(data)


@pytest.fixture
def small_day() -> Scenario:
    return day_scenario()


def simulate_cli(args: list[str]) -> None:
    """Run a hallsim command quickly (3 replications, one worker) and require success."""
    from click.testing import CliRunner

    from hallsim.cli import main

    result = CliRunner().invoke(main, [*args, "-r", "3", "-q", "-w", "1"])
    assert result.exit_code == 0, result.output + str(result.exception)
