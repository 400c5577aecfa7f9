"""``hallsim validate``, ``run`` and ``compare``: parse, make one API call, print."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hallsim import i18n
from hallsim.cli.common import (
    BadInput,
    Interrupted,
    claim_folder,
    command_line,
    load_scenarios,
    progress,
    writing,
)
from hallsim.cli.types import REPLICATIONS, SEED, replications_from
from hallsim.i18n import current, metric_label, t
from hallsim.metrics.registry import ALL_METRICS, COUNTS, METRICS, PERCENT, PREDICTED, reported
from hallsim.names import ENGINES

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
run_comparison = _lazy("hallsim.comparison", "compare")
planned_files = _lazy("hallsim.results", "planned_files")
compare_json = _lazy("hallsim.results", "compare_json")
run_json = _lazy("hallsim.results", "run_json")
write_results = _lazy("hallsim.results", "write_results")
Console = _lazy("rich.console", "Console")
Table = _lazy("rich.table", "Table")
Progress = _lazy("rich.progress", "Progress")
BarColumn = _lazy("rich.progress", "BarColumn")
MofNCompleteColumn = _lazy("rich.progress", "MofNCompleteColumn")
TextColumn = _lazy("rich.progress", "TextColumn")
TimeRemainingColumn = _lazy("rich.progress", "TimeRemainingColumn")


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric in PERCENT:
        return f"{100 * value:.1f}%"
    if metric in COUNTS:
        return f"{value:.1f}"
    return f"{value:.2f}"


def headline(res: ExperimentResult) -> str:
    """One-sentence answer for a planner, e.g. '... mean wait 6.1 min [5.7, 6.5] ...'."""
    s = res.summary
    w = s["wait_mean_min"]
    parts = [f"{res.scenario.name}: "]
    if w["mean"] is None:
        parts.append(t("headline.nobody_served"))
    else:
        ci = f" [{w['ci_low']:.1f}, {w['ci_high']:.1f}]" if w["ci_low"] is not None else ""
        parts.append(t("headline.wait", mean=f"{w['mean']:.1f}", ci=ci))
    sl = s["service_level"]["mean"]
    if sl is not None:
        target = f"{res.scenario.hall.service_level_target_min:g}"
        parts.append(t("headline.service_level", share=f"{100 * sl:.0f}", target=target))
    day = res.scenario.run.mode == "day"
    ab = s["abandoned"]["mean"]
    if ab:
        parts.append(t("headline.abandoned_day" if day else "headline.abandoned", n=f"{ab:.1f}"))
    unserved = s["unserved"]["mean"]
    if unserved:  # nobody left to call them: say so, they are not in the waits above
        key = "headline.unserved_day" if day else "headline.unserved"
        parts.append(t(key, n=f"{unserved:.1f}"))
    # turned away before or after taking a ticket (docs/mechanisms.md); absent keys give 0
    for metric in ("refused_cap", "blocked", "missed_lost"):
        value = s.get(metric, {}).get("mean")
        if value:
            parts.append(t(f"headline.{metric}", n=f"{value:.1f}"))
    csat = s["csat"]["mean"]
    if csat is not None:
        parts.append(t("headline.csat", share=f"{100 * csat:.0f}"))
    return "".join(parts)


def _check_modes(files: tuple[str, ...], scenarios: list[Scenario]) -> None:
    """A day and a steady state measure different things: comparing them is bad input."""
    modes = [sc.run.mode for sc in scenarios]
    for f, sc in zip(files, scenarios, strict=True):
        if sc.run.mode != modes[0]:
            raise BadInput(
                t("err.modes", file=f, mode=sc.run.mode, first=files[0], first_mode=modes[0])
            )


def _stations_table(res: ExperimentResult) -> Table:
    """Per station (docs/visits.md): means over replications."""
    table = Table(title=t("stations.title"), title_justify="left")
    cols = [
        ("arrived", "stations.arrived", "{:.1f}"),
        ("wait_mean_min", "stations.wait", "{:.2f}"),
        ("time_at_station_mean_min", "stations.time", "{:.2f}"),
        ("in_station_mean", "stations.number", "{:.2f}"),
        ("utilisation", "stations.utilisation", "{:.0%}"),
    ]
    table.add_column(t("stations.station"))
    for _, title, _ in cols:
        table.add_column(t(title), justify="right")
    means = res.stations.groupby("station", sort=False).mean(numeric_only=True)
    for name, row in means.iterrows():
        table.add_row(str(name), *(fmt.format(row[c]) for c, _, fmt in cols))
    return table


def _metrics_table(results: list[ExperimentResult], title: str) -> Table:
    from hallsim.stats import interval_note

    table = Table(title=title, title_justify="left")
    table.add_column(t("metric"))
    for r in results:
        table.add_column(f"{r.scenario.name}\n{t('mean_ci')}", justify="right")
    cut = False
    for m in reported(*(r.summary for r in results)):
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
        table.add_row(_row_label(m), *cells)
    if cut:
        table.caption = t("interval_cut")
        table.caption_justify = "left"
    return table


def _row_label(metric: str) -> str:
    """A table row's name: the code name in English (what --metric takes), the hall's
    term in Chinese; a prediction says so."""
    name = metric if current() == "en" else metric_label(metric)
    if metric in PREDICTED and t("predicted") not in name:
        name += t("predicted_suffix")
    return name


def _workers(w: int | None) -> int:
    return default_workers() if w is None else w


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
    with progress(t("progress.simulating"), quiet, total) as bar:
        for sc in scenarios:
            out.append(
                run_replications(
                    sc,
                    replications=replications,
                    seed=seed,
                    workers=workers,
                    log=log,
                    progress=bar.advance,
                    engine=engine,
                )
            )
    return out


def _check_engine(scenarios: list[Scenario], engine: str) -> None:
    """--engine fast on a scenario only the SimPy model covers is bad input."""
    if engine != "fast":
        return
    from hallsim import engines

    for sc in scenarios:
        try:
            engines.choose(sc, engine)
        except ValueError as exc:
            raise BadInput(f"--engine fast: {exc}") from None


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
        help="simpy: the reference model; fast: the specialised engine, the same "
        "numbers (it runs every scenario); auto: fast wherever it runs the scenario.",
    ),
]


def with_common(f: Callable) -> Callable:
    for opt in reversed(common_options):
        f = opt(f)
    return f


@click.command()
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
            sc = load_scenario(path)
            i18n.from_scenario(sc.report.lang if sc.report else None)  # each file its own
            click.echo(t("validate.ok", path=path, description=describe(sc)))
        except ScenarioError as exc:
            problems.append(i18n.scenario_error(exc))
    if problems:
        raise BadInput("\n".join(problems))


def describe(sc: Scenario) -> str:
    """A short human description of a scenario."""
    mode = (
        t("describe.day", open=sc.hall.open, close=sc.hall.close)
        if sc.run.mode == "day"
        else t("describe.steady", warmup=f"{sc.run.warmup_min:g}", length=f"{sc.run.length_min:g}")
    )
    rate = sc.arrivals.rate_per_hour
    demand = (
        f"{rate:g}/h"
        if isinstance(rate, float)
        else t("describe.rate_table", rates=", ".join(f"{k}={v:g}" for k, v in rate.items()))
    )
    groups = "; ".join(
        f"{w.count}× {w.name} ("
        + (t("describe.station", station=w.station) if w.station else ", ".join(w.matters))
        + (
            t("describe.factor", factor=f"{w.service_time_factor:g}")
            if w.service_time_factor != 1
            else ""
        )
        + ")"
        for w in sc.windows
    )
    matters = ", ".join(
        f"{m.name} {100 * p:.0f}%" for m, p in zip(sc.matters, sc.matter_probs, strict=True)
    )
    patience = ""
    if sc.patience:
        p = sc.patience
        parts = [
            t("describe.balk_at", n=p.balk_at_queue) if p.balk_at_queue else "",
            t("describe.renege", dist=p.renege_min.dist, mean=f"{p.renege_min.mean:g}")
            if p.renege_min
            else "",
        ]
        patience = t("describe.patience", parts=", ".join(filter(None, parts)))
    return t(
        "describe.summary",
        name=sc.name,
        mode=mode,
        demand=demand,
        matters=matters,
        queue=sc.layout.queue,
        choice=_line_choice(sc),
        groups=groups,
        patience=patience,
        day=_describe_day(sc) + _describe_kiosks_tidal(sc) + _describe_visits(sc),
    )


def _describe_visits(sc: Scenario) -> str:
    """Multi-matter visits and stations (docs/visits.md), for ``describe`` ('' if none)."""
    parts = []
    sep = t("describe.sep")
    if sc.visits is not None:
        v = sc.visits
        ks = ", ".join(f"{k}: {100 * p:.0f}%" for k, p in v.matters_per_visit.items())
        parts.append(
            t("describe.visits", shares=ks)
            + ("" if v.one_sitting else t("describe.ticket_per_matter"))
            + (
                t("describe.bundle_saving", saving=f"{v.bundle_saving:g}")
                if v.bundle_saving
                else ""
            )
        )
    for st in sc.stations or []:
        back = t("describe.back_office") if st.back_office_min is not None else ""
        parts.append(
            t(
                "describe.station_step",
                name=st.name,
                position=t(f"describe.position.{st.position}"),
                share=f"{100 * st.share:.0f}",
                back=back,
            )
        )
    return sep + sep.join(parts) if parts else ""


def _describe_kiosks_tidal(sc: Scenario) -> str:
    """Kiosks, helpers, tidal/elastic windows, clerk speeds (docs/kiosks-tidal.md); '' if none."""
    parts = []
    sep = t("describe.sep")
    if sc.kiosks is not None:
        k = sc.kiosks
        parts.append(
            t(
                "describe.kiosks",
                count=k.count,
                matters=", ".join(k.matters),
                uptake=f"{100 * k.uptake:.0f}",
                success=f"{100 * k.success:.0f}",
            )
        )
    if sc.helpers is not None:
        parts.append(
            t("describe.helpers", count=sc.helpers.count, classes=", ".join(sc.helpers.classes))
        )
    for w in sc.windows:
        if w.tidal is not None:
            tidal = w.tidal
            parts.append(
                t(
                    "describe.tidal",
                    name=w.name,
                    matters=", ".join(tidal.matters),
                    on=tidal.switch_on_queue,
                    off=tidal.switch_off_queue,
                )
            )
        if w.elastic is not None:
            e = w.elastic
            parts.append(
                t("describe.elastic", name=w.name, on=e.switch_on_queue, off=e.switch_off_queue)
            )
        if w.speed_sd > 0 or w.speed_factors is not None:
            spread = (
                t("describe.speed_sd", sd=f"{w.speed_sd:g}")
                if w.speed_factors is None
                else t("describe.speeds", factors=", ".join(f"{f:g}" for f in w.speed_factors))
            )
            parts.append(t("describe.clerks", name=w.name, spread=spread))
    return sep + sep.join(parts) if parts else ""


def _line_choice(sc: Scenario) -> str:
    choice = sc.layout.line_choice
    return f" ({choice.replace('_', ' ')})" if choice else ""


def _describe_day(sc: Scenario) -> str:
    """The mechanisms of docs/mechanisms.md a scenario uses, for ``describe`` ('' if none)."""
    parts = []
    if sc.run.day_type is not None:
        parts.append(t("describe.day_type", day_type=sc.run.day_type, factor=f"{sc.rate_factor:g}"))
    crowd = sc.crowd_at_open
    if crowd is not None:
        parts.append(
            t("describe.crowd_count", n=crowd.count)
            if crowd.count is not None
            else t("describe.crowd_rate", rate=f"{crowd.rate_per_hour:g}", start=crowd.from_)
        )
    if sc.arrivals.day_to_day_cv:
        parts.append(t("describe.day_cv", cv=f"{sc.arrivals.day_to_day_cv:g}"))
    caps = [f"{m.name} {m.daily_cap}" for m in sc.matters if m.daily_cap is not None]
    if caps:
        parts.append(t("describe.caps", caps=", ".join(caps)))
    if sc.hall.max_waiting is not None:
        parts.append(t("describe.waiting_room", n=sc.hall.max_waiting))
    if sc.patience is not None and sc.patience.balk_probability is not None:
        parts.append(t("describe.balk_prob"))
    if sc.missed_calls is not None:
        mc = sc.missed_calls
        parts.append(t("describe.missed", share=f"{100 * mc.absent:g}", requeue=mc.requeue))
    return "; " + "; ".join(parts) if parts else ""


@click.command()
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
    (sc,) = load_scenarios((file,))
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
                    raise Interrupted(t("err.nothing_written")) from None
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
            half = f"{ci_half_width(res.replications[metric]):.4g}"
            click.echo(
                t("run.precision", used=used, metric=metric, half=half, target=precision)
                + (t("run.precision_max") if used >= max_replications else ""),
                err=True,
            )
        obj = run_json(res)
        path = write_results(folder, [res], [Path(file)], obj, command_line(), "run")
    if stopped is not None:
        raise Interrupted(
            t("err.partial_written", done=len(res.replications), planned=stopped.planned, path=path)
        )
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False))
        return
    con = Console()
    title = t("run.title", name=sc.name, n=len(res.replications), seed=res.seed)
    con.print(_metrics_table([res], title))
    if len(res.stations):
        con.print(_stations_table(res))
    con.print(t("predictions_note"), style="dim")
    con.print(headline(res), style="bold", highlight=False, soft_wrap=True)
    click.echo(str(path))


@click.command()
@click.argument("files", nargs=-1, required=True)
@with_common
@click.option(
    "--metric",
    "-m",
    type=click.Choice(ALL_METRICS),
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
        raise BadInput(t("err.compare_two"))
    scenarios = load_scenarios(files)
    names = [s.name for s in scenarios]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise BadInput(t("err.name_twice", file=files[i], name=n))
    _check_engine(scenarios, engine)
    _check_modes(files, scenarios)
    folder = claim_folder(
        out, "compare-" + "-vs-".join(names), "compare", force, planned_files(scenarios)
    )
    with writing(folder):
        reps = replications or scenarios[0].run.replications
        total = len(scenarios) * reps
        with progress(t("progress.simulating"), quiet or as_json, total) as bar:
            found = run_comparison(
                scenarios,
                replications=replications,
                seed=seed,
                workers=_workers(workers),
                log=log,
                engine=engine,
                metric=metric,
                progress=bar.advance,
            )
        if robustness:
            found.robustness = _robustness(
                scenarios, found.replications, found.seed, engine, quiet or as_json
            )
        results, seed, best = found.results, found.seed, found.best
        decomposition, check = found.wait_decomposition, found.robustness
        obj = compare_json(results)
        extra: dict = {"best": {"metric": metric, "scenario": best}}  # summary.json only
        if decomposition:
            extra["wait_decomposition"] = decomposition
        if check is not None:
            extra["robustness"] = check.to_json()
        path = write_results(
            folder,
            results,
            [Path(f) for f in files],
            {**obj, **extra},
            command_line(),
            "compare",
        )
    if as_json:
        # the contract object, plus the return-visit split and the robustness check
        click.echo(json.dumps({**obj, **extra_json(extra)}, ensure_ascii=False))
        return
    con = Console()
    con.print(
        _metrics_table(results, t("compare.title", n=len(results[0].replications), seed=seed))
    )
    diffs = found.differences
    adjusted = t("compare.adjusted") if len(results) > 2 else t("compare.t_interval")
    key = found.key_metrics
    # one narrow table per comparison reads better than one wide table
    tables = {
        r.scenario.name: Table(
            t("metric"),
            t("difference_ci"),
            title_justify="left",
            title=t(
                "compare.diff_title",
                scenario=r.scenario.name,
                baseline=results[0].scenario.name,
                adjusted=adjusted,
            ),
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
        tables[d["scenario"]].add_row(_row_label(m), _fmt_diff(m, d["mean"]) + ci)
    for table in tables.values():
        con.print(table)
    for r in results:
        con.print(headline(r), highlight=False, soft_wrap=True)
    for d in found.wait_verdicts():
        con.print(
            t(
                "compare.wait_verdict",
                scenario=d["scenario"],
                baseline=d["baseline"],
                mean=f"{d['mean']:+.1f}",
                low=f"{d['ci_low']:+.1f}",
                high=f"{d['ci_high']:+.1f}",
                verdict=_verdict_word(d["verdict"]),
            ),
            style="bold",
            highlight=False,
            soft_wrap=True,
        )
        part = next((p for p in decomposition if p["scenario"] == d["scenario"]), None)
        if part is not None:
            con.print(f"  {decomposition_text(part)}", highlight=False, soft_wrap=True)
    if check is not None:
        sentence = check.sentence_zh() if current() == "zh" else check.sentence()
        con.print(
            t("compare.robustness", n=check_count(check), sentence=sentence),
            style="bold",
            highlight=False,
            soft_wrap=True,
        )
    con.print(
        t("compare.best", metric=metric if current() == "en" else metric_label(metric), best=best),
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
    return t(
        "compare.decomposition",
        returns=f"{part['returns']:+.1f}",
        returns_ci=ci("returns"),
        pct=pct,
        rest=f"{part['rest']:+.1f}",
        rest_ci=ci("rest"),
    )


def _verdict_word(verdict: str) -> str:
    """A verdict of ``wait_verdicts`` ('shorter', 'longer', 'no clear difference') in the
    language."""
    key = verdict.removesuffix(" in").replace(" ", "_")
    if current() == "en" or key not in ("shorter", "longer", "no_clear_difference"):
        return verdict
    return t(key)


def extra_json(extra: dict) -> dict:
    """The parts of summary.json's extras that ``compare --json`` prints too."""
    from hallsim.results import clean

    return clean({k: extra[k] for k in ("wait_decomposition", "robustness") if k in extra})


def check_count(check) -> int:
    return len({r["assumption"] for r in check.rows})


def _robustness(scenarios, replications, seed, engine, quiet):
    from hallsim import robustness as rb

    total = len(scenarios) * replications + sum(len(a.values) for a in rb.ASSUMPTIONS)
    with progress(t("progress.robustness"), quiet, total) as bar:
        return rb.check(
            scenarios, replications, seed, engine, assumptions=rb.ASSUMPTIONS, progress=bar.advance
        )


def _parse_precision(text: str, replications, log: bool) -> tuple[float, bool]:
    """'0.5' → (0.5, absolute); '5%' → (0.05, relative).  Bad input → exit 2."""
    if replications is not None or log:
        raise BadInput(t("err.precision_conflict"))
    rel = text.strip().endswith("%")
    try:
        h = float(text.strip().rstrip("%")) / (100 if rel else 1)
    except ValueError:
        h = float("nan")
    if not h > 0 or h == float("inf"):
        raise BadInput(t("err.precision_value", text=text))
    return h, rel


def _fmt_diff(metric: str, value: float) -> str:
    if metric in PERCENT:
        return f"{100 * value:+.1f} {t('pp')}"
    return f"{value:+.2f}"
