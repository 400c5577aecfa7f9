"""Figures from saved results (hallsim.plots) and the `hallsim plot` command.

Small real results are made once per session through the CLI (`-r 3 -q`);
the sweep folder is synthetic (tests/test_plots.py::sweep_dir).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure

from hallsim import plots
from hallsim.cli import main

from .conftest import simulate_cli as simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
RUN_KINDS = ("waits", "compare", "day", "utilisation", "satisfaction")


@pytest.fixture(scope="session")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dedicated vs integrated, 3 replications, with the citizen log."""
    out = tmp_path_factory.mktemp("results") / "ab"
    simulate(
        [
            "compare",
            str(SCENARIOS / "dedicated.toml"),
            str(SCENARIOS / "integrated.toml"),
            "--log",
            "--out",
            str(out),
        ]
    )
    return out


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scenario without --log (no citizens.parquet)."""
    out = tmp_path_factory.mktemp("results") / "run"
    simulate(["run", str(SCENARIOS / "integrated.toml"), "--out", str(out)])
    return out


PARAM_A, PARAM_B = "windows.0.count", "arrivals.rate_per_hour"


def write_sweep(folder: Path, params: tuple[str, ...] = (PARAM_A, PARAM_B)) -> Path:
    """A synthetic sweep folder: results.parquet + manifest.json, 4 replications a point."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    grid = {PARAM_A: [2, 3, 4], PARAM_B: [30.0, 45.0]}
    rows = []
    point = 0
    for a in grid[PARAM_A]:
        for b in grid[PARAM_B] if PARAM_B in params else [None]:
            for rep in range(4):
                row = {PARAM_A: a, "point": point, "replication": rep, "seed": 1}
                if b is not None:
                    row[PARAM_B] = b
                load = (b or 40.0) / a
                row["wait_mean_min"] = load / 2 + rng.normal(0, 0.3)
                row["service_level"] = min(1.0, 1.2 - load / 40 + rng.normal(0, 0.01))
                rows.append(row)
            point += 1
    pd.DataFrame(rows).to_parquet(folder / "results.parquet", index=False)
    manifest = {"kind": "sweep", "parameters": list(params), "replications": 4, "seed": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep") / "grid")


@pytest.fixture(scope="session")
def tornado_dir(compare_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """compare_dir with a small robustness check (two assumptions, 2 replications)."""
    from hallsim import robustness as rb
    from hallsim.results import clean
    from hallsim.scenario import load_scenario

    out = tmp_path_factory.mktemp("tornado") / "ab"
    shutil.copytree(compare_dir, out)
    scenarios = [load_scenario(SCENARIOS / f) for f in ("dedicated.toml", "integrated.toml")]
    picked = ("attitude_effects.fcr_per_unit", "satisfaction.beta_attitude")
    check = rb.check(
        scenarios, 2, seed=1, assumptions=tuple(a for a in rb.ASSUMPTIONS if a.name in picked)
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["robustness"] = clean(check.to_json())
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


def figure_for(kind: str, compare_dir: Path, sweep_dir: Path, tornado_dir: Path) -> Figure:
    if kind == "backtest":  # drawn from backtest.json (tests/test_fit.py covers the command)
        folder = compare_dir.parent / "backtest_plot"
        folder.mkdir(exist_ok=True)
        band = {"observed": 1.0, "mean": 1.1, "ci_low": 1.0, "ci_high": 1.2}
        band |= {"pi_low": 0.5, "pi_high": 2.0}
        metrics = ("arrived", "abandoned_share", "wait_mean_min", "utilisation")
        periods = [{"start": f"{h:02d}:00", **dict.fromkeys(metrics, band)} for h in range(9, 17)]
        overall = dict.fromkeys(metrics, band)
        js = {"scenario": "x", "days": 3, "replications": 4, "overall": overall, "periods": periods}
        (folder / "backtest.json").write_text(json.dumps(js), encoding="utf-8")
        return plots.render(folder, "backtest")
    if kind == "sweep":
        return plots.render(sweep_dir, "sweep", metric="wait_mean_min")
    if kind == "tornado":
        return plots.render(tornado_dir, "tornado", metric="csat")
    if kind == "stations":  # needs scenarios with stations (docs/visits.md)
        return plots.render(stations_dir(compare_dir.parent), "stations")
    if kind == "clerks":  # needs clerks who differ (tests/test_kiosks_tidal.py covers it)
        folder = compare_dir.parent / "clerks_plot"
        if not folder.exists():
            simulate(["run", str(SCENARIOS / "kiosks.toml"), "--out", str(folder)])
        return plots.render(folder, "clerks")
    return plots.render(compare_dir, kind)


def stations_dir(parent: Path) -> Path:
    """visits_dedicated vs reception_pickup (3 replications), made once per session."""
    out = parent / "stations"
    if not (out / "stations.parquet").is_file():
        simulate(
            [
                "compare",
                str(SCENARIOS / "visits_dedicated.toml"),
                str(SCENARIOS / "reception_pickup.toml"),
                "--out",
                str(out),
            ]
        )
    return out


def test_stations_plot_shows_every_station_and_refuses_a_folder_without_them(
    compare_dir: Path,
) -> None:
    fig = plots.plot_stations(stations_dir(compare_dir.parent))
    ticks = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert ticks == {"windows", "reception", "pickup"}
    assert "minutes" in fig.axes[0].get_xlabel()
    with pytest.raises(plots.ResultsError, match=r"stations\.parquet"):
        plots.plot_stations(compare_dir)


def all_axis_labels(fig: Figure) -> list[str]:
    labels = []
    for ax in fig.axes:
        labels += [ax.get_xlabel(), ax.get_ylabel()]
    return [t for t in labels if t]


# --------------------------------------------------------------------------- every kind


@pytest.mark.parametrize("kind", plots.KINDS)
def test_each_kind_renders_a_slide_sized_figure_to_png_and_svg(
    kind: str, compare_dir: Path, sweep_dir: Path, tornado_dir: Path, tmp_path: Path
) -> None:
    fig = figure_for(kind, compare_dir, sweep_dir, tornado_dir)
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == pytest.approx(plots.SLIDE_SIZE_IN)
    assert fig.dpi == plots.DPI
    assert all_axis_labels(fig), f"{kind}: no axis labels"
    png = plots.save_figure(fig, tmp_path / f"{kind}.png")
    svg = plots.save_figure(fig, tmp_path / f"{kind}.svg")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    # the PNG's pixel size is the slide size at 150 dpi
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1500, 840)
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and len(text) > 10_000


def test_axis_labels_name_their_units(compare_dir: Path, sweep_dir: Path) -> None:
    waits = plots.plot_waits(compare_dir)
    assert waits.axes[0].get_xlabel() == "wait from ticket to call (min)"
    assert "(%)" in waits.axes[0].get_ylabel()

    day = plots.plot_day(compare_dir)
    labels = all_axis_labels(day)
    assert any("(min)" in t for t in labels)
    assert any("waiting" in t and "citizens" in t for t in labels)
    assert any("windows staffed" in " ".join(t.split()) for t in labels)
    assert any("time of day" in t for t in labels)

    compare = plots.plot_compare(compare_dir)
    xlabels = [ax.get_xlabel() for ax in compare.axes]
    # the means row; a share axis narrower than 0–100% says it is zoomed
    assert [x.split("\n(axis zoomed")[0] for x in xlabels[:4]] == ["min", "min", "%", "%"]
    assert "Δ min" in xlabels and "Δ percentage points" in xlabels  # the differences row

    util = plots.plot_utilisation(compare_dir)
    assert any("utilisation" in t and "(%)" in t for t in all_axis_labels(util))
    assert any(ax.get_xlabel() == "period start (time of day)" for ax in util.axes)

    sweep = plots.plot_sweep(sweep_dir, "wait_mean_min")
    assert sweep.axes[0].get_xlabel() == "windows: group 1"  # PARAM_A in words
    assert sweep.axes[0].get_ylabel() == "mean wait (min)"


def test_compare_plot_shows_paired_differences_for_each_non_baseline(compare_dir: Path) -> None:
    fig = plots.plot_compare(compare_dir)
    tick_texts = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert {"dedicated", "integrated"} <= tick_texts
    assert "integrated − dedicated" in tick_texts


def test_compare_plot_of_a_single_run_has_no_differences_row(run_dir: Path) -> None:
    fig = plots.plot_compare(run_dir)
    assert len(fig.axes) == len(plots.KEY_METRICS)
    assert fig.get_suptitle().startswith("integrated:")


def test_compare_plot_can_show_one_chosen_metric(compare_dir: Path) -> None:
    fig = plots.render(compare_dir, "compare", metric="queue_len_mean")
    assert len(fig.axes) == 2  # mean and difference
    with pytest.raises(plots.ResultsError, match="no_such_metric"):
        plots.plot_compare(compare_dir, ["no_such_metric"])


def test_waits_without_citizen_log_falls_back_to_box_plots_and_says_so(run_dir: Path) -> None:
    assert not (run_dir / "citizens.parquet").exists()
    fig = plots.plot_waits(run_dir)
    title = fig.axes[0].get_title(loc="left")
    assert "box plots" in title
    assert "--log" not in title  # no tool instructions inside a slide
    assert fig.axes[0].get_ylabel() == "wait from ticket to call (min)"


def test_waits_ecdf_height_at_the_target_is_the_service_level(compare_dir: Path) -> None:
    # service_level = share of arrived called within the target; the ECDF counts
    # abandoners as never called, so its value at the target is the pooled share.
    citizens = pd.read_parquet(compare_dir / "citizens.parquet")
    reps = pd.read_parquet(compare_dir / "replications.parquet")
    fig = plots.plot_waits(compare_dir)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]  # below the axes
    for name in ("dedicated", "integrated"):
        d = citizens[citizens["scenario"] == name]
        assert len(d) == reps.loc[reps["scenario"] == name, "arrived"].sum()
        share = ((d["outcome"] == "served") & (d["wait_min"] <= 15)).mean()
        assert f"{name}: {100 * share:.0f}% within 15 min" in legend


def test_satisfaction_labels_all_say_predicted(compare_dir: Path) -> None:
    fig = plots.plot_satisfaction(compare_dir)
    ax = fig.axes[0]
    assert "predicted" in fig.get_suptitle().lower()
    assert "predicted" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend and all("predicted" in t for t in legend)
    notes = [t.get_text() for t in ax.texts if "mean" in t.get_text()]
    assert notes and all(t.startswith("predicted mean") for t in notes)


def test_satisfaction_bands_are_the_stored_rating_shares(compare_dir: Path) -> None:
    summary = json.loads((compare_dir / "summary.json").read_text(encoding="utf-8"))
    fig = plots.plot_satisfaction(compare_dir)
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0]
    by_row: dict[int, list[float]] = {}
    for b in bars:
        by_row.setdefault(round(b.get_y() + b.get_height() / 2), []).append(b.get_width())
    for i, name in enumerate(summary["scenarios"]):
        m = summary["metrics"][name]
        shares = [m[f"rating_{k}"]["mean"] for k in range(1, 6)]
        assert by_row[i] == pytest.approx(shares)
        # the five levels agree with the headline shares
        assert shares[0] + shares[1] == pytest.approx(m["bad_review_rate"]["mean"])
        assert shares[3] + shares[4] == pytest.approx(m["csat"]["mean"])


