"""The clerk at a window: how attitude changes service time and settlement (docs/model.md)."""

from __future__ import annotations

import numpy as np

from hallsim.scenario import Scenario


def attitude_multiplier(scenario: Scenario, clerk: np.ndarray) -> float:
    """Static part of the attitude effect on service time (see docs/model.md)."""
    fx = scenario.attitude_effects
    if not fx.enabled:
        return 1.0
    _, resp, care, _ = clerk
    ref = fx.reference_attitude
    return max(
        0.1, 1.0 + fx.care_time_per_unit * (care - ref) + fx.rework_time_per_unit * (ref - resp)
    )


def settle_probability(scenario: Scenario, clerk: np.ndarray) -> float:
    """P(matter settled at this visit) for a clerk (first-contact resolution)."""
    fx = scenario.attitude_effects
    if not fx.enabled:
        return 1.0
    pro, resp, _, _ = clerk
    return float(np.clip(fx.fcr_base + fx.fcr_per_unit * (pro + resp) / 2, 0.0, 1.0))
