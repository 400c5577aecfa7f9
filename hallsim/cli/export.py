"""``hallsim export``: the results of a run/compare folder as one Excel workbook.

Thin over ``hallsim.export``: read the folder, build the workbook, write it
atomically into the results folder (``results.xlsx``) or to ``--xlsx FILE``
(``hallsim.resultsdir.write_single_file``), print the path as the last line.
"""

from __future__ import annotations

from pathlib import Path

import click

from hallsim import i18n
from hallsim.cli.common import BadInput
from hallsim.cli.present import FIGURE_FORMATS, _write_output


@click.command("export")
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--xlsx",
    "xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the workbook to this .xlsx file.",
)
@click.option(
    "--slide",
    "slide",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the one-slide 16:9 summary to this .png/.svg/.pdf file.",
)
@click.option("--force", is_flag=True, help="Replace a file hallsim did not write.")
def export_command(results_dir: Path, xlsx: Path | None, slide: Path | None, force: bool) -> None:
    """Export a run/compare RESULTS_DIR for planners: an Excel workbook and a
    one-slide 16:9 summary (no simulation is run).

    Without --xlsx/--slide both go into the folder (results.xlsx,
    slides/summary.png); with either, only what is named is written.
    Workbook sheets: Headline (every metric, mean and 95% interval per
    scenario), Differences (paired, to the baseline), Periods, Matters and
    Window groups (means over the replications), About (command, version,
    seed); shares are fractions shown as per cent, so formulas compute with
    them.  The slide shows mean wait, service level, citizens left unserved
    and predicted CSAT per scenario, marked better/worse only where the
    paired interval excludes 0.

    \b
    Example:
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --out results/ab
      hallsim export results/ab
      hallsim export results/ab --xlsx planning/ab.xlsx --slide planning/ab.png
    """
    if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
        raise BadInput(i18n.t("err.xlsx_suffix", path=xlsx))
    if slide is not None and slide.suffix.lower().lstrip(".") not in FIGURE_FORMATS:
        raise BadInput(i18n.t("err.slide_suffix", path=slide))
    both = xlsx is None and slide is None
    from hallsim.export import build_workbook, workbook_bytes
    from hallsim.plots import save_figure
    from hallsim.results import ResultsError, load_results
    from hallsim.slide import summary_slide

    try:
        res = load_results(results_dir)
        labels = i18n.workbook_labels()
        data = workbook_bytes(build_workbook(res, labels)) if both or xlsx else None
        fig = summary_slide(res) if both or slide else None
    except ResultsError as exc:
        raise BadInput(str(exc)) from None
    written = []
    if data is not None:
        written.append(
            _write_output(results_dir, xlsx, "results.xlsx", lambda p: p.write_bytes(data), force)
        )
    if fig is not None:
        written.append(
            _write_output(
                results_dir, slide, "slides/summary.png", lambda p: save_figure(fig, p), force
            )
        )
    for path in written:
        click.echo(str(path))
