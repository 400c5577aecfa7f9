"""The ``hallsim`` command line: thin over the Python API (parse, call, print, exit code).

Exit codes (contract.md §2): 0 success, 2 bad input (nothing written), 1 an
unexpected failure, 130 interrupted.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import shlex
import sys
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hallsim import __version__
from hallsim.cli_types import REPLICATIONS, SEED, replications_from
from hallsim.names import ENGINES, METRICS, PREDICTED  # PREDICTED: satisfaction, rating_1..5
from hallsim.resultsdir import OutputError, ResultsFolder, WriteFailed, safe_name

if TYPE_CHECKING:
    from hallsim.experiment import ExperimentResult
    from hallsim.scenario import Scenario


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported on the first call.

    Simulating and writing results need pandas, scipy, simpy and rich;
    ``hallsim --help`` and ``hallsim validate`` need none of them and start in a
    fraction of the time (benchmarks/startup.py).
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


ci_half_width = _lazy("hallsim.experiment", "ci_half_width")
default_workers = _lazy("hallsim.experiment", "default_workers")
run_replications = _lazy("hallsim.experiment", "run_replications")
run_until_precision = _lazy("hallsim.experiment", "run_until_precision")
best_scenario = _lazy("hallsim.outputs", "best_scenario")
planned_files = _lazy("hallsim.outputs", "planned_files")
compare_json = _lazy("hallsim.outputs", "compare_json")
paired_differences = _lazy("hallsim.outputs", "paired_differences")
run_json = _lazy("hallsim.outputs", "run_json")
write_results = _lazy("hallsim.outputs", "write_results")
Console = _lazy("rich.console", "Console")
Table = _lazy("rich.table", "Table")
Progress = _lazy("rich.progress", "Progress")
BarColumn = _lazy("rich.progress", "BarColumn")
MofNCompleteColumn = _lazy("rich.progress", "MofNCompleteColumn")
TextColumn = _lazy("rich.progress", "TextColumn")
TimeRemainingColumn = _lazy("rich.progress", "TimeRemainingColumn")


@functools.cache
def _err_console() -> Any:
    """The rich console on stderr (progress bars), made on first use."""
    return Console(stderr=True)


def __getattr__(name: str) -> Any:
    if name == "err_console":  # ``from hallsim.cli import err_console``
        return _err_console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PERCENT = {
    "service_level",
    "utilisation",
    "first_contact_resolution",
    "csat",
    "bad_review_rate",
    "complaint_rate",
}


class BadInput(click.ClickException):
    """Bad input: message on stderr, exit 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"hallsim: {self.format_message()}", err=True)


def _load(paths: tuple[str, ...]) -> list[Scenario]:
    from hallsim.scenario import ScenarioError, load_scenario

    scenarios, problems = [], []
    for p in paths:
        try:
            scenarios.append(load_scenario(p))
        except ScenarioError as exc:
            problems.append(str(exc))
    if problems:
        raise BadInput("\n".join(problems))
    return scenarios


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric in PERCENT:
        return f"{100 * value:.1f}%"
    if metric in {
        "arrived",
        "served",
        "balked",
        "reneged",
        "abandoned",
        "unserved",
        "return_visits",
        "returns_later",
        "queue_len_max",
        "blocked",
        "refused_cap",
        "missed_calls",
        "missed_lost",
    }:
        return f"{value:.1f}"
    return f"{value:.2f}"


