"""Shared helpers: small scenarios built in code so expectations come from theory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from hallsim.scenario import Scenario, scenario_from_dict

# Simulation examples vary in run time and a loaded CI machine is slower:
# per-example deadlines would make tests flaky without testing anything.
settings.register_profile("hallsim", deadline=None)
settings.load_profile("hallsim")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


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


@pytest.fixture(scope="session")
def chinese_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare whose scenario, window group and a matter have Chinese names."""
    base = tmp_path_factory.mktemp("cn")
    text = (SCENARIOS / "integrated.toml").read_text(encoding="utf-8")
    text = text.replace('name = "integrated"', 'name = "综合窗口"')
    text = text.replace('name = "social_security"', 'name = "社保"')
    text = text.replace('name = "housing_fund"', 'name = "公积金"')
    assert "综合窗口" in text and "社保" in text
    (base / "综合.toml").write_text(text, encoding="utf-8")
    hybrid = (SCENARIOS / "hybrid.toml").read_text(encoding="utf-8")
    hybrid = hybrid.replace('"social_security"', '"社保"').replace('"housing_fund"', '"公积金"')
    (base / "hybrid.toml").write_text(hybrid, encoding="utf-8")
    out = base / "out"
    simulate_cli(
        ["compare", str(base / "hybrid.toml"), str(base / "综合.toml"), "--log", "--out", str(out)]
    )
    return out


def example_scenario_files() -> list:
    """The scenario files in scenarios/ (optimiser search spaces live in spaces/)."""
    from pathlib import Path

    return sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.toml"))
