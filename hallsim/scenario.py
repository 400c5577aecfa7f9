"""Scenario files: the single source of truth for the hall description.

A scenario is an immutable pydantic model read from TOML (``load_scenario``).
Everything here is data and validation; nothing simulates.  Units: durations
in minutes, times of day as minutes since midnight (``open_min``), rates per
hour only as written in the file (``rate_per_minute`` converts them once).
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hallsim.limits import MAX_FILE_BYTES, MAX_INT64, MAX_REPLICATIONS, MAX_SEED, MIN_INT64
from hallsim.satisfaction import SatisfactionConfig

_T = TypeVar("_T")

ATTITUDE_COMPONENTS = ("proactiveness", "responsibility", "care", "enthusiasm")


class ScenarioError(ValueError):
    """A scenario file (or a change to it) is invalid.

    ``problems`` is a list of ``(field_path, message)``; ``source`` names the
    file.  ``str(err)`` is the user-facing text (no traceback needed).  A
    ValueError, so callers of the Python API can catch bad input as such.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid scenario"]
        lines += [f"  {path or '(file)'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class _Frozen(BaseModel):
    # strict: a TOML boolean or string is never quietly turned into a number
    # (count = true, factor = "1.2" are errors); integers still fill float fields.
    # defer_build: a table's validator is built when first used, not on import
    # (off every command's start; measured in benchmarks/README.md).
    # allow_inf_nan=False: every number in the format is finite (TOML has inf and
    # nan), for every float field here and in any field added later.
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True
    )


_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")  # ASCII digits only (\d matches any script)
_LOOSE_CLOCK = re.compile(r"\s*([0-9]{1,2}):([0-9]{1,2})\s*")


def parse_clock(value: str) -> float:
    """'HH:MM' (exactly two ASCII digits each, 00:00 to 24:00) → minutes since midnight.

    Only one spelling per time is accepted, so two keys of a table can never
    name the same time ("9:00" is refused with a hint to write "09:00").
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a time of day as 'HH:MM', got {value!r}")
    match = _CLOCK.fullmatch(value)
    if match is None:
        loose = _LOOSE_CLOCK.fullmatch(value)
        hint = loose and f"{int(loose.group(1)):02d}:{int(loose.group(2)):02d}"
        if hint and int(hint[:2]) * 60 + int(hint[3:]) <= 24 * 60 and int(hint[3:]) < 60:
            raise ValueError(
                f"expected a time of day as 'HH:MM' with two digits each, got {value!r}; "
                f"write {hint!r}"
            )
        raise ValueError(
            f"expected a time of day as 'HH:MM' (ASCII digits, e.g. '09:00'), got {value!r}"
        )
    hours, minutes = int(match.group(1)), int(match.group(2))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    return float(hours * 60 + minutes)


def format_clock(minutes: float) -> str:
    """Minutes since midnight → 'HH:MM' (rounded down to the minute)."""
    m = math.floor(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


# --- distributions ---------------------------------------------------------
# A cv above this is no service or patience time (a gamma with cv 10 already
# draws 0.00 min for over half its values); the bound also keeps cv**2 finite.
# Tiny cvs are fine: below 1e-9 the samplers draw the mean (hallsim.streams).
MAX_CV = 100.0
# Each distribution knows its mean and squared coefficient of variation so that
# tests and theory can compare samples with expectations (as Ciw does).


class Exponential(_Frozen):
    dist: Literal["exponential"]
    mean: float = Field(gt=0, description="mean, minutes")

    @property
    def cv2(self) -> float:
        return 1.0


class Deterministic(_Frozen):
    dist: Literal["deterministic"]
    mean: float = Field(gt=0, description="the fixed duration, minutes")

    @property
    def cv2(self) -> float:
        return 0.0


class Lognormal(_Frozen):
    """Parameterised by the mean and cv of the duration itself (not of log)."""

    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    cv: float = Field(
        ge=0, le=MAX_CV, description="coefficient of variation of the duration (0..100)"
    )

    @property
    def cv2(self) -> float:
        return self.cv**2


class Gamma(_Frozen):
    dist: Literal["gamma"]
    mean: float = Field(gt=0)
    cv: float = Field(
        ge=0, le=MAX_CV, description="coefficient of variation of the duration (0..100)"
    )

    @property
    def cv2(self) -> float:
        return self.cv**2


class Uniform(_Frozen):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def cv2(self) -> float:
        return ((self.high - self.low) ** 2 / 12) / self.mean**2


Distribution = Annotated[
    Exponential | Deterministic | Lognormal | Gamma | Uniform, Field(discriminator="dist")
]


# --- sections --------------------------------------------------------------
# Sanity bounds that keep a replication finite in time and memory (a typo such as
# 1e300 must not run until killed).  Far above any hall: a busy city hall sees a
# few hundred citizens an hour, and 10 million minutes is 19 years.
MAX_RATE_PER_HOUR = 1_000_000.0
MAX_RUN_MIN = 10_000_000.0


class RunSettings(_Frozen):
    mode: Literal["day", "steady_state"] = Field(
        "day", description="day: one working day (terminating); steady_state: long run"
    )
    replications: int = Field(
        20, ge=1, le=MAX_REPLICATIONS, description="replications (CLI -r overrides)"
    )
    seed: int = Field(
        1, ge=0, le=MAX_SEED, description="base seed, 0..2^63-1 (CLI --seed overrides)"
    )
    warmup_min: float = Field(
        0.0,
        ge=0,
        le=MAX_RUN_MIN,
        description="steady_state only: statistics ignore arrivals before this (day mode: 0)",
    )
    length_min: float = Field(
        0.0,
        ge=0,
        le=MAX_RUN_MIN,
        description="steady_state only: arrivals stop at warmup_min + length_min (day mode: 0)",
    )
    day_type: str | None = Field(
        None,
        description="day mode: the [[day_types]] entry to simulate (e.g. a busy Monday); "
        "absent: an ordinary day (docs/mechanisms.md §3)",
    )


class Hall(_Frozen):
    open: str = Field("09:00", description="first ticket, HH:MM (day mode)")
    close: str = Field("17:00", description="last ticket, HH:MM; those inside are still served")
    service_level_target_min: float = Field(15.0, gt=0, description="wait target for service_level")
    comfort: float = Field(
        0.5, ge=0, le=1, description="waiting-area comfort (SERVQUAL tangibles), 0..1"
    )
    period_min: float = Field(30.0, gt=0, description="width of the per-period table bins")
    max_waiting: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="most citizens that can wait at once (the waiting room); an arrival "
        "who finds it full and no window free is turned away (blocked). 0: no waiting "
        "room (Erlang's loss system); absent: unlimited (docs/mechanisms.md §5)",
    )

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> Hall:
        if parse_clock(self.open) >= parse_clock(self.close):
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        return self

    # cached: models are frozen, and the engines read these once per replication
    @functools.cached_property
    def open_min(self) -> float:
        return parse_clock(self.open)

    @functools.cached_property
    def close_min(self) -> float:
        return parse_clock(self.close)


class BeforeOpen(_Frozen):
    """Citizens who queue at the door before opening and all take tickets at ``hall.open``."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    count: int | None = Field(
        None, ge=0, le=1_000_000, description="citizens waiting at the door at opening (fixed)"
    )
    rate_per_hour: float | None = Field(
        None,
        ge=0,
        le=MAX_RATE_PER_HOUR,
        description="or: citizens per hour who arrive from `from` until opening (their "
        "number is Poisson with mean rate × time)",
    )
    from_: str = Field(
        "08:30",
        alias="from",
        description="with rate_per_hour: when the first of them arrives at the door, HH:MM",
    )

    @field_validator("from_")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _one_of(self) -> BeforeOpen:
        if (self.count is None) == (self.rate_per_hour is None):
            raise ValueError("give exactly one of count or rate_per_hour")
        return self

    @property
    def from_min(self) -> float:
        return parse_clock(self.from_)


class DayType(_Frozen):
    """A named kind of day (周一高峰, month-end, before a holiday), chosen by run.day_type."""

    name: str = Field(min_length=1, description="name used by run.day_type")
    rate_factor: float = Field(
        1.0,
        gt=0,
        le=100,
        description="multiplies every arrival rate, and arrivals.before_open's rate when "
        "this day type has no before_open of its own",
    )
    before_open: BeforeOpen | None = Field(
        None,
        description="the crowd at opening on this kind of day (overrides arrivals.before_open)",
    )


