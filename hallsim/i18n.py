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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


@contextmanager
def using(lang: str | None, scenario: str | None = None) -> Iterator[None]:
    """Within the block, ``lang`` (if given) is the language, as if chosen by --lang, and
    ``scenario`` (if given) as if a scenario's [report] lang."""
    global _chosen, _scenario
    before = _chosen, _scenario
    for value in (lang, scenario):
        if value is not None and value not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}, got {value!r}")
    _chosen = lang or _chosen
    _scenario = scenario or _scenario
    try:
        yield
    finally:
        _chosen, _scenario = before


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


def has_chinese(text: str) -> bool:
    """True when ``text`` has a Han character (CJK unified ideographs)."""
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded to ``columns`` terminal columns (f-string widths count characters,
    which misaligns Chinese)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


class Table(Mapping[str, str]):
    """A module's table of words (``report.TEXT``, ``decision.TEXT``, ...) as a view of its
    section of ``MESSAGES``: ``table["key"]`` is ``t(prefix + "key")`` in the current
    language, so a module keeps its short keys and the catalogue stays the one place."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __getitem__(self, key: str) -> str:
        if self.prefix + key not in MESSAGES:
            raise KeyError(key)
        return t(self.prefix + key)

    def __iter__(self) -> Iterator[str]:
        n = len(self.prefix)
        return (k[n:] for k in MESSAGES if k.startswith(self.prefix) and "." not in k[n:])

    def __len__(self) -> int:
        return sum(1 for _ in self)


TABLE_PREFIXES: tuple[str, ...] = (
    "report.t.",
    "decision.t.",
    "decision.plain.",
    "decision.what.",
    "decision.tile.",
    "plots.t.",
)
"""Sections of ``MESSAGES`` read through a ``Table`` (tests/test_i18n.py checks that
each key is used by name in its module)."""


_STAFF_NOTES = (
    (
        r"(?P<target>\S+) cannot be met within count by (?P<period>\S+?): the roster needs more "
        r"windows, and the snippet raises count",
        "staff.note.raise_count",
    ),
    (
        r"the scenario's breaks were dropped: the advised levels are net of them",
        "staff.note.breaks",
    ),
)


def staff_note(note: str, lang: str | None = None) -> str:
    """A note of the staffing advisor (English in its JSON) in the language."""
    import re

    for pattern, key in _STAFF_NOTES:
        found = re.fullmatch(pattern, note)
        if found:
            return t(key, lang, **found.groupdict())
    return note


_OPTIMISE_TEXTS = (
    (r"enumeration", "opt.method.enumeration"),
    (r"neighbourhood search", "opt.method.search"),
    (
        r"(?P<n>\d+) layouts within the budget \((?P<size>\d+) in the space\); "
        r"(?P<n0>\d+) replications each",
        "opt.progress.enumerated",
    ),
    (
        r"(?P<size>\d+) layouts in the space \(> max_candidates (?P<most>\d+)\): searching",
        "opt.progress.searching",
    ),
    (r"search: (?P<n>\d+) designs visited, at (?P<label>.*)", "opt.progress.visited"),
    (r"feasibility check of (?P<k>\d+) constraint\(s\)", "opt.progress.feasibility"),
    (
        r"(?P<n>\d+) feasible; selecting the best by KN on (?P<metric>\S+) "
        r"\(δ = (?P<delta>\S+)\)",
        "opt.progress.selecting",
    ),
    (r"KN: (?P<k>\d+) candidates left after (?P<r>\d+) replications", "opt.progress.kn"),
    (
        r"the space holds (?P<size>\d+) designs; a neighbourhood search visited "
        r"(?P<visited>\d+), and the selection guarantee is over those \(a local, not a "
        r"global, optimum\)",
        "opt.note.local",
    ),
    (
        r"the (?P<finalists>\d+) best of the (?P<visited>\d+) designs visited \(by their "
        r"first (?P<n0>\d+) days\) went on to the feasibility check and selection",
        "opt.note.finalists",
    ),
    (
        r"the replication cap \((?P<cap>\d+)\) stopped KN with (?P<k>\d+) candidates still "
        r"in contention: the best of them by sample mean is shown, without the guarantee "
        r"\(raise max_replications or delta\)",
        "opt.note.kn_capped",
    ),
    (
        r"(?P<n>\d+) candidate\(s\) reached the replication cap undecided on a constraint "
        r"and were classified by their sample mean",
        "opt.note.feasibility_capped",
    ),
)


def optimise_text(text: str, lang: str | None = None) -> str:
    """A progress line, note or search method of ``hallsim.optimise`` (English, as in
    its JSON) in the language; text it does not know stays as it is."""
    import re

    for pattern, key in _OPTIMISE_TEXTS:
        found = re.fullmatch(pattern, text)
        if found:
            fields = found.groupdict()
            if "metric" in fields and (lang or current()) == "zh":
                from hallsim.metrics.registry import label

                fields["metric"] = label(fields["metric"], "zh")
            return t(key, lang, **fields)
    return text


_SCENARIO_PROBLEMS = (
    (r"unknown key \(misspelt\?\); docs/scenario.md lists the allowed keys", "scn.unknown_key"),
    (r"required field is missing", "scn.missing"),
    (r"must be a finite number \(not inf or nan\), got (?P<got>.*)", "scn.finite"),
    (
        r"unknown distribution (?P<tag>.*); allowed: exponential, deterministic, lognormal, gamma, uniform",
        "scn.unknown_dist",
    ),
    (
        r"a distribution needs dist = exponential\|deterministic\|lognormal\|gamma\|uniform",
        "scn.need_dist",
    ),
    (r"shares must sum to 1 \(within 0.001\), they sum to (?P<total>\S+)", "scn.shares"),
    (r"no such field (?P<key>.*)", "scn.no_field"),
)


def scenario_error(error: object) -> str:
    """A ``hallsim.scenario.ScenarioError`` as the user reads it: in Chinese, its fixed
    parts translated (file and key names stay as they are); in English, as it is."""
    import re

    source, problems = getattr(error, "source", None), getattr(error, "problems", None)
    if current() == "en" or source is None or problems is None:
        return str(error)
    lines = [t("scn.invalid", source=source)]
    for path, message in problems:
        for pattern, key in _SCENARIO_PROBLEMS:
            found = re.fullmatch(pattern, message)
            if found:
                message = t(key, **found.groupdict())
                break
        lines.append(f"  {path or t('scn.file')}: {message}")
    return "\n".join(lines)


_INTERVAL_NOTES = (
    (r"one replication: no interval", "note.one_replication"),
    (r"0 in every replication: upper end by the rule of three", "note.rule_of_three"),
    (r"every replication gave the same value", "note.all_equal"),
    (r"t-interval cut at the metric's range \[(?P<lo>[^,]+), (?P<hi>[^\]]+)\]", "note.cut"),
)


def interval_note(note: str, lang: str | None = None) -> str:
    """A stored interval note (``hallsim.stats.interval_note``, English in summary.json)
    in the language."""
    import re

    for pattern, key in _INTERVAL_NOTES:
        found = re.fullmatch(pattern, note)
        if found:
            return t(key, lang, **found.groupdict())
    return note


WORKBOOK_ZH: dict[str, str] = {
    "sheet.headline": "主要指标",
    "sheet.differences": "与基准差值",
    "sheet.periods": "分时段",
    "sheet.matters": "分事项",
    "sheet.groups": "窗口组",
    "sheet.about": "说明",
    "metric": "指标",
    "metric_code": "代码",
    "unit": "单位",
    "predicted": "模型预测",
    "mean": "均值",
    "ci_low": "95%置信区间下限",
    "ci_high": "95%置信区间上限",
    "scenario": "场景",
    "baseline": "基准",
    "difference": "差值（场景 − 基准）",
    "confidence": "置信水平",
    "reading": "解读",
    "replications": "重复次数",
    "period": "时段",
    "period_start_min": "时段开始（距零点分钟数）",
    "matter": "事项",
    "window_group": "窗口组",
    "windows": "窗口数",
    "arrivals": "到达人次",
    "arrived": "到达人次",
    "served": "办结人次",
    "abandoned": "弃号人次",
    "refused_cap": "限号未取到号",
    "wait_mean_min": "平均等候时长（分钟）",
    "wait_p90_min": "90%分位等候时长（分钟）",
    "queue_len_mean": "平均排队人数",
    "staffed_windows": "开放窗口数",
    "service_level": "按时叫号率",
    "csat": "预测满意率",
    "utilisation": "窗口利用率",
    "utilisation_of": "窗口利用率：{}",
    "yes": "是",
    "no": "否",
    "higher": "更高",
    "lower": "更低",
    "no clear difference": "无明显差异",
    "no interval": "无区间",
    "item": "项目",
    "value": "取值",
    "command": "命令",
    "version": "hallsim 版本",
    "seed": "基础随机种子",
    "folder": "结果文件夹",
    "note": "说明",
    "note.text": (
        "均值为多次重复的平均，95% Student-t 置信区间与 summary.json 一致；分项表为多次重复的均值。"
        "满意度相关数字（满意率、评分、投诉）为模型预测，并非实测。"
    ),
}
"""The Excel workbook's headers and sheet names in Chinese, by ``hallsim.export.HEADERS`` key."""


def workbook_labels(lang: str | None = None) -> dict[str, str] | None:
    """``labels`` for ``hallsim.export.build_workbook``: None in English (its own
    HEADERS), the Chinese headers and metric names in Chinese."""
    if (lang or current()) != "zh":
        return None
    metrics = {m.name: m.label_zh for m in registry.REGISTRY}
    units = {f"unit:{en}": zh for en, (_, zh) in UNITS.items()}
    return {**metrics, **units, **WORKBOOK_ZH}