def headline(res: ExperimentResult) -> str:
    """One-sentence answer for a planner, e.g. '... mean wait 6.1 min [5.7, 6.5] ...'."""
    s = res.summary
    w = s["wait_mean_min"]
    parts = [f"{res.scenario.name}: "]
    if w["mean"] is None:
        parts.append("nobody served")
    else:
        ci = f" [{w['ci_low']:.1f}, {w['ci_high']:.1f}]" if w["ci_low"] is not None else ""
        parts.append(f"mean wait {w['mean']:.1f} min{ci}")
    sl = s["service_level"]["mean"]
    if sl is not None:
        parts.append(
            f", {100 * sl:.0f}% called within {res.scenario.hall.service_level_target_min:g} min"
        )
    ab = s["abandoned"]["mean"]
    if ab:
        parts.append(
            f", {ab:.1f} abandoned per day"
            if res.scenario.run.mode == "day"
            else f", {ab:.1f} abandoned"
        )
    unserved = s["unserved"]["mean"]
    if unserved:  # nobody left to call them: say so, they are not in the waits above
        parts.append(
            f", {unserved:.1f} unserved (still waiting when the last window closed)"
            if res.scenario.run.mode == "day"
            else f", {unserved:.1f} unserved"
        )
    # turned away before or after taking a ticket (docs/mechanisms.md); absent keys give 0
    for metric, words in (
        ("refused_cap", "refused a ticket by a daily cap (限号)"),
        ("blocked", "turned away by a full waiting room"),
        ("missed_lost", "lost after a missed call (过号)"),
    ):
        value = s.get(metric, {}).get("mean")
        if value:
            parts.append(f", {value:.1f} {words}")
    csat = s["csat"]["mean"]
    if csat is not None:
        parts.append(f", predicted CSAT {100 * csat:.0f}%")
    return "".join(parts)


def _check_modes(files: tuple[str, ...], scenarios: list[Scenario]) -> None:
    """A day and a steady state measure different things: comparing them is bad input."""
    modes = [sc.run.mode for sc in scenarios]
    for f, sc in zip(files, scenarios, strict=True):
        if sc.run.mode != modes[0]:
            raise BadInput(
                f"{f}: run.mode: {sc.run.mode!r} cannot be compared with {files[0]}'s "
                f"{modes[0]!r} (a day's totals and a steady state's rates differ in kind); "
                "compare scenarios of one mode"
            )


def _metrics_table(results: list[ExperimentResult], title: str) -> Table:
    from hallsim.intervals import interval_note

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for r in results:
        table.add_column(f"{r.scenario.name}\nmean [95% CI]", justify="right")
    cut = False
    for m in METRICS:
        cells = []
        for r in results:
            s = r.summary[m]
            txt = _fmt(m, s["mean"])
            if s["ci_low"] is not None and s["sd"]:
                txt += f" [{_fmt(m, s['ci_low'])}, {_fmt(m, s['ci_high'])}]"
                note = interval_note(m, s["mean"], s["sd"], s["n"], s["ci_low"], s["ci_high"])
                if note.startswith("t-interval cut"):
                    txt += " *"
                    cut = True
            cells.append(txt)
        label = m + (" (predicted)" if m in PREDICTED else "")
        table.add_row(label, *cells)
    if cut:
        table.caption = (
            "* interval cut at the metric's range (counts and times >= 0, shares 0-100%) / "
            "置信区间已截断在指标取值范围内"
        )
        table.caption_justify = "left"
    return table


@contextmanager
def _progress(total: int, label: str, quiet: bool):
    """Rich progress bar on stderr, only when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield lambda k: None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


def _workers(w: int | None) -> int:
    return default_workers() if w is None else w


_invoked_args: list[str] | None = None  # set by entry(); None: the process's own argv


def _command_line() -> str:
    """The command as the user typed it, recorded in results for reproducibility."""
    args = sys.argv[1:] if _invoked_args is None else _invoked_args
    return "hallsim " + " ".join(shlex.quote(a) for a in args)


def _run_all(
    scenarios: list[Scenario],
    replications: int | None,
    seed: int | None,
    workers: int,
    log: bool,
    quiet: bool,
    engine: str = "auto",
) -> list[ExperimentResult]:
    total = sum(replications or s.run.replications for s in scenarios)
    out = []
    with _progress(total, "simulating", quiet) as advance:
        for sc in scenarios:
            out.append(
                run_replications(
                    sc,
                    replications=replications,
                    seed=seed,
                    workers=workers,
                    log=log,
                    progress=advance,
                    engine=engine,
                )
            )
    return out


def _out_dir(out: str | None, default: str) -> Path:
    """--out, or results/<safe name>: a scenario's name is a label, never a path."""
    if out is not None:
        return Path(out)
    return Path("results") / safe_name(default)