class Arrivals(_Frozen):
    rate_per_hour: float | dict[str, float] = Field(
        36.0,
        description='citizens per hour: a number, or a table {"HH:MM" = rate} (day mode) '
        "holding each rate until the next key, zero before the first",
    )
    online_share: float = Field(
        0.0, ge=0, lt=1, description="share of demand that goes online and never arrives"
    )
    include_returns: bool = Field(
        True,
        description="true (default): the rates are ticket counts that already include "
        "citizens coming back (same day or from earlier days), so simulated total arrivals "
        "match them at counted_fcr and fall when first-contact resolution is better; "
        "false: the rates are new citizens only and return visits come on top "
        "(docs/model.md §2)",
    )
    counted_fcr: float | None = Field(
        None,
        gt=0,
        le=1,
        description="first-contact resolution of the hall when the rates were counted "
        "(with include_returns); default: this scenario's at attitude_effects."
        "reference_attitude",
    )
    before_open: BeforeOpen | None = Field(
        None,
        description="day mode: the crowd at opening, {count = N} or {rate_per_hour = R, "
        'from = "08:30"}: they all take tickets at hall.open, first in line '
        "(docs/mechanisms.md §2)",
    )
    day_to_day_cv: float = Field(
        0.0,
        ge=0,
        le=2,
        description="day mode: coefficient of variation of a random day level, a gamma "
        "multiplier with mean 1 on every rate (0: the same expected day every day); daily "
        "counts then have index of dispersion 1 + mean × cv² (docs/mechanisms.md §3)",
    )

    @field_validator("rate_per_hour", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number of citizens per hour or a table of them")
        if isinstance(v, int | float):
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"rate must be a finite number >= 0, got {v}")
            if v > MAX_RATE_PER_HOUR:
                raise ValueError(
                    f"rate must be at most {MAX_RATE_PER_HOUR:,.0f} per hour, got {v:g}"
                )
            return float(v)
        if isinstance(v, dict):
            if not v:
                raise ValueError("a rate table needs at least one 'HH:MM' = rate entry")
            out = {}
            for key, rate in v.items():
                # the errors name the key's own path (Arrivals is only ever `arrivals`)
                path = f"arrivals.rate_per_hour.{key}"
                try:
                    parse_clock(key)
                except ValueError as exc:
                    raise _FieldError(path, str(exc)) from None
                if isinstance(rate, bool) or not isinstance(rate, int | float):
                    raise _FieldError(path, f"rate must be a number, got {rate!r}")
                if not math.isfinite(rate) or rate < 0:
                    raise _FieldError(path, f"rate must be a finite number >= 0, got {rate}")
                if rate > MAX_RATE_PER_HOUR:
                    raise _FieldError(
                        path,
                        f"rate must be at most {MAX_RATE_PER_HOUR:,.0f} per hour, got {rate:g}",
                    )
                out[key] = float(rate)
            return out
        raise ValueError(f"expected a number of citizens per hour or a table of them, got {v!r}")


class Matter(_Frozen):
    name: str = Field(min_length=1, description="matter name, used in outputs")
    share: float = Field(ge=0, le=1, description="share of demand; shares sum to 1 (±0.001)")
    service_min: Distribution
    online_share: float | None = Field(
        None, ge=0, lt=1, description="overrides arrivals.online_share for this matter"
    )
    booked_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of this matter's demand that books a slot; "
        "overrides appointments.booked_share (docs/operations.md)",
    )
    renege_min: Distribution | None = Field(
        None,
        description="patience of this matter's citizens: overrides patience.renege_min "
        "for this matter (e.g. fitted per matter by `hallsim fit`)",
    )
    daily_cap: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="限号: most tickets issued for this matter in a day; later citizens are "
        "refused (metric refused_cap). Absent: no cap (docs/mechanisms.md §1)",
    )


class Layout(_Frozen):
    queue: Literal["single", "per_window"] = Field(
        "single",
        description="single: one ticket queue, a free window calls the longest-waiting citizen "
        "it can serve; per_window: join the shortest eligible line and stay",
    )
    line_choice: Literal["shortest_line", "shortest_expected_wait"] | None = Field(
        None,
        description="per_window only: which line an arriving citizen joins. shortest_line "
        "(default): the fewest citizens waiting or in service; shortest_expected_wait: the "
        "least (citizens there x that window's mean service time), for windows of "
        "different speeds. Ties are drawn at random",
    )

    @model_validator(mode="after")
    def _line_choice_needs_lines(self) -> Layout:
        if self.line_choice is not None and self.queue != "per_window":
            raise ValueError('line_choice applies to queue = "per_window" only')
        return self


class AttitudeComponents(_Frozen):
    proactiveness: float = Field(ge=0, le=1)
    responsibility: float = Field(ge=0, le=1)
    care: float = Field(ge=0, le=1)
    enthusiasm: float = Field(ge=0, le=1)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.proactiveness, self.responsibility, self.care, self.enthusiasm)


class Break(_Frozen):
    """``windows`` clerks of a group are away from ``start`` to ``end`` (a roster dip)."""

    start: str
    end: str
    windows: int = Field(1, ge=1, description="windows closed during the break")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> Break:
        if parse_clock(self.start) >= parse_clock(self.end):
            raise ValueError(f"break start ({self.start}) must be before its end ({self.end})")
        return self

    @property
    def start_min(self) -> float:
        return parse_clock(self.start)

    @property
    def end_min(self) -> float:
        return parse_clock(self.end)


StaffedCount = Annotated[int, Field(strict=True)]


class Tidal(_Frozen):
    """A tidal window group (潮汐窗口): a second role taken while its queue is long."""

    matters: list[str] = Field(
        min_length=1,
        description='matters served in the tidal role ("*" = every matter)',
    )
    classes: list[str] | None = Field(
        None,
        min_length=1,
        description="citizen classes served in the tidal role (absent: as the home role)",
    )
    switch_on_queue: int = Field(
        ge=1,
        description="switch to the tidal role when this many wait for it (and the home "
        "role cannot serve them)",
    )
    switch_off_queue: int = Field(
        0,
        ge=0,
        description="switch back home when at most this many wait for the tidal role "
        "(hysteresis: below switch_on_queue)",
    )
    switch_min: float = Field(
        0.0,
        ge=0,
        le=120,
        description="minutes a window is unavailable while it changes role (after "
        "finishing its citizen); assumption",
    )

    def serves(self, matter: str) -> bool:
        return "*" in self.matters or matter in self.matters


class Elastic(_Frozen):
    """弹性窗口: a standby group that opens while its queue is long (docs/kiosks-tidal.md §3)."""

    switch_on_queue: int = Field(
        ge=1, description="open the group's windows when this many wait for its matters"
    )
    switch_off_queue: int = Field(
        0,
        ge=0,
        description="close them (each after its citizen) when at most this many wait "
        "(hysteresis: below switch_on_queue)",
    )
    switch_min: float = Field(
        0.0,
        ge=0,
        le=120,
        description="minutes from the call to open until the window serves (a clerk from "
        "the back office walks over and logs in); assumption",
    )


