"""``hallsim sweep``: the command line over ``hallsim.sweep`` (parse, call, print, exit code).

The lead registers it with ``main.add_command(sweep)`` in ``hallsim.cli``.
"""

from __future__ import annotations

import click

from hallsim.cli.common import (
    BadInput,
    Interrupted,
    chosen_backend,
    cluster_failure,
    cluster_options,
    command_line,
    load_scenarios,
    out_dir,
    progress,
)
from hallsim.cli.types import REPLICATIONS, SEED
from hallsim.i18n import t
from hallsim.names import ENGINES


@click.command()
@click.argument("file", type=str)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=V1,V2,...",
    help="Values for a dotted path, e.g. windows.0.count=2,3,4 or windows.0.count=2:8 "
    "(range, end included) or arrivals.rate_per_hour=30:60:10.  Repeat for more "
    "parameters; the sweep runs the full grid.",
)
@click.option(
    "--sweep-file",
    type=click.Path(dir_okay=False),
    default=None,
    help='TOML file with a [parameters] table, e.g. "windows.0.count" = [2, 3, 4].',
)
@click.option(
    "--replications",
    "-r",
    type=REPLICATIONS,
    default=None,
    help="Replications per point (default: the scenario's run.replications).",
)
@click.option(
    "--seed",
    "-s",
    type=SEED,
    default=None,
    help="Base seed (default: the scenario's run.seed); replication r of every point "
    "uses the same streams.",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 4096),
    default=None,
    help="Worker processes (default: number of CPU cores).",
)
@cluster_options
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False),
    default=None,
    help="Results folder (default: results/<name>-sweep).",
)
@click.option("--csv", "csv", is_flag=True, help="Also write results.csv.")
@click.option(
    "--force",
    is_flag=True,
    help="Start afresh: discard what the --out folder holds from an earlier sweep.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="Simulation engine (see hallsim run --help).",
)
@click.option("--chunk-size", type=click.IntRange(1), default=None, hidden=True)
def sweep(
    file: str,
    sets: tuple[str, ...],
    sweep_file: str | None,
    replications: int | None,
    seed: int | None,
    workers: int | None,
    backend: str | None,
    scheduler: str | None,
    out: str | None,
    csv: bool,
    force: bool,
    quiet: bool,
    engine: str,
    chunk_size: int | None,
) -> None:
    """Run scenario FILE over a grid of parameter values (every combination).

    Writes OUT/results.parquet: one row per point and replication, with the
    swept values as columns, the seed and every metric; plus summary.parquet
    and summary.csv (one row per point, 95% intervals) and manifest.json.
    Replication r of every point uses the same random streams (common random
    numbers).  Interrupted?  Rerun the same command: it runs only what is missing.

    \b
    Example:
      hallsim sweep scenarios/integrated.toml --set windows.0.count=7:11 \\
          --set windows.0.attitude=0.5,0.7,0.9 --replications 10 --out results/staffing
      python -c "import pandas; print(pandas.read_parquet('results/staffing/results.parquet'))"
    """
    from hallsim.experiment import default_workers
    from hallsim.sweep import (
        SweepBackendError,
        SweepError,
        SweepInterrupted,
        build_grid,
        execute_sweep,
        plan_sweep,
    )

    (sc,) = load_scenarios((file,))
    backend = chosen_backend(backend, scheduler)
    if not sets and not sweep_file:
        raise BadInput(
            "nothing to sweep: give --set PATH=V1,V2,... (e.g. --set windows.0.count=2,3,4) "
            "or --sweep-file FILE"
        )
    try:
        grid = build_grid(sets, sweep_file, sc)
        plan = plan_sweep(sc, grid, replications, seed, engine)
    except SweepError as exc:
        raise BadInput(t("err.invalid_sweep", file=file) + "\n" + _indent(str(exc))) from None
    folder = out_dir(out, f"{sc.name}-sweep")
    n_workers = default_workers() if workers is None else workers
    try:
        with progress(t("progress.sweep"), quiet, rate_unit=t("progress.points")) as bar:
            outcome = execute_sweep(
                plan,
                folder,
                workers=n_workers,
                backend=backend,
                scheduler=scheduler,
                progress=bar.update,
                force=force,
                csv=csv,
                chunk_size=chunk_size,
                source=file,
                command=command_line(),
            )
    except SweepError as exc:
        raise BadInput(str(exc)) from None
    except SweepInterrupted as exc:
        raise Interrupted(
            t(
                "err.sweep_interrupted",
                runs_done=exc.runs_done,
                runs_total=exc.runs_total,
                points_done=exc.points_done,
                points_total=exc.points_total,
            )
        ) from None
    except SweepBackendError as exc:
        raise cluster_failure(exc) from None
    if outcome.runs_this_call == 0:
        click.echo(t("sweep.complete", name=sc.name, folder=folder))
    else:
        points = outcome.runs_this_call / plan.replications
        rate = points / outcome.seconds if outcome.seconds > 0 else float("nan")
        where = (
            f"dask {scheduler}"
            if scheduler
            else t("sweep.workers", backend=backend, n=n_workers, s="s" if n_workers > 1 else "")
        )
        click.echo(
            t(
                "sweep.done",
                name=sc.name,
                points=plan.n_points,
                reps=plan.replications,
                params=", ".join(plan.parameters),
                runs=outcome.runs_this_call,
                seconds=f"{outcome.seconds:.1f}",
                rate=f"{rate:.1f}",
                where=where,
            )
        )
    click.echo(str(outcome.results))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
