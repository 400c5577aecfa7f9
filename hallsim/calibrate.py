"""Fit the satisfaction model's coefficients to survey rows by maximum likelihood.

A survey is a table with one row per rated visit:

| column | required | meaning |
|---|---|---|
| ``rating`` | yes | 1–5 (1 非常不满意 … 5 非常满意) |
| ``wait_min`` | yes | minutes from ticket to call (abandoners: to leaving), ≥ 0 |
| ``attitude`` | no | the serving clerk's attitude index in [0, 1] (or the four components) |
| ``proactiveness``, ``responsibility``, ``care``, ``enthusiasm`` | no | all four or none |
| ``settled`` | no | 1 if the matter was settled at this visit, else 0 (absent: served = settled) |
| ``overtaken`` | no | later arrivals (same matter) called first, integer ≥ 0 |
| ``abandoned`` | no | 1 if the citizen left unserved, else 0 |
| ``comfort`` | no | hall comfort in [0, 1] |

The regressors are exactly ``hallsim.satisfaction.linear_features``, so the
fitted coefficients plug straight back into ``rating_probabilities``.  The
four cut-points are always fitted; a coefficient is fitted only when its
column is present and varies (otherwise it keeps its base value and enters as
a fixed offset).  The zone-of-tolerance knots, perceived-wait factor,
reference levels and attitude weights are not fitted: they are taken from the
base configuration.  The fit uses statsmodels ``OrderedModel`` (logit link).
"""

from __future__ import annotations

import math
import os
import stat
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from hallsim.satisfaction import (
    BETAS,
    COMPONENTS,
    OUTCOME_RENEGED,
    OUTCOME_SERVED,
    SatisfactionConfig,
    linear_features,
    probabilities_from_eta,
)

REQUIRED = ("rating", "wait_min")
OPTIONAL = ("attitude", *COMPONENTS, "settled", "overtaken", "abandoned", "comfort")
CUTPOINT_NAMES = ("cutpoint_1", "cutpoint_2", "cutpoint_3", "cutpoint_4")

# Which survey column(s) make each coefficient fittable.
_SOURCES: dict[str, tuple[str, ...]] = {
    "beta_wait_per_min": ("wait_min",),
    "beta_wait_beyond_adequate_per_min": ("wait_min",),
    "beta_attitude": ("attitude", *COMPONENTS),
    "beta_unsettled": ("settled", "abandoned"),
    "beta_overtaken": ("overtaken",),
    "beta_comfort": ("comfort",),
    "beta_abandoned": ("abandoned",),
}

_SIG = 6  # significant digits written to the config / TOML
# Sanity bounds on survey values: a visit's wait ends the day it starts, and far
# more than this many citizens called first is no hall (their huge regressors would
# swamp the fit and statsmodels' message would not say which row is wrong).
MAX_WAIT_MIN = 24 * 60
MAX_OVERTAKEN = 100_000