class WindowGroup(_Frozen):
    name: str = Field(min_length=1, description="window group name, used in outputs")
    count: int = Field(1, ge=0, le=1000, description="identical windows in the group")
    matters: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description='matters served here; "*" = every matter',
    )
    service_time_factor: float = Field(
        1.0, gt=0, description="multiplies service times here (e.g. 1.2 for slower generalists)"
    )
    attitude: float | AttitudeComponents = Field(
        0.7,
        description="service attitude in [0, 1], or a table of proactiveness, responsibility, "
        "care, enthusiasm (docs/model.md)",
    )
    attitude_sd: float = Field(
        0.0, ge=0, le=1, description="spread of each component across this group's clerks"
    )
    # --- operations (docs/operations.md); absent = all ``count`` windows open all day
    staffed: dict[str, StaffedCount] | None = Field(
        None,
        description="roster: windows staffed from each 'HH:MM' on (0 before the first key)",
    )
    breaks: list[Break] | None = Field(None, description="clerks away, e.g. lunch")
    classes: list[str] | None = Field(
        None,
        min_length=1,
        description="citizen classes this group serves ('regular', class names, '*'); "
        "absent = every class",
    )
    # --- stations in sequence (docs/visits.md); absent = a window serving matters
    station: str | None = Field(
        None,
        min_length=1,
        description="the [[stations]] entry these windows staff (reception, cashier, pick-up); "
        "absent = windows that serve matters",
    )
    # --- citizens and clerks who differ, tidal windows (docs/kiosks-tidal.md)
    speed_sd: float = Field(
        0.0,
        ge=0,
        le=1,
        description="spread of clerk speed: each clerk's service-time factor is lognormal "
        "with mean 1 and this cv (0: every clerk the same)",
    )
    speed_factors: list[Annotated[float, Field(gt=0, le=10)]] | None = Field(
        None,
        description="each clerk's own service-time factor, one per window (instead of "
        "speed_sd), e.g. [0.9, 1.0, 1.3]",
    )
    tidal: Tidal | None = Field(
        None,
        description="潮汐窗口: the group switches to another role (matters, classes) while "
        "that role's queue is long, with hysteresis (docs/kiosks-tidal.md)",
    )
    elastic: Elastic | None = Field(
        None,
        description="弹性窗口: the group is on standby (closed, not staffed) and opens while "
        "the queue for its matters is long, with hysteresis (docs/kiosks-tidal.md)",
    )

    @field_validator("attitude")
    @classmethod
    def _attitude_range(cls, v: float | AttitudeComponents) -> float | AttitudeComponents:
        if isinstance(v, float | int) and not 0 <= v <= 1:
            raise ValueError(f"attitude must be in [0, 1], got {v}")
        return v

    def attitude_components(self) -> tuple[float, float, float, float]:
        """(proactiveness, responsibility, care, enthusiasm); a single score sets all four."""
        if isinstance(self.attitude, AttitudeComponents):
            return self.attitude.as_tuple()
        a = float(self.attitude)
        return (a, a, a, a)

    def serves(self, matter: str) -> bool:
        if self.station is not None:  # a station's windows serve the station, not matters
            return False
        return "*" in self.matters or matter in self.matters

    def serves_class(self, klass: str) -> bool:
        """Whether citizens of class ``klass`` ('regular' for none) may be called here."""
        return self.classes is None or "*" in self.classes or klass in self.classes

    @property
    def has_roster(self) -> bool:
        return self.staffed is not None or bool(self.breaks)


class Patience(_Frozen):
    balk_at_queue: int = Field(
        0, ge=0, description="leave at once on finding this many waiting (0: never balk)"
    )
    renege_min: Distribution | None = Field(
        None, description="patience: a waiting citizen leaves unserved after this long"
    )
    balk_probability: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None,
        description="state-dependent balking: {queue length = probability}, e.g. "
        '{"0" = 0, "10" = 0.2, "30" = 0.8}: an arrival who finds no window free and n '
        "waiting (their line, per_window) leaves with the probability interpolated "
        "linearly at n (held beyond the last key). Absent: nobody balks by chance "
        "(docs/mechanisms.md §4)",
    )

    @field_validator("balk_probability")
    @classmethod
    def _curve(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("needs at least one 'queue length' = probability entry")
        for key in v:
            if not key.isascii() or not key.isdigit():
                raise _FieldError(
                    f"patience.balk_probability.{key}",
                    "keys are queue lengths: whole numbers >= 0 (in quotes in TOML)",
                )
        return v

    def balk_curve(self) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """(queue lengths, probabilities) of ``balk_probability``, sorted; None when absent."""
        if self.balk_probability is None:
            return None
        pts = sorted((int(k), p) for k, p in self.balk_probability.items())
        return tuple(float(k) for k, _ in pts), tuple(p for _, p in pts)


class MissedCalls(_Frozen):
    """过号: a called citizen who is not at the window (docs/mechanisms.md §1)."""

    absent: float = Field(
        0.05,
        ge=0,
        le=1,
        description="P(a called citizen is away from the hall or does not hear the call); "
        "assumption",
    )
    away_min: Distribution = Field(
        default_factory=lambda: Exponential(dist="exponential", mean=10.0),
        description="how long after the missed call the citizen comes back; assumption",
    )
    grace_min: float = Field(
        15.0,
        ge=0,
        le=MAX_RUN_MIN,
        description="back within this long: the ticket is still valid and re-queued; later: "
        "the ticket is void and the citizen lost (过号作废); assumption",
    )
    requeue: Literal["front", "back"] = Field(
        "front",
        description="where a returning citizen is put: front (called next, 过号优先) or back "
        "(behind everyone waiting, 重新排队)",
    )
    wasted_min: float = Field(
        1.0,
        ge=0,
        le=60,
        description="window time spent calling a citizen who is not there (repeated calls, "
        "waiting at the window) before calling the next; assumption",
    )


class Appointments(_Frozen):
    """Booked visits (预约): a share of the demand books the slot it would have walked in at.

    A booked citizen arrives at slot + Normal(punctuality_mean_min,
    punctuality_sd_min), never before the hall opens, or not at all with
    probability ``no_show``.  Those arriving by slot + ``grace_min`` are called
    ahead of walk-ins from their slot on (docs/operations.md).
    """

    booked_share: float = Field(
        0.0, ge=0, le=1, description="share of every matter's demand that is booked"
    )
    slot_min: float = Field(
        0.0,
        ge=0,
        description="slot grid in minutes from opening; 0 = the slot is the booked time itself",
    )
    punctuality_mean_min: float = Field(
        0.0, ge=-240, le=240, description="mean of arrival − slot (negative = early), minutes"
    )
    punctuality_sd_min: float = Field(
        0.0, ge=0, le=240, description="spread of arrival − slot, minutes"
    )
    grace_min: float = Field(
        5.0, ge=0, description="later than slot + grace_min counts as a walk-in"
    )
    no_show: float = Field(0.0, ge=0, le=1, description="P(a booked citizen never comes)")
    exempt_from_caps: bool = Field(
        True,
        description="booked citizens neither count against nor are refused by a matter's "
        "daily_cap (appointment quotas are separate from walk-in tickets)",
    )


class Kiosks(_Frozen):
    """Self-service kiosks (自助终端), docs/kiosks-tidal.md §1."""

    count: int = Field(ge=1, le=1000, description="kiosks (one queue for all of them)")
    matters: list[str] = Field(
        min_length=1, description='matters a kiosk can do ("*" = every matter)'
    )
    service_min: Distribution = Field(description="time at the kiosk, minutes")
    uptake: float = Field(
        1.0,
        ge=0,
        le=1,
        description="P(an eligible citizen tries the kiosk first); 0: nobody (today's hall)",
    )
    success: float = Field(
        0.8,
        ge=0,
        le=1,
        description="P(a regular citizen is done at the kiosk); the rest go to a counter "
        "with the time already spent; assumption",
    )

    def serves(self, matter: str) -> bool:
        return "*" in self.matters or matter in self.matters


class Helpers(_Frozen):
    """帮办代办/导办 helpers who accompany citizens of some classes (docs/kiosks-tidal.md §2)."""

    count: int = Field(ge=1, le=1000, description="helpers on duty all day")
    classes: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="classes a helper accompanies ('regular', class names, '*' = all)",
    )
    kiosk_success: float | None = Field(
        None,
        ge=0,
        le=1,
        description="P(done at the kiosk) with a helper; absent: as without one",
    )
    counter_time_factor: float = Field(
        1.0,
        gt=0,
        le=10,
        description="multiplies counter service time when a helper comes along (1: no "
        "change, no helper at the counter)",
    )

    def helps(self, klass: str) -> bool:
        return "*" in self.classes or klass in self.classes


