# ruff: noqa: E501  (a catalogue: one message per line reads better than split strings)
"""Every word hallsim shows a person, in English and Chinese, and which language to use.

One place for user-visible text: ``MESSAGES`` (message id -> English, Chinese), the
metric labels of ``hallsim.metrics.registry`` (``metric_label``) and their units
(``UNITS``).  Code asks ``t("id", **values)``; keys, file names and JSON stay English.

The language (``current()``): ``--lang`` on the command line, else the scenario's
``[report] lang``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh_CN.UTF-8``
-> Chinese), else English.  The Chinese terms are those Chinese service halls use
(平均等候时长, 一次办结率, 弃号, 窗口利用率, ...).  ``tests/test_i18n.py`` fails when a
message id used in the code has no entry, or an entry lacks either language.

This module imports nothing heavy: ``hallsim --help`` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from hallsim.metrics import registry

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = ("en", "zh")

_chosen: str | None = None  # --lang
_scenario: str | None = None  # [report] lang of the scenario a command reads


def choose(lang: str | None) -> None:
    """The language asked for on the command line (None: not asked)."""
    global _chosen
    _chosen = lang


def from_scenario(lang: str | None) -> None:
    """The scenario's ``[report] lang`` (used when --lang is not given)."""
    global _scenario
    _scenario = lang


def reset() -> None:
    """Forget --lang and the scenario's choice (each CLI invocation starts afresh)."""
    choose(None)
    from_scenario(None)


def locale_lang(environ: Mapping[str, str] | None = None) -> Lang | None:
    """zh or en from the POSIX locale variables (first set of LC_ALL, LC_MESSAGES, LANG)."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return None


def current() -> Lang:
    """--lang, then the scenario's [report] lang, then the locale, then English."""
    for lang in (_chosen, _scenario, locale_lang()):
        if lang in LANGS:
            return lang  # type: ignore[return-value]
    return "en"


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (default ``current()``), formatted with ``values``."""
    en, zh = MESSAGES[key]
    text = zh if (lang or current()) == "zh" else en
    return text.format(**values) if values else text


def metric_label(name: str, lang: str | None = None) -> str:
    """A metric's label from the registry (breakdown columns keep their bracket)."""
    label = registry.label(name, "zh" if (lang or current()) == "zh" else "en")
    if "[" in name and registry.get(name) is not None:
        label += "[" + name.split("[", 1)[1]
    return label


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded to ``columns`` terminal columns (f-string widths count characters,
    which misaligns Chinese)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


UNITS: dict[str, tuple[str, str]] = {
    "min": ("min", "分钟"),
    "citizens": ("citizens", "人次"),
    "citizens waiting": ("citizens waiting", "人"),
    "%": ("%", "%"),
    "1–5 scale": ("1–5 scale", "1–5分"),
    "calls": ("calls", "次"),
    "hours": ("hours", "小时"),
    "": ("", ""),
}
"""The registry's units in both languages."""


def unit(name: str, lang: str | None = None) -> str:
    """A metric's unit in the language."""
    en, zh = UNITS[registry.unit(name)]
    return zh if (lang or current()) == "zh" else en


