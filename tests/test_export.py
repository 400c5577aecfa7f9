"""`hallsim export`: one Excel workbook of a results folder (hallsim.export).

The workbook must carry the stored numbers unchanged (summary.json's means and
intervals), shares as fractions formatted as per cent, and take every header
from a pluggable label table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from hallsim import export
from hallsim.cli import main
from hallsim.plots import load_results
from hallsim.resultsdir import SIGNATURE

from .test_plots import compare_dir, sweep_dir  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def workbook(compare_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    path = tmp_path_factory.mktemp("xlsx") / "ab.xlsx"
    export.write_workbook(compare_dir, path)
    return openpyxl.load_workbook(path)


COLUMNS = (("mean", "mean"), ("ci_low", "95% CI low"), ("ci_high", "95% CI high"))


def rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def test_one_workbook_has_every_table(workbook) -> None:
    assert workbook.sheetnames == [
        "Headline",
        "Differences",
        "Periods",
        "Matters",
        "Window groups",
        "About",
    ]


def test_headline_is_summary_json_unchanged(workbook, compare_dir: Path) -> None:  # noqa: F811
    summary = json.loads((compare_dir / "summary.json").read_text(encoding="utf-8"))
    table = rows(workbook["Headline"])
    assert [r["code"] for r in table] == list(summary["metrics"][summary["scenarios"][0]])
    for r in table:
        for n in summary["scenarios"]:
            block = summary["metrics"][n][r["code"]]
            for key, column in COLUMNS:
                # Excel keeps 15 significant digits
                stored = block.get(key)
                cell = r[f"{n}: {column}"]
                assert cell is None if stored is None else cell == pytest.approx(stored, rel=1e-14)
    flagged = {r["code"]: r["model prediction"] for r in table}
    assert flagged["csat"] == "yes" and flagged["wait_mean_min"] == "no"


def test_shares_are_fractions_formatted_as_percent(workbook) -> None:
    ws = workbook["Headline"]
    header = [c.value for c in ws[1]]
    mean = header.index("integrated: mean") if "integrated: mean" in header else 4
    by_code = {row[1].value: row for row in ws.iter_rows(min_row=2)}
    assert 0 <= by_code["service_level"][mean].value <= 1
    assert by_code["service_level"][mean].number_format == "0.0%"
    assert by_code["wait_mean_min"][mean].number_format == "0.00"
    groups = workbook["Window groups"]
    util = [c.value for c in groups[1]].index("utilisation")
    cells = [row[util] for row in groups.iter_rows(min_row=2)]
    assert all(0 <= c.value <= 1 and c.number_format == "0.0%" for c in cells)


def test_breakdowns_average_every_replication_once(
    workbook,
    compare_dir: Path,  # noqa: F811
) -> None:
    periods = pd.read_parquet(compare_dir / "periods.parquet")
    table = rows(workbook["Periods"])
    assert len(table) == len(periods.groupby(["scenario", "period_start_min"]))
    reps = periods["replication"].nunique()
    # a period after closing exists only in the replications whose day ran that late
    assert max(r["replications"] for r in table) == reps
    assert all(1 <= r["replications"] <= reps for r in table)
    first = table[0]
    same = periods[
        (periods["scenario"] == first["scenario"]) & (periods["period"] == first["period"])
    ]
    assert first["arrivals"] == pytest.approx(same["arrivals"].mean())


def test_every_header_comes_from_the_label_table(compare_dir: Path) -> None:  # noqa: F811
    res = load_results(compare_dir)
    labels = {k: f"中{v}" for k, v in export.HEADERS.items()}
    for title, df, _ in export.workbook_sheets(res, labels):
        assert title.startswith("中")
        for column in df.columns:
            text = str(column)
            for n in res.scenarios:  # "<scenario>: mean"
                text = text.removeprefix(f"{n}: ")
            assert text.startswith("中"), (title, column)


def test_the_workbook_is_the_same_bytes_each_time_and_names_its_maker(
    compare_dir: Path,  # noqa: F811
) -> None:
    res = load_results(compare_dir)
    one = export.workbook_bytes(export.build_workbook(res))
    two = export.workbook_bytes(export.build_workbook(res))
    assert one == two
    assert SIGNATURE in one[: 1 << 16]


def test_cli_writes_into_the_results_folder_and_records_it(
    compare_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ab"
    shutil.copytree(compare_dir, folder)
    result = CliRunner().invoke(main, ["export", str(folder)])
    assert result.exit_code == 0, result.output
    written = [folder / "results.xlsx", folder / "slides" / "summary.png"]
    assert result.output.strip().splitlines() == [str(p) for p in written]
    record = json.loads((folder / ".hallsim-results.json").read_text(encoding="utf-8"))
    assert {"results.xlsx", "slides/summary.png"} <= set(record["files"]) and record["complete"]
    assert not list(folder.glob(".hallsim-tmp-*"))


def test_cli_xlsx_file_elsewhere_never_replaces_a_users_file(
    compare_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "planning" / "ab.xlsx"
    assert CliRunner().invoke(main, ["export", str(compare_dir), "--xlsx", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["export", str(compare_dir), "--xlsx", str(out)]).exit_code == 0
    mine = tmp_path / "mine.xlsx"
    mine.write_bytes(b"the planner's own workbook")
    result = CliRunner().invoke(main, ["export", str(compare_dir), "--xlsx", str(mine)])
    assert result.exit_code == 2 and "not written by hallsim" in result.output
    assert mine.read_bytes() == b"the planner's own workbook"


@pytest.mark.parametrize("bad", ["missing", "sweep", "suffix"])
def test_cli_bad_input_is_one_line_and_exit_2(
    bad: str,
    compare_dir: Path,  # noqa: F811
    sweep_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    args = {
        "missing": [str(tmp_path / "nothing")],
        "sweep": [str(sweep_dir), "--xlsx", str(tmp_path / "s.xlsx")],
        "suffix": [str(compare_dir), "--xlsx", str(tmp_path / "a.csv")],
    }[bad]
    result = CliRunner().invoke(main, ["export", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.csv"))