def test_utilisation_heatmap_is_group_by_period(compare_dir: Path) -> None:
    periods = pd.read_parquet(compare_dir / "periods.parquet")
    fig = plots.plot_utilisation(compare_dir)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2  # one panel per scenario
    dedicated = images[0].get_array()
    own = periods[periods["scenario"] == "dedicated"]  # each panel has its own periods
    own = own[own["period_start_min"] < 17 * 60]  # until closing (after it: dropped)
    assert dedicated.shape == (3, own["period_start_min"].nunique())
    expected = own.groupby("period_start_min")["utilisation[social_security]"].mean()
    np.testing.assert_allclose(dedicated[0].filled(np.nan), expected.to_numpy(), equal_nan=True)


def test_day_bands_are_t_intervals_across_replications() -> None:
    df = pd.DataFrame({"p": [0, 0, 0], "v": [1.0, 2.0, 3.0]})
    out = plots.t_summary(df, ["p"], "v").iloc[0]
    half = 4.302652729911275 / np.sqrt(3)  # t(0.975, 2) · sd 1 / √3
    assert out["mean"] == 2.0 and out["n"] == 3
    assert out["ci_low"] == pytest.approx(2 - half) and out["ci_high"] == pytest.approx(2 + half)


# --------------------------------------------------------------------------- sweep


