"""What the verify_*.py scripts share: an M/M/c steady-state hall and a Markdown table
row comparing a theoretical value with the simulation's 99% interval."""

from __future__ import annotations

from hallsim.scenario import Scenario, scenario_from_dict
from hallsim.stats import summarise


def steady(lam: float, mean_s: float, c: int, length: float, **extra) -> Scenario:
    """M/M/c in steady state: λ per minute, exponential service of mean ``mean_s``."""
    data = {
        "name": "check",
        "run": {"mode": "steady_state", "warmup_min": 500, "length_min": length},
        "arrivals": {"rate_per_hour": lam * 60},
        "matters": [
            {"name": "m", "share": 1.0, "service_min": {"dist": "exponential", "mean": mean_s}}
        ],
        "windows": [{"name": "w", "count": c}],
        "attitude_effects": {"enabled": False},
        **extra,
    }
    return scenario_from_dict(data)


def row(what: str, expected: float, values, *cells: str) -> str:
    """``| what | *cells | theory | mean | [99% CI] | inside |``."""
    s = summarise(list(values), 0.99)
    inside = "yes" if s["ci_low"] <= expected <= s["ci_high"] else "**no**"
    extra = "".join(f" {c} |" for c in cells)
    return (
        f"| {what} |{extra} {expected:.4f} | {s['mean']:.4f} | "
        f"[{s['ci_low']:.4f}, {s['ci_high']:.4f}] | {inside} |"
    )
