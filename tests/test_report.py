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
    assert len(images) == 5  # compare, waits, day, utilisation, satisfaction
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
    monkeypatch.setattr(
        report_module, "REPORT_FIGURES", (("day", "report.fig.day", "report.fig.day.caption"),)
    )
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
    monkeypatch.setattr("hallsim.report.build_report", lambda folder: "<!DOCTYPE html>")
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


def test_cli_report_on_a_sweep_folder_exits_2(sweep_dir: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(sweep_dir)])
    assert result.exit_code == 2 and "sweep" in result.stderr
    assert not (sweep_dir / "report.html").exists()


def test_results_error_for_a_folder_that_is_not_results(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(plots.ResultsError, match="not a hallsim results folder"):
        build_report(tmp_path)