class CitizenClass(_Frozen):
    """A class of citizens (e.g. elderly, disabled, urgent): the priority / green channel."""

    name: str = Field(min_length=1)
    share: float = Field(0.0, ge=0, le=1, description="share of every matter's citizens")
    matter_shares: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None, description="share per matter name, overriding ``share`` for those matters"
    )
    priority: int = Field(
        1,
        ge=0,
        le=100,
        description="called before lower values; regular citizens have 0 (non-pre-emptive)",
    )
    service_time_factor: float = Field(
        1.0, gt=0, description="multiplies this class's service times"
    )
    # --- citizens who differ (docs/kiosks-tidal.md); absent = as regular citizens
    patience_factor: float = Field(
        1.0,
        gt=0,
        le=100,
        description="multiplies this class's patience (renege_min) draws",
    )
    kiosk_success: float | None = Field(
        None,
        ge=0,
        le=1,
        description="P(this class's citizen is done at a kiosk); absent: kiosks.success",
    )
    desired_wait_min: float | None = Field(
        None,
        ge=0,
        le=MAX_RUN_MIN,
        description="this class's desired wait (satisfaction model); absent: "
        "satisfaction.desired_wait_min",
    )
    adequate_wait_min: float | None = Field(
        None,
        ge=0,
        le=MAX_RUN_MIN,
        description="this class's adequate wait (satisfaction model); absent: "
        "satisfaction.adequate_wait_min",
    )
    kiosk_uptake: float | None = Field(
        None,
        ge=0,
        le=1,
        description="P(this class's eligible citizen tries a kiosk); absent: kiosks.uptake",
    )

    def share_of(self, matter: str) -> float:
        if self.matter_shares is not None and matter in self.matter_shares:
            return self.matter_shares[matter]
        return self.share


REGULAR = "regular"  # the class of citizens in no [[classes]] entry


class AttitudeEffects(_Frozen):
    """How staff attitude changes the queue.  See docs/model.md for sources.

    Every coefficient can be set to its neutral value (given in the
    description) to switch that mechanism off; ``enabled = false`` switches
    all of them off at once.
    """

    enabled: bool = True
    fcr_base: float = Field(
        0.75,
        ge=0,
        le=1,
        description="P(settled at this visit) at proactiveness/responsibility 0 "
        "(assumption, near Wenzhou 2017's 75.9% 最多跑一次 level, a process-reform "
        "figure, not evidence for an attitude effect); neutral 1",
    )
    fcr_per_unit: float = Field(
        0.20,
        ge=-1,
        le=1,
        description="rise in P(settled) per unit of mean(proactiveness, responsibility) "
        "(assumption: no study measures it; Zhejiang's rise to 92.9% by 2019 came from "
        "process reform, not clerk attitude); neutral 0",
    )
    return_delay_min: float = Field(
        120.0,
        ge=0,
        description="an unsettled citizen returning the same day comes back this long "
        "after leaving (assumption); see return_delay for a distribution",
    )
    return_same_day_share: float = Field(
        0.25,
        ge=0,
        le=1,
        description="share of unsettled citizens who come back the same day; the rest "
        "come on a later day and count as returns_later (assumption: a missing "
        "certificate from a 派出所 or 社区 usually takes more than a day; 1 = every "
        "return the same day, as before this option existed)",
    )
    return_delay: Distribution | None = Field(
        None,
        description="distribution of the same-day return delay, minutes; replaces return_delay_min",
    )
    care_time_per_unit: float = Field(
        0.10,
        ge=-1,
        le=2,
        description="service-time change per unit of care above the reference "
        "(assumption: caring clerks explain more); neutral 0",
    )
    rework_time_per_unit: float = Field(
        0.20,
        ge=-1,
        le=2,
        description="service-time change per unit of responsibility below the reference "
        "(assumption: errors and rework); neutral 0",
    )
    reference_attitude: float = Field(
        0.5, ge=0, le=1, description="attitude at which the service-time multiplier is 1"
    )
    fatigue_per_hour: float = Field(
        0.0,
        ge=0,
        le=1,
        description="service-time increase per hour since open (off by default); neutral 0",
    )


# --- the scenario ----------------------------------------------------------


LABEL_MAX_CHARS = 120


def _label(text: str) -> str:
    """A name shown to people and in tables: one printable line, not too long."""
    if not text.strip():
        raise ValueError("must not be blank")
    bad = sorted({repr(c) for c in text if not c.isprintable()})
    if bad:
        raise ValueError(
            f"must be one line of printable characters (found {', '.join(bad)}); "
            "it is a label shown in tables, not a path"
        )
    if len(text) > LABEL_MAX_CHARS:
        raise ValueError(f"at most {LABEL_MAX_CHARS} characters, got {len(text)}")
    return text


class ReportSettings(_Frozen):
    lang: Literal["en", "zh"] | None = Field(
        None,
        description="language of tables, messages, figures and reports made from this "
        "scenario: zh (中文) or en; the command line's --lang wins; absent: the locale "
        "(LANG=zh_CN.UTF-8 gives zh), else en",
    )


# --------------------------------------------------------------------------- visits, stations
# Multi-matter visits (一件事一次办) and stations in sequence (docs/visits.md).


class Visits(_Frozen):
    """Several matters per visit: how many, how they are served, in which order."""

    matters_per_visit: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        description="share of citizens bringing k matters, e.g. { 1 = 0.7, 2 = 0.2, 3 = 0.1 }; "
        "the first matter is drawn as today, the others by matter share without repeats",
    )
    bundle_saving: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="share of each extra matter's service time saved when one window serves it "
        "in the same sitting (assumption; 0 = times simply add)",
    )
    one_sitting: bool = Field(
        True,
        description="a window serves all of a citizen's matters it may serve in one sitting "
        "(false: a ticket per matter even at an integrated window, to separate pooling from "
        "fewer queues per citizen)",
    )
    order: Literal["listed", "shortest_queue"] = Field(
        "listed",
        description="with dedicated windows, which remaining matter's queue a citizen joins "
        "next: in the order drawn, or the one with the fewest waiting",
    )

    @field_validator("matters_per_visit")
    @classmethod
    def _k_table(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("give at least one k = share entry")
        for key in v:
            if not key.isdigit() or not 1 <= int(key) <= 20:
                raise ValueError(f"keys are matter counts 1..20, got {key!r}")
        total = sum(v.values())
        if abs(total - 1.0) > 0.001:
            raise ValueError(f"shares must sum to 1 (within 0.001), they sum to {total:.4f}")
        return v

    def k_table(self) -> tuple[list[int], list[float]]:
        """(k values, cumulative shares), k ascending."""
        ks = sorted(int(k) for k in self.matters_per_visit)
        cum = list(itertools.accumulate(self.matters_per_visit[str(k)] for k in ks))
        return ks, cum


class Station(_Frozen):
    """A step of the visit besides the matter windows: 导办 reception, cashier, 出件 pick-up."""

    name: str = Field(min_length=1, description="station name, used in outputs")
    service_min: Distribution = Field(description="service time at this station")
    position: Literal["before", "after"] = Field(
        description="visited before the matter windows (reception) or after them (pick-up)"
    )
    share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="probability that a citizen (with an eligible matter) goes to this station",
    )
    matters: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description='matters whose citizens may be routed here; "*" = every matter',
    )
    back_office_min: Distribution | None = Field(
        None,
        description="承诺件: an 'after' station reached only after this back-office time, "
        "which the citizen spends outside the hall; they come back the same day if it ends "
        "before close, otherwise on another day (not simulated). Absent: 即办件, straight on",
    )

    def routes(self, matter: str) -> bool:
        return "*" in self.matters or matter in self.matters


