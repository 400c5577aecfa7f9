"""Generate ``scenarios/survey_example.csv``: a SYNTHETIC satisfaction survey.

Not data: 2,000 rows drawn from hallsim's own satisfaction model with KNOWN
coefficients, so that ``hallsim calibrate scenarios/survey_example.csv`` can be
checked to recover them (tests/test_calibrate.py does).

Known coefficients (the package defaults when the survey was made, pinned
here so the shipped file stays what this script makes):
cut-points (-3.48, -2.75, -1.73, -0.20) (the service_canada_2006 baseline),
beta_wait_per_min -0.020,
beta_wait_beyond_adequate_per_min -0.020 (knots 10 and 25 min, perceived
factor 1), beta_attitude 1.5 (reference 0.7), beta_unsettled -1.5,
beta_overtaken -0.3 (cap 3), beta_abandoned 0.0; comfort is not surveyed.

Covariates (one hall, seed 20240605):
- wait_min: gamma, mean 18 min, shape 1.2, capped at 120, 0.1-min resolution;
- attitude: the serving clerk's index, uniform on [0.30, 1.00], two decimals;
  blank for citizens who left unserved;
- abandoned: 6% left unserved (their wait is the time until they left);
- settled: 85% of served citizens, never an abandoner;
- overtaken: Poisson with mean 0.6.
Each rating is drawn from ``rating_probabilities`` (ordered logit).

Run:  python scenarios/make_survey_example.py   (rewrites the CSV next to it)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hallsim.satisfaction import COMPONENTS, SatisfactionConfig, rating_probabilities

SEED = 20240605
N = 2000
KNOWN = SatisfactionConfig(baseline="service_canada_2006", beta_attitude=1.5, beta_unsettled=-1.5)
COMFORT = KNOWN.comfort_reference  # comfort term 0: the survey has no comfort column


def make_survey(n: int = N, seed: int = SEED, cfg: SatisfactionConfig = KNOWN) -> pd.DataFrame:
    """A synthetic survey of ``n`` rated visits drawn from ``cfg`` (see module docstring)."""
    rng = np.random.default_rng(seed)
    wait = np.round(np.minimum(rng.gamma(1.2, 15.0, n), 120.0), 1)
    abandoned = rng.random(n) < 0.06
    attitude = np.round(rng.uniform(0.30, 1.00, n), 2)
    attitude[abandoned] = np.nan
    settled = (rng.random(n) < 0.85) & ~abandoned
    overtaken = rng.poisson(0.6, n)
    visits = {
        "wait_min": wait,
        "outcome": np.where(abandoned, 2, 0).astype(np.int8),
        "settled": settled,
        "overtaken": overtaken,
        **{c: attitude for c in COMPONENTS},
    }
    probs = rating_probabilities(visits, COMFORT, cfg)
    cdf = np.cumsum(probs, axis=1)[:, :4]
    rating = 1 + (rng.random(n)[:, None] > cdf).sum(axis=1)
    return pd.DataFrame(
        {
            "rating": rating,
            "wait_min": wait,
            "attitude": attitude,
            "settled": settled.astype(int),
            "overtaken": overtaken,
            "abandoned": abandoned.astype(int),
        }
    )


def main() -> None:
    out = Path(__file__).with_name("survey_example.csv")
    make_survey().to_csv(out, index=False)
    print(out)


if __name__ == "__main__":
    main()