MESSAGES: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- shared words
    "predicted": ("predicted", "预测"),
    "predicted_suffix": (" (predicted)", "（预测）"),
    "metric": ("metric", "指标"),
    "mean_ci": ("mean [95% CI]", "均值 [95%置信区间]"),
    "difference_ci": ("difference [CI]", "差值 [置信区间]"),
    "all_periods": ("all", "全天"),
    "pp": ("pp", "个百分点"),
    "better": ("better", "更好"),
    "worse": ("worse", "更差"),
    "no_clear_difference": ("no clear difference", "无明显差异"),
    "shorter": ("shorter", "更短"),
    "longer": ("longer", "更长"),
    "predictions_note": (
        "Satisfaction figures are model predictions, not measurements.",
        "满意度相关数字为模型预测，并非实测。",
    ),
    "interval_cut": (
        "* interval cut at the metric's range (counts and times >= 0, shares 0-100%)",
        "* 置信区间已截断在指标取值范围内（人次与时长不小于0，比例在0–100%之间）",
    ),
    # ---------------------------------------------------------------- errors (fixed parts)
    "err.interrupted": ("interrupted", "已中断"),
    "err.could_not_complete": ("could not complete", "未能完成"),
    "err.unexpected": (
        "unexpected error: {error}\n(set HALLSIM_DEBUG=1 for a traceback)",
        "意外错误：{error}\n（设置 HALLSIM_DEBUG=1 可查看调用栈）",
    ),
    "err.warning": ("warning", "警告"),
    "err.compare_two": (
        "compare needs at least two scenario files",
        "compare 至少需要两个场景文件",
    ),
    "err.name_twice": (
        "{file}: name: scenario name {name!r} is used twice; compared scenarios need "
        "distinct names",
        "{file}: name: 场景名称 {name!r} 出现了两次；参与比较的场景名称须各不相同",
    ),
    "err.modes": (
        "{file}: run.mode: {mode!r} cannot be compared with {first}'s {first_mode!r} "
        "(a day's totals and a steady state's rates differ in kind); compare scenarios of "
        "one mode",
        "{file}: run.mode: {mode!r} 不能与 {first} 的 {first_mode!r} 比较（一天的总量与稳态的"
        "速率性质不同）；请比较同一模式的场景",
    ),
    "err.precision_conflict": (
        "--precision decides the replications: drop --replications/--log",
        "--precision 自行决定重复次数：请去掉 --replications/--log",
    ),
    "err.precision_value": (
        "--precision: expected a positive number or percentage, got {text!r}",
        "--precision: 应为正数或百分比，实际为 {text!r}",
    ),
    "err.nothing_written": (
        "interrupted before any replication finished; nothing written",
        "在任何一次重复完成之前被中断；未写入任何文件",
    ),
    "err.partial_written": (
        "interrupted: {done} of {planned} replications finished and written to {path} "
        "(a run with --replications {done} gives the same numbers)",
        "已中断：{planned} 次重复中完成 {done} 次并已写入 {path}（以 --replications {done} "
        "运行可得到相同结果）",
    ),
    "err.incomplete": (
        "could not write {what}; {path} is incomplete (its .hallsim-results.json says "
        "complete: false)",
        "无法写入 {what}；{path} 不完整（其 .hallsim-results.json 记为 complete: false）",
    ),
    # ---------------------------------------------------------------- validate
    "validate.ok": ("{path}: ok — {description}", "{path}: 通过 — {description}"),
    # ---------------------------------------------------------------- run / compare
    "progress.simulating": ("simulating", "模拟中"),
    "progress.robustness": ("robustness", "稳健性检验"),
    "run.title": (
        "{name} — {n} replications, seed {seed}",
        "{name} — 重复 {n} 次，随机种子 {seed}",
    ),
    "run.precision": (
        "precision: {used} replications used; {metric} half-width {half} (target {target})",
        "精度：共用 {used} 次重复；{metric} 置信区间半宽 {half}（目标 {target}）",
    ),
    "run.precision_max": ("; reached --max-replications", "；已达 --max-replications 上限"),
    "headline.nobody_served": ("nobody served", "无人办结"),
    "headline.wait": ("mean wait {mean} min{ci}", "平均等候时长 {mean} 分钟{ci}"),
    "headline.service_level": (
        ", {share}% called within {target} min",
        "，{target}分钟内叫号率 {share}%",
    ),
    "headline.abandoned_day": (", {n} abandoned per day", "，每天弃号 {n} 人次"),
    "headline.abandoned": (", {n} abandoned", "，弃号 {n} 人次"),
    "headline.unserved_day": (
        ", {n} unserved (still waiting when the last window closed)",
        "，未被叫号 {n} 人次（最后一个窗口关闭时仍在等候）",
    ),
    "headline.unserved": (", {n} unserved", "，未被叫号 {n} 人次"),
    "headline.refused_cap": (
        ", {n} refused a ticket by a daily cap (限号)",
        "，因限号未取到号 {n} 人次",
    ),
    "headline.blocked": (
        ", {n} turned away by a full waiting room",
        "，因等候区已满被拒 {n} 人次",
    ),
    "headline.missed_lost": (
        ", {n} lost after a missed call (过号)",
        "，过号作废 {n} 人次",
    ),
    "headline.csat": (", predicted CSAT {share}%", "，预测满意率 {share}%"),
    "compare.title": (
        "{n} replications on common random numbers, seed {seed}",
        "共同随机数下重复 {n} 次，随机种子 {seed}",
    ),
    "compare.adjusted": ("Bonferroni-adjusted", "Bonferroni 校正"),
    "compare.t_interval": ("95% t-interval", "95% t 区间"),
    "compare.diff_title": (
        "{scenario} − {baseline} (paired, {adjusted})",
        "{scenario} − {baseline}（配对差值，{adjusted}）",
    ),
    "compare.wait_verdict": (
        "{scenario} − {baseline}: mean wait {mean} min [{low}, {high}] ({verdict} wait)",
        "{scenario} − {baseline}：平均等候时长 {mean} 分钟 [{low}, {high}]（等候{verdict}）",
    ),
    "compare.decomposition": (
        "of which {returns} min{returns_ci} from return visits{pct} and {rest} min{rest_ci} "
        "the rest (re-run without return visits on the same random numbers)",
        "其中 {returns} 分钟{returns_ci}来自再次来访{pct}，其余 {rest} 分钟{rest_ci}"
        "（在相同随机数下去掉再次来访重新模拟）",
    ),
    "compare.robustness": (
        "Robustness ({n} assumptions over their plausible ranges, same random numbers): {sentence}",
        "稳健性检验（{n} 项假设在合理范围内逐一变化，相同随机数）：{sentence}",
    ),
    "compare.best": ("Best for {metric}: {best}", "{metric}最优：{best}"),
    # ---------------------------------------------------------------- describe (validate)
    "describe.day": ("day {open}–{close}", "全天 {open}–{close}"),
    "describe.steady": (
        "steady state, warm-up {warmup} min, length {length} min",
        "稳态，预热 {warmup} 分钟，时长 {length} 分钟",
    ),
    "describe.rate_table": ("rate table {rates}", "到达率表 {rates}"),
    "describe.factor": (", factor {factor}", "，系数 {factor}"),
    "describe.patience": ("; patience: {parts}", "；耐心：{parts}"),
    "describe.balk_at": ("balk at {n}", "排队达 {n} 人即离开"),
    "describe.renege": (
        "renege after {dist} mean {mean} min",
        "等候超时离开（{dist}，均值 {mean} 分钟）",
    ),
    "describe.summary": (
        "{name!r}: {mode}; demand {demand}; matters {matters}; {queue} queue{choice}; "
        "windows {groups}{patience}{day}",
        "{name!r}：{mode}；需求 {demand}；事项 {matters}；排队方式 {queue}{choice}；"
        "窗口 {groups}{patience}{day}",
    ),
    "describe.day_type": (
        "day type {day_type} (rates ×{factor})",
        "日类型 {day_type}（到达率 ×{factor}）",
    ),
    "describe.crowd_count": ("{n} at the door at opening", "开门时门口 {n} 人"),
    "describe.crowd_rate": (
        "{rate}/h at the door from {start}",
        "自 {start} 起门口每小时 {rate} 人",
    ),
    "describe.day_cv": ("day level cv {cv}", "日间波动变异系数 {cv}"),
    "describe.caps": ("daily caps {caps}", "每日限号 {caps}"),
    "describe.waiting_room": ("waiting room {n}", "等候区容量 {n}"),
    "describe.balk_prob": ("balking by queue length", "按队长概率离开"),
    "describe.missed": (
        "missed calls {share}% (re-queued {requeue})",
        "过号 {share}%（重新排队：{requeue}）",
    ),
    # ---------------------------------------------------------------- staff (advisor)
    "ci95": ("[95% CI]", "[95%置信区间]"),
    "staff.called_within": (" (called within {target} min)", "（{target}分钟内叫号）"),
    "staff.title": (
        "Staffing advisor — {name}: {target}{extra} in every period and over the day",
        "排班建议 — {name}：每个时段及全天均满足 {target}{extra}",
    ),
    "staff.runs": (
        "{n} replications, seed {seed}; {rosters} rosters simulated in {s} s",
        "重复 {n} 次，随机种子 {seed}；共模拟 {rosters} 套排班，用时 {s} 秒",
    ),
    "staff.per_period": (
        "windows per period ({groups}); {metric} of the citizens arriving in the period",
        "各时段开放窗口数（{groups}）；{metric}按该时段到达的群众计",
    ),
    "staff.period": ("period", "时段"),
    "staff.load": ("load", "负荷"),
    "staff.advised": ("advised", "建议"),
    "staff.queue": ("queue", "排队"),
    "staff.legend": (
        "(load: offered Erlangs; queue: citizens waiting at the period start, mean)",
        "（负荷：到达业务量，单位爱尔兰；排队：时段开始时的平均等候人数）",
    ),
    "staff.whole_day": (
        "whole day: {metric} {advised} with the advised roster, {written} as written",
        "全天：按建议排班 {metric} {advised}，按现有排班 {written}",
    ),
    "staff.hours": (
        "staff-hours (planned window-hours): {advised} advised, {erlang} Erlang estimate, "
        "{written} as written",
        "窗口工时（计划开窗小时数）：建议 {advised}，Erlang 估算 {erlang}，现有 {written}",
    ),
    "staff.disagree": (
        "Where the Erlang estimate and the simulation disagree:",
        "Erlang 估算与模拟结果不一致的时段：",
    ),
    "staff.erlang_roster": ("Erlang roster", "按Erlang排班"),
    "staff.why": ("why", "原因"),
    "staff.agree": (
        "The Erlang estimate and the simulation agree in every period.",
        "各时段 Erlang 估算与模拟结果一致。",
    ),
    "staff.note": ("note", "说明"),
    "staff.paste": (
        '# in {file}, [[windows]] name = "{name}": set (replacing any existing line)',
        '# 在 {file} 的 [[windows]] name = "{name}" 中设置（替换已有的同名行）',
    ),
    "staff.carry": ("; {n} waiting at its start", "；时段开始时已有 {n} 人等候"),
    "staff.why_raised": (
        "raised to cut the queue passed on to later periods",
        "增加窗口以减少留给后续时段的排队",
    ),
    "staff.why_miss": (
        "Erlang's windows miss the target here{carry}",
        "按 Erlang 的窗口数在此时段达不到目标{carry}",
    ),
    "staff.why_fewer_later": (
        "fewer suffice once earlier periods pass on a shorter queue",
        "前面时段留下的排队变短后，较少窗口即可",
    ),
    "staff.why_beat": (
        "Erlang's windows beat the target: fewer suffice{carry}",
        "按 Erlang 的窗口数优于目标：较少窗口即可{carry}",
    ),
    # ---------------------------------------------------------------- figures (plots.py)
    "plot.pp_long": ("percentage points", "百分点"),
    "plot.replications": ("{n} replication{s}", "{n} 次重复"),
    "plot.waits.within": (
        "{name}: {share}% within {target} min",
        "{name}：{target}分钟内叫号 {share}%",
    ),
    "plot.waits.x": ("wait from ticket to call (min)", "取号到叫号的等候时长（分钟）"),
    "plot.waits.y": ("citizens called within that wait (%)", "在该时长内被叫号的群众占比（%）"),
    "plot.waits.title": (
        "Wait for a window: share of citizens called within x minutes\nall citizens over {reps}; those who left unserved are never called",
        "等候叫号：x 分钟内被叫号的群众占比\n{reps}的全部群众；未办理即离开者从未被叫号",
    ),
    "plot.waits.legend": ("share called within target", "目标时限内叫号率"),
    "plot.waits.median": ("median", "中位数"),
    "plot.waits.p90": ("90th pct.", "90%分位"),
    "plot.waits.box_x": (
        "scenario and wait statistic (one value per replication)",
        "场景与等候统计量（每次重复一个值）",
    ),
    "plot.waits.box_title": (
        "Median and 90th-percentile wait per replication (box plots)\nno citizens.parquet in this folder: rerun with --log for the full distribution",
        "每次重复的等候时长中位数与90%分位数（箱线图）\n此文件夹没有 citizens.parquet：加 --log 重新运行可得完整分布",
    ),
    "plot.target": ("target {target} min", "目标 {target} 分钟"),
    "plot.compare.head": ("Scenarios compared", "场景比较"),
    "plot.compare.title": (
        "{head}: mean with 95% CI over {reps}",
        "{head}：{reps}的均值及95%置信区间",
    ),
    "plot.compare.crn": (" on common random numbers", "（共同随机数）"),
    "plot.compare.bonferroni": (
        "{conf}% CIs, Bonferroni-adjusted: 95% family-wise",
        "{conf}%置信区间，Bonferroni 校正：整体95%",
    ),
    "plot.ci95": ("95% CI", "95%置信区间"),
    "plot.compare.bottom": (
        "Bottom row: paired difference to baseline {base} ({level}); hollow marker = interval includes 0",
        "下排：与基准 {base} 的配对差值（{level}）；空心标记 = 区间包含0",
    ),
    "plot.day.staffed": ("windows staffed (dotted)", "开放窗口数（点线）"),
    "plot.day.queue_y": ("citizens waiting\n(time-average)", "等候人数\n（时间平均）"),
    "plot.day.wait_y": ("mean wait of those\ncalled (min)", "被叫号者平均\n等候时长（分钟）"),
    "plot.day.queue_title": ("Queue length by period", "各时段排队人数"),
    "plot.day.wait_title": (
        "Mean wait by period (ticket to call)",
        "各时段平均等候时长（取号到叫号）",
    ),
    "plot.day.staffed_right": ("windows staffed (right axis)", "开放窗口数（右轴）"),
    "plot.day.x": ("time of day (points at mid-period)", "时刻（点位于时段中点）"),
    "plot.day.close": ("close {time}", "闭厅 {time}"),
    "plot.day.sim_x": ("simulation time (min)", "模拟时间（分钟）"),
    "plot.day.title": (
        "Over the day: mean across {reps} with 95% CI bands ({width}-minute periods)",
        "全天变化：{reps}的均值及95%置信带（每{width}分钟一个时段）",
    ),
    "plot.util.x": ("period start (time of day)", "时段开始时刻"),
    "plot.util.y": ("window group", "窗口组"),
    "plot.util.bar": (
        "utilisation: busy ÷ staffed time (%)",
        "窗口利用率：办理时间 ÷ 在岗时间（%）",
    ),
    "plot.util.title": (
        "Window utilisation by group and period (mean of {reps}; cells in %)",
        "各窗口组分时段窗口利用率（{reps}的均值；单位%）",
    ),
    "plot.sat.band0": ("1–2 dissatisfied (predicted)", "1–2分 不满意（预测）"),
    "plot.sat.band1": ("3 neutral (predicted)", "3分 一般（预测）"),
    "plot.sat.band2": ("4–5 satisfied (predicted)", "4–5分 满意（预测）"),
    "plot.sat.off": ("satisfaction model switched off", "满意度模型已关闭"),
    "plot.sat.mean": ("predicted mean {mean} / 5", "预测平均 {mean} / 5分"),
    "plot.sat.x": ("share of visits with each predicted rating (%)", "各预测评分的办件占比（%）"),
    "plot.scenario": ("scenario", "场景"),
    "plot.sat.title": (
        "Predicted rating distribution (1–5 rating scale): model prediction, not survey data\nmean over {reps}; abandoning citizens are rated too",
        "预测评分分布（1–5分）：模型预测，并非调查数据\n{reps}的均值；弃号群众也计入评分",
    ),
    "plot.tornado.title": (
        "Robustness: paired difference in {label}{note} over each assumption's range",
        "稳健性：各项假设在其合理范围内变化时{label}{note}的配对差值",
    ),
}
"""Message id -> (English, Chinese).  Placeholders are ``str.format`` fields."""
