"""``hallsim staff``: the staffing advisor's command (parse, call, print, exit code).

Thin over ``hallsim.staffing.advise``.  Register it on the main group with
``main.add_command(staff)``.  Exit codes: 0 success, 2 bad input (invalid
scenario, bad or unreachable ``--target``; message on stderr, nothing
written).  Progress goes to stderr; stdout ends with the TOML to paste.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hallsim.cli.common import BadInput, WriteError
from hallsim.cli.types import SEED, replications_from
from hallsim.names import TARGET_METRICS

if TYPE_CHECKING:
    from hallsim.staffing import Advice


def _bad_input(message: str) -> NoReturn:
    raise BadInput(message, command="staff")


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _fmt(metric: str, x: float) -> str:
    if math.isnan(x):
        return "—"
    return f"{x:.3f}" if metric == "service_level" else f"{x:.1f}"


def _ci(metric: str, mean: float, low: float, high: float) -> str:
    txt = _fmt(metric, mean)
    if not math.isnan(low):
        txt += f" [{_fmt(metric, low)}, {_fmt(metric, high)}]"
    return txt


def _levels(col) -> str:
    return "+".join(str(int(x)) for x in col)


def _why(advice: Advice, p: int) -> str:
    """Why the simulation's answer differs from Erlang's in period ``p`` (facts only)."""
    t = advice.target
    erl, adv = advice.erlang[:, p].sum(), advice.levels[:, p].sum()
    x = float(advice.erlang_result.mean[p])
    q = advice.erlang_result.queue_at_start[p]
    carry = f"; {q:.1f} waiting at its start" if q >= 1 else ""
    if adv > erl:
        if t.met(x):
            return "raised to cut the queue passed on to later periods"
        return f"Erlang's windows miss the target here{carry}"
    if not t.met(x):
        return "fewer suffice once earlier periods pass on a shorter queue"
    return f"Erlang's windows beat the target: fewer suffice{carry}"


def advice_json(advice: Advice, target_text: str) -> dict[str, Any]:
    """The advisor's answer as plain JSON-able data."""
    from hallsim.scenario import format_clock

    m = advice.target.metric
    day = advice.scenario.run.mode == "day"
    rows = []
    for p, (a, b) in enumerate(advice.periods):
        rows.append(
            {
                "period": format_clock(a) if day else "all",
                "start_min": a,
                "end_min": b,
                "erlang": [int(x) for x in advice.erlang[:, p]],
                "advised": [int(x) for x in advice.levels[:, p]],
                "offered_load": [float(x) for x in advice.offered_load[:, p]],
                m: {
                    "mean": _num(advice.result.mean[p]),
                    "ci_low": _num(advice.result.ci_low[p]),
                    "ci_high": _num(advice.result.ci_high[p]),
                },
                f"{m}_erlang_roster": _num(advice.erlang_result.mean[p]),
                "queue_at_start": float(advice.result.queue_at_start[p]),
            }
        )
    return {
        "scenario": advice.scenario.name,
        "target": target_text,
        "metric": m,
        "replications": advice.replications,
        "seed": advice.seed,
        "groups": [w.name for w in advice.scenario.windows],
        "periods": rows,
        "day": {k: _num(v) for k, v in advice.result.day.items()},
        "day_as_written": {k: _num(v) for k, v in advice.current.day.items()},
        "staff_hours": advice.staff_hours,
        "staff_hours_erlang": advice.erlang_staff_hours,
        "staff_hours_as_written": advice.current_staff_hours,
        "windows": {
            w.name: {"count": w.count, "staffed": w.staffed} for w in advice.staffed.windows
        },
        "rosters_simulated": advice.runs,
        "notes": advice.notes,
    }


def print_advice(advice: Advice, file: str, seconds: float) -> None:
    """The human-readable answer on stdout; the TOML to paste comes last."""
    from hallsim.scenario import format_clock

    sc, t = advice.scenario, advice.target
    m = t.metric
    day = sc.run.mode == "day"
    extra = (
        f" (called within {sc.hall.service_level_target_min:g} min)" if m == "service_level" else ""
    )
    echo = click.echo
    echo(f"Staffing advisor — {sc.name}: {t}{extra} in every period and over the day")
    echo(
        f"{advice.replications} replications, seed {advice.seed}; "
        f"{advice.runs} rosters simulated in {seconds:.0f} s"
    )
    groups = " + ".join(w.name for w in sc.windows)
    echo(f"windows per period ({groups}); {m} of the citizens arriving in the period\n")
    echo(f"{'period':<7}{'load':>7}{'Erlang':>9}{'advised':>9}   {m + ' [95% CI]':<26}{'queue':>6}")
    res = advice.result
    for p, (a, _) in enumerate(advice.periods):
        label = format_clock(a) if day else "all"
        echo(
            f"{label:<7}{advice.offered_load[:, p].sum():>7.1f}"
            f"{_levels(advice.erlang[:, p]):>9}{_levels(advice.levels[:, p]):>9}   "
            f"{_ci(m, res.mean[p], res.ci_low[p], res.ci_high[p]):<26}"
            f"{res.queue_at_start[p]:>6.1f}"
        )
    echo("(load: offered Erlangs; queue: citizens waiting at the period start, mean)\n")
    d, now = advice.result.day, advice.current.day
    echo(
        f"whole day: {m} {_ci(m, d['mean'], d['ci_low'], d['ci_high'])} with the advised "
        f"roster, {_ci(m, now['mean'], now['ci_low'], now['ci_high'])} as written"
    )
    echo(
        f"staff-hours (planned window-hours): {advice.staff_hours:.1f} advised, "
        f"{advice.erlang_staff_hours:.1f} Erlang estimate, "
        f"{advice.current_staff_hours:.1f} as written"
    )
    differ = [
        p for p in range(len(advice.periods)) if (advice.erlang[:, p] != advice.levels[:, p]).any()
    ]
    if differ:
        echo("\nWhere the Erlang estimate and the simulation disagree:")
        echo(f"{'period':<7}{'Erlang':>8}{'advised':>9}   {'Erlang roster':<15}why")
        for p in differ:
            label = format_clock(advice.periods[p][0]) if day else "all"
            echo(
                f"{label:<7}{_levels(advice.erlang[:, p]):>8}{_levels(advice.levels[:, p]):>9}   "
                f"{_fmt(m, advice.erlang_result.mean[p]):<15}{_why(advice, p)}"
            )
    else:
        echo("\nThe Erlang estimate and the simulation agree in every period.")
    for note in advice.notes:
        echo(f"note: {note}")
    echo("")
    for name, snippet in advice.toml_snippets():
        echo(f'# in {file}, [[windows]] name = "{name}": set (replacing any existing line)')
        echo(snippet)


