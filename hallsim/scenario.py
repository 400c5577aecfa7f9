"""Scenario files: the single source of truth for the hall description.

A scenario is an immutable pydantic model read from TOML (``load_scenario``).
Everything here is data and validation; nothing simulates.  Units: durations
in minutes, times of day as minutes since midnight (``open_min``), rates per
hour only as written in the file (``rate_per_minute`` converts them once).
"""

from __future__ import annotations

import copy
import functools
import math
import tomllib
from collections.abc import Callable
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

from hallsim.satisfaction import SatisfactionConfig

_T = TypeVar("_T")

ATTITUDE_COMPONENTS = ("proactiveness", "responsibility", "care", "enthusiasm")


class ScenarioError(Exception):
    """A scenario file (or a change to it) is invalid.

    ``problems`` is a list of ``(field_path, message)``; ``source`` names the
    file.  ``str(err)`` is the user-facing text (no traceback needed).
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid scenario"]
        lines += [f"  {path or '(file)'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class _Frozen(BaseModel):
    # strict: a TOML boolean or string is never quietly turned into a number
    # (count = true, factor = "1.2" are errors); integers still fill float fields
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def parse_clock(value: str) -> float:
    """'HH:MM' → minutes since midnight."""
    if not isinstance(value, str):
        raise ValueError(f"expected a time of day as 'HH:MM', got {value!r}")
    parts = value.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected a time of day as 'HH:MM', got {value!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    return float(hours * 60 + minutes)


def format_clock(minutes: float) -> str:
    """Minutes since midnight → 'HH:MM' (rounded down to the minute)."""
    m = math.floor(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


# --- distributions ---------------------------------------------------------
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
    cv: float = Field(ge=0, description="coefficient of variation of the duration")

    @property
    def cv2(self) -> float:
        return self.cv**2


class Gamma(_Frozen):
    dist: Literal["gamma"]
    mean: float = Field(gt=0)
    cv: float = Field(ge=0)

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


class RunSettings(_Frozen):
    mode: Literal["day", "steady_state"] = Field(
        "day", description="day: one working day (terminating); steady_state: long run"
    )
    replications: int = Field(20, ge=1, le=100_000, description="replications (CLI -r overrides)")
    seed: int = Field(1, ge=0, description="base seed (CLI --seed overrides)")
    warmup_min: float = Field(
        0.0, ge=0, description="steady_state: statistics ignore arrivals before this"
    )
    length_min: float = Field(
        0.0, ge=0, description="steady_state: arrivals stop at warmup_min + length_min"
    )


class Hall(_Frozen):
    open: str = Field("09:00", description="first ticket, HH:MM (day mode)")
    close: str = Field("17:00", description="last ticket, HH:MM; those inside are still served")
    service_level_target_min: float = Field(15.0, gt=0, description="wait target for service_level")
    comfort: float = Field(
        0.5, ge=0, le=1, description="waiting-area comfort (SERVQUAL tangibles), 0..1"
    )
    period_min: float = Field(30.0, gt=0, description="width of the per-period table bins")

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

    @field_validator("rate_per_hour", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number of citizens per hour or a table of them")
        if isinstance(v, int | float):
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"rate must be a finite number >= 0, got {v}")
            return float(v)
        if isinstance(v, dict):
            if not v:
                raise ValueError("a rate table needs at least one 'HH:MM' = rate entry")
            out = {}
            for key, rate in v.items():
                parse_clock(key)
                if isinstance(rate, bool) or not isinstance(rate, int | float):
                    raise ValueError(f"rate at {key!r} must be a number, got {rate!r}")
                if not math.isfinite(rate) or rate < 0:
                    raise ValueError(f"rate at {key!r} must be >= 0, got {rate}")
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


class Layout(_Frozen):
    queue: Literal["single", "per_window"] = Field(
        "single",
        description="single: one ticket queue, a free window calls the longest-waiting citizen "
        "it can serve; per_window: join the shortest eligible line and stay",
    )


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
        "(assumption; endpoints from Wenzhou 2017 75.9%); neutral 1",
    )
    fcr_per_unit: float = Field(
        0.20,
        ge=-1,
        le=1,
        description="rise in P(settled) per unit of mean(proactiveness, responsibility) "
        "(assumption; Zhejiang 2019 92.9% at the top); neutral 0",
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
        description="distribution of the same-day return delay, minutes; replaces "
        "return_delay_min (only the simpy engine runs a non-fixed delay)",
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


class Scenario(_Frozen):
    name: str = Field(min_length=1, description="scenario name, used in outputs")
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

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        total = sum(m.share for m in self.matters)
        if abs(total - 1.0) > 0.001:
            raise _FieldError(
                "matters", f"shares must sum to 1 (within 0.001), they sum to {total:.4f}"
            )
        names = [m.name for m in self.matters]
        for i, n in enumerate(names):
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
        elif isinstance(rate, dict):
            close = self.hall.close_min
            for key in rate:
                if parse_clock(key) >= close:
                    raise _FieldError(
                        f"arrivals.rate_per_hour.{key}",
                        f"rate key {key} is at or after close ({self.hall.close})",
                    )
        self._check_rosters()
        self._check_classes()
        return self

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

    # ---- derived values used by the model (computed, never stored) ----

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
        if isinstance(rate, float):
            return [(start, rate / 60.0)]
        pieces = sorted((parse_clock(k), r / 60.0) for k, r in rate.items())
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

        Raises ScenarioError naming the path when it does not exist or the new
        value is invalid.
        """
        data = self.model_dump(mode="python", exclude_none=True)
        for path, value in changes.items():
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


def _set_path(data: dict, path: str, value: Any, source: str) -> None:
    keys = path.split(".")
    node: Any = data
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
                raise ScenarioError(source, [(path, f"no such field {key!r}")])
        else:
            raise ScenarioError(source, [(path, f"{'.'.join(keys[:i])} is not a table")])
        if last:
            node[key] = value
        else:
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


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a plain dict (as read from TOML) into a Scenario."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            item = _friendly(err)
            if item not in problems:
                problems.append(item)
        raise ScenarioError(source, problems) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.  Raises ScenarioError."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(str(path), [("", "file not found")])
    if p.is_dir():
        raise ScenarioError(str(path), [("", "is a directory, expected a .toml file")])
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: Windows editors add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [("", f"cannot read file: {exc}")]) from None
    if not text.strip():
        raise ScenarioError(
            str(path),
            [("", "file is empty; a scenario needs at least name, [[matters]] and [[windows]]")],
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("", f"not valid TOML: {exc}")]) from None
    return scenario_from_dict(data, str(path))


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
