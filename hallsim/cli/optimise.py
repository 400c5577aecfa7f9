"""``hallsim optimise``: the command line over ``hallsim.optimise`` (parse, call, print, exit).

Registered on the main group with ``main.add_command(optimise_command)``.  Exit
codes: 0 success (also when no layout meets the constraints: that is an
answer), 2 bad input (scenario, space file, options, results folder; nothing
written), 1 an unexpected failure.  Progress goes to stderr.
"""

from __future__ import annotations

import json
import math
import os

import click

from hallsim.cli.common import chosen_backend, cluster_failure, cluster_options
from hallsim.cli.types import SEED
from hallsim.i18n import current, optimise_text
from hallsim.i18n import t as tr


def _bad_input(message: str):
    click.echo(f"hallsim optimise: {message}", err=True)
    raise click.exceptions.Exit(2)


def _fmt(metric: str, x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    from hallsim.optimise import SHARE_METRICS

    if metric in SHARE_METRICS:
        return f"{100 * x:.1f}%"
    return f"{x:.2f}"


def _ci(metric: str, s: dict) -> str:
    txt = _fmt(metric, s["mean"])
    if s.get("ci_low") is not None:
        txt += f" [{_fmt(metric, s['ci_low'])}, {_fmt(metric, s['ci_high'])}]"
    return txt


def _diff(metric: str, s: dict) -> str:
    from hallsim.optimise import SHARE_METRICS

    k = 100 if metric in SHARE_METRICS else 1
    unit = " " + tr("opt.pp") if metric in SHARE_METRICS else ""
    if s["mean"] is None:
        return "—"
    txt = f"{k * s['mean']:+.2f}"
    if s.get("ci_low") is not None:
        txt += f" [{k * s['ci_low']:+.2f}, {k * s['ci_high']:+.2f}]"
    return txt + unit


def _name(metric: str) -> str:
    """A metric or design measure as printed: its key in English (what the space file
    names), its registry label in Chinese (``--json`` keeps the keys)."""
    from hallsim.optimise import zh_name

    return zh_name(metric) if current() == "zh" else metric


def _row(metric: str, value: str) -> str:
    """A table row, the name padded to 24 display columns (a CJK character takes two)."""
    import unicodedata

    name = _name(metric)
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in name)
    return f"  {name}{' ' * max(1, 24 - width)}{value}"


def print_outcome(data: dict, base_file: str) -> None:
    echo = click.echo
    obj = data["objective"]["metric"]
    verb = tr("opt.minimise") if data["objective"]["sense"] == "min" else tr("opt.maximise")
    cons = ", ".join(f"{_name(c['metric'])}{c['op']}{c['value']:g}" for c in data["constraints"])
    echo(
        tr("opt.title", scenario=data["scenario"], verb=verb, metric=_name(obj))
        + (tr("opt.subject_to", constraints=cons) if cons else "")
        + (tr("opt.budget", budgets=", ".join(data["budgets"])) if data["budgets"] else "")
    )
    echo(
        tr(
            "opt.searched",
            candidates=data["candidates"],
            method=optimise_text(data["method"]),
            space=data["layouts_in_space"],
            checked=data["checked"],
            feasible=data["feasible"],
            days=data["simulations"],
            seconds=f"{data['seconds']:.1f}",
            seed=data["seed"],
        )
    )
    best = data["best"]
    if best is None:
        echo("\n" + tr("opt.none"))
    else:
        echo("\n" + tr("opt.best", layout=best["layout"], days=best["replications"]))
        for m, s in best["metrics"].items():
            echo(_row(m, _ci(m, s)))
        echo(_row("windows", str(best["windows"])))
        echo(_row("planned_staff_hours", f"{best['planned_staff_hours']:.1f}"))
    if data["runners_up"]:
        echo("\n" + tr("opt.runners_up"))
        for r in data["runners_up"]:
            d = r["difference_to_best"]
            parts = [f"{_name(m)} {_diff(m, s)}" for m, s in list(d.items())[:3]]
            tag = (
                "" if "eliminated_after" not in r else tr("opt.out_after", n=r["eliminated_after"])
            )
            echo(f"  {r['layout']}  ({tr('opt.days', n=r['replications'])}{tag})")
            echo("      " + "; ".join(parts))
    echo("\n" + tr("opt.pareto", n=len(data["pareto"]), days=data["pareto_days"]))
    for r in data["pareto"][:10]:
        m = r["metrics"]
        echo(
            f"  {r['layout']:<60} "
            + tr(
                "opt.pareto_row",
                wait=_fmt("wait_mean_min", m["wait_mean_min"]["mean"]),
                hours=f"{r['planned_staff_hours']:.0f}",
                csat=_fmt("csat", m["csat"]["mean"]),
            )
        )
    if len(data["pareto"]) > 10:
        echo("  " + tr("opt.more", n=len(data["pareto"]) - 10))
    lang = current()
    echo("")
    echo(data["guarantee"][lang])
    for note in data["notes"]:
        echo(f"{tr('staff.note')}: {optimise_text(note)}")
    echo("")
    echo(data["answer"][lang])
    if best is not None:
        echo("\n" + tr("opt.paste", file=base_file))
        echo(best["windows_toml"].rstrip())


