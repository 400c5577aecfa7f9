"""The self-contained HTML report (hallsim.report) and the `hallsim report` command."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import html5lib
import pandas as pd
import pytest
from click.testing import CliRunner

from hallsim import plots
from hallsim import report as report_module
from hallsim.cli import main
from hallsim.report import build_report

from .conftest import simulate_cli as simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NS = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "ab"
    files = [str(SCENARIOS / "dedicated.toml"), str(SCENARIOS / "integrated.toml")]
    simulate(["compare", *files, "--log", "--out", str(out)])
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    simulate(["run", str(SCENARIOS / "integrated.toml"), "--out", str(out)])
    return out


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sweep"
    folder.mkdir()
    pd.DataFrame(
        {
            "windows.0.count": [2, 3],
            "point": [0, 1],
            "replication": [0, 0],
            "seed": [1, 1],
            "wait_mean_min": [5.0, 2.0],
        }
    ).to_parquet(folder / "results.parquet", index=False)
    (folder / "manifest.json").write_text(
        json.dumps({"kind": "sweep", "parameters": ["windows.0.count"]}), encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def report_run(compare_dir: Path):
    """`hallsim report DIR` run once through the CLI; the tests read what it wrote."""
    return CliRunner().invoke(main, ["report", str(compare_dir)])


@pytest.fixture(scope="module")
def compare_html(compare_dir: Path, report_run) -> str:
    assert report_run.exit_code == 0, report_run.output
    return (compare_dir / "report.html").read_text(encoding="utf-8")


def parse(html: str):
    return html5lib.HTMLParser(strict=True).parse(html)


def text_of(html: str) -> str:
    """Visible text, one space between elements (style sheet left out)."""
    body = parse(html).find(f"{NS}body")
    return " ".join(" ".join(body.itertext()).split())


def test_report_is_valid_html(compare_html: str) -> None:
    doc = parse(compare_html)  # strict: raises on any parse error
    assert doc.find(f".//{NS}title") is not None
    assert len(doc.findall(f".//{NS}table")) >= 4


def test_report_is_self_contained(compare_html: str) -> None:
    doc = parse(compare_html)
    refs = [
        (el.tag, attr, el.get(attr))
        for el in doc.iter()
        for attr in ("src", "href")
        if el.get(attr) is not None
    ]
    images = [r for r in refs if r[1] == "src"]
    assert len(images) == 6  # compare, waits, day, matters, utilisation, satisfaction
    for _tag, _attr, value in refs:
        assert value.startswith(("data:image/png;base64,", "#")), value
    assert "http://" not in compare_html.replace("http://www.w3.org", "")
    assert "https://" not in compare_html
    assert "@import" not in compare_html
    # the only url() is the embedded font (a data URI), hallsim.fonts.css_font_face
    assert not re.search(r"url\((?!data:font/woff;base64,)", compare_html)


def test_report_contains_headline_numbers_from_summary(
    compare_dir: Path, compare_html: str
) -> None:
    summary = json.loads((compare_dir / "summary.json").read_text(encoding="utf-8"))
    text = text_of(compare_html)
    for name in summary["scenarios"]:
        m = summary["metrics"][name]
        w = m["wait_mean_min"]
        assert f"{w['mean']:.2f} [{w['ci_low']:.2f}, {w['ci_high']:.2f}]" in text
        sl = m["service_level"]
        assert (
            f"{100 * sl['mean']:.1f}% [{100 * sl['ci_low']:.1f}%, {100 * sl['ci_high']:.1f}%]"
            in text
        )
        assert f"{100 * m['csat']['mean']:.1f}%" in text
    d = next(
        x
        for x in summary["differences"]
        if x["metric"] == "wait_mean_min" and x["scenario"] == "integrated"
    )
    assert f"{d['mean']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]" in text


def test_report_has_settings_assumptions_and_provenance(
    compare_dir: Path, compare_html: str
) -> None:
    summary = json.loads((compare_dir / "summary.json").read_text(encoding="utf-8"))
    text = text_of(compare_html)
    # settings side by side
    assert "windows: integrated" in text and "windows: social_security" in text
    assert "layout.queue" in text and "hall.service_level_target_min" in text
    # the model's assumptions, with sources
    assert "beta_wait_per_min" in text and "source" in text
    try:
        from hallsim.satisfaction import COEFFICIENTS
    except ImportError:
        COEFFICIENTS = ()
    for c in COEFFICIENTS:
        assert c.name in text
    # exact command, version and seeds
    assert summary["hallsim"]["command"] in text
    assert f"hallsim version {summary['hallsim']['version']}" in text
    assert f"base seed {summary['seed']}" in text
    assert "replications 0–2" in text


def test_report_labels_satisfaction_as_predicted(compare_html: str) -> None:
    doc = parse(compare_html)
    rows = doc.findall(f".//{NS}tr")
    from hallsim.satisfaction import COEFFICIENTS

    names = {c.name for c in COEFFICIENTS}
    for row in rows:
        cells = "".join(row.itertext())
        if cells.split() and cells.split()[0] in names:
            continue  # the assumptions table: coefficients, whose sources may say "rating"
        if "CSAT" in cells or "bad reviews" in cells or "mean rating" in cells:
            assert "predicted" in cells, cells
    img = next(el for el in doc.iter(f"{NS}img") if "satisfaction" in (el.get("alt") or "").lower())
    assert "predicted" in img.get("alt")


def test_report_on_a_run_without_log_still_has_every_figure(run_dir: Path) -> None:
    html = build_report(run_dir)
    parse(html)
    assert html.count("data:image/png;base64,") == 5
    assert "Paired differences" not in text_of(html)


def test_report_notes_a_figure_it_cannot_make(
    compare_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "REPORT_FIGURES", (("day", "Over the day", "..."),))
    folder = tmp_path / "nop"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    (folder / "periods.parquet").unlink()
    text = text_of(build_report(folder))
    assert "Not available" in text and "periods.parquet" in text


def test_cli_report_default_path_printed_last(compare_dir: Path, report_run) -> None:
    assert report_run.exit_code == 0, report_run.output
    path = Path(report_run.stdout.strip().splitlines()[-1])
    assert path == compare_dir / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_report_out(compare_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hallsim.report.build_report", lambda folder, title=None: "<!DOCTYPE html>")
    out = tmp_path / "share" / "ab.html"
    result = CliRunner().invoke(main, ["report", str(compare_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)
    assert out.read_text(encoding="utf-8") == "<!DOCTYPE html>"


def test_cli_report_missing_folder_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    result = CliRunner().invoke(main, ["report", str(missing)])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists()


def test_cli_report_incomplete_folder_exits_2_and_writes_nothing(
    compare_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "half"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["hallsim"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 2
    assert "summary.json" in result.stderr and "incomplete" in result.stderr
    assert not (folder / "report.html").exists()


def test_cli_report_on_a_sweep_folder_reports_every_setting(sweep_dir: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(sweep_dir)])
    assert result.exit_code == 0, result.output
    html = (sweep_dir / "report.html").read_text(encoding="utf-8")
    doc = parse(html)
    h1 = "".join(doc.find(f".//{NS}h1").itertext())
    assert "windows" in h1 and "windows.0.count" not in h1  # the parameter in words
    rows = doc.findall(f".//{NS}section[@id='summary']//{NS}tbody/{NS}tr")
    assert len(rows) == 2  # one per setting
    assert html.count("data:image/png;base64,") == 1  # the sweep figure of the mean wait
    text = text_of(html)
    # the better setting of the mean wait (2.0 min at 3 windows) is named best
    assert "best at windows: group 1 = 3" in text


def test_sweep_report_without_key_metrics_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    folder.mkdir()
    pd.DataFrame(
        {"windows.0.count": [2], "point": [0], "replication": [0], "seed": [1], "arrived": [5]}
    ).to_parquet(folder / "results.parquet", index=False)
    (folder / "manifest.json").write_text(
        json.dumps({"kind": "sweep", "parameters": ["windows.0.count"]}), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 2 and "metrics" in result.stderr
    assert not (folder / "report.html").exists()


def test_results_error_for_a_folder_that_is_not_results(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(plots.ResultsError, match="not a hallsim results folder"):
        build_report(tmp_path)


# --------------------------------------------------------------------------- decision first


def section_order(html: str) -> list[str]:
    return re.findall(r'<(?:section|div) id="([a-z-]+)"', html)


def test_first_screen_is_question_verdict_and_tiles_and_settings_are_in_the_appendix(
    compare_html: str,
) -> None:
    doc = parse(compare_html)
    h1 = "".join(doc.find(f".//{NS}h1").itertext())
    assert "dedicated" in h1 and "integrated" in h1 and h1.endswith("?")
    order = section_order(compare_html)
    assert order.index("glance") < order.index("summary") < order.index("figures")
    appendix = order.index("appendix")
    for later in ("settings", "headline", "differences", "assumptions", "provenance"):
        assert order.index(later) > appendix, later
    titles = [
        "".join(h.itertext()) for h in doc.iter(f"{NS}h2") if "tile-title" in (h.get("class") or "")
    ]
    assert 4 <= len(titles) <= 6
    assert any("Window hours" in t for t in titles)  # the cost is on the first screen


def test_tiles_and_rows_word_differences_by_the_stored_paired_interval(
    compare_dir: Path,
) -> None:
    from hallsim import decision
    from hallsim.results import load_results

    res = load_results(compare_dir)
    for tile in decision.tiles(res):
        base, alt = tile["cells"][0], tile["cells"][1]
        assert base["word"] == "baseline"
        d = decision.stored_difference(res, "integrated", tile["metric"])
        sign = decision.direction(tile["metric"])
        if d["ci_low"] > 0 or d["ci_high"] < 0:  # the interval excludes 0
            expected = "better" if (d["mean"] > 0) == (sign > 0) else "worse"
        else:
            expected = "no_clear"
        assert alt["judgement"] == expected, tile["metric"]
    rows = decision.plain_rows(res)
    assert 5 <= len(rows) <= 10
    for row in rows:
        assert "_" not in row["label"]  # plain words, not code names
        assert any(c["value"] not in ("0.0", "0.0%", "0.0 min") for c in row["cells"])


def test_direction_follows_the_registry_and_staff_hours_are_a_cost() -> None:
    from hallsim import decision

    assert decision.direction("wait_mean_min") == -1
    assert decision.direction("service_level") == 1
    assert decision.direction("staff_hours") == -1
    d = {"mean": -2.0, "ci_low": -3.0, "ci_high": -1.0}
    assert decision.judge(d, "wait_mean_min") == "better"
    assert decision.judge(d, "service_level") == "worse"
    assert decision.judge({"mean": 1.0, "ci_low": -1.0, "ci_high": 3.0}, "csat") == "no_clear"
    assert decision.judge(d, "utilisation") == "unjudged"


def test_settings_table_shows_the_replications_actually_run(compare_html: str) -> None:
    text = text_of(compare_html)
    # the fixture ran 3 replications; dedicated.toml asks for more
    assert "3 run (the scenario file says" in text


def test_report_title_option_sets_the_question(compare_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.html"
    result = CliRunner().invoke(
        main, ["report", str(compare_dir), "--out", str(out), "--title", "增开窗口还是培训？"]
    )
    assert result.exit_code == 0, result.output
    doc = parse(out.read_text(encoding="utf-8"))
    assert "".join(doc.find(f".//{NS}h1").itertext()) == "增开窗口还是培训？"


# --------------------------------------------------------------------------- advisor, sensitivity


def advice_dict() -> dict:
    """A small staffing advice in the shape of `hallsim staff --json` (two periods)."""
    periods = [
        {
            "period": "09:00",
            "start_min": 540.0,
            "end_min": 570.0,
            "erlang": [3],
            "advised": [4],
            "service_level": {"mean": 0.93, "ci_low": 0.9, "ci_high": 0.96},
            "service_level_erlang_roster": 0.85,
        },
        {
            "period": "09:30",
            "start_min": 570.0,
            "end_min": 600.0,
            "erlang": [3],
            "advised": [3],
            "service_level": {"mean": 0.95, "ci_low": 0.92, "ci_high": 0.98},
            "service_level_erlang_roster": 0.95,
        },
    ]
    return {
        "scenario": "综合窗口",
        "target": "service_level>=0.9",
        "metric": "service_level",
        "replications": 4,
        "seed": 1,
        "groups": ["integrated"],
        "periods": periods,
        "day": {"mean": 0.94, "ci_low": 0.92, "ci_high": 0.96},
        "staff_hours": 3.5,
        "staff_hours_erlang": 3.0,
        "staff_hours_as_written": 4.0,
        "windows": {"integrated": {"count": 4, "staffed": {"09:00": 4, "09:30": 3}}},
        "rosters_simulated": 3,
        "notes": [],
    }


def test_staff_report_has_the_roster_chart_and_one_row_per_period() -> None:
    html = report_module.build_staff_report(advice_dict())
    doc = parse(html)
    assert "综合窗口" in "".join(doc.find(f".//{NS}h1").itertext())
    assert html.count("data:image/png;base64,") == 1
    rows = doc.findall(f".//{NS}section[@id='summary']//{NS}tbody/{NS}tr")
    assert len(rows) == 2
    text = text_of(html)
    assert "3.5 window hours" in text and "Erlang" in text


def test_roster_chart_draws_advised_and_erlang_windows_and_the_target() -> None:
    fig = plots.plot_roster(advice_dict())
    top, bottom = fig.axes[0], fig.axes[1]
    advised, erlang = top.get_lines()[0], top.get_lines()[1]
    assert list(advised.get_ydata()) == [4, 3, 3]  # the step's last value repeats
    assert list(erlang.get_ydata()) == [3, 3, 3]
    assert any(list(line.get_ydata()) == [90.0, 90.0] for line in bottom.get_lines())
    lo, hi = bottom.get_ylim()
    assert 0 <= lo and hi <= 100


def sensitivity_dict() -> dict:
    rows = [{"assumption": "(base)", "wait_mean_min_change": 0.0, "csat_change": 0.0}]
    for name, wait, csat in (("a.small", 0.5, 0.0), ("b.big", -3.0, 0.02), ("c.none", 0.0, 0.05)):
        rows.append(
            {"assumption": name, "kind": "queue", "value": 1.0, "base": 0.5}
            | {"wait_mean_min_change": wait, "csat_change": csat}
        )
    return {"scenario": "s", "replications": 2, "seed": 1, "visits": 10, "rows": rows}


def test_sensitivity_tornado_puts_the_largest_swing_on_top_and_drops_untouched() -> None:
    fig = plots.plot_sensitivity(sensitivity_dict(), "wait_mean_min")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["a.small", "b.big"]  # bottom to top; c.none does not move the wait
    html = report_module.build_sensitivity_report(sensitivity_dict())
    text = text_of(html)
    assert "moves most with b.big" in text and html.count("data:image/png;base64,") == 2


def test_cli_staff_report_writes_the_advisor_report_and_keeps_json_clean(tmp_path: Path) -> None:
    out = tmp_path / "staff.html"
    args = ["staff", str(SCENARIOS / "staff_baseline.toml"), "-t", "service_level>=0.8"]
    result = CliRunner().invoke(
        main, [*args, "-r", "2", "-w", "1", "-q", "--json", "--report", str(out)]
    )
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # --json stays one object
    doc = parse(out.read_text(encoding="utf-8"))
    assert "staff-baseline" in "".join(doc.find(f".//{NS}h1").itertext())