def claim_folder(
    out: str | None, default: str, kind: str, force: bool, files: list[str] = ()
) -> ResultsFolder:
    """The results folder a command will write, checked before anything runs (exit 2)."""
    try:
        folder = ResultsFolder(_out_dir(out, default), kind, force=force)
        folder.check()
        for rel in files:
            folder.check_free(rel)
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    return folder


class WriteError(click.ClickException):
    """Writing failed part-way (disk full...): one line, exit 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"hallsim: {self.format_message()}", err=True)


@contextmanager
def writing(folder: ResultsFolder):
    """Hold the folder (locked) while a command simulates and writes; map failures to exits."""
    try:
        with folder.open() as f:
            yield f
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    except WriteFailed as exc:
        raise WriteError(
            f"could not write {exc.strerror}; {folder.path} is incomplete "
            "(its .hallsim-results.json says complete: false)"
        ) from None


def _check_engine(scenarios: list[Scenario], engine: str) -> None:
    """--engine fast on a scenario only the SimPy model covers is bad input."""
    if engine != "fast":
        return
    from hallsim import fastpath

    for sc in scenarios:
        if not fastpath.supports(sc):
            mechanism = fastpath.unsupported_mechanism(sc)
            what = (
                mechanism
                if mechanism is not None
                else "rosters, appointments, citizen classes or a same-day return-delay "
                "distribution (attitude_effects.return_delay)"
            )
            raise BadInput(
                f"--engine fast: scenario {sc.name!r} uses {what}, which only the simpy "
                "engine models; use --engine auto"
            )


common_options: list[Callable] = [
    click.option(
        "--replications",
        "-r",
        type=REPLICATIONS,
        default=None,
        help="Replications (default: the scenario's run.replications).",
    ),
    click.option(
        "--seed",
        "-s",
        type=SEED,
        default=None,
        help="Base seed (default: the scenario's run.seed).",
    ),
    click.option(
        "--workers",
        "-w",
        type=click.IntRange(1, 512),
        default=None,
        help="Parallel worker processes (default: number of CPU cores).",
    ),
    click.option(
        "--out", "-o", type=click.Path(file_okay=False), default=None, help="Results folder."
    ),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print exactly one JSON object (contract §3) on stdout.",
    ),
    click.option(
        "--log", "log", is_flag=True, help="Also write citizens.parquet: one row per citizen visit."
    ),
    click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
    click.option(
        "--force",
        is_flag=True,
        help="Use a non-empty --out that is not a hallsim results folder, writing beside "
        "its files (hallsim never deletes or overwrites a file it did not write).",
    ),
    click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="auto",
        show_default=True,
        help="simpy: the reference model; fast: the specialised event loop; "
        "auto: fast where it supports the scenario.",
    ),
]


def with_common(f: Callable) -> Callable:
    for opt in reversed(common_options):
        f = opt(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hallsim")
def main() -> None:
    """Simulate government service halls (政务服务大厅) and compare layouts.

    \b
    Example:
      hallsim validate scenarios/integrated.toml
      hallsim run scenarios/integrated.toml --replications 20
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml
    """


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES and print a one-screen summary of each.

    \b
    Example:
      hallsim validate scenarios/*.toml
    """
    from hallsim.scenario import ScenarioError, load_scenario

    problems = []
    for path in files:  # every file gets its line: "ok" on stdout, problems on stderr
        try:
            click.echo(f"{path}: ok — {describe(load_scenario(path))}")
        except ScenarioError as exc:
            problems.append(str(exc))
    if problems:
        raise BadInput("\n".join(problems))