def _round(x: float) -> float:
    return float(f"{x:.{_SIG}g}")


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of ``calibrate``.

    ``estimates`` / ``std_errors`` are keyed by coefficient name (cut-points as
    cutpoint_1..4) for the fitted parameters only; ``not_fitted`` maps every
    other linear coefficient to the reason it kept its base value.
    """

    config: SatisfactionConfig
    base: SatisfactionConfig
    estimates: dict[str, float]
    std_errors: dict[str, float]
    not_fitted: dict[str, str]
    n: int
    log_likelihood: float
    log_likelihood_base: float
    converged: bool
    observed_shares: np.ndarray
    fitted_shares: np.ndarray
    base_shares: np.ndarray
    ignored_columns: tuple[str, ...] = ()
    source: str = "survey"
    warnings: tuple[str, ...] = field(default=())

    @property
    def k_fitted(self) -> int:
        return len(self.estimates)

    @property
    def lr_statistic(self) -> float:
        """2·(ℓ_fitted − ℓ_base): does the survey contradict the base coefficients?"""
        return 2.0 * (self.log_likelihood - self.log_likelihood_base)

    @property
    def lr_pvalue(self) -> float:
        """χ² p-value of ``lr_statistic`` with one degree of freedom per fitted parameter."""
        return float(chdtrc(self.k_fitted, max(self.lr_statistic, 0.0)))

    def table(self) -> pd.DataFrame:
        """One row per coefficient: coefficient, estimate, std_error, ci_low, ci_high
        (95%, normal), default (the base value), fitted (bool), note."""
        rows = []
        for i, name in enumerate(CUTPOINT_NAMES):
            rows.append(self._row(name, self.base.cutpoints[i]))
        for name in BETAS:
            rows.append(self._row(name, getattr(self.base, name)))
        return pd.DataFrame(rows)

    def _row(self, name: str, default: float) -> dict:
        if name in self.estimates:
            est, se = self.estimates[name], self.std_errors[name]
            return {
                "coefficient": name,
                "estimate": est,
                "std_error": se,
                "ci_low": est - 1.96 * se,
                "ci_high": est + 1.96 * se,
                "default": default,
                "fitted": True,
                "note": "",
            }
        return {
            "coefficient": name,
            "estimate": default,
            "std_error": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "default": default,
            "fitted": False,
            "note": self.not_fitted.get(name, ""),
        }

    def shares(self) -> pd.DataFrame:
        """Observed share of each rating vs the mean predicted share (fitted and base)."""
        return pd.DataFrame(
            {
                "rating": np.arange(1, 6),
                "observed": self.observed_shares,
                "fitted": self.fitted_shares,
                "base": self.base_shares,
            }
        )

    def to_toml(self) -> str:
        """A ``[satisfaction]`` table to paste into a scenario file (all fields, so the
        fitted coefficients travel with the knots and references they were fitted with)."""
        lines = [
            f"# Fitted by hallsim calibrate from {self.source} (n = {self.n}), ordered logit,",
            f"# log-likelihood {self.log_likelihood:.2f} (base coefficients "
            f"{self.log_likelihood_base:.2f}).",
            "# Fitted values carry their standard error; the rest are the base values",
            "# the fit assumed: change them and the fitted coefficients no longer apply.",
            "[satisfaction]",
        ]
        cfg = self.config
        for name in SatisfactionConfig.model_fields:
            value = getattr(cfg, name)
            if name == "cutpoints":
                text = "[" + ", ".join(_fmt(v) for v in value) + "]"
                ses = [self.std_errors.get(c) for c in CUTPOINT_NAMES]
                comment = "fitted, SE " + ", ".join(_fmt(s, 2) for s in ses if s is not None)
            elif isinstance(value, bool):
                text, comment = str(value).lower(), ""
            elif isinstance(value, str):
                text, comment = f'"{value}"', "the fitted cut-points replace its own"
            else:
                text = _fmt(value)
                if name in self.estimates:
                    comment = f"fitted, SE {_fmt(self.std_errors[name], 2)}"
                elif name in self.not_fitted:
                    comment = f"not fitted: {self.not_fitted[name]}"
                else:
                    comment = "kept from base (not fitted)"
            line = f"{name} = {text}"
            lines.append(f"{line:<48} # {comment}" if comment else line)
        return "\n".join(lines) + "\n"


def _fmt(x: float, sig: int = _SIG) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    text = f"{x:.{sig}g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text


# --- input checks ----------------------------------------------------------------


def _cell(value: object) -> str:
    """A survey cell as the user wrote it: ``2``, ``'abc'`` (never ``np.int64(2)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _numeric(df: pd.DataFrame, col: str, *, allow_nan: np.ndarray | None = None) -> np.ndarray:
    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad_text = np.isnan(values) & raw.notna().to_numpy()
    if bad_text.any():
        i = int(np.flatnonzero(bad_text)[0])
        raise ValueError(f"column {col!r}: {_cell(raw.iloc[i])} at row {i + 1} is not a number")
    missing = np.isnan(values)
    if allow_nan is not None:
        missing &= ~allow_nan
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"column {col!r}: {int(missing.sum())} missing value(s), first at row {i + 1}"
        )
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise ValueError(f"column {col!r}: infinite value at row {i + 1}")
    return values


