"""``--help`` in the language of the command line: Chinese text from ``hallsim.i18n.HELP``.

Click prints help while it parses, before any ``--lang`` callback has run (``hallsim run
--help --lang zh`` has ``--help`` first), so the help language is read from the
arguments themselves: the last ``--lang zh|en`` in them, else the locale, else English
(a scenario's ``[report] lang`` is not read: help reads no file).  In English nothing
changes; in Chinese the command's help, each parameter's help and click's own words
(Usage:, Options:, ...) are swapped for the catalogue's only while the help is formatted,
and text is wrapped by display width (a Chinese character takes two columns).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click
import click._textwrap
import click.core
import click.formatting

from hallsim import i18n


def help_lang(argv: Sequence[str] | None = None) -> str:
    """zh or en: the last ``--lang X`` / ``--lang=X`` in argv, else the locale, else en."""
    args = list(sys.argv[1:] if argv is None else argv)
    chosen = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
    if chosen in i18n.LANGS:
        return chosen
    return i18n.locale_lang() or "en"


def command_help_zh(name: str) -> str | None:
    """A command's whole Chinese help (``command:NAME`` in the catalogue)."""
    return i18n.HELP.get(f"command:{name}")


def short_help_zh(name: str) -> str | None:
    """A command's line in its group's listing: the first sentence of its Chinese help."""
    text = command_help_zh(name)
    if text is None:
        return None
    first = text.split("\n", 1)[0]
    return first.split("。", 1)[0] + "。" if "。" in first else first


_WIDE = "\u3000-\u9fff\uff00-\uffef"
_PIECES = re.compile(f"[{_WIDE}]|[^{_WIDE}]+")
_NO_LINE_START = frozenset("，。；：、）！？」》")
_NO_LINE_END = frozenset("（「《")


class _WideTextWrapper(click._textwrap.TextWrapper):
    """Wraps by display width, and may break between two Chinese characters."""

    def _split(self, text: str) -> list[str]:
        chunks: list[str] = []
        for chunk in super()._split(text):
            # a line may end after any Chinese character, but not inside a Latin word,
            # never begins with closing punctuation nor ends with opening punctuation
            for piece in _PIECES.findall(chunk):
                if chunks and (piece in _NO_LINE_START or chunks[-1][-1:] in _NO_LINE_END):
                    chunks[-1] += piece
                else:
                    chunks.append(piece)
        return chunks

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        lines: list[str] = []
        chunks.reverse()
        while chunks:
            indent = self.subsequent_indent if lines else self.initial_indent
            room = self.width - i18n.width(indent)
            line: list[str] = []
            used = 0
            if lines and chunks[-1].strip() == "":
                del chunks[-1]
            while chunks:
                size = i18n.width(chunks[-1])
                if used + size <= room:
                    line.append(chunks.pop())
                    used += size
                elif not line:  # a word longer than the line: it goes alone
                    line.append(chunks.pop())
                    break
                else:
                    break
            while line and line[-1].strip() == "":
                del line[-1]
            if line:
                lines.append(indent + "".join(line))
        return lines


@contextmanager
def chinese(ctx: click.Context) -> Iterator[None]:
    """Within the block the context's command (and a group's subcommands) and click's own words
    read Chinese; everything is put back afterwards."""
    command = ctx.command
    saved: list[tuple[object, str, object]] = []

    def swap(obj: object, attr: str, value: object) -> None:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    commands = [command]
    if isinstance(command, click.Group):
        commands += list(command.commands.values())
    for cmd in commands:
        if cmd.name and command_help_zh(cmd.name) is not None:
            swap(cmd, "help", command_help_zh(cmd.name))
            swap(cmd, "short_help", short_help_zh(cmd.name))
    params = list(command.params)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        params.append(help_option)
    for param in params:
        text = getattr(param, "help", None)
        if text:
            swap(param, "help", i18n.help_zh(text))
    for module in (click.core, click.formatting):
        swap(module, "_", i18n.help_zh)
    swap(click._textwrap, "TextWrapper", _WideTextWrapper)
    try:
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


_argv: list[str] | None = None  # the arguments of the running invocation (None: sys.argv)


class HelpContext(click.Context):
    """A context whose ``--help`` is in the language the arguments ask for."""

    def get_help(self) -> str:
        if help_lang(_argv) != "zh":
            return super().get_help()
        with chinese(self):
            return super().get_help()


class HelpGroup(click.Group):
    """The ``hallsim`` group: remembers each invocation's arguments for ``help_lang``."""

    context_class = HelpContext

    def main(self, args: Sequence[str] | None = None, *rest: object, **options: object):  # type: ignore[override]
        global _argv
        _argv = None if args is None else list(args)
        return super().main(args, *rest, **options)  # type: ignore[arg-type]
