"""Every metric hallsim reports, once: name, labels (English, Chinese), unit, kind,
whether it is a prediction, which way is better, its range, and how it folds over the
segments of a streamed run.

Every table, plot, report, CLI view, staffing target, interval and streaming fold reads
this registry; adding a metric is one ``Metric`` here plus its computation
(``hallsim.metrics.computation``). This module imports nothing heavy (no numpy or
pandas): ``hallsim --help`` and ``hallsim validate`` read it to build their options.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "share", "time", "rating", "level"]
"""count: citizens per replication (an integer count, so an all-zero count's interval
uses the rule of three); share: a proportion in [0, 1], shown in per cent; time: minutes;
rating: the 1–5 satisfaction scale; level: any other non-negative quantity."""

_BOUNDS: dict[str, tuple[float, float]] = {
    "count": (0.0, math.inf),
    "share": (0.0, 1.0),
    "time": (0.0, math.inf),
    "rating": (1.0, 5.0),
    "level": (0.0, math.inf),
}

# How a metric combines over the segments of a streamed run (hallsim.streaming): add,
# take the maximum, keep the first (equal in every segment), come from a quantile sketch,
# or -- any other value -- a mean weighted by that metric (the count it is a mean over).
SUM, MAX, SAME, SKETCH = "sum", "max", "same", "sketch"


@dataclass(frozen=True)
class Metric:
    name: str
    label_en: str
    label_zh: str
    unit: str  # as shown next to a value: "min", "citizens", "%", "1–5", "hours"
    kind: Kind
    predicted: bool = False  # an output of the satisfaction model, never shown as data
    better: Literal["higher", "lower", "neither"] = "lower"
    fold: str = SUM
    quantile: float | None = None  # a quantile metric: which quantile ...
    quantile_of: Literal["wait", "time_in_system"] | None = None  # ... of which sample
    staffing_target: bool = False  # may be a `hallsim staff --target`
    contract: bool = False  # one of the metrics every --json carries first (README)
    short_en: str | None = None  # a column title where space is short
    optional: bool = False  # only in results of scenarios that use its mechanism

    @property
    def bounds(self) -> tuple[float, float]:
        return _BOUNDS[self.kind]

    @property
    def percent(self) -> bool:
        return self.kind == "share"


def _m(*args, **kwargs) -> Metric:
    return Metric(*args, **kwargs)


_RATING_ZH = {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}

REGISTRY: tuple[Metric, ...] = (
    # contract metrics first, in the order every --json lists them
    _m("arrived", "arrived", "到达人次", "citizens", "count", better="neither", contract=True),
    _m("served", "served", "办结人次", "citizens", "count", better="higher", contract=True),
    _m("balked", "balked", "见排队过长离开", "citizens", "count", contract=True),
    _m("reneged", "reneged", "等候中弃号", "citizens", "count", contract=True),
    _m(
        "abandoned",
        "abandoned",
        "弃号人次",
        "citizens",
        "count",
        contract=True,
        short_en="Abandoned",
    ),
    _m(
        "wait_mean_min",
        "mean wait",
        "平均等候时长",
        "min",
        "time",
        fold="served",
        staffing_target=True,
        contract=True,
        short_en="Mean wait",
    ),
    _m(
        "wait_p50_min",
        "median wait",
        "等候时长中位数",
        "min",
        "time",
        fold=SKETCH,
        quantile=0.5,
        quantile_of="wait",
        staffing_target=True,
        contract=True,
    ),
    _m(
        "wait_p90_min",
        "90th-percentile wait",
        "90%分位等候时长",
        "min",
        "time",
        fold=SKETCH,
        quantile=0.9,
        quantile_of="wait",
        staffing_target=True,
        contract=True,
        short_en="90th-percentile wait",
    ),
    _m("wait_max_min", "longest wait", "最长等候时长", "min", "time", fold=MAX, contract=True),
    _m(
        "service_level",
        "service level (called within target)",
        "按时叫号率（目标时限内叫号）",
        "%",
        "share",
        better="higher",
        fold="arrived",
        staffing_target=True,
        contract=True,
        short_en="Service level\n(called within target)",
    ),
    _m(
        "queue_len_mean",
        "mean queue length",
        "平均排队人数",
        "citizens waiting",
        "level",
        contract=True,
        short_en="Mean queue length",
    ),
    _m(
        "queue_len_max",
        "longest queue",
        "最长排队人数",
        "citizens waiting",
        "count",
        fold=MAX,
        contract=True,
    ),
    _m(
        "utilisation",
        "window utilisation",
        "窗口利用率",
        "%",
        "share",
        better="higher",
        contract=True,
        short_en="Window utilisation",
    ),
    _m(
        "time_in_system_mean_min",
        "mean time in the hall",
        "平均在厅时长",
        "min",
        "time",
        fold="served",
        contract=True,
    ),
    _m(
        "first_contact_resolution",
        "first-contact resolution",
        "一次办结率",
        "%",
        "share",
        better="higher",
        fold="served",
        contract=True,
    ),
    _m(
        "satisfaction_mean",
        "predicted mean rating",
        "预测平均评分",
        "1–5 scale",
        "rating",
        predicted=True,
        better="higher",
        fold="arrived",
        contract=True,
        short_en="Predicted mean rating",
    ),
    _m(
        "csat",
        "predicted CSAT (rating 4–5)",
        "预测满意率（4–5分）",
        "%",
        "share",
        predicted=True,
        better="higher",
        fold="arrived",
        contract=True,
        short_en="Predicted CSAT\n(rating 4–5)",
    ),
    _m(
        "bad_review_rate",
        "predicted survey bad reviews (rating 1–2; not the 好差评 button)",
        "差评率（预测，1–2分）",
        "%",
        "share",
        predicted=True,
        fold="arrived",
        contract=True,
        short_en="Predicted bad reviews\n(rating 1–2)",
    ),
    # hallsim's additions
    _m("unserved", "unserved", "未被叫号", "citizens", "count"),
    _m("return_visits", "same-day return visits", "当日再次来访", "citizens", "count"),
    _m("returns_later", "returns on a later day", "改日再来", "citizens", "count"),
    _m("overtime_min", "overtime", "延时服务时长", "min", "time", fold=SAME),
    _m(
        "complaint_rate",
        "predicted complaints (index)",
        "投诉指数（预测）",
        "%",
        "share",
        predicted=True,
        fold="arrived",
    ),
    _m(
        "overtaken_mean",
        "times overtaken (mean)",
        "平均被插队次数",
        "citizens",
        "level",
        fold="arrived",
    ),
    _m(
        "service_mean_min",
        "mean service time",
        "平均办理时长",
        "min",
        "time",
        better="neither",
        fold="served",
    ),
    # operations (docs/operations.md); defined for every scenario. A streamed run has
    # no operations features: nobody is booked or has priority (NaN in every segment).
    _m("wait_mean_booked_min", "mean wait, booked", "预约者平均等候", "min", "time", fold="served"),
    _m(
        "wait_mean_walkin_min",
        "mean wait, walk-ins",
        "现场取号者平均等候",
        "min",
        "time",
        fold="served",
    ),
    _m(
        "wait_mean_priority_min",
        "mean wait, priority classes",
        "优先人群平均等候",
        "min",
        "time",
        fold="served",
    ),
    _m(
        "wait_mean_regular_min",
        "mean wait, regular class",
        "普通人群平均等候",
        "min",
        "time",
        fold="served",
    ),
    _m(
        "overtaken_mean_regular",
        "times overtaken (mean), regular class",
        "普通人群平均被插队次数",
        "citizens",
        "level",
        fold="arrived",
    ),
    _m("no_shows", "booked no-shows", "预约未到", "citizens", "count"),
    _m(
        "staff_hours",
        "staffed window hours",
        "窗口在岗时长",
        "hours",
        "level",
        better="neither",
        fold=SAME,
    ),
    _m("staff_overtime_min", "staff overtime", "人员延时", "min", "time", fold=SAME),
    # ticket caps, missed calls, the waiting room (docs/mechanisms.md); 0 when not used
    _m("refused_cap", "refused by a daily ticket cap (限号)", "限号未取到号", "citizens", "count"),
    _m("blocked", "turned away, waiting room full", "等候区满被拒", "citizens", "count"),
    _m("missed_calls", "missed calls (过号)", "过号次数", "calls", "count"),
    _m("missed_lost", "lost after a missed call", "过号作废", "citizens", "count"),
    _m(
        "missed_wasted_min",
        "window time wasted on missed calls",
        "过号耗费的窗口时间",
        "min",
        "time",
    ),
    # kiosks, helpers, tidal windows (docs/kiosks-tidal.md); undefined (NaN) when not used
    _m(
        "kiosk_uptake",
        "tried a self-service kiosk",
        "自助终端使用率",
        "%",
        "share",
        better="higher",
        fold="arrived",
    ),
    _m(
        "kiosk_failure_rate",
        "kiosk sessions that failed (went to a counter)",
        "自助办理失败率",
        "%",
        "share",
        fold="arrived",
    ),
    _m(
        "counter_demand_avoided",
        "done at a kiosk (counter demand avoided)",
        "自助分流占比",
        "%",
        "share",
        better="higher",
        fold="arrived",
    ),
    _m(
        "kiosk_wait_mean_min",
        "mean wait for a kiosk",
        "自助终端平均等候时长",
        "min",
        "time",
        fold="arrived",
    ),
    _m(
        "kiosk_utilisation",
        "kiosk utilisation",
        "自助终端利用率",
        "%",
        "share",
        better="neither",
        fold="arrived",
    ),
    _m(
        "helper_utilisation",
        "helper utilisation (帮办代办)",
        "帮办人员利用率",
        "%",
        "share",
        better="neither",
        fold="arrived",
    ),
    _m("helped", "accompanied by a helper", "帮办代办人次", "citizens", "count", better="neither"),
    _m(
        "tidal_switches",
        "tidal window role changes",
        "潮汐窗口切换次数",
        "switches",
        "count",
        better="neither",
    ),
    _m(
        "tidal_role_min",
        "window time in the tidal role",
        "潮汐窗口转岗时长",
        "min",
        "time",
        better="neither",
    ),
    _m(
        "tidal_changing_min",
        "window time lost changing role",
        "潮汐窗口切换耗时",
        "min",
        "time",
    ),
    # predicted share of each 好差评 level: 1 very dissatisfied .. 5 very satisfied
    *(
        _m(
            f"rating_{k}",
            f"predicted share rating {k}",
            f"预测{k}分({_RATING_ZH[k]})占比",
            "%",
            "share",
            predicted=True,
            better="neither",
            fold="arrived",
        )
        for k in range(1, 6)
    ),
    # tail quantiles (a quantile metric is this record alone: computation, streaming and
    # staffing read quantile/quantile_of). A quantile of the time in the hall
    # (quantile_of="time_in_system") works the same way; none is listed because its
    # second sort per replication costs ~4% of a fast-engine day (benchmarks/README.md).
    _m(
        "wait_p95_min",
        "95th-percentile wait",
        "95%分位等候时长",
        "min",
        "time",
        fold=SKETCH,
        quantile=0.95,
        quantile_of="wait",
        staffing_target=True,
    ),
    # multi-matter visits and stations in sequence (docs/visits.md): per citizen, not per
    # queue joined; reported only by scenarios with [visits] or [[stations]]
    _m(
        "citizens",
        "citizens (first ticket)",
        "来访人数",
        "citizens",
        "count",
        better="neither",
        optional=True,
    ),
    _m(
        "time_in_hall_mean_min",
        "time in the hall per citizen (all steps)",
        "人均在厅时间（全部环节）",
        "min",
        "time",
        fold="citizens",
        optional=True,
        short_en="time in hall",
    ),
    _m(
        "queues_per_citizen",
        "queues joined per citizen (多头跑)",
        "人均排队次数（多头跑）",
        "queues",
        "level",
        fold="citizens",
        optional=True,
    ),
    _m(
        "matters_per_citizen",
        "matters per citizen",
        "人均办理事项数",
        "matters",
        "level",
        better="neither",
        fold="citizens",
        optional=True,
    ),
    _m(
        "left_part_done",
        "left with some matters done, others not",
        "部分事项办完即离开",
        "citizens",
        "count",
        optional=True,
    ),
    _m(
        "second_trips",
        "second trips the same day (承诺件 pick-up)",
        "当日二次到厅（承诺件取件）",
        "citizens",
        "count",
        better="neither",
        optional=True,
    ),
    _m(
        "second_trips_later",
        "second trips on another day (承诺件)",
        "他日二次到厅（承诺件）",
        "citizens",
        "count",
        optional=True,
    ),
)


BY_NAME: dict[str, Metric] = {m.name: m for m in REGISTRY}

METRICS: tuple[str, ...] = tuple(m.name for m in REGISTRY if not m.optional)
"""Every metric every replication has, contract metrics first."""

OPTIONAL_METRICS: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.optional)
"""Metrics only scenarios using their mechanism report (multi-matter visits, stations)."""

ALL_METRICS: tuple[str, ...] = METRICS + OPTIONAL_METRICS


def reported(*have) -> tuple[str, ...]:
    """``METRICS`` plus the optional metrics found in every one of ``have`` (collections
    of metric names: a replications table's columns, a summary dict...)."""
    return METRICS + tuple(m for m in OPTIONAL_METRICS if all(m in h for h in have))


CONTRACT_METRICS: tuple[str, ...] = tuple(m.name for m in REGISTRY if m.contract)

PREDICTED: frozenset[str] = frozenset(m.name for m in REGISTRY if m.predicted)
"""Metrics that are predictions of the satisfaction model, not simulated counts or times."""

PERCENT: frozenset[str] = frozenset(m.name for m in REGISTRY if m.percent)
COUNTS: frozenset[str] = frozenset(m.name for m in REGISTRY if m.kind == "count")
HIGHER_IS_BETTER: frozenset[str] = frozenset(m.name for m in REGISTRY if m.better == "higher")

QUANTILES: dict[str, tuple[tuple[str, float], ...]] = {
    sample: tuple((m.name, m.quantile) for m in REGISTRY if m.quantile_of == sample)
    for sample in ("wait", "time_in_system")
}
"""Quantile metrics by sample: {"wait": (("wait_p50_min", 0.5), ...), ...}."""

KEY_METRICS: tuple[str, ...] = (
    "wait_mean_min",
    "wait_p90_min",
    "service_level",
    "queue_len_mean",
    "abandoned",
    "utilisation",
    "time_in_system_mean_min",
    "satisfaction_mean",
    "csat",
    "bad_review_rate",
)
"""The metrics a comparison reports differences of (``hallsim compare``, the report)."""

VISIT_KEY_METRICS: tuple[str, ...] = ("time_in_hall_mean_min", "queues_per_citizen")
"""Added to ``KEY_METRICS`` when every compared scenario reports them (docs/visits.md)."""

TARGET_METRICS: dict[str, tuple[str, str]] = {
    m.name: ("<=" if m.better == "lower" else ">=", f"{m.label_en} of served citizens, minutes")
    if m.kind == "time"
    else (
        "<=" if m.better == "lower" else ">=",
        "share of arrivals called within hall.service_level_target_min",
    )
    for m in REGISTRY
    if m.staffing_target
}
"""Per-period staffing targets: metric -> (direction, what it means)."""


def get(name: str) -> Metric | None:
    """The metric of a name, or of a breakdown column such as ``utilisation[social_security]``."""
    return BY_NAME.get(name.split("[", 1)[0])


# measures that are not metrics of a replication but are compared with them
# (``hallsim backtest``): their kind fixes their range as for a metric
OTHER_KINDS: dict[str, Kind] = {"abandoned_share": "share"}


def bounds(name: str) -> tuple[float, float]:
    """The range of a metric's values; a name not in the registry: [0, inf) for a time
    (``*_min``), otherwise unbounded."""
    metric = get(name)
    if metric is not None:
        return metric.bounds
    if (kind := OTHER_KINDS.get(name.split("[", 1)[0])) is not None:
        return _BOUNDS[kind]
    return (0.0, math.inf) if name.split("[", 1)[0].endswith("_min") else (-math.inf, math.inf)


# quantities of a layout known without simulating (``hallsim optimise``'s design
# measures), read beside the metrics: their labels (English, Chinese)
OTHER_LABELS: dict[str, tuple[str, str]] = {
    "windows": ("windows open", "开放窗口数"),
    "planned_staff_hours": ("planned staff-hours", "计划窗口工时"),
}


def label(name: str, lang: Literal["en", "zh"] = "en") -> str:
    metric = get(name)
    if metric is None:
        if name in OTHER_LABELS:
            return OTHER_LABELS[name][lang == "zh"]
        return name
    return metric.label_zh if lang == "zh" else metric.label_en


def unit(name: str) -> str:
    metric = get(name)
    return metric.unit if metric is not None else ""


def is_percent(name: str) -> bool:
    """A share stored in 0..1 and shown in per cent."""
    metric = get(name)
    return metric is not None and metric.percent


def is_predicted(name: str) -> bool:
    metric = get(name)
    return metric is not None and metric.predicted