def test_sweep_one_line_per_second_parameter_with_bands_and_a_heatmap(sweep_dir: Path) -> None:
    fig = plots.plot_sweep(sweep_dir, "service_level")
    lines_ax, heat_ax = fig.axes[0], fig.axes[1]
    assert len(lines_ax.get_lines()) == 2  # rate 30 and 45
    assert len(lines_ax.collections) == 2  # CI bands
    assert heat_ax.images[0].get_array().shape == (2, 3)  # hue × x
    assert lines_ax.get_ylabel().startswith("service level (called within target) (%)")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["30", "45"]


def test_sweep_means_match_the_results_table(sweep_dir: Path) -> None:
    results = pd.read_parquet(sweep_dir / "results.parquet")
    fig = plots.plot_sweep(sweep_dir, "wait_mean_min", x=PARAM_B, hue=PARAM_A)
    first = fig.axes[0].get_lines()[0]  # windows.0.count = 2
    expected = results[results[PARAM_A] == 2].groupby(PARAM_B)["wait_mean_min"].mean()
    np.testing.assert_allclose(first.get_ydata(), expected.to_numpy())
    assert fig.axes[0].get_xlabel() == "arrivals per hour"  # PARAM_B in words


def test_sweep_over_one_parameter_is_a_single_line(tmp_path: Path) -> None:
    folder = write_sweep(tmp_path / "one", params=(PARAM_A,))
    fig = plots.plot_sweep(folder, "wait_mean_min")
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1


