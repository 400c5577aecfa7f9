"""What every command shares: bad input and write failures as exit codes, loading
scenario files, the results folder a command claims, the command line as typed, and the
stderr console. Command modules import this one, never ``hallsim.cli`` (no import cycle).

Exit codes (docs/cli.md): 0 success, 2 bad input (nothing written), 1 an unexpected
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

from hallsim.resultsdir import OutputError, ResultsFolder, WriteFailed, safe_name

if TYPE_CHECKING:
    from hallsim.scenario import Scenario


@functools.cache
def err_console() -> Any:
    """The rich console on stderr (progress bars), made on first use."""
    from rich.console import Console

    return Console(stderr=True)


class BadInput(click.ClickException):
    """Bad input: message on stderr, exit 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"hallsim: {self.format_message()}", err=True)


def load_scenarios(paths: tuple[str, ...]) -> list[Scenario]:
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
