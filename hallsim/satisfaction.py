"""Predicted satisfaction: an ordered-logit model of the 5-level 好差评 rating.

Every visit (served, balked or reneged) gets a latent score

    η = β_wait·max(p − desired, 0) + β_beyond·max(p − adequate, 0)     (p = perceived wait)
      + β_attitude·(A − A_ref)            served citizens only; A = weighted mean of the
                                          clerk's components (care, enthusiasm by default)
      + β_unsettled·[matter not settled]  abandoners are never settled
      + β_overtaken·min(overtaken, cap)   later arrivals of the same matter called first
      + β_comfort·(comfort − comfort_ref) hall comfort (SERVQUAL tangibles)
      + β_abandoned·[left unserved]

and P(rating ≤ k) = logistic(c_k − η), k = 1..4 (1 = 非常不满意 very dissatisfied …
5 = 非常满意 very satisfied).  At η = 0 the cut-points reproduce a named survey
baseline (``BASELINES``): by default a Chinese hall survey (Zhejiang 2017,
86.9% satisfied), or Service Canada 2006 (6% rated 1–2, 85% rated 4–5).

The output is a PREDICTION of what a *survey* of the hall's visitors would
find, from named coefficients, each with its published source (docs/model.md,
docs/sources.md) or the word "assumption" (see ``COEFFICIENTS``).  Coefficients
derived from a published effect on the mean rating are converted to logits
with ``coefficient_for_effect`` (``DERIVATIONS``).  Every coefficient has a
neutral value that switches its
mechanism off.  This module never touches the queue: ratings can be
recomputed for any coefficients from the same simulated visits
(``sensitivity_table``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:  # numpy, pandas and scipy load where used: validate starts fast
    import numpy as np
    import pandas as pd

COMPONENTS = ("proactiveness", "responsibility", "care", "enthusiasm")
"""The four 服务意识 components: 主动性, 责任感, 关怀, 热情 (docs/model.md §1)."""

LEVELS = (1.0, 2.0, 3.0, 4.0, 5.0)
"""Rating levels 1..5: 非常不满意, 不满意, 基本满意, 满意, 非常满意."""

OUTCOME_SERVED, OUTCOME_BALKED, OUTCOME_RENEGED = 0, 1, 2

Kind = Literal["sourced", "derived", "assumption", "switch"]


def _coef(
    default: Any,
    *,
    meaning: str,
    unit: str,
    kind: Kind,
    source: str,
    neutral: Any,
    neutral_text: str,
    **constraints: Any,
) -> Any:
    """A config field whose description names meaning, unit, source and neutral value."""
    label = "assumption" if kind == "assumption" else f"{kind}: {source}"
    if kind == "assumption" and source:
        label = f"assumption ({source})"
    description = f"{meaning} [{unit}]. Source: {label}. Neutral: {neutral_text}."
    return Field(
        default,
        description=description,
        json_schema_extra={
            "meaning": meaning,
            "unit": unit,
            "kind": kind,
            "source": source,
            "neutral": neutral,
            "neutral_text": neutral_text,
        },
        **constraints,
    )


def probabilities_from_eta(eta: np.ndarray, cutpoints: tuple[float, ...]) -> np.ndarray:
    """Ordered logit: P(Y = 1..5) per row, shape (n, 5), from P(Y ≤ k) = logistic(c_k − η)."""
    import numpy as np
    from scipy.special import expit

    eta = np.asarray(eta, dtype=float)
    n = eta.shape[0]
    # one row per level, one column per visit: numpy's loops then run along the visits,
    # several times faster than along 4 or 5 levels per visit; each element is the same
    # subtraction and logistic, so the same numbers
    cdf = np.empty((6, n))
    cdf[0] = 0.0
    cdf[5] = 1.0
    cdf[1:5] = expit(np.asarray(cutpoints, dtype=float)[:, None] - eta[None, :])
    probs = cdf[1:] - cdf[:-1]  # np.diff(cdf, axis=0)
    np.maximum(probs, 0.0, out=probs)
    # (n, 5) in C order, as callers sum it over visits (axis 0) in that layout
    return np.ascontiguousarray(probs.T)


# --- baselines and the published-effect → logit conversion --------------------------


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def cutpoints_from_shares(shares: tuple[float, ...]) -> tuple[float, float, float, float]:
    """Cut-points c1..c4 that reproduce rating shares (1..5) at η = 0: c_k = logit(P(Y ≤ k)).

    Plain Python (no numpy): the scenario model derives its default cut-points on import.
    """
    cum = list(itertools.accumulate(float(x) for x in shares))[:4]
    return tuple(round(_logit(p), 3) for p in cum)  # type: ignore[return-value]


@dataclass(frozen=True)
class Baseline:
    """A published rating distribution the cut-points reproduce at η = 0."""

    name: str
    shares: tuple[float, float, float, float, float]  # rating 1..5
    cutpoints: tuple[float, float, float, float]
    published: str  # what the source reports (the numbers a test checks)
    source: str  # the publication
    assumed: str  # what is not in the source


_SC_SHARES = (0.03, 0.03, 0.09, 0.30, 0.55)
_CN_SATISFIED = 0.869  # Zhejiang Statistics Bureau survey, June 2017
_CN_BAD = 0.04  # assumption
_CN_TOP = round(_CN_SATISFIED * 55 / 85, 4)  # P(5), Service Canada's 5:4 ratio (assumption)
_CN_SHARES = (
    _CN_BAD / 2,
    _CN_BAD / 2,
    round(1 - _CN_SATISFIED - _CN_BAD, 4),
    round(_CN_SATISFIED - _CN_TOP, 4),
    _CN_TOP,
)

BASELINES: dict[str, Baseline] = {
    "service_canada_2006": Baseline(
        name="service_canada_2006",
        shares=_SC_SHARES,
        cutpoints=(-3.48, -2.75, -1.73, -0.20),
        published="6% dissatisfied (rating 1-2), 84-85% rating 4-5, 55% very satisfied",
        source="Service Canada 2006 national client-satisfaction survey (Phoenix Strategic "
        "Perspectives, n = 4,023)",
        assumed="the 3%/3% split of ratings 1 and 2",
    ),
    "china_hall_survey": Baseline(
        name="china_hall_survey",
        shares=_CN_SHARES,  # type: ignore[arg-type]
        cutpoints=cutpoints_from_shares(_CN_SHARES),
        published="86.9% satisfied or fairly satisfied (rating 4-5)",
        source="Zhejiang Provincial Bureau of Statistics survey of 最多跑一次 service "
        "halls, June 2017 (about 10,000 respondents; reported by Xinhua, 7 Aug 2017)",
        assumed="4% rating 1-2 (split evenly), and rating 5 : rating 4 = 55 : 30 as in "
        "Service Canada 2006; the official 97.1% of Zhejiang 2019 is a plausible upper end",
    ),
}
"""Named survey baselines for ``[satisfaction] baseline``."""

DEFAULT_BASELINE = "china_hall_survey"


def rating_at(eta: float, cutpoints: tuple[float, ...]) -> dict[str, float]:
    """Mean rating, P(4–5) and P(1–2) of one visit with latent score ``eta``.

    Plain Python, the scalar case of ``probabilities_from_eta``: the default
    coefficients are derived from it when the scenario model is imported, which
    must not load numpy (``hallsim validate`` starts in a fraction of a second).
    """
    cdf = [0.0, *(1.0 / (1.0 + math.exp(eta - c)) for c in cutpoints), 1.0]
    p = [max(cdf[k + 1] - cdf[k], 0.0) for k in range(5)]
    return {
        "mean": sum(pk * level for pk, level in zip(p, LEVELS, strict=True)),
        "top2": p[3] + p[4],
        "bottom2": p[0] + p[1],
    }


def effect_of_coefficient(
    beta: float,
    cutpoints: tuple[float, ...],
    *,
    scale: str = "mean",
    x_from: float = 0.0,
    x_to: float = 1.0,
    x_ref: float = 0.0,
) -> float:
    """Change in the mean rating (``scale="mean"``) or in P(4–5) (``"top2"``) when the
    regressor moves from ``x_from`` to ``x_to``, with η = β·(x − x_ref) and every other
    term at 0."""
    lo = rating_at(beta * (x_from - x_ref), cutpoints)[scale]
    hi = rating_at(beta * (x_to - x_ref), cutpoints)[scale]
    return hi - lo


def coefficient_for_effect(
    effect: float,
    cutpoints: tuple[float, ...],
    *,
    scale: str = "mean",
    x_from: float = 0.0,
    x_to: float = 1.0,
    x_ref: float = 0.0,
) -> float:
    """The logit coefficient β that reproduces a published ``effect`` in this model.

    ``effect`` is the change in the mean rating (1–5, ``scale="mean"``) or in the
    share rating 4–5 (``scale="top2"``) when the regressor moves from ``x_from``
    to ``x_to``; ``x_ref`` is where the term is 0 (a reference level).  Solved
    with the model's own cut-points, so that ``effect_of_coefficient`` gives the
    published effect back (monotone in β, found by bisection).
    """
    if scale not in ("mean", "top2"):
        raise ValueError(f"scale must be 'mean' or 'top2', got {scale!r}")
    span = 4.0 if scale == "mean" else 1.0
    if not abs(effect) < span:
        raise ValueError(f"an effect of {effect} is outside what a rating can move ({span})")
    if effect == 0 or x_to == x_from:
        return 0.0

    def gap(beta: float) -> float:
        return (
            effect_of_coefficient(
                beta, cutpoints, scale=scale, x_from=x_from, x_to=x_to, x_ref=x_ref
            )
            - effect
        )

    lo, hi = gap(-60.0), gap(60.0)
    if lo * hi > 0:
        raise ValueError(
            f"an effect of {effect} cannot be reached from this baseline: the most this "
            f"term can move the {scale} is {lo + effect:+.3f} to {hi + effect:+.3f}"
        )
    a, b, ga = -60.0, 60.0, lo  # bisection: gap is monotone in beta; 1e-10 as brentq's xtol
    while b - a > 1e-10:
        mid = 0.5 * (a + b)
        gm = gap(mid)
        if gm == 0.0:
            return mid
        if (gm < 0) == (ga < 0):
            a, ga = mid, gm
        else:
            b = mid
    return 0.5 * (a + b)


@dataclass(frozen=True)
class Derivation:
    """A coefficient derived from a published effect (docs/model.md §3.4)."""

    coefficient: str
    published: str  # the effect as the source reports it
    effect: float  # the effect used, on ``scale``, after any shrinkage
    scale: str  # "mean": mean rating 1-5; "top2": P(rating 4-5)
    x_from: float
    x_to: float
    x_ref: float
    shrink: float  # effect used = shrink x published effect (1 = none)
    why: str  # the arithmetic and the reason for any shrinkage
    plausible: tuple[float, float]  # range of the coefficient for the robustness check


DERIVATION_CUTPOINTS = BASELINES["service_canada_2006"].cutpoints
"""Cut-points the derivations use: those of the survey the effects were measured in."""

DERIVATIONS: dict[str, Derivation] = {
    "beta_attitude": Derivation(
        coefficient="beta_attitude",
        published="Service Canada 2006: +1 staff-quality point (1-5) -> +0.3 overall "
        "points; attitude 0 -> 1 spans the 4 points of the scale: +1.2 rating points",
        effect=1.2,
        scale="mean",
        x_from=0.0,
        x_to=1.0,
        x_ref=0.7,
        shrink=1.0,
        why="0.3 x 4 = 1.2 points on the mean rating, attitude 0 -> 1 around the "
        "reference 0.7; no shrinkage",
        plausible=(1.1, 3.4),  # the effect halved (0.6 points) .. 1.5x (1.8 points)
    ),
    "beta_unsettled": Derivation(
        coefficient="beta_unsettled",
        published="CFI Group CCSI 2008: satisfaction index 40 (unresolved) vs 80 "
        "(resolved) on 0-100, i.e. 1.6 points of a 1-5 scale",
        effect=-1.2,
        scale="mean",
        x_from=0.0,
        x_to=1.0,
        x_ref=0.0,
        shrink=0.75,
        why="40/100 x 4 = 1.6 points for a contact never resolved; shrunk by a quarter "
        "to 1.2 points because an unsettled hall visitor usually settles the matter on "
        "a later trip (assumption)",
        plausible=(-2.5, -1.0),
    ),
}
"""How each "derived" coefficient follows from its published effect."""


def derived_value(name: str) -> float:
    """The coefficient ``DERIVATIONS[name]`` gives, rounded to 2 decimals."""
    d = DERIVATIONS[name]
    beta = coefficient_for_effect(
        d.effect, DERIVATION_CUTPOINTS, scale=d.scale, x_from=d.x_from, x_to=d.x_to, x_ref=d.x_ref
    )
    return round(beta, 2)


class SatisfactionConfig(BaseModel):
    """Coefficients of the predicted-satisfaction model (scenario table ``[satisfaction]``).

    Signs: a positive coefficient raises the latent score η and so the
    predicted rating.  Every field has a neutral value that switches its
    mechanism off (given in its description and in ``COEFFICIENTS``).
    """

    # strict, like the rest of the scenario: a TOML boolean or string is never
    # quietly read as a number (integers still fill float fields)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _cutpoints_from_baseline(cls, data: Any) -> Any:
        # explicit cut-points win; otherwise the named baseline's
        # (cut-points equal to another baseline's came from a dump of that
        # baseline, e.g. in with_changes: they follow ``baseline`` too)
        if not isinstance(data, dict):
            return data
        name = data.get("baseline", DEFAULT_BASELINE)
        if not (isinstance(name, str) and name in BASELINES):
            return data
        given = data.get("cutpoints")
        others = [tuple(b.cutpoints) for k, b in BASELINES.items() if k != name]
        if given is None or (isinstance(given, list | tuple) and tuple(given) in others):
            data = {**data, "cutpoints": BASELINES[name].cutpoints}
        return data

    @field_validator("cutpoints", mode="before")
    @classmethod
    def _cutpoints_from_toml(cls, v: Any) -> Any:
        # TOML gives an array (a list): accept it as the tuple, numbers only
        if isinstance(v, list | tuple):
            for x in v:
                if isinstance(x, bool) or not isinstance(x, int | float):
                    raise ValueError(f"cut-points must be numbers, got {x!r}")
            return tuple(float(x) for x in v)
        return v

    enabled: bool = _coef(
        True,
        meaning="predict satisfaction at all; false: satisfaction metrics are NaN (null)",
        unit="bool",
        kind="switch",
        source="hallsim",
        neutral=False,
        neutral_text="false switches the whole model off",
    )
    baseline: Literal["china_hall_survey", "service_canada_2006"] = _coef(
        DEFAULT_BASELINE,
        meaning="named survey distribution the cut-points reproduce at eta = 0 "
        "(used when cutpoints is not given): china_hall_survey (default, a Chinese "
        "hall) or service_canada_2006",
        unit="name",
        kind="derived",
        source="china_hall_survey: Zhejiang Statistics Bureau 2017, 86.9% satisfied; "
        "service_canada_2006: Service Canada 2006, 85% rating 4-5, 6% rating 1-2",
        neutral=None,
        neutral_text="none (it sets the baseline distribution, not a mechanism)",
    )
    cutpoints: tuple[float, float, float, float] = _coef(
        BASELINES[DEFAULT_BASELINE].cutpoints,
        meaning="ordered-logit cut-points c1..c4, P(rating <= k) = logistic(c_k - eta); "
        "default: those of the named baseline",
        unit="logit",
        kind="derived",
        source="the baseline's published distribution at eta = 0 (see baseline)",
        neutral=None,
        neutral_text="none (they set the baseline distribution, not a mechanism)",
    )
    desired_wait_min: float = _coef(
        10.0,
        meaning="perceived wait up to which waiting costs nothing (zone of tolerance, lower edge)",
        unit="min",
        kind="assumption",
        source="Sauceda-Valenzuela et al. 2010 found 10 min rated 'acceptable' in Mexican "
        "clinics, closer to an adequate than a desired wait; used as the desired wait",
        neutral=0.0,
        neutral_text="0 makes every minute count; switch the wait term off with "
        "beta_wait_per_min = 0",
        ge=0,
    )
    adequate_wait_min: float = _coef(
        25.0,
        meaning="perceived wait beyond which each minute costs extra (zone of tolerance, "
        "upper edge)",
        unit="min",
        kind="assumption",
        source="Service Canada's service standard (25 min for 80%), an agency target, not "
        "what citizens tolerate; Pockros et al. 2021: clinic patients willing to wait 20 min",
        neutral=None,
        neutral_text="none; switch the extra slope off with beta_wait_beyond_adequate_per_min = 0",
        ge=0,
    )
    perceived_wait_factor: float = _coef(
        1.0,
        meaning="perceived wait = factor x actual wait (Maister; Davis & Heineke)",
        unit="ratio",
        kind="assumption",
        source="Magro & Aquilina 2016 found perceived/actual 1.08; 1.36 only as a "
        "sensitivity value",
        neutral=1.0,
        neutral_text="1 (perceived = actual)",
        gt=0,
    )
    beta_wait_per_min: float = _coef(
        -0.020,
        meaning="effect of each minute of perceived wait above desired_wait_min",
        unit="logit/min",
        kind="derived",
        source="Camacho et al. 2006: odds of willingness to RETURN to a clinic -2%/min "
        "(ln 0.98), not a rating, and from 0 min while hallsim starts the slope at "
        "desired_wait_min; their rating slope (-0.3 of 10 points per 10 min) converts to "
        "-0.025 logit/min",
        neutral=0.0,
        neutral_text="0 (waiting does not matter)",
    )
    beta_wait_beyond_adequate_per_min: float = _coef(
        -0.020,
        meaning="extra effect of each minute of perceived wait above adequate_wait_min "
        "(the slope doubles there)",
        unit="logit/min",
        kind="assumption",
        source="shape from García Castro et al. 2021 ('worse after 60 min') and Seals "
        "et al. (drop after ~15 min)",
        neutral=0.0,
        neutral_text="0 (one straight slope above desired_wait_min)",
    )
    beta_attitude: float = _coef(
        derived_value("beta_attitude"),
        meaning="effect of one unit (0 -> 1) of the serving clerk's attitude index",
        unit="logit/unit",
        kind="derived",
        source="Service Canada 2006: +1 staff-quality point (1-5) -> +0.3 overall, x 4 "
        "points = +1.2 mean rating for attitude 0 -> 1, converted with the Service Canada "
        "cut-points (coefficient_for_effect)",
        neutral=0.0,
        neutral_text="0 (attitude does not change ratings)",
    )
    attitude_reference: float = _coef(
        0.7,
        meaning="attitude index at which the attitude term is 0: the scenario's default "
        "window attitude, taken as the typical clerk behind the Service Canada "
        "distribution that the cut-points reproduce",
        unit="index 0..1",
        kind="assumption",
        source="",
        neutral=None,
        neutral_text="none (moves the level only; switch attitude off with beta_attitude = 0)",
        ge=0,
        le=1,
    )
    attitude_weight_proactiveness: float = _coef(
        0.0,
        meaning="weight of proactiveness (主动性) in the attitude index; 0 because it "
        "acts through first-contact resolution (settled) already",
        unit="weight",
        kind="assumption",
        source="proactiveness acts through 一次性告知 (telling every requirement at once): FCR",
        neutral=0.0,
        neutral_text="0 (component ignored)",
        ge=0,
    )
    attitude_weight_responsibility: float = _coef(
        0.0,
        meaning="weight of responsibility (责任感) in the attitude index; 0 because it "
        "acts through settled and rework time already",
        unit="weight",
        kind="assumption",
        source="responsibility acts through errors and rework",
        neutral=0.0,
        neutral_text="0 (component ignored)",
        ge=0,
    )
    attitude_weight_care: float = _coef(
        0.5,
        meaning="weight of care (关怀) in the attitude index (SERVQUAL empathy)",
        unit="weight",
        kind="assumption",
        source="care and enthusiasm form the courtesy term (Thompson et al. 1996: "
        "courtesy predicts satisfaction)",
        neutral=0.0,
        neutral_text="0 (component ignored)",
        ge=0,
    )
    attitude_weight_enthusiasm: float = _coef(
        0.5,
        meaning="weight of enthusiasm (热情) in the attitude index (SERVQUAL assurance)",
        unit="weight",
        kind="assumption",
        source="care and enthusiasm form the courtesy term (Thompson et al. 1996: "
        "courtesy predicts satisfaction)",
        neutral=0.0,
        neutral_text="0 (component ignored)",
        ge=0,
    )
    beta_unsettled: float = _coef(
        derived_value("beta_unsettled"),
        meaning="effect of leaving with the matter not settled (reliability; 最多跑一次); "
        "abandoners are never settled",
        unit="logit",
        kind="derived",
        source="CFI Group CCSI 2008: unresolved 40 vs 80 of 100 = 1.6 rating points "
        "(-2.48 logit), shrunk to 1.2 points because the matter is usually settled on a "
        "later trip (assumption; plausible range -1 to -2.5)",
        neutral=0.0,
        neutral_text="0 (settling does not matter)",
    )
    beta_overtaken: float = _coef(
        -0.3,
        meaning="effect of each later arrival of the same matter called first (Larson 1987 "
        "'slips')",
        unit="logit/overtaking",
        kind="assumption",
        source="Larson 1987; Rafaeli et al. 2002: FIFO violations anger, no effect size",
        neutral=0.0,
        neutral_text="0 (fairness does not matter)",
    )
    overtaken_cap: float = _coef(
        3.0,
        meaning="overtakings beyond this count add nothing more",
        unit="count",
        kind="assumption",
        source="",
        neutral=0.0,
        neutral_text="0 (same as beta_overtaken = 0)",
        ge=0,
    )
    beta_comfort: float = _coef(
        0.3,
        meaning="effect of one unit of hall comfort (hall.comfort, SERVQUAL tangibles)",
        unit="logit/unit",
        kind="assumption",
        source="below staff effects as in Moteki 2023; Bielen & Demoulin 2007: "
        "waiting environment matters",
        neutral=0.0,
        neutral_text="0 (comfort does not matter)",
    )
    comfort_reference: float = _coef(
        0.5,
        meaning="hall comfort at which the comfort term is 0 (the scenario default)",
        unit="index 0..1",
        kind="assumption",
        source="",
        neutral=None,
        neutral_text="none (moves the level only; switch comfort off with beta_comfort = 0)",
        ge=0,
        le=1,
    )
    beta_abandoned: float = _coef(
        0.0,
        meaning="extra effect of leaving unserved (balked or reneged), on top of the wait "
        "until leaving and beta_unsettled",
        unit="logit",
        kind="assumption",
        source="abandoners are rated with their wait until leaving plus beta_unsettled",
        neutral=0.0,
        neutral_text="0 (the default: no extra term)",
    )
    complaint_share_of_bad: float = _coef(
        0.01,
        meaning="share of (survey) bad ratings (1-2) that become a formal complaint (投诉); "
        "complaint_rate = this x bad_review_rate",
        unit="share",
        kind="assumption",
        source="no published ratio found; 1 in 100 dissatisfied visitors files a formal "
        "complaint (plausible 0.2%-5%), an index, not a forecast of counts",
        neutral=0.0,
        neutral_text="0 (no complaints predicted)",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _consistent(self) -> SatisfactionConfig:
        c = self.cutpoints
        if not all(a < b for a, b in itertools.pairwise(c)):
            raise ValueError(f"cutpoints must be strictly increasing, got {list(c)}")
        if self.adequate_wait_min < self.desired_wait_min:
            raise ValueError(
                f"adequate_wait_min ({self.adequate_wait_min}) must be >= desired_wait_min "
                f"({self.desired_wait_min})"
            )
        if sum(self.attitude_weights) <= 0:
            raise ValueError("at least one attitude_weight_* must be > 0")
        return self

    @property
    def attitude_weights(self) -> tuple[float, float, float, float]:
        """Weights of (proactiveness, responsibility, care, enthusiasm)."""
        return (
            self.attitude_weight_proactiveness,
            self.attitude_weight_responsibility,
            self.attitude_weight_care,
            self.attitude_weight_enthusiasm,
        )


# --- the coefficient list (printed by the report as "the model's assumptions") ----


@dataclass(frozen=True)
class Coefficient:
    """One named coefficient of the satisfaction model."""

    name: str
    default: Any
    unit: str
    kind: Kind  # "sourced" | "derived" | "assumption" | "switch"
    source: str  # the publication (docs/sources.md), or the reason for the assumption
    neutral: Any  # value that switches the mechanism off (None: no such value)
    neutral_text: str
    meaning: str


def _coefficients() -> tuple[Coefficient, ...]:
    out = []
    for name, info in SatisfactionConfig.model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict)
        out.append(
            Coefficient(
                name=name,
                default=info.default,
                unit=str(extra["unit"]),
                kind=extra["kind"],  # type: ignore[arg-type]
                source=str(extra["source"]) or "assumption",
                neutral=extra["neutral"],
                neutral_text=str(extra["neutral_text"]),
                meaning=str(extra["meaning"]),
            )
        )
    return tuple(out)


COEFFICIENTS: tuple[Coefficient, ...] = _coefficients()
"""Every field of SatisfactionConfig with default, unit, source or "assumption", neutral."""


def coefficient_table(cfg: SatisfactionConfig | None = None) -> pd.DataFrame:
    """COEFFICIENTS as a table, with the value in ``cfg`` next to the default.

    Columns: coefficient, value, default, unit, kind, source, neutral, meaning.
    """
    import pandas as pd

    cfg = cfg or SatisfactionConfig()
    rows = []
    for c in COEFFICIENTS:
        value = getattr(cfg, c.name)
        rows.append(
            {
                "coefficient": c.name,
                "value": list(value) if isinstance(value, tuple) else value,
                "default": list(c.default) if isinstance(c.default, tuple) else c.default,
                "unit": c.unit,
                "kind": c.kind,
                "source": c.source,
                "neutral": c.neutral_text,
                "meaning": c.meaning,
            }
        )
    return pd.DataFrame(rows)


# --- the model ---------------------------------------------------------------

BETAS = (
    "beta_wait_per_min",
    "beta_wait_beyond_adequate_per_min",
    "beta_attitude",
    "beta_unsettled",
    "beta_overtaken",
    "beta_comfort",
    "beta_abandoned",
)
"""The linear coefficients of η, in the order of ``linear_features``."""


def _column(visits: dict[str, np.ndarray], key: str, n: int | None) -> np.ndarray:
    import numpy as np

    try:
        arr = np.asarray(visits[key])
    except KeyError:
        raise KeyError(f"visits has no {key!r} array (keys: {sorted(visits)})") from None
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise ValueError(f"visits[{key!r}] must be 1-d of length {n}, got shape {arr.shape}")
    return arr


def attitude_index(visits: dict[str, np.ndarray], cfg: SatisfactionConfig) -> np.ndarray:
    """Weighted mean of the serving clerk's components, 0..1 (NaN when not served).

    Only components with a positive weight are read, so an unused component may
    be NaN.  A single attitude score (all four equal) gives that score back.
    """
    import numpy as np

    n = _column(visits, "wait_min", None).shape[0]
    weights = cfg.attitude_weights
    total = sum(weights)
    index = np.zeros(n)
    for name, w in zip(COMPONENTS, weights, strict=True):
        if w > 0:
            index += (w / total) * _column(visits, name, n).astype(float)
    return index


def linear_features(
    visits: dict[str, np.ndarray], comfort: float | np.ndarray, cfg: SatisfactionConfig
) -> dict[str, np.ndarray]:
    """The regressor of each coefficient in ``BETAS``: η = Σ cfg.<beta> · feature.

    Shared by ``rating_probabilities`` and ``hallsim.calibrate`` so that fitted
    coefficients plug straight back in.  ``comfort`` is the hall's comfort (a
    scalar, or one value per visit).
    """
    import numpy as np

    wait = _column(visits, "wait_min", None).astype(float)
    n = wait.shape[0]
    outcome = _column(visits, "outcome", n)
    served = outcome == OUTCOME_SERVED
    settled = _column(visits, "settled", n).astype(bool)
    overtaken = _column(visits, "overtaken", n).astype(float)

    perceived = cfg.perceived_wait_factor * wait
    # expectations per visit (citizen classes that expect more or less), else the config's
    desired = visits.get("desired_wait_min", cfg.desired_wait_min)
    adequate = visits.get("adequate_wait_min", cfg.adequate_wait_min)
    # Where a visit was not served the index is NaN; np.where picks 0 there.
    index = attitude_index(visits, cfg)
    comfort_arr = np.broadcast_to(np.asarray(comfort, dtype=float), (n,))
    return {
        "beta_wait_per_min": np.maximum(perceived - desired, 0.0),
        "beta_wait_beyond_adequate_per_min": np.maximum(perceived - adequate, 0.0),
        "beta_attitude": np.where(served, index - cfg.attitude_reference, 0.0),
        "beta_unsettled": (~settled | ~served).astype(float),
        "beta_overtaken": np.minimum(overtaken, cfg.overtaken_cap),
        "beta_comfort": comfort_arr - cfg.comfort_reference,
        "beta_abandoned": (~served).astype(float),
    }


def latent_score(
    visits: dict[str, np.ndarray], comfort: float | np.ndarray, cfg: SatisfactionConfig
) -> np.ndarray:
    """η per visit (logit scale; 0 = the Service Canada baseline)."""
    import numpy as np

    feats = linear_features(visits, comfort, cfg)
    eta = np.zeros_like(feats["beta_wait_per_min"])
    for name in BETAS:
        beta = getattr(cfg, name)
        if beta != 0.0:
            eta += beta * feats[name]
    return eta


def rating_probabilities(
    visits: dict[str, np.ndarray], comfort: float, cfg: SatisfactionConfig
) -> np.ndarray:
    """Predicted P(rating = 1..5) per visit, shape (n, 5); all NaN when ``cfg.enabled`` is false.

    ``visits`` holds one array per key, one entry per citizen visit: wait_min
    (served: ticket → call; abandoners: ticket → leaving; 0 for balkers),
    outcome (0 served, 1 balked, 2 reneged), settled, overtaken, and the
    serving clerk's proactiveness, responsibility, care, enthusiasm (NaN when
    not served).  ``comfort`` is the hall's comfort in [0, 1].
    """
    import numpy as np

    n = _column(visits, "wait_min", None).shape[0]
    if not cfg.enabled:
        return np.full((n, 5), np.nan)
    if n <= _ROWS:
        return probabilities_from_eta(latent_score(visits, comfort, cfg), cfg.cutpoints)
    # a long day: every step is per visit, so the rows can go in blocks (the same numbers)
    # and the dozen temporary columns of the features and the logit exist for one block
    probs = np.empty((n, 5))
    per_visit = np.ndim(comfort) == 1
    for start in range(0, n, _ROWS):
        rows = slice(start, start + _ROWS)
        part = {k: v[rows] if _per_visit(v, n) else v for k, v in visits.items()}
        eta = latent_score(part, comfort[rows] if per_visit else comfort, cfg)
        probs[rows] = probabilities_from_eta(eta, cfg.cutpoints)
    return probs


_ROWS = 32_768  # visits per block of ``rating_probabilities``


def _per_visit(value, n: int) -> bool:
    import numpy as np

    return isinstance(value, np.ndarray) and value.ndim == 1 and value.shape[0] == n


def summarise(probs: np.ndarray, cfg: SatisfactionConfig | None = None) -> dict[str, float]:
    """Headline predictions over visits (contract §3), each a mean over visits.

    satisfaction_mean: expected rating 1–5; csat: P(rating 4 or 5);
    bad_review_rate: P(rating 1 or 2) as a survey would find it (not the 好差评 button
    差评 rate, which is about 100 times lower); complaint_rate:
    ``cfg.complaint_share_of_bad`` × bad_review_rate (defaults when ``cfg`` is
    None).  NaN for no visits or a disabled model (NaN probabilities).
    """

    return summarise_shares(rating_distribution(probs), cfg)


def summarise_shares(shares: np.ndarray, cfg: SatisfactionConfig | None = None) -> dict[str, float]:
    """``summarise`` from the mean share of each rating (``rating_distribution``).

    Each headline is linear in the probabilities, so its mean over visits is
    the same combination of the mean shares: one pass over the visits serves
    all of them.
    """

    share = (cfg or SatisfactionConfig()).complaint_share_of_bad
    bad = float(shares[0] + shares[1])
    return {
        "satisfaction_mean": float(shares @ LEVELS),
        "csat": float(shares[3] + shares[4]),
        "bad_review_rate": bad,
        "complaint_rate": share * bad,
    }


def rating_distribution(probs: np.ndarray) -> np.ndarray:
    """Mean predicted share of each rating 1..5 over visits (length 5; NaN if empty)."""
    import numpy as np

    probs = np.asarray(probs, dtype=float)
    if probs.shape[0] == 0:
        return np.full(5, np.nan)
    # probs.mean(axis=0) is this sum divided by the row count (numpy's _mean), bit for
    # bit, without the generic method's overhead (a few calls per replication)
    return np.add.reduce(probs, axis=0) / probs.shape[0]


def summarise_by(
    probs: np.ndarray, groups: np.ndarray, cfg: SatisfactionConfig | None = None
) -> dict[int, dict[str, float]]:
    """``summarise`` per group code (e.g. ``visits["matter"]`` or ``visits["window_group"]``,
    where −1 = not served).  Vectorised with bincount; groups with no visits are absent.
    """
    import numpy as np

    probs = np.asarray(probs, dtype=float)
    groups = np.asarray(groups).astype(np.int64)
    if probs.shape[0] == 0:
        return {}
    share = (cfg or SatisfactionConfig()).complaint_share_of_bad
    offset = -min(int(groups.min()), 0)
    codes = groups + offset
    count = np.bincount(codes)
    mean = np.bincount(codes, weights=probs @ LEVELS)
    csat = np.bincount(codes, weights=probs[:, 3:].sum(axis=1))
    bad = np.bincount(codes, weights=probs[:, :2].sum(axis=1))
    out: dict[int, dict[str, float]] = {}
    for code in np.flatnonzero(count):
        k = float(count[code])
        out[int(code) - offset] = {
            "satisfaction_mean": float(mean[code] / k),
            "csat": float(csat[code] / k),
            "bad_review_rate": float(bad[code] / k),
            "complaint_rate": share * float(bad[code] / k),
        }
    return out


# --- sensitivity ----------------------------------------------------------------

SENSITIVITY_COEFFICIENTS = (
    "beta_wait_per_min",
    "beta_wait_beyond_adequate_per_min",
    "desired_wait_min",
    "adequate_wait_min",
    "perceived_wait_factor",
    "beta_attitude",
    "beta_unsettled",
    "beta_overtaken",
    "overtaken_cap",
    "beta_comfort",
    "beta_abandoned",
    "complaint_share_of_bad",
)
"""Coefficients ``sensitivity_table`` halves and doubles.  Not included: the
cut-points (the baseline itself), the reference levels and attitude weights
(they move the level, like a cut-point shift) and ``enabled``."""

_CHUNK = 262_144


def _summarise_visits(
    visits: dict[str, np.ndarray], comfort: float, cfg: SatisfactionConfig
) -> dict[str, float]:
    """``summarise(rating_probabilities(...))`` in chunks, so millions of visits fit in memory."""
    import numpy as np

    n = _column(visits, "wait_min", None).shape[0]
    if n == 0 or not cfg.enabled:
        return summarise(np.empty((0, 5)) if n == 0 else np.full((1, 5), np.nan), cfg)
    totals = np.zeros(3)
    for start in range(0, n, _CHUNK):
        part = {
            k: np.asarray(v)[start : start + _CHUNK]
            for k, v in visits.items()
            if np.ndim(v) == 1 and np.shape(v)[0] == n
        }
        probs = rating_probabilities(part, comfort, cfg)
        totals += (
            float((probs @ LEVELS).sum()),
            float(probs[:, 3:].sum()),
            float(probs[:, :2].sum()),
        )
    mean, csat, bad = totals / n
    return {
        "satisfaction_mean": float(mean),
        "csat": float(csat),
        "bad_review_rate": float(bad),
        "complaint_rate": cfg.complaint_share_of_bad * float(bad),
    }


def sensitivity_table(
    visits: dict[str, np.ndarray],
    comfort: float,
    cfg: SatisfactionConfig,
    metrics: tuple[str, ...] = ("csat", "bad_review_rate", "satisfaction_mean"),
    factors: tuple[float, ...] = (0.5, 2.0),
    coefficients: tuple[str, ...] = SENSITIVITY_COEFFICIENTS,
) -> pd.DataFrame:
    """Re-rate the same visits with each coefficient multiplied by each factor, one at a time.

    No re-simulation is needed: satisfaction never changes the queue.  The
    first row is the base (coefficient "(base)", factor 1).  Columns:
    coefficient, kind, factor, value, then per metric ``<metric>`` and
    ``<metric>_change`` (minus the base), and ``note`` (why a row is NaN, e.g. a
    doubled desired wait above the adequate wait).  A coefficient at 0 stays at
    0 (its rows show no change).
    """
    import numpy as np
    import pandas as pd

    kinds = {c.name: c.kind for c in COEFFICIENTS}
    unknown = [
        m
        for m in metrics
        if m not in {"csat", "bad_review_rate", "satisfaction_mean", "complaint_rate"}
    ]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}")
    base = _summarise_visits(visits, comfort, cfg)
    rows = [
        {
            "coefficient": "(base)",
            "kind": "",
            "factor": 1.0,
            "value": np.nan,
            **{m: base[m] for m in metrics},
            **{f"{m}_change": 0.0 for m in metrics},
            "note": "",
        }
    ]
    data = cfg.model_dump()
    for name in coefficients:
        if name not in kinds:
            raise ValueError(f"unknown coefficient {name!r}")
        for factor in factors:
            value = getattr(cfg, name) * factor
            note = ""
            try:
                changed = SatisfactionConfig.model_validate({**data, name: value})
                result = _summarise_visits(visits, comfort, changed)
            except ValidationError as exc:
                note = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
                result = dict.fromkeys(metrics, np.nan)
            rows.append(
                {
                    "coefficient": name,
                    "kind": kinds[name],
                    "factor": factor,
                    "value": value,
                    **{m: result[m] for m in metrics},
                    **{f"{m}_change": result[m] - base[m] for m in metrics},
                    "note": note,
                }
            )
    return pd.DataFrame(rows)