SCENARIO_KEYS_ZH: dict[str, str] = {
    "back_office_min": "后台审批时长",
    "bundle_saving": "合并办理节省比例",
    "matters_per_visit": "每次来访事项数",
    "one_sitting": "一次办完（同窗合办）",
    "order": "办理顺序",
    "position": "环节位置",
    "station": "所属环节",
    "stations": "环节（导办、出件等）",
    "visits": "多事项来访（一件事一次办）",
    "absent": "缺席（过号）比例",
    "adequate_wait_min": "可接受等候时长",
    "appointments": "预约",
    "arrivals": "到达",
    "attitude": "服务态度",
    "attitude_effects": "态度效应",
    "attitude_reference": "态度参照值",
    "attitude_sd": "态度个体差异（标准差）",
    "attitude_weight_care": "态度权重：关怀",
    "attitude_weight_enthusiasm": "态度权重：热情",
    "attitude_weight_proactiveness": "态度权重：主动",
    "attitude_weight_responsibility": "态度权重：负责",
    "away_min": "离开时长",
    "balk_at_queue": "见队长即离开的排队人数",
    "balk_probability": "按队长离开的概率",
    "baseline": "基准分布",
    "before_open": "开门前到达",
    "beta_abandoned": "系数：弃号",
    "beta_attitude": "系数：服务态度",
    "beta_comfort": "系数：舒适度",
    "beta_overtaken": "系数：被插队",
    "beta_unsettled": "系数：未办结",
    "beta_wait_beyond_adequate_per_min": "系数：超出可接受等候每分钟",
    "beta_wait_per_min": "系数：每分钟等候",
    "booked_share": "预约占比",
    "breaks": "休息安排",
    "care": "关怀",
    "care_time_per_unit": "关怀耗时（每单位）",
    "classes": "群众类别",
    "close": "闭厅时间",
    "comfort": "大厅舒适度",
    "comfort_reference": "舒适度参照值",
    "complaint_share_of_bad": "差评中投诉比例",
    "count": "窗口数",
    "counted_fcr": "计入一次办结率",
    "cutpoints": "评分切点",
    "daily_cap": "每日限号",
    "day_to_day_cv": "日间波动变异系数",
    "day_type": "日类型",
    "day_types": "日类型表",
    "description": "说明",
    "desired_wait_min": "期望等候时长",
    "enabled": "启用",
    "end": "结束时间",
    "enthusiasm": "热情",
    "exempt_from_caps": "不受限号约束",
    "fatigue_per_hour": "每小时疲劳减速",
    "fcr_base": "基础一次办结率",
    "fcr_per_unit": "态度每单位提升的一次办结率",
    "from": "开始时间",
    "grace_min": "宽限时长",
    "hall": "大厅",
    "include_returns": "计入再次来访",
    "lang": "语言",
    "layout": "布局",
    "length_min": "运行时长",
    "line_choice": "选队规则",
    "matter_shares": "事项构成",
    "matters": "事项",
    "max_waiting": "等候区容量",
    "missed_calls": "过号",
    "mode": "运行模式",
    "name": "名称",
    "no_show": "预约未到比例",
    "online_share": "网上办理占比",
    "open": "开厅时间",
    "overtaken_cap": "被插队次数上限",
    "patience": "耐心",
    "perceived_wait_factor": "感知等候系数",
    "period_min": "时段长度",
    "priority": "优先级",
    "proactiveness": "主动",
    "punctuality_mean_min": "准时偏差均值",
    "punctuality_sd_min": "准时偏差标准差",
    "queue": "排队方式",
    "rate_factor": "到达率倍数",
    "rate_per_hour": "每小时到达人数",
    "reference_attitude": "参照态度",
    "renege_min": "等候超时离开时长",
    "replications": "重复次数",
    "report": "报告",
    "requeue": "过号重排方式",
    "responsibility": "负责",
    "return_delay": "再次来访间隔",
    "return_delay_min": "再次来访间隔（分钟）",
    "return_same_day_share": "当日返回比例",
    "rework_time_per_unit": "返工耗时（每单位）",
    "run": "运行设置",
    "satisfaction": "满意度模型",
    "seed": "随机种子",
    "service_level_target_min": "叫号时限目标",
    "service_min": "办理时长",
    "service_time_factor": "办理时长系数",
    "share": "占比",
    "slot_min": "预约时段长度",
    "staffed": "各时段开放窗口数",
    "start": "开始时间",
    "warmup_min": "预热时长",
    "wasted_min": "过号耗费时长",
    "windows": "窗口组",
    "counter_time_factor": "窗口办理时长系数",
    "elastic": "弹性窗口",
    "helpers": "帮办人员",
    "kiosk_success": "自助办成率",
    "kiosk_uptake": "自助终端使用率",
    "kiosks": "自助终端",
    "patience_factor": "耐心系数",
    "speed_factors": "各办事员速度系数",
    "speed_sd": "办事员速度差异（标准差）",
    "success": "办成率",
    "switch_min": "切换耗时",
    "switch_off_queue": "转回的排队人数",
    "switch_on_queue": "转岗的排队人数",
    "tidal": "潮汐窗口",
    "uptake": "使用率",
}
"""The Chinese name of each scenario key (by its last part: ``windows.N.count`` -> count);
docs/scenario.md shows it beside the key, which stays English (it is code)."""


def scenario_key_zh(path: str) -> str:
    """The Chinese name of a scenario key path such as ``windows.N.count``."""
    return SCENARIO_KEYS_ZH.get(path.rsplit(".", 1)[-1], "")


