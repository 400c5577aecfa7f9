"""What every command shares: bad input and write failures as exit codes, loading
scenario files, the results folder a command claims, the command line as typed, and the
stderr console. Command modules import this one, never ``hallsim.cli`` (no import cycle).

Exit codes (README): 0 success, 2 bad input (nothing written), 1 an unexpected
failure, 130 interrupted.
"""

from __future__ import annotations

import functools
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hallsim import i18n
from hallsim.resultsdir import OutputError, ResultsFolder, WriteFailed, safe_name

if TYPE_CHECKING:
    from hallsim.scenario import Scenario


@functools.cache
def err_console() -> Any:
    """The rich console on stderr (progress bars), made on first use."""
    from rich.console import Console

    return Console(stderr=True)


class BadInput(click.ClickException):
    """Bad input: one message on stderr, exit 2, no traceback, nothing written.

    The only bad-input mechanism of the command line; ``command`` names the command in
    the message (``hallsim staff: ...``) where that helps.
    """

    exit_code = 2

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command

    def show(self, file=None) -> None:
        where = f"hallsim {self.command}" if self.command else "hallsim"
        click.echo(f"{where}: {self.format_message()}", err=True)


def cluster_options(command: Any) -> Any:
    """``--backend`` and ``--scheduler``: where a command that can use a Dask cluster
    (sweep, optimise) runs its simulations.  Read them with ``chosen_backend``."""
    from hallsim.names import BACKENDS

    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --backend dask).",
    )(command)
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default=None,
        help="local: a process pool on this machine (default); dask: a dask.distributed "
        "cluster (a LocalCluster unless --scheduler is given).",
    )(command)


def chosen_backend(backend: str | None, scheduler: str | None, command: str | None = None) -> str:
    """The backend ``--backend``/``--scheduler`` ask for (a scheduler means dask).

    Bad input (exit 2, before anything is written): an empty or malformed
    ``--scheduler`` (no port, say), ``--scheduler`` with ``--backend local``, or Dask
    asked for and not installed (the message names the option and the extra
    ``hallsim[cluster]``).
    """
    from hallsim.cluster import check_scheduler_address, require_dask

    if scheduler is not None and not scheduler.strip():
        raise BadInput(i18n.t("err.empty_scheduler"), command)
    if scheduler and backend == "local":
        raise BadInput(i18n.t("err.scheduler"), command)
    backend = backend or ("dask" if scheduler else "local")
    if backend == "dask":
        try:  # Dask is the optional extra hallsim[cluster]
            require_dask()
        except ImportError as exc:
            option = "--scheduler" if scheduler else "--backend dask"
            why = exc.__cause__ or exc
            raise BadInput(i18n.t("err.no_dask", option=option, why=why), command) from None
    if scheduler:
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            message = i18n.t("err.bad_scheduler", address=scheduler, why=exc)
            raise BadInput(message, command) from None
    return backend


def cluster_failure(exc: Any) -> Failure:
    """The exit-1 failure for a Dask cluster that could not be started or reached
    (``hallsim.cluster.ClusterError``), in the user's language."""
    if exc.scheduler:
        return Failure(i18n.t("err.no_scheduler", address=exc.scheduler, why=exc.reason))
    return Failure(i18n.t("err.no_local_cluster", why=exc.reason))


def load_scenarios(paths: tuple[str, ...]) -> list[Scenario]:
    from hallsim.scenario import ScenarioError, load_scenario

    scenarios, problems = [], []
    for p in paths:
        try:
            scenarios.append(load_scenario(p))
        except ScenarioError as exc:
            problems.append(i18n.scenario_error(exc))
    if problems:
        raise BadInput("\n".join(problems))
    if scenarios and scenarios[0].report is not None:
        i18n.from_scenario(scenarios[0].report.lang)
    return scenarios


invoked_args: list[str] | None = None  # set by hallsim.cli.entry(); None: the process's own argv


def command_line() -> str:
    """The command as the user typed it, recorded in results for reproducibility."""
    args = sys.argv[1:] if invoked_args is None else invoked_args
    return "hallsim " + " ".join(shlex.quote(a) for a in args)


def out_dir(out: str | None, default: str) -> Path:
    """--out, or results/<safe name>: a scenario's name is a label, never a path."""
    if out is not None:
        return Path(out)
    return Path("results") / safe_name(default)


def claim_folder(
    out: str | None, default: str, kind: str, force: bool, files: list[str] = ()
) -> ResultsFolder:
    """The results folder a command will write, checked before anything runs (exit 2)."""
    try:
        folder = ResultsFolder(out_dir(out, default), kind, force=force)
        folder.check()
        for rel in files:
            folder.check_free(rel)
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    return folder


class Failure(click.ClickException):
    """A failure that is not bad input (writing failed part-way, no Dask cluster...):
    one line on stderr, exit 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(_prefixed(self.format_message()), err=True)


WriteError = Failure  # writing failed part-way (disk full...)


class Interrupted(click.ClickException):
    """Ctrl-C: exit 130 after saying what was kept."""

    exit_code = 130

    def show(self, file=None) -> None:
        click.echo(_prefixed(self.format_message()), err=True)


def _prefixed(message: str) -> str:
    return message if message.startswith("hallsim:") else f"hallsim: {message}"


class _Bar:
    """A progress bar's callbacks: ``advance(k)`` (k more done) or ``update(done, total)``."""

    def __init__(self, bar: Any = None, label: str = "", total: int | None = None) -> None:
        self.bar = bar
        self.task = None if bar is None or total is None else bar.add_task(label, total=total)
        self.label = label

    def advance(self, k: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, k)

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task(self.label, total=total, completed=done)
        else:
            self.bar.update(self.task, completed=done)


@contextmanager
def progress(label: str, quiet: bool, total: int | None = None, rate_unit: str | None = None):
    """The one progress bar of every command: rich, on stderr, only on a terminal.

    Yields a ``_Bar``; ``rate_unit`` adds a column of items per second (e.g. "points").
    """
    if quiet or not sys.stderr.isatty():
        yield _Bar()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.speed
            shown = f"{speed:.1f} {rate_unit}/s" if speed else f"– {rate_unit}/s"
            return Text(shown, style="progress.data.speed")

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if rate_unit:
        columns += [TextColumn(rate_unit), _Rate()]
    with Progress(*columns, TimeRemainingColumn(), console=err_console(), transient=True) as bar:
        yield _Bar(bar, label, total)


@contextmanager
def writing(folder: ResultsFolder):
    """Hold the folder (locked) while a command simulates and writes; map failures to exits."""
    try:
        with folder.open() as f:
            yield f
    except OutputError as exc:
        raise BadInput(str(exc)) from None
    except WriteFailed as exc:
        raise WriteError(i18n.t("err.incomplete", what=exc.strerror, path=folder.path)) from None