@click.command("optimise")
@click.argument("scenario", type=str)
@click.option("--space", required=True, metavar="SPACE.toml", help="The search space ([optimise]).")
@click.option("--minimise", "minimise", metavar="METRIC", help="Metric to minimise.")
@click.option("--maximise", "maximise", metavar="METRIC", help="Metric to maximise.")
@click.option(
    "--subject-to",
    "subject_to",
    multiple=True,
    metavar='"M>=X"',
    help="Constraint on a metric's mean (repeatable); replaces the space file's.",
)
@click.option(
    "--budget",
    multiple=True,
    metavar="clerks=N|clerks<=N|staff_hours<=H",
    help="Budget on windows or planned staff-hours (repeatable); replaces the space file's.",
)
@click.option("--delta", type=float, default=None, help="Indifference zone of the objective.")
@click.option("--alpha", type=float, default=None, help="1 − probability of correct selection.")
@click.option(
    "--procedure",
    type=click.Choice(["kn", "ocba"]),
    default=None,
    help="Selection: kn (PCS guarantee, default) or ocba (fixed budget, estimated PCS).",
)
@click.option(
    "--simulations",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="OCBA: replications for the selection in total (default 20 × n0 per design).",
)
@click.option("--seed", "-s", type=SEED, default=None, help="Base seed (default: scenario's).")
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 512),
    default=None,
    help="Worker processes (default: CPU cores); results do not depend on it.",
)
@cluster_options
@click.option("--out", "-o", default=None, help="Write the results folder here.")
@click.option("--force", is_flag=True, help="Write beside files that are not hallsim's.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def optimise_command(
    scenario,
    space,
    minimise,
    maximise,
    subject_to,
    budget,
    delta,
    alpha,
    procedure,
    simulations,
    seed,
    workers,
    backend,
    scheduler,
    out,
    force,
    as_json,
    quiet,
):
    """Find the best layout of windows in a search space, with a stated probability
    of correct selection (KN; docs/optimise.md).

    \b
    Example:
      hallsim optimise scenarios/integrated.toml --space spaces/space_12_clerks.toml
      hallsim optimise scenarios/integrated.toml --space spaces/space_12_clerks.toml \\
          --minimise planned_staff_hours --subject-to "service_level>=0.9" --budget "clerks<=12"
    """
    from hallsim import optimise as opt
    from hallsim.cluster import ClusterError
    from hallsim.scenario import ScenarioError, load_scenario

    try:
        base = load_scenario(scenario)
    except ScenarioError as exc:
        _bad_input(str(exc))
    backend = chosen_backend(backend, scheduler, "optimise")
    try:
        settings = opt.load_space(space)
        overrides = {"procedure": procedure, "simulations": simulations}
        settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
        problem = opt.make_problem(
            base,
            settings,
            minimise=minimise,
            maximise=maximise,
            subject_to=subject_to,
            budget=budget,
            delta=delta,
            alpha=alpha,
            seed=seed,
            source=space,
        )
        opt.check_space(problem)
    except opt.OptimiseError as exc:
        _bad_input(str(exc))
    folder = None
    if out is not None:
        from hallsim.cli.common import claim_folder

        folder = claim_folder(out, base.name, "optimise", force)

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"optimise: {optimise_text(msg)}", err=True)

    workers = workers or os.cpu_count() or 1
    where = {"workers": workers, "backend": backend, "scheduler": scheduler}
    if folder is None:
        try:
            outcome = opt.optimise(problem, progress=progress, **where)
        except opt.OptimiseError as exc:
            _bad_input(str(exc))
        except ClusterError as exc:
            raise cluster_failure(exc) from None
        data = opt.outcome_json(outcome)
    else:
        data, outcome = _run_into(folder, problem, where, progress)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    print_outcome(data, scenario)
    if folder is not None:
        click.echo(str(folder.path))