def describe(sc: Scenario) -> str:
    """A short human description of a scenario."""
    mode = (
        f"day {sc.hall.open}–{sc.hall.close}"
        if sc.run.mode == "day"
        else f"steady state, warm-up {sc.run.warmup_min:g} min, length {sc.run.length_min:g} min"
    )
    rate = sc.arrivals.rate_per_hour
    demand = (
        f"{rate:g}/h"
        if isinstance(rate, float)
        else "rate table " + ", ".join(f"{k}={v:g}" for k, v in rate.items())
    )
    groups = "; ".join(
        f"{w.count}× {w.name} ({', '.join(w.matters)}"
        + (f", factor {w.service_time_factor:g}" if w.service_time_factor != 1 else "")
        + ")"
        for w in sc.windows
    )
    matters = ", ".join(
        f"{m.name} {100 * p:.0f}%" for m, p in zip(sc.matters, sc.matter_probs, strict=True)
    )
    patience = ""
    if sc.patience:
        patience = "; patience: " + ", ".join(
            filter(
                None,
                [
                    f"balk at {sc.patience.balk_at_queue}" if sc.patience.balk_at_queue else "",
                    f"renege after {sc.patience.renege_min.dist} mean "
                    f"{sc.patience.renege_min.mean:g} min"
                    if sc.patience.renege_min
                    else "",
                ],
            )
        )
    return (
        f"{sc.name!r}: {mode}; demand {demand}; matters {matters}; "
        f"{sc.layout.queue} queue; windows {groups}{patience}{_describe_day(sc)}"
    )


def _describe_day(sc: Scenario) -> str:
    """The mechanisms of docs/mechanisms.md a scenario uses, for ``describe`` ('' if none)."""
    parts = []
    if sc.run.day_type is not None:
        parts.append(f"day type {sc.run.day_type} (rates ×{sc.rate_factor:g})")
    crowd = sc.crowd_at_open
    if crowd is not None:
        parts.append(
            f"{crowd.count} at the door at opening"
            if crowd.count is not None
            else f"{crowd.rate_per_hour:g}/h at the door from {crowd.from_}"
        )
    if sc.arrivals.day_to_day_cv:
        parts.append(f"day level cv {sc.arrivals.day_to_day_cv:g}")
    caps = [f"{m.name} {m.daily_cap}" for m in sc.matters if m.daily_cap is not None]
    if caps:
        parts.append("daily caps " + ", ".join(caps))
    if sc.hall.max_waiting is not None:
        parts.append(f"waiting room {sc.hall.max_waiting}")
    if sc.patience is not None and sc.patience.balk_probability is not None:
        parts.append("balking by queue length")
    if sc.missed_calls is not None:
        mc = sc.missed_calls
        parts.append(f"missed calls {100 * mc.absent:g}% (re-queued {mc.requeue})")
    return "; " + "; ".join(parts) if parts else ""