class Scenario(_Frozen):
    name: str = Field(
        min_length=1,
        description="scenario name: a label used in outputs (results folders get a safe "
        "file name derived from it)",
    )
    description: str = Field("", description="free text shown in reports")
    run: RunSettings = RunSettings()
    hall: Hall = Hall()
    arrivals: Arrivals = Arrivals()
    matters: list[Matter] = Field(min_length=1)
    layout: Layout = Layout()
    windows: list[WindowGroup] = Field(min_length=1)
    patience: Patience | None = None
    attitude_effects: AttitudeEffects = AttitudeEffects()
    satisfaction: SatisfactionConfig = SatisfactionConfig()
    appointments: Appointments | None = None
    classes: list[CitizenClass] | None = None
    missed_calls: MissedCalls | None = Field(
        None, description="过号: called citizens who are not there (absent: everyone answers)"
    )
    kiosks: Kiosks | None = Field(
        None, description="self-service kiosks (自助终端); absent: none (docs/kiosks-tidal.md)"
    )
    helpers: Helpers | None = Field(
        None, description="帮办代办 helpers; absent: none (docs/kiosks-tidal.md)"
    )
    day_types: list[DayType] | None = Field(
        None, description="named kinds of day with their own demand, chosen by run.day_type"
    )
    report: ReportSettings | None = Field(
        None, description="how outputs read (language); changes no number"
    )
    visits: Visits | None = Field(
        None, description="一件事一次办: several matters per visit (absent: one matter each)"
    )
    stations: list[Station] | None = Field(
        None,
        description="stations in sequence around the matter windows (absent: windows only)",
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_label(cls, v: str) -> str:
        return _label(v)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        total = sum(m.share for m in self.matters)
        if abs(total - 1.0) > 0.001:
            raise _FieldError(
                "matters", f"shares must sum to 1 (within 0.001), they sum to {total:.4f}"
            )
        names = [m.name for m in self.matters]
        for i, n in enumerate(names):
            if n == "*":
                raise _FieldError(
                    f"matters.{i}.name",
                    "'*' is reserved: in a window group's matters it means every matter",
                )
            if n in names[:i]:
                raise _FieldError(f"matters.{i}.name", f"duplicate matter name {n!r}")
        gnames = [w.name for w in self.windows]
        for i, n in enumerate(gnames):
            if n in gnames[:i]:
                raise _FieldError(f"windows.{i}.name", f"duplicate window group name {n!r}")
        for i, w in enumerate(self.windows):
            for j, m in enumerate(w.matters):
                if m != "*" and m not in names:
                    raise _FieldError(
                        f"windows.{i}.matters.{j}",
                        f"unknown matter {m!r}; matters are {names} (or '*' for all)",
                    )
        for i, m in enumerate(self.matters):
            if m.share > 0 and not any(w.count > 0 and w.serves(m.name) for w in self.windows):
                raise _FieldError(
                    f"matters.{i}.name",
                    f"matter {m.name!r} is served by no window group with count >= 1",
                )
        if sum(w.count for w in self.windows) == 0:
            raise _FieldError("windows", "at least one window must be staffed (count >= 1)")
        rate = self.arrivals.rate_per_hour
        if self.run.mode == "steady_state":
            if isinstance(rate, dict):
                raise _FieldError(
                    "arrivals.rate_per_hour", "a rate table is only allowed in day mode"
                )
            if self.run.length_min <= 0:
                raise _FieldError("run.length_min", "steady_state mode needs length_min > 0")
        else:
            for key in ("warmup_min", "length_min"):
                if getattr(self.run, key) != 0:
                    raise _FieldError(
                        f"run.{key}",
                        "only used in steady_state mode; a day runs from hall.open to "
                        "hall.close (remove it, or set run.mode = 'steady_state')",
                    )
        if self.run.mode == "day" and isinstance(rate, dict):
            close = self.hall.close_min
            for key in rate:
                if parse_clock(key) >= close:
                    raise _FieldError(
                        f"arrivals.rate_per_hour.{key}",
                        f"rate key {key} is at or after close ({self.hall.close})",
                    )
        self._check_rosters()
        self._check_classes()
        self._check_day_features()
        self._check_visits()
        self._check_kiosks_tidal()
        return self

    def _check_visits(self) -> None:
        """Multi-matter visits and stations (docs/visits.md)."""
        snames = [st.name for st in self.stations or []]
        for k, n in enumerate(snames):
            if n in snames[:k]:
                raise _FieldError(f"stations.{k}.name", f"duplicate station name {n!r}")
            if n in self.matter_names or n == "*":
                raise _FieldError(f"stations.{k}.name", f"{n!r} is a matter name (or '*')")
        for k, st in enumerate(self.stations or []):
            for j, m in enumerate(st.matters):
                if m != "*" and m not in self.matter_names:
                    raise _FieldError(
                        f"stations.{k}.matters.{j}",
                        f"unknown matter {m!r}; matters are {self.matter_names} (or '*')",
                    )
            if st.back_office_min is not None and st.position != "after":
                raise _FieldError(
                    f"stations.{k}.back_office_min",
                    "a back-office step comes after the windows: needs position = 'after'",
                )
            if st.back_office_min is not None and self.run.mode != "day":
                raise _FieldError(
                    f"stations.{k}.back_office_min", "only used in day mode (run.mode = 'day')"
                )
            if st.share > 0 and not any(w.count > 0 and w.station == st.name for w in self.windows):
                raise _FieldError(
                    f"stations.{k}.name",
                    f"station {st.name!r} is staffed by no window group with count >= 1 "
                    f"(add [[windows]] with station = {st.name!r})",
                )
        for i, w in enumerate(self.windows):
            if w.station is None:
                continue
            if w.station not in snames:
                raise _FieldError(
                    f"windows.{i}.station",
                    f"unknown station {w.station!r}; [[stations]] names are {snames}",
                )
            if w.matters != ["*"]:
                raise _FieldError(
                    f"windows.{i}.matters",
                    "a station's windows serve the station, not matters: remove matters",
                )
        for i, w in enumerate(self.windows):
            if w.station is not None and (w.tidal is not None or w.elastic is not None):
                key = "tidal" if w.tidal is not None else "elastic"
                raise _FieldError(
                    f"windows.{i}.{key}", "a station's windows cannot be tidal or elastic"
                )
        if self.kiosks_active() and self.uses_visits():
            raise _FieldError("kiosks", "kiosks with [visits] or [[stations]] are not modelled yet")
        if not any(w.count > 0 and w.station is None for w in self.windows):
            raise _FieldError("windows", "at least one window must serve matters (count >= 1)")
        if self.visits is not None:
            ks, _ = self.visits.k_table()
            n_pos = sum(1 for m in self.matters if m.share > 0)
            if max(ks) > n_pos:
                raise _FieldError(
                    "visits.matters_per_visit",
                    f"k = {max(ks)} matters, but only {n_pos} matters have a share > 0",
                )

    def uses_visits(self) -> bool:
        """Several matters per visit or stations in sequence (docs/visits.md)."""
        return self.visits is not None or bool(self.stations)

    @property
    def station_names(self) -> list[str]:
        return [st.name for st in self.stations or []]

    def _check_kiosks_tidal(self) -> None:
        """Kiosks, helpers, tidal windows, clerk speeds (docs/kiosks-tidal.md)."""
        names = self.matter_names
        cnames = self.class_names
        if self.kiosks is not None:
            for j, m in enumerate(self.kiosks.matters):
                if m != "*" and m not in names:
                    raise _FieldError(
                        f"kiosks.matters.{j}",
                        f"unknown matter {m!r}; matters are {names} (or '*' for all)",
                    )
        sat = self.satisfaction
        for k, c in enumerate(self.classes or []):
            desired = c.desired_wait_min if c.desired_wait_min is not None else sat.desired_wait_min
            adequate = (
                c.adequate_wait_min if c.adequate_wait_min is not None else sat.adequate_wait_min
            )
            if adequate < desired:
                raise _FieldError(
                    f"classes.{k}.adequate_wait_min",
                    f"the adequate wait ({adequate:g}) must be >= the desired wait ({desired:g})",
                )
        if self.helpers is not None:
            for j, k in enumerate(self.helpers.classes):
                if k not in ("*", *cnames):
                    raise _FieldError(
                        f"helpers.classes.{j}",
                        f"unknown class {k!r}; classes are {cnames} (or '*')",
                    )
        for i, w in enumerate(self.windows):
            if w.speed_factors is not None:
                if w.speed_sd:
                    raise _FieldError(
                        f"windows.{i}.speed_factors", "give speed_factors or speed_sd, not both"
                    )
                if len(w.speed_factors) != w.count:
                    raise _FieldError(
                        f"windows.{i}.speed_factors",
                        f"needs one factor per window ({w.count}), got {len(w.speed_factors)}",
                    )
            if w.tidal is not None and w.elastic is not None:
                raise _FieldError(f"windows.{i}.elastic", "a group is tidal or elastic, not both")
            switching = w.tidal or w.elastic
            key = "tidal" if w.tidal is not None else "elastic"
            if switching is None:
                continue
            if self.layout.queue != "single":
                raise _FieldError(
                    f"windows.{i}.{key}", f"{key} windows need layout.queue = 'single'"
                )
            if w.has_roster:
                raise _FieldError(
                    f"windows.{i}.{key}", f"a {key} group cannot also have a roster or breaks"
                )
            if switching.switch_off_queue >= switching.switch_on_queue:
                raise _FieldError(
                    f"windows.{i}.{key}.switch_off_queue",
                    f"must be below switch_on_queue ({switching.switch_on_queue}), "
                    f"got {switching.switch_off_queue} (hysteresis)",
                )
            if w.tidal is None:
                continue
            for j, m in enumerate(w.tidal.matters):
                if m != "*" and m not in names:
                    raise _FieldError(
                        f"windows.{i}.tidal.matters.{j}",
                        f"unknown matter {m!r}; matters are {names} (or '*' for all)",
                    )
            for j, k in enumerate(w.tidal.classes or []):
                if k not in ("*", *cnames):
                    raise _FieldError(
                        f"windows.{i}.tidal.classes.{j}",
                        f"unknown class {k!r}; classes are {cnames} (or '*')",
                    )

    def kiosks_active(self) -> bool:
        """Kiosks that someone may try (uptake 0 for every class: a hall without them)."""
        if self.kiosks is None:
            return False
        ups = [self.kiosks.uptake] + [
            k.kiosk_uptake for k in self.classes or [] if k.kiosk_uptake is not None
        ]
        return any(u > 0 for u in ups)

    def uses_kiosks_tidal(self) -> list[str]:
        """The keys of kiosks, helpers, tidal and elastic windows and class patience this
        scenario sets (what the fast engine's one-pass recursion does not model, so it runs
        them in its operations loop; the recursion does model clerk speeds)."""
        keys = []
        if self.kiosks_active():
            keys.append("kiosks")
        if self.helpers is not None:
            keys.append("helpers")
        for i, w in enumerate(self.windows):
            if w.tidal is not None:
                keys.append(f"windows.{i}.tidal")
            if w.elastic is not None:
                keys.append(f"windows.{i}.elastic")
        if any(k.patience_factor != 1.0 for k in self.classes or []):
            keys.append("classes.patience_factor")
        return keys

    def _check_day_features(self) -> None:
        """Caps, the crowd at opening, day levels and day types (docs/mechanisms.md)."""
        names = [d.name for d in self.day_types or []]
        for k, n in enumerate(names):
            if n in names[:k]:
                raise _FieldError(f"day_types.{k}.name", f"duplicate day type name {n!r}")
        if self.run.day_type is not None and self.run.day_type not in names:
            raise _FieldError(
                "run.day_type",
                f"unknown day type {self.run.day_type!r}; [[day_types]] names are {names}",
            )
        day_only = [("arrivals.day_to_day_cv", self.arrivals.day_to_day_cv != 0)]
        day_only.append(("arrivals.before_open", self.arrivals.before_open is not None))
        day_only.append(("run.day_type", self.run.day_type is not None))
        day_only += [
            (f"matters.{i}.daily_cap", m.daily_cap is not None) for i, m in enumerate(self.matters)
        ]
        for path, used in day_only:
            if used and self.run.mode != "day":
                raise _FieldError(path, "only used in day mode (run.mode = 'day')")
        crowds = [("arrivals.before_open", self.arrivals.before_open)]
        crowds += [
            (f"day_types.{k}.before_open", d.before_open)
            for k, d in enumerate(self.day_types or [])
        ]
        for path, crowd in crowds:
            if crowd is not None and crowd.rate_per_hour is not None:
                if crowd.from_min >= self.hall.open_min:
                    raise _FieldError(
                        f"{path}.from",
                        f"must be before hall.open ({self.hall.open}), got {crowd.from_}",
                    )

    def _check_rosters(self) -> None:
        open_, close = self.hall.open_min, self.hall.close_min
        for i, w in enumerate(self.windows):
            if not w.has_roster:
                continue
            where = f"windows.{i}.{'staffed' if w.staffed is not None else 'breaks'}"
            if self.run.mode != "day":
                raise _FieldError(where, "rosters (staffed, breaks) need run.mode = 'day'")
            if self.layout.queue != "single":
                raise _FieldError(
                    where,
                    "rosters (staffed, breaks) need layout.queue = 'single' (a closing "
                    "window's own line would have to be re-formed)",
                )
            if w.staffed is not None:
                if not w.staffed:
                    raise _FieldError(where, "a roster needs at least one 'HH:MM' = windows entry")
                for key, n in w.staffed.items():
                    path = f"windows.{i}.staffed.{key}"
                    try:
                        t = parse_clock(key)
                    except ValueError as exc:
                        raise _FieldError(path, str(exc)) from None
                    if not open_ <= t < close:
                        raise _FieldError(
                            path,
                            f"roster key {key} is outside opening hours "
                            f"[{self.hall.open}, {self.hall.close})",
                        )
                    if not 0 <= n <= w.count:
                        raise _FieldError(
                            path, f"staffed windows must be in 0..count ({w.count}), got {n}"
                        )
            for k, b in enumerate(w.breaks or []):
                path = f"windows.{i}.breaks.{k}"
                if b.start_min < open_:
                    raise _FieldError(
                        f"{path}.start", f"break starts before opening ({self.hall.open})"
                    )
                if b.end_min > close:
                    raise _FieldError(f"{path}.end", f"break ends after close ({self.hall.close})")
                if b.windows > w.count:
                    raise _FieldError(
                        f"{path}.windows", f"break takes {b.windows} windows, count is {w.count}"
                    )
            for t in self._roster_times(i):
                level = self._base_level(i, t) - self._on_break(i, t)
                if level < 0:
                    k = next(
                        k for k, b in enumerate(w.breaks or []) if b.start_min <= t < b.end_min
                    )
                    raise _FieldError(
                        f"windows.{i}.breaks.{k}.windows",
                        f"at {format_clock(t)} only {self._base_level(i, t)} windows are "
                        f"staffed but breaks take {self._on_break(i, t)}",
                    )

    def _check_classes(self) -> None:
        cnames = [k.name for k in self.classes or []]
        for k, c in enumerate(self.classes or []):
            if c.name in (REGULAR, "*"):
                raise _FieldError(
                    f"classes.{k}.name", f"{c.name!r} is reserved (citizens in no class)"
                )
            if c.name in cnames[:k]:
                raise _FieldError(f"classes.{k}.name", f"duplicate class name {c.name!r}")
            for key in c.matter_shares or {}:
                if key not in self.matter_names:
                    raise _FieldError(
                        f"classes.{k}.matter_shares.{key}",
                        f"unknown matter {key!r}; matters are {self.matter_names}",
                    )
        for i, w in enumerate(self.windows):
            for j, name in enumerate(w.classes or []):
                if name not in (REGULAR, "*", *cnames):
                    raise _FieldError(
                        f"windows.{i}.classes.{j}",
                        f"unknown class {name!r}; classes are {[REGULAR, *cnames]} (or '*')",
                    )
        for m, matter in enumerate(self.matters):
            if matter.share <= 0:
                continue
            shares = self.class_shares(m)
            if sum(shares) > 1 + 1e-9:
                raise _FieldError(
                    "classes",
                    f"class shares for matter {matter.name!r} sum to {sum(shares):.4f} > 1",
                )
            for name, share in zip(self.class_names, [1 - sum(shares), *shares], strict=True):
                if share <= 1e-12:
                    continue
                if not any(
                    w.count > 0
                    and w.serves(matter.name)
                    and w.serves_class(name)
                    and max(level for _, level in self.roster(g)) > 0
                    for g, w in enumerate(self.windows)
                ):
                    raise _FieldError(
                        f"matters.{m}.name",
                        f"{name} citizens with matter {matter.name!r} have no window that is "
                        "ever staffed to serve them",
                    )

    # ---- operations: rosters, appointments, classes (docs/operations.md) ----

    def uses_roster(self) -> bool:
        return any(w.has_roster for w in self.windows)

    def uses_appointments(self) -> bool:
        return self.appointments is not None or any(
            m.booked_share is not None for m in self.matters
        )

    def uses_classes(self) -> bool:
        return bool(self.classes) or any(w.classes is not None for w in self.windows)

    def uses_operations(self) -> bool:
        """True when any roster, appointment or citizen-class key is given.

        Such scenarios run on the SimPy reference model only;
        all others are unaffected by these features, number for number.
        """
        return self.uses_roster() or self.uses_appointments() or self.uses_classes()

    @property
    def class_names(self) -> list[str]:
        """'regular' (class 0) followed by the [[classes]] names (class 1, 2, ...)."""
        return [REGULAR, *(k.name for k in self.classes or [])]

    def class_shares(self, matter: int) -> list[float]:
        """Share of matter ``matter``'s citizens in each [[classes]] entry (not 'regular')."""
        name = self.matters[matter].name
        return [k.share_of(name) for k in self.classes or []]

    def booked_shares(self) -> list[float]:
        """Per matter: the share of its demand that is booked."""
        default = self.appointments.booked_share if self.appointments else 0.0
        return [default if m.booked_share is None else m.booked_share for m in self.matters]

    def _roster_times(self, g: int) -> list[float]:
        """Opening, every ``staffed`` key and every break start and end, sorted."""
        w = self.windows[g]
        times = {self.hall.open_min}
        times.update(parse_clock(k) for k in w.staffed or {})
        for b in w.breaks or []:
            times.update((b.start_min, b.end_min))
        return sorted(times)

    def _base_level(self, g: int, t: float) -> int:
        w = self.windows[g]
        if w.staffed is None:
            return w.count
        level = 0  # zero before the first key, like rate tables
        for key, n in sorted((parse_clock(k), n) for k, n in w.staffed.items()):
            if key <= t:
                level = n
        return level

    def _on_break(self, g: int, t: float) -> int:
        return sum(b.windows for b in self.windows[g].breaks or [] if b.start_min <= t < b.end_min)

    def roster(self, g: int) -> list[tuple[float, int]]:
        """Windows of group ``g`` staffed over the day: [(from_min, windows), ...].

        Piecewise constant from ``open``; ``staffed`` minus the clerks on
        break.  The level in force at ``close`` holds after close, while the
        citizens still inside are served.  Without a roster: [(open, count)].
        """
        return list(self._rosters[g])

    @functools.cached_property
    def _rosters(self) -> tuple[tuple[tuple[float, int], ...], ...]:
        # cached: the model is frozen, and the period table reads every roster per period
        return tuple(tuple(self._compute_roster(g)) for g in range(len(self.windows)))

    def _compute_roster(self, g: int) -> list[tuple[float, int]]:
        if not self.windows[g].has_roster:
            return [(self.arrival_start_min, self.windows[g].count)]
        out: list[tuple[float, int]] = []
        for t in self._roster_times(g):
            if t > self.hall.close_min:
                break
            level = max(0, self._base_level(g, t) - self._on_break(g, t))
            if not out or out[-1][1] != level:
                out.append((t, level))
        return out

    def staffed_at(self, g: int, t: float) -> int:
        """Windows of group ``g`` staffed at time ``t`` (minutes since midnight)."""
        level = 0
        for start, n in self.roster(g):
            if start <= t:
                level = n
        return level

    # ---- caps, missed calls, loss capacity, the day's demand (docs/mechanisms.md) ----

    @property
    def day_type_entry(self) -> DayType | None:
        """The [[day_types]] entry named by run.day_type (None: an ordinary day)."""
        if self.run.day_type is None:
            return None
        return next(d for d in self.day_types or [] if d.name == self.run.day_type)

    @property
    def crowd_at_open(self) -> BeforeOpen | None:
        """The crowd at opening of the simulated kind of day (None: nobody)."""
        day = self.day_type_entry
        if day is not None and day.before_open is not None:
            return day.before_open
        return self.arrivals.before_open

    @property
    def rate_factor(self) -> float:
        """The simulated day type's multiplier on every rate (1 for an ordinary day)."""
        day = self.day_type_entry
        return day.rate_factor if day is not None else 1.0

    def uses_caps(self) -> bool:
        return any(m.daily_cap is not None for m in self.matters)

    def uses_day_demand(self) -> bool:
        """A crowd at opening, a random day level or ticket caps: drawn with the demand."""
        return self.crowd_at_open is not None or self.arrivals.day_to_day_cv > 0 or self.uses_caps()

    # ---- derived values used by the model (computed, never stored) ----

    @property
    def renege_by_matter(self) -> list[Distribution | None]:
        """Each matter's patience distribution: its own ``renege_min``, else
        ``patience.renege_min``, else None (never gives up)."""
        default = self.patience.renege_min if self.patience else None
        return [m.renege_min if m.renege_min is not None else default for m in self.matters]

    @property
    def matter_names(self) -> list[str]:
        return [m.name for m in self.matters]

    @property
    def matter_probs(self) -> list[float]:
        """Shares normalised to sum exactly to 1."""
        total = sum(m.share for m in self.matters)
        return [m.share / total for m in self.matters]

    def rate_schedule(self) -> list[tuple[float, float]]:
        """Piecewise-constant arrival rate: [(start_min, citizens per minute), ...].

        Day mode: from open to close; steady state: from 0 to warmup+length.
        The rate holds until the next start; the last piece ends at ``arrival_end_min``.
        """
        return list(self._rate_schedule)

    @functools.cached_property
    def _rate_schedule(self) -> tuple[tuple[float, float], ...]:
        # cached: the model is frozen, and every replication draws its arrivals from this
        return tuple(self._compute_rate_schedule())

    def _compute_rate_schedule(self) -> list[tuple[float, float]]:
        rate = self.arrivals.rate_per_hour
        start = self.arrival_start_min
        factor = self.rate_factor  # a day type's multiplier (1.0: exact, no change)
        if isinstance(rate, float):
            return [(start, rate / 60.0 * factor if factor != 1.0 else rate / 60.0)]
        pieces = sorted(
            (parse_clock(k), r / 60.0 * factor if factor != 1.0 else r / 60.0)
            for k, r in rate.items()
        )
        out: list[tuple[float, float]] = []
        current = 0.0  # zero before the first key
        for t, r in pieces:
            if t <= start:
                current = r
            else:
                if not out:
                    out.append((start, current))
                out.append((t, r))
        if not out:
            out.append((start, current))
        return out

    @property
    def arrival_start_min(self) -> float:
        return self.hall.open_min if self.run.mode == "day" else 0.0

    @property
    def arrival_end_min(self) -> float:
        if self.run.mode == "day":
            return self.hall.close_min
        return self.run.warmup_min + self.run.length_min

    @property
    def stats_window(self) -> tuple[float, float]:
        """Arrivals in [start, end) are counted in citizen statistics."""
        if self.run.mode == "day":
            return (self.hall.open_min, self.hall.close_min)
        return (self.run.warmup_min, self.run.warmup_min + self.run.length_min)

    def with_changes(self, changes: dict[str, Any], source: str = "changes") -> Scenario:
        """A new scenario with dotted paths replaced, e.g. ``{"windows.0.count": 4}``.

        An optional table the scenario leaves out (``[patience]``,
        ``[appointments]``, a group's ``staffed`` roster) is created with its
        documented defaults when a path reaches into it, e.g.
        ``{"patience.balk_at_queue": 2}``.  Raises ScenarioError (a ValueError)
        naming the path when it does not exist or the new value is invalid.
        """
        if not isinstance(changes, dict):
            raise TypeError(
                f"changes must be a dict of dotted paths to values, got {type(changes).__name__}"
            )
        data = self.model_dump(mode="python", exclude_none=True)
        for path, value in changes.items():
            if not isinstance(path, str):
                raise TypeError(f"a change's path must be a dotted string, got {path!r}")
            _set_path(data, path, plain_value(value), source)
        return scenario_from_dict(data, source)


class _FieldError(ValueError):
    """Cross-field problem with an explicit path (reported as that path)."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def plain_value(value: Any) -> Any:
    """numpy scalars and arrays as Python values (strict validation takes TOML types).

    A researcher looping over ``np.arange`` passes ``np.int64``; that is an
    integer, not a type error.  Booleans stay booleans, so ``True`` is still
    refused where a count is expected.
    """
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    return value


def _optional_table(model: Any, key: str) -> tuple[bool, Any]:
    """Whether field ``key`` of pydantic ``model`` is a table that may be absent.

    Returns ``(creatable, model of its entries)``: an optional sub-model
    (``patience``) gives its class, an optional ``dict`` (``staffed``) gives None.
    """
    import types
    import typing

    field = getattr(model, "model_fields", {}).get(key)
    if field is None:
        return False, None
    kinds = [a for a in typing.get_args(field.annotation) if a is not type(None)]
    if typing.get_origin(field.annotation) not in (typing.Union, types.UnionType):
        kinds = [field.annotation]
    if len(kinds) != 1:
        return False, None
    kind = kinds[0]
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return True, kind
    if typing.get_origin(kind) is dict:
        return True, None
    return False, None


def _field_model(model: Any, key: str | int) -> Any:
    """The pydantic model of ``model``'s field ``key`` (or of a list field's entries)."""
    import typing

    field = getattr(model, "model_fields", {}).get(key) if isinstance(key, str) else None
    if field is None:
        return None
    kind = field.annotation
    for arg in (kind, *typing.get_args(kind)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        if typing.get_origin(arg) is list:
            inner = typing.get_args(arg)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _set_path(data: dict, path: str, value: Any, source: str) -> None:
    keys = path.split(".")
    node: Any = data
    model: Any = Scenario  # the pydantic model of ``node`` (None inside plain tables)
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(
                    source,
                    [
                        (
                            path,
                            f"{'.'.join(keys[:i])} has {len(node)} entries; "
                            f"{key!r} is not an index 0..{len(node) - 1}",
                        )
                    ],
                )
            key = int(key)
        elif isinstance(node, dict):
            if key not in node and not last:
                creatable, _ = _optional_table(model, key)
                if not creatable:
                    if key in getattr(model, "model_fields", {}):
                        whole = ".".join(keys[: i + 1])
                        raise ScenarioError(
                            source,
                            [(path, f"{key!r} is not set in this scenario; set {whole} whole")],
                        )
                    raise ScenarioError(source, [(path, f"no such field {key!r}")])
                node[key] = {}  # a documented optional table: its defaults apply
        else:
            raise ScenarioError(source, [(path, f"{'.'.join(keys[:i])} is not a table")])
        if last:
            node[key] = value
        else:
            if isinstance(node, dict):
                model = _field_model(model, key)
            node = node[key]


def _loc_to_path(loc: tuple) -> str:
    # pydantic puts the discriminator tag (e.g. 'lognormal') and union member
    # names into loc; users only know the file's keys, so drop them.
    parts = []
    for item in loc:
        if isinstance(item, str) and item in {
            "exponential",
            "deterministic",
            "lognormal",
            "gamma",
            "uniform",
            "float",
            "dict[str,float]",
            "AttitudeComponents",
            "function-after[_ordered(), Uniform]",
        }:
            continue
        if isinstance(item, str) and (item.startswith("function-") or item.startswith("tagged-")):
            continue
        parts.append(str(item))
    return ".".join(parts)


def _friendly(err: dict) -> tuple[str, str]:
    path = _loc_to_path(err["loc"])
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _FieldError):
        return (inner.path, inner.message)
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        msg = "unknown key (misspelt?); docs/scenario.md lists the allowed keys"
    elif kind == "missing":
        msg = "required field is missing"
    elif kind == "union_tag_invalid":
        msg = (
            f"unknown distribution {ctx.get('tag')!r}; allowed: exponential, "
            "deterministic, lognormal, gamma, uniform"
        )
    elif kind == "finite_number":
        msg = f"must be a finite number (not inf or nan), got {err.get('input')}"
    elif kind == "union_tag_not_found":
        msg = "a distribution needs dist = exponential|deterministic|lognormal|gamma|uniform"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif "AttitudeComponents" in msg:
        msg = (
            "expected a number in [0, 1] or a table of proactiveness, responsibility, "
            f"care, enthusiasm; got {_shown(err.get('input'))}"
        )
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        msg = f"{msg}; got {_shown(err.get('input'))}"
    return (path, msg)


def _shown(value: Any) -> str:
    kind = {bool: "boolean", str: "text", int: "integer", float: "number"}.get(type(value))
    return f"{value!r} ({kind})" if kind else repr(value)


def _big_ints(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Integers that do not fit a signed 64-bit column (results are Parquet)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _big_ints(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for k, value in enumerate(node):
            yield from _big_ints(value, f"{path}.{k}" if path else str(k))
    elif isinstance(node, int) and not isinstance(node, bool):
        if not MIN_INT64 <= node <= MAX_INT64:
            yield (path, f"integer {node} is out of range (-2^63 to 2^63-1 = {MAX_INT64})")


def _has_big_int(node: Any) -> bool:
    """Whether ``_big_ints`` finds anything: the same walk without the paths, a loop
    instead of nested generators (a sweep validates every point's scenario)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if not MIN_INT64 <= item <= MAX_INT64:
                return True
    return False


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a plain dict (as read from TOML) into a Scenario.  Raises ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [("", f"expected a table of fields, got {type(data).__name__}")]
        )
    big = list(_big_ints(data)) if _has_big_int(data) else []
    if big:
        raise ScenarioError(source, big)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            item = _friendly(err)
            if item not in problems:
                problems.append(item)
        # inf/nan in a union field (attitude): the other member's complaint adds nothing
        infinite = {path for path, msg in problems if msg.startswith("must be a finite number")}
        problems = [
            (path, msg)
            for path, msg in problems
            if path not in infinite or msg.startswith("must be a finite number")
        ]
        raise ScenarioError(source, problems) from None


