"""``hallsim export``: the results of a run/compare folder as one Excel workbook.

Thin over ``hallsim.export``: read the folder, build the workbook, write it
atomically into the results folder (``results.xlsx``) or to ``--xlsx FILE``
(``hallsim.resultsdir.write_single_file``), print the path as the last line.
"""

from __future__ import annotations

from pathlib import Path

import click

from hallsim.cli import BadInput
from hallsim.cli_present import _write_output


@click.command("export")
@click.argument("results_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--xlsx",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Workbook to write (default: RESULTS_DIR/results.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace an --xlsx file hallsim did not write.")
def export_command(results_dir: Path, out: Path | None, force: bool) -> None:
    """Write a run/compare RESULTS_DIR as one Excel workbook (no simulation is run).

    Sheets: Headline (every metric, mean and 95% interval per scenario),
    Differences (paired, to the baseline), Periods, Matters and Window groups
    (means over the replications), About (command, version, seed).  Shares
    are fractions shown as per cent, so formulas compute with them.

    \b
    Example:
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --out results/ab
      hallsim export results/ab
      hallsim export results/ab --xlsx planning/ab.xlsx
    """
    if out is not None and out.suffix.lower() != ".xlsx":
        raise BadInput(f"--xlsx {out}: a workbook file ends in .xlsx")
    from hallsim.export import build_workbook, workbook_bytes
    from hallsim.plots import ResultsError, load_results

    try:
        data = workbook_bytes(build_workbook(load_results(results_dir)))
    except ResultsError as exc:
        raise BadInput(str(exc)) from None
    path = _write_output(results_dir, out, "results.xlsx", lambda p: p.write_bytes(data), force)
    click.echo(str(path))
