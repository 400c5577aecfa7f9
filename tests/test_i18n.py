"""Every word a user reads exists in English and Chinese (hallsim.i18n).

Three guards: the catalogue is complete (every message id the code uses is defined,
with both languages and the same placeholders; every registry metric has both
labels; the bundled font draws every Chinese character); the language is chosen as
documented (--lang, then the scenario's [report] lang, then the locale); and the
Chinese output of the commands, the report and the figures contains no word of the
English catalogue — an English word there is a string that bypassed the catalogue.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from hallsim import i18n
from hallsim.cli import main
from hallsim.cli.help import command_help_zh
from hallsim.metrics.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hallsim"

# a message id in code: t("id"), _t("id"), tr("id"), i18n.t("id"); ids kept in tables
# (report figures, slide tiles) are checked on their own
_CALL = re.compile(r"""(?<![\w])(?:_t|tr|t|i18n\.t)\(\s*(f?)(["'])([\w.]+?)(\{|\2)""")


def _sources() -> list[Path]:
    return [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.j2")]


def _used_ids() -> tuple[set[str], set[str]]:
    """(literal ids, prefixes of ids built in f-strings) used in the package."""
    literal, prefixes = set(), set()
    for path in _sources():
        if path.name == "i18n.py":
            continue
        text = path.read_text(encoding="utf-8")
        for f, _q, key, end in _CALL.findall(text):
            (prefixes if f and end == "{" else literal).add(key)
    return literal, prefixes


def test_every_message_id_used_is_defined() -> None:
    literal, prefixes = _used_ids()
    assert literal, "the scan found no message ids: the pattern is broken"
    missing = sorted(k for k in literal if k not in i18n.MESSAGES)
    assert not missing, f"message ids used but not in hallsim.i18n.MESSAGES: {missing}"
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in i18n.MESSAGES), prefix


def test_message_ids_kept_in_tables_are_defined() -> None:
    from hallsim.report import REPORT_FIGURES
    from hallsim.slide import KPIS

    ids = [i for _, heading, caption in REPORT_FIGURES for i in (heading, caption)]
    ids += [title for _, title, _ in KPIS]
    assert [i for i in ids if i not in i18n.MESSAGES] == []


def _table_key_used(key: str, text: str) -> bool:
    for prefix in i18n.TABLE_PREFIXES:
        if key.startswith(prefix):
            short = key[len(prefix) :]
            return f'"{short}"' in text or f"'{short}'" in text
    return False


def test_tables_read_their_section_of_the_catalogue() -> None:
    """decision/report/plots keep their short keys; each is a view of MESSAGES."""
    from hallsim import decision, plots, report

    tables = [decision.TEXT, decision.PLAIN_LABELS, decision.VERDICT_WHAT, decision.TILE_TITLES]
    tables += [report.TEXT, plots.TEXT]
    assert {t.prefix for t in tables} <= set(i18n.TABLE_PREFIXES)
    for table in tables:
        assert len(table) > 0, table.prefix
        for key in table:
            with i18n.using("zh"):
                assert table[key] == i18n.MESSAGES[table.prefix + key][1]
    assert set(decision.TILE_TITLES) == set(decision.TILE_METRICS)
    assert set(decision.PLAIN_LABELS) == set(decision.PLAIN_METRICS)


DERIVED_PREFIXES = (
    *("note.", "staff.note.", "scn.", "plots.param."),
    *("opt.method.", "opt.progress.", "opt.note."),
)


def test_every_message_defined_is_used() -> None:
    literal, prefixes = _used_ids()
    text = "\n".join(p.read_text(encoding="utf-8") for p in _sources() if p.name != "i18n.py")
    unused = [
        k
        for k in i18n.MESSAGES
        if k not in literal
        and not any(k.startswith(p) for p in prefixes)
        and f'"{k}"' not in text
        and f"'{k}'" not in text
        # ids derived from data: a verdict word or 'note.*' from a stored note, a swept
        # parameter's path (plots.PARAM_LABELS); i18n.py's own tables
        # (the optimiser's English progress, notes and method: i18n._OPTIMISE_TEXTS)
        and not k.startswith(DERIVED_PREFIXES)
        # a module's Table (i18n.TABLE_PREFIXES): its short key is used by name there
        and not _table_key_used(k, text)
        and k not in ("shorter", "longer", "no_clear_difference", "better", "worse")
    ]
    assert not unused, f"catalogue entries nothing uses: {unused}"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("key", sorted(i18n.MESSAGES))
def test_message_has_both_languages_and_the_same_placeholders(key: str) -> None:
    en, zh = i18n.MESSAGES[key]
    assert en.strip() and zh.strip()
    # Chinese has no plural: an English {s} may go unused
    assert _fields(zh) <= _fields(en) and _fields(en) - _fields(zh) <= {"s"}, key
    if re.search(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}", "", en)):
        # a joining word may be Chinese punctuation alone (' and ' -> '、')
        punctuation = zh.strip() and all("\u3000" <= c <= "\u303f" for c in zh.strip())
        assert i18n.has_chinese(zh) or zh == en or punctuation, f"{key}: not Chinese"


def test_every_metric_has_an_english_and_a_chinese_label_and_unit() -> None:
    for m in REGISTRY:
        assert m.label_en.strip(), m.name
        assert i18n.has_chinese(m.label_zh), m.name
        assert m.unit in i18n.UNITS, m.unit
        assert i18n.metric_label(m.name, "zh") == m.label_zh
        assert i18n.metric_label(m.name, "en") == m.label_en


def test_hall_terms() -> None:
    """The Chinese labels use the terms Chinese halls use (issue: 平均等候时长, ...)."""
    zh = {m.name: m.label_zh for m in REGISTRY}
    assert zh["wait_mean_min"] == "平均等候时长"
    assert zh["first_contact_resolution"] == "一次办结率"
    assert zh["utilisation"] == "窗口利用率"
    assert zh["csat"].startswith("预测满意率")
    assert zh["bad_review_rate"].startswith("差评率（预测")
    assert "弃号" in zh["abandoned"]
    assert "15分钟内叫号率" in i18n.t("headline.service_level", "zh", share="90", target="15")


def test_workbook_has_a_chinese_header_for_every_english_one() -> None:
    from hallsim.export import HEADERS

    assert set(HEADERS) <= set(i18n.WORKBOOK_ZH)
    assert i18n.workbook_labels("en") is None
    labels = i18n.workbook_labels("zh")
    assert labels is not None and labels["wait_mean_min"] == "平均等候时长（分钟）"


def test_bundled_font_draws_every_chinese_character() -> None:
    from hallsim.fonts import BUNDLED_FAMILY, BUNDLED_FONT, _add_font, missing_characters

    _add_font(BUNDLED_FONT)
    texts = [zh for _, zh in i18n.MESSAGES.values()]
    texts += [m.label_zh for m in REGISTRY] + list(i18n.WORKBOOK_ZH.values())
    texts += [zh for _, zh in i18n.UNITS.values()]
    assert missing_characters(texts, [BUNDLED_FAMILY]) == []


# --------------------------------------------------------------------------- choice


@pytest.fixture(autouse=True)
def _fresh_language(monkeypatch: pytest.MonkeyPatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    i18n.reset()
    yield
    i18n.reset()


_LOCALES = st.sampled_from(["zh_CN.UTF-8", "zh_TW.UTF-8", "en_US.UTF-8", "C.UTF-8", "de_DE", ""])


@given(
    cli=st.sampled_from([None, "en", "zh"]),
    scenario=st.sampled_from([None, "en", "zh"]),
    locale=_LOCALES,
)
def test_language_order_cli_then_scenario_then_locale_then_english(cli, scenario, locale) -> None:
    env = {"LANG": locale} if locale else {}
    expected = cli or scenario or i18n.locale_lang(env) or "en"
    i18n.choose(cli)
    i18n.from_scenario(scenario)
    try:
        with pytest.MonkeyPatch.context() as mp:
            for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
                mp.delenv(var, raising=False)
            if locale:
                mp.setenv("LANG", locale)
            assert i18n.current() == expected
    finally:
        i18n.reset()


def test_locale_variables_in_posix_order() -> None:
    assert i18n.locale_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.locale_lang({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.locale_lang({"LC_MESSAGES": "zh_CN", "LANG": "en_US"}) == "zh"
    assert i18n.locale_lang({}) is None


# --------------------------------------------------------------------------- output

SCENARIO = """
name = "{name}"
{report}
[run]
replications = 3
[hall]
open = "09:00"
close = "10:30"
[arrivals]
rate_per_hour = 50
[[matters]]
name = "社保"
share = 0.6
service_min = {{ dist = "exponential", mean = 5 }}
[[matters]]
name = "公积金"
share = 0.4
service_min = {{ dist = "exponential", mean = 4 }}
[[windows]]
name = "综合窗口"
count = {count}
matters = ["*"]
"""


def _english_words() -> set[str]:
    """Words of the English catalogue that its Chinese side does not also use (like
    'Erlang' or 'hallsim'), so that finding one in Chinese output means an untranslated
    string."""
    english = [en for en, _ in i18n.MESSAGES.values()] + [m.label_en for m in REGISTRY]
    chinese = " ".join(zh for _, zh in i18n.MESSAGES.values())
    words = {w.lower() for text in english for w in re.findall(r"[A-Za-z]{4,}", text)}
    kept = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", chinese)}
    return words - kept


def _untranslated(text: str, allowed: set[str] = frozenset()) -> set[str]:
    found = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}
    return (found & _english_words()) - allowed


@pytest.fixture
def halls(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "甲.toml", tmp_path / "乙.toml"
    a.write_text(SCENARIO.format(name="三个窗口", count=3, report=""), encoding="utf-8")
    b.write_text(SCENARIO.format(name="四个窗口", count=4, report=""), encoding="utf-8")
    return a, b


def _invoke(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.output


# values that are keys or codes, not words: TOML values and column names shown as is
CODES = {"single", "exponential", "replications"}


def test_cli_in_chinese_has_no_english_words(halls: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = halls
    out = _invoke(["validate", str(a), "--lang", "zh"])
    out += _invoke(
        ["run", str(a), "-r", "2", "-q", "-w", "1", "-o", str(tmp_path / "r"), "--lang", "zh"]
    )
    folder = tmp_path / "c"
    out += _invoke(
        ["compare", str(a), str(b), "-r", "3", "-q", "-w", "1", "-o", str(folder), "--lang", "zh"]
    )
    text = out.replace(str(tmp_path), "")
    assert "平均等候时长" in text and "15分钟内叫号率" in text
    assert _untranslated(text, CODES) == set(), text


def test_staff_in_chinese_has_no_english_words(halls: tuple[Path, Path]) -> None:
    a, _ = halls
    out = _invoke(
        [
            "staff",
            str(a),
            "--target",
            "wait_p90_min<=15",
            "-r",
            "2",
            "-q",
            "-w",
            "1",
            "--lang",
            "zh",
        ]
    )
    text = out.replace(str(a), "")
    assert "排班建议" in text and "窗口工时" in text
    # TOML to paste and the target as typed stay code
    allowed = CODES | {"staffed", "windows", "name", "count"}
    assert _untranslated(text, allowed) == set(), text


def test_scenario_report_lang_then_cli_lang_wins(halls: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = halls
    zh = tmp_path / "zh.toml"
    zh.write_text(
        SCENARIO.format(name="默认中文", count=3, report='[report]\nlang = "zh"'), encoding="utf-8"
    )
    assert "通过" in _invoke(["validate", str(zh)])
    assert ": ok" in _invoke(["validate", str(zh), "--lang", "en"])
    assert ": ok" in _invoke(["validate", str(a)])


def test_bad_input_message_in_chinese(halls: tuple[Path, Path]) -> None:
    a, _ = halls
    result = CliRunner().invoke(main, ["compare", str(a), "--lang", "zh"])
    assert result.exit_code == 2
    assert "至少需要两个场景文件" in result.output


def test_bad_lang_is_bad_input(halls: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["validate", str(halls[0]), "--lang", "fr"])
    assert result.exit_code == 2


@pytest.fixture
def compared(halls: tuple[Path, Path], tmp_path: Path) -> Path:
    a, b = halls
    folder = tmp_path / "cmp"
    _invoke(["compare", str(a), str(b), "-r", "3", "-q", "-w", "1", "--log", "-o", str(folder)])
    return folder


def _visible_text(html: str) -> str:
    """The report's text a reader sees, without the appendix of model coefficients (their
    meanings and sources are documentation in English) and the command as typed."""
    html = re.sub(r"<(style|script|pre)\b.*?</\1>", " ", html, flags=re.S)
    for section in ("assumptions", "attitude-assumptions"):
        html = re.sub(rf'<section id="{section}".*?</section>', " ", html, flags=re.S)
    html = re.sub(r'data:image/[^"]+', "", html)
    html = re.sub(r'<div class="kind">[^<]*</div>', " ", html)  # a metric's code name
    return re.sub(r"<[^>]+>", " ", html)


def test_report_in_chinese(compared: Path) -> None:
    from hallsim.report import build_report

    zh = build_report(compared, lang="zh")
    assert '<html lang="zh-CN">' in zh
    assert '<html lang="en">' in build_report(compared, lang="en")
    text = _visible_text(zh)
    assert "全部指标" in text and "平均等候时长" in text
    # settings rows show scenario keys (code) and their values
    allowed = CODES | {"description", "lognormal", "hall", "arrivals", "matter", "windows"}
    settings = re.search(r'<section id="settings".*?</section>', zh, flags=re.S)
    assert settings is not None
    text = text.replace(_visible_text(settings.group(0)), " ").replace(str(compared), "")
    found = _untranslated(text, allowed)
    assert found == set(), [re.findall(rf".{{0,60}}{w}.{{0,30}}", text, re.I | re.S) for w in found]


@pytest.mark.parametrize(
    "kind", ["waits", "compare", "day", "utilisation", "satisfaction", "matters"]
)
def test_figures_in_chinese(compared: Path, kind: str) -> None:
    from hallsim.plots import render
    from hallsim.results import load_results

    with i18n.using("zh"):
        fig = render(load_results(compared), kind)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    text = " ".join(texts)
    assert re.search(r"[\u4e00-\u9fff]", text)
    assert _untranslated(text) == set(), kind


def _key_names(model, seen=None) -> set[str]:
    import typing

    from pydantic import BaseModel

    seen = set() if seen is None else seen
    names = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        stack = [field.annotation]
        while stack:
            a = stack.pop()
            if isinstance(a, type) and issubclass(a, BaseModel):
                if a not in seen and "dist" not in a.model_fields:
                    seen.add(a)
                    names |= _key_names(a, seen)
            else:
                stack.extend(typing.get_args(a))
    return names


def test_every_scenario_key_has_a_chinese_name() -> None:
    """docs/scenario.md's 中文 column (docs/make_scenario_reference.py) is never empty."""
    from hallsim.scenario import Scenario

    missing = sorted(k for k in _key_names(Scenario) if not i18n.scenario_key_zh(k))
    assert missing == []


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('name = "x"\nmatters = []\nwindows = []\nbogus = 1\n', "未知的键"),
        (
            'name = "x"\n[[matters]]\nname = "a"\nshare = 0.5\n'
            'service_min = { dist = "exponential", mean = 4 }\n'
            '[[windows]]\nname = "g"\ncount = 1\n',
            "各事项占比之和须为1",
        ),
    ],
)
def test_scenario_errors_in_chinese(tmp_path: Path, toml: str, words: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad), "--lang", "zh"])
    assert result.exit_code == 2
    assert "场景文件无效" in result.output and words in result.output, result.output
    english = CliRunner().invoke(main, ["validate", str(bad), "--lang", "en"])
    assert "invalid scenario" in english.output


def test_each_invocation_chooses_afresh(halls: tuple[Path, Path]) -> None:
    a, _ = halls
    assert "通过" in _invoke(["validate", str(a), "--lang", "zh"])
    assert ": ok" in _invoke(["validate", str(a)])  # no --lang left over from the last call


def test_workbook_in_chinese(compared: Path) -> None:
    from hallsim.export import build_workbook
    from hallsim.results import load_results

    wb = build_workbook(load_results(compared), i18n.workbook_labels("zh"))
    assert "主要指标" in wb.sheetnames
    headers = [str(c.value) for ws in wb for c in ws[1]]
    assert _untranslated(" ".join(wb.sheetnames + headers)) == set(), headers


def _report_text(path: Path) -> str:
    return _visible_text(path.read_text(encoding="utf-8"))


def test_staff_and_sweep_reports_in_chinese(halls: tuple[Path, Path], tmp_path: Path) -> None:
    """The staffing advisor's report and a sweep folder's report (decision-first pages
    of their own) carry no English catalogue word in Chinese."""
    a, _ = halls
    staff = tmp_path / "staff.html"
    args = ["staff", str(a), "--target", "wait_p90_min<=15", "-r", "2", "-q", "-w", "1"]
    _invoke([*args, "--report", str(staff), "--lang", "zh"])
    text = _report_text(staff).replace(str(a), "")
    assert '<html lang="zh-CN">' in staff.read_text(encoding="utf-8")
    assert "排班" in text
    # the staffed = [...] line to paste stays TOML
    allowed = CODES | {"staffed", "windows", "name", "count", "erlang"}
    assert _untranslated(text, allowed) == set(), text
    sweep = tmp_path / "sweep"
    _invoke(["sweep", str(a), "--set", "windows.0.count=3,4", "-r", "2", "-q", "-o", str(sweep)])
    out = tmp_path / "sweep.html"
    _invoke(["report", str(sweep), "-o", str(out), "--lang", "zh"])
    text = _report_text(out).replace(str(sweep), "").replace(str(a), "")
    assert "窗口数" in text
    found = _untranslated(text, CODES | {"windows", "count"})
    assert found == set(), [re.findall(rf".{{0,60}}{w}.{{0,30}}", text, re.I | re.S) for w in found]


def test_sensitivity_report_in_chinese() -> None:
    """The sensitivity report from a stored result (rows as ``sensitivity --json``)."""
    from hallsim.report import build_sensitivity_report

    rows = [
        {"assumption": "(base)", "kind": "base", "value": None, "base": None},
        {
            "assumption": "beta_wait_per_min",
            "kind": "satisfaction",
            "value": 0.02,
            "base": 0.04,
            "wait_mean_min_change": 0.0,
            "csat_change": 0.03,
        },
        {
            "assumption": "fcr_per_unit",
            "kind": "attitude",
            "value": 0.1,
            "base": 0.2,
            "wait_mean_min_change": -0.8,
            "csat_change": 0.01,
        },
    ]
    result = {"scenario": "三个窗口", "replications": 2, "seed": 1, "visits": 99, "rows": rows}
    with i18n.using("zh"):
        html = build_sensitivity_report(result)
    text = _visible_text(html)
    assert '<html lang="zh-CN">' in html and "平均等候时长" in text
    # assumption names are scenario keys (code)
    found = _untranslated(text, {"beta", "wait", "unit"})
    assert found == set(), [re.findall(rf".{{0,60}}{w}.{{0,30}}", text, re.I | re.S) for w in found]


def test_verdict_in_chinese_word_order(compared: Path) -> None:
    """The verdict puts the amount after a verb of change (缩短/延长/提高/降低...) and ends
    with a Chinese full stop; English keeps 'by'."""
    from hallsim import decision
    from hallsim.results import load_results

    res = load_results(compared)
    with i18n.using("zh"):
        zh = decision.verdict(res)
        question = decision.question(res)
    assert zh.endswith("。") and "哪个方案" in question
    if "使" in zh:  # a clear gain: its amount follows a verb of change
        assert re.search(r"(缩短|延长|提高|降低|增加|减少)[0-9.]+(分钟|个百分点|人次)", zh), zh
    with i18n.using("en"):
        assert decision.verdict(res).endswith(".")


# --------------------------------------------------------------------------- --help


def _walk(command: click.Command, path: str = "hallsim"):
    """(command path, command) for the CLI group and every command under it."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, f"{path} {name}")


def _documented_params(command: click.Command) -> list[click.Parameter]:
    ctx = click.Context(command)
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    return [p for p in params if isinstance(p, click.Option) or getattr(p, "help", None)]


def test_every_command_option_and_argument_has_chinese_help() -> None:
    missing = []
    for path, command in _walk(main):
        if command_help_zh(command.name) is None:
            missing.append(f"{path}: command:{command.name}")
        for param in _documented_params(command):
            if not param.help or param.help not in i18n.HELP:
                missing.append(f"{path} {param.opts[0]}: {param.help!r}")
    assert not missing, "help without a Chinese entry in hallsim.i18n.HELP:\n" + "\n".join(missing)
    for english, chinese in i18n.HELP.items():
        assert i18n.has_chinese(chinese), english


def _help(args: list[str], locale: str | None = None) -> str:
    result = CliRunner().invoke(main, args, env={"LANG": locale} if locale else None)
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.output


def test_chinese_help_has_no_english_help_sentence() -> None:
    output = _help(["run", "--help", "--lang", "zh"])
    assert "用法:" in output and "选项:" in output and "显示本帮助并退出。" in output
    run = main.commands["run"]
    english = [k for k in i18n.HELP if not k.startswith("command:")]
    english += [p.help for p in _documented_params(run)]
    english += [run.help.split("\n", 1)[0], "Example:"]
    leaked = [text for text in english if text and text in output]
    assert not leaked, leaked


@pytest.mark.parametrize(
    "args",
    [
        ["--help", "--lang", "zh"],
        ["--lang", "zh", "--help"],
        ["--help", "--lang=zh"],
        ["run", "--help", "--lang", "zh"],
        ["staff", "--help", "--lang", "zh"],
    ],
)
def test_help_language_from_the_arguments_wherever_lang_is(args: list[str]) -> None:
    output = _help(args)
    assert output.startswith("用法: hallsim")
    assert "Usage:" not in output and "Options:" not in output


def test_help_language_from_the_locale_and_lang_wins() -> None:
    assert _help(["--help"], "zh_CN.UTF-8").startswith("用法:")
    assert _help(["fit", "--help", "--lang", "en"], "zh_CN.UTF-8").startswith("Usage:")
    english = _help(["run", "--help"], "en_US.UTF-8")
    assert english.startswith("Usage: hallsim run") and "用法" not in english
    assert _help(["run", "--help", "--lang", "en"]) == english


def test_chinese_help_lines_fit_80_columns() -> None:
    for path, _command in _walk(main):
        output = _help([*path.split()[1:], "--help", "--lang", "zh"])
        for line in output.splitlines():
            if i18n.has_chinese(line):  # the catalogue's text (examples are kept as written)
                assert i18n.width(line) <= 80, (path, line)


def test_help_in_chinese_leaves_english_help_as_it_was() -> None:
    before = _help(["compare", "--help"])
    _help(["compare", "--help", "--lang", "zh"])
    assert _help(["compare", "--help"]) == before
