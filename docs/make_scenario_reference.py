"""Write docs/scenario.md: every scenario key with its type, default and meaning.

The pydantic models in hallsim/scenario.py (and satisfaction.py) are the single
source of truth; this script renders them.  Run: python docs/make_scenario_reference.py
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel

from hallsim.i18n import scenario_key_zh
from hallsim.limits import MAX_FILE_BYTES, MAX_REPLICATIONS
from hallsim.scenario import MAX_RATE_PER_HOUR, MAX_RUN_MIN, Scenario

SECTIONS = {
    "": "top level",
}


def type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        if all(isinstance(a, type) and "dist" in getattr(a, "model_fields", {}) for a in args):
            return "distribution"
        return " or ".join(type_name(a) for a in args)
    if origin is typing.Annotated:
        return "distribution table"
    if origin is typing.Literal:
        return " or ".join(f'"{a}"' for a in typing.get_args(annotation))
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    if annotation is type(None):
        return "absent"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return getattr(annotation, "__name__", str(annotation))


def rows(model: type[BaseModel], prefix: str, out: list[str], seen: set) -> None:
    for name, field in model.model_fields.items():
        name = field.alias or name  # the key as written in TOML (`from`, not `from_`)
        path = f"{prefix}{name}"
        default = (
            "required"
            if field.is_required()
            else repr(field.get_default(call_default_factory=True))
        )
        if isinstance(field.get_default(call_default_factory=True), BaseModel):
            default = "(table)"
        desc = (field.description or "").replace("|", "\\|").replace("\n", " ")
        zh = scenario_key_zh(path)
        out.append(f"| `{path}` | {zh} | {type_name(field.annotation)} | {default} | {desc} |")
        for sub in _models(field.annotation):
            if (sub, path) not in seen:
                seen.add((sub, path))
                idx = ".N." if typing.get_origin(field.annotation) is list else "."
                rows(sub, f"{path}{idx}", out, seen)


def _models(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    # distributions are documented once, below, not under every key
    return [m for m in found if "dist" not in m.model_fields]


def main() -> None:
    out = [
        "# Scenario file reference",
        "",
        "Generated from the pydantic models by `python docs/make_scenario_reference.py`;",
        "the commented files in `scenarios/` show them in use. Durations are minutes,",
        'times of day `"HH:MM"`, rates citizens per hour. Unknown keys are errors.',
        "`.N.` stands for an entry of a list (`matters.0.share`, `windows.1.count`).",
        "",
        'Distributions (`service_min`, `renege_min`): `{ dist = "exponential", mean }`,',
        '`{ dist = "deterministic", mean }`, `{ dist = "lognormal", mean, cv }`,',
        '`{ dist = "gamma", mean, cv }`, `{ dist = "uniform", low, high }`; lognormal and',
        "gamma take the mean and coefficient of variation of the time itself; a `cv`",
        "is at most 100, and below 1e-9 the time is simply the mean.",
        "",
        "Rules for every value (a file that breaks one is refused with exit 2, naming",
        "the key):",
        "",
        "- every number is finite: `inf` and `nan` (which TOML allows) are refused;",
        "- every integer fits a signed 64-bit column; `run.seed` is 0 to 2^63-1,",
        f"  `run.replications` 1 to {MAX_REPLICATIONS:,} (the `-r` limit of every command);",
        '- a time of day is exactly `"HH:MM"`: two ASCII digits each, `"00:00"` to',
        '  `"24:00"`; `"9:00"` is refused (write `"09:00"`), so two keys of one table',
        "  never name the same time;",
        f"- `arrivals.rate_per_hour` is at most {MAX_RATE_PER_HOUR:,.0f} and",
        f"  `run.warmup_min` / `run.length_min` at most {MAX_RUN_MIN:,.0f} (sanity",
        "  bounds that keep a run finite); the last two belong to `steady_state` mode",
        "  and are refused in `day` mode unless 0;",
        '- a matter may not be called `"*"` (in `windows.N.matters` it means every matter);',
        f"- the file is a regular UTF-8 file of at most {MAX_FILE_BYTES // 2**20} MB (not a",
        "  folder, pipe or device).",
        "",
        "An optional table the file leaves out (`patience`, `appointments`,",
        "`windows.N.staffed`) takes its defaults when `Scenario.with_changes` or",
        "`hallsim sweep --set` sets a key inside it, e.g. `patience.balk_at_queue=2`.",
        "",
        "The second column (中文) names each key in Chinese; keys are written in English in",
        "the file (they are code). 场景文件的键名用英文书写，第二列给出中文名称。",
        "",
        "中文说明：场景文件为 TOML 格式，描述一个大厅的一类工作日。时长单位为分钟，时刻写作",
        '`"HH:MM"`，到达率为每小时人数；未知的键会被拒绝（退出码 2，并指出文件与键名）。',
        '`.N.` 表示列表中的一项（如 `windows.1.count`）。加上 `[report] lang = "zh"`',
        "后，由该场景生成的表格、图表和报告默认使用中文（命令行 `--lang` 优先）。",
        "",
        "| key | 中文 | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    rows(Scenario, "", out, set())
    path = Path(__file__).with_name("scenario.md")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