CHECKPOINT_SECONDS = 5.0
"""How often the replications run so far are saved in the results folder (for resuming)."""


def _ignore_ctrl_c() -> None:
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_into(folder, problem, where: dict, progress):
    """``_run_into_folder``, and the Ctrl-C handler as it was afterwards: ignoring Ctrl-C
    while an interrupted run saves must not outlast the command (a process that calls
    the CLI in-process, such as a test runner, and the children it starts would inherit
    an ignored Ctrl-C)."""
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main_thread else None
    try:
        return _run_into_folder(folder, problem, where, progress)
    finally:
        if main_thread and before is not None and signal.getsignal(signal.SIGINT) != before:
            signal.signal(signal.SIGINT, before)


def _run_into_folder(folder, problem, where: dict, progress):
    """Optimise while holding the results folder: replications are saved as they come
    (``evaluations.npz``), so Ctrl-C or a crash loses at most a few seconds of work and
    the same command resumes; then the results are written."""
    import time

    from hallsim import optimise as opt
    from hallsim import plots
    from hallsim.cli.common import command_line as _command_line
    from hallsim.cli.common import writing
    from hallsim.cluster import ClusterError

    key = opt.problem_key(problem)
    with writing(folder) as f:
        saved = {}
        if f.owns(opt.EVALUATIONS):
            saved = opt.load_evaluations(f.path / opt.EVALUATIONS, key)
            if saved:
                n = sum(len(v) for v in saved.values())
                progress(tr("opt.resuming", n=n, k=len(saved), path=f.path))
        last = [time.monotonic()]

        def save(ev, force: bool = False) -> None:
            if force or time.monotonic() - last[0] >= CHECKPOINT_SECONDS:
                f.write(opt.EVALUATIONS, lambda p: opt.dump_evaluations(ev, key, p))
                last[0] = time.monotonic()

        holder = {}

        def checkpoint(ev) -> None:
            holder["ev"] = ev
            save(ev)

        def interrupted() -> None:
            """Ctrl-C: save the replications run so far and say how to resume."""
            _ignore_ctrl_c()  # exiting: a further Ctrl-C must not cut the save short
            if "ev" in holder:
                save(holder["ev"], force=True)
            click.echo(
                "hallsim optimise: " + tr("err.optimise_interrupted", path=folder.path), err=True
            )
            raise click.exceptions.Exit(130)

        try:
            outcome = opt.optimise(
                problem, progress=progress, saved=saved, checkpoint=checkpoint, **where
            )
        except opt.OptimiseError as exc:
            _bad_input(str(exc))
        except ClusterError as exc:  # nothing run: the folder is left as it was
            raise cluster_failure(exc) from None
        except KeyboardInterrupt:
            interrupted()
        holder["ev"] = outcome.evaluator
        try:  # a Ctrl-C while writing the results resumes too (nothing is simulated again)
            data = {**opt.outcome_json(outcome), "command": _command_line()}
            f.write_text("optimise.json", json.dumps(data, ensure_ascii=False, indent=1))
            if outcome.best is not None:
                note = f"best layout found by: {data['command']} ({data['guarantee']['en']})"
                f.write_text("best.toml", opt.scenario_toml(outcome.best, note))
            f.write_text("candidates.csv", opt.candidates_table(outcome).to_csv(index=False))
            fig = opt.plot_pareto(outcome)
            f.write("plots/pareto.png", lambda p: plots.save_figure(fig, p, "png"))
            save(outcome.evaluator, force=True)
        except KeyboardInterrupt:
            interrupted()
    data.pop("command")
    return data, outcome