UNITS: dict[str, tuple[str, str]] = {
    "min": ("min", "分钟"),
    "citizens": ("citizens", "人次"),
    "citizens waiting": ("citizens waiting", "人"),
    "%": ("%", "%"),
    "1–5 scale": ("1–5 scale", "1–5分"),
    "calls": ("calls", "次"),
    "switches": ("switches", "次"),
    "hours": ("hours", "小时"),
    "queues": ("queues", "次"),
    "matters": ("matters", "项"),
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
    "err.xlsx_suffix": (
        "--xlsx {path}: a workbook file ends in .xlsx",
        "--xlsx {path}：工作簿文件须以 .xlsx 结尾",
    ),
    "err.slide_suffix": (
        "--slide {path}: a slide file ends in .png, .svg or .pdf",
        "--slide {path}：幻灯片文件须以 .png、.svg 或 .pdf 结尾",
    ),
    "err.out_is_folder": (
        "{path}: is a folder; --out names the scenario file to write",
        "{path}：这是文件夹；--out 应指定要写入的场景文件",
    ),
    "err.out_suffix": (
        "--out {path}: suffix does not match --format {fmt}",
        "--out {path}：文件后缀与 --format {fmt} 不符",
    ),
    "err.x_hue": ("--x and --hue apply to --kind sweep only", "--x 和 --hue 只适用于 --kind sweep"),
    "err.scheduler": ("--scheduler needs --backend dask", "--scheduler 需要配合 --backend dask"),
    "err.bad_scheduler": (
        "--scheduler {address!r}: not a Dask scheduler address ({why}); give one like "
        "tcp://host:8786",
        "--scheduler {address!r}：不是 Dask 调度器地址（{why}）；应形如 tcp://host:8786",
    ),
    "err.sweep_interrupted": (
        "interrupted: {runs_done} of {runs_total} runs done ({points_done} of "
        "{points_total} points); rerun the same command to resume",
        "已中断：{runs_total} 次运行中完成 {runs_done} 次（{points_total} 个参数组合中完成 "
        "{points_done} 个）；重新运行同一命令即可继续",
    ),
    "err.optimise_interrupted": (
        "interrupted; the replications so far are saved in {path}: rerun the same "
        "command to resume",
        "已中断；已完成的重复保存在 {path}：重新运行同一命令即可继续",
    ),
    "err.empty_scheduler": (
        "--scheduler: the address is empty; give one like tcp://host:8786",
        "--scheduler：地址为空；应形如 tcp://host:8786",
    ),
    "err.no_dask": (
        "{option}: the dask backend needs the optional Dask packages, which did not import "
        '({why}); install them with: pip install "hallsim[cluster]"',
        "{option}：dask 后端需要可选的 Dask 软件包，但它们无法导入（{why}）；"
        '请安装：pip install "hallsim[cluster]"',
    ),
    "err.no_scheduler": (
        "cannot reach the dask scheduler at {address}: {why}",
        "无法连接 {address} 上的 dask 调度器：{why}",
    ),
    "err.no_local_cluster": (
        "cannot reach a dask LocalCluster: {why}",
        "无法启动本机的 dask LocalCluster：{why}",
    ),
    "err.invalid_sweep": ("{file}: invalid sweep", "{file}：参数扫描设置无效"),
    "progress.sweep": ("sweep", "参数扫描"),
    "progress.points": ("points", "组合"),
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
    # ---------------------------------------------------------------- scenario errors
    "scn.invalid": ("{source}: invalid scenario", "{source}：场景文件无效"),
    "scn.file": ("(file)", "（文件）"),
    "scn.unknown_key": (
        "unknown key (misspelt?); docs/scenario.md lists the allowed keys",
        "未知的键（拼写错误？）；允许的键见 docs/scenario.md",
    ),
    "scn.missing": ("required field is missing", "缺少必填项"),
    "scn.finite": (
        "must be a finite number (not inf or nan), got {got}",
        "必须是有限数（不能是 inf 或 nan），实际为 {got}",
    ),
    "scn.unknown_dist": (
        "unknown distribution {tag}; allowed: exponential, deterministic, lognormal, gamma, uniform",
        "未知的分布 {tag}；可用：exponential、deterministic、lognormal、gamma、uniform",
    ),
    "scn.need_dist": (
        "a distribution needs dist = exponential|deterministic|lognormal|gamma|uniform",
        "分布须指定 dist = exponential|deterministic|lognormal|gamma|uniform",
    ),
    "scn.shares": (
        "shares must sum to 1 (within 0.001), they sum to {total}",
        "各事项占比之和须为1（误差0.001以内），实际为 {total}",
    ),
    "scn.no_field": ("no such field {key}", "没有这个字段 {key}"),
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
    "describe.station": ("station {station}", "环节 {station}"),
    "describe.visits": ("matters per visit {shares}", "每次来访事项数 {shares}"),
    "describe.ticket_per_matter": (", a ticket per matter", "，每项事项取一次号"),
    "describe.bundle_saving": (", bundle saving {saving}", "，合并办理节省 {saving}"),
    "describe.back_office": (", then back office", "，之后转后台审批"),
    "describe.station_step": (
        "station {name} ({position}, {share}%{back})",
        "环节 {name}（{position}，{share}%{back}）",
    ),
    "describe.position.before": ("before the windows", "窗口之前"),
    "describe.position.after": ("after the windows", "窗口之后"),
    "report.stations.heading": ("Stations", "各环节"),
    "report.stations.text": (
        "Per station, means over replications: queues joined, mean wait, mean time at the "
        "station (wait + service), the mean number there and utilisation. With several "
        "matters per visit or stations in sequence a citizen joins several queues: the "
        "per-citizen metrics (time in the hall, queues per citizen) are in the headline table.",
        "各环节的各次重复均值：排队人次、平均等候、环节用时（等候加办理）、平均在场人数和利用率。"
        "一次来访办多项事项或经过多个环节时，一位群众会排多次队：人均在厅时间、人均排队次数等"
        "按人计算的指标见总表。",
    ),
    "plot.stations.xlabel": (
        "minutes at the station: wait (light) then service (dark), 95% CI",
        "环节用时（分钟）：等候（浅色）与办理（深色），95%置信区间",
    ),
    "plot.stations.title": ("Time at each station ({reps})", "各环节用时（{reps}）"),
    "stations.title": ("stations (mean over replications)", "各环节（各次重复的均值）"),
    "stations.station": ("station", "环节"),
    "stations.arrived": ("queues joined", "排队人次"),
    "stations.wait": ("mean wait, min", "平均等候（分钟）"),
    "stations.time": ("time there, min", "环节用时（分钟）"),
    "stations.number": ("mean number there", "平均在场人数"),
    "stations.utilisation": ("utilisation", "利用率"),
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
    "describe.sep": ("; ", "；"),
    "describe.kiosks": (
        "kiosks {count}× ({matters}; uptake {uptake}%, success {success}%)",
        "自助终端 {count} 台（{matters}；使用率 {uptake}%，办成率 {success}%）",
    ),
    "describe.helpers": ("helpers {count} ({classes})", "帮办人员 {count} 名（{classes}）"),
    "describe.tidal": (
        "tidal {name} → {matters} at {on} waiting, back at {off}",
        "潮汐窗口 {name}：等候 {on} 人时转办 {matters}，{off} 人时转回",
    ),
    "describe.elastic": (
        "elastic {name} opens at {on} waiting, closes at {off}",
        "弹性窗口 {name}：等候 {on} 人时开启，{off} 人时关闭",
    ),
    "describe.speed_sd": ("speed sd {sd}", "速度标准差 {sd}"),
    "describe.speeds": ("speeds {factors}", "速度系数 {factors}"),
    "describe.clerks": ("{name} clerks {spread}", "{name} 办事员{spread}"),
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
    "staff.note.raise_count": (
        "{target} cannot be met within count by {period}: the roster needs more windows, and the snippet raises count",
        "在 {period} 之前，现有窗口数（count）内无法达到 {target}：排班需要更多窗口，下面的配置已提高 count",
    ),
    "staff.note.breaks": (
        "the scenario's breaks were dropped: the advised levels are net of them",
        "已去掉场景中的休息安排：建议的窗口数为扣除休息后的在岗数",
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
        "Median and 90th-percentile wait per replication (box plots)\none value per replication, {reps}",
        "每次重复的等候时长中位数与90%分位数（箱线图）\n每次重复一个值，{reps}",
    ),
    "plot.target": ("target {target} min", "目标 {target} 分钟"),
    "plot.compare.bonferroni": (
        "{conf}% CIs, Bonferroni-adjusted: 95% family-wise",
        "{conf}%置信区间，Bonferroni 校正：整体95%",
    ),
    "plot.ci95": ("95% CI", "95%置信区间"),
    "plot.day.staffed": ("windows\nstaffed", "开放\n窗口数"),
    "plot.day.queue_y": ("waiting\n(citizens)", "等候人数\n（人）"),
    "plot.day.wait_y": ("mean wait\n(min)", "平均等候\n（分钟）"),
    "plot.day.queue_title": ("Queue length by period, whole hall", "全厅各时段排队人数"),
    "plot.day.group_title": (
        "Queue by window group (from the citizen log)",
        "各窗口组排队人数（据群众办事记录）",
    ),
    "plot.day.group": ("group {group}", "窗口组 {group}"),
    "plot.day.wait_title": (
        "Mean wait by period (ticket to call)",
        "各时段平均等候时长（取号到叫号）",
    ),
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
    "plot.matters.title": (
        "Mean wait by matter and hour of arrival (served citizens, {reps}; grey: fewer than {n})",
        "分事项、分到达时段的平均等候时长（已办理群众，{reps}；灰色：少于 {n} 人）",
    ),
    "plot.matters.x": ("hour of arrival (ticket)", "到达（取号）时段"),
    "plot.matters.bar": (
        "mean wait (min); lighter = shorter",
        "平均等候时长（分钟）；颜色越浅越短",
    ),
    "plot.lighter_better": ("lighter = better", "颜色越浅越好"),
    "plot.group_n": ("group {n}", "第 {n} 组"),
    "plot.roster.advised": ("advised", "建议"),
    "plot.roster.staffed": ("windows staffed", "开放窗口数"),
    "plot.roster.title": (
        "Windows per period: advised (simulation-checked) vs Erlang; staff-hours {hours} vs {erlang}",
        "各时段窗口数：建议排班（经模拟检验）与 Erlang 公式对比；窗口工时 {hours} 对 {erlang}",
    ),
    "plot.roster.advised_sim": (
        "advised roster (simulated, 95% CI)",
        "建议排班（模拟，95%置信区间）",
    ),
    "plot.roster.erlang_sim": ("Erlang's roster (simulated)", "Erlang 排班（模拟）"),
    "plot.roster.target": ("target {target}", "目标 {target}"),
    "plot.roster.x": ("time of day", "时刻"),
    "plot.roster.suptitle": (
        "Staffing advice for {name}: {target} in every period ({n} replications)",
        "{name} 排班建议：每个时段均满足 {target}（重复 {n} 次）",
    ),
    "plot.sens.x": ("change from the base: {label}", "相对基准的变化：{label}"),
    "plot.sens.title": (
        "Sensitivity of {name}: {label}{note}, each assumption over its plausible range",
        "{name} 的敏感性：各项假设在其合理范围内变化时的{label}{note}",
    ),
    "plot.clerks.util": (
        "{name}: utilisation (busy ÷ staffed)",
        "{name}：窗口利用率（办理 ÷ 在岗）",
    ),
    "plot.clerks.service": ("mean service time (min)", "平均办理时长（分钟）"),
    "plot.clerks.util_x": ("utilisation (%)", "窗口利用率（%）"),
    "plot.clerks.minutes": ("minutes", "分钟"),
    "plot.clerks.title": (
        "Clerks by window (speed factor in brackets; mean of {reps})",
        "各窗口办事员（括号内为速度系数；{reps}的均值）",
    ),
    "plots.t.zoomed": ("axis zoomed: {lo:.0f}–{hi:.0f}%", "坐标轴已放大：{lo:.0f}–{hi:.0f}%"),
    "plots.t.compare_method": (
        "Top: mean with 95% CI over {reps}{crn}. ",
        "上排：{reps}的均值及95%置信区间{crn}。",
    ),
    "plots.t.crn": (" on common random numbers", "（共同随机数）"),
    "plots.t.compare_bottom": (
        "Bottom: paired difference to baseline {base} ({level}); hollow marker = interval includes 0.",
        "下排：与基准 {base} 的配对差值（{level}）；空心标记 = 区间包含0。",
    ),
    "plots.t.after_close": (
        "after {close} (closing): periods dropped",
        "{close}（闭厅）之后的时段已略去",
    ),
    "plots.param.windows.*.count": ("windows: {group}", "窗口数：{group}"),
    "plots.param.windows.*.attitude": ("staff attitude (0–1): {group}", "服务态度（0–1）：{group}"),
    "plots.param.windows.*.service_time_factor": (
        "service-time factor: {group}",
        "办理时长系数：{group}",
    ),
    "plots.param.arrivals.rate_per_hour": ("arrivals per hour", "每小时到达人数"),
    "plots.param.arrivals.online_share": ("share booked online", "网上办理占比"),
    "plots.param.hall.service_level_target_min": (
        "service-level target (min)",
        "叫号时限目标（分钟）",
    ),
    "plots.param.hall.comfort": ("hall comfort (0–1)", "大厅舒适度（0–1）"),
    "plots.param.patience.balk_at_queue": (
        "leave on sight of a queue of",
        "见队长即离开的排队人数",
    ),
    "plot.sat.band0": ("1–2 dissatisfied (predicted)", "1–2分 不满意（预测）"),
    "plot.sat.band1": ("3 neutral (predicted)", "3分 一般（预测）"),
    "plot.sat.band2": ("4–5 satisfied (predicted)", "4–5分 满意（预测）"),
    "plot.sweep.line_per": ("one line per {hue}", "每条线对应一个{hue}取值"),
    "plot.sweep.pair": ("mean by parameter pair", "各参数组合的均值"),
    "plot.sweep.title": ("{metric} vs {x}", "{metric} 随 {x} 的变化"),
    "plot.sweep.sub": (
        "mean with 95% CI band over {n} replications",
        "{n} 次重复的均值及95%置信带",
    ),
    "plot.sweep.sub_plain": ("mean with 95% CI", "均值及95%置信区间"),
    "plot.sweep.held": ("; held: {held}", "；固定：{held}"),
    "plot.bt.one_day": ("simulated one day, 95%", "模拟单日95%预测区间"),
    "plot.bt.mean_ci": ("simulated mean, 95% CI", "模拟均值95%置信区间"),
    "plot.bt.mean": ("simulated mean", "模拟均值"),
    "plot.bt.observed": ("observed (log)", "实测（取号记录）"),
    "plot.bt.title": (
        "Backtest: {scenario} — {days} observed days, {reps} simulated days (simulated = predicted, not data)",
        "回测：{scenario} — 实测 {days} 天，模拟 {reps} 天（模拟值为预测，并非数据）",
    ),
    "plot.sat.rating": ("{k} (predicted)", "{k}分（预测）"),
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
    # ---------------------------------------------------------------- report (report.py, templates)
    "report.html_title": ("hallsim report: {title}", "hallsim 报告：{title}"),
    "report.sub": (
        "hallsim {kind} report · {n} replication{s}",
        "hallsim {kind} 报告 · 重复 {n} 次",
    ),
    "report.crn_baseline": ("on common random numbers · baseline", "共同随机数 · 基准"),
    "report.contents": ("Contents", "目录"),
    "report.settings": ("Scenario settings", "场景设置"),
    "report.robustness": ("Does the advice survive the assumptions?", "结论对假设是否稳健？"),
    "report.figures": ("Figures", "图表"),
    "report.replay": ("Replay of the day", "大厅一日回放"),
    "report.provenance": ("How these results were made", "结果如何得出"),
    "report.predicted_note": (
        "Satisfaction figures (CSAT, ratings, complaints) are model predictions, not measurements.",
        "满意度相关数字（满意率、评分、投诉）为模型预测，并非实测。",
    ),
    "report.differs_note": (
        "Rows where the scenarios differ are highlighted.",
        "各场景取值不同的行已高亮。",
    ),
    "report.setting": ("setting", "设置项"),
    "report.description": ("description", "说明"),
    "report.headline_note": (
        "Mean over {n} replications [95% Student-t confidence interval, kept inside the metric's range]. Shares are in per cent.",
        "{n} 次重复的均值 [95% Student-t 置信区间，限定在指标取值范围内]。比例以百分数表示。",
    ),
    "report.unit": ("unit", "单位"),
    "report.range_note": (
        "* An interval stays inside its metric's range (counts and times ≥ 0, shares 0–100%, ratings 1–5):",
        "* 置信区间限定在指标取值范围内（人次与时长 ≥ 0，比例 0–100%，评分 1–5）：",
    ),
    "report.differences": ("Paired differences to the baseline", "与基准的配对差值"),
    "report.differences_note": (
        "Scenario − {baseline} over common random numbers, mean [{interval}]. “No clear difference” means the interval includes 0.",
        "场景 − {baseline}（共同随机数），均值 [{interval}]。“无明显差异”表示区间包含0。",
    ),
    "report.bonferroni": (
        "Bonferroni-adjusted interval, 95% for the family of comparisons",
        "Bonferroni 校正区间，整组比较共95%",
    ),
    "report.comparison": ("comparison", "比较"),
    "report.reading": ("reading", "解读"),
    "report.robustness_note": (
        "Each of {n} assumptions (attitude effects, return timing, generalist slowdown and every satisfaction coefficient) was moved, one at a time, over its plausible range (docs/model.md §5) on the same random numbers; the table says whether the best scenario and the full ranking per metric stay the same, and if not at which value (nearest the base) they change.",
        "{n} 项假设（态度效应、再次来访时间、综合窗口减速及每个满意度系数）逐一在其合理范围内变化（docs/model.md §5），使用相同随机数；下表说明各指标的最优场景与完整排序是否不变，若变化，在哪个取值（最接近基准值处）发生变化。",
    ),
    "report.rb.best": ("best at the base", "基准下最优"),
    "report.rb.same": ("same under every value tried?", "所有取值下均不变？"),
    "report.rb.flips": ("best changes at", "最优改变于"),
    "report.rb.ranking": ("ranking at the base", "基准下排序"),
    "report.rb.reorders": ("ranking changes at", "排序改变于"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "report.tornado_caption": (
        "Paired difference to {baseline} at the low and high end of each assumption's range (largest swing on top); the black line is the base difference, the dotted line 0.",
        "各项假设取合理范围下限与上限时与 {baseline} 的配对差值（影响最大的在上）；黑线为基准差值，点线为0。",
    ),
    "report.decomp": ("Where the difference in mean wait comes from", "平均等候时长差异从何而来"),
    "report.decomp_note": (
        "Every scenario re-run without return visits (nobody comes back the same day; ticket counts read at the scenario's own first-contact resolution) on the same random numbers: the part of the difference that disappears is due to return visits.",
        "每个场景在相同随机数下去掉再次来访重新模拟（当日无人返回；取号数按该场景自身的一次办结率计）：差值中消失的部分源于再次来访。",
    ),
    "report.decomp.total": ("mean wait difference", "平均等候时长差值"),
    "report.decomp.returns": ("from return visits", "来自再次来访"),
    "report.decomp.share": ("share", "占比"),
    "report.decomp.rest": ("the rest", "其余"),
    "report.not_available": ("Not available:", "无法生成："),
    "report.sat_assumptions": ("Model assumptions: predicted satisfaction", "模型假设：预测满意度"),
    "report.sat_model": (
        "The ratings are predicted by an ordered-logit model of the 1–5 rating from each visit's wait, the clerk's attitude, whether the matter was settled, fairness and hall comfort; they are not survey results.",
        "评分由有序 logit 模型预测：1–5分评分取决于每次来访的等候时长、窗口人员态度、事项是否办结、公平感和大厅舒适度；并非调查结果。",
    ),
    "report.per_scenario": (
        "A value applies to every scenario unless the row lists one per scenario (highlighted).",
        "除非该行按场景分别列出（已高亮），取值适用于所有场景。",
    ),
    "report.coef_meaning": ("coefficient and meaning", "系数及含义"),
    "report.value_used": ("value used", "所用取值"),
    "report.default": ("default", "默认值"),
    "report.kind": ("kind", "类型"),
    "report.source": ("source", "来源"),
    "report.coefficient": ("coefficient", "系数"),
    "report.neutral": ("neutral", "中性值"),
    "report.att_assumptions": (
        "Model assumptions: attitude effects on the queue",
        "模型假设：服务态度对排队的影响",
    ),
    "report.att_note": (
        "How staff attitude changes first-contact resolution, return visits and service time. These produce the wait effect of training; all are assumptions, each with a neutral value that switches it off.",
        "服务态度如何影响一次办结率、再次来访和办理时长。培训对等候的作用由此产生；均为假设，每项都有可将其关闭的中性值。",
    ),
    "report.rerun": (
        "Rerun this exact command with the same hallsim version to reproduce every number:",
        "用相同版本的 hallsim 重新运行此命令即可复现每个数字：",
    ),
    "report.version": ("hallsim version", "hallsim 版本"),
    "report.made_with": ("(report made with {version})", "（报告由 {version} 生成）"),
    "report.seed": ("base seed", "基础随机种子"),
    "report.replications": ("replications", "重复次数"),
    "report.seeds_of": ("seeds: {name}", "随机种子：{name}"),
    "report.folder": ("results folder", "结果文件夹"),
    "report.files": ("scenario files", "场景文件"),
    "report.copies": (
        "(copies in scenarios/ of the results folder)",
        "（副本在结果文件夹的 scenarios/ 中）",
    ),
    "report.footer": (
        "Made by hallsim {version} from saved results; no simulation was run to make this page. Self-contained: figures are embedded, no network needed.",
        "由 hallsim {version} 根据已保存的结果生成；生成本页未运行模拟。本页自包含：图表已内嵌，无需联网。",
    ),
    "report.fig.matters": ("Wait by matter and hour", "分事项分时段等候时长"),
    "report.fig.matters.caption": (
        "Mean wait of the served citizens by matter and hour of arrival, pooled over the replications; lighter is shorter, grey cells had too few citizens to say.",
        "已办理群众按事项和到达时段的平均等候时长（多次重复合并）；颜色越浅等候越短，灰色格子人数太少，无法判断。",
    ),
    "report.fig.stations": ("Time at each station", "各环节用时"),
    "report.fig.stations.caption": (
        "Per station (reception, windows, pick-up): the mean wait (light) and service (dark) "
        "per queue joined, with the 95% interval of the time there (docs/visits.md).",
        "各环节（导办、窗口、出件）每次排队的平均等候（浅色）与办理（深色），"
        "以及环节用时的95%置信区间（docs/visits.md）。",
    ),
    "report.fig.clerks": ("Clerks who differ in speed", "办事员办理速度差异"),
    "report.fig.clerks.caption": (
        "Each window's clerk: utilisation and mean service time over the replications, with the clerk's speed factor (shown only when the scenario sets speed_sd or speed_factors).",
        "各窗口办事员的窗口利用率和平均办理时长（多次重复的均值）及其速度系数（仅当场景设置 speed_sd 或 speed_factors 时显示）。",
    ),
    # ---------------------------------------------------------------- decision.py (first screen)
    "decision.plain.wait_mean_min": ("Average wait for a window", "平均等候时长"),
    "decision.plain.wait_p90_min": (
        "9 in 10 citizens are called within",
        "九成群众的等候时长不超过",
    ),
    "decision.plain.service_level": ("Called within {target} min", "{target}分钟内叫号率"),
    "decision.plain.abandoned": (
        "Left without being served, per day",
        "每日未办理即离开（弃号）人次",
    ),
    "decision.plain.return_visits": ("Came back the same day", "当日再次来访人次"),
    "decision.plain.first_contact_resolution": ("Matter settled on the first visit", "一次办结率"),
    "decision.plain.utilisation": (
        "Share of staffed time the windows are busy",
        "窗口利用率（在岗时间中办理业务的占比）",
    ),
    "decision.plain.csat": ("Satisfied, rating 4–5 (predicted)", "预测满意率（评4–5分）"),
    "decision.plain.bad_review_rate": (
        "Dissatisfied, rating 1–2 (predicted)",
        "差评率（预测，评1–2分）",
    ),
    "decision.plain.staff_hours": ("Window hours staffed per day (cost)", "每日窗口工时（成本）"),
    "decision.t.question_compare": (
        "Which works better for the hall: {names}?",
        "{names}：哪个方案对大厅更好？",
    ),
    "decision.t.question_run": ("How does {name} serve the hall?", "{name}的服务效果如何？"),
    "decision.t.or": (" or ", "还是"),
    "decision.t.better": ("better", "更好"),
    "decision.t.worse": ("worse", "更差"),
    "decision.t.no_clear": ("no clear difference", "无明显差异"),
    "decision.t.baseline": ("baseline", "基准"),
    "decision.t.improves": ("{name} improves {what}", "{name}使{what}"),
    "decision.t.by": ("{what} by {amount}", "{what}{amount}"),
    "decision.t.worsens": ("worsens {what} by {amount}", "{what}会{amount}"),
    "decision.t.loss_subject": ("{name} ", "{name}的"),
    "decision.t.no_change": (
        "{name} makes no clear difference to {base} on the key measures",
        "{name}与{base}相比，主要指标无明显差异",
    ),
    "decision.t.adds_hours": ("needs {hours} more window hours a day", "每天多需{hours}个窗口工时"),
    "decision.t.saves_hours": ("saves {hours} window hours a day", "每天节省{hours}个窗口工时"),
    "decision.t.same_hours": ("needs no extra window hours", "无需增加窗口工时"),
    "decision.t.run_verdict": (
        "{name}: average wait {wait}, {sl} called within {target} min{abandoned}.",
        "{name}：平均等候时长{wait}，{target}分钟内叫号率{sl}{abandoned}。",
    ),
    "decision.t.run_abandoned": (", {n} a day leave unserved", "，每天{n}人次未办理即离开"),
    "decision.t.points": ("{v:.1f} percentage points", "{v:.1f}个百分点"),
    "decision.t.minutes": ("{v:.1f} min", "{v:.1f}分钟"),
    "decision.t.citizens": ("{v:.1f} citizens a day", "每天{v:.1f}人次"),
    "decision.t.hours": ("{v:.1f}", "{v:.1f}"),
    # the amount of a change: Chinese puts a verb of change before it (缩短3.2分钟)
    "decision.t.points_up": ("{amount}", "提高{amount}"),
    "decision.t.points_down": ("{amount}", "降低{amount}"),
    "decision.t.minutes_up": ("{amount}", "延长{amount}"),
    "decision.t.minutes_down": ("{amount}", "缩短{amount}"),
    "decision.t.citizens_up": ("{amount}", "增加{amount}"),
    "decision.t.citizens_down": ("{amount}", "减少{amount}"),
    "decision.t.but": (", but ", "，但"),
    "decision.t.and": (" and ", "、"),
    "decision.t.then": (", and ", "，同时"),
    "decision.t.sep": ("; ", "；"),
    "decision.t.end": (".", "。"),
    "decision.t.pp": (" pp", "个百分点"),
    "decision.t.min": (" min", "分钟"),
    "decision.t.h": (" h", "小时"),
    "decision.what.wait_mean_min": ("the average wait", "平均等候时长"),
    "decision.what.service_level": ("the share called within {target} min", "{target}分钟内叫号率"),
    "decision.what.abandoned": ("the number who leave unserved", "弃号人次"),
    "decision.what.csat": ("predicted satisfaction (rating 4–5)", "预测满意率（评4–5分）"),
    "decision.tile.wait_mean_min": ("Average wait", "平均等候时长"),
    "decision.tile.service_level": ("Called within {target} min", "{target}分钟内叫号率"),
    "decision.tile.abandoned": ("Left unserved / day", "每日弃号"),
    "decision.tile.csat": ("Satisfied (predicted)", "预测满意率"),
    "decision.tile.staff_hours": ("Window hours / day", "每日窗口工时"),
    # ---------------------------------------------------------------- report: first screen
    "report.kpis": ("Key figures", "关键指标"),
    "report.ci95_range": ("95% CI {range}", "95%置信区间 {range}"),
    "report.judged_note": (
        "Better/worse: the paired interval against {baseline} excludes 0; otherwise “no clear difference”.",
        "更好/更差：与 {baseline} 的配对区间不含0；否则为“无明显差异”。",
    ),
    "report.plain": ("The figures in plain words", "数字的通俗解读"),
    "report.plain_note": (
        "Mean over {n} replications with its 95% interval",
        "{n} 次重复的均值及其95%区间",
    ),
    "report.plain_note_diff": (
        "; for each alternative the difference to {baseline}, worded better or worse when its paired interval excludes 0",
        "；各备选方案列出与 {baseline} 的差值，配对区间不含0时注明更好或更差",
    ),
    "report.plain_note_zero": (
        ". Rows that are zero in every scenario are left out.",
        "。各场景均为0的行已略去。",
    ),
    "report.breakdown": ("Per matter and window group", "分事项与分窗口组"),
    "report.per_matter": ("Per matter", "分事项"),
    "report.per_matter_note": (
        "Average wait · share called within the target · satisfied (predicted), mean over the replications.",
        "平均等候时长 · 按时叫号率 · 预测满意率，多次重复的均值。",
    ),
    "report.matter": ("matter", "事项"),
    "report.per_group": ("Per window group", "分窗口组"),
    "report.per_group_note": (
        "Windows · average wait · share of staffed time busy, mean over the replications.",
        "窗口数 · 平均等候时长 · 窗口利用率，多次重复的均值。",
    ),
    "report.window_group": ("window group", "窗口组"),
    "report.appendix": (
        "Appendix: all metrics, settings, assumptions, provenance",
        "附录：全部指标、设置、假设与来源",
    ),
    "report.app": ("Appendix {letter}. {title}", "附录{letter}　{title}"),
    "report.all_metrics": ("All metrics", "全部指标"),
    # ---------------------------------------------------------------- report.TEXT (sweep, staff, sensitivity)
    "report.t.reps_run": (
        "{run} run (the scenario file says {file})",
        "实际运行 {run} 次（场景文件为 {file} 次）",
    ),
    "report.t.windows_n": ("{n} windows", "{n} 个窗口"),
    "report.t.staff_question": (
        "How many windows does {name} need each period for {target}?",
        "{name} 每个时段需要开放多少个窗口才能满足 {target}？",
    ),
    "report.t.staff_sub": (
        "{reps} replications, seed {seed}, on common random numbers",
        "重复 {reps} 次，随机种子 {seed}，共同随机数",
    ),
    "report.t.staff_verdict": (
        "The advised roster meets {target} in every period with {hours} window hours a day (Erlang's formula alone: {erlang}; the scenario as written: {written}); over the whole day it achieves {day} [{range}].",
        "建议排班每天用 {hours} 个窗口工时即可在每个时段满足 {target}（仅按 Erlang 公式：{erlang}；场景原排班：{written}）；全天达到 {day} [{range}]。",
    ),
    "report.t.period": ("period", "时段"),
    "report.t.advised": ("advised", "建议"),
    "report.t.erlang": ("Erlang", "Erlang"),
    "report.t.per_period": ("Per period", "分时段"),
    "report.t.roster_heading": (
        "Roster: windows per period, Erlang vs simulation",
        "排班：各时段窗口数，Erlang 公式与模拟对比",
    ),
    "report.t.roster_caption": (
        "Top: windows staffed per period, advised after simulation (solid) and from Erlang's formula (dashed). Bottom: the target metric each period achieves with each roster (simulated; 95% interval for the advised one); the dotted line is the target.",
        "上图：各时段开放窗口数，模拟后的建议（实线）与 Erlang 公式（虚线）。下图：各排班下每个时段的目标指标（模拟值；建议排班附95%区间）；点线为目标。",
    ),
    "report.t.sens_question": (
        "Which model assumptions move the results of {name} most?",
        "哪些模型假设对 {name} 的结果影响最大？",
    ),
    "report.t.sens_clause": (
        "{what} moves most with {top} (up to {amount})",
        "{what}受 {top} 影响最大（最多 {amount}）",
    ),
    "report.t.sens_note": (
        "Each assumption is set, one at a time, to each value of its plausible range on the same random numbers; satisfaction figures are model predictions.",
        "每次只改变一项假设，在相同随机数下依次取其合理范围内的各个值；满意度数字为模型预测。",
    ),
    "report.t.tornado": ("Tornado", "龙卷风图"),
    "report.t.sens_caption": (
        "Per assumption, the range of the change from the base over its plausible values; largest swing on top.",
        "每项假设在其合理取值范围内相对基准的变化幅度；变化最大的在最上方。",
    ),
    "report.t.assumption": ("assumption", "假设"),
    "report.t.value": ("value", "取值"),
    "report.t.base": ("base", "基准值"),
    "report.t.every_value": ("Every value tried", "所有试过的取值"),
    "report.t.best": ("best", "最好"),
    "report.t.worst": ("worst", "最差"),
    "report.t.lowest": ("lowest", "最低"),
    "report.t.highest": ("highest", "最高"),
    "report.t.sweep_question": (
        "How do {what} change with {params}?",
        "{what}如何随“{params}”变化？",
    ),
    "report.t.sweep_range": (
        "{what} goes from {lo} to {hi} over the settings, best at {best}",
        "各设置下{what}从 {lo} 到 {hi}，{best} 时最好",
    ),
    "report.t.and": (" and ", "和"),
    "report.t.sep": ("; ", "；"),
    "report.t.end": (".", "。"),
    # a metric that is neither better nor worse (decision.UNJUDGED_METRICS): its direction
    "report.t.lower": ("lower", "更低"),
    "report.t.higher": ("higher", "更高"),
    "report.t.kind_report": ("hallsim {kind} report: {title}", "hallsim {kind}报告：{title}"),
    "report.t.kind_staffing": ("staffing", "排班"),
    "report.t.kind_sensitivity": ("sensitivity", "敏感性"),
    "report.t.brief_appendix": ("Appendix. How these results were made", "附录　结果如何得出"),
    "report.t.made_with_label": ("report made with", "报告生成工具"),
    "report.t.brief_footer": (
        "Made by hallsim {version}. Self-contained: figures are embedded, no network needed.",
        "由 hallsim {version} 生成。本页自包含：图表已内嵌，无需联网。",
    ),
    "report.t.prov_scenario": ("scenario", "场景"),
    "report.t.prov_target": ("target", "目标"),
    "report.t.prov_replications": ("replications", "重复次数"),
    "report.t.prov_seed": ("seed", "随机种子"),
    "report.t.prov_rosters": ("rosters simulated", "模拟的排班套数"),
    "report.t.prov_staffed": (
        "staffed = (paste into [[windows]])",
        "staffed =（粘贴到 [[windows]]）",
    ),
    "report.t.prov_visits": ("visits rated", "参与评价的来访人次"),
    "report.t.sweep_title": ("hallsim sweep report: {title}", "hallsim 参数扫描报告：{title}"),
    "report.t.sweep_sub": (
        "hallsim sweep report · {points} settings × {reps} replications on common random numbers",
        "hallsim 参数扫描报告 · {points} 组设置 × 重复 {reps} 次，共同随机数",
    ),
    "report.t.sweep_note": (
        "Satisfaction figures are model predictions, not measurements. Best and worst are the point means; neighbouring settings whose intervals overlap may not differ.",
        "满意度数字为模型预测，并非实测。最好与最差按点均值判断；区间重叠的相邻设置未必有差异。",
    ),
    "report.t.every_setting": ("Every setting", "所有设置"),
    "report.t.every_setting_note": (
        "Mean over {n} replications [95% interval], one row per setting.",
        "{n} 次重复的均值 [95%区间]，每组设置一行。",
    ),
    "report.t.sweep_caption": (
        "Mean with its 95% band over the replications; with a second parameter, one line per value and a heat map where lighter is better.",
        "多次重复的均值及95%置信带；有第二个参数时，每个取值一条线，并附热力图（颜色越浅越好）。",
    ),
    "report.t.reps_per_setting": ("replications per setting", "每组设置的重复次数"),
    "report.fig.compare": ("Key metrics with 95% confidence intervals", "主要指标及95%置信区间"),
    "report.fig.compare.caption": (
        "Top: each scenario's mean over the replications with its 95% Student-t interval. Bottom (comparisons): the paired difference to the baseline over common random numbers; a hollow marker means the interval includes 0 (no clear difference).",
        "上排：各场景多次重复的均值及95% Student-t 区间。下排（比较时）：共同随机数下与基准的配对差值；空心标记表示区间包含0（无明显差异）。",
    ),
    "report.fig.waits": ("How long citizens wait", "群众等候多久"),
    "report.fig.waits.caption": (
        "Share of citizens called within a given wait; the dashed line is the service-level target and the dot on each curve is that scenario's service level.",
        "在给定等候时长内被叫号的群众占比；虚线为叫号时限目标，曲线上的点为该场景的按时叫号率。",
    ),
    "report.fig.day": ("Over the day", "全天变化"),
    "report.fig.day.caption": (
        "Queue length and mean wait by period (mean across replications with 95% bands); dotted: windows staffed.",
        "各时段排队人数与平均等候时长（多次重复的均值及95%置信带）；点线：开放窗口数。",
    ),
    "report.fig.utilisation": (
        "Window utilisation by group and period",
        "各窗口组分时段窗口利用率",
    ),
    "report.fig.utilisation.caption": (
        "Busy time ÷ staffed time of each window group in each period, mean across replications.",
        "各窗口组各时段的办理时间 ÷ 在岗时间，多次重复的均值。",
    ),
    "report.fig.satisfaction": (
        "Predicted satisfaction (model prediction)",
        "预测满意度（模型预测）",
    ),
    "report.fig.satisfaction.caption": (
        "Predicted share of ratings 1–2, 3 and 4–5 on the 1–5 scale. These are outputs of the satisfaction model below, not survey measurements.",
        "1–5分评分中1–2分、3分和4–5分的预测占比。这些是下文满意度模型的输出，并非调查实测。",
    ),
    "higher": ("higher", "更高"),
    "lower": ("lower", "更低"),
    "report.tornado": ("Tornado: {label}", "龙卷风图：{label}"),
    "report.sat_note": (
        "Coefficients of the predicted-satisfaction model (hallsim.satisfaction): 'sourced' and 'derived' values cite their evidence; 'assumption' marks a value chosen without direct evidence.",
        "预测满意度模型（hallsim.satisfaction）的系数：“sourced”与“derived”注明其依据；“assumption”表示无直接证据而选定的取值。",
    ),
    "report.sat_note_missing": (
        "The satisfaction model's documented coefficient list is not available in this installation; the values the scenarios used are shown without sources.",
        "本安装中缺少满意度模型的系数说明；仅列出场景所用取值，不含来源。",
    ),
    "report.seeds": (
        "seed {seeds}, replications {span}: {n} independent sets of random streams, each derived from (seed, replication)",
        "随机种子 {seeds}，重复 {span}：{n} 组相互独立的随机数流，各由（种子，重复编号）导出",
    ),
    # ---------------------------------------------------------------- interval notes, settings
    "note.one_replication": ("one replication: no interval", "仅一次重复：无区间"),
    "note.rule_of_three": (
        "0 in every replication: upper end by the rule of three",
        "每次重复均为0：上限按“三法则”",
    ),
    "note.all_equal": ("every replication gave the same value", "每次重复取值相同"),
    "note.cut": (
        "t-interval cut at the metric's range [{lo}, {hi}]",
        "t 区间已截断在指标取值范围 [{lo}, {hi}] 内",
    ),
    "settings.matter_share": ("{share}% of demand", "占需求 {share}%"),
    "settings.service": ("service {service} min", "办理 {service} 分钟"),
    "settings.serving": ("{count} × serving {matters}", "{count} 个窗口，办理 {matters}"),
    # ---------------------------------------------------------------- one-slide summary (slide.py)
    "slide.kpi.wait": ("mean wait", "平均等候时长"),
    "slide.kpi.sl": ("called within target", "按时叫号率"),
    "slide.kpi.abandoned": ("left unserved / day", "每日弃号"),
    "slide.kpi.csat": ("satisfied (predicted)", "预测满意率"),
    "slide.min": ("min", "分钟"),
    "slide.ci": ("95% CI", "95%区间"),
    "slide.points": ("{n} points", "{n} 个百分点"),
    "slide.by": ("{title} {word} by {amount}", "{title}{word} {amount}"),
    "slide.no_difference": (
        "{scenario}: no clear difference from {baseline} on these metrics",
        "{scenario}：这些指标与 {baseline} 无明显差异",
    ),
    "slide.vs": ("{scenario} vs {baseline}: ", "{scenario} 对比 {baseline}："),
    "slide.sep": ("; ", "；"),
    "slide.replications": ("{n} replications", "重复 {n} 次"),
    "slide.crn": (
        " on common random numbers · baseline {baseline}",
        "（共同随机数）· 基准 {baseline}",
    ),
    "slide.baseline": ("baseline", "基准"),
    "slide.foot": (
        "Satisfied (predicted): share rating 4–5 predicted by the satisfaction model, not a survey.",
        "预测满意率：满意度模型预测的4–5分占比，并非调查结果。",
    ),
    # ---------------------------------------------------------------- replay (templates/replay.html.j2)
    "replay.one_day": (
        "Replication {n} — one possible day, not the average day",
        "第 {n} 次重复 — 可能的一天，并非平均的一天",
    ),
    "replay.citizens": ("{name}: {n} citizens", "{name}：{n} 人次"),
    "replay.same_arrivals": ("; the scenarios see the same arrivals", "；各场景的到达群众相同"),
    "replay.full_stop": (".", "。"),
    "replay.boxes": (
        "Boxes are windows (lit while serving), dots the citizens waiting in each queue.",
        "方框为窗口（办理时点亮），圆点为各队列中等候的群众。",
    ),
    "replay.not_shown": ("Not shown: {items}.", "未显示：{items}。"),
    "replay.play": ("Play", "播放"),
    "replay.pause": ("Pause", "暂停"),
    "replay.speed": ("Speed", "速度"),
    "replay.time": ("time of day", "时刻"),
    "replay.serving": ("serving", "办理中"),
    "replay.idle": ("idle", "空闲"),
    "replay.closed": ("closed", "未开"),
    "replay.waiting": ("waiting", "等候"),
    # ---------------------------------------------------------------- sweep, calibrate, sensitivity
    "sweep.complete": (
        "{name}: sweep already complete in {folder}",
        "{name}：参数扫描已在 {folder} 中完成",
    ),
    "sweep.workers": ("{backend}, {n} worker{s}", "{backend}，{n} 个进程"),
    "sweep.done": (
        "{name}: {points} points × {reps} replications ({params}), {runs} runs in {seconds} s ({rate} points/s; {where})",
        "{name}：{points} 个参数组合 × {reps} 次重复（{params}），共 {runs} 次运行，用时 {seconds} 秒（每秒 {rate} 个组合；{where}）",
    ),
    "cal.base_scenario": ("scenario {name!r}", "场景 {name!r}"),
    "cal.base_defaults": ("package defaults", "软件默认值"),
    "cal.title": (
        "Calibrated satisfaction coefficients: {survey} (n = {n}, ordered logit, base = {base})",
        "满意度系数校准：{survey}（n = {n}，有序 logit，基准 = {base}）",
    ),
    "cal.estimate": ("estimate", "估计值"),
    "cal.se": ("std. error", "标准误"),
    "cal.base": ("base", "基准"),
    "cal.fitted": ("fitted", "已拟合"),
    "cal.kept": ("kept: {note}", "保留：{note}"),
    "cal.shares": ("Share of each rating", "各评分占比"),
    "cal.observed": ("observed", "实测"),
    "cal.contradicts": ("contradicts", "否定了"),
    "cal.consistent": ("is consistent with", "符合"),
    "cal.lr": (
        "log-likelihood {fitted} fitted vs {base} with the base coefficients: LR chi2 = {chi2} on {df} df, p = {p}; the survey {verdict} the base coefficients.",
        "对数似然：拟合 {fitted}，基准系数 {base}；似然比 chi2 = {chi2}，自由度 {df}，p = {p}；调查数据{verdict}基准系数。",
    ),
    "cal.ignored": ("ignored columns: {columns}", "已忽略的列：{columns}"),
    "sens.title": (
        "Sensitivity of {name} to each assumption over its plausible range ({n} replications, seed {seed}, same random numbers; satisfaction values are predicted)",
        "{name} 对各项假设的敏感性：每项假设在其合理范围内变化（重复 {n} 次，随机种子 {seed}，相同随机数；满意度为模型预测）",
    ),
    "sens.base_row": ("(base)", "（基准）"),
    "sens.assumption": ("assumption", "假设"),
    "sens.value": ("value", "取值"),
    "sens.col.wait_mean_min": ("mean wait", "平均等候时长"),
    "sens.col.csat": ("CSAT", "满意率"),
    "sens.col.bad_review_rate": ("bad reviews", "差评率"),
    "sens.col.satisfaction_mean": ("mean rating", "平均评分"),
    "sens.col.complaint_rate": ("complaints", "投诉指数"),
    "sens.foot": (
        "Changes are relative to the base row; satisfaction changes are predicted (model, not data). Values a scenario cannot take (e.g. a desired wait above its adequate wait) are left out. The ranges and their sources are in docs/model.md §5; compare --robustness says whether a choice between scenarios survives them.",
        "变化相对于基准行；满意度的变化为模型预测（并非数据）。场景无法取到的值（如期望等候长于可接受等候）已略去。取值范围及其来源见 docs/model.md §5；compare --robustness 说明场景之间的选择是否经得起这些变化。",
    ),
    # ---------------------------------------------------------------- optimise, fit, backtest
    "opt.minimise": ("minimise", "最小化"),
    "opt.maximise": ("maximise", "最大化"),
    "opt.title": ("Optimise {scenario}: {verb} {metric}", "优化 {scenario}：{verb} {metric}"),
    "opt.subject_to": (" subject to {constraints}", "，约束 {constraints}"),
    "opt.budget": ("; budget {budgets}", "；预算 {budgets}"),
    "opt.searched": (
        "{candidates} layouts ({method}; {space} in the space), {checked} checked, {feasible} feasible; {days} simulated days in {seconds} s; seed {seed}, common random numbers",
        "{candidates} 个方案（{method}；搜索空间共 {space} 个），检查 {checked} 个，可行 {feasible} 个；共模拟 {days} 天，用时 {seconds} 秒；随机种子 {seed}，共同随机数",
    ),
    "opt.none": ("No layout meets the constraints.", "没有满足约束的方案。"),
    "opt.best": (
        "Best layout: {layout}  ({days} days simulated)",
        "最优方案：{layout}（模拟 {days} 天）",
    ),
    "opt.runners_up": (
        "Runner-ups: paired difference to the best (runner-up − best, 95% CI, CRN)",
        "次优方案：与最优方案的配对差值（次优 − 最优，95%置信区间，共同随机数）",
    ),
    "opt.out_after": (", out after {n}", "，在第 {n} 轮淘汰"),
    "opt.days": ("{n} days", "{n} 天"),
    "opt.pareto": (
        "Pareto front (wait, planned staff-hours, predicted CSAT): {n} layouts, means over "
        "the first {days} days (the same days for every layout)",
        "帕累托前沿（等候时长、计划窗口工时、预测满意率）：{n} 个方案，"
        "均值取前 {days} 天（各方案为相同的天）",
    ),
    "opt.pareto_row": (
        "wait {wait} min, {hours} h, CSAT {csat} (predicted)",
        "等候 {wait} 分钟，{hours} 小时，满意率 {csat}（预测）",
    ),
    "opt.method.enumeration": ("enumeration", "逐一枚举"),
    "opt.method.search": ("neighbourhood search", "邻域搜索"),
    "opt.pp": ("pp", "个百分点"),
    "opt.resuming": (
        "resuming: {n} replications of {k} layouts from {path}",
        "继续上次的运行：从 {path} 读入 {k} 个方案的 {n} 次重复",
    ),
    "opt.progress.enumerated": (
        "{n} layouts within the budget ({size} in the space); {n0} replications each",
        "预算内 {n} 个方案（搜索空间共 {size} 个）；每个先重复 {n0} 次",
    ),
    "opt.progress.searching": (
        "{size} layouts in the space (> max_candidates {most}): searching",
        "搜索空间共 {size} 个方案（多于 max_candidates {most}）：邻域搜索",
    ),
    "opt.progress.visited": (
        "search: {n} designs visited, at {label}",
        "搜索：已访问 {n} 个方案，当前 {label}",
    ),
    "opt.progress.feasibility": (
        "feasibility check of {k} constraint(s)",
        "检查 {k} 个约束的可行性",
    ),
    "opt.progress.selecting": (
        "{n} feasible; selecting the best by KN on {metric} (δ = {delta})",
        "可行 {n} 个；用 KN 按 {metric} 选择最优方案（δ = {delta}）",
    ),
    "opt.progress.kn": (
        "KN: {k} candidates left after {r} replications",
        "KN：重复 {r} 次后还剩 {k} 个候选方案",
    ),
    "opt.note.local": (
        "the space holds {size} designs; a neighbourhood search visited {visited}, and the "
        "selection guarantee is over those (a local, not a global, optimum)",
        "搜索空间共 {size} 个方案；邻域搜索访问了 {visited} 个，选择的概率保证只针对这些方案"
        "（局部最优，而非全局最优）",
    ),
    "opt.note.finalists": (
        "the {finalists} best of the {visited} designs visited (by their first {n0} days) "
        "went on to the feasibility check and selection",
        "访问过的 {visited} 个方案中，按前 {n0} 天结果最好的 {finalists} 个进入可行性检查和选择",
    ),
    "opt.note.kn_capped": (
        "the replication cap ({cap}) stopped KN with {k} candidates still in contention: "
        "the best of them by sample mean is shown, without the guarantee (raise "
        "max_replications or delta)",
        "重复次数上限（{cap}）使 KN 在仍有 {k} 个候选方案时停止：显示的是其中样本均值最好的"
        "方案，不带概率保证（可提高 max_replications 或 delta）",
    ),
    "opt.note.feasibility_capped": (
        "{n} candidate(s) reached the replication cap undecided on a constraint and were "
        "classified by their sample mean",
        "{n} 个候选方案到重复次数上限时仍无法判定是否满足约束，已按样本均值归类",
    ),
    "opt.more": ("... {n} more (--json or --out)", "……另有 {n} 个（见 --json 或 --out）"),
    "opt.paste": (
        "# in {file}: replace every [[windows]] table with",
        "# 在 {file} 中：把所有 [[windows]] 表替换为",
    ),
    "fit.dropped": ("dropped rows:", "清洗删除的行："),
    "fit.report": ("fit report: {path}", "拟合报告：{path}"),
    "bt.wait": ("mean wait", "平均等候时长"),
    "bt.abandoned": ("abandonment", "弃号率"),
    "bt.over": ("over-predicted by {by}", "高估 {by}"),
    "bt.under": ("under-predicted by {by}", "低估 {by}"),
    "bt.verdict": (
        "{label}: observed inside the simulated 95% band in {k} of {n} periods; overall {how}; per-period correlation {r}; {days}% of observed days inside the one-day band",
        "{label}：{n} 个时段中有 {k} 个实测值落在模拟95%区间内；总体{how}；分时段相关系数 {r}；{days}% 的实测日落在单日预测区间内",
    ),
    # ---------------------------------------------------------------- fit report (fitreport.py)
    "fitr.observed": ("observed mean ± sd over days", "实测均值 ± 日间标准差"),
    "fitr.fitted_rate": ("fitted rate", "拟合到达率"),
    "fitr.tickets_hour": ("tickets per hour", "每小时取号数"),
    "fitr.fitted_q": ("fitted quantile (min)", "拟合分位数（分钟）"),
    "fitr.observed_min": ("observed (min)", "实测（分钟）"),
    "fitr.waited": ("minutes waited", "已等候分钟数"),
    "fitr.still": ("P(still waiting)", "仍在等候的概率"),
    "fitr.windows": ("windows", "窗口数"),
    "fitr.km": ("{matter} Kaplan-Meier", "{matter} Kaplan-Meier 估计"),
    "fitr.roster.names": ("names", "出现的窗口名"),
    "fitr.roster.busy": ("busy", "办理中"),
    "fitr.roster.busy_while_waiting": ("busy_while_waiting", "有人等候时办理中"),
    "fitr.roster.fitted": ("fitted", "拟合"),
    "fitr.title": ("hallsim fit report", "hallsim 拟合报告"),
    "fitr.h1": ("Fit report: {name}", "拟合报告：{name}"),
    "fitr.kept": (
        "{days} days, {tickets} tickets kept. Methods: docs/fitting.md.",
        "保留 {days} 天、{tickets} 张取号记录。方法见 docs/fitting.md。",
    ),
    "fitr.dropped": ("Rows dropped", "清洗删除的行"),
    "fitr.arrivals": ("Arrivals", "到达"),
    "fitr.matters": ("Matters, service and patience", "事项、办理时长与耐心"),
    "fitr.roster": ("Roster (estimated)", "排班（估计）"),
    "fitr.speed": ("Windows: relative speed", "窗口相对速度"),
    "fitr.returns": ("Return visits (citizen ids)", "再次来访（按群众编号）"),
    "fitr.satisfaction": ("Satisfaction (calibrated from ratings)", "满意度（由评价校准）"),
}
"""Message id -> (English, Chinese).  Placeholders are ``str.format`` fields."""


# ---------------------------------------------------------------------------
# Command-line help (``hallsim --help``, ``hallsim COMMAND --help``).
# Keyed by the English text the code holds (option and argument help, click's fixed
# words) or by ``command:NAME`` (a command's whole help; its first sentence, up to
# "。", is its line in ``hallsim --help``).  ``tests/test_i18n.py`` fails when a
# command, option or argument of the CLI has no entry here.
HELP: dict[str, str] = {
    # click's own words
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    # commands
    "command:hallsim": "模拟政务服务大厅，比较窗口设置方案。\n\n\b\n示例：\n  hallsim validate scenarios/integrated.toml\n  hallsim run scenarios/integrated.toml --replications 20\n  hallsim compare scenarios/dedicated.toml scenarios/integrated.toml",
    "command:validate": "检查场景文件 FILES，并为每个文件打印一屏摘要。\n\n\b\n示例：\n  hallsim validate scenarios/*.toml",
    "command:run": "运行一个场景文件 FILE，报告各项指标及其95%置信区间。\n\n\b\n示例：\n  hallsim run scenarios/integrated.toml --replications 50 --out results/integrated\n  hallsim run scenarios/integrated.toml --precision 5% --metric wait_mean_min",
    "command:compare": "在共同随机数下运行多个场景文件 FILES；第一个为基准方案。\n\n报告每个场景的指标，以及与基准方案的配对差值和95% t 区间（多于两个场景时做 Bonferroni 校正）；并给出平均等候时长的差值中有多少来自再次来访的减少（在相同随机数下关闭再次来访重跑一次）。加 --robustness 时，说明每项指标下的最优方案在每个模型假设的合理范围内是否始终最优。\n\n\b\n示例：\n  hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --out results/ab\n  hallsim compare scenarios/staff_baseline.toml scenarios/staff_trained.toml \\\n      scenarios/staff_fifth_window.toml --robustness",
    "command:plot": "由已保存的结果文件夹 RESULTS_DIR 画图（不重新模拟）。\n\n幻灯片尺寸（10 × 5.6 英寸），色盲友好；中文名称使用系统已安装的中文字体，否则使用内置的 Hallsim Sans SC（Noto Sans CJK 子集）。SVG 中文字保持为文字。\n\n\b\n示例：\n  hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --log --out results/ab\n  hallsim plot results/ab --kind waits\n  hallsim plot results/ab --kind day --format svg --out slides/day.svg\n  hallsim plot results/sweep --kind sweep --metric wait_p90_min --hue windows.0.count",
    "command:report": "为 run/compare 的结果文件夹 RESULTS_DIR 生成一份独立的 HTML 报告。\n\n内容：各方案设置对照、主要指标及95%置信区间、配对差值、图表（内嵌）、满意度模型的假设，以及所用命令、版本和随机种子。无需联网，任何浏览器均可打开，打印清晰。\n\n\b\n示例：\n  hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --log --out results/ab\n  hallsim report results/ab",
    "command:calibrate": "用满意度调查 CSV 拟合满意度系数（有序 logit，最大似然）。\n\n必需列：rating（1-5）和 wait_min；有 attitude（或 proactiveness、responsibility、care、enthusiasm）、settled（0/1）、overtaken、abandoned（0/1）和 comfort 列时一并拟合。打印估计值及标准误，以及可粘贴到场景文件中的 [satisfaction] 表。\n\n示例：\n\n\b\n    hallsim calibrate scenarios/survey_example.csv \\\n        --scenario scenarios/integrated.toml --out fitted.toml",
    "command:sensitivity": "逐一改变各项模型假设时，结果变化多少。\n\n即 ``hallsim compare --robustness`` 稳健性检验的单场景版本（docs/model.md §5）：服务态度模型和满意度模型（docs/model.md）的每个假设逐一取其合理范围内的各个值，使用相同的随机数。排队相关假设（一次办结率、再次来访时间、服务时长效应、综合窗口减速）重新模拟；满意度系数则对同一批模拟办件重新评分。显示每项指标相对基准的变化。\n\n示例：\n\n\b\n    hallsim sensitivity scenarios/staff_baseline.toml --replications 10",
    "command:staff": '建议每个时段开放多少个窗口，以达到等候目标 TARGET。\n\n先按 Erlang C（群众会弃号离开时用 Erlang A）为每个 hall.period_min 分钟的时段求初值，再在共同随机数下模拟全天，按时间顺序逐时段调整。打印各时段达到的指标及95%置信区间、人时数、公式与模拟不一致之处，以及可粘贴到场景 [[windows]] 表中的 `staffed = {...}` 行。使用场景自身的随机种子和重复次数时，对粘贴后的文件运行 `hallsim run` 可复现全天结果。\n\n\b\n示例：\n  hallsim staff scenarios/integrated.toml --target "service_level>=0.9"\n  hallsim staff scenarios/integrated.toml --target "wait_p90_min<=15" -r 10',
    "command:sweep": "在参数取值网格上（所有组合）运行场景文件 FILE。\n\n写出 OUT/results.parquet：每个取值点、每次重复一行，列为所扫描的参数值、随机种子和各项指标；另写 summary.parquet 和 summary.csv（每个取值点一行，含95%置信区间）以及 manifest.json。所有取值点的第 r 次重复使用相同的随机数流（共同随机数）。中途被中断？重新运行同一命令即可：只运行尚缺的部分。\n\n\b\n示例：\n  hallsim sweep scenarios/integrated.toml --set windows.0.count=7:11 \\\n      --set windows.0.attitude=0.5,0.7,0.9 --replications 10 --out results/staffing\n  python -c \"import pandas; print(pandas.read_parquet('results/staffing/results.parquet'))\"",
    "command:fit": "从叫号日志 LOGS（CSV/XLSX；UTF-8 或 GB18030）拟合场景。\n\n\b\n示例：\n  hallsim fit march.csv april.xlsx --format qms-zh --out hall.toml\n  hallsim backtest hall.toml march.csv april.xlsx --format qms-zh",
    "command:backtest": "回测：将场景文件 SCENARIO_FILE 的模拟日与叫号日志 LOGS 的实际情况对比。\n\n\b\n示例：\n  hallsim backtest hall.toml march.csv --format qms-zh -r 50",
    "command:export": "为规划人员导出 run/compare 的结果文件夹 RESULTS_DIR：一个 Excel 工作簿和一页 16:9 摘要幻灯片（不重新模拟）。\n\n不加 --xlsx/--slide 时两者都写入结果文件夹（results.xlsx、slides/summary.png）；指定其一时只写所指定的。工作簿各表：总览（每项指标各方案的均值及95%置信区间）、差值（与基准方案的配对差值）、时段、事项和窗口组（各次重复的均值）、说明（命令、版本、随机种子）；比例以小数存储、按百分比显示，公式可直接计算。幻灯片按方案列出平均等候时长、15分钟内叫号率（按场景的目标分钟数）、未办理人数和预测满意率，仅当配对区间不含0时才标注更好/更差。\n\n\b\n示例：\n  hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --out results/ab\n  hallsim export results/ab\n  hallsim export results/ab --xlsx planning/ab.xlsx --slide planning/ab.png",
    "command:optimise": '在搜索空间中寻找最优的窗口设置，并给出正确选择的概率（KN 法；docs/optimise.md）。\n\n\b\n示例：\n  hallsim optimise scenarios/integrated.toml --space spaces/space_12_clerks.toml\n  hallsim optimise scenarios/integrated.toml --space spaces/space_12_clerks.toml \\\n      --minimise planned_staff_hours --subject-to "service_level>=0.9" --budget "clerks<=12"',
    # options shared by several commands
    "Language of what a person reads: zh (中文) or en (default: the scenario's [report] lang, else the locale, else en). Keys and JSON stay English.": "界面语言：zh（中文）或 en（英文）（默认：场景文件的 [report] lang，其次系统区域设置，否则英文）。键名和 JSON 保持英文。",
    "Replications (default: the scenario's run.replications).": "重复次数（默认：场景文件的 run.replications）。",
    "Base seed (default: the scenario's run.seed).": "基础随机种子（默认：场景文件的 run.seed）。",
    "Parallel worker processes (default: number of CPU cores).": "并行工作进程数（默认：CPU 核数）。",
    "Results folder.": "结果文件夹。",
    "Print exactly one JSON object (contract §3) on stdout.": "在标准输出只打印一个 JSON 对象（约定 §3）。",
    "Also write citizens.parquet: one row per citizen visit.": "另写 citizens.parquet：每位群众每次来访一行。",
    "No progress bar.": "不显示进度条。",
    "Use a non-empty --out that is not a hallsim results folder, writing beside its files (hallsim never deletes or overwrites a file it did not write).": "使用非空且不是 hallsim 结果文件夹的 --out，在其中原有文件旁写入（hallsim 从不删除或覆盖不是它写的文件）。",
    "simpy: the reference model; fast: the specialised engine, the same numbers (it runs every scenario); auto: fast wherever it runs the scenario.": "simpy：参考模型；fast：专用引擎，结果相同（可运行所有场景）；auto：凡 fast 能运行的场景都用 fast。",
    "Add replications until the 95% CI half-width of --metric is at most H (absolute, or relative to the mean like 5%).": "不断增加重复次数，直到 --metric 的95%置信区间半宽不超过 H（绝对值，或如 5% 相对于均值）。",
    "Metric for --precision.": "--precision 所针对的指标。",
    "Upper limit for --precision.": "--precision 的重复次数上限。",
    "Metric that names the best scenario.": "据以评出最优方案的指标。",
    "Also vary each model assumption over its plausible range on the same random numbers and say, per metric, whether the best scenario changes (docs/model.md §5).": "另在相同随机数下将每个模型假设在其合理范围内变动，逐项指标说明最优方案是否改变（docs/model.md §5）。",
    "waits | compare | day | utilisation | satisfaction | sweep | tornado | backtest (default: compare, sweep for a sweep folder, backtest for a backtest folder; tornado: a compare --robustness folder).": "waits | compare | day | utilisation | satisfaction | sweep | tornado | backtest（默认：compare；参数扫描文件夹为 sweep，回测文件夹为 backtest；tornado 用于 compare --robustness 的文件夹）。",
    "Image format (default: from --out's suffix, else png).": "图片格式（默认：取 --out 的后缀，否则 png）。",
    "Output file (default: RESULTS_DIR/plots/KIND.png).": "输出文件（默认：RESULTS_DIR/plots/KIND.png）。",
    "sweep, tornado: the metric to plot (default wait_mean_min); compare: show only this metric.": "sweep、tornado：要画的指标（默认 wait_mean_min）；compare：只显示该指标。",
    "Write every figure that applies to RESULTS_DIR into RESULTS_DIR/plots/ (a sweep: one per key metric), each path on its own line.": "将适用于 RESULTS_DIR 的所有图写入 RESULTS_DIR/plots/（参数扫描：每项关键指标一张），每个路径占一行。",
    "Write a 16:9 slide set into RESULTS_DIR/slides/: the one-slide summary, then every figure that applies, numbered in presenting order (PNG 1920 px wide).": "将一套 16:9 幻灯片写入 RESULTS_DIR/slides/：先是一页摘要，再是所有适用的图，按演示顺序编号（PNG，宽 1920 像素）。",
    "sweep: parameter on the x axis (dotted path).": "sweep：横轴上的参数（点分路径）。",
    "sweep: parameter giving one line per value.": "sweep：每个取值画一条线的参数。",
    "Replace an --out file hallsim did not write.": "替换不是 hallsim 写的 --out 文件。",
    "Output HTML file (default: RESULTS_DIR/report.html).": "输出的 HTML 文件（默认：RESULTS_DIR/report.html）。",
    "The question the report answers, as its heading (default: from the scenario names).": "报告要回答的问题，作为报告标题（默认：由场景名称生成）。",
    "Scenario whose [satisfaction] table gives the base coefficients (knots, references, and the values of coefficients the survey cannot fit) and whose hall.comfort is the surveyed hall's.": "场景文件：其 [satisfaction] 表给出基础系数（节点、参照值，以及调查数据无法拟合的系数取值），其 hall.comfort 为被调查大厅的舒适度。",
    "Write the fitted [satisfaction] table to this TOML file (default: print it).": "将拟合得到的 [satisfaction] 表写入此 TOML 文件（默认：打印出来）。",
    "Print one JSON object, nothing else.": "只打印一个 JSON 对象。",
    "Replications to pool (default: the scenario's run.replications).": "合并的重复次数（默认：场景文件的 run.replications）。",
    "Also write a self-contained HTML report (tornado charts of the mean wait and predicted CSAT, every value tried) to this file.": "另将一份独立的 HTML 报告（平均等候时长和预测满意率的龙卷风图，以及所试的每个取值）写入此文件。",
    "Per-period target: wait_mean_min (<=): mean wait of served citizens, minutes; wait_p50_min (<=): median wait of served citizens, minutes; wait_p90_min (<=): 90th-percentile wait of served citizens, minutes; service_level (>=): share of arrivals called within hall.service_level_target_min; wait_p95_min (<=): 95th-percentile wait of served citizens, minutes.": "每个时段的目标：wait_mean_min（<=）：已办理群众的平均等候时长，分钟；wait_p50_min（<=）：已办理群众等候时长的中位数，分钟；wait_p90_min（<=）：已办理群众等候时长的90百分位数，分钟；service_level（>=）：在 hall.service_level_target_min 分钟内叫号的比例（即15分钟内叫号率，分钟数按场景设定）；wait_p95_min（<=）：已办理群众等候时长的95百分位数，分钟。",
    "Replications per roster (default: the scenario's run.replications).": "每套排班的重复次数（默认：场景文件的 run.replications）。",
    "Largest level tried for any group (default: 3 × max(count, Erlang), at least 20).": "任一窗口组尝试的最大窗口数（默认：3 × max(count, Erlang)，至少 20）。",
    "Never staff more windows than a group's count (fail if that cannot meet the target); by default the advisor raises count where that is the only way.": "开放窗口数不超过窗口组的 count（达不到目标则报错）；默认在别无他法时提高 count。",
    "Print one JSON object on stdout.": "在标准输出打印一个 JSON 对象。",
    "Also write a self-contained HTML report (roster chart: windows per period, Erlang vs simulation, target line) to this file.": "另将一份独立的 HTML 报告（排班图：各时段窗口数、Erlang 公式与模拟对比、目标线）写入此文件。",
    "No progress on stderr.": "不在标准错误输出进度。",
    "Values for a dotted path, e.g. windows.0.count=2,3,4 or windows.0.count=2:8 (range, end included) or arrivals.rate_per_hour=30:60:10.  Repeat for more parameters; the sweep runs the full grid.": "点分路径参数的取值，如 windows.0.count=2,3,4 或 windows.0.count=2:8（范围，含终点）或 arrivals.rate_per_hour=30:60:10。多个参数请重复本选项；扫描运行全部组合。",
    'TOML file with a [parameters] table, e.g. "windows.0.count" = [2, 3, 4].': '含 [parameters] 表的 TOML 文件，如 "windows.0.count" = [2, 3, 4]。',
    "Replications per point (default: the scenario's run.replications).": "每个取值点的重复次数（默认：场景文件的 run.replications）。",
    "Base seed (default: the scenario's run.seed); replication r of every point uses the same streams.": "基础随机种子（默认：场景文件的 run.seed）；所有取值点的第 r 次重复使用相同的随机数流。",
    "Worker processes (default: number of CPU cores).": "工作进程数（默认：CPU 核数）。",
    "local: a process pool on this machine (default); dask: a dask.distributed cluster (a LocalCluster unless --scheduler is given).": "local：本机进程池（默认）；dask：dask.distributed 集群（未给 --scheduler 时为 LocalCluster）。",
    "Dask scheduler address, e.g. tcp://host:8786 (implies --backend dask).": "Dask 调度器地址，如 tcp://host:8786（隐含 --backend dask）。",
    "Results folder (default: results/<name>-sweep).": "结果文件夹（默认：results/<name>-sweep）。",
    "Also write results.csv.": "另写 results.csv。",
    "Start afresh: discard what the --out folder holds from an earlier sweep.": "重新开始：丢弃 --out 文件夹中此前扫描留下的结果。",
    "Simulation engine (see hallsim run --help).": "模拟引擎（见 hallsim run --help）。",
    "Built-in log layout (default qms-zh) / 内置格式.": "内置日志格式（默认 qms-zh）。",
    "Column mapping file (TOML) / 列映射文件.": "列映射文件（TOML）。",
    "weekdays | all | YYYY-MM-DD..YYYY-MM-DD | Mon,Tue,...": "weekdays（工作日）| all（全部）| YYYY-MM-DD..YYYY-MM-DD | Mon,Tue,...（星期）",
    "Minutes per period of the rate table and roster.": "到达率表和排班表每个时段的分钟数。",
    "mean, or pNN to plan for the NN-th percentile day (e.g. p90).": "mean（平均日），或 pNN 按第 NN 百分位的日子规划（如 p90）。",
    "Opening time HH:MM (default: from the log).": "开门时间 HH:MM（默认：取自日志）。",
    "Closing time HH:MM (default: from the log).": "关门时间 HH:MM（默认：取自日志）。",
    "Roster estimator (docs/fitting.md).": "排班估计方法（docs/fitting.md）。",
    'Roster (TOML: [staffed] "HH:MM" = windows) replacing the estimated one / 排班表.': '排班表（TOML：[staffed] "HH:MM" = 窗口数），替代估计的排班。',
    "Priority column: FIFO (soft priority) or a strict class.": "优先列：先到先办（软优先）或严格优先类别。",
    "Services this short (seconds) are trimmed from the service fit; 0 keeps all.": "不超过此时长（秒）的办理从服务时长拟合中剔除；0 表示全部保留。",
    "hall.service_level_target_min of the fitted scenario.": "拟合场景的 hall.service_level_target_min（“15分钟内叫号率”中的分钟数）。",
    "A citizen id seen again within this many days is a return visit; 0: do not model returns / 同一证件号N天内再次取号视为回访.": "同一证件号在此天数内再次取号视为再次来访；0：不模拟再次来访。",
    "Scenario name.": "场景名称。",
    "Scenario file to write (a fit report folder goes beside it); default: print the scenario.": "要写出的场景文件（拟合报告文件夹放在其旁）；默认：打印场景。",
    "Replace an existing file hallsim did not write.": "替换不是 hallsim 写的已有文件。",
    "Print one JSON object (fit summary).": "打印一个 JSON 对象（拟合摘要）。",
    "Simulated days.": "模拟天数。",
    "Base seed.": "基础随机种子。",
    "Parallel worker processes (default: CPU cores).": "并行工作进程数（默认：CPU 核数）。",
    "observed: simulated day r has observed day r's ticket count; fixed: the scenario's rates every day.": "observed：第 r 个模拟日的取号量等于第 r 个实际日的取号量；fixed：每天都用场景的到达率。",
    "Folder for backtest.json, backtest.csv and plots/backtest.png.": "存放 backtest.json、backtest.csv 和 plots/backtest.png 的文件夹。",
    "Replace files hallsim did not write.": "替换不是 hallsim 写的文件。",
    "Print one JSON object (contract §4).": "打印一个 JSON 对象（约定 §4）。",
    "Write the workbook to this .xlsx file.": "将工作簿写入此 .xlsx 文件。",
    "Write the one-slide 16:9 summary to this .png/.svg/.pdf file.": "将一页 16:9 摘要幻灯片写入此 .png/.svg/.pdf 文件。",
    "Replace a file hallsim did not write.": "替换不是 hallsim 写的文件。",
    "The search space ([optimise]).": "搜索空间（[optimise]）。",
    "Metric to minimise.": "要最小化的指标。",
    "Metric to maximise.": "要最大化的指标。",
    "Constraint on a metric's mean (repeatable); replaces the space file's.": "对某项指标均值的约束（可重复）；替代搜索空间文件中的约束。",
    "Budget on windows or planned staff-hours (repeatable); replaces the space file's.": "窗口数或计划人时数的预算（可重复）；替代搜索空间文件中的预算。",
    "Indifference zone of the objective.": "目标指标的无差异区间。",
    "1 − probability of correct selection.": "1 − 正确选择概率。",
    "Selection: kn (PCS guarantee, default) or ocba (fixed budget, estimated PCS).": "选择方法：kn（保证正确选择概率，默认）或 ocba（固定预算，估计正确选择概率）。",
    "OCBA: replications for the selection in total (default 20 × n0 per design).": "OCBA：用于选择的总重复次数（默认每个方案 20 × n0）。",
    "Base seed (default: scenario's).": "基础随机种子（默认：场景文件的）。",
    "Worker processes (default: CPU cores); results do not depend on it.": "工作进程数（默认：CPU 核数）；结果与之无关。",
    "Write the results folder here.": "将结果文件夹写在此处。",
    "Write beside files that are not hallsim's.": "在不是 hallsim 写的文件旁写入。",
}
"""English help text (or ``command:NAME``) -> Chinese, for ``--help`` in Chinese."""


def help_zh(english: str) -> str:
    """The Chinese of a help text, or the English when the catalogue has none."""
    return HELP.get(english, english)
