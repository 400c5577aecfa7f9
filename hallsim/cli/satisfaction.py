"""``hallsim calibrate`` and ``hallsim sensitivity``: the satisfaction model's commands.

Thin over ``hallsim.calibrate`` and ``hallsim.satisfaction`` (parse, call,
print, exit code).  Register them on the main group with
``main.add_command(calibrate_command)`` and ``main.add_command(sensitivity_command)``.
Exit codes: 0 success, 2 bad input (message on stderr, nothing written).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from hallsim.cli.common import BadInput
from hallsim.cli.types import REPLICATIONS, SEED
from hallsim.metrics.registry import PERCENT
from hallsim.resultsdir import json_safe

if TYPE_CHECKING:  # numpy, pandas, statsmodels and rich load when a command runs
    from hallsim.calibrate import CalibrationResult
    from hallsim.satisfaction import SatisfactionConfig

SENSITIVITY_METRICS = ("csat", "bad_review_rate", "satisfaction_mean", "complaint_rate")


def _bad_input(command: str, message: str) -> NoReturn:
    raise BadInput(message, command=command)


def _num(x: float, digits: int = 4) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _load_base(scenario: str | None) -> tuple[SatisfactionConfig, float | None, str | None]:
    from hallsim.satisfaction import SatisfactionConfig
    from hallsim.scenario import ScenarioError, load_scenario

    if scenario is None:
        return SatisfactionConfig(), None, None

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        _bad_input("calibrate", str(exc))
    return sc.satisfaction, sc.hall.comfort, sc.name


@click.command("calibrate")
@click.argument("survey_csv", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--scenario",
    "scenario",
    type=click.Path(path_type=str),
    default=None,
    help="Scenario whose [satisfaction] table gives the base coefficients (knots, "
    "references, and the values of coefficients the survey cannot fit) and whose "
    "hall.comfort is the surveyed hall's.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Write the fitted [satisfaction] table to this TOML file (default: print it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, nothing else.")
def calibrate_command(
    survey_csv: str, scenario: str | None, out: str | None, as_json: bool
) -> None:
    """Fit the satisfaction coefficients to a survey CSV (ordered logit, maximum likelihood).

    Columns: rating (1-5) and wait_min are required; attitude (or proactiveness,
    responsibility, care, enthusiasm), settled (0/1), overtaken, abandoned (0/1)
    and comfort are fitted when present.  Prints the estimates with standard
    errors and a [satisfaction] table to paste into a scenario.

    Example:

    \b
        hallsim calibrate scenarios/survey_example.csv \\
            --scenario scenarios/integrated.toml --out fitted.toml
    """
    from hallsim.calibrate import calibrate, read_survey

    base, comfort, scenario_name = _load_base(scenario)
    if out is not None:
        parent = Path(out).resolve().parent
        if not parent.is_dir():
            _bad_input("calibrate", f"{out}: directory {parent} does not exist")
    try:
        survey = read_survey(survey_csv)
        result = calibrate(survey, base, comfort=comfort, source=Path(survey_csv).name)
    except ValueError as exc:
        _bad_input("calibrate", f"{survey_csv}: {exc}")
    for note in result.warnings:
        click.echo(f"hallsim calibrate: warning: {note}", err=True)

    toml = result.to_toml()
    if out is not None:
        from hallsim.resultsdir import OutputError, write_single_file

        try:  # atomically; never over a file that hallsim did not write
            write_single_file(Path(out), lambda p: p.write_text(toml, encoding="utf-8"))
        except OutputError as exc:
            _bad_input("calibrate", str(exc))
    if as_json:
        click.echo(json.dumps(_calibration_json(result, survey_csv, scenario, out, toml)))
        return
    _print_calibration(result, survey_csv, scenario_name)
    if out is None:
        click.echo()
        click.echo(toml, nl=False)
    else:
        click.echo(out)


def _calibration_json(
    result: CalibrationResult, survey: str, scenario: str | None, out: str | None, toml: str
) -> dict:
    table = result.table()
    return {
        "survey": survey,
        "scenario": scenario,
        "n": result.n,
        "log_likelihood": result.log_likelihood,
        "log_likelihood_base": result.log_likelihood_base,
        "lr_statistic": result.lr_statistic,
        "lr_pvalue": result.lr_pvalue,
        "converged": result.converged,
        "coefficients": [
            {k: json_safe(v) for k, v in row.items()} for row in table.to_dict("records")
        ],
        "rating_shares": [
            {k: json_safe(v) for k, v in row.items()} for row in result.shares().to_dict("records")
        ],
        "ignored_columns": list(result.ignored_columns),
        "warnings": list(result.warnings),
        "toml": toml,
        "out": out,
    }


def _print_calibration(result: CalibrationResult, survey: str, scenario: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=110)
    base = f"scenario {scenario!r}" if scenario else "package defaults"
    console.print(
        f"Calibrated satisfaction coefficients: {survey} (n = {result.n}, ordered logit, "
        f"base = {base})",
        soft_wrap=True,
    )
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("coefficient", no_wrap=True)
    for col in ("estimate", "std. error", "95% CI", "base"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("note")
    for row in result.table().itertuples():
        ci = f"{_num(row.ci_low)} … {_num(row.ci_high)}" if row.fitted else ""
        table.add_row(
            row.coefficient,
            _num(row.estimate),
            _num(row.std_error),
            ci,
            _num(row.default),
            "fitted" if row.fitted else f"kept: {row.note}",
        )
    console.print(table)
    shares = Table(title="Share of each rating", show_edge=False, pad_edge=False)
    shares.add_column("")
    for k in range(1, 6):
        shares.add_column(str(k), justify="right")
    s = result.shares()
    for col in ("observed", "fitted", "base"):
        shares.add_row(col, *(f"{100 * v:.1f}%" for v in s[col]))
    console.print(shares)
    verdict = "contradicts" if result.lr_pvalue < 0.05 else "is consistent with"
    console.print(
        f"log-likelihood {result.log_likelihood:.2f} fitted vs {result.log_likelihood_base:.2f} "
        f"with the base coefficients: LR chi2 = {result.lr_statistic:.2f} on {result.k_fitted} "
        f"df, p = {result.lr_pvalue:.3g}; the survey {verdict} the base coefficients."
    )
    if result.ignored_columns:
        console.print(f"ignored columns: {', '.join(result.ignored_columns)}")


# --- sensitivity ---------------------------------------------------------------------


def _write_sensitivity_report(path: Path, result: dict) -> None:
    """The sensitivity HTML report, written atomically (hallsim.resultsdir rules)."""
    from hallsim.cli.common import WriteError
    from hallsim.report import build_sensitivity_report
    from hallsim.resultsdir import OutputError, WriteFailed, write_single_file

    html = build_sensitivity_report(result)
    try:
        write_single_file(path, lambda p: p.write_text(html, encoding="utf-8"))
    except OutputError as exc:
        _bad_input("sensitivity", f"--report: {exc}")
    except WriteFailed as exc:
        raise WriteError(f"could not write {exc.strerror}") from None


@click.command("sensitivity")
@click.argument("scenario_file", type=click.Path(path_type=str))
@click.option(
    "--replications",
    "-r",
    type=REPLICATIONS,
    default=None,
    help="Replications to pool (default: the scenario's run.replications).",
)
@click.option(
    "--seed",
    "-s",
    type=SEED,
    default=None,
    help="Base seed (default: the scenario's run.seed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, nothing else.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a self-contained HTML report (tornado charts of the mean wait and "
    "predicted CSAT, every value tried) to this file.",
)
def sensitivity_command(
    scenario_file: str,
    replications: int | None,
    seed: int | None,
    as_json: bool,
    report_path: Path | None,
) -> None:
    """How much the results move when each model assumption is varied over its range.

    The single-scenario view of the robustness check of ``hallsim compare
    --robustness`` (docs/model.md §5): every assumption of the attitude and
    satisfaction models (docs/model.md) is set, one at a time, to each value of
    its documented plausible range, on the same random numbers.  Queue
    assumptions (first-contact resolution, return timing, service-time effects,
    generalist slowdown) re-simulate; satisfaction coefficients re-rate the same
    simulated visits.  Shows each metric's change from the base.

    Example:

    \b
        hallsim sensitivity scenarios/staff_baseline.toml --replications 10
    """
    from rich.console import Console
    from rich.table import Table

    from hallsim import robustness as rb
    from hallsim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        _bad_input("sensitivity", str(exc))
    n_rep = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    metrics = ("wait_mean_min", *SENSITIVITY_METRICS)
    check = rb.check([scenario], n_rep, seed, metrics=metrics)
    rows = check.levels()
    result = {
        "scenario": scenario.name,
        "replications": n_rep,
        "seed": seed,
        "visits": check.n_visits,
        "rows": [{k: json_safe(v) for k, v in row.items()} for row in rows],
    }
    if report_path is not None:
        _write_sensitivity_report(report_path, result)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    console = Console(highlight=False, width=140)
    console.print(
        f"Sensitivity of {scenario.name} to each assumption over its plausible range "
        f"({n_rep} replications, seed {seed}, same random numbers; satisfaction values are "
        "predicted) / 各项假设在合理范围内变化时的结果 (满意度为模型预测)",
        soft_wrap=True,
    )
    out = Table(show_edge=False, pad_edge=False)
    out.add_column("assumption", no_wrap=True)
    out.add_column("kind")
    out.add_column("value", justify="right")
    out.add_column("base", justify="right")
    headers = ("mean wait", "CSAT", "bad reviews", "mean rating", "complaints")
    for header in headers:
        out.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        cells = []
        for m in metrics:
            value, change = row[m], row[f"{m}_change"]
            if isinstance(value, float) and math.isnan(value):
                cells.append("—")
            elif row["assumption"] == "(base)":
                cells.append(f"{100 * value:.1f}%" if m in PERCENT else f"{value:.2f}")
            elif m in PERCENT:
                cells.append(f"{100 * change:+.1f} pp")
            else:
                cells.append(f"{change:+.2f}")
        value = row["value"]
        out.add_row(
            row["assumption"],
            row["kind"],
            "" if value is None else (_num(value) if not isinstance(value, str) else value),
            ""
            if row["base"] is None
            else (_num(row["base"]) if not isinstance(row["base"], str) else row["base"]),
            *cells,
        )
    console.print(out)
    console.print(
        "Changes are relative to the base row; satisfaction changes are predicted (model, "
        "not data). Values a scenario cannot take (e.g. a desired wait above its adequate "
        "wait) are left out. The ranges and their sources are in docs/model.md §5; "
        "compare --robustness says whether a choice between scenarios survives them. / "
        "变化相对于基准行; 满意度为模型预测。",
        soft_wrap=True,
    )
    if report_path is not None:
        click.echo(str(report_path))