@click.command("staff")
@click.argument("file", type=str)
@click.option(
    "--target",
    "-t",
    required=True,
    metavar="METRIC<=X|METRIC>=X",
    help="Per-period target: "
    + "; ".join(f"{k} ({v[0]}): {v[1]}" for k, v in TARGET_METRICS.items())
    + ".",
)
@click.option(
    "--replications",
    "-r",
    type=replications_from(2),
    default=None,
    help="Replications per roster (default: the scenario's run.replications).",
)
@click.option(
    "--seed",
    "-s",
    type=SEED,
    default=None,
    help="Base seed (default: the scenario's run.seed).",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 512),
    default=None,
    help="Parallel worker processes (default: number of CPU cores).",
)
@click.option(
    "--max-windows",
    type=click.IntRange(1, 1000),
    default=None,
    help="Largest level tried for any group (default: 3 × max(count, Erlang), at least 20).",
)
@click.option(
    "--keep-count",
    is_flag=True,
    help="Never staff more windows than a group's count (fail if that cannot meet the "
    "target); by default the advisor raises count where that is the only way.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a self-contained HTML report (roster chart: windows per period, "
    "Erlang vs simulation, target line) to this file.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def staff(
    file, target, replications, seed, workers, max_windows, keep_count, as_json, report_path, quiet
):
    """Advise how many windows to staff each period to meet a waiting TARGET.

    Starts from Erlang C (Erlang A when citizens renege) for each period of
    hall.period_min minutes, then simulates the whole day on common random
    numbers and adjusts period by period in time order.  Prints the achieved
    per-period metric with 95% intervals, staff-hours, where the formula and
    the simulation disagree, and a `staffed = {...}` line to paste into the
    scenario's [[windows]] table.  With the scenario's own seed and
    replications, `hallsim run` on the pasted file reproduces the whole-day
    figure.

    \b
    Example:
      hallsim staff scenarios/integrated.toml --target "service_level>=0.9"
      hallsim staff scenarios/integrated.toml --target "wait_p90_min<=15" -r 10
    """
    from hallsim.scenario import ScenarioError, load_scenario
    from hallsim.staffing import StaffingError, advise, parse_target

    try:
        parsed = parse_target(target)
    except StaffingError as exc:
        _bad_input(f"--target: {exc}")
    try:
        sc = load_scenario(file)
    except ScenarioError as exc:
        _bad_input(str(exc))
    start = time.monotonic()

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"staff: {msg}", err=True)

    try:
        advice = advise(
            sc,
            parsed,
            replications=replications,
            seed=seed,
            workers=workers or os.cpu_count() or 1,
            progress=progress,
            max_windows=max_windows,
            keep_count=keep_count,
        )
    except StaffingError as exc:
        _bad_input(f"{file}: --target: {exc}")
    if report_path is not None:
        _write_html_report(report_path, advice_json(advice, target))
    if as_json:
        click.echo(json.dumps(advice_json(advice, target), ensure_ascii=False))
        return
    print_advice(advice, file, time.monotonic() - start)
    if report_path is not None:
        click.echo(str(report_path))


def _write_html_report(path: Path, advice: dict[str, Any]) -> None:
    """The advisor's HTML report, written atomically (hallsim.resultsdir rules)."""
    from hallsim.report import build_staff_report
    from hallsim.resultsdir import OutputError, WriteFailed, write_single_file

    html = build_staff_report(json.loads(json.dumps(advice, ensure_ascii=False)))
    try:
        write_single_file(path, lambda p: p.write_text(html, encoding="utf-8"))
    except OutputError as exc:
        _bad_input(f"--report: {exc}")
    except WriteFailed as exc:
        raise WriteError(f"could not write {exc.strerror}") from None