@main.command()
@click.argument("file", type=str)
@with_common
@click.option(
    "--precision",
    metavar="H",
    default=None,
    help="Add replications until the 95% CI half-width of --metric is at most H "
    "(absolute, or relative to the mean like 5%).",
)
@click.option(
    "--metric",
    "-m",
    type=click.Choice(METRICS),
    default="wait_mean_min",
    show_default=True,
    help="Metric for --precision.",
)
@click.option(
    "--max-replications",
    type=replications_from(2),
    default=1000,
    show_default=True,
    help="Upper limit for --precision.",
)
def run(
    file: str,
    replications,
    seed,
    workers,
    out,
    as_json,
    log,
    quiet,
    force,
    engine,
    precision,
    metric,
    max_replications,
) -> None:
    """Run one scenario FILE and report its metrics with 95% intervals.

    \b
    Example:
      hallsim run scenarios/integrated.toml --replications 50 --out results/integrated
      hallsim run scenarios/integrated.toml --precision 5% --metric wait_mean_min
    """
    (sc,) = _load((file,))
    _check_engine([sc], engine)
    from hallsim.experiment import ReplicationsInterrupted

    folder = claim_folder(out, sc.name, "run", force, planned_files([sc]))
    stopped = None
    with writing(folder):
        if precision is None:
            try:
                (res,) = _run_all(
                    [sc], replications, seed, _workers(workers), log, quiet or as_json, engine
                )
            except ReplicationsInterrupted as stop:
                stopped = stop
                res = stop.partial
                if res is None:
                    raise Interrupted(
                        "interrupted before any replication finished; nothing written"
                    ) from None
        else:
            h, rel = _parse_precision(precision, replications, log)
            res = run_until_precision(
                sc,
                metric,
                h,
                rel,
                max_replications,
                workers=_workers(workers),
                seed=seed,
                engine=engine,
            )
            used = len(res.replications)
            click.echo(
                f"precision: {used} replications used; {metric} half-width "
                f"{ci_half_width(res.replications[metric]):.4g} (target {precision})"
                + ("; reached --max-replications" if used >= max_replications else ""),
                err=True,
            )
        obj = run_json(res)
        path = write_results(folder, [res], [Path(file)], obj, _command_line(), "run")
    if stopped is not None:
        raise Interrupted(
            f"interrupted: {len(res.replications)} of {stopped.planned} replications finished "
            f"and written to {path} (a run with --replications {len(res.replications)} "
            "gives the same numbers)"
        )
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False))
        return
    con = Console()
    con.print(
        _metrics_table([res], f"{sc.name} — {len(res.replications)} replications, seed {res.seed}")
    )
    con.print("Satisfaction figures are model predictions, not measurements.", style="dim")
    con.print(headline(res), style="bold", highlight=False, soft_wrap=True)
    click.echo(str(path))


