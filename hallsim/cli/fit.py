"""``hallsim fit`` and ``hallsim backtest``: from a ticket log to a checked scenario.

Thin over ``hallsim.ticketlog``, ``hallsim.fit`` and ``hallsim.backtest``.
Bad logs, mappings and options exit 2 naming the file, row and column, and
nothing is written.  Files go through ``hallsim.resultsdir``: the scenario
with ``write_single_file`` (temporary name, then rename; a file hallsim fit
did not write is replaced only with ``--force``), the fit report and the
backtest folder as results folders (record, lock, atomic files; a second
writer or a foreign non-empty folder is exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hallsim.cli.common import BadInput, WriteError, writing
from hallsim.i18n import current
from hallsim.i18n import t as tr
from hallsim.names import LOG_FORMATS
from hallsim.resultsdir import OutputError, ResultsFolder, WriteFailed, write_single_file

# pandas, numpy and the scenario model load when a command runs, not for --help

MARK = "# Fitted by `hallsim fit`"


def _check_scenario_target(path: Path, force: bool) -> None:
    """Refuse to replace a file that is not a scenario ``hallsim fit`` wrote (exit 2).

    Stricter than ``write_single_file``'s signature test: a hand-written
    scenario may well mention hallsim, so only a file that starts with the fit's
    own first line counts as ours.
    """
    if path.is_dir():
        raise BadInput(tr("err.out_is_folder", path=path))
    if (path.exists() or path.is_symlink()) and not force:
        try:
            with open(path, "rb") as f:
                head = f.read(len(MARK.encode()))
        except OSError:
            head = b""
        if head != MARK.encode():
            raise BadInput(
                f"{path}: exists and was not written by hallsim fit; "
                "add --force to replace it, or choose another --out"
            )


def _check_folder(folder: ResultsFolder) -> None:
    try:
        folder.check()
    except OutputError as exc:
        raise BadInput(str(exc)) from None


def _log(logs, fmt, mapping):
    from hallsim.ticketlog import LogError, read_log

    try:
        return read_log(list(logs), fmt, mapping)
    except LogError as exc:
        raise BadInput(str(exc)) from None


log_options = [
    click.option(
        "--format",
        "fmt",
        type=click.Choice(LOG_FORMATS),
        default=None,
        help="Built-in log layout (default qms-zh) / 内置格式.",
    ),
    click.option(
        "--map",
        "mapping",
        type=click.Path(dir_okay=False),
        default=None,
        help="Column mapping file (TOML) / 列映射文件.",
    ),
    click.option(
        "--days",
        default="weekdays",
        show_default=True,
        help="weekdays | all | YYYY-MM-DD..YYYY-MM-DD | Mon,Tue,...",
    ),
]


def _with(opts):
    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


@click.command("fit")
@click.argument("logs", nargs=-1, required=True)
@_with(log_options)
@click.option(
    "--period",
    type=click.IntRange(5, 240),
    default=30,
    show_default=True,
    help="Minutes per period of the rate table and roster.",
)
@click.option(
    "--level",
    default="mean",
    show_default=True,
    help="mean, or pNN to plan for the NN-th percentile day (e.g. p90).",
)
@click.option("--open", "open_", default=None, help="Opening time HH:MM (default: from the log).")
@click.option("--close", default=None, help="Closing time HH:MM (default: from the log).")
@click.option(
    "--roster",
    type=click.Choice(["busy-waiting", "busy", "names"]),
    default="busy-waiting",
    show_default=True,
    help="Roster estimator (docs/fitting.md).",
)
@click.option(
    "--roster-file",
    type=click.Path(dir_okay=False),
    default=None,
    help='Roster (TOML: [staffed] "HH:MM" = windows) replacing the estimated one / 排班表.',
)
@click.option(
    "--priority",
    type=click.Choice(["ignore", "strict"]),
    default="ignore",
    show_default=True,
    help="Priority column: FIFO (soft priority) or a strict class.",
)
@click.option(
    "--short-service-s",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    help="Services this short (seconds) are trimmed from the service fit; 0 keeps all.",
)
@click.option(
    "--target-min",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="hall.service_level_target_min of the fitted scenario.",
)
@click.option(
    "--return-days",
    type=click.IntRange(0, 365),
    default=7,
    show_default=True,
    help="A citizen id seen again within this many days is a return visit; 0: do not "
    "model returns / 同一证件号N天内再次取号视为回访.",
)
@click.option("--name", default="fitted", show_default=True, help="Scenario name.")
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scenario file to write (a fit report folder goes beside it); "
    "default: print the scenario.",
)
@click.option("--force", is_flag=True, help="Replace an existing file hallsim did not write.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (fit summary).")
def fit_command(
    logs,
    fmt,
    mapping,
    days,
    period,
    level,
    open_,
    close,
    roster,
    roster_file,
    priority,
    short_service_s,
    target_min,
    return_days,
    name,
    out,
    force,
    as_json,
):
    """Fit a scenario to queue-ticket LOGS (CSV/XLSX; UTF-8 or GB18030) / 从叫号日志拟合场景.

    \b
    Example:
      hallsim fit march.csv april.xlsx --format qms-zh --out hall.toml
      hallsim backtest hall.toml march.csv april.xlsx --format qms-zh
    """
    from hallsim.fit import FitOptions, fit, to_toml
    from hallsim.scenario import ScenarioError, scenario_from_dict
    from hallsim.ticketlog import LogError

    if out is not None:  # refuse a bad --out before reading or fitting anything
        _check_scenario_target(Path(out), force)
        report_dir = Path(out).with_name(Path(out).stem + "_fit")
        _check_folder(ResultsFolder(report_dir, "fit", force=force))
    log = _log(logs, fmt, mapping)
    opts = FitOptions(
        period=period,
        days=days,
        level=level,
        open=open_,
        close=close,
        short_service_s=short_service_s,
        roster=roster,
        roster_file=roster_file,
        priority=priority,
        target_min=target_min,
        return_days=return_days,
        name=name,
    )
    try:
        res = fit(log, opts)
    except LogError as exc:
        raise BadInput(str(exc)) from None
    text = to_toml(res)
    import tomllib

    try:
        scenario_from_dict(tomllib.loads(text), source=out or "fitted scenario")
    except ScenarioError as exc:  # a fit that does not validate is hallsim's bug
        raise click.ClickException(f"the fitted scenario does not validate:\n{exc}") from None
    summary = {
        "scenario": res.scenario["name"],
        "days": len(res.days),
        "tickets": len(res.log.tickets),
        "dropped": {
            r: int(n)
            for r, n in zip(res.log.dropped["reason"], res.log.dropped["rows"], strict=True)
        },
        "notes": res.notes,
        "matters": json.loads(res.tables["matters"].to_json(orient="records")),
    }
    if out is None:
        if as_json:
            click.echo(json.dumps({**summary, "toml": text}, ensure_ascii=False))
        else:
            click.echo(text, nl=False)
        return
    path = Path(out)
    report_dir = path.with_name(path.stem + "_fit")
    _check_scenario_target(path, force)
    from hallsim.fitreport import report_files

    files = report_files(res)  # everything is drawn before anything is written
    folder = ResultsFolder(report_dir, "fit", force=force)
    try:
        folder.check()
        with writing(folder) as f:
            for rel, data in files.items():
                f.write_bytes(rel, data)
        write_single_file(path, lambda p: p.write_text(text, encoding="utf-8"), force=True)
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    except WriteFailed as exc:
        raise WriteError(f"could not write {exc.strerror}") from None
    click.echo(tr("fit.dropped"), err=True)
    for r in res.log.dropped.itertuples():
        click.echo(f"  {r.reason:18s} {r.rows:8d}  {r.description}", err=True)
    for n in res.notes:
        click.echo(f"  {tr('staff.note')}: {n}", err=True)
    if as_json:
        click.echo(
            json.dumps({**summary, "out": str(path), "report": str(report_dir)}, ensure_ascii=False)
        )
    else:
        click.echo(tr("fit.report", path=report_dir / "report.html"))
        click.echo(str(path))


@click.command("backtest")
@click.argument("scenario_file")
@click.argument("logs", nargs=-1, required=True)
@_with(log_options)
@click.option(
    "--replications",
    "-r",
    type=click.IntRange(2, 10_000),
    default=50,
    show_default=True,
    help="Simulated days.",
)
@click.option("--seed", "-s", type=click.IntRange(0), default=None, help="Base seed.")
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 512),
    default=None,
    help="Parallel worker processes (default: CPU cores).",
)
@click.option(
    "--day-load",
    type=click.Choice(["observed", "fixed"]),
    default="observed",
    show_default=True,
    help="observed: simulated day r has observed day r's ticket count; fixed: the "
    "scenario's rates every day.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for backtest.json, backtest.csv and plots/backtest.png.",
)
@click.option("--force", is_flag=True, help="Replace files hallsim did not write.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (contract §4).")
def backtest_command(
    scenario_file,
    logs,
    fmt,
    mapping,
    days,
    replications,
    seed,
    workers,
    day_load,
    out,
    force,
    as_json,
):
    """Compare SCENARIO_FILE's simulated days with what LOGS observed / 回测.

    \b
    Example:
      hallsim backtest hall.toml march.csv --format qms-zh -r 50
    """
    from hallsim.backtest import backtest, table
    from hallsim.experiment import default_workers
    from hallsim.fit import select_days
    from hallsim.scenario import ScenarioError, load_scenario
    from hallsim.ticketlog import LogError

    try:
        sc = load_scenario(scenario_file)
    except ScenarioError as exc:
        raise BadInput(str(exc)) from None
    if out is not None:  # refuse a bad --out before simulating
        _check_folder(ResultsFolder(Path(out), "backtest", force=force))
    log = _log(logs, fmt, mapping)
    try:
        log.drop(~select_days(log.tickets["day"], days), "outside_days")
        if not len(log.tickets):
            raise LogError("--days", f"no tickets on the selected days ({days!r})")
        bt = backtest(sc, log, replications, seed, workers or default_workers(), day_load)
    except LogError as exc:
        raise BadInput(str(exc)) from None
    payload = json.dumps(bt.to_json(), ensure_ascii=False, indent=None)
    if out is not None:
        from hallsim.fitreport import backtest_figure

        files = {
            "backtest.json": payload.encode("utf-8"),
            "backtest.csv": table(bt).to_csv(index=False).encode("utf-8"),
            "plots/backtest.png": backtest_figure(bt),
        }
        with writing(ResultsFolder(Path(out), "backtest", force=force)) as folder:
            for rel, data in files.items():
                folder.write_bytes(rel, data)
    if as_json:
        click.echo(payload)
        return
    t = table(bt)
    click.echo(t.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    for line in bt.verdict(current()):
        click.echo(line)
    if out is not None:
        click.echo(str(Path(out)))