def test_sweep_errors_name_the_problem(sweep_dir: Path, compare_dir: Path) -> None:
    with pytest.raises(plots.ResultsError, match="no metric 'nope'"):
        plots.plot_sweep(sweep_dir, "nope")
    with pytest.raises(plots.ResultsError, match="was not swept"):
        plots.plot_sweep(sweep_dir, "wait_mean_min", x="hall.comfort")
    with pytest.raises(plots.ResultsError, match="not a sweep folder"):
        plots.plot_sweep(compare_dir, "wait_mean_min")
    with pytest.raises(plots.ResultsError, match="sweep folder"):
        plots.render(sweep_dir, "day")


# --------------------------------------------------------------------------- CLI


def test_cli_plot_writes_default_path_and_prints_it_last(compare_dir: Path) -> None:
    result = CliRunner().invoke(main, ["plot", str(compare_dir), "--kind", "day"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == compare_dir / "plots" / "day.png"
    assert path.read_bytes().startswith(b"\x89PNG")


def test_cli_plot_svg_to_chosen_file(compare_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "slides" / "waits.svg"
    result = CliRunner().invoke(main, ["plot", str(compare_dir), "-k", "waits", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(out)
    assert "<svg" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        main, ["plot", str(compare_dir), "-k", "waits", "--format", "svg", "-o", str(out)]
    )
    assert result.exit_code == 0


def test_cli_plot_sweep_metric(sweep_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["plot", str(sweep_dir), "--kind", "sweep", "--metric", "service_level"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(sweep_dir / "plots" / "sweep.png")
    bad = CliRunner().invoke(main, ["plot", str(sweep_dir), "--kind", "sweep", "-m", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.stderr


def test_cli_plot_missing_folder_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-results"
    result = CliRunner().invoke(main, ["plot", str(missing), "--kind", "compare"])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not missing.exists()


@pytest.mark.parametrize(
    ("damage", "kind", "names"),
    [
        ("summary.json", "compare", "summary.json"),
        ("replications.parquet", "compare", "replications.parquet"),
        ("periods.parquet", "day", "periods.parquet"),
        ("corrupt summary", "waits", "summary.json"),
    ],
)
def test_cli_plot_incomplete_folder_exits_2_and_writes_nothing(
    compare_dir: Path, tmp_path: Path, damage: str, kind: str, names: str
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    if damage == "corrupt summary":
        (folder / "summary.json").write_text("{ not json", encoding="utf-8")
    else:
        (folder / damage).unlink()
    result = CliRunner().invoke(main, ["plot", str(folder), "--kind", kind])
    assert result.exit_code == 2, result.output
    assert names in result.stderr and str(folder) in result.stderr
    assert not (folder / "plots").exists()


def test_tornado_is_labelled_predicted_and_needs_a_robustness_check(
    tornado_dir: Path, compare_dir: Path
) -> None:
    fig = plots.render(tornado_dir, "tornado", metric="csat")
    assert "predicted" in fig.get_suptitle()
    assert len(fig.axes) == 1  # one compared scenario
    result = CliRunner().invoke(main, ["plot", str(compare_dir), "--kind", "tornado"])
    assert result.exit_code == 2 and "--robustness" in result.output
    assert not (compare_dir / "plots" / "tornado.png").exists()


def test_cli_plot_rejects_unknown_kind(compare_dir: Path) -> None:
    result = CliRunner().invoke(main, ["plot", str(compare_dir), "--kind", "pie"])
    assert result.exit_code == 2


def test_satisfaction_uses_five_levels_when_the_results_have_them(
    compare_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "five"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "report.html"))
    reps = pd.read_parquet(folder / "replications.parquet")
    shares = [0.02, 0.04, 0.14, 0.3, 0.5]
    for k, share in enumerate(shares, start=1):
        reps[f"rating_{k}"] = share
    reps.to_parquet(folder / "replications.parquet", index=False)
    fig = plots.plot_satisfaction(folder)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"{k} (predicted)" for k in range(1, 6)]
    widths = [p.get_width() for p in fig.axes[0].patches][:5]
    assert widths == pytest.approx(shares)


def test_cli_plot_all_writes_every_kind_that_applies(compare_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "all"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "slides"))
    result = CliRunner().invoke(main, ["plot", str(folder), "--all"])
    assert result.exit_code == 0, result.output
    written = sorted(Path(p).name for p in result.output.split())
    # --log ran, no robustness check, clerks all alike, no stations: every run kind but
    # the tornado, the per-clerk and the per-station figures
    skipped = ("sweep", "tornado", "backtest", "clerks", "stations")
    assert written == sorted(f"{k}.png" for k in plots.KINDS if k not in skipped)


def test_cli_plot_all_on_a_sweep_draws_each_key_metric(sweep_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sw"
    shutil.copytree(sweep_dir, folder)
    result = CliRunner().invoke(main, ["plot", str(folder), "--all"])
    assert result.exit_code == 0, result.output
    names = [Path(p).name for p in result.output.split()]
    assert names == ["sweep-wait_mean_min.png", "sweep-service_level.png"]


def test_cli_plot_slides_are_16_to_9_and_numbered(compare_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "sl"
    shutil.copytree(compare_dir, folder, ignore=shutil.ignore_patterns("plots", "slides"))
    result = CliRunner().invoke(main, ["plot", str(folder), "--slides"])
    assert result.exit_code == 0, result.output
    paths = [Path(p) for p in result.output.split()]
    assert paths[0].name == "01-summary.png" and all(p.parent.name == "slides" for p in paths)
    for p in paths:
        w, h = Image.open(p).size
        assert w == 1920 and abs(w / h - 16 / 9) < 0.01


def test_cli_plot_all_refuses_a_single_figure_option(compare_dir: Path) -> None:
    result = CliRunner().invoke(main, ["plot", str(compare_dir), "--all", "--kind", "day"])
    assert result.exit_code == 2
