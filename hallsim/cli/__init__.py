"""The ``hallsim`` command line: thin over the Python API (parse, call, print, exit code).

One module per command group (``run``: validate, run, compare; ``sweep``; ``staff``;
``present``: plot, report; ``export``; ``satisfaction``: calibrate, sensitivity; ``fit``: fit,
backtest; ``optimise``); what they share (errors as exit codes, progress, interrupts, JSON) is in
``common``. Command modules never import this package's ``__init__``: no import cycle.

Exit codes (README): 0 success, 2 bad input (nothing written), 1 an
unexpected failure, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import warnings

import click

from hallsim import __version__, i18n
from hallsim.cli import common
from hallsim.cli import export as _export
from hallsim.cli import fit as _fit
from hallsim.cli import help as _help
from hallsim.cli import optimise as _optimise
from hallsim.cli import present as _present
from hallsim.cli import run as _run
from hallsim.cli import satisfaction as _satisfaction
from hallsim.cli import staff as _staff
from hallsim.cli import sweep as _sweep
from hallsim.resultsdir import WriteFailed


@click.group(
    "hallsim", cls=_help.HelpGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="hallsim")
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGS),
    default=None,
    hidden=True,  # listed on every command; here so that `hallsim --help --lang zh` parses
)
def main(lang: str | None) -> None:
    """Simulate government service halls (政务服务大厅) and compare layouts.

    \b
    Example:
      hallsim validate scenarios/integrated.toml
      hallsim run scenarios/integrated.toml --replications 20
      hallsim compare scenarios/dedicated.toml scenarios/integrated.toml
    """
    # each invocation chooses its language afresh (a command's --lang is parsed after this)
    i18n.reset()
    i18n.choose(lang)


for _command in (
    _run.validate,
    _run.run,
    _run.compare,
    _present.plot,
    _present.report,
    _satisfaction.calibrate_command,
    _satisfaction.sensitivity_command,
    _staff.staff,
    _sweep.sweep,
    _fit.fit_command,
    _fit.backtest_command,
    _export.export_command,
    _optimise.optimise_command,
):
    main.add_command(_command)


def _choose_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # not given: keep `hallsim --lang X COMMAND`'s choice
        i18n.choose(value)


for _command in main.commands.values():
    _command.context_class = _help.HelpContext  # --help in the language of the arguments
    # one option on every command (contract: --lang on every command that prints or
    # draws); it only sets hallsim.i18n's choice, so no command's signature changes
    _command.params.append(
        click.Option(
            ["--lang"],
            type=click.Choice(i18n.LANGS),
            default=None,
            expose_value=False,
            is_eager=True,
            callback=_choose_lang,
            help="Language of what a person reads: zh (中文) or en (default: the scenario's "
            "[report] lang, else the locale, else en). Keys and JSON stay English.",
        )
    )


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one plain line on stderr, not Python's source-location format."""
    text = str(message)
    if not text.startswith("hallsim:"):
        text = f"hallsim: {i18n.t('err.warning')}: {text}"
    click.echo(text, err=True)


def entry(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (no traceback for expected failures)."""
    common.invoked_args = None if argv is None else list(argv)
    i18n.reset()
    warnings.showwarning = _show_warning
    try:
        code = main.main(args=argv, prog_name="hallsim", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(f"hallsim: {i18n.t('err.interrupted')}", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo(f"hallsim: {i18n.t('err.interrupted')}", err=True)
        return 130
    except (WriteFailed, OSError) as exc:  # a full disk, an I/O error: one line, exit 1
        if os.environ.get("HALLSIM_DEBUG"):
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        message = f"{i18n.t('err.could_not_complete')}: {where}{exc.strerror or exc}"
        click.echo(f"hallsim: {message}", err=True)
        return 1
    except Exception as exc:  # an unexpected failure: exit 1, short message
        if os.environ.get("HALLSIM_DEBUG"):
            raise
        error = f"{type(exc).__name__}: {exc}"
        click.echo(f"hallsim: {i18n.t('err.unexpected', error=error)}", err=True)
        return 1
    # with standalone_mode=False click returns ctx.exit(n)'s code instead of raising
    return code if isinstance(code, int) else 0


def console_main() -> None:
    # The scenario model uses no pydantic plugins; looking for them scans every installed
    # package's entry points on each command's first model (benchmarks/startup.py).
    # A user's own setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(entry())