class Interrupted(click.ClickException):
    """Ctrl-C: exit 130 after saying what was kept."""

    exit_code = 130

    def show(self, file=None) -> None:
        click.echo(f"hallsim: {self.format_message()}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True)
@with_common
@click.option(
    "--metric",
    "-m",
    type=click.Choice(METRICS),
    default="wait_mean_min",
    show_default=True,
    help="Metric that names the best scenario.",
)
@click.option(
    "--robustness",
    is_flag=True,
    help="Also vary each model assumption over its plausible range on the same random "
    "numbers and say, per metric, whether the best scenario changes (docs/model.md §5).",
)
def compare(
    files, replications, seed, workers, out, as_json, log, quiet, force, engine, metric, robustness
) -> None:
    """Run scenario FILES on common random numbers; the first is the baseline.

    Reports each scenario's metrics and the paired difference to the baseline
    with a 95% t-interval (Bonferroni-adjusted with more than two scenarios),
    and how much of each difference in mean wait comes from fewer return visits
    (a re-run without return visits on the same random numbers).  With
    --robustness, whether the best scenario per metric survives every
    assumption over its plausible range.

    \b
    Example:
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml --out results/ab
      hallsim compare scenarios/staff_baseline.toml scenarios/staff_trained.toml \\
          scenarios/staff_fifth_window.toml --robustness
    """
    if len(files) < 2:
        raise BadInput("compare needs at least two scenario files")
    scenarios = _load(files)
    names = [s.name for s in scenarios]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise BadInput(
                f"{files[i]}: name: scenario name {n!r} is used twice; "
                "compared scenarios need distinct names"
            )
    _check_engine(scenarios, engine)
    _check_modes(files, scenarios)
    folder = claim_folder(
        out, "compare-" + "-vs-".join(names), "compare", force, planned_files(scenarios)
    )
    if seed is None:
        seed = scenarios[0].run.seed
    if replications is None:
        replications = scenarios[0].run.replications
    with writing(folder):
        results = _run_all(
            scenarios, replications, seed, _workers(workers), log, quiet or as_json, engine
        )
        obj = compare_json(results)
        best = best_scenario(results, metric)
        extra: dict = {"best": {"metric": metric, "scenario": best}}  # summary.json only
        decomposition = _wait_decomposition(scenarios, results, seed, engine)
        if decomposition:
            extra["wait_decomposition"] = decomposition
        check = None
        if robustness:
            check = _robustness(scenarios, replications, seed, engine, quiet or as_json)
            extra["robustness"] = check.to_json()
        path = write_results(
            folder,
            results,
            [Path(f) for f in files],
            {**obj, **extra},
            _command_line(),
            "compare",
        )
    if as_json:
        # the contract object, plus the return-visit split and the robustness check
        click.echo(json.dumps({**obj, **extra_json(extra)}, ensure_ascii=False))
        return
    con = Console()
    con.print(
        _metrics_table(
            results,
            f"{len(results[0].replications)} replications on common random numbers, seed {seed}",
        )
    )
    diffs = paired_differences(results)
    adjusted = "Bonferroni-adjusted" if len(results) > 2 else "95% t-interval"
    key = (
        "wait_mean_min",
        "wait_p90_min",
        "service_level",
        "queue_len_mean",
        "abandoned",
        "utilisation",
        "satisfaction_mean",
        "csat",
        "bad_review_rate",
    )
    # one narrow table per comparison reads better than one wide table
    tables = {
        r.scenario.name: Table(
            "metric",
            "difference [CI]",
            title_justify="left",
            title=f"{r.scenario.name} − {results[0].scenario.name} (paired, {adjusted})",
        )
        for r in results[1:]
    }
    for d in diffs:
        if d["metric"] not in key or d["mean"] is None:
            continue
        m = d["metric"]
        ci = (
            f" [{_fmt_diff(m, d['ci_low'])}, {_fmt_diff(m, d['ci_high'])}]"
            if d["ci_low"] is not None
            else ""
        )
        label = m + (" (predicted)" if m in PREDICTED else "")
        tables[d["scenario"]].add_row(label, _fmt_diff(m, d["mean"]) + ci)
    for table in tables.values():
        con.print(table)
    for r in results:
        con.print(headline(r), highlight=False, soft_wrap=True)
    for d in diffs:
        if d["metric"] == "wait_mean_min" and d["ci_low"] is not None:
            verdict = (
                "shorter"
                if d["ci_high"] < 0
                else "longer"
                if d["ci_low"] > 0
                else "no clear difference in"
            )
            con.print(
                f"{d['scenario']} − {d['baseline']}: mean wait {d['mean']:+.1f} min "
                f"[{d['ci_low']:+.1f}, {d['ci_high']:+.1f}] ({verdict} wait)",
                style="bold",
                highlight=False,
                soft_wrap=True,
            )
            part = next((p for p in decomposition if p["scenario"] == d["scenario"]), None)
            if part is not None:
                con.print(f"  {decomposition_text(part)}", highlight=False, soft_wrap=True)
    if check is not None:
        con.print(
            f"Robustness ({check_count(check)} assumptions over their plausible ranges, "
            f"same random numbers): {check.sentence()}",
            style="bold",
            highlight=False,
            soft_wrap=True,
        )
        con.print(
            f"稳健性检验（{check_count(check)} 项假设在合理范围内逐一变化，相同随机数）："
            f"{check.sentence_zh()}",
            style="bold",
            highlight=False,
            soft_wrap=True,
        )
    con.print(
        f"Best for {metric}: {best}",
        style="bold",
        highlight=False,
        soft_wrap=True,
    )
    click.echo(str(path))


def decomposition_text(part: dict) -> str:
    """'of which -1.6 min [-2.1, -1.0] from fewer return visits (60%), -1.1 min the rest'."""

    def ci(key: str) -> str:
        lo, hi = part[f"{key}_ci"]
        return f" [{lo:+.1f}, {hi:+.1f}]" if lo is not None else ""

    share = part.get("returns_share")
    pct = f" ({100 * share:.0f}%)" if share is not None and share == share else ""
    return (
        f"of which {part['returns']:+.1f} min{ci('returns')} from return visits{pct} "
        f"and {part['rest']:+.1f} min{ci('rest')} the rest (re-run without return visits "
        "on the same random numbers)"
    )


def extra_json(extra: dict) -> dict:
    """The parts of summary.json's extras that ``compare --json`` prints too."""
    from hallsim.outputs import clean

    return clean({k: extra[k] for k in ("wait_decomposition", "robustness") if k in extra})


def check_count(check) -> int:
    return len({r["assumption"] for r in check.rows})


def _wait_decomposition(scenarios, results, seed, engine) -> list[dict]:
    """The return-visit part of each difference in mean wait (empty when no scenario
    has return visits)."""
    from hallsim import robustness as rb

    if not any(rb.returns_off(sc) is not sc for sc in scenarios):
        return []
    waits = [r.replications["wait_mean_min"].to_numpy(dtype=float) for r in results]
    return rb.wait_decomposition(scenarios, waits, seed, engine)


def _robustness(scenarios, replications, seed, engine, quiet):
    from hallsim import robustness as rb

    total = len(scenarios) * replications + sum(len(a.values) for a in rb.ASSUMPTIONS)
    with _progress(total, "robustness", quiet) as advance:
        return rb.check(
            scenarios, replications, seed, engine, assumptions=rb.ASSUMPTIONS, progress=advance
        )


def _parse_precision(text: str, replications, log: bool) -> tuple[float, bool]:
    """'0.5' → (0.5, absolute); '5%' → (0.05, relative).  Bad input → exit 2."""
    if replications is not None or log:
        raise BadInput("--precision decides the replications: drop --replications/--log")
    rel = text.strip().endswith("%")
    try:
        h = float(text.strip().rstrip("%")) / (100 if rel else 1)
    except ValueError:
        h = float("nan")
    if not h > 0 or h == float("inf"):
        raise BadInput(f"--precision: expected a positive number or percentage, got {text!r}")
    return h, rel


def _fmt_diff(metric: str, value: float) -> str:
    if metric in PERCENT:
        return f"{100 * value:+.1f} pp"
    return f"{value:+.2f}"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one plain line on stderr, not Python's source-location format."""
    text = str(message)
    click.echo(text if text.startswith("hallsim:") else f"hallsim: warning: {text}", err=True)


def entry(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (no traceback for expected failures)."""
    global _invoked_args
    _invoked_args = None if argv is None else list(argv)
    warnings.showwarning = _show_warning
    try:
        code = main.main(args=argv, prog_name="hallsim", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("hallsim: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("hallsim: interrupted", err=True)
        return 130
    except (WriteFailed, OSError) as exc:  # a full disk, an I/O error: one line, exit 1
        if os.environ.get("HALLSIM_DEBUG"):
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        click.echo(f"hallsim: could not complete: {where}{exc.strerror or exc}", err=True)
        return 1
    except Exception as exc:  # an unexpected failure: exit 1, short message
        if os.environ.get("HALLSIM_DEBUG"):
            raise
        click.echo(
            f"hallsim: unexpected error: {type(exc).__name__}: {exc}\n"
            "(set HALLSIM_DEBUG=1 for a traceback)",
            err=True,
        )
        return 1
    # with standalone_mode=False click returns ctx.exit(n)'s code instead of raising
    return code if isinstance(code, int) else 0


def console_main() -> None:
    # The scenario model uses no pydantic plugins; looking for them scans every installed
    # package's entry points on each command's first model (benchmarks/startup.py).
    # A user's own setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(entry())


def _register_subcommands() -> None:
    # these modules import BadInput and helpers from this one: register them last
    from hallsim.cli_export import export_command
    from hallsim.cli_fit import backtest_command, fit_command
    from hallsim.cli_optimise import optimise_command
    from hallsim.cli_present import plot, report
    from hallsim.cli_satisfaction import calibrate_command, sensitivity_command
    from hallsim.cli_staff import staff
    from hallsim.cli_sweep import sweep

    for command in (
        plot,
        report,
        calibrate_command,
        sensitivity_command,
        staff,
        sweep,
        fit_command,
        backtest_command,
        export_command,
        optimise_command,
    ):
        main.add_command(command)


_register_subcommands()