def _check_range(col: str, values: np.ndarray, lo: float, hi: float, what: str) -> None:
    bad = (values < lo) | (values > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {col!r}: values must be {what}; row {i + 1} has {values[i]:g}")


def _check_integer(col: str, values: np.ndarray, what: str) -> None:
    finite = ~np.isnan(values)
    bad = finite & (values != np.round(values))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {col!r}: values must be {what}; row {i + 1} has {values[i]:g}")


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    raw = df[col]
    if raw.dtype == bool:
        return raw.to_numpy()
    text = raw.astype(str).str.strip().str.lower()
    mapped = text.map({"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0})
    values = pd.to_numeric(raw.where(mapped.isna(), mapped), errors="coerce").to_numpy(float)
    bad = np.isnan(values) | ~np.isin(values, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {col!r}: values must be 0 or 1; row {i + 1} has {_cell(raw.iloc[i])}"
        )
    return values == 1.0


def survey_visits(
    survey: pd.DataFrame,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None, set[str]]:
    """Check a survey table and turn it into (ratings, visits dict, comfort or None, columns).

    Raises ``ValueError`` with a user-facing message naming the column.
    """
    if not isinstance(survey, pd.DataFrame):
        raise ValueError("the survey must be a table (pandas DataFrame)")
    df = survey.rename(columns=lambda c: str(c).strip().lower())
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise ValueError(f"column {dupes[0]!r} appears more than once")
    for col in REQUIRED:
        if col not in df.columns:
            raise ValueError(
                f"column {col!r} is missing (required: rating, wait_min; found: "
                f"{', '.join(map(str, df.columns)) or 'none'})"
            )
    n = len(df)
    if n == 0:
        raise ValueError("the survey has no rows")
    cols = set(df.columns)

    rating = _numeric(df, "rating")
    _check_integer("rating", rating, "whole numbers 1-5")
    _check_range("rating", rating, 1, 5, "whole numbers 1-5")
    wait = _numeric(df, "wait_min")
    _check_range("wait_min", wait, 0, MAX_WAIT_MIN, f"minutes >= 0 and <= {MAX_WAIT_MIN} (one day)")

    abandoned = _flag(df, "abandoned") if "abandoned" in cols else np.zeros(n, bool)
    if "settled" in cols:
        settled = _flag(df, "settled")
        clash = settled & abandoned
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise ValueError(
                f"column 'settled': row {i + 1} is settled but abandoned = 1; a citizen who "
                "left unserved cannot have settled the matter"
            )
    else:
        settled = ~abandoned
    overtaken = np.zeros(n)
    if "overtaken" in cols:
        overtaken = _numeric(df, "overtaken")
        _check_integer("overtaken", overtaken, "whole numbers >= 0")
        _check_range(
            "overtaken", overtaken, 0, MAX_OVERTAKEN, f"whole numbers >= 0 and <= {MAX_OVERTAKEN:,}"
        )

    present = [c for c in COMPONENTS if c in cols]
    visits: dict[str, np.ndarray] = {
        "wait_min": wait,
        "outcome": np.where(abandoned, OUTCOME_RENEGED, OUTCOME_SERVED).astype(np.int8),
        "settled": settled,
        "overtaken": overtaken.astype(np.int64),
    }
    if "attitude" in cols and present:
        raise ValueError(
            f"columns 'attitude' and {present[0]!r}: give either one attitude score or the "
            "four components, not both"
        )
    if present and len(present) < 4:
        missing = [c for c in COMPONENTS if c not in cols]
        raise ValueError(
            f"column {missing[0]!r} is missing: attitude components need all four "
            f"({', '.join(COMPONENTS)})"
        )
    if "attitude" in cols or present:
        names = ["attitude"] if "attitude" in cols else list(COMPONENTS)
        for col in names:
            values = _numeric(df, col, allow_nan=abandoned)
            _check_range(col, values, 0, 1, "in [0, 1]")
            if col == "attitude":
                for c in COMPONENTS:
                    visits[c] = values
            else:
                visits[col] = values
    else:
        for c in COMPONENTS:
            visits[c] = np.full(n, np.nan)
    comfort = None
    if "comfort" in cols:
        comfort = _numeric(df, "comfort")
        _check_range("comfort", comfort, 0, 1, "in [0, 1]")
    return rating.astype(np.int64), visits, comfort, cols


# --- the fit --------------------------------------------------------------------


def _log_likelihood(rating: np.ndarray, eta: np.ndarray, cutpoints) -> float:
    probs = probabilities_from_eta(eta, tuple(cutpoints))
    p = probs[np.arange(rating.shape[0]), rating - 1]
    return float(np.log(np.maximum(p, 1e-300)).sum())


def calibrate(
    survey: pd.DataFrame,
    base: SatisfactionConfig | None = None,
    comfort: float | None = None,
    source: str = "survey",
) -> CalibrationResult:
    """Fit cut-points and the coefficients whose columns the survey has (ordered logit, MLE).

    ``base`` supplies the coefficients that are not fitted and the fixed
    knots/references (default: the package defaults, or a scenario's
    ``[satisfaction]``); ``comfort`` is the surveyed hall's comfort when the
    survey has no ``comfort`` column (default: ``base.comfort_reference``, so
    the comfort term is 0).  Raises ``ValueError`` naming the column for bad
    input.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    base = base or SatisfactionConfig()
    rating, visits, comfort_col, cols = survey_visits(survey)
    n = rating.shape[0]
    levels_seen = np.bincount(rating, minlength=6)[1:]
    if (levels_seen == 0).any():
        missing = [str(k + 1) for k in np.flatnonzero(levels_seen == 0)]
        raise ValueError(
            f"column 'rating': no row rated {', '.join(missing)}; every level 1-5 must "
            "occur at least once to fit the four cut-points"
        )
    hall_comfort = (
        comfort_col
        if comfort_col is not None
        else (base.comfort_reference if comfort is None else float(comfort))
    )
    # Attitude index is irrelevant when the survey has no attitude: use the reference.
    if not any(c in cols for c in ("attitude", *COMPONENTS)):
        for c in COMPONENTS:
            visits[c] = np.full(n, base.attitude_reference)
    feats = linear_features(visits, hall_comfort, base)

    # Choose the coefficients to fit: column present, feature varies, not collinear
    # with those already chosen (cut-points act as intercepts, so centre first).
    chosen: list[str] = []
    not_fitted: dict[str, str] = {}
    for name in BETAS:
        x = feats[name]
        if not any(c in cols for c in _SOURCES[name]):
            not_fitted[name] = f"no {' / '.join(_SOURCES[name][:2])} column in the survey"
            continue
        if np.ptp(x) == 0:
            not_fitted[name] = "its regressor does not vary in the survey"
            if name == "beta_wait_beyond_adequate_per_min":
                not_fitted[name] = (
                    f"no perceived wait above adequate_wait_min ({base.adequate_wait_min:g})"
                )
            continue
        trial = np.column_stack([feats[c] - feats[c].mean() for c in [*chosen, name]])
        trial /= np.abs(trial).max(axis=0)
        if np.linalg.matrix_rank(trial, tol=1e-8 * np.sqrt(n)) < len(chosen) + 1:
            not_fitted[name] = "collinear with other survey columns"
            continue
        chosen.append(name)
    offset = np.zeros(n)
    for name in BETAS:
        if name not in chosen:
            offset += getattr(base, name) * feats[name]
    exog = np.column_stack([feats[c] for c in chosen]) if chosen else np.empty((n, 0))
    if n < len(chosen) + 4 + 10:
        raise ValueError(
            f"the survey has {n} rows; at least {len(chosen) + 14} are needed to fit "
            f"{len(chosen) + 4} parameters"
        )

    c = np.asarray(base.cutpoints, dtype=float)
    start = np.concatenate([[getattr(base, name) for name in chosen], [c[0]], np.log(np.diff(c))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = OrderedModel(rating, exog, offset=offset, distr="logit")
            res = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ValueError(
                f"the ordered-logit fit failed ({exc}) with columns "
                f"{', '.join(sorted(c for c in cols if c in (*REQUIRED, *OPTIONAL)))}; "
                "check them for extreme or nearly constant values"
            ) from None
        params = np.asarray(res.params, dtype=float)
        try:
            cov = np.asarray(res.cov_params(), dtype=float)
        except (np.linalg.LinAlgError, ValueError):
            cov = np.full((params.size, params.size), np.nan)
    converged = bool(res.mle_retvals.get("converged", False))
    k = len(chosen)
    cut = params[k] + np.concatenate([[0.0], np.cumsum(np.exp(params[k + 1 :]))])
    # Delta method for the cut-points: c_j = a + Σ_{i<j} exp(d_i).
    jac = np.zeros((4, params.size))
    jac[:, k] = 1.0
    for j in range(1, 4):
        jac[j, k + 1 : k + 1 + j] = np.exp(params[k + 1 : k + 1 + j])
    cut_cov = jac @ cov @ jac.T
    estimates: dict[str, float] = {}
    std_errors: dict[str, float] = {}
    for i, name in enumerate(chosen):
        estimates[name] = _round(params[i])
        std_errors[name] = float(np.sqrt(cov[i, i])) if cov[i, i] >= 0 else math.nan
    for j, name in enumerate(CUTPOINT_NAMES):
        estimates[name] = _round(cut[j])
        std_errors[name] = float(np.sqrt(cut_cov[j, j])) if cut_cov[j, j] >= 0 else math.nan

    fitted_cuts = tuple(estimates[c_] for c_ in CUTPOINT_NAMES)
    config = SatisfactionConfig.model_validate(
        {**base.model_dump(), "cutpoints": fitted_cuts, **{c_: estimates[c_] for c_ in chosen}}
    )
    eta_fit = sum(getattr(config, b) * feats[b] for b in BETAS)
    eta_base = sum(getattr(base, b) * feats[b] for b in BETAS)
    observed = np.bincount(rating, minlength=6)[1:] / n
    notes = []
    if not converged:
        notes.append("the optimiser did not report convergence; treat estimates with care")
    if not np.all(np.isfinite([std_errors[k_] for k_ in estimates])):
        notes.append("some standard errors could not be computed (flat likelihood)")
    return CalibrationResult(
        config=config,
        base=base,
        estimates=estimates,
        std_errors=std_errors,
        not_fitted=not_fitted,
        n=n,
        log_likelihood=_log_likelihood(rating, eta_fit, config.cutpoints),
        log_likelihood_base=_log_likelihood(rating, eta_base, base.cutpoints),
        converged=converged,
        observed_shares=observed,
        fitted_shares=probabilities_from_eta(eta_fit, config.cutpoints).mean(axis=0),
        base_shares=probabilities_from_eta(eta_base, base.cutpoints).mean(axis=0),
        ignored_columns=tuple(sorted(cols - set(REQUIRED) - set(OPTIONAL))),
        source=source,
        warnings=tuple(notes),
    )


def read_survey(path: str) -> pd.DataFrame:
    """Read a survey CSV; raises ``ValueError`` with a user-facing message."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read file: {exc}") from None
    if stat.S_ISDIR(mode):
        raise ValueError("is a directory, expected a CSV file")
    if not stat.S_ISREG(mode):  # a FIFO would block, /dev/zero never end
        raise ValueError("is not a regular file (a pipe or device?); expected a CSV file")
    try:
        return pd.read_csv(path, skipinitialspace=True)
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except IsADirectoryError:
        raise ValueError("is a directory, expected a CSV file") from None
    except pd.errors.EmptyDataError:
        raise ValueError("file is empty; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ValueError(f"cannot read as CSV: {exc}") from None