def read_input_file(path: str | Path, what: str = "scenario") -> str:
    """The text of a small input file (a scenario or sweep file); ValueError otherwise.

    Checked before anything is read: the path names a regular file (not a
    folder, a FIFO that would block, or a device like /dev/zero that never
    ends) of at most MAX_FILE_BYTES.  The message says what is wrong, not where
    (the caller names the file).
    """
    if isinstance(path, bool) or not isinstance(path, str | os.PathLike):
        raise TypeError(f"expected the path of a {what} file, got {path!r}")
    if str(path) == "":
        raise ValueError(f"no file name given (an empty path); expected a {what} .toml file")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ValueError(f"cannot read file: {exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"is a directory, expected a {what} .toml file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"is not a regular file (a pipe or device?); expected a {what} .toml file")
    if info.st_size > MAX_FILE_BYTES:
        raise ValueError(
            f"file is {info.st_size / 2**20:.1f} MB; a {what} file is at most "
            f"{MAX_FILE_BYTES // 2**20} MB"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as exc:
        raise ValueError(f"cannot read file: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"file is over {MAX_FILE_BYTES // 2**20} MB")
    try:
        return raw.decode("utf-8-sig")  # -sig: Windows editors add a BOM
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot read file: not UTF-8 text ({exc})") from None


def parse_toml(text: str) -> dict:
    """``tomllib.loads`` with a clear ValueError for bad or absurdly nested TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ValueError("tables or arrays nested too deeply to be a scenario") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.  Raises ScenarioError (a ValueError)."""
    try:
        text = read_input_file(path)
    except ValueError as exc:
        raise ScenarioError(str(path) or "''", [("", str(exc))]) from None
    if not text.strip():
        raise ScenarioError(
            str(path),
            [("", "file is empty; a scenario needs at least name, [[matters]] and [[windows]]")],
        )
    try:
        data = parse_toml(text)
    except ValueError as exc:
        raise ScenarioError(str(path), [("", str(exc))]) from None
    try:
        return scenario_from_dict(data, str(path))
    except RecursionError:
        raise ScenarioError(str(path), [("", "tables or arrays nested too deeply")]) from None


def scenario_to_dict(scenario: Scenario) -> dict:
    """Plain dict (JSON/TOML-able) of a scenario, e.g. for reports."""
    return copy.deepcopy(scenario.model_dump(mode="json", exclude_none=True))


def scenario_cache(make: Callable[[Scenario], _T]) -> Callable[[Scenario], _T]:
    """Memoise ``make(scenario)`` per scenario object, for the last 32 scenarios.

    Scenarios are frozen, so what the engines and metrics derive from one
    (window tables, clock values, labels) holds for every replication.
    Keyed by identity: an equal but distinct scenario is derived again.
    """
    cache: dict[int, tuple[Scenario, _T]] = {}

    def get(scenario: Scenario) -> _T:
        hit = cache.get(id(scenario))
        if hit is not None and hit[0] is scenario:
            return hit[1]
        if len(cache) >= 32:
            cache.clear()
        value = make(scenario)
        cache[id(scenario)] = (scenario, value)
        return value

    return get
