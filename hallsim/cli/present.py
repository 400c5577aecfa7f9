"""``hallsim plot`` and ``hallsim report``: figures and an HTML report from saved results.

Thin over ``hallsim.plots`` and ``hallsim.report``: parse, call, write, print
the written path as the last stdout line.  A missing or incomplete results
folder is bad input: a message on stderr naming the folder or file, exit 2,
nothing written.  Register on the main group with::

    main.add_command(plot)
    main.add_command(report)
"""

from __future__ import annotations

from pathlib import Path

import click

from hallsim.cli.common import BadInput, WriteError, writing
from hallsim.names import PLOT_KINDS
from hallsim.resultsdir import OutputError, ResultsFolder, WriteFailed, write_single_file

FIGURE_FORMATS = ("png", "svg", "pdf")  # as hallsim.plots.FIGURE_FORMATS, without importing it


def _write_output(results_dir: Path, out: Path | None, default: str, writer, force: bool) -> Path:
    """Write a plot or report into RESULTS_DIR (as hallsim's), or to the --out file named."""
    if out is None:
        folder = ResultsFolder(results_dir, "plot", replace=False)
        with writing(folder):
            return folder.write(default, writer)
    try:
        return write_single_file(out, writer, force=force)
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    except WriteFailed as exc:
        raise WriteError(f"could not write {exc.strerror}") from None


@click.command("plot")
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--kind",
    "-k",
    type=click.Choice(PLOT_KINDS),
    default=None,
    help="waits | compare | day | utilisation | satisfaction | sweep | tornado | backtest "
    "(default: compare, sweep for a sweep folder, backtest for a backtest folder; "
    "tornado: a compare --robustness folder).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FIGURE_FORMATS),
    default=None,
    help="Image format (default: from --out's suffix, else png).",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: RESULTS_DIR/plots/KIND.png).",
)
@click.option(
    "--metric",
    "-m",
    default=None,
    help="sweep, tornado: the metric to plot (default wait_mean_min); compare: show only "
    "this metric.",
)
@click.option(
    "--all",
    "all_kinds",
    is_flag=True,
    help="Write every figure that applies to RESULTS_DIR into RESULTS_DIR/plots/ "
    "(a sweep: one per key metric), each path on its own line.",
)
@click.option(
    "--slides",
    is_flag=True,
    help="Write a 16:9 slide set into RESULTS_DIR/slides/: the one-slide summary, then "
    "every figure that applies, numbered in presenting order (PNG 1920 px wide).",
)
@click.option("--x", "x", default=None, help="sweep: parameter on the x axis (dotted path).")
@click.option("--hue", default=None, help="sweep: parameter giving one line per value.")
@click.option("--force", is_flag=True, help="Replace an --out file hallsim did not write.")
def plot(
    results_dir: Path,
    kind: str | None,
    fmt: str | None,
    out: Path | None,
    metric: str | None,
    all_kinds: bool,
    slides: bool,
    x: str | None,
    hue: str | None,
    force: bool,
) -> None:
    """Draw a figure from a saved RESULTS_DIR (no simulation is run).

    Slide-sized (10 × 5.6 in), colour-blind-safe; Chinese names use an
    installed CJK font, else the bundled Hallsim Sans SC (a Noto Sans CJK
    subset).  SVG keeps text as text.

    \b
    Example:
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --log --out results/ab
      hallsim plot results/ab --kind waits
      hallsim plot results/ab --kind day --format svg --out slides/day.svg
      hallsim plot results/sweep --kind sweep --metric wait_p90_min --hue windows.0.count
    """
    if all_kinds or slides:
        if out is not None or kind is not None or metric is not None or x or hue:
            raise BadInput("--all and --slides write every figure: leave out --kind/--metric/--out")
        _plot_set(results_dir, fmt or "png", slides)
        return
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    if out is not None and suffix not in FIGURE_FORMATS:
        raise BadInput(
            f"--out {out}: a figure file ends in .png, .svg or .pdf "
            f"(the suffix decides the format), got {out.suffix or 'no suffix'!r}"
        )
    if suffix and fmt is not None and suffix != fmt:
        raise BadInput(f"--out {out}: suffix does not match --format {fmt}")
    fmt = suffix or fmt or "png"
    # matplotlib loads only when a figure is drawn, keeping every other command quick to start
    from hallsim.plots import render, save_figure
    from hallsim.results import ResultsError, load_results

    try:
        if kind is None and (results_dir / "backtest.json").is_file():
            kind = "backtest"
        res = results_dir if kind == "backtest" else load_results(results_dir)
        if kind is None:
            kind = "sweep" if res.kind == "sweep" else "compare"
        if kind != "sweep" and (x or hue):
            raise BadInput("--x and --hue apply to --kind sweep only")
        fig = render(res, kind, metric=metric, x=x, hue=hue)
    except ResultsError as exc:
        raise BadInput(str(exc)) from None
    path = _write_output(
        results_dir, out, f"plots/{kind}.{fmt}", lambda p: save_figure(fig, p, fmt), force
    )
    click.echo(str(path))


def _plot_set(results_dir: Path, fmt: str, slides: bool) -> None:
    """Every applicable figure into plots/ (or a numbered 16:9 set into slides/)."""
    from hallsim.plots import SLIDE_DPI, applicable, render, save_figure
    from hallsim.results import ResultsError, load_results

    try:
        res = load_results(results_dir)
        wanted = applicable(res)
        figures = []
        if slides and res.kind != "sweep":
            from hallsim.slide import summary_slide

            figures.append(("summary", summary_slide(res)))
        for kind, metric in wanted:
            name = kind if metric is None or kind == "compare" else f"{kind}-{metric}"
            figures.append((name, render(res, kind, metric=metric)))
    except ResultsError as exc:
        raise BadInput(str(exc)) from None
    folder = ResultsFolder(results_dir, "plot", replace=False)
    written = []
    with writing(folder):
        for i, (name, fig) in enumerate(figures, start=1):
            if slides:
                rel, dpi = f"slides/{i:02d}-{name}.{fmt}", SLIDE_DPI
                if name == "summary":
                    dpi = 150  # already 1920 × 1080 at 150 dpi (hallsim.slide)
            else:
                rel, dpi = f"plots/{name}.{fmt}", 150
            written.append(folder.write(rel, lambda p, f=fig, d=dpi: save_figure(f, p, fmt, d)))
    for path in written:
        click.echo(str(path))


@click.command("report")
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output HTML file (default: RESULTS_DIR/report.html).",
)
@click.option(
    "--title",
    default=None,
    help="The question the report answers, as its heading (default: from the scenario names).",
)
@click.option("--force", is_flag=True, help="Replace an --out file hallsim did not write.")
def report(results_dir: Path, out: Path | None, title: str | None, force: bool) -> None:
    """Write one self-contained HTML report of a run/compare RESULTS_DIR.

    Settings side by side, headline metrics with 95% intervals, paired
    differences, the figures (embedded), the satisfaction model's assumptions,
    and the command, version and seeds.  Opens in any browser without a
    network and prints cleanly.

    \b
    Example:
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --log --out results/ab
      hallsim report results/ab
    """
    from hallsim.report import build_report
    from hallsim.results import ResultsError

    try:
        html = build_report(results_dir, title=title)
    except ResultsError as exc:
        raise BadInput(str(exc)) from None
    path = _write_output(
        results_dir, out, "report.html", lambda p: p.write_text(html, encoding="utf-8"), force
    )
    click.echo(str(path))
